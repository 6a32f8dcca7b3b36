from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _is_add_to_cart_allowed(self):
        """In a punchout session only the buyer's assortment can be added to the cart."""
        allowed = super()._is_add_to_cart_allowed()
        session = self.env["website"].get_current_website()._punchout_current_session()
        if allowed and session:
            domain = session.connection_id._get_product_domain()
            return bool(self.product_tmpl_id.sudo().filtered_domain(domain))
        return allowed

    def _punchout_lead_time_days(self, connection=None, quantity=1):
        """Days until ``quantity`` of this product reaches ``connection``'s buyer, as its cart
        says: the customer lead time (sale_stock's field, when installed), or None. The stock
        bridge module computes it from stock."""
        self.ensure_one()
        delay = self["sale_delay"] if "sale_delay" in self._fields else 0
        return round(delay) if delay else None

    def _punchout_available_quantity(self, connection, quantity):
        """(quantity ``connection``'s buyer can have now, lead time in days), as OCI's
        QUANTITYCHECK answers it. Without stock management: all of it, in the customer lead
        time; the stock bridge module answers from stock."""
        self.ensure_one()
        return quantity, self._punchout_lead_time_days(connection, quantity) or 0
