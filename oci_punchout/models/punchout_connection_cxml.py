import dataclasses
import logging
import secrets
from datetime import timedelta
from decimal import Decimal

from passlib.context import CryptContext

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from ..protocol import cxml
from ..protocol.errors import (
    AuthenticationFailed,
    Forbidden,
    MalformedDocument,
    TooManyRequests,
    UnsupportedRequest,
)
from .punchout_connection import MAX_CXML_BYTES, lead_time_days
from .punchout_message import REDACTED, THROTTLE_WINDOW_MINUTES

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
# Checked instead when no connection matches, so that the answer takes as long.
DUMMY_SECRET_HASH = SECRET_CRYPT_CONTEXT.hash(secrets.token_urlsafe(32))
# Shorter secrets were probably chosen by a person: the connection says so.
STRONG_SECRET_LENGTH = 24
# Failed requests naming one connection (any client address) before it answers 429.
CONNECTION_THROTTLE_MAX_FAILURES = 50


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

    # ------------------------------------------------------------------
    # cXML
    # ------------------------------------------------------------------

    @api.model
    def _cxml_candidates(self, envelope):
        """The cXML connections, active or not, of the buyer named by From or Sender."""
        header = envelope.header
        credentials = header.from_credentials + header.sender_credentials
        return (
            self.sudo()
            .with_context(active_test=False)
            .search([("protocol", "=", "cxml"), ("cxml_buyer_identity", "!=", False)])
            .filtered(
                lambda connection: any(
                    credential.matches(
                        connection.cxml_buyer_identity, connection.cxml_buyer_domain or None
                    )
                    for credential in credentials
                )
            )
        )

    @api.model
    def _cxml_find(self, envelope):
        """The connection a (logged) document names: its deploymentMode picks the buyer's test
        or production connection. No authentication: see _cxml_authenticate."""
        connections = self._cxml_candidates(envelope)
        test_document = envelope.deployment_mode == "test"
        return connections.filtered(lambda c: c.test_mode == test_document)[:1] or connections[:1]

    @api.model
    def _cxml_authenticate(self, envelope):
        """The active connection of a request whose SharedSecret is right.

        Unknown sender, wrong secret and inactive connection get the same answer, after the
        same work, so that nobody learns which identities exist.

        :raises AuthenticationFailed: (401) not authenticated
        :raises TooManyRequests: (429) too many failed requests named this connection lately
        :raises Forbidden: (403) a test document to a production connection or the reverse
        """
        connection = self._cxml_find(envelope)
        if connection and connection._cxml_is_throttled():
            raise TooManyRequests(
                self.env._("Too many failed requests for this sender. Try again later.")
            )
        valid = connection._cxml_verify_secret(envelope.header.shared_secret)
        if not (valid and connection.active):
            raise AuthenticationFailed(self.env._("Unknown sender or wrong SharedSecret."))
        if connection.test_mode != (envelope.deployment_mode == "test"):
            if connection.test_mode:
                connection_kind = self.env._("test")
            else:
                connection_kind = self.env._("production")
            raise Forbidden(
                self.env._(
                    "A document with deploymentMode %(mode)s was sent to the buyer's "
                    "%(connection_kind)s connection: check the deploymentMode.",
                    mode=envelope.deployment_mode,
                    connection_kind=connection_kind,
                )
            )
        return connection

    def _cxml_verify_secret(self, shared_secret):
        """Whether ``shared_secret`` is this connection's (a dummy check when there is none)."""
        secret_hash = self.sudo().cxml_shared_secret_hash if self else False
        try:
            valid, new_hash = SECRET_CRYPT_CONTEXT.verify_and_update(
                shared_secret or "", secret_hash or DUMMY_SECRET_HASH
            )
        except ValueError:
            return False
        valid = bool(valid and secret_hash and shared_secret)
        if valid and new_hash:
            self.sudo().cxml_shared_secret_hash = new_hash
        return valid

    def _cxml_check_secret(self, shared_secret):
        self.ensure_one()
        if not self._cxml_verify_secret(shared_secret):
            raise AuthenticationFailed(self.env._("Unknown sender or wrong SharedSecret."))

    def _cxml_is_throttled(self):
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(minutes=THROTTLE_WINDOW_MINUTES)
        failures = (
            self.env["punchout.message"]
            .sudo()
            .search_count(
                [
                    ("connection_id", "=", self.id),
                    ("auth_failed", "=", True),
                    ("create_date", ">=", since),
                ]
            )
        )
        return failures >= CONNECTION_THROTTLE_MAX_FAILURES

    def _cxml_our_credential(self):
        self.ensure_one()
        return cxml.Credential(
            domain=self.cxml_supplier_domain or "NetworkID",
            identity=self.cxml_supplier_identity or self.company_id.name,
        )

    def _cxml_buyer_credential(self):
        self.ensure_one()
        return cxml.Credential(
            domain=self.cxml_buyer_domain or "NetworkID", identity=self.cxml_buyer_identity
        )

    def _cxml_header(self, with_secret=False):
        """The header of our documents: From/Sender us, To the buyer."""
        self.ensure_one()
        sender = self._cxml_our_credential()
        if with_secret:
            sender.shared_secret = self.sudo().cxml_outbound_secret or None
        return cxml.Header(
            from_credentials=[self._cxml_our_credential()],
            to_credentials=[self._cxml_buyer_credential()],
            sender_credentials=[sender],
            user_agent=cxml.DEFAULT_USER_AGENT,
        )

    def _cxml_setup(self, envelope):
        """PunchOutSetupRequest: open a session for the buyer's user, return its start URL."""
        self.ensure_one()
        setup = envelope.request
        if setup.operation == "source":
            raise UnsupportedRequest(
                self.env._("The 'source' punchout operation is not supported."), status=406
            )
        if not setup.browser_form_post_url:
            raise MalformedDocument(
                self.env._("A BrowserFormPost URL is needed to return the cart.")
            )
        self._check_return_url(setup.browser_form_post_url)
        extrinsics = {key.lower(): value for key, value in setup.extrinsics.items()}
        email = extrinsics.get("useremail") or (setup.contact.email if setup.contact else "")
        name = " ".join(
            part for part in (extrinsics.get("firstname"), extrinsics.get("lastname")) if part
        ) or (setup.contact.name if setup.contact else "")
        user = self._get_end_user(email, name=name or None)
        session, token = self._open_session(
            "cxml",
            user,
            setup.operation,
            return_url=setup.browser_form_post_url,
            buyer_cookie=setup.buyer_cookie,
            end_user_ref=extrinsics.get("uniquename") or email or False,
            cxml_setup_payload_id=envelope.payload_id,
            cxml_extrinsics=setup.extrinsics,
            cxml_ship_to=dataclasses.asdict(setup.ship_to) if setup.ship_to else False,
        )
        if setup.operation in ("edit", "inspect"):
            session._cxml_rebuild_cart(setup.items)
        return session, token

    def _cxml_start_url(self, token):
        self.ensure_one()
        return f"{self.website_id.get_base_url().rstrip('/')}/punchout/start/{token}"

    def _cxml_classification(self, product):
        """(domain, code) pairs for a product: its category's, else the connection default."""
        self.ensure_one()
        scheme, code = product.categ_id._get_punchout_classification()
        if code:
            return [(scheme, code)]
        if self.cxml_classification_code:
            return [(self.cxml_classification_domain or "UNSPSC", self.cxml_classification_code)]
        return [("Category", product.categ_id.name or "All")]

    def _cxml_item_from_order_line(self, line, line_number):
        self.ensure_one()
        product = line.product_id.sudo()
        currency = line.order_id.currency_id
        net_price = currency.round(line.price_unit * (1.0 - (line.discount or 0.0) / 100.0))
        name_short = line.name_short or product.display_name
        return cxml.Item(
            quantity=Decimal(str(line.product_uom_qty)),
            line_number=line_number,
            supplier_part_id=product.default_code or str(product.id),
            supplier_part_auxiliary_id=self.env["sale.order"]._punchout_line_reference(line),
            unit_price=cxml.Money(Decimal(str(net_price)), currency.name),
            description=line.name or name_short,
            short_name=name_short[:50],
            unit_of_measure=self._get_unit_code(line.product_uom),
            classifications=self._cxml_classification(product),
            manufacturer_part_id=product.punchout_manufacturer_part or "",
            manufacturer_name=product.punchout_manufacturer_name or "",
            lead_time=lead_time_days(product),
        )

    def _cxml_find_product(self, supplier_part_id):
        """The product a SupplierPartID names: our internal reference, else our product id."""
        self.ensure_one()
        found = self._cxml_find_products([supplier_part_id])
        return found.get(supplier_part_id) or self.env["product.product"]

    def _cxml_find_products(self, supplier_part_ids):
        """{SupplierPartID: product} for those that name one (our internal reference, else our
        product id), in two queries whatever their number."""
        self.ensure_one()
        Product = self.env["product.product"].sudo()
        codes = {part for part in supplier_part_ids if part}
        found = {}
        for product in Product.search(
            [("default_code", "in", list(codes)), ("sale_ok", "=", True)]
        ):
            found.setdefault(product.default_code, product)
        ids = {int(part) for part in codes - found.keys() if part.isdigit() and len(part) < 10}
        for product in Product.browse(ids).exists():
            found[str(product.id)] = product
        return found

    @api.model
    def _cxml_handle_request(self, body, message, attachments=()):
        """Answer one cXML request (already stored as ``message``): the Response bytes.

        :raises PunchoutProtocolError: answered as a cXML Status by the caller
        """
        envelope = cxml.parse_request(body, max_bytes=MAX_CXML_BYTES)
        connection = self._cxml_authenticate(envelope)
        message.write({"connection_id": connection.id, "company_id": connection.company_id.id})
        message._cxml_keep_document(body)
        logged = None
        if envelope.request_name == "ProfileRequest":
            message.kind = "cxml_profile"
            response = connection._cxml_profile_response()
        elif envelope.request_name == "PunchOutSetupRequest":
            message.kind = "cxml_setup"
            session, token = connection._cxml_setup(envelope)
            message.write({"session_id": session.id, "order_id": session.order_id.id})
            response = cxml.build_punchout_setup_response(connection._cxml_start_url(token))
            # The start URL logs its user in: the log keeps it without its token.
            logged = response.decode().replace(token, REDACTED)
        else:
            message.kind = "cxml_order"
            response = connection._cxml_order(envelope, message, attachments)
        message._set_done(response_payload=logged or response.decode())
        return response

    def _cxml_profile_response(self):
        self.ensure_one()
        url = f"{self.website_id.get_base_url().rstrip('/')}/punchout/cxml"
        return cxml.build_profile_response(
            [(name, url) for name in cxml.SUPPORTED_REQUESTS if name != "ProfileRequest"]
        )

    def _cxml_order(self, envelope, message, attachments=()):
        """OrderRequest: once per payloadID; replays get the first answer."""
        self.ensure_one()
        message.dedup_key = f"{self.id}:{envelope.payload_id}"
        # Taking the key may wait for a concurrent copy of this document, then fail: the
        # caller answers with that copy's response.
        self.env.flush_all()
        order, notes = self._punchout_receive_order(
            envelope.request, message, envelope.payload_id, attachments
        )
        text = self.env._("Order %(order)s confirmed.", order=order.name)
        if notes:
            text += " " + self.env._("%(count)s point(s) to review.", count=len(notes))
        return cxml.build_response(200, "OK", text)

    def _cxml_queue_confirmation(self, order, purchase_order):
        """A ConfirmationRequest for ``order``, stored to send (once) after this transaction:
        ``accept`` when we confirm the purchase order as it is, ``detail`` when lines differ."""
        self.ensure_one()
        if not self.cxml_confirmation_url:
            return self.env["punchout.message"]
        ordered = sorted(
            (item.line_number, float(item.quantity), float(item.unit_price.amount))
            for item in purchase_order.items
            if item.unit_price
        )
        confirmed = sorted(
            (
                line.punchout_po_line_number,
                line.product_uom_qty,
                order.currency_id.round(line.price_reduce_taxexcl),
            )
            for line in order.order_line
            if line.product_id and not line.display_type
        )
        changed = ordered != confirmed
        items = [
            cxml.ConfirmationItem(
                line_number=line.punchout_po_line_number or index,
                quantity=Decimal(str(line.product_uom_qty)),
                unit_of_measure=self._get_unit_code(line.product_uom),
                unit_price=cxml.Money(
                    Decimal(str(order.currency_id.round(line.price_reduce_taxexcl))),
                    order.currency_id.name,
                ),
            )
            for index, line in enumerate(
                order.order_line.filtered(lambda line: line.product_id and not line.display_type),
                1,
            )
        ]
        confirmation = cxml.ConfirmationRequest(
            order_id=order.punchout_po_number,
            order_payload_id=order.punchout_po_payload_id,
            confirm_type="detail" if changed else "accept",
            order_date=order.punchout_po_date,
            confirm_id=order.name,
            total=cxml.Money(Decimal(str(order.amount_total)), order.currency_id.name),
            items=items,
        )
        document = cxml.build_confirmation_request(
            self._cxml_header(with_secret=True),
            confirmation,
            deployment_mode="test" if self.test_mode else "production",
        )
        message = self.env["punchout.message"]._log(
            "cxml_confirmation",
            "out",
            "cxml",
            cxml.redact_secrets(document),
            connection_id=self.id,
            order_id=order.id,
            session_id=order.punchout_session_id.id,
            state="pending",
            dedup_key=f"{self.id}:confirmation:{order.id}",
            next_attempt_at=fields.Datetime.now(),
        )
        # Sent by the cron worker once this transaction is committed: the buyer's system gets
        # its answer to the order first, whatever the state of its confirmation endpoint.
        self.env.ref("oci_punchout.ir_cron_punchout_send")._trigger()
        return message
