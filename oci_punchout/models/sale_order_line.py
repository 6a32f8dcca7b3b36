from odoo import fields, models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    punchout_po_line_number = fields.Integer(
        string="PO Line",
        readonly=True,
        copy=False,
        help="Line number in the buyer's purchase order: confirmations and invoices refer to it.",
    )
    punchout_buyer_part_id = fields.Char(string="Buyer's Part Number", readonly=True, copy=False)
