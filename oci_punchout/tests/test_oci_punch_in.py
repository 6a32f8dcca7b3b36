import json
import logging
import time
from unittest.mock import patch

from passlib.context import CryptContext

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..controllers.oci import _PROXY_WARNING_LOGGED
from .common import HOOK_URL, PASSWORD, PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestOciPunchIn(PunchoutHttpCase):
    def test_punch_in_logs_in_buyer_with_fresh_cart(self):
        old_cart = self.env["sale.order"].create(
            {"partner_id": self.buyer_user.partner_id.id, "website_id": self.website.id}
        )
        response = self.punch_in(**{"~TARGET": "_parent", "http_content_charset": "ISO-8859-1"})

        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.headers["Location"].endswith("/shop"))
        session = self.last_session()
        self.assertRecordValues(
            session,
            [
                {
                    "state": "open",
                    "protocol": "oci",
                    "operation": "create",
                    "user_id": self.buyer_user.id,
                    "return_url": HOOK_URL,
                    "return_target": "_parent",
                    "start_token_used": True,
                }
            ],
        )
        self.assertEqual(session.charset.replace("-", "").lower(), "iso88591")
        self.assertNotEqual(session.order_id, old_cart)
        self.assertRecordValues(
            session.order_id,
            [
                {
                    "state": "draft",
                    "pricelist_id": self.pricelist.id,
                    "partner_id": self.buyer_user.partner_id.id,
                    "punchout_session_id": session.id,
                }
            ],
        )
        message = self.env["punchout.message"].search(
            [("session_id", "=", session.id), ("kind", "=", "oci_login")]
        )
        self.assertEqual(message.state, "done")
        self.assertNotIn(PASSWORD, message.payload)
        self.assertIn("********", message.payload)
        self.assertIn("HOOK_URL", message.payload)

        # The browser is now the buyer's portal user, shopping with the buyer's prices.
        shop = self.url_open("/shop")
        self.assertEqual(shop.status_code, 200)
        self.assertIn("o_punchout_banner", shop.text)
        self.assertIn("Buyer Industries GmbH", shop.text)
        self.assertIn("Transfer to SAP SRM", shop.text)
        self.assertIn("81.25", shop.text)  # the buyer's fixed price, not the public 100.00
        self.assertIn("18.00", shop.text)  # the pen: 20.00 less the buyer's 10 %
        self.assertNotIn("Cordless drill", shop.text)  # outside the buyer's assortment

    def test_punch_in_by_get_and_without_code(self):
        response = self.punch_in(code=None, method="GET")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.last_session().state, "open")

    @mute_logger("odoo.addons.base.models.res_users")
    def test_wrong_credentials_are_refused_and_logged(self):
        cases = [
            {"PASSWORD": "wrong"},
            {"PASSWORD": None},
            {"USERNAME": "someone-else"},
            {"USERNAME": None, "PASSWORD": None},
        ]
        for params in cases:
            with self.subTest(params=params):
                response = self.punch_in(**params)
                self.assertEqual(response.status_code, 401)
                self.assertIn("wrong credentials", response.text)
        self.assertFalse(self.last_session())
        failures = self.env["punchout.message"].search(
            [("kind", "=", "oci_login"), ("auth_failed", "=", True)]
        )
        self.assertEqual(len(failures), len(cases))
        self.assertTrue(all(message.state == "error" for message in failures))
        self.assertFalse(any("wrong" in (message.payload or "") for message in failures))

    def test_unknown_catalogue_and_inactive_connection(self):
        response = self.punch_in(code="no-such-catalogue")
        self.assertEqual(response.status_code, 401)
        self.connection.active = False
        # Only the right credentials learn that the catalogue exists and is inactive.
        for params in ({"PASSWORD": "guess"}, {"code": None, "USERNAME": "buyer"}):
            with self.subTest(params):
                self.assertEqual(self.punch_in(**{"PASSWORD": "guess", **params}).status_code, 401)
        response = self.punch_in()
        self.assertEqual(response.status_code, 403)
        self.assertIn("not active", response.text)
        self.assertFalse(self.last_session())

    def test_unknown_user_names_cost_a_password_check(self):
        checks = []
        verify = CryptContext.verify

        def counting_verify(context, *args, **kwargs):
            checks.append(args[1])
            return verify(context, *args, **kwargs)

        with patch.object(CryptContext, "verify", counting_verify):
            unknown = self.punch_in(code=None, USERNAME="nobody", PASSWORD="guess")
            wrong = self.punch_in(PASSWORD="guess")
            unknown_code = self.punch_in(code="no-such-catalogue", PASSWORD="guess")
        self.assertEqual(
            [unknown.status_code, wrong.status_code, unknown_code.status_code], [401] * 3
        )
        self.assertEqual(len(checks), 3)
        # The same kind of hash, so the same cost.
        self.assertEqual(len({check.rsplit("$", 2)[0] for check in checks}), 1)
        self.assertIn("wrong credentials", unknown.text)
        self.assertIn("wrong credentials", wrong.text)

    def test_proxy_headers_without_proxy_mode_are_reported(self):
        self.assertFalse(self.connection.proxy_mode_warning)
        _PROXY_WARNING_LOGGED.clear()
        with self.assertLogs("odoo.addons.oci_punchout.controllers.oci", "WARNING") as logs:
            for _request in range(2):
                self.url_open(
                    "/punchout/oci/buyer-sap",
                    data={"USERNAME": "buyer", "PASSWORD": PASSWORD, "HOOK_URL": HOOK_URL},
                    headers={"X-Forwarded-For": "198.51.100.7"},
                    allow_redirects=False,
                )
        self.assertEqual(len(logs.records), 1)
        self.assertIn("--proxy-mode", logs.output[0])
        self.connection.invalidate_recordset()
        self.assertTrue(self.connection.proxy_mode_warning)

    def test_return_url_must_be_allowed(self):
        refused = [
            "https://evil.example/sap/",
            "https://srm.buyer.example.evil.example/sap/",
            "https://srm.buyer.example@evil.example/sap/",
            "http://srm.buyer.example/sap/",  # http only for test connections
            "https://srm.buyer.example/other/",
            "javascript:alert(1)",
            "http://localhost:8080/hook",  # production connection
        ]
        for hook_url in refused:
            with self.subTest(hook_url=hook_url):
                response = self.punch_in(HOOK_URL=hook_url)
                self.assertEqual(response.status_code, 403)
        self.assertFalse(self.last_session())
        for hook_url in ["SAPEVENT:POST", "https://srm.buyer.example/sap/bc/x?a=1"]:
            with self.subTest(hook_url=hook_url):
                self.assertEqual(self.punch_in(HOOK_URL=hook_url).status_code, 303)
        self.connection.test_mode = True
        self.assertEqual(self.punch_in(HOOK_URL="http://localhost:8080/hook").status_code, 303)
        self.assertEqual(self.punch_in(HOOK_URL="http://127.0.0.1/h").status_code, 303)

    def test_missing_hook_url_and_oversized_parameters(self):
        earlier = self.env["punchout.message"].search([])
        response = self.punch_in(HOOK_URL=None)
        self.assertEqual(response.status_code, 400)
        response = self.punch_in(LANGU="x" * 5000)
        self.assertEqual(response.status_code, 413)
        response = self.punch_in(HOOK_URL="https://srm.buyer.example/sap/" + "a" * 70_000)
        self.assertEqual(response.status_code, 413)
        self.assertFalse(self.last_session())
        errors = self.env["punchout.message"].search([("state", "=", "error")]) - earlier
        self.assertEqual(sorted(errors.mapped("http_status")), [400, 413, 413])

    @mute_logger("odoo.addons.base.models.res_users")
    def test_failed_logins_are_throttled(self):
        for _attempt in range(10):
            self.assertEqual(self.punch_in(PASSWORD="guess").status_code, 401)
        # Even the right password is refused while the address is throttled.
        response = self.punch_in()
        self.assertEqual(response.status_code, 429)
        self.assertFalse(self.last_session())
        # Other addresses are not affected: the counter is per client address, in the database.
        self.env["punchout.message"].search([]).write({"remote_addr": "192.0.2.1"})
        self.assertEqual(self.punch_in().status_code, 303)

    def test_unknown_charset_falls_back_to_utf8(self):
        response = self.punch_in(http_content_charset="x-no-such-charset")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.last_session().charset, "utf-8")

    def test_function_detail_opens_product_page(self):
        response = self.punch_in(FUNCTION="DETAIL", PRODUCTID=str(self.product_pen.id))
        self.assertEqual(response.status_code, 303)
        self.assertIn(self.product_pen.product_tmpl_id.website_url, response.headers["Location"])
        page = self.url_open(response.headers["Location"])
        self.assertEqual(page.status_code, 200)
        self.assertIn("Ballpoint pen", page.text)
        self.assertEqual(self.last_session().operation, "detail")

    def test_function_detail_unknown_or_hidden_product(self):
        for product_ref in ("999999", "not-a-number", str(self.product_drill.id)):
            with self.subTest(product_ref=product_ref):
                response = self.punch_in(FUNCTION="DETAIL", PRODUCTID=product_ref)
                self.assertEqual(response.status_code, 303)
                self.assertTrue(response.headers["Location"].endswith("/shop"))
        # Even by URL, a product outside the assortment is not shown in a punchout session.
        page = self.url_open(self.product_drill.product_tmpl_id.website_url)
        self.assertEqual(page.status_code, 404)

    def test_function_validate_answers_at_once_with_current_data(self):
        response = self.punch_in(
            FUNCTION="VALIDATE", PRODUCTID=str(self.product_pen.id), QUANTITY="4"
        )
        self.assertEqual(response.status_code, 200)
        form, pairs = self.parse_return_form(response.content)
        fields = dict(pairs)
        self.assertEqual(form.get("action"), HOOK_URL.split("?")[0])
        self.assertEqual(fields["~OkCode"], "ADDI")
        self.assertEqual(fields["sap-client"], "100")
        self.assertEqual(fields["NEW_ITEM-DESCRIPTION[1]"], "Ballpoint pen")
        self.assertEqual(fields["NEW_ITEM-QUANTITY[1]"], "4")
        self.assertEqual(fields["NEW_ITEM-PRICE[1]"], "18")
        self.assertEqual(fields["NEW_ITEM-CURRENCY[1]"], self.currency.name)
        self.assertEqual(fields["NEW_ITEM-EXT_PRODUCT_ID[1]"], str(self.product_pen.id))
        self.assertIn(".submit", response.text)  # auto-submitted
        self.assertFalse(self.last_session(), "VALIDATE logs nobody in")
        message = self.env["punchout.message"].search([("kind", "=", "oci_validate")])
        self.assertEqual(message.state, "done")

        gone = self.punch_in(FUNCTION="VALIDATE", PRODUCTID=str(self.product_drill.id))
        self.assertEqual(gone.status_code, 200)
        _form, pairs = self.parse_return_form(gone.content)
        self.assertFalse([name for name, _value in pairs if name.startswith("NEW_ITEM-")])

    def test_function_background_search(self):
        response = self.punch_in(FUNCTION="BACKGROUND_SEARCH", SEARCHSTRING="pen")
        self.assertEqual(response.status_code, 200)
        _form, pairs = self.parse_return_form(response.content)
        descriptions = [value for name, value in pairs if name.startswith("NEW_ITEM-DESCRIPTION")]
        self.assertEqual(descriptions, ["Ballpoint pen"])
        self.assertNotIn("HTMLFormElement.prototype.submit", response.text)
        everything = self.punch_in(FUNCTION="BACKGROUND_SEARCH", SEARCHSTRING="")
        _form, pairs = self.parse_return_form(everything.content)
        products = {value for name, value in pairs if name.startswith("NEW_ITEM-EXT_PRODUCT_ID")}
        self.assertEqual(products, {str(self.product_pen.id), str(self.product_paper.id)})

    def test_function_sourcing_searches_the_shop(self):
        response = self.punch_in(FUNCTION="SOURCING", SEARCHSTRING="pen", VENDOR="V-1000")
        self.assertEqual(response.status_code, 303)
        self.assertIn("/shop?search=pen", response.headers["Location"])
        self.assertEqual(self.last_session().operation, "source")

    def test_unsupported_function(self):
        response = self.punch_in(FUNCTION="INITIALIZE")
        self.assertEqual(response.status_code, 400)
        self.assertIn("INITIALIZE", response.text)
        self.assertFalse(self.last_session())

    def test_custom_password_parameter_is_never_logged(self):
        earlier = self.env["punchout.message"].search([])
        self.connection.oci_password_param = "KENNWORT"
        self.assertEqual(self.punch_in(PASSWORD=None, KENNWORT=PASSWORD).status_code, 303)
        # Unknown catalogue: its password parameter's name is unknown, so only the standard
        # OCI parameters are kept.
        self.assertEqual(self.punch_in(code="nope", KENNWORT="geheim-123").status_code, 401)
        messages = self.env["punchout.message"].search([("kind", "=", "oci_login")]) - earlier
        payloads = messages.mapped("payload")
        self.assertEqual(len(payloads), 2)
        for payload in payloads:
            self.assertNotIn(PASSWORD, payload)
            self.assertNotIn("geheim-123", payload)
            self.assertIn("HOOK_URL", payload)

    def test_get_password_never_in_access_log(self):
        self.connection.oci_password_param = "KENNWORT"
        lines = []
        handler = logging.Handler(logging.INFO)
        handler.emit = lambda record: lines.append(record.getMessage())
        werkzeug_logger = logging.getLogger("werkzeug")
        werkzeug_logger.addHandler(handler)
        try:
            response = self.punch_in(method="GET", PASSWORD=None, KENNWORT=PASSWORD)
            self.assertEqual(response.status_code, 303)
            # The server thread writes the access log line once the answer is sent.
            deadline = time.monotonic() + 10
            while not any("/punchout/oci/buyer-sap?" in line for line in lines):
                self.assertLess(time.monotonic(), deadline, "no access log line")
                time.sleep(0.05)
        finally:
            werkzeug_logger.removeHandler(handler)
        [line] = [line for line in lines if "/punchout/oci/buyer-sap?" in line]
        self.assertNotIn("s3cret", line)
        self.assertIn("KENNWORT=********", line)
        self.assertIn("USERNAME=buyer", line)

    def test_end_user_policies(self):
        self.connection.oci_end_user_param = "EMAIL"
        colleague = self._create_portal_user("Colleague", "colleague@buyer.example")
        outsider_company = self.env["res.partner"].create({"name": "Other", "is_company": True})
        self._create_portal_user("Outsider", "outsider@other.example", parent=outsider_company)

        self.connection.end_user_policy = "default"
        self.punch_in(EMAIL="colleague@buyer.example")
        self.assertEqual(self.last_session().user_id, self.buyer_user)

        self.connection.end_user_policy = "existing"
        self.punch_in(EMAIL="Colleague@Buyer.example")
        self.assertEqual(self.last_session().user_id, colleague)
        self.punch_in(EMAIL="new.person@buyer.example")
        self.assertEqual(self.last_session().user_id, self.buyer_user)

        self.connection.end_user_policy = "create"
        self.punch_in(EMAIL="new.person@buyer.example")
        created = self.last_session().user_id
        self.assertEqual(created.login, "new.person@buyer.example")
        self.assertTrue(created.share)
        self.assertEqual(created.partner_id.parent_id, self.buyer)
        # Never take over an account that belongs to someone else.
        self.punch_in(EMAIL="outsider@other.example")
        self.assertEqual(self.last_session().user_id, self.buyer_user)

    def test_start_token_is_single_use(self):
        """The login credential is consumed by the punch-in; a token works once, for its user."""
        self.assertEqual(self.punch_in().status_code, 303)
        session = self.last_session()
        self.assertTrue(session.start_token_used)
        Session = self.env["punchout.session"]
        self.assertFalse(Session._consume_start_token("forged", self.buyer_user))
        token = session.sudo()._issue_start_token()
        self.assertFalse(Session._consume_start_token(token, self.env.user))
        self.assertEqual(Session._consume_start_token(token, self.buyer_user), session)
        self.assertFalse(Session._consume_start_token(token, self.buyer_user))
        expired = session.sudo()._issue_start_token()
        session.sudo().start_token_expiry = "2000-01-01 00:00:00"
        self.assertFalse(Session._consume_start_token(expired, self.buyer_user))

    def test_logged_payload_is_json_without_secret(self):
        self.punch_in()
        message = self.env["punchout.message"].search([("kind", "=", "oci_login")], limit=1)
        payload = json.loads(message.payload)
        self.assertEqual(payload["USERNAME"], ["buyer"])
        self.assertEqual(payload["PASSWORD"], "********")
