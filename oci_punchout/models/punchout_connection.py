import ast
import ipaddress
import logging
import re
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.osv import expression
from odoo.tools import config, email_normalize, escape_psql

from odoo.addons.account_edi_ubl_cii.models.account_edi_common import UOM_TO_UNECE_CODE
from odoo.addons.base.models.res_partner import _lang_get
from odoo.addons.mail.tools.alias_error import AliasError

from ..const import (
    AUTHSERV_ID_PARAM,
    PROXY_HEADERS_PARAM,
    SECRET_CRYPT_CONTEXT,
    STRONG_SECRET_LENGTH,
)
from ..protocol import browser, orders
from .mail_thread import punchout_raw_headers

_logger = logging.getLogger(__name__)

TEST_MODE_HOSTS = ("localhost", "127.0.0.1")
POST_TIMEOUT = 30
MAX_ANSWER_BYTES = 1024 * 1024
# Where our documents go and what they carry: only an administrator changes these.
ADMIN_FIELDS = {
    "test_mode",
    "cxml_confirmation_url",
    "cxml_invoice_url",
    "cxml_outbound_secret",
    "catalog_delivery_url",
    "cxml_shared_secret",
    "oci_password",
}
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# The connection's e-invoicing settings, copied to the buyer company so that the Send wizard
# proposes them without the accountant choosing.
PARTNER_INVOICE_FIELDS = ("invoice_edi_format", "invoice_sending_method")


def _partner_selection(field_name):
    def selection(self):
        return self.env["res.partner"]._fields[field_name].selection

    return selection


class DeliveryRefused(requests.RequestException):
    """We did not deliver a document (forbidden target, redirect, oversized answer)."""


class PunchoutConnection(models.Model):
    """A buyer's punchout connection: who the buyer is, what it sees and pays, how its system
    reaches us (SAP OCI or cXML) and how its orders and invoices travel. The flows themselves
    are in punchout.oci, punchout.cxml and punchout.mail."""

    _name = "punchout.connection"
    _description = "Punchout Connection"
    _inherit = ["mail.thread", "mail.alias.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        required=True,
        copy=False,
        tracking=True,
        help="Short key of the connection in its catalogue URL: /punchout/oci/<code>.",
    )
    active = fields.Boolean(default=True, tracking=True)
    test_mode = fields.Boolean(
        default=True,
        tracking=True,
        help="Test connections also accept return URLs on http://localhost and "
        "http://127.0.0.1, for the buyer simulator and the buyer's test systems.",
    )
    protocol = fields.Selection(
        [("oci", "SAP OCI"), ("cxml", "cXML"), ("s4", "SAP S/4HANA (OCI + SOAP)")],
        required=True,
        default="oci",
        tracking=True,
        help="SAP S/4HANA: buyers punch in with OCI and send their purchase orders over SOAP "
        "(SAP's EDI messages, no Ariba); confirmations, delivery notifications and invoices go "
        "back the same way.",
    )
    system_name = fields.Char(
        string="Procurement System",
        required=True,
        default="SAP",
        help="Shown to the buyer's users on the button that returns the cart, "
        "e.g. 'Transfer to SAP SRM'.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, tracking=True
    )
    website_id = fields.Many2one(
        "website",
        required=True,
        default=lambda self: self.env["website"].search(
            [("company_id", "=", self.env.company.id)], limit=1
        ),
        domain="[('company_id', '=', company_id)]",
        tracking=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Buyer Company",
        required=True,
        domain=[("is_company", "=", True)],
        tracking=True,
    )
    pricelist_id = fields.Many2one(
        "product.pricelist",
        required=True,
        tracking=True,
        help="Every price the buyer's users see and receive comes from this pricelist.",
    )
    currency_id = fields.Many2one(related="pricelist_id.currency_id")
    user_id = fields.Many2one(
        "res.users",
        string="Default Portal User",
        required=True,
        domain=[("share", "=", True)],
        tracking=True,
        help="The portal user every punch-in logs in as, unless the buyer's system names "
        "its own user and the end-user policy allows it.",
    )
    salesperson_id = fields.Many2one("res.users", domain=[("share", "=", False)], tracking=True)
    allowed_return_urls = fields.Text(
        string="Allowed Return URLs",
        help="One URL prefix per line. The buyer's return URL (OCI HOOK_URL) must start with one "
        "of them: https URLs, or SAPEVENT: for the SAP GUI.",
    )
    item_hierarchy = fields.Boolean(
        string="Combo Products as Item Hierarchies",
        help="A combo product goes back in the cart as a parent line with its items under it "
        "(OCI 5.0 ITEM_TYPE and PARENT_ID, cXML composite items with parentLineNumber). Off: "
        "every line on its own, as older buyers' systems expect.",
    )
    embedded_in_frame = fields.Boolean(
        string="Embedded in the Buyer's Frame",
        help="The buyer's system shows the catalogue inside its own page (an iframe): for this "
        "connection's sessions only, the session cookie is sent with SameSite=None; Secure; "
        "Partitioned and shop pages allow the frame origins below. Needs https (http only for "
        "test connections on localhost or 127.0.0.1).",
    )
    frame_origins = fields.Text(
        string="Allowed Frame Origins",
        help="One origin per line (https://srm.buyer.example): the pages that may show the "
        "catalogue in a frame. Empty: the hosts of the allowed return URLs.",
    )
    allowed_public_categ_ids = fields.Many2many(
        "product.public.category",
        string="Assortment",
        help="When set, the buyer's users only see and order products of these eCommerce "
        "categories and their sub-categories.",
    )
    end_user_policy = fields.Selection(
        [
            ("default", "Always the default user"),
            ("existing", "Existing contacts of the buyer, else the default user"),
            ("create", "Create contacts and portal users for new end users"),
        ],
        default="default",
        required=True,
        tracking=True,
    )
    quotation_validity_days = fields.Integer(
        default=30,
        help="Transferred carts stay valid quotations for this many days; unordered ones are "
        "then cancelled.",
    )
    session_timeout_hours = fields.Integer(
        default=8, help="Open punch-in sessions without a transfer expire after this many hours."
    )

    order_deviation_policy = fields.Selection(
        [
            ("accept", "Accept the buyer's prices and quantities"),
            ("flag", "Keep ours and flag the order for review"),
            ("refuse", "Refuse the order"),
        ],
        string="Price/Quantity Deviations",
        default="flag",
        required=True,
        tracking=True,
    )
    order_price_tolerance = fields.Float(
        string="Price Tolerance (%)",
        default=0.0,
        help="Price differences up to this percentage are not deviations.",
    )

    unit_code_ids = fields.One2many(
        "punchout.unit.code",
        "connection_id",
        string="Unit Codes",
        help="Unit codes this buyer expects instead of the UN/ECE code, e.g. SAP's ST or KG.",
    )

    session_ids = fields.One2many("punchout.session", "connection_id", string="Sessions")
    message_log_ids = fields.One2many(
        "punchout.message", "connection_id", string="Punchout Messages"
    )
    session_count = fields.Integer(compute="_compute_counts")
    message_log_count = fields.Integer(compute="_compute_counts")
    order_count = fields.Integer(compute="_compute_counts")
    catalogue_url = fields.Char(string="Catalogue URL", compute="_compute_catalogue_url")
    proxy_mode_warning = fields.Boolean(compute="_compute_proxy_mode_warning")

    # --- SAP OCI: punch-in credentials and the NEW_ITEM fields
    oci_username_param = fields.Char(string="User Name Parameter", default="USERNAME")
    oci_password_param = fields.Char(string="Password Parameter", default="PASSWORD")
    oci_username = fields.Char(string="User Name", tracking=True, groups="base.group_system")
    oci_password_hash = fields.Char(string="Password Hash", copy=False, groups="base.group_system")
    oci_password = fields.Char(
        string="Password",
        compute="_compute_oci_password",
        inverse="_inverse_oci_password",
        groups="base.group_system",
        help="Stored hashed: type a new one to replace it.",
    )
    oci_password_set = fields.Boolean(string="Password Set", compute="_compute_oci_password")
    oci_end_user_param = fields.Char(
        string="End-User Parameter",
        help="Name of a punch-in parameter carrying the end user's e-mail address "
        "(e.g. EMAIL), used with the end-user policy.",
    )
    oci_index_base = fields.Selection(
        [("1", "1 (standard)"), ("0", "0")], string="First Line Index", default="1", required=True
    )
    oci_send_empty_fields = fields.Boolean(
        string="Send Empty Fields",
        help="Some buyers' systems need every optional NEW_ITEM field present, even empty.",
    )
    oci_vendor_number = fields.Char(
        string="Vendor Number", help="Our supplier number in the buyer's system (VENDOR)."
    )
    oci_matgroup_source = fields.Selection(
        [
            ("none", "Not sent"),
            ("classification", "Category classification code"),
            ("category", "Product category name"),
        ],
        string="Material Group (MATGROUP)",
        default="classification",
        required=True,
    )
    oci_cust_field1_id = fields.Many2one(
        "ir.model.fields",
        string="CUST_FIELD1",
        domain="[('model', '=', 'product.product'), ('ttype', 'in', ('char', 'text', 'integer', "
        "'float', 'selection', 'many2one', 'boolean'))]",
        ondelete="set null",
    )
    oci_cust_field2_id = fields.Many2one(
        "ir.model.fields",
        string="CUST_FIELD2",
        domain="[('model', '=', 'product.product'), ('ttype', 'in', ('char', 'text', 'integer', "
        "'float', 'selection', 'many2one', 'boolean'))]",
        ondelete="set null",
    )
    oci_cust_field3_id = fields.Many2one(
        "ir.model.fields",
        string="CUST_FIELD3",
        domain="[('model', '=', 'product.product'), ('ttype', 'in', ('char', 'text', 'integer', "
        "'float', 'selection', 'many2one', 'boolean'))]",
        ondelete="set null",
    )
    oci_cust_field4_id = fields.Many2one(
        "ir.model.fields",
        string="CUST_FIELD4",
        domain="[('model', '=', 'product.product'), ('ttype', 'in', ('char', 'text', 'integer', "
        "'float', 'selection', 'many2one', 'boolean'))]",
        ondelete="set null",
    )
    oci_cust_field5_id = fields.Many2one(
        "ir.model.fields",
        string="CUST_FIELD5",
        domain="[('model', '=', 'product.product'), ('ttype', 'in', ('char', 'text', 'integer', "
        "'float', 'selection', 'many2one', 'boolean'))]",
        ondelete="set null",
    )

    # --- cXML: the buyer's identities, secrets and cart options
    cxml_buyer_domain = fields.Char(
        string="Buyer Credential Domain",
        default="NetworkID",
        help="Domain of the buyer's From/Sender credential, e.g. NetworkID or DUNS.",
    )
    cxml_buyer_identity = fields.Char(
        string="Buyer Identity", tracking=True, help="The buyer's From/Sender identity."
    )
    cxml_supplier_domain = fields.Char(string="Our Credential Domain", default="NetworkID")
    cxml_supplier_identity = fields.Char(
        string="Our Identity",
        help="Our identity in the buyer's network: the To of its requests, the From of ours.",
    )
    cxml_shared_secret_hash = fields.Char(
        string="Shared Secret Hash", copy=False, groups="base.group_system"
    )
    cxml_shared_secret = fields.Char(
        string="Shared Secret",
        compute="_compute_cxml_shared_secret",
        inverse="_inverse_cxml_shared_secret",
        groups="base.group_system",
        help="The secret the buyer's system sends; stored hashed: type a new one to replace it.",
    )
    cxml_shared_secret_set = fields.Boolean(
        string="Shared Secret Set", compute="_compute_cxml_shared_secret"
    )
    cxml_shared_secret_short = fields.Boolean(
        string="Short Shared Secret",
        readonly=True,
        copy=False,
        help="The shared secret was typed and is shorter than a generated one.",
    )
    cxml_outbound_secret = fields.Char(
        string="Secret for Our Documents",
        copy=False,
        groups="base.group_system",
        help="The shared secret we send with our documents to the buyer's system "
        "(confirmations, invoices). The buyer's system verifies it, so it is kept as typed.",
    )
    cxml_form_field_name = fields.Char(
        string="Cart Field Name",
        default="cxml-urlencoded",
        help="Name of the hidden field carrying the cart message (cxml-urlencoded, "
        "cxml-base64; some systems want other letter cases).",
    )
    cxml_form_encoding = fields.Selection(
        [("urlencoded", "Plain XML (cxml-urlencoded)"), ("base64", "Base64 (cxml-base64)")],
        string="Cart Encoding",
        default="urlencoded",
        required=True,
    )
    cxml_operation_allowed = fields.Selection(
        [("create", "Create"), ("inspect", "Inspect"), ("edit", "Edit")],
        string="Allowed Cart Operation",
        default="edit",
        required=True,
        help="What the buyer's system may do with a returned cart later: open it again to "
        "edit it, only to inspect it, or neither.",
    )
    cxml_classification_domain = fields.Char(
        string="Default Classification Domain", default="UNSPSC"
    )
    cxml_classification_code = fields.Char(
        string="Default Classification Code",
        help="Sent for products whose category has no classification code.",
    )
    cxml_confirmation_url = fields.Char(
        string="Confirmation URL",
        help="Where order confirmations (ConfirmationRequest) are posted; empty: none sent.",
    )

    # --- SAP S/4HANA over SOAP: purchase orders in, confirmations and invoices out
    s4_confirmation_url = fields.Char(
        string="Order Confirmation Service",
        help="The buyer's OrderConfRequest_In endpoint; empty: no confirmations sent.",
    )
    s4_invoice_url = fields.Char(
        string="Invoice Service",
        help="The buyer's InvoiceRequest_In endpoint, for invoices sent from the Send dialog.",
    )
    s4_outbound_username = fields.Char(
        string="Our User at the Buyer",
        copy=False,
        groups="base.group_system",
        help="HTTP Basic credentials the buyer's S/4HANA gave us for its inbound services.",
    )
    s4_outbound_password = fields.Char(
        string="Our Password at the Buyer",
        copy=False,
        groups="base.group_system",
        help="Kept as typed: it is sent with each document.",
    )
    s4_wsdl = fields.Binary(
        string="Buyer's WSDL",
        attachment=True,
        help="The WSDL of the buyer's inbound services, if it differs from ours (the same "
        "message names are needed). Empty: the project's own. It must be self-contained: "
        "nothing it imports is fetched.",
    )
    s4_wsdl_name = fields.Char(string="WSDL File Name")
    s4_endpoint_url = fields.Char(
        string="Purchase Order Endpoint", compute="_compute_catalogue_url"
    )

    # --- Catalogue: for buyers who load it instead of punching in for every item
    catalog_format = fields.Selection(
        [
            ("cxml-index", "cXML Index"),
            ("cif", "CIF 3.0"),
            ("bmecat", "BMEcat 2005"),
            ("oci5-json", "OCI 5.0 JSON"),
        ],
        string="Catalogue Format",
        default="cxml-index",
        help="The format the buyer's system loads this connection's catalogue in.",
    )
    catalog_punchout_items = fields.Boolean(
        string="Punch In at Each Item",
        help="cXML Index: each item as an IndexItemPunchout ('level 2'): the buyer's system "
        "shows it from the loaded catalogue and punches in at it, opening its page in the shop "
        "(live price, stock and options), instead of an item bought straight from the catalogue.",
    )
    catalog_lang = fields.Selection(
        _lang_get,
        string="Catalogue Language",
        help="The language of the catalogue's texts (names, descriptions). Empty: the buyer's "
        "language. OCI 5.0 replications (DOWNLOADJSON) use it too.",
    )
    catalog_delivery = fields.Selection(
        [("none", "Not Sent"), ("email", "By E-mail"), ("url", "Posted to a URL")],
        string="Scheduled Delivery",
        default="none",
        required=True,
        help="Send the catalogue on a schedule: e-mailed as an attachment, or posted to the "
        "buyer's system. Each delivery is kept in the exchange log with the file.",
    )
    catalog_delivery_email = fields.Char(string="Send To", help="The buyer's catalogue address.")
    catalog_delivery_url = fields.Char(
        string="Catalogue Upload URL",
        help="Where the buyer's system receives catalogue files (an HTTP POST of the file). "
        "Only administrators change it.",
    )
    catalog_delivery_interval = fields.Selection(
        [("days", "Daily"), ("weeks", "Weekly"), ("months", "Monthly")],
        string="Every",
        default="weeks",
        required=True,
    )
    catalog_delivery_changes_only = fields.Boolean(
        string="Changes Only",
        help="After the first (full) delivery, only the products changed since the last "
        "delivered one (an incremental load).",
    )
    catalog_next_delivery = fields.Datetime(
        string="Next Delivery", help="Empty: at the next run of the delivery job."
    )
    catalog_delivered_at = fields.Datetime(
        string="Last Delivered",
        readonly=True,
        copy=False,
        help="When the catalogue last delivered was made; the next 'changes only' delivery "
        "holds what changed since.",
    )
    catalog_since = fields.Datetime(
        string="Changes Since",
        help="Empty: the whole catalogue. Set: only the products changed since then "
        "(an incremental load).",
    )

    # --- Purchase orders by e-mail: the order inbox (a mail alias) and who may send to it
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

    # --- E-invoicing: the format, channel and references the buyer's system expects
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

    _sql_constraints = [
        ("code_unique", "unique(code)", "The connection code must be unique."),
        (
            "validity_positive",
            "CHECK(quotation_validity_days > 0 AND session_timeout_hours > 0)",
            "Validity and timeout must be positive.",
        ),
    ]

    # ------------------------------------------------------------------
    # Computes, constraints, CRUD
    # ------------------------------------------------------------------

    def _compute_counts(self):
        for connection in self:
            connection.session_count = self.env["punchout.session"].search_count(
                [("connection_id", "=", connection.id)]
            )
            connection.message_log_count = self.env["punchout.message"].search_count(
                [("connection_id", "=", connection.id)]
            )
            connection.order_count = self.env["sale.order"].search_count(
                [("punchout_connection_id", "=", connection.id)]
            )

    def _compute_proxy_mode_warning(self):
        seen = self.env["ir.config_parameter"].sudo().get_param(PROXY_HEADERS_PARAM)
        self.proxy_mode_warning = bool(seen) and not config.get("proxy_mode")

    @api.depends("code", "website_id", "protocol")
    def _compute_catalogue_url(self):
        for connection in self:
            base_url = connection.website_id.get_base_url() if connection.website_id else ""
            connection.catalogue_url = (
                f"{base_url}/punchout/oci/{connection.code}" if connection.code else False
            )
            connection.s4_endpoint_url = (
                f"{base_url}/punchout/s4/{connection.code}"
                if connection.code and connection.protocol == "s4"
                else False
            )

    @api.constrains("code")
    def _check_code(self):
        for connection in self:
            if not CODE_PATTERN.match(connection.code or ""):
                raise ValidationError(
                    self.env._(
                        "The code '%(code)s' may only hold letters, digits, '-', '_' and '.'.",
                        code=connection.code,
                    )
                )

    @api.constrains("user_id", "partner_id")
    def _check_user(self):
        for connection in self:
            user = connection.user_id
            if not user.share:
                raise ValidationError(
                    self.env._("The default user of a punchout connection must be a portal user.")
                )
            if (
                user.partner_id.commercial_partner_id
                != connection.partner_id.commercial_partner_id
            ):
                raise ValidationError(
                    self.env._(
                        "The default user %(user)s does not belong to the buyer company "
                        "%(buyer)s.",
                        user=user.display_name,
                        buyer=connection.partner_id.display_name,
                    )
                )

    @api.constrains("frame_origins", "test_mode")
    def _check_frame_origins(self):
        for connection in self:
            for line in (connection.frame_origins or "").splitlines():
                if not line.strip():
                    continue
                try:
                    browser.frame_origin(line, allow_local_http=connection.test_mode)
                except ValueError as exc:
                    raise ValidationError(
                        self.env._("Allowed frame origins: %(error)s", error=exc)
                    ) from None

    @api.constrains(
        "catalog_delivery", "catalog_delivery_email", "catalog_delivery_url", "test_mode"
    )
    def _check_catalog_delivery(self):
        for connection in self:
            if connection.catalog_delivery == "email" and not email_normalize(
                connection.catalog_delivery_email or ""
            ):
                raise ValidationError(
                    self.env._("The catalogue is e-mailed: give the address to send it to.")
                )
            url = (connection.catalog_delivery_url or "").strip().lower()
            if connection.catalog_delivery == "url" and not (
                url.startswith("https://") or (connection.test_mode and url.startswith("http://"))
            ):
                raise ValidationError(
                    self.env._(
                        "The catalogue is posted to the buyer's system: its URL must start "
                        "with https:// (http:// only for test connections), the prices are "
                        "the buyer's own."
                    )
                )

    def action_receive_s4_documents_in_simulator(self):
        """Test S/4HANA connections: let the buyer simulator play the buyer's inbound
        services (order confirmations, invoices; delivery notifications with stock)."""
        for connection in self:
            if connection.protocol != "s4" or not connection.test_mode:
                raise UserError(
                    self.env._("Only test S/4HANA connections can send to the simulator.")
                )
            # Our own simulator on this test connection: no administrator needed.
            connection.sudo().write(connection._s4_simulator_urls())

    def _s4_simulator_urls(self):
        self.ensure_one()
        base_url = self.website_id.get_base_url().rstrip("/")
        signature = self.env["punchout.simulator"]._signature(self.id)
        prefix = f"{base_url}/punchout/simulator/{self.id}/{signature}/s4"
        return {
            "s4_confirmation_url": f"{prefix}/OrderConfRequest_In",
            "s4_invoice_url": f"{prefix}/InvoiceRequest_In",
        }

    def action_deliver_catalog(self):
        """Send the catalogue now as the schedule would (the log shows the delivery)."""
        self.ensure_one()
        message = self.env["punchout.catalog"]._deliver(self)
        return {
            "type": "ir.actions.act_window",
            "res_model": "punchout.message",
            "res_id": message.id,
            "view_mode": "form",
        }

    def action_download_catalog(self):
        """Download this buyer's catalogue in its format (``/punchout/catalog/...``)."""
        self.ensure_one()
        url = f"/punchout/catalog/{self.code}/{self.catalog_format or 'cxml-index'}"
        if self.catalog_since:
            url += "?since=" + fields.Datetime.to_string(self.catalog_since).replace(" ", "T")
        return {"type": "ir.actions.act_url", "url": url, "target": "self"}

    def _combo_parents(self, lines):
        """``{line: its combo line}`` of the sale order ``lines`` that are items of a combo
        product among ``lines``, when this connection sends item hierarchies."""
        self.ensure_one()
        if not self.item_hierarchy:
            return {}
        return {
            line: line.linked_line_id
            for line in lines
            if line.combo_item_id
            and line.linked_line_id in lines
            and line.linked_line_id.product_type == "combo"
        }

    def _frame_ancestors(self):
        """The origins that may show this connection's catalogue in a frame: the allowed frame
        origins, else those of the allowed return URLs (SAPEVENT: and others left out)."""
        self.ensure_one()
        lines = (self.frame_origins or "").splitlines() or self._get_return_url_prefixes()
        origins = []
        for line in lines:
            try:
                origin = browser.frame_origin(line, allow_local_http=self.test_mode)
            except ValueError:
                continue
            if origin not in origins:
                origins.append(origin)
        return origins

    @api.constrains("allowed_return_urls", "test_mode")
    def _check_allowed_return_urls(self):
        for connection in self:
            for prefix in connection._get_return_url_prefixes():
                if prefix.upper().startswith("SAPEVENT:"):
                    continue
                if not (
                    prefix.startswith("https://")
                    or (connection.test_mode and prefix.startswith("http://"))
                ):
                    raise ValidationError(
                        self.env._(
                            "Return URL prefix '%(prefix)s' must start with https:// "
                            "(http:// only for test connections) or SAPEVENT:.",
                            prefix=prefix,
                        )
                    )

    @api.depends("oci_password_hash")
    def _compute_oci_password(self):
        for connection in self:
            connection.oci_password = False
            connection.oci_password_set = bool(connection.sudo().oci_password_hash)

    def _inverse_oci_password(self):
        crypt_context = self.env["res.users"]._crypt_context()
        for connection in self:
            if connection.oci_password:
                connection.oci_password_hash = crypt_context.hash(connection.oci_password)

    @api.constrains(
        "cxml_invoice_url",
        "cxml_confirmation_url",
        "s4_confirmation_url",
        "s4_invoice_url",
        "test_mode",
    )
    def _check_outbound_urls(self):
        for connection in self:
            connection._check_secret_carrying_url(connection.cxml_invoice_url)
            connection._check_secret_carrying_url(connection.cxml_confirmation_url)
            connection._check_secret_carrying_url(connection.s4_confirmation_url)
            connection._check_secret_carrying_url(connection.s4_invoice_url)

    def _check_secret_carrying_url(self, url):
        """Our documents carry our shared secret: they go over https, plain http only to a
        test connection (the buyer's test system, the simulator)."""
        self.ensure_one()
        if not url:
            return
        url = url.strip().lower()
        if not (url.startswith("https://") or (self.test_mode and url.startswith("http://"))):
            raise ValidationError(
                self.env._(
                    "The buyer's URL %(url)s must start with https:// (http:// only "
                    "for test connections): our documents carry our shared secret.",
                    url=url,
                )
            )

    @api.depends("cxml_shared_secret_hash")
    def _compute_cxml_shared_secret(self):
        for connection in self:
            connection.cxml_shared_secret = False
            connection.cxml_shared_secret_set = bool(connection.sudo().cxml_shared_secret_hash)

    def _inverse_cxml_shared_secret(self):
        for connection in self:
            secret = connection.cxml_shared_secret
            if secret:
                connection.sudo().write(
                    {
                        "cxml_shared_secret_hash": SECRET_CRYPT_CONTEXT.hash(secret),
                        "cxml_shared_secret_short": len(secret) < STRONG_SECRET_LENGTH,
                    }
                )

    def action_generate_cxml_shared_secret(self):
        """A new random shared secret, shown once to the administrator to give the buyer."""
        self.ensure_one()
        if not self.env.is_system():
            raise AccessError(self.env._("Only an administrator may set the shared secret."))
        secret = secrets.token_urlsafe(32)
        self.cxml_shared_secret = secret
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("New shared secret"),
                "message": self.env._(
                    "Give this secret to the buyer's system now: it is stored hashed and "
                    "cannot be shown again. %(secret)s",
                    secret=secret,
                ),
                "sticky": True,
                "type": "warning",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_admin_fields(vals, creating=True)
            vals.setdefault("alias_contact", "punchout_buyer")
        connections = super().create(vals_list)
        connections._apply_invoice_settings_to_buyer()
        return connections

    def write(self, vals):
        self._check_admin_fields(vals)
        result = super().write(vals)
        if set(vals) & {*PARTNER_INVOICE_FIELDS, "invoice_email", "partner_id", "company_id"}:
            self._apply_invoice_settings_to_buyer()
        return result

    def _admin_fields(self):
        """The settings only an administrator changes (modules add their target URLs)."""
        return set(ADMIN_FIELDS)

    def _check_admin_fields(self, vals, creating=False):
        """Target URLs, secrets and test mode decide where our secrets go: administrators
        only."""
        if self.env.su or self.env.user._is_system():
            return
        names = self._admin_fields() & set(vals)
        if creating:
            # A new connection has no URL or secret yet: its test mode alone reaches nothing.
            names = {name for name in names - {"test_mode"} if vals[name]}
        if names:
            labels = ", ".join(sorted(self._fields[name].string for name in names))
            raise AccessError(
                self.env._(
                    "Only an administrator may change these settings of a punchout connection: "
                    "%(fields)s.",
                    fields=labels,
                )
            )

    # ------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------

    def action_view_sessions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_session_action"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        action["context"] = {"default_connection_id": self.id}
        return action

    def action_view_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_message_action"
        )
        action["domain"] = [("connection_id", "=", self.id)]
        return action

    def action_view_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sale.action_quotations_with_onboarding"
        )
        action["domain"] = [("punchout_connection_id", "=", self.id)]
        action["context"] = {}
        return action

    def action_open_simulator(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_url",
            "url": f"/punchout/simulator/{self.id}",
            "target": "new",
        }

    # ------------------------------------------------------------------
    # Look-up and checks shared by every protocol
    # ------------------------------------------------------------------

    def _get_return_url_prefixes(self):
        self.ensure_one()
        prefixes = [
            line.strip() for line in (self.allowed_return_urls or "").splitlines() if line.strip()
        ]
        return prefixes

    def _check_return_url(self, url):
        """Raise InvalidReturnUrl unless ``url`` is one of this connection's return URLs.

        Test connections also accept any port on localhost and 127.0.0.1 (simulator, buyers'
        test systems on a developer machine).
        """
        self.ensure_one()
        prefixes = self._get_return_url_prefixes()
        # The built-in buyer simulator's return pages (signed URLs) on this shop.
        prefixes.append(f"{self.website_id.get_base_url().rstrip('/')}/punchout/simulator/return/")
        parts = urlsplit(url or "")
        if self.test_mode and parts.hostname in TEST_MODE_HOSTS and "@" not in parts.netloc:
            prefixes.append(f"{parts.scheme}://{parts.netloc}/")
        browser.check_return_url(url, prefixes, allow_http=self.test_mode)

    def _get_product_domain(self):
        """Domain on product.template of what this buyer may see and order."""
        self.ensure_one()
        domain = [("sale_ok", "=", True)]
        if self.allowed_public_categ_ids:
            domain = expression.AND(
                [domain, [("public_categ_ids", "child_of", self.allowed_public_categ_ids.ids)]]
            )
        return domain

    def _get_shop_product_domain(self):
        """The assortment plus what the website shows anyone (published, website)."""
        self.ensure_one()
        return expression.AND(
            [
                self._get_product_domain(),
                self.website_id.website_domain(),
                [("is_published", "=", True)],
            ]
        )

    def _filter_orderable(self, products, in_shop=True):
        """The products this buyer may order: active, saleable and in the assortment, and with
        ``in_shop`` also published on the connection's website (what the shop's add to cart
        allows). A purchase order may name unpublished products (a catalogue upload)."""
        self.ensure_one()
        products = products.sudo()
        domain = self._get_shop_product_domain() if in_shop else self._get_product_domain()
        templates = products.product_tmpl_id.filtered_domain(domain)
        return products.filtered(
            lambda product: product.active and product.product_tmpl_id in templates
        )

    def _get_end_user(self, email, name=None):
        """The portal user a punch-in logs in as: a named end user if the policy allows."""
        self.ensure_one()
        email = email_normalize(email or "")
        if not email or self.end_user_policy == "default":
            return self.user_id
        commercial = self.partner_id.commercial_partner_id
        Users = self.env["res.users"].sudo().with_context(active_test=True)
        # =ilike with % and _ escaped: an exact, case-insensitive match of the normalized address.
        login_domain = [("login", "=ilike", escape_psql(email))]
        user = Users.search(
            [
                *login_domain,
                ("share", "=", True),
                ("partner_id.commercial_partner_id", "=", commercial.id),
            ],
            limit=1,
        )
        if user:
            return user
        if self.end_user_policy != "create":
            return self.user_id
        if Users.with_context(active_test=False).search_count(login_domain):
            # The address belongs to someone outside this buyer: never take over that account.
            _logger.warning(
                "Punchout %s: end user %s exists outside the buyer company; "
                "using the default user",
                self.code,
                email,
            )
            return self.user_id
        partner = (
            self.env["res.partner"]
            .sudo()
            .create(
                {
                    "name": name or email.split("@")[0],
                    "email": email,
                    "parent_id": commercial.id,
                    "type": "contact",
                }
            )
        )
        return Users.with_context(no_reset_password=True).create(
            {
                "login": email,
                "partner_id": partner.id,
                "company_id": self.company_id.id,
                "company_ids": [(6, 0, self.company_id.ids)],
                "groups_id": [(6, 0, [self.env.ref("base.group_portal").id])],
            }
        )

    def _get_unit_code(self, uom):
        """The unit code this buyer expects for ``uom``: its override, else UN/ECE Rec 20."""
        return self._get_unit_codes(uom)[uom.id]

    def _get_unit_codes(self, uoms, strict=False):
        """``{uom id: code}`` of ``_get_unit_code`` for all ``uoms`` at once (documents of many
        lines: one query for Odoo's UN/ECE codes, not one per line). ``strict``: units without
        an override or a UN/ECE code of Odoo's get None instead of C62 (catalogues)."""
        self.ensure_one()
        codes = {}
        for line in self.unit_code_ids:
            codes.setdefault(line.uom_id.id, line.code)
        others = uoms.filtered(lambda uom: uom.id not in codes)
        xmlids = others.get_external_id() if others else {}
        for uom in others:
            # Odoo's own mapping (account_edi_ubl_cii), C62 for units it does not know.
            codes[uom.id] = UOM_TO_UNECE_CODE.get(xmlids.get(uom.id), None if strict else "C62")
        return codes

    def _open_session(self, protocol, user, operation="create", **values):
        """Create a punchout session, its fresh cart and a single-use start token.

        :returns: (session, token) where token is the clear start token (only its hash is kept)
        """
        self.ensure_one()
        session = (
            self.env["punchout.session"]
            .sudo()
            .create(
                {
                    "connection_id": self.id,
                    "protocol": protocol,
                    "operation": operation,
                    "user_id": user.id,
                    **values,
                }
            )
        )
        session._create_cart()
        token = session._issue_start_token()
        return session, token

    def _punchout_post(self, url, body, content_type="text/xml; charset=UTF-8", headers=None):
        """The one place where we call a buyer's system (mocked in tests).

        Never follows a redirect (it would carry our secret elsewhere) and reads at most
        MAX_ANSWER_BYTES of the answer.

        :raises requests.RequestException: not delivered (DeliveryRefused: by our own rules)
        """
        self.ensure_one()
        self._check_outbound_url(url)
        with requests.post(
            url,
            data=body,
            headers={**(headers or {}), "Content-Type": content_type},
            timeout=POST_TIMEOUT,
            allow_redirects=False,
            stream=True,
        ) as response:
            if response.is_redirect or 300 <= response.status_code < 400:
                raise DeliveryRefused(
                    f"The buyer's system answered HTTP {response.status_code} redirecting to "
                    f"{response.headers.get('Location', '')!r}: redirects are not followed. "
                    "Set the final URL on the connection."
                )
            content = bytearray()
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > MAX_ANSWER_BYTES:
                    raise DeliveryRefused(
                        f"The buyer's system answered with more than {MAX_ANSWER_BYTES} bytes."
                    )
            return response.status_code, bytes(content)

    def _check_outbound_url(self, url):
        """Refuse targets on private, loopback, link-local, multicast or reserved addresses
        (our own network) outside test mode: every address the host resolves to is checked."""
        self.ensure_one()
        parts = urlsplit(url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise DeliveryRefused(f"Not an http(s) URL: {url!r}.")
        if self.test_mode:
            return
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
        except (OSError, ValueError) as exc:
            raise DeliveryRefused(f"Cannot resolve {parts.hostname}: {exc}") from exc
        for info in infos:
            address = ipaddress.ip_address(info[4][0].split("%")[0])
            if (
                address.is_private
                or address.is_loopback
                or address.is_link_local
                or address.is_multicast
                or address.is_reserved
                or address.is_unspecified
                or not address.is_global
            ):
                raise DeliveryRefused(
                    f"{parts.hostname} is a non-public address ({address}): only test "
                    "connections may send there."
                )

    def _punchout_receive_order(
        self, purchase_order, message, document_id=None, attachments=(), quotation=None
    ):
        """Apply a buyer's purchase order (any channel) through the matcher, link it to its
        ``message``, attach the source documents to the order and queue the confirmations.

        :param attachments: [(file name, bytes, mimetype)] kept on the sale order
        :returns: (sale order, notes for a salesperson)
        :raises PunchoutProtocolError: refused (duplicate, unknown order, deviations...)
        """
        self.ensure_one()
        order, notes = self.env["punchout.order.matcher"]._process(
            self, purchase_order, payload_id=document_id, quotation=quotation
        )
        message.order_id = order
        if order.punchout_session_id:
            message.session_id = order.punchout_session_id
        for name, content, mimetype in attachments:
            self.env["ir.attachment"].sudo().create(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": "sale.order",
                    "res_id": order.id,
                }
            )
        if purchase_order.order_type in ("new", "update") and order.state == "sale":
            self.env["punchout.cxml"]._queue_confirmation(self, order, purchase_order)
        if purchase_order.order_type == "new" and order.state == "sale":
            self.env["punchout.mail"]._send_confirmation(self, order)
        return order, notes

    # ------------------------------------------------------------------
    # Orders by e-mail: the order inbox
    # ------------------------------------------------------------------

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

    # ------------------------------------------------------------------
    # E-invoicing: the buyer company's settings
    # ------------------------------------------------------------------

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

    @api.model
    def _cron_deliver_catalogs(self, batch_size=5):
        """Deliver the catalogues that are due, a few per run (the job's transaction is
        committed after each run); one failing does not hold up the others."""
        due = self.sudo().search(
            [
                ("catalog_delivery", "!=", "none"),
                "|",
                ("catalog_next_delivery", "=", False),
                ("catalog_next_delivery", "<=", fields.Datetime.now()),
            ],
            order="catalog_next_delivery, id",
            limit=batch_size,
        )
        for connection in due:
            try:
                with self.env.cr.savepoint():
                    self.env["punchout.catalog"]._deliver(connection)
            except Exception:
                _logger.exception("Catalogue delivery of connection %s failed", connection.code)
                # Not again at once: the error is in the server's log.
                connection.catalog_next_delivery = fields.Datetime.now() + timedelta(hours=6)
        if len(due) == batch_size:
            self.env.ref("oci_punchout.ir_cron_punchout_deliver_catalogs")._trigger()

    @api.model
    def _cron_expire(self):
        """Expire idle punch-in sessions and cancel transferred quotations past validity."""
        now = fields.Datetime.now()
        Session = self.env["punchout.session"].sudo()
        open_sessions = Session.search([("state", "=", "open")])
        idle = open_sessions.filtered(
            lambda session: (
                session.create_date
                < now - timedelta(hours=session.connection_id.session_timeout_hours)
            )
        )
        idle._expire()
        today = fields.Date.context_today(self)
        stale = Session.search(
            [
                ("state", "=", "transferred"),
                ("order_id.state", "in", ("draft", "sent")),
                ("order_id.validity_date", "<", today),
            ]
        )
        stale._expire()
