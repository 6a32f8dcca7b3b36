from urllib.parse import urlencode

from odoo.tests import tagged

from ..controllers.simulator import simulator_signature
from .common import PASSWORD, PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestPunchoutTour(PunchoutHttpCase):
    def test_buyer_punches_in_shops_and_transfers(self):
        """In Chromium: punch in from 'SAP', add a product, transfer, see what SAP received."""
        self.connection.test_mode = True
        signature = simulator_signature(self.env, self.connection.id)
        hook_url = (
            f"{self.base_url()}/punchout/simulator/return/{self.connection.id}/{signature}/utf-8"
            "?~OkCode=ADDI"
        )
        query = urlencode({"USERNAME": "buyer", "PASSWORD": PASSWORD, "HOOK_URL": hook_url})
        self.start_tour(f"/punchout/oci/buyer-sap?{query}", "oci_punchout_shop_and_transfer")

        session = self.last_session()
        self.assertEqual(session.state, "transferred")
        self.assertEqual(session.order_id.state, "sent")
        self.assertEqual(session.order_id.order_line.product_id, self.product_pen)
        self.assertEqual(session.order_id.order_line.price_unit, 18.0)
