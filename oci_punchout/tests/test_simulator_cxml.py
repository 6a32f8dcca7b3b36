import base64
import re
import secrets
from decimal import Decimal
from urllib.parse import urlsplit

from lxml import html

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..const import DTD_PATH_PARAM
from ..protocol import cxml
from .common import CXML_DTD_DIR
from .cxml_common import SUPPLIER, CxmlCase


@tagged("post_install", "-at_install")
class TestCxmlBuyerSimulator(CxmlCase):
    """The buyer simulator in cXML mode: setup, shop, transfer, check, order."""

    def setUp(self):
        super().setUp()
        self.simulator_url = f"/punchout/simulator/{self.cxml_connection.id}"

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    @staticmethod
    def page(response):
        return html.fromstring(response.content)

    @staticmethod
    def texts(document, css_class):
        return [
            " ".join(el.text_content().split())
            for el in document.xpath(f"//*[contains(concat(' ', @class, ' '), ' {css_class} ')]")
        ]

    def simulate_setup(self, secret="s3cr3t", user_email="jane.doe@buyer.example"):
        """As the admin: the simulator sends its PunchOutSetupRequest. Returns the page."""
        self.authenticate("admin", "admin")
        token = self.csrf_token(self.simulator_url)
        response = self.url_open(
            f"{self.simulator_url}/cxml/setup",
            data={"csrf_token": token, "shared_secret": secret, "user_email": user_email},
        )
        self.assertEqual(response.status_code, 200, response.text[:500])
        return self.page(response)

    def last_cxml_session(self):
        return self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)], order="id desc", limit=1
        )

    def shop_through_the_simulator(self):
        """Setup from the simulator, StartPage, two products, transfer: the page the buyer's
        browser posts to the simulator, and the form it posts. Returns (session, action,
        fields)."""
        page = self.simulate_setup()
        start_url = page.xpath("//a[contains(@class, 'o_punchout_sim_cxml_start_link')]/@href")[0]
        self.opener.cookies.clear()  # the buyer's user, in a browser of its own
        response = self.url_open(start_url, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:300])
        session = self.last_cxml_session()
        self.add_to_cart(self.product_paper, 3)
        self.add_to_cart(self.product_pen, 12)
        response = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
        )
        self.assertEqual(response.status_code, 200)
        form, pairs = self.parse_return_form(response.content)
        return session, form.get("action"), pairs

    def post_to_return_url(self, action, pairs):
        response = self.url_open(urlsplit(action).path, data=dict(pairs))
        self.assertEqual(response.status_code, 200, response.text[:500])
        return response

    def return_path(self, nonce=None, signature=None, connection=None):
        connection = connection or self.cxml_connection
        signature = signature or self.env["punchout.simulator"]._signature(connection.id)
        nonce = nonce or secrets.token_urlsafe(16)
        return f"/punchout/simulator/return/{connection.id}/{signature}/cxml/{nonce}", nonce

    def cart_message(self, cookie, items=True, **values):
        message = cxml.PunchOutOrderMessage(
            buyer_cookie=cookie,
            total=cxml.Money(Decimal("36.00"), self.currency.name),
            items=[
                cxml.Item(
                    quantity=Decimal(2),
                    supplier_part_id="PEN-BLUE",
                    supplier_part_auxiliary_id="S00001/1",
                    unit_price=cxml.Money(Decimal("18.00"), self.currency.name),
                    description="Ballpoint pen",
                    unit_of_measure="C62",
                    classifications=[("UNSPSC", "44121704")],
                )
            ]
            if items
            else [],
            **values,
        )
        header = cxml.Header(
            from_credentials=[SUPPLIER],
            to_credentials=[self.env["punchout.cxml"]._buyer_credential(self.cxml_connection)],
            sender_credentials=[SUPPLIER],
        )
        return cxml.build_punchout_order_message(header, message, deployment_mode="test")

    def post_cart(self, document, field="cxml-urlencoded", nonce=None):
        """Post ``document`` as the buyer's browser would; returns (page, nonce)."""
        path, nonce = self.return_path(nonce=nonce)
        value = cxml.encode_browser_form_value(document, self.cxml_connection.cxml_form_encoding)
        response = self.url_open(path, data={field: value})
        self.assertEqual(response.status_code, 200, response.text[:500])
        return self.page(response), nonce

    def messages(self, kind=None):
        """This connection's cXML messages (of one kind)."""
        domain = [("connection_id", "=", self.cxml_connection.id), ("protocol", "=", "cxml")]
        return self.env["punchout.message"].search(
            domain + ([("kind", "=", kind)] if kind else [])
        )

    def set_dtd_dir(self, value=None):
        self.env["ir.config_parameter"].sudo().set_param(
            DTD_PATH_PARAM, str(CXML_DTD_DIR) if value is None else value
        )

    # ------------------------------------------------------------------
    # setup
    # ------------------------------------------------------------------

    def test_simulator_page_shows_the_cxml_form_to_managers(self):
        self.authenticate("admin", "admin")
        response = self.url_open(self.simulator_url)
        self.assertEqual(response.status_code, 200)
        page = self.page(response)
        form = page.xpath("//form[contains(@class, 'o_punchout_sim_cxml_form')]")[0]
        self.assertEqual(form.get("action"), f"{self.simulator_url}/cxml/setup")
        self.assertEqual(form.get("method"), "post")
        secret = form.xpath(".//input[@name='shared_secret']")[0]
        self.assertEqual(secret.get("type"), "password")
        self.assertFalse(secret.get("value"))
        self.assertEqual(
            form.xpath(".//input[@name='user_email']/@value"), ["purchasing@buyer.example"]
        )
        self.assertEqual(form.xpath(".//select[@name='operation']/option/@value"), ["create"])
        self.assertTrue(form.xpath(".//input[@name='csrf_token']/@value"))
        self.assertIn("inbound@prominate-platform.com", form.text_content())
        self.assertFalse(page.xpath("//form[@action='/punchout/oci/buyer-ariba']"))

        salesman = self.env["res.users"].create(
            {
                "name": "Salesman",
                "login": "salesman@supplier.example",
                "password": "salesman-password",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        self.authenticate(salesman.login, "salesman-password")
        self.assertEqual(self.url_open(self.simulator_url).status_code, 403)
        response = self.url_open(
            f"{self.simulator_url}/cxml/setup",
            data={"csrf_token": self.csrf_token("/shop"), "shared_secret": "s3cr3t"},
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.last_cxml_session())

    def test_setup_opens_a_session_and_gives_the_start_page(self):
        page = self.simulate_setup()
        self.assertEqual(self.texts(page, "o_punchout_sim_status_code"), ["200"])
        session = self.last_cxml_session()
        self.assertEqual(session.state, "open")
        self.assertEqual(session.operation, "create")
        self.assertEqual(session.user_id.login, "jane.doe@buyer.example")  # UserEmail extrinsic
        # The BrowserFormPost is the signed simulator return URL, with a nonce of its own
        # from which the BuyerCookie is derived.
        signature = self.env["punchout.simulator"]._signature(self.cxml_connection.id)
        prefix = (
            f"{self.base_url()}/punchout/simulator/return/{self.cxml_connection.id}/"
            f"{signature}/cxml/"
        )
        self.assertTrue(session.return_url.startswith(prefix), session.return_url)
        nonce = session.return_url.removeprefix(prefix)
        self.assertEqual(
            session.buyer_cookie,
            self.env["punchout.simulator"]._buyer_cookie(self.cxml_connection.id, nonce),
        )
        start_url = page.xpath("//a[contains(@class, 'o_punchout_sim_cxml_start_link')]/@href")
        self.assertEqual(len(start_url), 1)
        self.assertRegex(start_url[0], r"/punchout/start/[A-Za-z0-9_-]{43}$")
        self.assertIn("logs", self.texts(page, "o_punchout_sim_cxml_start")[0])
        # The request and the answer, escaped, without the secret.
        request_text = self.texts(page, "o_punchout_sim_cxml_request")[0]
        self.assertIn('<PunchOutSetupRequest operation="create">', request_text)
        self.assertIn("<SharedSecret>***</SharedSecret>", request_text)
        self.assertIn("<StartPage>", self.texts(page, "o_punchout_sim_cxml_response")[0])
        self.assertNotIn(b"s3cr3t", html.tostring(page))
        # Logged like a request from a buyer's system.
        message = self.messages("cxml_setup")
        self.assertRecordValues(
            message,
            [
                {
                    "state": "done",
                    "direction": "in",
                    "connection_id": self.cxml_connection.id,
                    "session_id": session.id,
                }
            ],
        )
        self.assertNotIn("s3cr3t", message.payload)
        self.assertIn(session.buyer_cookie, message.payload)
        # The StartPage logs the browser in as the buyer's user and opens the shop.
        self.opener.cookies.clear()
        response = self.url_open(start_url[0], allow_redirects=False)
        self.assertEqual(response.status_code, 303)
        self.assertIn("Transfer to Ariba", self.url_open("/shop").text)

    def test_setup_with_a_wrong_secret_shows_the_refusal(self):
        page = self.simulate_setup(secret="wrong")
        self.assertEqual(self.texts(page, "o_punchout_sim_status_code"), ["401"])
        self.assertIn("SharedSecret", self.texts(page, "o_punchout_sim_status_message")[0])
        self.assertFalse(page.xpath("//a[contains(@class, 'o_punchout_sim_cxml_start_link')]"))
        self.assertFalse(self.last_cxml_session())
        message = self.messages()
        self.assertRecordValues(
            message,
            [{"kind": "cxml_setup", "state": "error", "http_status": 401, "auth_failed": True}],
        )
        self.assertNotIn("wrong", message.payload)

    # ------------------------------------------------------------------
    # cart message
    # ------------------------------------------------------------------

    def test_transferred_cart_is_decoded_and_checked(self):
        self.set_dtd_dir()
        session, action, pairs = self.shop_through_the_simulator()
        self.assertTrue(action.startswith(session.return_url))
        self.assertEqual([name for name, _value in pairs], ["cxml-urlencoded"])
        page = self.page(self.post_to_return_url(action, pairs))

        self.assertEqual(len(page.xpath("//*[contains(@class, 'o_punchout_sim_dtd_valid')]")), 1)
        self.assertIn("valid against the DTD", self.texts(page, "o_punchout_sim_dtd_valid")[0])
        self.assertFalse(self.texts(page, "o_punchout_sim_check_failed"))
        checks = " ".join(self.texts(page, "o_punchout_sim_check_ok"))
        self.assertIn("BuyerCookie is the one sent", checks)
        self.assertIn("No SharedSecret", checks)
        self.assertIn("2 item(s)", checks)
        self.assertEqual(self.texts(page, "o_punchout_sim_buyer_cookie"), [session.buyer_cookie])
        self.assertEqual(self.texts(page, "o_punchout_sim_operation"), ["edit"])
        self.assertEqual(
            self.texts(page, "o_punchout_sim_total"), [f"459.75 {self.currency.name}"]
        )

        order = session.order_id
        paper_line = order.order_line.filtered(lambda line: line.product_id == self.product_paper)
        pen_line = order.order_line.filtered(lambda line: line.product_id == self.product_pen)
        rows = page.xpath("//table[contains(@class, 'o_punchout_sim_cxml_items')]/tbody/tr")
        cells = [[" ".join(td.text_content().split()) for td in row.xpath("td")] for row in rows]
        self.assertEqual(
            [[c for i, c in enumerate(row) if i != 4] for row in cells],
            [
                [
                    "1",
                    "3",
                    "PAP-A4-80",
                    f"{order.name}/{paper_line.id}",
                    "81.25",
                    self.currency.name,
                    "C62",
                    "UNSPSC 44120000",
                ],
                [
                    "2",
                    "12",
                    "PEN-BLUE",
                    f"{order.name}/{pen_line.id}",
                    "18.0",
                    self.currency.name,
                    "C62",
                    "UNSPSC 44120000",
                ],
            ],
        )
        self.assertIn("Copy paper A4", cells[0][4])
        self.assertIn("Ballpoint pen", cells[1][4])
        document = self.texts(page, "o_punchout_sim_cxml_document")[0]
        self.assertIn("<PunchOutOrderMessage>", document)  # escaped, shown as text
        self.assertTrue(page.xpath("//form[contains(@class, 'o_punchout_sim_cxml_order_form')]"))
        session.invalidate_recordset()
        self.assertEqual(session.state, "transferred")
        self.assertEqual(order.state, "sent")

    def test_dtd_errors_are_listed(self):
        self.set_dtd_dir()
        cookie_nonce = secrets.token_urlsafe(16)
        cookie = self.env["punchout.simulator"]._buyer_cookie(
            self.cxml_connection.id, cookie_nonce
        )
        broken = re.sub(
            rb"<Classification[^>]*>[^<]*</Classification>", b"", self.cart_message(cookie)
        )
        page, _nonce = self.post_cart(broken, nonce=cookie_nonce)
        errors = self.texts(page, "o_punchout_sim_dtd_errors")
        self.assertEqual(len(errors), 1)
        self.assertIn("ItemDetail", errors[0])
        self.assertIn("DTD error(s)", errors[0])
        self.assertFalse(page.xpath("//*[contains(@class, 'o_punchout_sim_dtd_valid')]"))
        failed = self.texts(page, "o_punchout_sim_check_failed")
        self.assertEqual(len(failed), 1)
        self.assertIn("not valid against the cXML DTD", failed[0])
        # still decoded: the buyer's system may be more lenient than the DTD
        self.assertEqual(self.texts(page, "o_punchout_sim_part_id"), ["PEN-BLUE"])

    def test_dtd_check_is_skipped_without_the_parameter(self):
        self.set_dtd_dir(False)
        nonce = secrets.token_urlsafe(16)
        cookie = self.env["punchout.simulator"]._buyer_cookie(self.cxml_connection.id, nonce)
        page, _nonce = self.post_cart(self.cart_message(cookie), nonce=nonce)
        skipped = self.texts(page, "o_punchout_sim_dtd_skipped")
        self.assertEqual(len(skipped), 1)
        self.assertIn(
            "DTD check skipped: set the system parameter oci_punchout.cxml_dtd_path to a "
            "folder with the official cXML.dtd",
            skipped[0],
        )
        self.assertFalse(self.texts(page, "o_punchout_sim_check_failed"))
        self.set_dtd_dir("/nonexistent/folder")
        page, _nonce = self.post_cart(self.cart_message(cookie), nonce=nonce)
        self.assertIn(
            "/nonexistent/folder/cXML.dtd", self.texts(page, "o_punchout_sim_dtd_skipped")[0]
        )

    def test_buyer_checks_wrong_cookie_and_shared_secret(self):
        self.set_dtd_dir()
        document = self.cart_message("not-the-cookie-we-sent")
        document = document.replace(
            b"<Identity>supplier@supplier.com</Identity>\n      </Credential>\n      <UserAgent>",
            b"<Identity>supplier@supplier.com</Identity>\n"
            b"<SharedSecret>leaked</SharedSecret></Credential>\n      <UserAgent>",
        )
        self.assertIn(b"<SharedSecret>leaked", document)
        page, nonce = self.post_cart(document)
        failed = self.texts(page, "o_punchout_sim_check_failed")
        self.assertEqual(len(failed), 2, failed)
        self.assertIn("not-the-cookie-we-sent", failed[0])
        self.assertIn(
            self.env["punchout.simulator"]._buyer_cookie(self.cxml_connection.id, nonce), failed[0]
        )
        self.assertIn("SharedSecret", failed[1])
        self.assertTrue(page.xpath("//*[contains(@class, 'o_punchout_sim_dtd_valid')]"))

    def test_cancelled_cart_base64_and_field_name_case(self):
        self.cxml_connection.write(
            {"cxml_form_encoding": "base64", "cxml_form_field_name": "cXML-base64"}
        )
        nonce = secrets.token_urlsafe(16)
        cookie = self.env["punchout.simulator"]._buyer_cookie(self.cxml_connection.id, nonce)
        document = self.cart_message(cookie, items=False)
        page, _nonce = self.post_cart(document, field="CXML-BASE64", nonce=nonce)
        self.assertEqual(len(self.texts(page, "o_punchout_sim_cancelled")), 1)
        checks = " ".join(self.texts(page, "o_punchout_sim_check_ok"))
        self.assertIn("the user cancelled", checks)
        self.assertIn("letter case differs", checks)
        self.assertFalse(self.texts(page, "o_punchout_sim_check_failed"))
        self.assertFalse(page.xpath("//form[contains(@class, 'o_punchout_sim_cxml_order_form')]"))
        # no cart field at all
        page, _nonce = self.post_cart(document, field="something-else")
        self.assertIn(
            "No field named cXML-base64", self.texts(page, "o_punchout_sim_cxml_error")[0]
        )

    def test_return_url_needs_a_valid_signature(self):
        document = self.cart_message("cookie")
        value = cxml.encode_browser_form_value(document, "urlencoded")
        path, _nonce = self.return_path(signature="forged")
        self.assertEqual(self.url_open(path, data={"cxml-urlencoded": value}).status_code, 404)
        path, _nonce = self.return_path(nonce="short")
        self.assertEqual(self.url_open(path, data={"cxml-urlencoded": value}).status_code, 404)
        # an OCI connection's signature is valid, but it has no cXML return page
        path, _nonce = self.return_path(connection=self.connection)
        self.assertEqual(self.url_open(path, data={"cxml-urlencoded": value}).status_code, 404)
        path, _nonce = self.return_path()
        self.assertEqual(self.url_open(path, data={"cxml-urlencoded": value}).status_code, 200)

    # ------------------------------------------------------------------
    # order
    # ------------------------------------------------------------------

    def order_form(self, page):
        form = page.xpath("//form[contains(@class, 'o_punchout_sim_cxml_order_form')]")[0]
        values = {
            field.get("name"): field.get("value") or ""
            for field in form.xpath(".//input[@type='hidden']")
        }
        self.assertEqual(form.xpath(".//input[@name='shared_secret']/@type"), ["password"])
        self.assertFalse(form.xpath(".//input[@name='shared_secret']/@value"))
        return form.get("action"), values

    def test_order_step_confirms_the_quotation(self):
        session, action, pairs = self.shop_through_the_simulator()
        quotation = session.order_id
        page = self.page(self.post_to_return_url(action, pairs))
        order_action, values = self.order_form(page)
        self.assertEqual(order_action, f"{self.simulator_url}/cxml/order")
        self.assertEqual(
            set(values), {"csrf_token", "nonce", "cart_data", "cart_signature"}
        )  # the secret is never carried in the page
        self.assertNotIn(b"s3cr3t", html.tostring(page))

        # A cart that was not received by the simulator is refused.
        forged = dict(values, shared_secret="s3cr3t")
        forged["cart_data"] = base64.b64encode(
            base64.b64decode(values["cart_data"]).replace(b'quantity="12"', b'quantity="1200"')
        ).decode()
        with mute_logger("odoo.http"):
            self.assertEqual(self.url_open(order_action, data=forged).status_code, 403)
        # A wrong secret is answered like the endpoint answers it; nothing is ordered.
        page = self.page(self.url_open(order_action, data=dict(values, shared_secret="nope")))
        self.assertEqual(self.texts(page, "o_punchout_sim_status_code"), ["401"])
        self.assertFalse(page.xpath("//a[contains(@class, 'o_punchout_sim_order_link')]"))
        quotation.invalidate_recordset()
        self.assertEqual(quotation.state, "sent")

        response = self.url_open(order_action, data=dict(values, shared_secret="s3cr3t"))
        self.assertEqual(response.status_code, 200, response.text[:500])
        page = self.page(response)
        self.assertEqual(self.texts(page, "o_punchout_sim_status_code"), ["200"])
        quotation.invalidate_recordset()
        self.assertIn(
            f"Order {quotation.name} confirmed.",
            self.texts(page, "o_punchout_sim_status_message")[0],
        )
        self.assertEqual(
            page.xpath("//a[contains(@class, 'o_punchout_sim_order_link')]/@href"),
            [f"/odoo/action-sale.action_orders/{quotation.id}"],
        )
        self.assertEqual(quotation.state, "sale")
        self.assertRegex(quotation.punchout_po_number, r"^SIM-\d{14}-[0-9A-F]{4}$")
        self.assertEqual(quotation.client_order_ref, quotation.punchout_po_number)
        self.assertEqual(quotation.partner_invoice_id, self.buyer)  # BillTo: the buyer company
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
        self.assertEqual(quotation.amount_untaxed, 459.75)
        self.assertFalse(quotation.activity_ids)  # matched without deviations
        session.invalidate_recordset()
        self.assertEqual(session.state, "ordered")
        request_text = self.texts(page, "o_punchout_sim_cxml_request")[0]
        self.assertIn(f'orderID="{quotation.punchout_po_number}"', request_text)
        self.assertNotIn("s3cr3t", request_text)
        messages = self.messages("cxml_order")
        self.assertEqual(sorted(messages.mapped("state")), ["done", "error"])
        done = messages.filtered(lambda message: message.state == "done")
        self.assertEqual(done.order_id, quotation)
        self.assertFalse(any("s3cr3t" in message.payload for message in messages))

    def test_production_connection_orders_nothing(self):
        self.cxml_connection.test_mode = False
        nonce = secrets.token_urlsafe(16)
        cookie = self.env["punchout.simulator"]._buyer_cookie(self.cxml_connection.id, nonce)
        document = self.cart_message(cookie)
        page, _nonce = self.post_cart(document, nonce=nonce)
        self.assertFalse(page.xpath("//form[contains(@class, 'o_punchout_sim_cxml_order_form')]"))
        response = self.url_open(
            f"{self.simulator_url}/cxml/order",
            data={
                "csrf_token": self.csrf_token(),
                "nonce": nonce,
                "cart_data": base64.b64encode(document).decode(),
                "cart_signature": "whatever",
                "shared_secret": "s3cr3t",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self.messages("cxml_order"))
