from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import email_normalize

# The connection's e-invoicing settings, copied to the buyer company so that the Send wizard
# proposes them without the accountant choosing.
PARTNER_INVOICE_FIELDS = ("invoice_edi_format", "invoice_sending_method")


def _partner_selection(field_name):
    def selection(self):
        return self.env["res.partner"]._fields[field_name].selection

    return selection


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
    invoice_edi_format = fields.Selection(
        selection=_partner_selection("invoice_edi_format"),
        string="E-invoice Format",
        tracking=True,
        help="The buyer company's e-invoice format, set on the buyer when saved: Peppol BIS 3, "
        "NLCIUS or XRechnung UBL, or a cXML invoice for the buyer's procurement system.",
    )
    invoice_sending_method = fields.Selection(
        selection=_partner_selection("invoice_sending_method"),
        string="Invoice Channel",
        tracking=True,
        help="How invoices of this buyer are sent, set on the buyer when saved: by e-mail "
        "(PDF and XML to the invoice address), or posted to the buyer's procurement system "
        "(cXML).",
    )
    invoice_email = fields.Char(
        string="Invoice Address",
        tracking=True,
        help="E-mail address of the buyer's accounts payable: invoices sent by e-mail go "
        "there instead of to the buyer's contacts.",
    )
    cxml_invoice_url = fields.Char(
        string="Invoice URL",
        tracking=True,
        help="Where cXML invoices (InvoiceDetailRequest) are posted, with our credentials.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        connections = super().create(vals_list)
        connections._apply_invoice_settings_to_buyer()
        return connections

    def write(self, vals):
        result = super().write(vals)
        if set(vals) & {*PARTNER_INVOICE_FIELDS, "invoice_email", "partner_id", "company_id"}:
            self._apply_invoice_settings_to_buyer()
        return result

    def _apply_invoice_settings_to_buyer(self):
        """Make the connection's format and channel the buyer company's defaults."""
        for connection in self:
            partner = connection.partner_id.commercial_partner_id.with_company(
                connection.company_id
            )
            values = {
                name: connection[name]
                for name in PARTNER_INVOICE_FIELDS
                if connection[name] and partner[name] != connection[name]
            }
            if values:
                partner.sudo().write(values)
            connection._get_invoice_mail_partner(create=True)

    def _get_invoice_mail_partner(self, create=False):
        """The contact invoices are e-mailed to: the connection's invoice address, a contact of
        the buyer company (with its address), created with ``create``."""
        email = email_normalize(self.invoice_email or "") if len(self) == 1 else False
        if not email:
            return self.env["res.partner"]
        Partner = self.env["res.partner"].sudo()
        buyer = self.partner_id.commercial_partner_id
        contact = Partner.search(
            [("email_normalized", "=", email), ("commercial_partner_id", "=", buyer.id)], limit=1
        )
        if not contact and create:
            # A plain contact: it takes the company's address and never becomes the invoice
            # address of the buyer's orders.
            contact = Partner.create(
                {"name": self.env._("Accounts Payable"), "email": email, "parent_id": buyer.id}
            )
        return contact

    def action_receive_invoices_in_simulator(self):
        """Test connections: let the buyer simulator play the buyer's invoice receipt, so that
        the whole chain up to the cXML invoice can be tried without the buyer."""
        for connection in self:
            if connection.protocol != "cxml" or not connection.test_mode:
                raise UserError(
                    self.env._("Only test cXML connections can send invoices to the simulator.")
                )
            base_url = connection.website_id.get_base_url().rstrip("/")
            signature = self.env["punchout.simulator"]._signature(connection.id)
            # Our own simulator on this test connection: no administrator needed.
            connection.sudo().write(
                {
                    "cxml_invoice_url": (
                        f"{base_url}/punchout/simulator/{connection.id}/{signature}/cxml/invoice"
                    ),
                    "invoice_edi_format": "cxml",
                    "invoice_sending_method": "punchout_cxml",
                }
            )
