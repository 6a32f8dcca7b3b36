import logging
import secrets

from passlib.context import CryptContext

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

_logger = logging.getLogger(__name__)

# As Odoo's API keys: a generated secret is random, so a few thousand rounds are plenty and a
# correct secret costs milliseconds. Older hashes (Odoo's password rounds) are re-hashed with
# these rounds at their next successful check.
SECRET_ROUNDS = 6000
SECRET_CRYPT_CONTEXT = CryptContext(
    ["pbkdf2_sha512"],
    pbkdf2_sha512__rounds=SECRET_ROUNDS,
    pbkdf2_sha512__min_rounds=SECRET_ROUNDS,
    pbkdf2_sha512__max_rounds=SECRET_ROUNDS,
)
# Shorter secrets were probably chosen by a person: the connection says so.
STRONG_SECRET_LENGTH = 24


class PunchoutConnection(models.Model):
    """cXML: the buyer's identities and secrets, punchout setup, cart message and orders."""

    _inherit = "punchout.connection"

    # cXML identities, secrets and options
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

    @api.constrains("cxml_invoice_url", "cxml_confirmation_url", "test_mode")
    def _check_outbound_urls(self):
        """Our documents carry our shared secret: they go over https, plain http only to a
        test connection (the buyer's test system, the simulator)."""
        for connection in self:
            for url in (connection.cxml_invoice_url, connection.cxml_confirmation_url):
                if not url:
                    continue
                url = url.strip().lower()
                if not (
                    url.startswith("https://")
                    or (connection.test_mode and url.startswith("http://"))
                ):
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
