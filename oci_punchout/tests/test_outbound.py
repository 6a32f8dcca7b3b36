import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.punchout_connection import MAX_ANSWER_BYTES, DeliveryRefused
from .common import PunchoutCommon


class BuyerServer(BaseHTTPRequestHandler):
    """The buyer's system on this machine: records what reaches it."""

    hits = []

    def do_POST(self):
        self.hits.append(self.path)
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path == "/moved":
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{self.server.server_port}/stolen")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = b"x" * (MAX_ANSWER_BYTES + 1) if self.path == "/huge" else b"<cXML/>"
        self.send_response(200)
        self.send_header("Content-Type", "text/xml")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@tagged("post_install", "-at_install")
class TestOutboundPosts(PunchoutCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.server = ThreadingHTTPServer(("127.0.0.1", 0), BuyerServer)
        cls.base = f"http://127.0.0.1:{cls.server.server_port}"
        thread = threading.Thread(target=cls.server.serve_forever, daemon=True)
        thread.start()
        cls.addClassCleanup(cls.server.server_close)
        cls.addClassCleanup(cls.server.shutdown)
        cls.test_connection = cls.connection.copy({"code": "buyer-test", "test_mode": True})

    def setUp(self):
        super().setUp()
        BuyerServer.hits.clear()

    def test_answers_are_read_but_redirects_not_followed_and_size_capped(self):
        post = self.test_connection._punchout_post
        self.assertEqual(post(f"{self.base}/ok", b"<cXML/>"), (200, b"<cXML/>"))
        with self.assertRaisesRegex(DeliveryRefused, "307.*redirects are not followed"):
            post(f"{self.base}/moved", b"<cXML>our secret</cXML>")
        with self.assertRaisesRegex(DeliveryRefused, "more than"):
            post(f"{self.base}/huge", b"<cXML/>")
        self.assertEqual(BuyerServer.hits, ["/ok", "/moved", "/huge"])

    def test_production_connections_reach_only_public_addresses(self):
        for url in (
            f"{self.base}/ok",
            f"https://localhost:{self.server.server_port}/ok",
            "https://169.254.169.254/latest/meta-data",
            "https://10.1.2.3/cxml",
            "https://192.168.0.1/cxml",
            "https://[::1]/cxml",
            "https://[fe80::1]/cxml",
            "https://224.0.0.1/cxml",
            "https://0.0.0.0/cxml",
            "ftp://buyer.example/cxml",
        ):
            with self.subTest(url), self.assertRaises(DeliveryRefused):
                self.connection._punchout_post(url, b"<cXML/>")
        self.assertEqual(BuyerServer.hits, [])

    def test_only_administrators_change_targets_and_test_mode(self):
        manager = self.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "manager@supplier.example",
                "groups_id": [(6, 0, [self.env.ref("oci_punchout.group_punchout_manager").id])],
            }
        )
        as_manager = self.connection.with_user(manager)
        as_manager.write({"name": "Buyer SAP (production)"})
        for values in (
            {"test_mode": True},
            {"cxml_confirmation_url": "https://buyer.example/confirm"},
            {"cxml_invoice_url": "https://buyer.example/invoice"},
        ):
            with self.subTest(values), self.assertRaises(AccessError):
                as_manager.write(values)
        with self.assertRaises(AccessError):
            as_manager.copy({"code": "x", "cxml_invoice_url": "https://buyer.example/invoice"})
        self.assertFalse(self.connection.test_mode)
        self.connection.write(
            {"test_mode": True, "cxml_confirmation_url": "https://buyer.example/confirm"}
        )
        self.assertTrue(self.connection.test_mode)
