from datetime import timedelta

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..protocol import oci
from .common import HOOK_URL, PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestOciCart(PunchoutHttpCase):
    def _shop(self, **punch_in_params):
        response = self.punch_in(**punch_in_params)
        self.assertEqual(response.status_code, 303, response.text[:300])
        session = self.last_session()
        self.add_to_cart(self.product_paper, 3)
        self.add_to_cart(self.product_pen, 12)
        return session

    def _transfer(self, session, url="/punchout/transfer"):
        token = self.csrf_token()
        return self.url_open(
            url, data={"csrf_token": token, "punchout_session_id": session.id}, timeout=30
        )

    def test_cart_page_offers_transfer_instead_of_checkout(self):
        session = self._shop()
        cart = self.url_open("/shop/cart")
        self.assertIn("o_punchout_transfer", cart.text)
        self.assertIn("Transfer to SAP SRM", cart.text)
        self.assertNotIn('name="website_sale_main_button"', cart.text)
        for step in ("/shop/checkout", "/shop/address", "/shop/confirm_order", "/shop/payment"):
            with self.subTest(step=step):
                response = self.url_open(step, allow_redirects=False)
                self.assertEqual(response.status_code, 303)
                self.assertTrue(response.headers["Location"].endswith("/shop/cart"))
        order = session.order_id
        self.assertEqual(len(order.order_line), 2)
        self.assertFalse(order._is_cart_ready())

    def test_products_outside_assortment_cannot_be_added(self):
        session = self._shop()
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException):
            self.add_to_cart(self.product_drill, 1)
        self.assertNotIn(self.product_drill, session.order_id.order_line.product_id)

    def test_transfer_returns_every_field_of_the_cart(self):
        session = self._shop(**{"~CALLER": "CTLG", "returntarget": "_self"})
        order = session.order_id
        line_paper = order.order_line.filtered(lambda line: line.product_id == self.product_paper)
        line_pen = order.order_line.filtered(lambda line: line.product_id == self.product_pen)
        self.connection.write(
            {
                "oci_cust_field4_id": self.env.ref("product.field_product_product__barcode").id,
                "oci_cust_field1_id": self.env.ref(
                    "product.field_product_product__default_code"
                ).id,
            }
        )
        self.product_paper.barcode = "4006381333931"

        response = self._transfer(session)

        self.assertEqual(response.status_code, 200)
        form, pairs = self.parse_return_form(response.content)
        fields_ = dict(pairs)
        self.assertEqual(form.get("method"), "post")
        self.assertEqual(form.get("action"), HOOK_URL.split("?")[0])
        self.assertEqual(form.get("target"), "_self")
        self.assertEqual(fields_["~OkCode"], "ADDI")  # from the HOOK_URL query
        self.assertEqual(fields_["sap-client"], "100")
        self.assertEqual(fields_["~CALLER"], "CTLG")  # echoed
        currency = self.currency.name
        paper_name = self.product_paper.name
        expected = {
            "NEW_ITEM-DESCRIPTION[1]": oci.cut_text(paper_name, 40, word_boundary=True),
            "NEW_ITEM-QUANTITY[1]": "3",
            "NEW_ITEM-UNIT[1]": "C62",
            "NEW_ITEM-PRICE[1]": "81.25",
            "NEW_ITEM-CURRENCY[1]": currency,
            "NEW_ITEM-VENDOR[1]": "V-1000",
            "NEW_ITEM-VENDORMAT[1]": "PAP-A4-80",
            "NEW_ITEM-MANUFACTCODE[1]": "M-77",
            "NEW_ITEM-MANUFACTMAT[1]": "XP-80-A4",
            "NEW_ITEM-MATGROUP[1]": "44120000",  # inherited from the parent category
            "NEW_ITEM-EXT_PRODUCT_ID[1]": str(self.product_paper.id),
            "NEW_ITEM-EXT_QUOTE_ID[1]": order.name,
            "NEW_ITEM-EXT_QUOTE_ITEM[1]": str(line_paper.id),
            "NEW_ITEM-EXT_SCHEMA_TYPE[1]": "UNSPSC",
            "NEW_ITEM-EXT_CATEGORY_ID[1]": "44120000",
            "NEW_ITEM-CUST_FIELD4[1]": "4006381333931",
            "NEW_ITEM-CUST_FIELD1[1]": "PAP-A4-80",  # cut to CUST_FIELD1's 10 characters
            "NEW_ITEM-DESCRIPTION[2]": "Ballpoint pen",
            "NEW_ITEM-QUANTITY[2]": "12",
            "NEW_ITEM-PRICE[2]": "18",
            "NEW_ITEM-EXT_QUOTE_ITEM[2]": str(line_pen.id),
        }
        for name, value in expected.items():
            with self.subTest(field=name):
                self.assertEqual(fields_.get(name), value)
        self.assertLessEqual(len(fields_["NEW_ITEM-DESCRIPTION[1]"]), 40)
        self.assertIn(paper_name, fields_["NEW_ITEM-LONGTEXT_1:132[]"])
        self.assertNotIn("NEW_ITEM-PRICEUNIT[1]", fields_)  # empty optional fields left out
        # What the buyer's system reads back matches the cart and the buyer's pricelist.
        items = oci.parse_cart_fields(pairs)
        self.assertEqual([float(item.quantity) for item in items], [3.0, 12.0])
        for item, line in zip(items, (line_paper, line_pen), strict=True):
            self.assertAlmostEqual(float(item.price), line.price_unit)
            expected_price = self.pricelist._get_product_price(line.product_id, 1.0)
            self.assertAlmostEqual(float(item.price), expected_price)
        self.assertEqual(oci.validate_cart_fields(pairs), [])

        session.invalidate_recordset()
        order.invalidate_recordset()
        self.assertEqual(session.state, "transferred")
        self.assertTrue(session.transferred_at)
        self.assertEqual(order.state, "sent")
        self.assertEqual(order.validity_date, fields.Date.today() + timedelta(days=30))
        message = self.env["punchout.message"].search(
            [("session_id", "=", session.id), ("kind", "=", "oci_cart")]
        )
        self.assertEqual(message.state, "done")
        self.assertEqual(message.order_id, order)
        self.assertIn("NEW_ITEM-EXT_QUOTE_ID[1]=" + order.name, message.payload)

        # The user's Odoo session ended: a stale tab cannot change or re-send the cart.
        again = self.url_open(
            "/punchout/transfer", data={"punchout_session_id": session.id}, allow_redirects=False
        )
        self.assertNotEqual(again.status_code, 200)
        cart = self.url_open("/shop/cart")
        self.assertNotIn("o_punchout_transfer", cart.text)
        self.add_to_cart(self.product_pen, 1)
        self.assertEqual(len(order.order_line), 2)

    def test_transfer_options_index_base_and_empty_fields(self):
        self.connection.write(
            {
                "oci_index_base": "0",
                "oci_send_empty_fields": True,
                "unit_code_ids": [
                    (0, 0, {"uom_id": self.env.ref("uom.product_uom_unit").id, "code": "ST"})
                ],
            }
        )
        session = self._shop()
        response = self._transfer(session)
        _form, pairs = self.parse_return_form(response.content)
        fields_ = dict(pairs)
        self.assertEqual(fields_["NEW_ITEM-UNIT[0]"], "ST")
        self.assertEqual(fields_["NEW_ITEM-QUANTITY[1]"], "12")
        self.assertIn("NEW_ITEM-CONTRACT[0]", fields_)
        self.assertEqual(fields_["NEW_ITEM-CONTRACT[0]"], "")
        self.assertNotIn("NEW_ITEM-QUANTITY[2]", fields_)

    def test_return_page_in_buyer_charset(self):
        self.product_pen.name = "Kugelschreiber Größe M"
        session = self._shop(http_content_charset="iso-8859-1")
        response = self._transfer(session)
        # Browsers know ISO-8859-1 as windows-1252: the page declares that name.
        self.assertIn("windows-1252", response.headers["Content-Type"].lower())
        self.assertIn("Größe".encode("latin-1"), response.content)
        self.assertNotIn("Größe".encode(), response.content)
        self.assertIn(b'charset="windows-1252"', response.content.lower().replace(b"'", b'"'))
        _form, pairs = self.parse_return_form(response.content, charset="latin-1")
        self.assertIn(("NEW_ITEM-DESCRIPTION[2]", "Kugelschreiber Größe M"), pairs)

    def test_what_the_buyer_charset_lacks_is_transliterated(self):
        # Quotes, the euro sign, a dash and a Polish letter ISO-8859-1 lacks.
        self.product_pen.name = (
            "Kugelschreiber \u201eEdel\u201c 5 \u20ac \u2013 \u0141\u00f3d\u017a"
        )
        session = self._shop(http_content_charset="iso-8859-1")
        response = self._transfer(session)
        _form, pairs = self.parse_return_form(response.content, charset="latin-1")
        # What SAP shows of the line: readable, not question marks.
        self.assertIn(
            ("NEW_ITEM-DESCRIPTION[2]", 'Kugelschreiber "Edel" 5 EUR - L\u00f3dz'), pairs
        )
        self.assertNotIn(b"?", b"".join(value.encode("latin-1") for _name, value in pairs))

    def test_return_page_never_in_a_charset_browsers_misread(self):
        # ISO-2022-JP is stateful and unknown to browsers under that label: its bytes for
        # buyer-chosen text could hold a quote that ends the attribute. idna is no text charset.
        self.product_pen.name = '日本" autofocus onfocus="alert(1)'
        for charset in ("ISO-2022-JP", "idna", "utf-16"):
            with self.subTest(charset=charset):
                session = self._shop(http_content_charset=charset)
                self.assertEqual(session.charset, "utf-8")
                response = self._transfer(session)
                self.assertEqual(response.status_code, 200)
                self.assertIn("charset=utf-8", response.headers["Content-Type"].lower())
                self.assertNotIn(b"\x1b", response.content)
                self.assertIn("日本&quot; autofocus".encode(), response.content)
                _form, pairs = self.parse_return_form(response.content)
                self.assertIn(("NEW_ITEM-DESCRIPTION[2]", self.product_pen.name), pairs)

    def test_cancel_returns_empty_form(self):
        session = self._shop()
        response = self._transfer(session, url="/punchout/cancel")
        self.assertEqual(response.status_code, 200)
        form, pairs = self.parse_return_form(response.content)
        self.assertEqual(form.get("action"), HOOK_URL.split("?")[0])
        self.assertFalse([name for name, _value in pairs if name.startswith("NEW_ITEM-")])
        session.invalidate_recordset()
        self.assertEqual(session.state, "cancelled")
        self.assertEqual(session.order_id.state, "cancel")
        self.assertTrue(
            self.env["punchout.message"].search(
                [("kind", "=", "oci_cancel"), ("state", "=", "done")]
            )
        )

    @mute_logger("odoo.http")
    def test_transfer_needs_csrf_token(self):
        session = self._shop()
        response = self.url_open(
            "/punchout/transfer", data={"punchout_session_id": session.id}, allow_redirects=False
        )
        self.assertEqual(response.status_code, 400)
        session.invalidate_recordset()
        self.assertEqual(session.state, "open")
        self.assertEqual(session.order_id.state, "draft")

    def test_transfer_of_another_users_session_is_refused(self):
        victim = self._shop()
        other_user = self._create_portal_user("Other buyer user", "other@buyer.example")
        self.connection.oci_end_user_param = "EMAIL"
        self.connection.end_user_policy = "existing"
        self.opener.cookies.clear()
        self.assertEqual(self.punch_in(EMAIL="other@buyer.example").status_code, 303)
        attacker = self.last_session()
        self.assertEqual(attacker.user_id, other_user)
        token = self.csrf_token()
        response = self.url_open(
            "/punchout/transfer", data={"csrf_token": token, "punchout_session_id": victim.id}
        )
        self.assertEqual(response.status_code, 403)
        victim.invalidate_recordset()
        self.assertEqual(victim.state, "open")
        refused = self.env["punchout.message"].search(
            [("kind", "=", "oci_cart"), ("state", "=", "error")]
        )
        self.assertEqual(refused.http_status, 403)
        # and a logged-in user without any punchout session has nothing to transfer
        self.authenticate("admin", "admin")
        response = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token("/shop"), "punchout_session_id": victim.id},
        )
        self.assertEqual(response.status_code, 403)

    def test_cron_expires_idle_sessions_and_old_quotations(self):
        idle = self._shop()
        self.opener.cookies.clear()
        transferred = self._shop()
        self._transfer(transferred)
        idle.invalidate_recordset()
        transferred.invalidate_recordset()
        self.env["punchout.connection"]._cron_expire()
        self.assertEqual(idle.state, "open")
        self.assertEqual(transferred.state, "transferred")

        self.env.cr.execute(
            "UPDATE punchout_session SET create_date = now() - interval '9 hours' WHERE id = %s",
            [idle.id],
        )
        transferred.order_id.validity_date = fields.Date.today() - timedelta(days=1)
        self.env.invalidate_all()
        self.env["punchout.connection"]._cron_expire()
        self.assertEqual(idle.state, "expired")
        self.assertEqual(idle.order_id.state, "cancel")
        self.assertEqual(transferred.state, "expired")
        self.assertEqual(transferred.order_id.state, "cancel")

    def test_punch_in_login_ends_with_the_punchout_session(self):
        session = self._shop()
        self.assertEqual(self.url_open("/my/home", allow_redirects=False).status_code, 200)
        session._expire()  # the cron, while the buyer's browser still holds the login
        response = self.url_open("/my/home", allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("/web/login", response.headers["Location"])
        self.assertEqual(self.url_open("/my/orders", allow_redirects=False).status_code, 303)

    def test_no_portal_signature_or_payment_for_punchout_quotations(self):
        session = self._shop()
        self._transfer(session)
        order = session.order_id
        order.write({"require_signature": True, "require_payment": True})
        self.assertEqual(order.state, "sent")
        self.assertFalse(order._has_to_be_signed())
        self.assertFalse(order._has_to_be_paid())
        token = order._portal_ensure_token()
        result = self.make_jsonrpc_request(
            f"/my/orders/{order.id}/accept",
            {"access_token": token, "name": "Jane Doe", "signature": "aGVsbG8="},
        )
        self.assertIn("requiring customer signature", result.get("error", ""))
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException) as raised:
            self.make_jsonrpc_request(
                f"/my/orders/{order.id}/transaction", {"access_token": token}
            )
        self.assertEqual(str(raised.exception), "odoo.exceptions.ValidationError")
        self.assertFalse(order.transaction_ids)
        self.assertEqual(order.state, "sent")

    def test_a_normal_login_never_reopens_a_punchout_cart(self):
        session = self._shop()
        self.buyer_user.password = "portal-password-42"
        self.opener.cookies.clear()
        self.authenticate(self.buyer_user.login, "portal-password-42")
        cart = self.url_open("/shop/cart")
        self.assertNotIn("Copy paper", cart.text)
        self.assertNotIn("o_punchout_transfer", cart.text)
        self.add_to_cart(self.product_pen, 1)
        self.assertEqual(len(session.order_id.order_line), 2)
        other_cart = self.env["sale.order"].search(
            [("partner_id", "=", self.buyer_user.partner_id.id), ("id", "!=", session.order_id.id)]
        )
        self.assertEqual(other_cart.order_line.product_id, self.product_pen)
        self.assertFalse(other_cart.punchout_session_id)
        with self.assertRaises(ValidationError):
            session.order_id.with_user(self.buyer_user).sudo()._cart_update(
                self.product_pen.id, add_qty=1
            )

    def test_cart_page_queries_do_not_grow_with_lines(self):
        """The punchout session is looked up once per request, not once per cart line."""
        self._shop()

        def cart_page_queries():
            self.url_open("/shop/cart")  # warm caches
            before = self.env.cr.sql_log_count
            self.url_open("/shop/cart")
            return self.env.cr.sql_log_count - before

        with_two_lines = cart_page_queries()
        extra_products = self.env["product.product"].create(
            [
                {
                    "name": f"Extra item {index}",
                    "list_price": 1.0,
                    "is_published": True,
                    "public_categ_ids": [(6, 0, self.public_categ_office.ids)],
                }
                for index in range(8)
            ]
        )
        for product in extra_products:
            self.add_to_cart(product, 1)
        with_ten_lines = cart_page_queries()
        self.assertLess(with_ten_lines - with_two_lines, len(extra_products))
