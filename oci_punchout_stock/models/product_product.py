from odoo import models


class ProductProduct(models.Model):
    _inherit = "product.product"

    def _punchout_free_quantity(self, connection):
        """What can be promised now: the free quantity in the warehouse of the connection's
        website, else of its company."""
        self.ensure_one()
        # The buyer's portal user may not read stock: what it is told is computed here.
        connection = connection.sudo()
        warehouse = connection.website_id.warehouse_id or self.env[
            "stock.warehouse"
        ].sudo().search([("company_id", "=", connection.company_id.id)], limit=1)
        return self.sudo().with_context(warehouse_id=warehouse.id).free_qty

    def _punchout_lead_time_days(self, connection=None, quantity=1):
        """From stock, for connections that want it: in stock, the customer lead time; not
        (or not enough), the replenishment lead time (the first vendor's delay) on top."""
        self.ensure_one()
        customer = super()._punchout_lead_time_days(connection, quantity)
        if not (connection and connection.lead_time_from_stock and self.is_storable):
            return customer
        if self._punchout_free_quantity(connection) >= quantity:
            return customer
        vendor_delay = self.sudo().seller_ids[:1].delay or 0
        return round(vendor_delay + (customer or 0)) or customer

    def _punchout_available_quantity(self, connection, quantity):
        """From stock: the free quantity now (nothing below zero), and the lead time of the
        quantity asked (``_punchout_lead_time_days``)."""
        self.ensure_one()
        if not self.is_storable:
            return super()._punchout_available_quantity(connection, quantity)
        available = max(self._punchout_free_quantity(connection), 0.0)
        return available, self._punchout_lead_time_days(connection, quantity) or 0
