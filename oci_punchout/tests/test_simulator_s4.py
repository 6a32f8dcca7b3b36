"""The buyer simulator playing SAP S/4HANA over real HTTP: the approved OCI cart's purchase order
sent over SOAP becomes the confirmed order, and the simulated S/4HANA takes the confirmation and
the invoice on its inbound services, showing each decoded."""

import base64
import re

from odoo.tests import tagged

from ..protocol import s4
from .common import PASSWORD, PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestSimulatorS4(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.write({"protocol": "s4", "test_mode": True})
        cls.connection.action_receive_s4_documents_in_simulator()

    def test_round_trip_with_the_simulated_s4(self):
        quotation, page = self.simulated_sap_cart()
        self.assertIn("OrderRequest_Out", page.text)
        action, fields = self.simulator_approval_form(page)
        fields.update({"password": PASSWORD, "decision": "approve"})
        response = self.url_open(action, data=fields)
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_punchout_sim_confirmed", response.text)
        po_number = re.search(r"Purchase order (45\d{8}) sent over SOAP", response.text).group(1)
        self.env.invalidate_all()
        self.assertEqual((quotation.state, quotation.punchout_po_number), ("sale", po_number))
        self.assertEqual(
            sorted(quotation.order_line.filtered("product_id").mapped("punchout_po_line_number")),
            [10, 20],
        )
        # The confirmation, posted by the send job over real HTTP to the simulated S/4HANA.
        self.env["punchout.message"]._cron_send_pending()
        confirmation = self.env["punchout.message"].search([("kind", "=", "s4_confirmation")])
        self.assertRecordValues(confirmation, [{"state": "done", "http_status": 202}])
        # The simulator shows what it received, decoded.
        self.authenticate("admin", "admin")
        simulator = self.url_open(f"/punchout/simulator/{self.connection.id}")
        self.assertIn("o_punchout_sim_s4_documents", simulator.text)
        self.assertIn("OrderConfRequest_In", simulator.text)
        self.assertIn(po_number, simulator.text)

    def test_the_simulated_s4_refuses_wrong_credentials_and_unknown_orders(self):
        self.connection.s4_outbound_password = "not-what-the-simulator-expects"
        self.connection.sudo().write(
            {"s4_outbound_username": "SUPPLIER", "s4_outbound_password": "right"}
        )
        signature = self.env["punchout.simulator"]._signature(self.connection.id)
        url = f"/punchout/simulator/{self.connection.id}/{signature}/s4/OrderConfRequest_In"
        response = self.url_open(url, data=b"<x/>", headers={"Content-Type": "text/xml"})
        self.assertEqual(response.status_code, 401)
        # Right credentials, but not the service's SOAPAction: refused.
        response = self.url_open(
            url,
            data=b"<x/>",
            headers={
                "Content-Type": "text/xml",
                "Authorization": "Basic " + base64.b64encode(b"SUPPLIER:right").decode(),
                "SOAPAction": '"http://sap.com/xi/EDI/InvoiceRequest_In"',
            },
        )
        self.assertEqual(response.status_code, 500)
        self.assertIn("SOAPAction", s4.parse_fault(response.content)[1])
        forged = f"/punchout/simulator/{self.connection.id}/forged/s4/OrderConfRequest_In"
        self.assertEqual(self.url_open(forged, data=b"<x/>").status_code, 404)
