from odoo import fields, models


class ProductTemplate(models.Model):
    _inherit = "product.template"

    punchout_manufacturer_name = fields.Char(string="Manufacturer")
    punchout_manufacturer_code = fields.Char(
        string="Manufacturer Code", help="Sent to OCI buyers as MANUFACTCODE."
    )
    punchout_manufacturer_part = fields.Char(
        string="Manufacturer Part Number",
        help="Sent as OCI MANUFACTMAT / cXML ManufacturerPartID.",
    )
