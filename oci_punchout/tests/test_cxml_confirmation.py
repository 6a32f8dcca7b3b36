"""cXML ConfirmationRequests: queued after the order, sent once, retried with the same document,
checked against Fulfill.dtd.
"""

import re
from decimal import Decimal

import requests

from odoo.tests import tagged

from ..protocol import cxml
from .common import assert_valid_cxml, mock_buyer_system
from .cxml_common import CxmlCase, buyer_header


@tagged("post_install", "-at_install")
class TestCxmlConfirmation(CxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection.cxml_confirmation_url = "https://buyer.example/cxml/confirm"

    def test_confirmation_is_sent_once_and_valid(self):
        session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(document, order_id="PO-7007", payload_id="po-7@buyer")
        cron = self.env.ref("oci_punchout.ir_cron_punchout_send")
        Trigger = self.env["ir.cron.trigger"].sudo()
        triggers = Trigger.search_count([("cron_id", "=", cron.id)])
        with mock_buyer_system(self.env) as buyer_system:
            root, _answer = self.post_cxml(body)
            self.assertEqual(self.status(root)[0], 200)
            # Answered first; the send job is woken to send the confirmation right after.
            self.assertEqual(buyer_system.received, [])
            self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers + 1)
            self.env["punchout.message"]._cron_send_pending()
        self.assertEqual(len(buyer_system.received), 1)
        url, data = buyer_system.received[0]
        self.assertEqual(url, "https://buyer.example/cxml/confirm")
        confirmation = assert_valid_cxml(data, dtd="Fulfill")
        self.assertEqual(
            confirmation.findtext("Header/Sender/Credential/SharedSecret"), "our-secret"
        )
        request = confirmation.find("Request/ConfirmationRequest")
        self.assertEqual(request.find("ConfirmationHeader").get("type"), "accept")
        reference = request.find("OrderReference")
        self.assertEqual(reference.get("orderID"), "PO-7007")
        self.assertEqual(reference.find("DocumentReference").get("payloadID"), "po-7@buyer")
        self.assertEqual(
            [item.get("lineNumber") for item in request.findall("ConfirmationItem")], ["1", "2"]
        )
        # When the buyer can expect each line: the order date plus the line's lead time.
        lines = session.order_id.order_line.filtered("product_id")
        statuses = request.findall("ConfirmationItem/ConfirmationStatus")
        self.assertEqual(
            [status.get("deliveryDate") for status in statuses],
            [cxml.format_datetime(line._expected_date()) for line in lines],
        )
        message = self.env["punchout.message"].search([("kind", "=", "cxml_confirmation")])
        self.assertRecordValues(
            message, [{"state": "done", "attempt_count": 1, "order_id": session.order_id.id}]
        )
        self.assertNotIn("our-secret", message.payload)

    def test_confirmation_failures_are_retried_with_the_same_document(self):
        _session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(document, order_id="PO-8008")
        with mock_buyer_system(self.env, requests.ConnectionError("connection refused")) as down:
            root, _answer = self.post_cxml(body)
            self.env["punchout.message"]._cron_send_pending()
        self.assertEqual(self.status(root)[0], 200)  # the order itself is fine
        message = self.env["punchout.message"].search([("kind", "=", "cxml_confirmation")])
        self.assertEqual(message.state, "pending")
        self.assertIn("connection refused", message.error)

        message.next_attempt_at = "2000-01-01 00:00:00"
        with mock_buyer_system(self.env, (500, b"<html>oops</html>")) as server_error:
            self.env["punchout.message"]._cron_send_pending()
        self.assertEqual(message.state, "pending")

        message.next_attempt_at = "2000-01-01 00:00:00"
        with mock_buyer_system(self.env) as accepted:
            self.env["punchout.message"]._cron_send_pending()
            self.env["punchout.message"]._cron_send_pending()
            message.action_send_now()
        self.assertEqual(message.state, "done")
        attempts = [
            data for buyer in (down, server_error, accepted) for _url, data in buyer.received
        ]
        self.assertEqual(len(attempts), 3)  # never once more after it was taken
        payload_ids = {re.search(rb'payloadID="([^"]+)"', data).group(1) for data in attempts}
        self.assertEqual(len(payload_ids), 1)

    def test_a_full_batch_of_due_documents_runs_the_send_job_again(self):
        Message = self.env["punchout.message"]
        due = Message.browse()
        for number in range(3):
            due |= Message._log(
                "cxml_confirmation",
                "out",
                "cxml",
                f"<cXML payloadID='c{number}@us'/>",
                state="pending",
                next_attempt_at="2000-01-01 00:00:00",
            )
        cron = self.env.ref("oci_punchout.ir_cron_punchout_send")
        Trigger = self.env["ir.cron.trigger"].sudo()
        before = Trigger.search_count([("cron_id", "=", cron.id)])
        # No connection, so no URL: each sent document ends in error without any post.
        Message._cron_send_pending(batch_size=2)  # 3 due: the rest in another run, now
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)
        self.assertEqual(due.mapped("state"), ["error", "error", "pending"])
        Message._cron_send_pending(batch_size=5)  # the last one fits: no further run
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), before + 1)
        self.assertEqual(due.mapped("state"), ["error"] * 3)

    def test_confirmation_refused_by_the_buyer(self):
        _session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(document, order_id="PO-9009")

        refusal = (200, cxml.build_response(400, "Bad Request", "Unknown order"))
        with mock_buyer_system(self.env, refusal):
            self.post_cxml(body)
            self.env["punchout.message"]._cron_send_pending()
        message = self.env["punchout.message"].search([("kind", "=", "cxml_confirmation")])
        self.assertEqual(message.state, "error")
        self.assertIn("Unknown order", message.error)

    def test_confirmation_details_what_differs(self):
        self.cxml_connection.order_deviation_policy = "flag"
        _session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        cart.items[1].unit_price = cxml.Money(Decimal("17.50"), cart.items[1].unit_price.currency)
        bill_to = cxml.Address(name="Buyer", street=["Hauptstrasse 5"], city="Berlin")
        order = cxml.order_request_from_cart(cart, "PO-1010", bill_to)
        with mock_buyer_system(self.env) as buyer_system:
            self.post_cxml(cxml.build_order_request(buyer_header(), order, deployment_mode="test"))
            self.env["punchout.message"]._cron_send_pending()
        confirmation = assert_valid_cxml(buyer_system.received[0][1], dtd="Fulfill")
        header = confirmation.find("Request/ConfirmationRequest/ConfirmationHeader")
        self.assertEqual(header.get("type"), "detail")
        prices = [
            money.text
            for money in confirmation.iterfind(
                "Request/ConfirmationRequest/ConfirmationItem/ConfirmationStatus/UnitPrice/Money"
            )
        ]
        self.assertEqual([Decimal(price) for price in prices], [Decimal("81.25"), Decimal(18)])
