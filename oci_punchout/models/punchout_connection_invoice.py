from odoo import fields, models


class PunchoutConnection(models.Model):
    """E-invoicing: the format, channel and references the buyer's system expects."""

    _inherit = "punchout.connection"

    invoice_buyer_reference = fields.Char(
        string="Buyer Reference",
        tracking=True,
        help="BuyerReference (BT-10) on every invoice: the reference the buyer's accounts "
        "payable routes invoices by. Empty: the requester or cost centre the purchase order "
        "named.",
    )
