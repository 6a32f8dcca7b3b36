"""Lead times from stock in the buyer's cart and on the shop's product pages of a punchout
session: in stock, the customer lead time; otherwise the vendor's delay on top."""

from odoo.tests import tagged

from odoo.addons.oci_punchout.protocol import cxml
from odoo.addons.oci_punchout.tests.common import PASSWORD

from .common import StockCxmlCase


@tagged("post_install", "-at_install")
class TestStockLeadTime(StockCxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.product_paper | cls.product_pen).write({"sale_delay": 2})
        cls.env["product.supplierinfo"].create(
            {
                "partner_id": cls.company.partner_id.id,
                "product_tmpl_id": cls.product_pen.product_tmpl_id.id,
                "delay": 9,
            }
        )

    def setUp(self):
        super().setUp()
        self.stock(self.product_paper, 100)  # the pen is out of stock

    def oci_cart(self):
        response = self.punch_in()
        self.assertEqual(response.status_code, 303, response.text[:300])
        session = self.last_session()
        self.add_to_cart(self.product_paper, 3)
        self.add_to_cart(self.product_pen, 12)
        transfer = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
        )
        _form, pairs = self.parse_return_form(transfer.content)
        fields = dict(pairs)
        return {
            fields[f"NEW_ITEM-VENDORMAT[{n}]"]: fields[f"NEW_ITEM-LEADTIME[{n}]"] for n in (1, 2)
        }

    def test_oci_cart_lead_times_from_stock(self):
        self.connection.test_mode = True
        self.assertEqual(
            self.oci_cart(),
            {self.product_paper.default_code: "2", self.product_pen.default_code: "11"},
        )

    def test_switched_off_the_customer_lead_time(self):
        self.connection.write({"test_mode": True, "lead_time_from_stock": False})
        self.assertEqual(set(self.oci_cart().values()), {"2"})

    def test_enough_stock_for_the_quantity_ordered(self):
        self.connection.test_mode = True
        self.stock(self.product_pen, 12)
        self.assertEqual(set(self.oci_cart().values()), {"2"})

    def test_cxml_cart_lead_times_from_stock(self):
        _session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        self.assertEqual(
            {item.supplier_part_id: item.lead_time for item in cart.items},
            {self.product_paper.default_code: 2, self.product_pen.default_code: 11},
        )

    def test_product_page_of_a_punchout_session_shows_the_lead_time(self):
        self.connection.test_mode = True
        self.assertEqual(self.punch_in().status_code, 303)
        page = self.url_open(self.product_pen.website_url)
        self.assertEqual(page.status_code, 200)
        self.assertRegex(page.text, r"Lead time: <span>11</span> days")
        # Outside a punchout session: Odoo's own page.
        self.opener.cookies.clear()
        self.assertNotIn("o_punchout_lead_time", self.url_open(self.product_pen.website_url).text)

    def quantity_check(self, product, quantity):
        response = self.url_open(
            "/punchout/oci/buyer-sap",
            data={
                "USERNAME": "buyer",
                "PASSWORD": PASSWORD,
                "FUNCTION": "QUANTITYCHECK",
                "EXT_PRODUCT_ID": str(product.id),
                "QUANTITY": str(quantity),
            },
        )
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_quantity_check_answers_from_stock(self):
        # In stock: the free quantity, the customer lead time.
        self.assertEqual(
            self.quantity_check(self.product_paper, 5),
            {"AVAILABLE_QUANTITY": 100, "LEADTIME": "2"},
        )
        # Out of stock: nothing now, the vendor's delay on top.
        self.assertEqual(
            self.quantity_check(self.product_pen, 5), {"AVAILABLE_QUANTITY": 0, "LEADTIME": "11"}
        )
        # Some in stock: what there is; enough for the quantity asked: the customer lead time.
        self.stock(self.product_pen, 4)
        self.assertEqual(
            self.quantity_check(self.product_pen, 5), {"AVAILABLE_QUANTITY": 4, "LEADTIME": "11"}
        )
        self.assertEqual(
            self.quantity_check(self.product_pen, 4), {"AVAILABLE_QUANTITY": 4, "LEADTIME": "2"}
        )
