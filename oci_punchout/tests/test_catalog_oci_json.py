"""OCI 5.0 catalogue replication (FUNCTION=DOWNLOADJSON) over real HTTP: the buyer's server
logs in with the OCI credentials and pages through its catalogue; the page set is frozen per
TRANSACTIONID, LASTUPDATED gives the changes only, every page passes the OCI field rules."""

from datetime import timedelta

from odoo import Command, fields
from odoo.tests import tagged

from ..protocol.catalog import validate_catalog_json
from .common import PASSWORD, PunchoutHttpCase


@tagged("post_install", "-at_install")
class TestCatalogOciJson(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # Five more products in the assortment: seven with paper and pen.
        cls.markers = cls.env["product.product"].create(
            [
                {
                    "name": f"Whiteboard marker {colour}",
                    "default_code": f"MARKER-{colour.upper()}",
                    "list_price": 4.0,
                    "categ_id": cls.category_office.id,
                    "public_categ_ids": [Command.set(cls.public_categ_office.ids)],
                    "is_published": True,
                    "sale_ok": True,
                    "type": "consu",
                    "taxes_id": [Command.clear()],
                }
                for colour in ("black", "blue", "red", "green", "orange")
            ]
        )
        cls._add_pen_quantity_break()

    def download(self, password=PASSWORD, **params):
        values = {"USERNAME": "buyer", "PASSWORD": password, "FUNCTION": "DOWNLOADJSON", **params}
        response = self.url_open("/punchout/oci/buyer-sap", data=values, allow_redirects=False)
        self.assertEqual(response.headers["Content-Type"], "application/json")
        return response

    def page(self, **params):
        """A page as the buyer's server reads it: checked against the OCI field rules."""
        response = self.download(**params)
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.assertEqual(validate_catalog_json(response.content), [])
        return response.json()

    def replicate(self, page_size, **params):
        """Every page of one replication: (first page's header, all items)."""
        first = self.page(PAGESIZE=str(page_size), **params)
        items = list(first["ITEMS"])
        for number in range(2, first["TOTALPAGES"] + 1):
            page = self.page(TRANSACTIONID=first["TRANSACTIONID"], REQUESTEDPAGE=str(number))
            self.assertEqual(page["REQUESTEDPAGE"], number)
            items += page["ITEMS"]
        return first, items

    def test_pages_through_the_buyers_catalogue_at_its_prices(self):
        sessions = self.env["punchout.session"].search_count([])
        first, items = self.replicate(3)
        self.assertEqual((first["TOTALITEMS"], first["TOTALPAGES"], first["PAGESIZE"]), (7, 3, 3))
        # The assortment (not the drill), each product once.
        codes = [item["VENDORMAT"] for item in items]
        self.assertEqual(len(codes), 7)
        self.assertEqual(
            set(codes),
            {"PAP-A4-80", "PEN-BLUE", *self.markers.mapped("default_code")},
        )
        by_code = {item["VENDORMAT"]: item for item in items}
        pen = by_code["PEN-BLUE"]
        # The buyer's pricelist: 10 % off 20, and 15 from 100 on.
        self.assertEqual(
            (pen["PRICE"], pen["CURRENCY"], pen["UNIT"]),
            ("18", self.connection.currency_id.name, "C62"),
        )
        self.assertEqual(
            pen["PRICESCALES"],
            [{"QUANTITY": "1", "PRICE": "18"}, {"QUANTITY": "100", "PRICE": "15"}],
        )
        self.assertEqual(pen["EXT_PRODUCT_ID"], str(self.product_pen.id))
        self.assertEqual((pen["EXT_SCHEMA_TYPE"], pen["EXT_CATEGORY_ID"]), ("UNSPSC", "44120000"))
        self.assertEqual(pen["VENDOR"], "V-1000")
        self.assertEqual(by_code["PAP-A4-80"]["PRICE"], "81.25")
        self.assertNotIn("PRICESCALES", by_code["PAP-A4-80"])
        # A server call: nobody logged in; each page logged with its answer, no password.
        self.assertEqual(self.env["punchout.session"].search_count([]), sessions)
        messages = self.env["punchout.message"].search([("kind", "=", "oci_downloadjson")])
        self.assertEqual(len(messages), 3)
        self.assertEqual(set(messages.mapped("state")), {"done"})
        self.assertEqual(messages.connection_id, self.connection)
        for message in messages:
            self.assertNotIn(PASSWORD, message.payload)
            self.assertIn('"TRANSACTIONID"', message.response_payload)

    def test_page_set_is_frozen_per_transaction(self):
        first = self.page(PAGESIZE="4")
        self.assertEqual(first["TOTALITEMS"], 7)
        first_codes = [item["VENDORMAT"] for item in first["ITEMS"]]
        # Meanwhile a new product enters the assortment and one of page 1 leaves it.
        self.env["product.product"].create(
            {
                "name": "Stapler",
                "default_code": "STAPLER",
                "list_price": 9.0,
                "categ_id": self.category_office.id,
                "public_categ_ids": [Command.set(self.public_categ_office.ids)],
                "is_published": True,
                "sale_ok": True,
            }
        )
        self.markers[:1].is_published = False
        second = self.page(TRANSACTIONID=first["TRANSACTIONID"], REQUESTEDPAGE="2")
        second_codes = [item["VENDORMAT"] for item in second["ITEMS"]]
        # Page 2 is what it was going to be: the new product is not in this replication.
        self.assertEqual(second["TOTALITEMS"], 7)
        self.assertEqual(len(second_codes), 3)
        self.assertNotIn("STAPLER", second_codes)
        self.assertFalse(set(first_codes) & set(second_codes))
        # Page 1 asked again: the same products, less the one no longer in the assortment.
        again = self.page(TRANSACTIONID=first["TRANSACTIONID"], REQUESTEDPAGE="1")
        self.assertEqual(
            [item["VENDORMAT"] for item in again["ITEMS"]],
            [code for code in first_codes if code != self.markers[0].default_code],
        )
        # A new replication sees the change.
        fresh = self.page(PAGESIZE="100")
        self.assertNotEqual(fresh["TRANSACTIONID"], first["TRANSACTIONID"])
        self.assertEqual(fresh["TOTALITEMS"], 7)
        self.assertIn("STAPLER", [item["VENDORMAT"] for item in fresh["ITEMS"]])

    def test_last_updated_gives_only_the_changed_products(self):
        # Odoo writes the transaction's start time (the test's) as a change's write_date.
        since = self.env.cr.now()
        old = since - timedelta(days=2)
        self.env.cr.execute(
            "UPDATE product_product SET write_date = %s WHERE id != %s",
            [old, self.product_pen.id],
        )
        self.env.cr.execute(
            "UPDATE product_template SET write_date = %s WHERE id != %s",
            [old, self.product_pen.product_tmpl_id.id],
        )
        self.env.invalidate_all()
        stamp = (since - timedelta(hours=1)).strftime("%Y%m%d%H%M%S")
        first, items = self.replicate(100, LASTUPDATED=stamp)
        self.assertEqual([item["VENDORMAT"] for item in items], ["PEN-BLUE"])
        self.assertEqual(first["LASTUPDATED"], stamp)

    def test_catalogue_language(self):
        self.env["res.lang"]._activate_lang("de_DE")
        self.product_pen.with_context(lang="de_DE").name = "Kugelschreiber"
        self.connection.catalog_lang = "de_DE"
        _first, items = self.replicate(100)
        self.assertIn("Kugelschreiber", [item["DESCRIPTION"] for item in items])

    def test_refusals_are_json_and_logged(self):
        cases = [
            ({"password": "wrong"}, 401, "wrong credentials"),
            ({"PAGESIZE": "5000"}, 400, "PAGESIZE"),
            ({"REQUESTEDPAGE": "abc"}, 400, "REQUESTEDPAGE"),
            ({"LASTUPDATED": "last week"}, 400, "LASTUPDATED"),
            ({"TRANSACTIONID": "A" * 32}, 404, "TRANSACTIONID"),
            ({"REQUESTEDPAGE": "2"}, 404, "beyond the last page, 1"),
        ]
        for params, status, named in cases:
            with self.subTest(params=params):
                response = self.download(**params)
                self.assertEqual(response.status_code, status, response.text)
                self.assertIn(named.lower(), response.json()["ERROR"].lower())
        messages = self.env["punchout.message"].search(
            [("kind", "=", "oci_downloadjson")], order="id"
        )
        self.assertEqual(len(messages), len(cases))
        self.assertEqual(set(messages.mapped("state")), {"error"})
        self.assertEqual(messages[0].auth_failed, True)

    def test_a_transaction_belongs_to_its_connection_and_expires(self):
        first = self.page(PAGESIZE="2")
        other = self.connection.copy({"code": "buyer-other", "oci_username": "other"})
        other.oci_password = PASSWORD
        values = {
            "USERNAME": "other",
            "PASSWORD": PASSWORD,
            "FUNCTION": "DOWNLOADJSON",
            "TRANSACTIONID": first["TRANSACTIONID"],
            "REQUESTEDPAGE": "2",
        }
        response = self.url_open("/punchout/oci/buyer-other", data=values)
        self.assertEqual(response.status_code, 404, response.text)
        transaction = self.env["punchout.catalog.transaction"].search(
            [("name", "=", first["TRANSACTIONID"])]
        )
        self.env.cr.execute(
            "UPDATE punchout_catalog_transaction SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=2), transaction.id],
        )
        response = self.download(TRANSACTIONID=first["TRANSACTIONID"], REQUESTEDPAGE="2")
        self.assertEqual(response.status_code, 404)
        self.env["punchout.catalog.transaction"]._gc_expired()
        self.assertFalse(transaction.exists())

    def test_open_transactions_per_connection_are_bounded(self):
        for _number in range(12):
            self.page(PAGESIZE="1")
        self.assertEqual(
            self.env["punchout.catalog.transaction"].search_count(
                [("connection_id", "=", self.connection.id)]
            ),
            10,
        )

    def test_the_whole_catalogue_as_one_json_download(self):
        manager = self.env["res.users"].create(
            {
                "name": "Sales manager",
                "login": "json-manager@supplier.example",
                "password": "json-manager-pw",
                "groups_id": [Command.set(self.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )
        self.authenticate(manager.login, "json-manager-pw")
        response = self.url_open("/punchout/catalog/buyer-sap/oci5-json")
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual(validate_catalog_json(response.content), [])
        self.assertEqual(len(response.json()["ITEMS"]), 7)
        self.assertEqual(response.headers["X-Punchout-Products"], "7")
