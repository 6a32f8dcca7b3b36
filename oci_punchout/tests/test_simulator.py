from odoo.tests import tagged

from .common import PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestBuyerSimulator(PunchoutHttpCase):
    def _return_url(self, charset="utf-8", signature=None):
        signature = signature or self.env["punchout.simulator"]._signature(self.connection.id)
        return f"/punchout/simulator/return/{self.connection.id}/{signature}/{charset}"

    def test_simulator_page_is_for_punchout_managers_only(self):
        url = f"/punchout/simulator/{self.connection.id}"
        self.authenticate("admin", "admin")
        page = self.url_open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn('action="/punchout/oci/buyer-sap"', page.text)
        self.assertIn("/punchout/simulator/return/", page.text)
        salesman = self.env["res.users"].create(
            {
                "name": "Salesman",
                "login": "salesman@supplier.example",
                "password": "salesman-password",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        self.authenticate(salesman.login, "salesman-password")
        self.assertEqual(self.url_open(url).status_code, 403)
        self.authenticate(None, None)
        response = self.url_open(url, allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertIn("/web/login", response.headers["Location"])

    def test_simulator_decodes_and_checks_the_returned_cart(self):
        body = (
            "~OkCode=ADDI&NEW_ITEM-DESCRIPTION%5B1%5D=Gr%F6%DFe+M&NEW_ITEM-QUANTITY%5B1%5D=1%2C5"
            "&NEW_ITEM-UNIT%5B1%5D=PCE&NEW_ITEM-PRICE%5B1%5D=12.50&NEW_ITEM-CURRENCY%5B1%5D=EUR"
            "&NEW_ITEM-VENDORMAT%5B1%5D=" + "X" * 41
        )
        response = self.url_open(
            self._return_url("iso-8859-1"),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("Größe M", response.text)  # decoded in the buyer's charset
        self.assertIn("o_punchout_sim_violations", response.text)
        self.assertIn("QUANTITY", response.text)  # comma decimal
        self.assertIn("VENDORMAT", response.text)  # longer than 40
        self.assertNotIn("o_punchout_sim_ok", response.text)

    def test_simulator_flags_wrong_charset(self):
        body = (
            "NEW_ITEM-DESCRIPTION%5B1%5D=Gr%C3%B6%C3%9Fe&NEW_ITEM-QUANTITY%5B1%5D=1"
            "&NEW_ITEM-UNIT%5B1%5D=PCE"
        )
        response = self.url_open(
            self._return_url("iso-8859-1"),
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        self.assertIn("o_punchout_sim_violations", response.text)
        self.assertIn("charset", response.text.lower())

    def test_simulator_return_needs_valid_signature(self):
        response = self.url_open(self._return_url(signature="forged"), data={"a": "b"})
        self.assertEqual(response.status_code, 404)
        response = self.url_open(self._return_url(charset="koi8-r"), data={"a": "b"})
        self.assertEqual(response.status_code, 404)

    def test_empty_return_means_cancelled(self):
        response = self.url_open(self._return_url(), data={"~OkCode": "ADDI"})
        self.assertIn("o_punchout_sim_cancelled", response.text)
