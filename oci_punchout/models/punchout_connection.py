import ipaddress
import logging
import re
import socket
from datetime import timedelta
from urllib.parse import urlsplit

import requests

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.osv import expression
from odoo.tools import config, email_normalize, escape_psql

from ..protocol import browser

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
    "cxml_shared_secret",
    "oci_password",
}
MAX_CXML_BYTES = 5 * 1024 * 1024
# Set when punchout requests carried X-Forwarded-For while Odoo ran without --proxy-mode.
PROXY_HEADERS_PARAM = "oci_punchout.proxy_headers_seen"
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class DeliveryRefused(requests.RequestException):
    """We did not deliver a document (forbidden target, redirect, oversized answer)."""


class PunchoutConnection(models.Model):
    _name = "punchout.connection"
    _description = "Punchout Connection"
    _inherit = ["mail.thread"]
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
        [("oci", "SAP OCI"), ("cxml", "cXML")], required=True, default="oci", tracking=True
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

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_admin_fields(vals, creating=True)
        return super().create(vals_list)

    def write(self, vals):
        self._check_admin_fields(vals)
        return super().write(vals)

    def _check_admin_fields(self, vals, creating=False):
        """Target URLs, secrets and test mode decide where our secrets go: administrators
        only."""
        if self.env.su or self.env.user._is_system():
            return
        names = ADMIN_FIELDS & set(vals)
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
        self.ensure_one()
        override = self.unit_code_ids.filtered(lambda line: line.uom_id == uom)[:1]
        if override:
            return override.code
        return self.env["account.edi.common"]._get_uom_unece_code(uom)

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

    def _punchout_post(self, url, body, content_type="text/xml; charset=UTF-8"):
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
            headers={"Content-Type": content_type},
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
        if purchase_order.order_type == "new" and order.state == "sale":
            self.env["punchout.cxml"]._queue_confirmation(self, order, purchase_order)
            self.env["punchout.mail"]._send_confirmation(self, order)
        return order, notes

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


def lead_time_days(product):
    """Customer lead time in days (sale_stock's field, when installed)."""
    delay = product["sale_delay"] if "sale_delay" in product._fields else 0
    return round(delay) if delay else None
