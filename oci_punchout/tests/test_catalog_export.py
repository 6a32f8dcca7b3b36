"""Catalogues for buyers who load them, downloaded over real HTTP: exactly what the buyer sees
punching in (assortment, pricelist prices with their quantity breaks), valid against BMEcat's
XSD and cXML.dtd, products the buyer's system would refuse left out and named."""

import csv
import io
import json
from datetime import timedelta
from urllib.parse import urlencode

from lxml import etree

from odoo import Command
from odoo.tests import TransactionCase, tagged

from ..protocol.catalog import BMECAT_NS, validate_catalog_json
from .common import SHARED, PunchoutHttpCase, assert_valid_cxml

NS = {"b": BMECAT_NS}


@tagged("post_install", "-at_install")
class TestCatalogExport(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._add_pen_quantity_break()
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Sales manager",
                "login": "sales-manager@supplier.example",
                "password": "sales-manager-pw",
                "groups_id": [Command.set(cls.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )

    def download(self, catalog_format, **params):
        self.authenticate(self.manager.login, "sales-manager-pw")
        query = urlencode(params)
        response = self.url_open(
            f"/punchout/catalog/buyer-sap/{catalog_format}" + (f"?{query}" if query else "")
        )
        return response

    def pricelist_price(self, product, quantity):
        price, _rule = self.pricelist._get_product_price_rule(product, quantity)
        return price

    def test_bmecat_catalogue_is_the_buyers_assortment_at_its_prices(self):
        response = self.download("bmecat")
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertIn("attachment;", response.headers["Content-Disposition"])
        schema = etree.XMLSchema(etree.parse(str(SHARED / "testdata/bmecat-2005/bmecat_2005.xsd")))
        root = etree.fromstring(response.content)
        self.assertTrue(schema.validate(root), schema.error_log.filter_from_errors())
        products = {
            product.findtext("b:SUPPLIER_PID", namespaces=NS): product
            for product in root.iterfind("b:T_NEW_CATALOG/b:PRODUCT", NS)
        }
        # The assortment: office products, not the drill of the tools category.
        self.assertEqual(set(products), {"PAP-A4-80", "PEN-BLUE"})
        breaks = [
            (
                float(price.findtext("b:LOWER_BOUND", namespaces=NS)),
                float(price.findtext("b:PRICE_AMOUNT", namespaces=NS)),
            )
            for price in products["PEN-BLUE"].iterfind(
                "b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS
            )
        ]
        self.assertEqual(
            breaks,
            [
                (1.0, self.pricelist_price(self.product_pen, 1)),
                (100.0, self.pricelist_price(self.product_pen, 100)),
            ],
        )
        self.assertEqual(breaks[1][1], 15.0)
        self.assertEqual(response.headers["X-Punchout-Products"], "2")

    def test_cxml_index_catalogue(self):
        response = self.download("cxml-index")
        self.assertEqual(response.status_code, 200, response.text[:500])
        root = assert_valid_cxml(response.content, dtd="cXML")
        items = {
            item.findtext("ItemID/SupplierPartID"): float(
                item.findtext("ItemDetail/UnitPrice/Money")
            )
            for item in root.iterfind("IndexItem/IndexItemAdd")
        }
        self.assertEqual(
            items,
            {
                "PAP-A4-80": self.pricelist_price(self.product_paper, 1),
                "PEN-BLUE": self.pricelist_price(self.product_pen, 1),
            },
        )
        self.assertEqual(root.get("loadmode"), "Full")

    def test_cif_catalogue_read_back_column_by_column(self):
        response = self.download("cif")
        self.assertEqual(response.status_code, 200, response.text[:500])
        lines = response.text.split("\n")
        self.assertEqual(lines[0], "CIF_I_V3.0")
        self.assertIn("ITEMCOUNT: 2", lines)
        names = next(line for line in lines if line.startswith("FIELDNAMES: "))[12:].split(",")
        data = lines[lines.index("DATA") + 1 : lines.index("ENDOFDATA")]
        rows = {row["Supplier Part ID"]: row for row in csv.DictReader(data, fieldnames=names)}
        self.assertEqual(set(rows), {"PAP-A4-80", "PEN-BLUE"})
        self.assertEqual(
            float(rows["PEN-BLUE"]["Unit Price"]), self.pricelist_price(self.product_pen, 1)
        )
        self.assertEqual(rows["PAP-A4-80"]["Item Description"], "Bright white, FSC certified.")
        self.assertEqual(rows["PAP-A4-80"]["Manufacturer Part ID"], "XP-80-A4")

    def test_a_cif_field_over_its_limit_is_refused_with_the_product_named(self):
        self.product_pen.description_sale = "x" * 2001
        response = self.download("cif")
        self.assertEqual(response.status_code, 400)
        self.assertIn("PEN-BLUE: Item Description has 2001 characters", response.text)

    def test_products_the_buyer_would_refuse_are_left_out_and_named(self):
        self.product_paper.default_code = False
        response = self.download("bmecat")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.headers["X-Punchout-Left-Out"], "1")
        self.assertNotIn(b"PAP-A4-80", response.content)
        note = self.connection.message_ids[:1]
        self.assertIn("no internal reference", note.body)
        self.assertIn("Copy paper", note.body)

    def test_incremental_catalogue_holds_the_changed_products(self):
        # Odoo writes the transaction's start time (the test's) as a change's write_date.
        since = self.env.cr.now() - timedelta(seconds=1)
        self.env.cr.execute(
            "UPDATE product_template SET write_date = %s WHERE id IN %s",
            [
                since - timedelta(days=1),
                tuple((self.product_paper | self.product_pen).product_tmpl_id.ids),
            ],
        )
        self.env.cr.execute(
            "UPDATE product_product SET write_date = %s WHERE id IN %s",
            [since - timedelta(days=1), tuple((self.product_paper | self.product_pen).ids)],
        )
        self.env.invalidate_all()
        self.product_pen.list_price = 21.0  # changed now
        self.env.flush_all()
        response = self.download("cxml-index", since=since.isoformat())
        self.assertEqual(response.status_code, 200, response.text[:300])
        root = etree.fromstring(response.content)
        self.assertEqual(root.get("loadmode"), "Incremental")
        self.assertEqual(
            [el.text for el in root.iterfind("IndexItem/IndexItemAdd/ItemID/SupplierPartID")],
            ["PEN-BLUE"],
        )

    def test_only_the_suppliers_own_people_download(self):
        self.authenticate(None, None)
        anonymous = self.url_open("/punchout/catalog/buyer-sap/bmecat", allow_redirects=False)
        self.assertIn(anonymous.status_code, (302, 303))
        self.buyer_user.password = "portal-user-pw"
        self.authenticate(self.buyer_user.login, "portal-user-pw")
        self.assertEqual(self.url_open("/punchout/catalog/buyer-sap/bmecat").status_code, 403)
        self.assertEqual(self.download("csv").status_code, 404)
        self.assertEqual(self.download("bmecat", since="yesterday").status_code, 400)


@tagged("post_install", "-at_install")
class TestDemoCatalogues(TransactionCase):
    """The demo buyer's catalogue in every format, as its system would load it."""

    def export(self, catalog_format):
        connection = self.env.ref("oci_punchout.demo_connection_oci")
        out = io.BytesIO()
        count, skipped = self.env["punchout.catalog"]._export(connection, catalog_format, out)
        self.assertGreater(count, 0)
        # What is left out is named with its reason.
        self.assertTrue(all(name and reason for name, reason in skipped))
        return count, out.getvalue()

    def test_every_format_is_valid(self):
        count, data = self.export("bmecat")
        schema = etree.XMLSchema(etree.parse(str(SHARED / "testdata/bmecat-2005/bmecat_2005.xsd")))
        root = etree.fromstring(data)
        self.assertTrue(schema.validate(root), schema.error_log.filter_from_errors())
        self.assertEqual(len(root.findall("b:T_NEW_CATALOG/b:PRODUCT", NS)), count)

        count, data = self.export("cxml-index")
        root = assert_valid_cxml(data, dtd="cXML")
        self.assertEqual(len(root.findall("IndexItem/IndexItemAdd")), count)

        count, data = self.export("cif")
        lines = data.decode().split("\n")
        header = dict(line.split(": ", 1) for line in lines[1 : lines.index("DATA")])
        self.assertEqual(int(header["ITEMCOUNT"]), count)
        names = header["FIELDNAMES"].split(",")
        rows = list(csv.reader(lines[lines.index("DATA") + 1 : lines.index("ENDOFDATA")]))
        self.assertEqual(len(rows), count)
        self.assertTrue(all(len(row) == len(names) for row in rows))

        count, data = self.export("oci5-json")
        self.assertEqual(validate_catalog_json(data), [])
        self.assertEqual(len(json.loads(data)["ITEMS"]), count)
