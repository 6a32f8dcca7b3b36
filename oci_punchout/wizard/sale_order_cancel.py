from odoo import api, fields, models


class SaleOrderCancel(models.TransientModel):
    _inherit = "sale.order.cancel"

    punchout_rejects_order = fields.Boolean(compute="_compute_punchout_rejects_order")
    punchout_reject_reason = fields.Text(
        string="Reason for the Buyer",
        help="Sent to the buyer's procurement system with the rejection of its purchase order.",
    )

    @api.depends("order_id")
    def _compute_punchout_rejects_order(self):
        for wizard in self:
            order = wizard.order_id
            wizard.punchout_rejects_order = bool(
                order.punchout_po_payload_id and order.punchout_connection_id.cxml_confirmation_url
            )

    def action_cancel(self):
        self.ensure_one()
        return super(
            SaleOrderCancel,
            self.with_context(punchout_reject_reason=self.punchout_reject_reason or ""),
        ).action_cancel()
