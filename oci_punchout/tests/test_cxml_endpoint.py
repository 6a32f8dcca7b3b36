"""The /punchout/cxml endpoint: profile, punchout setup, start page, the cart message and hostile
requests; HttpCase over real HTTP.
"""

import dataclasses
from decimal import Decimal

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..protocol import cxml
from .common import CXML_SAMPLES, assert_valid_cxml
from .cxml_common import CxmlCase, buyer_header


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
