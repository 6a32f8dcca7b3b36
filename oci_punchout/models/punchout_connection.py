import dataclasses
import hmac
import logging
import re
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlsplit

import requests

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.osv import expression
from odoo.tools import email_normalize

from ..protocol import cxml, oci
from ..protocol.errors import (
    AuthenticationFailed,
    Forbidden,
    MalformedDocument,
    PunchoutProtocolError,
    UnsupportedRequest,
)

_logger = logging.getLogger(__name__)

TEST_MODE_HOSTS = ("localhost", "127.0.0.1")
POST_TIMEOUT = 30
MAX_CXML_BYTES = 5 * 1024 * 1024
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


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

    # OCI credentials and options
    oci_username_param = fields.Char(string="User Name Parameter", default="USERNAME")
    oci_password_param = fields.Char(string="Password Parameter", default="PASSWORD")
    oci_username = fields.Char(string="User Name", tracking=True, groups="base.group_system")
    oci_password_hash = fields.Char(copy=False, groups="base.group_system")
    oci_password = fields.Char(
        string="Password",
        compute="_compute_oci_password",
        inverse="_inverse_oci_password",
        groups="base.group_system",
        help="Stored hashed: type a new one to replace it.",
    )
    oci_password_set = fields.Boolean(compute="_compute_oci_password")
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
    cxml_shared_secret_hash = fields.Char(copy=False, groups="base.group_system")
    cxml_shared_secret = fields.Char(
        string="Shared Secret",
        compute="_compute_cxml_shared_secret",
        inverse="_inverse_cxml_shared_secret",
        groups="base.group_system",
        help="The secret the buyer's system sends; stored hashed: type a new one to replace it.",
    )
    cxml_shared_secret_set = fields.Boolean(compute="_compute_cxml_shared_secret")
    cxml_outbound_secret = fields.Char(
        string="Secret for Our Documents",
        copy=False,
        groups="base.group_system",
        help="The shared secret we send with our documents to the buyer's system "
        "(confirmations). The buyer's system verifies it, so it is kept as typed.",
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
    catalogue_url = fields.Char(compute="_compute_catalogue_url")

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

    @api.depends("oci_password_hash")
    def _compute_oci_password(self):
        for connection in self:
            connection.oci_password = False
            connection.oci_password_set = bool(connection.sudo().oci_password_hash)

    @api.depends("cxml_shared_secret_hash")
    def _compute_cxml_shared_secret(self):
        for connection in self:
            connection.cxml_shared_secret = False
            connection.cxml_shared_secret_set = bool(connection.sudo().cxml_shared_secret_hash)

    def _inverse_cxml_shared_secret(self):
        crypt_context = self.env["res.users"]._crypt_context()
        for connection in self:
            if connection.cxml_shared_secret:
                connection.cxml_shared_secret_hash = crypt_context.hash(
                    connection.cxml_shared_secret
                )

    def _inverse_oci_password(self):
        crypt_context = self.env["res.users"]._crypt_context()
        for connection in self:
            if connection.oci_password:
                connection.oci_password_hash = crypt_context.hash(connection.oci_password)

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
        oci.check_return_url(url, prefixes, allow_http=self.test_mode)

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

    def _get_end_user(self, email, name=None):
        """The portal user a punch-in logs in as: a named end user if the policy allows."""
        self.ensure_one()
        email = email_normalize(email or "")
        if not email or self.end_user_policy == "default":
            return self.user_id
        commercial = self.partner_id.commercial_partner_id
        Users = self.env["res.users"].sudo().with_context(active_test=True)
        user = Users.search(
            [
                ("login", "=ilike", email),
                ("share", "=", True),
                ("partner_id.commercial_partner_id", "=", commercial.id),
            ],
            limit=1,
        )
        if user:
            return user
        if self.end_user_policy != "create":
            return self.user_id
        if Users.with_context(active_test=False).search_count([("login", "=ilike", email)]):
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

    # ------------------------------------------------------------------
    # OCI
    # ------------------------------------------------------------------

    @api.model
    def _oci_find(self, code, params):
        """Find the active OCI connection for a punch-in: by its code, else by user name."""
        Connection = self.sudo().with_context(active_test=False)
        if code:
            connection = Connection.search(
                [("code", "=", code), ("protocol", "=", "oci")], limit=1
            )
        else:
            usernames = {
                value if isinstance(value, str) else (value[0] if value else "")
                for key, value in params.items()
                if key.upper() == "USERNAME"
            }
            connection = Connection.search(
                [("protocol", "=", "oci"), ("oci_username", "in", list(usernames))]
            )
            if len(connection) > 1:
                raise PunchoutProtocolError(
                    self.env._(
                        "Several catalogues use this user name: "
                        "use the catalogue URL with its code."
                    ),
                    status=400,
                )
        if not connection:
            raise AuthenticationFailed(self.env._("Unknown catalogue or wrong credentials."))
        if not connection.active:
            raise PunchoutProtocolError(
                self.env._("This punchout catalogue is not active. Please contact your supplier."),
                status=403,
            )
        return connection

    def _oci_parse_punch_in(self, params):
        self.ensure_one()
        return oci.parse_punch_in(
            params,
            username_param=self.oci_username_param or "USERNAME",
            password_param=self.oci_password_param or "PASSWORD",
            end_user_param=self.oci_end_user_param or None,
        )

    def _oci_check_credentials(self, punch_in):
        """Check the punch-in's user name and password in constant time."""
        self.ensure_one()
        connection_sudo = self.sudo()
        expected_username = (connection_sudo.oci_username or "").encode()
        username_ok = hmac.compare_digest(expected_username, (punch_in.username or "").encode())
        password_ok = False
        if connection_sudo.oci_password_hash and punch_in.password:
            try:
                password_ok = (
                    self.env["res.users"]
                    ._crypt_context()
                    .verify(punch_in.password, connection_sudo.oci_password_hash)
                )
            except ValueError:
                password_ok = False
        if not (username_ok and password_ok and expected_username):
            raise AuthenticationFailed(self.env._("Unknown catalogue or wrong credentials."))

    def _oci_authenticate(self, punch_in):
        """Every check of an OCI punch-in before anything is created."""
        self.ensure_one()
        self._oci_check_credentials(punch_in)
        self._check_return_url(punch_in.hook_url)

    def _oci_session_values(self, punch_in):
        self.ensure_one()
        return {
            "return_url": punch_in.hook_url,
            "return_target": punch_in.return_target,
            "charset": punch_in.charset,
            "echo_params": punch_in.echo_params,
            "end_user_ref": punch_in.end_user or False,
        }

    def _oci_find_product(self, product_ref):
        """The product a PRODUCTID (our EXT_PRODUCT_ID) names, within the assortment."""
        self.ensure_one()
        if not product_ref or not str(product_ref).isdigit():
            return self.env["product.product"]
        product = self.env["product.product"].sudo().browse(int(product_ref)).exists()
        if not product or not product.active:
            return self.env["product.product"]
        allowed = product.product_tmpl_id.filtered_domain(self._get_shop_product_domain())
        return product if allowed else self.env["product.product"]

    def _oci_search_products(self, search, limit=100):
        self.ensure_one()
        domain = self._get_shop_product_domain()
        if search:
            domain = expression.AND(
                [
                    domain,
                    [
                        "|",
                        "|",
                        ("name", "ilike", search),
                        ("default_code", "ilike", search),
                        ("description_sale", "ilike", search),
                    ],
                ]
            )
        templates = self.env["product.template"].sudo().search(domain, limit=limit)
        return templates.product_variant_ids

    def _oci_price(self, product, quantity):
        self.ensure_one()
        pricelist = self.pricelist_id.with_company(self.company_id)
        return pricelist._get_product_price(product, quantity or 1.0, currency=self.currency_id)

    def _oci_item_from_product(self, product, quantity, price, uom=None, description=None):
        """An OciItem describing ``product`` as this buyer's system wants it."""
        self.ensure_one()
        product = product.sudo()
        uom = uom or product.uom_id
        name = description or product.with_context(display_default_code=False).display_name
        category = product.categ_id
        scheme, code = category._get_punchout_classification()
        price_per_unit, price_unit = oci.choose_price_unit(price)
        item = oci.OciItem(
            description=name,
            longtext=product.description_sale or "",
            quantity=quantity,
            unit=self._get_unit_code(uom),
            price=price_per_unit,
            price_unit=price_unit,
            currency=self.currency_id.name,
            leadtime=_lead_time_days(product),
            vendor=self.oci_vendor_number or "",
            vendormat=product.default_code or "",
            manufactcode=product.punchout_manufacturer_code or "",
            manufactmat=product.punchout_manufacturer_part or "",
            service=product.type == "service",
            ext_product_id=str(product.id),
            ext_schema_type=scheme or "",
            ext_category_id=code or "",
            ext_category=(category.name or "") if code else "",
        )
        if self.oci_matgroup_source == "classification":
            item.matgroup = code or ""
        elif self.oci_matgroup_source == "category":
            item.matgroup = category.name or ""
        for index in range(1, 6):
            field = self[f"oci_cust_field{index}_id"]
            if field:
                setattr(item, f"cust_field{index}", _field_text(product, field.name))
        return item

    def _oci_item_from_order_line(self, line):
        self.ensure_one()
        net_price = line.price_unit * (1.0 - (line.discount or 0.0) / 100.0)
        item = self._oci_item_from_product(
            line.product_id,
            line.product_uom_qty,
            net_price,
            uom=line.product_uom,
            description=line.name_short or line.product_id.display_name,
        )
        item.currency = line.order_id.currency_id.name
        item.longtext = line.name or ""
        item.ext_quote_id = line.order_id.name
        item.ext_quote_item = str(line.id)
        return item

    def _oci_build_fields(self, items):
        self.ensure_one()
        return oci.build_cart_fields(
            items, index_base=int(self.oci_index_base), send_empty=self.oci_send_empty_fields
        )

    def _oci_validate_page(self, punch_in):
        """FUNCTION=VALIDATE: the product's current data, auto-submitted at once."""
        self.ensure_one()
        product = self._oci_find_product(punch_in.product_id)
        items = []
        if product:
            quantity = float(punch_in.quantity or 1)
            items.append(
                self._oci_item_from_product(product, quantity, self._oci_price(product, quantity))
            )
        return self._oci_return_page(punch_in, items), len(items)

    def _oci_background_search_page(self, punch_in):
        """FUNCTION=BACKGROUND_SEARCH: every match as one OCI form, not auto-submitted."""
        self.ensure_one()
        items = [
            self._oci_item_from_product(product, 1.0, self._oci_price(product, 1.0))
            for product in self._oci_search_products(punch_in.search_string)
        ]
        return self._oci_return_page(punch_in, items, auto_submit=False), len(items)

    def _oci_return_page(self, punch_in, items, auto_submit=True):
        self.ensure_one()
        return oci.render_return_page(
            punch_in.hook_url,
            self._oci_build_fields(items),
            target=punch_in.return_target,
            charset=punch_in.charset,
            echo_params=punch_in.echo_params,
            auto_submit=auto_submit,
        )

    # ------------------------------------------------------------------
    # cXML
    # ------------------------------------------------------------------

    @api.model
    def _cxml_find(self, envelope):
        """The cXML connection of the buyer named by the From or Sender credentials.

        A buyer may have a test and a production connection: the document's deploymentMode
        picks one, and a document for the other mode is refused.
        """
        header = envelope.header
        credentials = header.from_credentials + header.sender_credentials
        connections = (
            self.sudo()
            .with_context(active_test=False)
            .search([("protocol", "=", "cxml")])
            .filtered(
                lambda connection: (
                    connection.cxml_buyer_identity
                    and any(
                        credential.matches(
                            connection.cxml_buyer_identity, connection.cxml_buyer_domain or None
                        )
                        for credential in credentials
                    )
                )
            )
        )
        if not connections:
            raise Forbidden(self.env._("Unknown sender: no connection for these credentials."))
        test_document = envelope.deployment_mode == "test"
        connection = connections.filtered(lambda c: c.test_mode == test_document)[:1]
        if not connection:
            raise Forbidden(
                self.env._(
                    "This %(mode)s document was sent to a %(other)s connection: check the "
                    "deploymentMode and the catalogue URL.",
                    mode=envelope.deployment_mode,
                    other="test" if connections[0].test_mode else "production",
                )
            )
        if not connection.active:
            raise Forbidden(self.env._("This punchout connection is not active."))
        return connection

    def _cxml_check_secret(self, shared_secret):
        self.ensure_one()
        secret_hash = self.sudo().cxml_shared_secret_hash
        valid = False
        if secret_hash and shared_secret:
            try:
                valid = self.env["res.users"]._crypt_context().verify(shared_secret, secret_hash)
            except ValueError:
                valid = False
        if not valid:
            raise AuthenticationFailed(self.env._("Wrong or missing SharedSecret."))

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
            lead_time=_lead_time_days(product),
        )

    def _cxml_find_product(self, supplier_part_id):
        """The product a SupplierPartID names: our internal reference, else our product id."""
        self.ensure_one()
        Product = self.env["product.product"].sudo()
        if not supplier_part_id:
            return Product
        product = Product.search(
            [("default_code", "=", supplier_part_id), ("sale_ok", "=", True)], limit=1
        )
        if not product and supplier_part_id.isdigit():
            product = Product.browse(int(supplier_part_id)).exists()
        return product

    @api.model
    def _cxml_handle_request(self, body, message, attachments=()):
        """Answer one cXML request (already stored as ``message``): the Response bytes.

        :raises PunchoutProtocolError: answered as a cXML Status by the caller
        """
        envelope = cxml.parse_request(body, max_bytes=MAX_CXML_BYTES)
        connection = self._cxml_find(envelope)
        message.write({"connection_id": connection.id, "company_id": connection.company_id.id})
        connection._cxml_check_secret(envelope.header.shared_secret)
        if envelope.request_name == "ProfileRequest":
            message.kind = "cxml_profile"
            response = connection._cxml_profile_response()
        elif envelope.request_name == "PunchOutSetupRequest":
            message.kind = "cxml_setup"
            session, token = connection._cxml_setup(envelope)
            message.write({"session_id": session.id, "order_id": session.order_id.id})
            response = cxml.build_punchout_setup_response(connection._cxml_start_url(token))
        else:
            message.kind = "cxml_order"
            response = connection._cxml_order(envelope, message, attachments)
        message._set_done(response_payload=response.decode())
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
        purchase_order = envelope.request
        order, notes = self.env["punchout.order.matcher"]._process(
            self, purchase_order, payload_id=envelope.payload_id
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
        if purchase_order.order_type == "new":
            self._cxml_queue_confirmation(order, purchase_order)
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
        return self.env["punchout.message"]._log(
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

    def _punchout_post(self, url, body, content_type="text/xml; charset=UTF-8"):
        """The one place where we call a buyer's system (mocked in tests)."""
        response = requests.post(
            url, data=body, headers={"Content-Type": content_type}, timeout=POST_TIMEOUT
        )
        return response.status_code, response.content

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


def _lead_time_days(product):
    """Customer lead time in days (sale_stock's field, when installed)."""
    delay = product["sale_delay"] if "sale_delay" in product._fields else 0
    return round(delay) if delay else None


def _field_text(record, field_name):
    """A product field's value as OCI text."""
    value = record[field_name]
    if isinstance(value, models.BaseModel):
        return value.display_name or ""
    if value is False or value is None:
        return ""
    return str(value)
