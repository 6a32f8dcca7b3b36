from odoo import fields, models
from odoo.exceptions import ValidationError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    punchout_session_id = fields.Many2one(
        "punchout.session", readonly=True, copy=False, index=True
    )
    punchout_connection_id = fields.Many2one(
        related="punchout_session_id.connection_id",
        string="Punchout Connection",
        store=True,
        index=True,
    )
    punchout_message_count = fields.Integer(compute="_compute_punchout_message_count")

    def _compute_punchout_message_count(self):
        Message = self.env["punchout.message"]
        if not Message.has_access("read"):
            self.punchout_message_count = 0
            return
        counts = dict(
            Message._read_group([("order_id", "in", self.ids)], ["order_id"], ["__count"])
        )
        for order in self:
            order.punchout_message_count = counts.get(order, 0)

    def _is_cart_ready(self):
        """A punchout cart is never checked out in the shop: it goes back to the buyer."""
        if self.punchout_session_id:
            return False
        return super()._is_cart_ready()

    def _check_cart_is_ready_to_be_paid(self):
        if self.punchout_session_id:
            raise ValidationError(
                self.env._(
                    "A punchout cart is transferred to your purchasing system, not paid here."
                )
            )
        return super()._check_cart_is_ready_to_be_paid()

    def action_view_punchout_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_message_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        return action
