import ast

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.mail.tools.alias_error import AliasError

from ..protocol import orders
from .mail_thread import punchout_raw_headers

AUTHSERV_ID_PARAM = "oci_punchout.mail_authserv_id"


class PunchoutConnection(models.Model):
    """Purchase orders by e-mail: the connection's order inbox (a mail alias whose mails become
    ``punchout.message`` records), who may send to it, and how PDF orders are read."""

    _name = "punchout.connection"
    _inherit = ["punchout.connection", "mail.alias.mixin"]

    alias_id = fields.Many2one(
        help="Purchase orders e-mailed to this address (XML or PDF) are matched to this "
        "buyer's quotations; authenticated ones are confirmed, the others wait for a "
        "salesperson's approval."
    )
    order_mail_senders = fields.Char(
        string="Purchasing System E-mail",
        help="Addresses the buyer's purchasing system sends its orders from (comma-separated). "
        "Mails to the shared order address are routed to this connection by their sender's "
        "real address: these addresses, else a contact of the buyer company.",
    )
    order_mail_trust_verified = fields.Boolean(
        string="Trust Verified Senders",
        tracking=True,
        help="Orders mailed from a Purchasing System E-mail address are applied without a "
        "salesperson's approval when our mail server verified the sender (SPF, DKIM or DMARC "
        "pass in its Authentication-Results header; set the server's name in the Sales "
        "settings). Without this, only cXML orders carrying this connection's SharedSecret are; "
        "every other order mail waits for a salesperson's approval.",
    )
    order_mail_authserv_missing = fields.Boolean(compute="_compute_order_mail_authserv_missing")
    order_po_pattern = fields.Char(
        string="PO Number Pattern",
        help="Regular expression finding the buyer's PO number in the text of a PDF order; the "
        "number is its group 'po', else its first group, else the whole match. Empty: the "
        "labels of SAP's standard PO print ('Purchase order no.', 'Bestellnummer'...).",
    )
    order_confirmation_email = fields.Char(
        string="Send Order Confirmations To",
        help="When set, every purchase order confirmed as a sales order is confirmed to this "
        "address with the sales order confirmation e-mail and its PDF.",
    )

    @api.constrains("order_po_pattern")
    def _check_order_po_pattern(self):
        for connection in self.filtered("order_po_pattern"):
            try:
                orders.compile_po_pattern(connection.order_po_pattern)
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "The PO number pattern is not a valid regular expression: %(error)s",
                        error=exc,
                    )
                ) from None

    def _compute_order_mail_authserv_missing(self):
        missing = not self.env["ir.config_parameter"].sudo().get_param(AUTHSERV_ID_PARAM)
        for connection in self:
            connection.order_mail_authserv_missing = (
                missing and connection.order_mail_trust_verified
            )

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if "alias_contact" in fields_list:
            values["alias_contact"] = "punchout_buyer"
        return values

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            vals.setdefault("alias_contact", "punchout_buyer")
        return super().create(vals_list)

    def _alias_get_error(self, message, message_dict, alias):
        """The connection's order inbox admits, by default, only the buyer: the real address
        of the sender (never its display name) must be a purchasing system address of this
        connection or a contact of the buyer company."""
        if alias.alias_contact == "punchout_buyer":
            self.ensure_one()
            Mail = self.env["punchout.mail"]
            sender = Mail._sender(punchout_raw_headers(message))
            if not (Mail._is_listed_sender(self, sender) or Mail._is_buyer_contact(self, sender)):
                return AliasError(
                    "error_punchout_buyer_restricted",
                    self.env._("restricted to the buyer's purchasing system and contacts"),
                )
            return False
        return super()._alias_get_error(message, message_dict, alias)

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("punchout.message")
        if self.id:
            values["alias_defaults"] = defaults = ast.literal_eval(self.alias_defaults or "{}")
            defaults["connection_id"] = self.id
        return values

    def _punchout_responsible(self, order=None):
        """Who acts on an e-mailed order needing a person: the order's salesperson, the
        connection's, else the first punchout manager, else the administrator."""
        if order and order.user_id.active and not order.user_id.share:
            return order.user_id
        if self and self.salesperson_id:
            return self.salesperson_id
        managers = (
            self.env.ref("oci_punchout.group_punchout_manager")
            .sudo()
            .users.filtered(
                lambda user: (
                    user.active and not user.share and user.id != self.env.ref("base.user_root").id
                )
            )
        )
        return managers.sorted("id")[:1] or self.env.ref("base.user_admin")
