import secrets
from urllib.parse import urlencode, urlsplit

from odoo.tests import tagged

from .common import PASSWORD, PunchoutHttpCase
from .cxml_common import CxmlCase


@tagged("post_install", "-at_install")
class TestPunchoutTour(PunchoutHttpCase):
    def test_buyer_punches_in_shops_and_transfers(self):
        """In Chromium: punch in from 'SAP', add a product, transfer, see what SAP received."""
        self.connection.test_mode = True
        signature = self.env["punchout.simulator"]._signature(self.connection.id)
        hook_url = (
            f"{self.base_url()}/punchout/simulator/return/{self.connection.id}/{signature}/utf-8"
            "?~OkCode=ADDI"
        )
        query = urlencode({"USERNAME": "buyer", "PASSWORD": PASSWORD, "HOOK_URL": hook_url})
        self.start_tour(f"/punchout/oci/buyer-sap?{query}", "oci_punchout_shop_and_transfer")

        session = self.last_session()
        self.assertEqual(session.state, "transferred")
        self.assertEqual(session.order_id.state, "sent")
        self.assertEqual(session.order_id.order_line.product_id, self.product_pen)
        self.assertEqual(session.order_id.order_line.price_unit, 18.0)

    def test_head_buyer_approves_and_sap_emails_the_purchase_order(self):
        """In Chromium: shop, transfer, approve in the simulated SAP; the PO print arrives
        through the mail gateway and confirms the quotation with SAP's PO number."""
        alias_domain = self.env["mail.alias.domain"].create({"name": "supplier.example"})
        self.company.alias_domain_id = alias_domain
        self.connection.write(
            {
                "test_mode": True,
                "alias_name": "orders-buyer-sap",
                "alias_domain_id": alias_domain.id,
                "order_mail_senders": "sap-orders@buyer.example",
                "order_mail_trust_verified": True,
            }
        )
        self.env["ir.config_parameter"].set_param(
            "oci_punchout.mail_authserv_id", "mx.supplier.example"
        )
        signature = self.env["punchout.simulator"]._signature(self.connection.id)
        hook_url = (
            f"{self.base_url()}/punchout/simulator/return/{self.connection.id}/{signature}/utf-8"
        )
        query = urlencode({"USERNAME": "buyer", "PASSWORD": PASSWORD, "HOOK_URL": hook_url})
        self.start_tour(f"/punchout/oci/buyer-sap?{query}", "oci_punchout_sap_approval")

        order = self.last_session().order_id
        self.assertEqual(order.state, "sale")
        self.assertRegex(order.punchout_po_number, r"^45\d{8}$")
        self.assertEqual(order.order_line.punchout_po_line_number, 10)

    def test_punch_in_inside_the_buyers_frame_on_another_site(self):
        """In Chromium: a page of another site (127.0.0.2) frames the punch-in; the buyer
        shops and transfers inside the frame, logged in by a partitioned cross-site cookie
        (the frame plays the buyer: Odoo's tour runner cannot run in a cross-origin frame)."""
        self.connection.write({"test_mode": True, "embedded_in_frame": True})
        port = self.base_url().rpartition(":")[2]
        portal = f"http://127.0.0.2:{port}"
        self.connection.frame_origins = portal
        self.website.cookies_bar = True
        signature = self.env["punchout.simulator"]._signature(self.connection.id)
        hook_url = (
            f"{self.base_url()}/punchout/simulator/return/{self.connection.id}/{signature}/utf-8"
        )
        punch_in = f"{self.base_url()}/punchout/oci/buyer-sap?" + urlencode(
            {
                "USERNAME": "buyer",
                "PASSWORD": PASSWORD,
                "HOOK_URL": hook_url,
                "returntarget": "_self",  # the cart goes back inside the frame
            }
        )
        page = f"{portal}/oci_punchout/static/tests/embedded_frame.html?" + urlencode(
            {"catalogue": punch_in, "product": "Ballpoint pen"}
        )
        self.browser_js(page, code="", timeout=120)

        session = self.last_session()
        self.assertEqual(session.state, "transferred")
        self.assertEqual(session.order_id.order_line.product_id, self.product_pen)


@tagged("post_install", "-at_install")
class TestPunchoutCxmlTour(CxmlCase):
    def test_buyer_punches_in_with_cxml_shops_and_transfers(self):
        """In Chromium: Ariba's setup request, the StartPage, a product, the transfer, and the
        cart message as the buyer simulator received it."""
        connection = self.cxml_connection
        nonce = secrets.token_urlsafe(16)
        return_url = self.env["punchout.simulator"]._cxml_return_url(
            connection, nonce, base_url=self.base_url()
        )
        cookie = self.env["punchout.simulator"]._buyer_cookie(connection.id, nonce)
        root, _body = self.post_cxml(
            self.setup_request(browser_form_post_url=return_url, buyer_cookie=cookie)
        )
        self.assertEqual(self.status(root)[0], 200)
        start_url = root.findtext("Response/PunchOutSetupResponse/StartPage/URL")
        self.start_tour(urlsplit(start_url).path, "oci_punchout_cxml_shop_and_transfer")

        session = self.env["punchout.session"].search(
            [("connection_id", "=", connection.id)], order="id desc", limit=1
        )
        self.assertRecordValues(
            session,
            [{"state": "transferred", "buyer_cookie": cookie, "return_url": return_url}],
        )
        order = session.order_id
        self.assertEqual(order.state, "sent")
        self.assertEqual(order.order_line.product_id, self.product_pen)
        self.assertEqual(order.order_line.product_uom_qty, 1.0)
        self.assertEqual(order.order_line.price_unit, 18.0)
        cart = self.env["punchout.message"].search(
            [("kind", "=", "cxml_cart"), ("session_id", "=", session.id)]
        )
        self.assertEqual(cart.state, "done")
        self.assertIn(f"<BuyerCookie>{cookie}</BuyerCookie>", cart.payload)
