"""SAP S/4HANA purchase orders over SOAP, over real HTTP: an OCI cart's PO posted by the buyer's
S/4HANA (SOAP 1.1 and 1.2, and by a zeep client of our served WSDL) becomes the confirmed order
with SAP's PO and item numbers; redeliveries are replays; every refusal is a SOAP fault."""

import base64
from datetime import datetime, timedelta
from decimal import Decimal

import zeep
from lxml import etree
from requests.auth import HTTPBasicAuth

from odoo import fields
from odoo.tests import tagged

from ..const import THROTTLE_MAX_FAILURES
from ..protocol import s4
from .common import PASSWORD, PunchoutHttpCase, mock_buyer_system

URL = "/punchout/s4/buyer-sap"


def _auth(user="buyer", password=PASSWORD):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@tagged("post_install", "-at_install")
class TestS4Orders(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.protocol = "s4"

    def po_of(self, session, po_number="4500000123", **values):
        return self.s4_purchase_order(session, po_number, **values)

    def post(self, body, authorization=None, query="", version="1.1"):
        headers = {
            "Content-Type": s4.CONTENT_TYPES[version],
            "Authorization": authorization or _auth(),
        }
        return self.url_open(URL + query, data=body, headers=headers, timeout=60)

    def messages(self):
        return self.env["punchout.message"].search([("kind", "=", "s4_order")], order="id")

    def test_the_carts_po_becomes_the_confirmed_order(self):
        session = self.transfer_oci_cart([(self.product_paper, 3), (self.product_pen, 12)])
        quotation = session.order_id
        for version in ("1.1", "1.2"):
            with self.subTest(version=version):
                po_number = f"45000001{version[-1]}0"
                if version == "1.2":
                    session = self.transfer_oci_cart([(self.product_pen, 2)])
                    quotation = session.order_id
                body = s4.build_order_request(
                    self.po_of(session, po_number),
                    f"MSG-{version}",
                    "2026-12-05T09:30:00Z",
                    version=version,
                )
                response = self.post(body, version=version)
                self.assertEqual(response.status_code, 202, response.text[:500])
                self.assertEqual(response.content, b"")
                quotation.invalidate_recordset()
                self.assertEqual(quotation.state, "sale")
                self.assertEqual(quotation.punchout_po_number, po_number)
                self.assertEqual(
                    sorted(quotation.order_line.mapped("punchout_po_line_number")),
                    [10 * n for n in range(1, len(quotation.order_line) + 1)],
                )
        messages = self.messages()
        self.assertEqual(messages.mapped("state"), ["done", "done"])
        self.assertEqual(messages[0].connection_id, self.connection)
        self.assertIn("OrderRequest", messages[0].payload)

    def test_a_redelivery_is_a_replay(self):
        session = self.transfer_oci_cart([(self.product_pen, 5)])
        body = s4.build_order_request(self.po_of(session), "MSG-1", "2026-12-05T09:30:00Z")
        first = self.post(body, query="?MessageId=0050569E8C3A1EDF")
        again = self.post(body, query="?MessageId=0050569E8C3A1EDF")
        self.assertEqual((first.status_code, again.status_code), (202, 202))
        orders = self.env["sale.order"].search([("punchout_po_number", "=", "4500000123")])
        self.assertEqual(len(orders), 1)
        replay = self.messages()[-1]
        self.assertIn("Redelivery", replay.error)
        self.assertEqual(replay.order_id, orders)
        # Another SAP message with the same PO number is a duplicate order, refused.
        other = self.post(body, query="?MessageId=0050569E8C3A1EE0")
        self.assertEqual(other.status_code, 500)
        self.assertEqual(s4.parse_fault(other.content)[0], True)
        self.assertIn("already received", s4.parse_fault(other.content)[1])

    def test_refusals_are_soap_faults(self):
        session = self.transfer_oci_cart([(self.product_pen, 5)])
        good = s4.build_order_request(self.po_of(session), "MSG-1", "2026-12-05T09:30:00Z")
        unknown = s4.build_order_request(
            s4.S4Order(
                purchase_order_id="4500000999",
                currency="EUR",
                items=[
                    s4.S4OrderItem(
                        item_id=10, quantity=Decimal(1), unit="EA", seller_product_id="NO-SUCH"
                    )
                ],
            ),
            "MSG-2",
            "2026-12-05T09:30:00Z",
        )
        cases = [
            (good, _auth(password="wrong"), 401, "wrong credentials"),
            (unknown, None, 500, "NO-SUCH"),
            (good, "Bearer abc", 401, "wrong credentials"),
            (b"<not-soap/>", None, 500, "SOAP envelope"),
            (
                good.replace(b"<PurchaseOrderID>4500000123</PurchaseOrderID>", b""),
                None,
                500,
                "PurchaseOrderID",
            ),
            (s4.wrap(etree.fromstring(b"<Other xmlns='urn:x'/>")), None, 500, "'Other'"),
            (
                b'<!DOCTYPE x [<!ENTITY a "b">]>' + good.split(b"?>", 1)[1],
                None,
                500,
                "entit",
            ),
            (
                f'<s:Envelope xmlns:s="{s4.SOAP11_NS}"><s:Body><r:CreateSequence '
                'xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702"/></s:Body></s:Envelope>'.encode(),
                None,
                500,
                "CreateSequence",
            ),
        ]
        for body, authorization, status, named in cases:
            with self.subTest(named=named):
                response = self.post(body, authorization=authorization)
                self.assertEqual(response.status_code, status, response.text[:300])
                sender, text = s4.parse_fault(response.content)
                self.assertTrue(sender)
                self.assertIn(named.lower(), text.lower())
        failed = self.messages()
        self.assertEqual(set(failed.mapped("state")), {"error"})
        self.assertTrue(failed[0].auth_failed)
        # Nothing was ordered.
        self.assertEqual(session.order_id.state, "sent")
        # SOAP 1.2: a refusal is HTTP 400 with a Sender fault.
        response = self.post(
            s4.build_order_request(self.po_of(session), "M", "x", version="1.2").replace(
                b"<PurchaseOrderID>4500000123</PurchaseOrderID>", b""
            ),
            version="1.2",
        )
        self.assertEqual(response.status_code, 400)
        self.assertTrue(s4.parse_fault(response.content)[0])

    def test_failed_logins_are_throttled(self):
        session = self.transfer_oci_cart([(self.product_pen, 5)])
        body = s4.build_order_request(self.po_of(session), "MSG-1", "2026-12-05T09:30:00Z")
        for _attempt in range(THROTTLE_MAX_FAILURES):
            self.assertEqual(
                self.post(body, authorization=_auth(password="guess")).status_code, 401
            )
        # Now even the right password waits: the address is throttled, nothing is read.
        response = self.post(body)
        self.assertEqual(response.status_code, 429)
        self.assertIn("Too many", s4.parse_fault(response.content)[1])
        self.assertEqual(session.order_id.state, "sent")

    def test_huge_body_and_unknown_connection(self):
        response = self.url_open(
            URL,
            data=b"<" * (6 * 1024 * 1024),
            headers={"Content-Type": "text/xml", "Authorization": _auth()},
        )
        self.assertEqual(response.status_code, 413)
        response = self.url_open(
            "/punchout/s4/nope",
            data=b"<x/>",
            headers={"Content-Type": "text/xml", "Authorization": _auth()},
        )
        self.assertEqual(response.status_code, 401)

    def test_a_zeep_client_of_the_served_wsdl_orders(self):
        session = self.transfer_oci_cart([(self.product_paper, 2)])
        line = session.order_id.order_line
        wsdl = self.url_open(URL + "?wsdl")
        self.assertEqual(wsdl.status_code, 200)
        self.assertIn(b"OrderRequest_Out", wsdl.content)
        transport = zeep.Transport()
        transport.session.auth = HTTPBasicAuth("buyer", PASSWORD)
        client = zeep.Client(self.base_url() + URL + "?wsdl", transport=transport)
        answer = client.service.OrderRequest_Out(
            MessageHeader={"ID": "ZEEP-1", "CreationDateTime": datetime(2026, 12, 5, 9, 30)},
            Order={
                "PurchaseOrderID": "4500000777",
                "CurrencyCode": session.order_id.currency_id.name,
                "Item": [
                    {
                        "PurchaseOrderItemID": "10",
                        "Product": {"SellerProductID": "PAP-A4-80"},
                        "Quantity": {"_value_1": Decimal(2), "unitCode": "EA"},
                        "NetPrice": {
                            "Amount": {
                                "_value_1": Decimal(str(line.price_unit)),
                                "currencyCode": session.order_id.currency_id.name,
                            }
                        },
                        "QuotationReference": {
                            "ID": session.order_id.name,
                            "ItemID": str(line.id),
                        },
                    }
                ],
            },
        )
        self.assertIsNone(answer)  # 202, no body
        self.env.invalidate_all()
        self.assertEqual(session.order_id.state, "sale")
        self.assertEqual(session.order_id.punchout_po_number, "4500000777")


CONFIRMATION_URL = "https://s4.buyer.example/sap/bc/srt/xip/sap/orderconfrequest_in/100"


@tagged("post_install", "-at_install")
class TestS4Confirmations(PunchoutHttpCase):
    """Order confirmations to the buyer's S/4HANA, written by zeep from the WSDL, posted by the
    send job with SAP's SOAPAction and our Basic credentials, retried until taken."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection.write(
            {
                "protocol": "s4",
                "s4_confirmation_url": CONFIRMATION_URL,
                "s4_outbound_username": "SUPPLIER_V1000",
                "s4_outbound_password": "s4-inbound-pw",
            }
        )

    def order(self, lines):
        session = self.transfer_oci_cart(lines)
        body = s4.build_order_request(
            self.s4_purchase_order(session), "0050569E8C3A1EDF", "2026-12-05T09:30:00Z"
        )
        response = self.url_open(
            URL, data=body, headers={"Content-Type": "text/xml", "Authorization": _auth()}
        )
        self.assertEqual(response.status_code, 202, response.text[:300])
        self.env.invalidate_all()
        return session.order_id

    def confirmations(self):
        return self.env["punchout.message"].search([("kind", "=", "s4_confirmation")], order="id")

    def test_confirmation_written_by_zeep_and_retried_until_taken(self):
        order = self.order([(self.product_paper, 3), (self.product_pen, 12)])
        message = self.confirmations()
        self.assertRecordValues(
            message,
            [{"state": "pending", "protocol": "s4", "order_id": order.id, "direction": "out"}],
        )
        self.assertEqual(message.soap_action, "http://sap.com/xi/EDI/OrderConfRequest_In")
        busy = s4.build_fault("1.1", False, "System busy")
        with mock_buyer_system(self.env, (500, busy), (202, b"")) as buyer:
            self.env["punchout.message"]._cron_send_pending()
            self.assertRecordValues(message, [{"state": "pending", "http_status": 500}])
            self.assertIn("System busy", message.error)
            message.next_attempt_at = fields.Datetime.now() - timedelta(minutes=1)
            self.env["punchout.message"]._cron_send_pending()
        self.assertRecordValues(message, [{"state": "done", "http_status": 202}])
        self.assertEqual([url for url, _body in buyer.received], [CONFIRMATION_URL] * 2)
        # The same document both times, with SAP's action and our credentials.
        self.assertEqual(buyer.received[0][1], buyer.received[1][1])
        headers = buyer.headers[1]
        self.assertEqual(headers["SOAPAction"], '"http://sap.com/xi/EDI/OrderConfRequest_In"')
        expected = base64.b64encode(b"SUPPLIER_V1000:s4-inbound-pw").decode()
        self.assertEqual(headers["Authorization"], f"Basic {expected}")
        # What the buyer's S/4HANA reads: the PO, its items, what we confirm of each.
        operation, values = s4.read_document(s4.parse_envelope(buyer.received[0][1]).body)
        self.assertEqual(operation, "OrderConfRequest_In")
        self.assertEqual(values["MessageHeader"]["ReferenceID"], "0050569E8C3A1EDF")
        confirmation = values["OrderConfirmation"]
        self.assertEqual(
            (confirmation["PurchaseOrderID"], confirmation["SalesOrderID"]),
            ("4500000123", order.name),
        )
        self.assertEqual(confirmation["ConfirmationStatusCode"], "AP")
        items = {item["PurchaseOrderItemID"]: item for item in confirmation["Item"]}
        self.assertEqual(set(items), {"10", "20"})
        quantities = sorted(float(item["ConfirmedQuantity"]["value"]) for item in items.values())
        self.assertEqual(quantities, [3.0, 12.0])

    def test_a_change_sends_a_new_version_and_a_refusal_is_kept(self):
        order = self.order([(self.product_pen, 12)])
        line = order.order_line.filtered("product_id")
        with mock_buyer_system(self.env, (202, b"")):
            self.env["punchout.message"]._cron_send_pending()
        # We deliver 10 of the 12: the second version says so, item by item.
        line.product_uom_qty = 10
        order.flush_recordset()
        self.env.cr.precommit.run()
        second = self.confirmations()[-1]
        self.assertEqual(len(self.confirmations()), 2)
        refusal = s4.build_fault("1.1", True, "Item 10 is closed")
        with mock_buyer_system(self.env, (500, refusal)) as buyer:
            self.env["punchout.message"]._cron_send_pending()
        self.assertRecordValues(second, [{"state": "error", "refused": True}])
        _operation, values = s4.read_document(s4.parse_envelope(buyer.received[0][1]).body)
        confirmation = values["OrderConfirmation"]
        self.assertEqual(confirmation["ConfirmationStatusCode"], "AC")
        item = confirmation["Item"]
        self.assertEqual(
            (item["ConfirmationStatusCode"], item["ConfirmedQuantity"]["value"]), ("AC", "10")
        )
        self.assertEqual(order.punchout_confirmation_version, 2)

    def test_a_wsdl_that_imports_is_refused(self):
        wsdl = s4.buyer_wsdl().replace(
            b"<wsdl:types>",
            b'<wsdl:import namespace="urn:x" location="http://attacker.example/x.wsdl"/><wsdl:types>',
        )
        self.connection.s4_wsdl = base64.b64encode(wsdl)
        with self.assertRaisesRegex(ValueError, "self-contained"):
            self.env["punchout.s4"]._build(
                self.connection, "OrderConfRequest_In", CONFIRMATION_URL, MessageHeader={}
            )
