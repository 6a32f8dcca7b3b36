from odoo import api, fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    punchout_po_line_number = fields.Integer(
        string="PO Line",
        readonly=True,
        copy=False,
        help="Line number in the buyer's purchase order: confirmations and invoices refer to it.",
    )
    punchout_buyer_part_id = fields.Char(string="Buyer's Part Number", readonly=True, copy=False)
    punchout_ordered_qty = fields.Float(
        string="Ordered Quantity",
        digits="Product Unit of Measure",
        readonly=True,
        copy=False,
        help="The quantity of this line in the buyer's purchase order: confirmations tell the "
        "buyer what we deliver of it.",
    )

    # Confirmation follow-ups: what the buyer's system must hear about once the order is
    # confirmed to it.
    _PUNCHOUT_CONFIRMED_FIELDS = ("product_uom_qty", "price_unit", "discount", "customer_lead")

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines.order_id._punchout_confirmation_changed()
        return lines

    def write(self, vals):
        result = super().write(vals)
        if any(name in vals for name in self._PUNCHOUT_CONFIRMED_FIELDS):
            self.order_id._punchout_confirmation_changed()
        return result

    def _punchout_backorder(self):
        """(quantity not available now, the date it is expected): confirmed to the buyer as
        backordered. Without stock management everything is available."""
        self.ensure_one()
        return 0.0, None

    def _punchout_shipment_date(self):
        """When this line is expected to leave us; unknown without stock management."""
        self.ensure_one()
        return None
