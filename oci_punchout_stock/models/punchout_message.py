from odoo import fields, models


class PunchoutMessage(models.Model):
    _inherit = "punchout.message"

    kind = fields.Selection(
        selection_add=[
            ("cxml_ship_notice", "cXML ship notice"),
            ("s4_delivery", "S/4HANA delivery notification"),
        ],
        ondelete={"cxml_ship_notice": "cascade", "s4_delivery": "cascade"},
    )
    picking_id = fields.Many2one(
        "stock.picking", string="Delivery", readonly=True, index=True, ondelete="set null"
    )

    def _outbound_url(self):
        if self.kind == "cxml_ship_notice":
            return self.connection_id.cxml_ship_notice_url
        if self.kind == "s4_delivery":
            return self.connection_id.s4_delivery_url
        return super()._outbound_url()
