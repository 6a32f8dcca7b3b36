"""OCI 5.0 functions over real HTTP: QUANTITYCHECK (the buyer's server asks what it can have,
answered in JSON, nobody logged in) and DETAILADD (a shopping session on the product's page)."""

from odoo.tests import tagged

from .common import PASSWORD, PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestOci5Functions(PunchoutHttpCase):
    def quantity_check(self, product_id, quantity="5", password=PASSWORD, **params):
        values = {
            "USERNAME": "buyer",
            "PASSWORD": password,
            "FUNCTION": "QUANTITYCHECK",
            "EXT_PRODUCT_ID": str(product_id),
            "QUANTITY": quantity,
            **params,
        }
        response = self.url_open("/punchout/oci/buyer-sap", data=values, allow_redirects=False)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        return response.status_code, response.json()

    def checks(self):
        return self.env["punchout.message"].search(
            [("kind", "=", "oci_quantitycheck")], order="id"
        )

    def test_quantity_check_of_a_product_in_the_assortment(self):
        sessions = self.env["punchout.session"].search_count([])
        self.assertEqual(
            self.quantity_check(self.product_pen.id, "5"),
            # Without stock management: all of it, no lead time known (see the stock bridge).
            (200, {"AVAILABLE_QUANTITY": 5, "LEADTIME": "0"}),
        )
        # A server call: no session, no login, no cookie of a logged-in user.
        self.assertEqual(self.env["punchout.session"].search_count([]), sessions)
        message = self.checks()
        self.assertRecordValues(
            message, [{"state": "done", "connection_id": self.connection.id, "http_status": 200}]
        )
        self.assertNotIn(PASSWORD, message.payload)
        self.assertIn('"AVAILABLE_QUANTITY": 5', message.response_payload)

    def test_unknown_or_foreign_products_are_not_found(self):
        for product_id in ("999999", str(self.product_drill.id), "not-a-number"):
            with self.subTest(product_id=product_id):
                status, body = self.quantity_check(product_id)
                self.assertEqual(status, 404)
                self.assertIn("assortment", body["ERROR"])
        self.assertEqual(self.checks().mapped("http_status"), [404, 404, 404])

    def test_bad_requests_get_a_json_error(self):
        status, body = self.quantity_check(self.product_pen.id, password="guessed")
        self.assertEqual(status, 401)
        self.assertIn("wrong credentials", body["ERROR"])
        self.assertTrue(self.checks()[-1].auth_failed)
        status, body = self.quantity_check(self.product_pen.id, quantity="five")
        self.assertEqual(status, 400)
        self.assertIn("QUANTITY", body["ERROR"])
        status, body = self.quantity_check("")
        self.assertEqual(status, 400)
        self.assertIn("EXT_PRODUCT_ID", body["ERROR"])

    def test_detailadd_opens_a_shopping_session_on_the_product(self):
        response = self.punch_in(FUNCTION="DETAILADD", PRODUCTID=str(self.product_pen.id))
        self.assertEqual(response.status_code, 303, response.text[:300])
        self.assertTrue(response.headers["Location"].endswith(self.product_pen.website_url))
        session = self.last_session()
        self.assertEqual(session.operation, "create")
        self.add_to_cart(self.product_pen, 2)
        transfer = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
        )
        _form, pairs = self.parse_return_form(transfer.content)
        self.assertIn(("NEW_ITEM-QUANTITY[1]", "2"), pairs)
