from odoo import api, fields, models
from odoo.exceptions import ValidationError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    punchout_session_id = fields.Many2one(
        "punchout.session", readonly=True, copy=False, index=True
    )
    punchout_connection_id = fields.Many2one(
        "punchout.connection", readonly=True, copy=False, index=True
    )
    punchout_po_number = fields.Char(
        string="Buyer's PO Number",
        readonly=True,
        copy=False,
        help="Number of the purchase order that ordered this quotation.",
    )
    punchout_po_version = fields.Integer(string="PO Version", readonly=True, copy=False)
    punchout_po_payload_id = fields.Char(
        string="PO Document ID",
        readonly=True,
        copy=False,
        help="cXML payloadID of the purchase order: confirmations and invoices refer to it.",
    )
    punchout_po_date = fields.Datetime(string="PO Date", readonly=True, copy=False)
    punchout_message_count = fields.Integer(compute="_compute_punchout_message_count")

    def init(self):
        # One sale order per purchase order of a buyer's system, even under concurrent requests.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS sale_order_punchout_po_number_uniq
                ON sale_order (punchout_connection_id, punchout_po_number)
             WHERE punchout_po_number IS NOT NULL AND state != 'cancel'
            """
        )

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

    def _cart_update(self, product_id, line_id=None, add_qty=0, set_qty=0, **kwargs):
        session = self.punchout_session_id
        current = self.env["website"].get_current_website()._punchout_current_session()
        if session and session != current:
            raise ValidationError(
                self.env._(
                    "This cart belongs to a punchout session: only that session changes it."
                )
            )
        if session and session.operation == "inspect":
            raise ValidationError(
                self.env._("This cart is opened for inspection only: it cannot be changed.")
            )
        return super()._cart_update(
            product_id, line_id=line_id, add_qty=add_qty, set_qty=set_qty, **kwargs
        )

    @api.model
    def _punchout_line_reference(self, line):
        """Our reference of a cart line, carried out and back by the buyer's system."""
        return f"{line.order_id.name}/{line.id}"

    def action_view_punchout_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_message_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        return action
