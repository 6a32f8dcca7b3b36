"""Level-2 punchout from a loaded cXML catalogue over real HTTP: the Index's IndexItemPunchout
entries name our cXML endpoint, and a PunchOutSetupRequest with that item as SelectedItem opens
the item's page in the buyer's shop."""

from urllib.parse import urlsplit

from odoo import Command
from odoo.tests import tagged

from ..protocol import cxml
from .common import assert_valid_cxml
from .cxml_common import CxmlCase


@tagged("post_install", "-at_install")
class TestCatalogLevel2(CxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection.catalog_punchout_items = True
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Catalogue manager",
                "login": "level2-manager@supplier.example",
                "password": "level2-manager-pw",
                "groups_id": [Command.set(cls.env.ref("sales_team.group_sale_salesman").ids)],
            }
        )

    def punchout_entries(self):
        self.authenticate(self.manager.login, "level2-manager-pw")
        response = self.url_open("/punchout/catalog/buyer-ariba/cxml-index")
        self.assertEqual(response.status_code, 200, response.text[:500])
        self.authenticate(None, None)
        root = assert_valid_cxml(response.content, dtd="cXML")
        self.assertFalse(root.findall("IndexItem/IndexItemAdd"))
        return {
            entry.findtext("ItemID/SupplierPartID"): entry
            for entry in root.iterfind("IndexItem/IndexItemPunchout")
        }

    def landing(self, supplier_part_id):
        """Punch in at ``supplier_part_id`` as the buyer's system does from its catalogue:
        where the start page sends the buyer's browser."""
        root, _body = self.post_cxml(
            self.setup_request(selected_item=cxml.SelectedItem(supplier_part_id=supplier_part_id))
        )
        self.assertEqual(self.status(root)[0], 200)
        start = self.url_open(
            root.findtext("Response/PunchOutSetupResponse/StartPage/URL"), allow_redirects=False
        )
        self.assertEqual(start.status_code, 303)
        return urlsplit(start.headers["Location"]).path

    def test_index_entries_punch_in_at_their_item(self):
        entries = self.punchout_entries()
        self.assertEqual(set(entries), {"PAP-A4-80", "PEN-BLUE"})
        pen = entries["PEN-BLUE"]
        detail = pen.find("PunchoutDetail")
        self.assertEqual(detail.get("punchoutLevel"), "product")
        url = urlsplit(detail.findtext("URL"))
        self.assertEqual(url.path, "/punchout/cxml")
        self.assertEqual(detail.findtext("Classification"), "44120000")
        # The buyer's system punches in at the entry: the pen's page opens, in its session.
        self.assertEqual(self.landing("PEN-BLUE"), self.product_pen.website_url)
        session = self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)], order="id desc", limit=1
        )
        self.assertEqual(session.landing_product_id, self.product_pen)

    def test_an_item_outside_the_assortment_or_unknown_opens_the_shop(self):
        self.assertEqual(self.landing("DRILL-18V"), "/shop")
        self.assertEqual(self.landing("NO-SUCH-PART"), "/shop")
