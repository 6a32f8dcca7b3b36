"""Delivery notifications to the buyer's SAP S/4HANA (DeliveryRequest) when a delivery of its
SOAP purchase order is validated, changed with a later tracking number, cancelled by a return."""

import base64

from odoo.tests import tagged

from odoo.addons.oci_punchout.protocol import s4
from odoo.addons.oci_punchout.tests.common import PASSWORD

from .common import StockCxmlCase

DELIVERY_URL = "https://s4.buyer.example/sap/bc/srt/xip/sap/deliveryrequest_in/100"


@tagged("post_install", "-at_install")
class TestS4Delivery(StockCxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.write({"protocol": "s4", "s4_delivery_url": DELIVERY_URL})

    def setUp(self):
        super().setUp()
        self.stock(self.product_paper, 100)
        self.stock(self.product_pen, 100)

    def s4_order(self, po_number="4500000321"):
        """An OCI cart of 3 paper and 12 pens, ordered by the buyer's S/4HANA over SOAP."""
        session = self.transfer_oci_cart([(self.product_paper, 3), (self.product_pen, 12)])
        body = s4.build_order_request(
            self.s4_purchase_order(session, po_number),
            "0050569E8C3A1EDF",
            "2026-12-05T09:30:00Z",
        )
        credentials = base64.b64encode(f"buyer:{PASSWORD}".encode("latin-1")).decode()
        response = self.url_open(
            "/punchout/s4/buyer-sap",
            data=body,
            headers={"Content-Type": "text/xml", "Authorization": f"Basic {credentials}"},
        )
        self.assertEqual(response.status_code, 202, response.text[:300])
        self.env.invalidate_all()
        self.assertEqual(session.order_id.state, "sale")
        return session.order_id

    def sent_deliveries(self):
        documents = []
        for url, body in self.sent():
            self.assertEqual(url, DELIVERY_URL)
            operation, values = s4.read_document(s4.parse_envelope(body).body)
            self.assertEqual(operation, "DeliveryRequest_In")
            documents.append(values["Delivery"])
        return documents

    def test_validated_delivery_changed_and_cancelled(self):
        order = self.s4_order()
        picking = order.picking_ids
        picking.carrier_id = self.carrier
        self.validate(picking)
        (delivery,) = self.sent_deliveries()
        self.assertEqual((delivery["DeliveryID"], delivery["ActionCode"]), (picking.name, "01"))
        self.assertEqual(delivery["CarrierName"], "Parcel Express")
        shipped = {
            item["PurchaseOrderItemID"]: (item["PurchaseOrderID"], item["Quantity"]["value"])
            for item in delivery["Item"]
        }
        self.assertEqual(shipped, {"10": ("4500000321", "3"), "20": ("4500000321", "12")})
        message = self.env["punchout.message"].search([("kind", "=", "s4_delivery")])
        self.assertRecordValues(
            message, [{"state": "done", "picking_id": picking.id, "order_id": order.id}]
        )
        self.assertEqual(message.soap_action, "http://sap.com/xi/EDI/DeliveryRequest_In")
        # A tracking number later: the same delivery, changed.
        picking.carrier_tracking_ref = "1Z999AA10123456784"
        (changed,) = self.sent_deliveries()
        self.assertEqual(
            (changed["ActionCode"], changed["TrackingID"]), ("02", "1Z999AA10123456784")
        )
        # Nothing changed: nothing sent.
        picking.carrier_tracking_ref = "1Z999AA10123456784"
        self.assertEqual(self.sent(), [])

    def test_no_notification_without_the_service(self):
        self.connection.s4_delivery_url = False
        order = self.s4_order("4500000322")
        self.validate(order.picking_ids)
        self.assertEqual(self.sent(), [])
