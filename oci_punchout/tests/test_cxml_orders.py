"""cXML OrderRequests over real HTTP: the cart's quotation confirmed, replays, updates, deletions,
deviations.
"""

import dataclasses
import threading
from decimal import Decimal

import requests
from lxml import etree

from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..protocol import cxml
from .common import CXML_SAMPLES, mock_buyer_system
from .cxml_common import CxmlCase, buyer_header


@tagged("post_install", "-at_install")
class TestCxmlOrders(CxmlCase):
    def _post_order(self, body):
        root, answer = self.post_cxml(body)
        return self.status(root), answer

    def test_round_trip_cart_to_confirmed_order(self):
        """setup -> shop -> cart message -> the buyer's OrderRequest -> confirmed sale order."""
        session, document = self.shop_and_transfer()
        quotation = session.order_id
        body, _order = self.order_from_cart(document, order_id="PO-1001", payload_id="po-1@buyer")
        with mock_buyer_system(self.env) as buyer_system:
            (code, text), _answer = self._post_order(body)
            self.env["punchout.message"]._cron_send_pending()
        self.assertEqual(code, 200, text)
        self.assertEqual(buyer_system.received, [])  # no confirmation URL on this connection
        quotation.invalidate_recordset()
        self.assertRecordValues(
            quotation,
            [
                {
                    "state": "sale",
                    "client_order_ref": "PO-1001",
                    "punchout_po_number": "PO-1001",
                    "punchout_po_payload_id": "po-1@buyer",
                    "amount_untaxed": 459.75,
                }
            ],
        )
        self.assertEqual(
            sorted(
                (
                    line.punchout_po_line_number,
                    line.product_id.id,
                    line.product_uom_qty,
                    line.price_unit,
                )
                for line in quotation.order_line
            ),
            sorted([(1, self.product_paper.id, 3.0, 81.25), (2, self.product_pen.id, 12.0, 18.0)]),
        )
        self.assertEqual(quotation.partner_invoice_id.city, "Berlin")
        self.assertEqual(quotation.partner_invoice_id.parent_id, self.buyer)
        self.assertEqual(session.state, "ordered")
        self.assertFalse(quotation.activity_ids)
        message = self.env["punchout.message"].search([("kind", "=", "cxml_order")])
        self.assertRecordValues(message, [{"state": "done", "order_id": quotation.id}])

    def test_replays_and_duplicates(self):
        session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(document, order_id="PO-2002", payload_id="po-2@buyer")
        (code, _text), first_answer = self._post_order(body)
        self.assertEqual(code, 200)
        (code, _text), second_answer = self._post_order(body)
        self.assertEqual(code, 200)
        self.assertEqual(second_answer, first_answer)  # the first answer, again
        orders = self.env["sale.order"].search([("punchout_po_number", "=", "PO-2002")])
        self.assertEqual(len(orders), 1)
        replay = self.env["punchout.message"].search(
            [("kind", "=", "cxml_order")], order="id desc", limit=1
        )
        self.assertIn("Replay", replay.error)
        # A new document for an order already received: 409, nothing created.
        body, _order = self.order_from_cart(document, order_id="PO-2002", payload_id="po-3@buyer")
        (code, _text), _answer = self._post_order(body)
        self.assertEqual(code, 409)
        self.assertEqual(
            self.env["sale.order"].search_count([("punchout_po_number", "=", "PO-2002")]), 1
        )
        self.assertEqual(session.order_id.state, "sale")

    def test_concurrent_identical_orders_create_one_sale_order(self):
        _session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(document, order_id="PO-3003", payload_id="po-c@buyer")
        url = self.base_url() + "/punchout/cxml"
        cookies = self.opener.cookies.copy()
        answers = []
        barrier = threading.Barrier(2)

        def post():
            barrier.wait(timeout=10)
            answers.append(
                requests.post(
                    url,
                    data=body,
                    headers={"Content-Type": "text/xml"},
                    cookies=cookies,
                    timeout=60,
                )
            )

        threads = [threading.Thread(target=post) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=90)
        self.assertEqual(len(answers), 2)
        codes = sorted(
            int(etree.fromstring(answer.content).find("Response/Status").get("code"))
            for answer in answers
        )
        self.assertEqual(codes, [200, 200])
        self.assertEqual(
            self.env["sale.order"].search_count([("punchout_po_number", "=", "PO-3003")]), 1
        )
        messages = self.env["punchout.message"].search([("kind", "=", "cxml_order")])
        self.assertEqual(len(messages), 2)
        self.assertEqual(len(messages.order_id), 1)

    def test_database_guarantees_one_order_per_document(self):
        """The unique index, not the code path, stops a second copy of the same payloadID."""
        Message = self.env["punchout.message"]
        Message._log("cxml_order", "in", "cxml", "a", dedup_key="7:same-payload")
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(Exception) as caught,
            self.env.cr.savepoint(),
        ):
            Message._log("cxml_order", "in", "cxml", "b", dedup_key="7:same-payload")
            self.env.flush_all()
        self.assertIn("punchout_message_inbound_dedup_key_uniq", str(caught.exception))

    def _deviating_order(self, policy, quantity_factor=1, price=None):
        self.cxml_connection.order_deviation_policy = policy
        session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        cart.items[1].quantity = cart.items[1].quantity * quantity_factor
        if price is not None:
            cart.items[1].unit_price = cxml.Money(
                Decimal(price), cart.items[1].unit_price.currency
            )
        bill_to = cxml.Address(
            name="Buyer", street=["Hauptstrasse 5"], city="Berlin", country_code="DE"
        )
        order = cxml.order_request_from_cart(cart, f"PO-{policy}", bill_to)
        body = cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        return session, self._post_order(body)

    def test_deviation_policy_flag(self):
        session, ((code, _text), _answer) = self._deviating_order("flag", price="17.50")
        self.assertEqual(code, 200)
        order = session.order_id
        pen_line = order.order_line.filtered(lambda line: line.product_id == self.product_pen)
        self.assertEqual(order.state, "sale")
        self.assertEqual(pen_line.price_unit, 18.0)  # ours kept
        self.assertEqual(len(order.activity_ids), 1)
        self.assertIn("17.5", order.activity_ids.note)

    def test_deviation_policy_accept(self):
        session, ((code, _text), _answer) = self._deviating_order(
            "accept", quantity_factor=2, price="17.50"
        )
        self.assertEqual(code, 200)
        pen_line = session.order_id.order_line.filtered(
            lambda line: line.product_id == self.product_pen
        )
        self.assertEqual((pen_line.product_uom_qty, pen_line.price_unit), (24.0, 17.5))
        self.assertFalse(session.order_id.activity_ids)

    def test_deviation_policy_refuse(self):
        session, ((code, text), _answer) = self._deviating_order("refuse", price="17.50")
        self.assertEqual(code, 400)
        self.assertIn("17.5", text)
        session.order_id.invalidate_recordset()
        self.assertEqual(session.order_id.state, "sent")  # nothing half-written
        self.assertFalse(session.order_id.punchout_po_number)
        message = self.env["punchout.message"].search([("kind", "=", "cxml_order")])
        self.assertEqual(message.state, "error")

    def _order_with_unorderable_lines(self, policy):
        self.cxml_connection.order_deviation_policy = policy
        session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        paper, pen = cart.items
        cart.items = [
            dataclasses.replace(paper, quantity=Decimal(0)),
            pen,
            # Not from the quotation: a product outside this buyer's assortment, by id.
            dataclasses.replace(
                pen,
                line_number=3,
                supplier_part_id=str(self.product_drill.id),
                supplier_part_auxiliary_id="",
            ),
        ]
        bill_to = cxml.Address(name="Buyer", street=["Hauptstrasse 5"], city="Berlin")
        order = cxml.order_request_from_cart(cart, f"PO-BAD-{policy}", bill_to)
        body = cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        return session, self._post_order(body)

    def test_unorderable_lines_hold_the_order_for_review(self):
        session, ((code, text), _answer) = self._order_with_unorderable_lines("flag")
        self.assertEqual(code, 200, text)
        order = session.order_id
        order.invalidate_recordset()
        self.assertEqual(order.state, "sent")  # not confirmed
        self.assertNotIn(self.product_drill, order.order_line.product_id)
        paper_line = order.order_line.filtered(lambda line: line.product_id == self.product_paper)
        self.assertEqual(paper_line.product_uom_qty, 3.0)  # ours kept, never 0
        notes = order.order_line.filtered("display_type").mapped("name")
        self.assertTrue(any("Line 1:" in note for note in notes), notes)
        self.assertTrue(any("Line 3:" in note for note in notes), notes)
        self.assertEqual(len(order.activity_ids), 1)

    def test_unorderable_lines_refused_by_policy(self):
        session, ((code, text), _answer) = self._order_with_unorderable_lines("refuse")
        self.assertEqual(code, 400)
        self.assertIn("Line 1", text)
        session.order_id.invalidate_recordset()
        self.assertEqual(session.order_id.state, "sent")
        self.assertFalse(session.order_id.punchout_po_number)
        self.assertEqual(len(session.order_id.order_line), 2)

    def test_order_naming_only_the_quotation_matches_lines_by_product(self):
        session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        for item in cart.items:
            item.supplier_part_auxiliary_id = session.order_id.name
        bill_to = cxml.Address(name="Buyer", street=["Hauptstrasse 5"], city="Berlin")
        order = cxml.order_request_from_cart(cart, "PO-1111", bill_to)
        (code, _text), _answer = self._post_order(
            cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        )
        self.assertEqual(code, 200)
        sale = session.order_id
        self.assertEqual(sale.state, "sale")
        self.assertEqual(len(sale.order_line), 2)
        self.assertEqual(sorted(sale.order_line.mapped("punchout_po_line_number")), [1, 2])
        self.assertFalse(sale.activity_ids)

    def test_refused_order_can_be_retried(self):
        session, ((code, _text), _answer) = self._deviating_order("refuse", price="17.50")
        self.assertEqual(code, 400)
        message = self.env["punchout.message"].search([("kind", "=", "cxml_order")])
        self.assertEqual(message.state, "error")
        self.assertNotIn("s3cr3t", message.payload)
        self.cxml_connection.order_deviation_policy = "flag"
        message.action_retry()
        self.assertEqual(message.state, "done")
        self.assertEqual(session.order_id.state, "sale")
        self.assertEqual(message.order_id, session.order_id)
        with self.assertRaises(UserError):
            message.action_retry()

    def test_unmatched_lines_are_added_and_flagged(self):
        # In the assortment, not in the quotation, not published: a catalogue item.
        stapler = self.env["product.product"].create(
            {
                "name": "Stapler",
                "default_code": "STAPLER-1",
                "list_price": 135.0,
                "sale_ok": True,
                "public_categ_ids": [Command.set(self.public_categ_office.ids)],
            }
        )
        session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        cart.items.append(
            cxml.Item(
                quantity=Decimal(5),
                supplier_part_id="STAPLER-1",
                unit_price=cxml.Money(Decimal("135.00"), self.currency.name),
                description="Stapler",
                unit_of_measure="C62",
                classifications=[("UNSPSC", "27112700")],
            )
        )
        cart.items.append(
            cxml.Item(
                quantity=Decimal(1),
                supplier_part_id="NO-SUCH-PART",
                unit_price=cxml.Money(Decimal("1.00"), self.currency.name),
                description="Mystery",
                unit_of_measure="C62",
                classifications=[("UNSPSC", "1")],
            )
        )
        bill_to = cxml.Address(
            name="Buyer", street=["Hauptstrasse 5"], city="Berlin", country_code="DE"
        )
        order = cxml.order_request_from_cart(cart, "PO-4004", bill_to)
        (code, _text), _answer = self._post_order(
            cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        )
        self.assertEqual(code, 200)
        sale = session.order_id
        self.assertEqual(sale.state, "sale")
        self.assertIn(stapler, sale.order_line.product_id)
        self.assertTrue(sale.order_line.filtered(lambda line: "NO-SUCH-PART" in (line.name or "")))
        self.assertEqual(len(sale.activity_ids), 1)
        self.assertIn("Stapler", sale.activity_ids.note)
        self.assertIn("NO-SUCH-PART", sale.activity_ids.note)

    def test_added_lines_take_the_buyers_price_under_the_accept_policy(self):
        self.cxml_connection.order_deviation_policy = "accept"
        _session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        cart.items = [
            dataclasses.replace(
                cart.items[1],
                line_number=7,
                supplier_part_id="PEN-BLUE",
                supplier_part_auxiliary_id="",
                quantity=Decimal(2),
                unit_price=cxml.Money(Decimal("16.00"), self.currency.name),
            )
        ]
        bill_to = cxml.Address(name="Buyer", street=["Hauptstrasse 5"], city="Berlin")
        order = cxml.order_request_from_cart(cart, "PO-ADD-ACCEPT", bill_to)
        (code, text), _answer = self._post_order(
            cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        )
        self.assertEqual(code, 200, text)
        sale = self.env["sale.order"].search([("punchout_po_number", "=", "PO-ADD-ACCEPT")])
        line = sale.order_line.filtered(lambda line: line.punchout_po_line_number == 7)
        self.assertRecordValues(
            line, [{"product_id": self.product_pen.id, "product_uom_qty": 2.0, "price_unit": 16.0}]
        )

    def test_shared_sample_order_without_punchout_history(self):
        """An OrderRequest from a catalogue upload (no cart of ours) still becomes an order."""
        self.cxml_connection.cxml_shared_secret = "coyote"
        for code in ("1233244", "1233245"):
            self.env["product.product"].create(
                {
                    "name": f"Catalogue item {code}",
                    "default_code": code,
                    "list_price": 10.0,
                    "public_categ_ids": [Command.set(self.public_categ_office.ids)],
                }
            )
        sample = (CXML_SAMPLES / "cxml-php_OrderRequest.xml").read_bytes()
        (code, text), _answer = self._post_order(sample)
        self.assertEqual(code, 200, text)
        order = self.env["sale.order"].search([("punchout_po_number", "=", "DO1234")])
        self.assertEqual(order.state, "sale")
        self.assertEqual(order.partner_id, self.buyer)
        self.assertEqual(sorted(order.order_line.mapped("product_uom_qty")), [10.0, 20.0])
        self.assertEqual(order.activity_ids.summary, "Review purchase order DO1234")

    def test_update_and_delete(self):
        session, document = self.shop_and_transfer()
        body, order = self.order_from_cart(document, order_id="PO-5005", payload_id="po-5@buyer")
        self.assertEqual(self._post_order(body)[0][0], 200)
        order.order_type = "update"
        order.order_version = 2
        order.items[0].quantity = Decimal(4)
        order.document_reference_payload_id = "po-5@buyer"
        self.cxml_connection.order_deviation_policy = "accept"
        body = cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        self.assertEqual(self._post_order(body)[0][0], 200)
        sale = session.order_id
        sale.invalidate_recordset()
        self.assertEqual(sale.punchout_po_version, 2)
        paper = sale.order_line.filtered(lambda line: line.product_id == self.product_paper)
        self.assertEqual(paper.product_uom_qty, 4.0)
        order.order_type = "delete"
        body = cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        self.assertEqual(self._post_order(body)[0][0], 200)
        sale.invalidate_recordset()
        self.assertEqual(sale.state, "cancel")

    def test_multipart_order_attachments(self):
        _session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(document, order_id="PO-6006")
        boundary = "----punchout-boundary"
        xml_part_headers = "Content-Type: text/xml; charset=UTF-8\r\nContent-ID: <po>"
        pdf_part_headers = (
            "Content-Type: application/pdf\r\nContent-ID: <terms.pdf>\r\n"
            "Content-Disposition: attachment; filename=terms.pdf"
        )
        multipart = (
            f"--{boundary}\r\n{xml_part_headers}\r\n\r\n".encode()
            + body
            + f"\r\n--{boundary}\r\n{pdf_part_headers}\r\n\r\n".encode()
            + f"%PDF-1.4 terms\r\n--{boundary}--\r\n".encode()
        )
        root, _answer = self.post_cxml(
            multipart, content_type=f'multipart/related; boundary="{boundary}"; type="text/xml"'
        )
        self.assertEqual(self.status(root)[0], 200)
        order = self.env["sale.order"].search([("punchout_po_number", "=", "PO-6006")])
        attachment = self.env["ir.attachment"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", order.id)]
        )
        self.assertEqual(attachment.name, "terms.pdf")
        self.assertEqual(attachment.raw, b"%PDF-1.4 terms")
