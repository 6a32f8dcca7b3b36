from odoo import fields, models


class PunchoutUnitCode(models.Model):
    _name = "punchout.unit.code"
    _description = "Punchout Unit Code Override"
    _order = "connection_id, uom_id"

    connection_id = fields.Many2one("punchout.connection", required=True, ondelete="cascade")
    uom_id = fields.Many2one("uom.uom", string="Unit", required=True, ondelete="cascade")
    code = fields.Char(
        required=True,
        size=3,
        help="The code the buyer's system expects for this unit (OCI UNIT has 3 characters), "
        "e.g. ST or KG for SAP's internal units.",
    )

    _sql_constraints = [
        (
            "uom_unique",
            "unique(connection_id, uom_id)",
            "A unit can only have one code per connection.",
        ),
    ]
