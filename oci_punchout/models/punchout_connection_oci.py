from odoo import api, fields, models


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
