import ast

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import email_normalize_all

from ..protocol import orders


class PunchoutConnection(models.Model):
    """Purchase orders by e-mail: the connection's order inbox (a mail alias whose mails become
    ``punchout.message`` records), who may send to it, and how PDF orders are read."""

    _name = "punchout.connection"
    _inherit = ["punchout.connection", "mail.alias.mixin"]

    alias_id = fields.Many2one(
        help="Purchase orders e-mailed to this address (XML or PDF) are matched to this "
        "buyer's quotations and confirmed."
    )
    order_mail_senders = fields.Char(
        string="Purchasing System E-mail",
        help="Addresses the buyer's purchasing system sends its orders from (comma-separated). "
        "Mails to the shared order address are routed to this connection by their sender: these "
        "addresses, else a contact of the buyer company.",
    )
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

    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("punchout.message")
        if self.id:
            values["alias_defaults"] = defaults = ast.literal_eval(self.alias_defaults or "{}")
            defaults["connection_id"] = self.id
        return values

    @api.model
    def _mail_find_by_sender(self, email_from):
        """The active connection whose buyer sends from ``email_from``: its purchasing system's
        address first, else a contact of the buyer company. Only when exactly one fits."""
        emails = set(email_normalize_all(email_from or ""))
        if not emails:
            return self.browse()
        connections = self.sudo().search([])
        by_system = connections.filtered(
            lambda c: emails & set(email_normalize_all(c.order_mail_senders or ""))
        )
        if by_system:
            return by_system if len(by_system) == 1 else self.browse()
        partners = (
            self.env["res.partner"].sudo().search([("email_normalized", "in", list(emails))])
        )
        commercial = partners.commercial_partner_id
        by_contact = connections.filtered(
            lambda c: c.partner_id.commercial_partner_id in commercial
        )
        if len(by_contact.partner_id.commercial_partner_id) == 1 and by_contact:
            # Several connections of one buyer (test, production): the production one.
            production = by_contact.filtered(lambda c: not c.test_mode)
            candidates = production or by_contact
            return candidates[0] if len(candidates) == 1 else self.browse()
        return self.browse()

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
