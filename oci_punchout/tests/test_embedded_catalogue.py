"""Catalogues embedded in the buyer's frame: the session cookie and the frame policy of an
embedded connection's sessions over real HTTP, and normal sessions left as they are."""

import json

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import PunchoutHttpCase

BUYER_ORIGIN = "https://srm.buyer.example"


@tagged("post_install", "-at_install")
class TestEmbeddedCatalogue(PunchoutHttpCase):
    def setUp(self):
        super().setUp()
        self.connection.write({"test_mode": True, "embedded_in_frame": True})

    def session_cookies(self, response):
        """The Set-Cookie headers of ``response`` for Odoo's session cookie."""
        cookies = [
            value
            for value in response.raw.headers.getlist("Set-Cookie")
            if value.startswith("session_id=")
        ]
        # This test client talks plain http to 127.0.0.1, where browsers send Secure cookies
        # (a secure context) but Python's cookie jar does not: keep sending it.
        for cookie in self.opener.cookies:
            if cookie.name == "session_id":
                cookie.secure = False
        return cookies

    def assert_embedded(self, response, origins=(BUYER_ORIGIN,)):
        self.assertEqual(
            response.headers.get("Content-Security-Policy"),
            " ".join(["frame-ancestors 'self'", *origins]),
        )
        for cookie in self.session_cookies(response):
            attributes = [part.strip().lower() for part in cookie.split(";")[1:]]
            self.assertIn("samesite=none", attributes)
            self.assertIn("secure", attributes)
            self.assertIn("partitioned", attributes)
            self.assertIn("httponly", attributes)
            self.assertEqual(sum(a.startswith("samesite") for a in attributes), 1)

    def update_cart(self, product):
        return self.url_open(
            "/shop/cart/update_json",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {"product_id": product.id, "add_qty": 1},
                }
            ),
            headers={"Content-Type": "application/json"},
        )

    def test_embedded_session_from_punch_in_to_transfer(self):
        punch_in = self.punch_in()
        self.assertEqual(punch_in.status_code, 303, punch_in.text[:300])
        self.assertTrue(self.session_cookies(punch_in), "the punch-in logs the buyer in")
        self.assert_embedded(punch_in)

        shop = self.url_open("/shop")
        self.assertEqual(shop.status_code, 200)
        self.assert_embedded(shop)
        # The cookie banner would cover the catalogue in the buyer's frame.
        self.env["website"].browse(self.website.id).cookies_bar = True
        self.assertNotIn('id="website_cookies_bar"', self.url_open("/shop").text)

        cart = self.update_cart(self.product_pen)
        self.assertEqual(cart.status_code, 200)
        self.assertEqual(cart.json()["result"]["quantity"], 1)
        self.assert_embedded(cart)

        # Odoo's own pages with a policy of their own keep it.
        login = self.url_open("/web/login")
        self.assertEqual(login.headers["Content-Security-Policy"], "frame-ancestors 'self'")

        session = self.last_session()
        transfer = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
        )
        self.assertEqual(transfer.status_code, 200)
        self.assertIn("NEW_ITEM-DESCRIPTION", transfer.text)
        # Logged out: a fresh session cookie, still usable in the frame.
        self.assertTrue(self.session_cookies(transfer))
        self.assert_embedded(transfer)

    def test_frame_origins_given_explicitly(self):
        self.connection.frame_origins = (
            "https://portal.buyer.example\nhttps://srm.buyer.example:8443/x"
        )
        self.assert_embedded(
            self.punch_in(),
            origins=("https://portal.buyer.example", "https://srm.buyer.example:8443"),
        )

    def test_not_embedded_connections_and_normal_sessions_are_unchanged(self):
        self.connection.embedded_in_frame = False
        punch_in = self.punch_in()
        self.assertEqual(punch_in.status_code, 303)
        (cookie,) = self.session_cookies(punch_in)
        self.assertNotIn("samesite=none", cookie.lower())
        self.assertNotIn("partitioned", cookie.lower())
        self.assertNotIn("Content-Security-Policy", self.url_open("/shop").headers)

        self.opener.cookies.clear()
        shop = self.url_open("/shop")
        self.assertNotIn("Content-Security-Policy", shop.headers)
        for cookie in self.session_cookies(shop):
            self.assertNotIn("samesite=none", cookie.lower())

    def test_production_connection_on_plain_http_is_not_embedded(self):
        self.connection.test_mode = False
        punch_in = self.punch_in()
        self.assertEqual(punch_in.status_code, 303)
        self.assertNotIn("Content-Security-Policy", punch_in.headers)
        for cookie in self.session_cookies(punch_in):
            self.assertNotIn("samesite=none", cookie.lower())

    def test_frame_origins_are_checked(self):
        for origins in (
            "https://*.buyer.example",
            "https://srm.buyer.example; script-src *",
            "http://srm.buyer.example",
            "javascript:alert(1)",
        ):
            with self.subTest(origins=origins), self.assertRaises(ValidationError):
                self.connection.frame_origins = origins
        self.connection.frame_origins = "http://127.0.0.2:8069"  # a test page on this machine
        with self.assertRaises(ValidationError):
            self.connection.test_mode = False
