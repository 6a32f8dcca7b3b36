import dataclasses
import re
import threading
from datetime import datetime, timezone
from decimal import Decimal

import requests
from lxml import etree

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..protocol import cxml
from .common import CXML_SAMPLES, PunchoutHttpCase, assert_valid_cxml, mock_buyer_system

BUYER = cxml.Credential("NetworkId", "inbound@prominate-platform.com", "s3cr3t")
SUPPLIER = cxml.Credential("NetworkId", "supplier@supplier.com")
FORM_POST = "https://prominate-platform.com/hook-url"


def buyer_header(secret="s3cr3t", identity=BUYER.identity):
    return cxml.Header(
        from_credentials=[cxml.Credential(BUYER.domain, identity)],
        to_credentials=[SUPPLIER],
        sender_credentials=[cxml.Credential(BUYER.domain, identity, secret)],
        user_agent="Buyer simulator in tests",
    )


class CxmlCase(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection = cls.env["punchout.connection"].create(
            {
                "name": "Buyer Ariba (test)",
                "code": "buyer-ariba",
                "protocol": "cxml",
                "system_name": "Ariba",
                "partner_id": cls.buyer.id,
                "user_id": cls.buyer_user.id,
                "pricelist_id": cls.pricelist.id,
                "website_id": cls.website.id,
                "company_id": cls.company.id,
                "test_mode": True,
                "end_user_policy": "create",
                "cxml_buyer_domain": "NetworkID",
                "cxml_buyer_identity": BUYER.identity,
                "cxml_shared_secret": "s3cr3t",
                "cxml_supplier_identity": SUPPLIER.identity,
                "cxml_outbound_secret": "our-secret",
                "allowed_return_urls": "https://prominate-platform.com/",
                "allowed_public_categ_ids": [Command.set(cls.public_categ_office.ids)],
            }
        )

    def post_cxml(self, body, content_type="text/xml; charset=UTF-8"):
        response = self.url_open(
            "/punchout/cxml", data=body, headers={"Content-Type": content_type}, timeout=60
        )
        self.assertEqual(response.status_code, 200, "cXML answers with HTTP 200")
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        root = assert_valid_cxml(response.content)
        return root, response.content

    @staticmethod
    def status(root):
        status = root.find("Response/Status")
        return int(status.get("code")), (status.text or "").strip()

    def setup_request(self, operation="create", items=(), header=None, mode="test", **values):
        setup = cxml.PunchOutSetupRequest(
            operation=operation,
            buyer_cookie=values.pop("buyer_cookie", "cookie-42"),
            browser_form_post_url=values.pop("browser_form_post_url", FORM_POST),
            extrinsics=values.pop("extrinsics", {"UserEmail": "jane.doe@buyer.example"}),
            items=list(items),
            **values,
        )
        return cxml.build_punchout_setup_request(
            header or buyer_header(), setup, deployment_mode=mode
        )

    def punch_in_cxml(self, **kwargs):
        root, _body = self.post_cxml(self.setup_request(**kwargs))
        self.assertEqual(self.status(root)[0], 200)
        start_url = root.findtext("Response/PunchOutSetupResponse/StartPage/URL")
        self.assertTrue(start_url)
        response = self.url_open(start_url, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:300])
        return self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)], order="id desc", limit=1
        ), start_url

    def transfer_cart(self, session):
        token = self.csrf_token()
        response = self.url_open(
            "/punchout/transfer", data={"csrf_token": token, "punchout_session_id": session.id}
        )
        self.assertEqual(response.status_code, 200)
        form, pairs = self.parse_return_form(response.content)
        self.assertEqual(form.get("action"), FORM_POST)
        fields_ = dict(pairs)
        name = self.cxml_connection.cxml_form_field_name
        document = cxml.decode_browser_form_value(
            fields_[name], self.cxml_connection.cxml_form_encoding
        )
        return document

    def shop_and_transfer(self):
        session, _url = self.punch_in_cxml()
        self.add_to_cart(self.product_paper, 3)
        self.add_to_cart(self.product_pen, 12)
        document = self.transfer_cart(session)
        return session, document

    def order_from_cart(self, document, order_id="PO-1001", payload_id=None, **values):
        cart = cxml.parse_punchout_order_message(document)
        bill_to = cxml.Address(
            name="Buyer Industries GmbH",
            street=["Hauptstrasse 5"],
            city="Berlin",
            postal_code="10115",
            country_code="DE",
        )
        order = cxml.order_request_from_cart(
            cart,
            order_id,
            bill_to,
            order_date=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
            **values,
        )
        return cxml.build_order_request(
            buyer_header(), order, deployment_mode="test", payload_id=payload_id
        ), order


@tagged("post_install", "-at_install")
class TestCxmlEndpoint(CxmlCase):
    def test_profile_request(self):
        root, _body = self.post_cxml(
            cxml.build_profile_request(buyer_header(), deployment_mode="test")
        )
        self.assertEqual(self.status(root)[0], 200)
        transactions = {
            el.get("requestName"): el.findtext("URL")
            for el in root.iterfind("Response/ProfileResponse/Transaction")
        }
        self.assertEqual(set(transactions), {"PunchOutSetupRequest", "OrderRequest"})
        self.assertTrue(transactions["OrderRequest"].endswith("/punchout/cxml"))
        message = self.env["punchout.message"].search([("kind", "=", "cxml_profile")])
        self.assertEqual(message.state, "done")
        self.assertNotIn("s3cr3t", message.payload)

    def test_shared_sample_setup_request(self):
        """The PunchOutSetupRequest written by another implementation opens a session."""
        sample = (CXML_SAMPLES / "cxml-php_PunchOutSetupRequest.xml").read_bytes()
        root, _body = self.post_cxml(sample)
        self.assertEqual(self.status(root)[0], 200)
        start_url = root.findtext("Response/PunchOutSetupResponse/StartPage/URL")
        self.assertRegex(start_url, r"/punchout/start/[A-Za-z0-9_-]{43}$")  # 256-bit token
        session = self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)]
        )
        self.assertRecordValues(
            session,
            [
                {
                    "protocol": "cxml",
                    "operation": "create",
                    "state": "open",
                    "buyer_cookie": "550bce3e592023b2e7b015307f965133",
                    "return_url": "https://prominate-platform.com/hook-url",
                    "cxml_setup_payload_id": "933695160890",
                }
            ],
        )
        self.assertEqual(session.user_id.login, "john-doe@domain.com")  # end-user policy
        self.assertEqual(session.user_id.partner_id.parent_id, self.buyer)
        self.assertEqual(session.cxml_ship_to["city"], "Sunnyvale")
        message = self.env["punchout.message"].search([("kind", "=", "cxml_setup")])
        self.assertEqual(message.session_id, session)
        self.assertNotIn("s3cr3t", message.payload)
        self.assertIn("933695160890", message.payload)

    def test_start_url_is_single_use_and_expires(self):
        _session, start_url = self.punch_in_cxml()
        shop = self.url_open("/shop")
        self.assertIn("Transfer to Ariba", shop.text)
        self.opener.cookies.clear()
        again = self.url_open(start_url, allow_redirects=False)
        self.assertEqual(again.status_code, 403)
        root, _body = self.post_cxml(self.setup_request())
        start_url = root.findtext("Response/PunchOutSetupResponse/StartPage/URL")
        self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)], order="id desc", limit=1
        ).sudo().start_token_expiry = "2000-01-01 00:00:00"
        self.assertEqual(self.url_open(start_url, allow_redirects=False).status_code, 403)
        self.assertEqual(
            self.url_open("/punchout/start/forged", allow_redirects=False).status_code, 403
        )
        refused = self.env["punchout.message"].search(
            [("kind", "=", "cxml_start"), ("state", "=", "error")]
        )
        self.assertEqual(len(refused), 3)

    def test_start_url_token_is_never_stored_and_sessions_are_read_only(self):
        root, _body = self.post_cxml(self.setup_request())
        start_url = root.findtext("Response/PunchOutSetupResponse/StartPage/URL")
        token = start_url.rsplit("/", 1)[1]
        messages = self.env["punchout.message"].search([])
        self.assertTrue(messages.filtered(lambda m: "/punchout/start/" in m.response_payload))
        for message in messages:
            self.assertNotIn(token, f"{message.payload} {message.response_payload}")
        session = self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)], order="id desc", limit=1
        )
        self.assertNotIn(token, str(session.sudo().read()))
        manager = self.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "manager@supplier.example",
                "groups_id": [
                    Command.set(self.env.ref("oci_punchout.group_punchout_manager").ids)
                ],
            }
        )
        as_manager = session.with_user(manager)
        self.assertEqual(as_manager.state, "open")
        with self.assertRaises(AccessError):
            as_manager.write({"start_token_used": False})
        with self.assertRaises(AccessError):
            as_manager.create(
                {
                    "connection_id": self.cxml_connection.id,
                    "user_id": self.buyer_user.id,
                    "protocol": "cxml",
                }
            )
        with self.assertRaises(AccessError):
            as_manager.unlink()
        self.assertEqual(self.url_open(start_url, allow_redirects=False).status_code, 303)
        self.opener.cookies.clear()
        self.assertEqual(self.url_open(start_url, allow_redirects=False).status_code, 403)

    def test_transfer_sends_a_valid_punchout_order_message(self):
        session, document = self.shop_and_transfer()
        root = assert_valid_cxml(document)
        self.assertNotIn(b"SharedSecret", document)
        self.assertNotIn(b"our-secret", document)
        self.assertEqual(root.findtext("Message/PunchOutOrderMessage/BuyerCookie"), "cookie-42")
        header = root.find("Message/PunchOutOrderMessage/PunchOutOrderMessageHeader")
        self.assertEqual(header.get("operationAllowed"), "edit")
        order = session.order_id
        self.assertEqual(
            Decimal(header.findtext("Total/Money")), Decimal("243.75") + Decimal("216")
        )
        items = root.findall("Message/PunchOutOrderMessage/ItemIn")
        self.assertEqual(len(items), 2)
        paper_line = order.order_line.filtered(lambda line: line.product_id == self.product_paper)
        first = items[0]
        self.assertEqual(first.get("quantity"), "3")
        self.assertEqual(first.get("lineNumber"), "1")
        self.assertEqual(first.findtext("ItemID/SupplierPartID"), "PAP-A4-80")
        self.assertEqual(
            first.findtext("ItemID/SupplierPartAuxiliaryID"), f"{order.name}/{paper_line.id}"
        )
        self.assertEqual(first.findtext("ItemDetail/UnitPrice/Money"), "81.25")
        self.assertEqual(
            first.find("ItemDetail/UnitPrice/Money").get("currency"), self.currency.name
        )
        self.assertEqual(first.findtext("ItemDetail/UnitOfMeasure"), "C62")
        classification = first.find("ItemDetail/Classification")
        self.assertEqual(
            (classification.get("domain"), classification.text), ("UNSPSC", "44120000")
        )
        self.assertEqual(first.findtext("ItemDetail/ManufacturerPartID"), "XP-80-A4")
        self.assertEqual(Decimal(items[1].findtext("ItemDetail/UnitPrice/Money")), Decimal(18))
        session.invalidate_recordset()
        self.assertEqual(session.state, "transferred")
        self.assertEqual(order.state, "sent")
        logged = self.env["punchout.message"].search([("kind", "=", "cxml_cart")])
        self.assertEqual(logged.order_id, order)

    def test_base64_encoding_and_field_name(self):
        self.cxml_connection.write(
            {"cxml_form_encoding": "base64", "cxml_form_field_name": "cXML-base64"}
        )
        _session, document = self.shop_and_transfer()
        assert_valid_cxml(document)

    def test_cancel_sends_an_empty_message(self):
        session, _url = self.punch_in_cxml()
        self.add_to_cart(self.product_pen, 2)
        token = self.csrf_token()
        response = self.url_open(
            "/punchout/cancel", data={"csrf_token": token, "punchout_session_id": session.id}
        )
        _form, pairs = self.parse_return_form(response.content)
        document = cxml.decode_browser_form_value(dict(pairs)["cxml-urlencoded"], "urlencoded")
        root = assert_valid_cxml(document)
        self.assertFalse(root.findall("Message/PunchOutOrderMessage/ItemIn"))
        session.invalidate_recordset()
        self.assertEqual(session.state, "cancelled")

    def test_edit_rebuilds_the_cart_and_inspect_is_read_only(self):
        _session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        self.opener.cookies.clear()
        edit_session, _url = self.punch_in_cxml(operation="edit", items=cart.items)
        self.assertEqual(edit_session.operation, "edit")
        lines = edit_session.order_id.order_line
        self.assertEqual(
            sorted((line.product_id.id, line.product_uom_qty) for line in lines),
            sorted([(self.product_paper.id, 3.0), (self.product_pen.id, 12.0)]),
        )
        self.add_to_cart(self.product_pen, 1)
        document = self.transfer_cart(edit_session)
        self.assertEqual(len(cxml.parse_punchout_order_message(document).items), 2)

        self.opener.cookies.clear()
        inspect_session, _url = self.punch_in_cxml(operation="inspect", items=cart.items)
        cart_page = self.url_open("/shop/cart")
        self.assertIn("Return to Ariba", cart_page.text)
        self.assertNotIn('name="punchout_cancel"', cart_page.text)
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.add_to_cart(self.product_pen, 1)
        self.assertEqual(len(inspect_session.order_id.order_line), 2)
        document = self.transfer_cart(inspect_session)
        message = cxml.parse_punchout_order_message(document)
        self.assertEqual(message.operation_allowed, "inspect")

    def test_edit_leaves_out_what_the_shop_would_refuse(self):
        _session, document = self.shop_and_transfer()
        paper, pen = cxml.parse_punchout_order_message(document).items
        items = [
            paper,
            pen,
            dataclasses.replace(pen, supplier_part_id="DRILL-18V", supplier_part_auxiliary_id=""),
            dataclasses.replace(
                pen, supplier_part_id=str(self.product_drill.id), supplier_part_auxiliary_id=""
            ),
            dataclasses.replace(pen, quantity=Decimal(0), supplier_part_auxiliary_id=""),
        ]
        self.product_paper.active = False  # archived since the first punchout
        self.opener.cookies.clear()
        edit_session, _url = self.punch_in_cxml(operation="edit", items=items)
        lines = edit_session.order_id.order_line
        self.assertEqual(
            [(line.product_id, line.product_uom_qty) for line in lines], [(self.product_pen, 12.0)]
        )
        notes = edit_session.order_id.message_ids.mapped("body")
        self.assertEqual(sum("cannot be ordered" in str(note) for note in notes), 4)

        self.product_paper.active = True
        self.product_paper.is_published = False
        self.opener.cookies.clear()
        edit_session, _url = self.punch_in_cxml(operation="edit", items=[paper])
        self.assertFalse(edit_session.order_id.order_line)

    @mute_logger("odoo.addons.oci_punchout.controllers.cxml")
    def test_bad_input_gets_a_clear_status(self):
        setup = self.setup_request()
        cases = [
            ("malformed", b"<cXML><Header>", 400),
            (
                "entity expansion",
                b'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY a "aaaaaaaaaa">'
                b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><cXML>&b;</cXML>',
                400,
            ),
            (
                "external entity",
                b'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
                b"<cXML>&x;</cXML>",
                400,
            ),
            (
                "external DTD with entity reference",
                setup.replace(b"<BuyerCookie>cookie-42", b"<BuyerCookie>&ext;"),
                400,
            ),
            ("wrong secret", self.setup_request(header=buyer_header(secret="nope")), 401),
            ("no secret", self.setup_request(header=buyer_header(secret=None)), 401),
            ("unknown sender", self.setup_request(header=buyer_header(identity="stranger")), 401),
            (
                "production document to a test connection",
                self.setup_request(mode="production"),
                403,
            ),
            (
                "disallowed BrowserFormPost",
                self.setup_request(browser_form_post_url="https://evil.example/steal"),
                403,
            ),
            (
                "request type we do not handle",
                (CXML_SAMPLES / "cxml-php_StatusUpdateRequest.xml").read_bytes(),
                450,
            ),
        ]
        for label, body, expected in cases:
            with self.subTest(label):
                root, answer = self.post_cxml(body)
                self.assertEqual(self.status(root)[0], expected, answer[:500])
        self.assertFalse(
            self.env["punchout.session"].search([("connection_id", "=", self.cxml_connection.id)])
        )
        errors = self.env["punchout.message"].search(
            [("protocol", "=", "cxml"), ("state", "=", "error")]
        )
        self.assertEqual(len(errors), len(cases))
        self.assertEqual(len(errors.filtered("auth_failed")), 3)
        self.assertFalse(any("nope" in (message.payload or "") for message in errors))

    @mute_logger("odoo.addons.oci_punchout.controllers.cxml")
    def test_huge_payload_is_refused(self):
        body = self.setup_request().replace(
            b"<BuyerCookie>cookie-42", b"<BuyerCookie>" + b"x" * (6 * 1024 * 1024)
        )
        root, _answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 413)
        message = self.env["punchout.message"].search([("http_status", "=", 413)])
        self.assertEqual(message.state, "error")
        self.assertLess(len(message.payload), 100_000)

    def test_production_connection_refuses_test_documents(self):
        self.cxml_connection.test_mode = False
        self.cxml_connection.allowed_return_urls = "https://prominate-platform.com/"
        root, _answer = self.post_cxml(self.setup_request(mode="test"))
        self.assertEqual(self.status(root)[0], 403)
        root, _answer = self.post_cxml(self.setup_request(mode="production"))
        self.assertEqual(self.status(root)[0], 200)


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


@tagged("post_install", "-at_install")
class TestCxmlAuthentication(CxmlCase):
    def post_raw(self, body):
        response = self.url_open(
            "/punchout/cxml", data=body, headers={"Content-Type": "text/xml"}, timeout=60
        )
        root = assert_valid_cxml(response.content)
        return response.status_code, self.status(root)

    def test_failures_answer_alike_and_are_throttled_per_address(self):
        answers = set()
        for header in (
            buyer_header(identity="stranger"),
            buyer_header(secret="nope"),
            buyer_header(secret=None),
        ):
            answers.add(self.post_raw(self.setup_request(header=header)))
        self.cxml_connection.active = False
        answers.add(self.post_raw(self.setup_request()))
        self.assertEqual(answers, {(200, (401, "Unknown sender or wrong SharedSecret."))})
        self.cxml_connection.active = True
        for _attempt in range(6):
            self.post_raw(self.setup_request(header=buyer_header(secret="guess")))
        # Even the right secret is refused while the address is throttled, before any work.
        http_status, (code, _text) = self.post_raw(self.setup_request())
        self.assertEqual((http_status, code), (429, 429))
        self.assertFalse(
            self.env["punchout.session"].search([("connection_id", "=", self.cxml_connection.id)])
        )
        self.env["punchout.message"].search([]).write({"remote_addr": "192.0.2.1"})
        self.assertEqual(self.post_raw(self.setup_request())[1][0], 200)

    def test_guesses_from_many_addresses_throttle_the_connection(self):
        self.env["punchout.message"].create(
            [
                {
                    "direction": "in",
                    "protocol": "cxml",
                    "kind": "cxml_setup",
                    "connection_id": self.cxml_connection.id,
                    "remote_addr": f"192.0.2.{number}",
                    "auth_failed": True,
                    "state": "error",
                }
                for number in range(50)
            ]
        )
        http_status, (code, text) = self.post_raw(self.setup_request())
        self.assertEqual((http_status, code), (429, 429))
        self.assertIn("Too many failed requests", text)

    def test_secrets_are_hashed_like_api_keys_and_old_hashes_upgraded(self):
        fast_prefix = "$pbkdf2-sha512$6000$"
        connection = self.cxml_connection
        self.assertTrue(connection.cxml_shared_secret_hash.startswith(fast_prefix))
        self.assertTrue(connection.cxml_shared_secret_short)
        # A hash of an older version (Odoo's password rounds) still works, and is upgraded.
        connection.cxml_shared_secret_hash = self.env["res.users"]._crypt_context().hash("s3cr3t")
        self.assertFalse(connection.cxml_shared_secret_hash.startswith(fast_prefix))
        root, _body = self.post_cxml(self.setup_request())
        self.assertEqual(self.status(root)[0], 200)
        connection.invalidate_recordset()
        self.assertTrue(connection.cxml_shared_secret_hash.startswith(fast_prefix))
        root, _body = self.post_cxml(self.setup_request())
        self.assertEqual(self.status(root)[0], 200)

    def test_generated_secret_is_shown_once_and_works(self):
        manager = self.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "manager@supplier.example",
                "groups_id": [
                    Command.set(self.env.ref("oci_punchout.group_punchout_manager").ids)
                ],
            }
        )
        with self.assertRaises(AccessError):
            self.cxml_connection.with_user(manager).action_generate_cxml_shared_secret()
        action = self.cxml_connection.with_user(self.env.ref("base.user_admin"))
        action = action.action_generate_cxml_shared_secret()
        secret = action["params"]["message"].rsplit(" ", 1)[1]
        self.assertGreaterEqual(len(secret), 40)
        self.assertFalse(self.cxml_connection.cxml_shared_secret_short)
        root, _body = self.post_cxml(self.setup_request(header=buyer_header(secret=secret)))
        self.assertEqual(self.status(root)[0], 200)
        root, _body = self.post_cxml(self.setup_request())
        self.assertEqual(self.status(root)[0], 401)
        self.assertNotIn(secret, str(self.env["punchout.message"].search([]).read()))
