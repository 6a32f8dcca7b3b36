from odoo import api, fields, models
from odoo.exceptions import UserError


class PunchoutConnection(models.Model):
    _inherit = "punchout.connection"

    lead_time_from_stock = fields.Boolean(
        string="Lead Time from Stock",
        default=True,
        help="The lead time of each cart line (OCI LEADTIME, cXML LeadTime) and of the shop's "
        "product pages in this buyer's sessions: in stock, the customer lead time; otherwise "
        "the replenishment lead time (the vendor's delay) on top of it. Off: always the "
        "customer lead time.",
    )
    cxml_ship_notice_url = fields.Char(
        string="Ship Notice URL",
        help="Where ship notices (ShipNoticeRequest) are posted when a delivery of this "
        "buyer's cXML order is validated; empty: none sent.",
    )

    s4_delivery_url = fields.Char(
        string="Delivery Notification Service",
        help="The buyer's DeliveryRequest_In endpoint (SAP S/4HANA): told when a delivery of "
        "its order is validated; empty: none sent.",
    )

    def _admin_fields(self):
        return super()._admin_fields() | {"cxml_ship_notice_url", "s4_delivery_url"}

    @api.constrains("cxml_ship_notice_url", "s4_delivery_url", "test_mode")
    def _check_ship_notice_url(self):
        for connection in self:
            connection._check_secret_carrying_url(connection.cxml_ship_notice_url)
            connection._check_secret_carrying_url(connection.s4_delivery_url)

    def _s4_simulator_urls(self):
        urls = super()._s4_simulator_urls()
        prefix = urls["s4_confirmation_url"].rsplit("/", 1)[0]
        return {**urls, "s4_delivery_url": f"{prefix}/DeliveryRequest_In"}

    def action_receive_ship_notices_in_simulator(self):
        """Test connections: let the buyer simulator play the buyer's receipt of ship
        notices."""
        for connection in self:
            if connection.protocol != "cxml" or not connection.test_mode:
                raise UserError(
                    self.env._(
                        "Only test cXML connections can send ship notices to the simulator."
                    )
                )
            base_url = connection.website_id.get_base_url().rstrip("/")
            signature = self.env["punchout.simulator"]._signature(connection.id)
            # Our own simulator on this test connection: no administrator needed.
            connection.sudo().cxml_ship_notice_url = (
                f"{base_url}/punchout/simulator/{connection.id}/{signature}/cxml/ship-notice"
            )
