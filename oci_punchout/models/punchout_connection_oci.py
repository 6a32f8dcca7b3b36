import hmac
import logging
import secrets

from odoo import api, fields, models
from odoo.osv import expression

from ..protocol import oci
from ..protocol.errors import AuthenticationFailed, PunchoutProtocolError
from .punchout_connection import lead_time_days

_logger = logging.getLogger(__name__)

# A hash of nothing, per hashing setting, verified when there is no password to check, so that
# unknown user names cost as much time as known ones.
_DUMMY_HASHES = {}


class PunchoutConnection(models.Model):
    """SAP OCI: punch-in credentials, the NEW_ITEM fields and the FUNCTION pages."""

    _inherit = "punchout.connection"

    # OCI credentials and options
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
            self._oci_verify_password(None, None)
            raise AuthenticationFailed(self.env._("Unknown catalogue or wrong credentials."))
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
        password_ok = self._oci_verify_password(
            punch_in.password, connection_sudo.oci_password_hash
        )
        if not (username_ok and password_ok and expected_username):
            raise AuthenticationFailed(self.env._("Unknown catalogue or wrong credentials."))

    @api.model
    def _oci_verify_password(self, password, password_hash):
        """Whether ``password`` matches ``password_hash``; always the cost of one check."""
        crypt_context = self.env["res.users"]._crypt_context()
        if not (password and password_hash):
            key = crypt_context.to_string()
            if key not in _DUMMY_HASHES:
                _DUMMY_HASHES[key] = crypt_context.hash(secrets.token_urlsafe(32))
            password, password_hash, wanted = password or "", _DUMMY_HASHES[key], False
        else:
            wanted = True
        try:
            return crypt_context.verify(password, password_hash) and wanted
        except ValueError:
            return False

    def _oci_authenticate(self, punch_in):
        """Every check of an OCI punch-in before anything is created: the credentials first,
        so that only the buyer learns whether its catalogue is active."""
        self.ensure_one()
        self._oci_check_credentials(punch_in)
        if not self.active:
            raise PunchoutProtocolError(
                self.env._("This punchout catalogue is not active. Please contact your supplier."),
                status=403,
            )
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
            leadtime=lead_time_days(product),
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


def _field_text(record, field_name):
    """A product field's value as OCI text."""
    value = record[field_name]
    if isinstance(value, models.BaseModel):
        return value.display_name or ""
    if value is False or value is None:
        return ""
    return str(value)
