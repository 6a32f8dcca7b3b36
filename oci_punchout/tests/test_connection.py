from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from ..protocol.errors import AuthenticationFailed, InvalidReturnUrl
from ..protocol.oci import OciPunchIn
from .common import PASSWORD, PunchoutCommon


def _punch_in(username="buyer", password=PASSWORD, hook_url="https://srm.buyer.example/sap/x"):
    return OciPunchIn(
        params={},
        username=username,
        password=password,
        hook_url=hook_url,
        function=None,
        product_id=None,
        quantity=None,
        search_string=None,
        vendor=None,
        return_target="_top",
        charset="utf-8",
        charset_fallback=False,
        echo_params={},
        end_user=None,
        oci_version=None,
        opi_version=None,
    )


@tagged("post_install", "-at_install")
class TestPunchoutConnection(PunchoutCommon):
    def test_password_is_stored_hashed_and_checked(self):
        connection = self.connection.sudo()
        self.assertTrue(connection.oci_password_hash.startswith("$pbkdf2-sha512$"))
        self.assertNotIn(PASSWORD, connection.oci_password_hash)
        self.assertFalse(connection.oci_password)
        self.assertTrue(connection.oci_password_set)
        Oci = self.env["punchout.oci"]
        Oci._check_credentials(connection, _punch_in())
        for username, password in (
            ("buyer", "wrong"),
            ("Buyer", PASSWORD),
            ("", ""),
            ("buyer", ""),
        ):
            with (
                self.subTest(username=username, password=password),
                self.assertRaises(AuthenticationFailed),
            ):
                Oci._check_credentials(connection, _punch_in(username, password))
        connection.oci_password = "new-password"
        Oci._check_credentials(connection, _punch_in(password="new-password"))
        with self.assertRaises(AuthenticationFailed):
            Oci._check_credentials(connection, _punch_in())

    def test_end_user_lookup_is_exact(self):
        """% and _ in a buyer-sent address are characters, not wildcards matching other users."""
        connection = self.connection.sudo()
        colleague = self._create_portal_user("Colleague", "colleague@buyer.example")
        connection.end_user_policy = "existing"
        self.assertEqual(connection._get_end_user(" Colleague@Buyer.example "), colleague)
        for address in ("c_lleague@buyer.example", "%@buyer.example", "colleag%@buyer.example"):
            with self.subTest(address=address):
                self.assertEqual(connection._get_end_user(address), self.buyer_user)
        # A wildcard matching an outsider's login does not block creating the buyer's user.
        outsider_company = self.env["res.partner"].create({"name": "Other", "is_company": True})
        self._create_portal_user("Outsider", "a1b@buyer.example", parent=outsider_company)
        connection.end_user_policy = "create"
        created = connection._get_end_user("a_b@buyer.example")
        self.assertEqual(created.login, "a_b@buyer.example")
        self.assertEqual(created.partner_id.parent_id, self.buyer)

    def test_secrets_are_for_system_administrators_only(self):
        salesman = self.env["res.users"].create(
            {
                "name": "Salesman",
                "login": "salesman@supplier.example",
                "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        connection = self.connection.with_user(salesman)
        self.assertEqual(connection.name, "Buyer SAP")
        fields_ = connection.fields_get()
        self.assertNotIn("oci_password_hash", fields_)
        self.assertNotIn("oci_username", fields_)

    def test_return_url_prefixes(self):
        self.connection._check_return_url("https://srm.buyer.example/sap/bc/gui?x=1")
        self.connection._check_return_url("SAPEVENT:POST")
        for url in (
            "https://srm.buyer.example.evil.example/sap/",
            "https://srm.buyer.example/sapper/",
            "http://localhost:8080/hook",
        ):
            with self.subTest(url=url), self.assertRaises(InvalidReturnUrl):
                self.connection._check_return_url(url)
        self.connection.test_mode = True
        self.connection._check_return_url("http://localhost:8080/hook")
        with self.assertRaises(InvalidReturnUrl):
            self.connection._check_return_url("http://localhost.evil.example/hook")

    def test_prefix_validation(self):
        with self.assertRaises(ValidationError):
            self.connection.allowed_return_urls = "http://srm.buyer.example/"
        self.connection.test_mode = True
        self.connection.allowed_return_urls = "http://srm-test.buyer.example/"

    def test_default_user_must_be_a_portal_user_of_the_buyer(self):
        with self.assertRaises(ValidationError):
            self.connection.user_id = self.env.ref("base.user_admin")
        outsider_company = self.env["res.partner"].create({"name": "Other", "is_company": True})
        outsider = self._create_portal_user("Outsider", "out@other.example", outsider_company)
        with self.assertRaises(ValidationError):
            self.connection.user_id = outsider

    def test_code_format(self):
        for code in ("with space", "", "ünïcode", "a/b"):
            with self.subTest(code=code), self.assertRaises(ValidationError):
                self.connection.copy({"code": code})

    def test_unit_codes_reuse_unece_with_overrides(self):
        unit = self.env.ref("uom.product_uom_unit")
        kg = self.env.ref("uom.product_uom_kgm")
        self.assertEqual(self.connection._get_unit_code(unit), "C62")
        self.assertEqual(self.connection._get_unit_code(kg), "KGM")
        self.connection.unit_code_ids = [(0, 0, {"uom_id": kg.id, "code": "KG"})]
        self.assertEqual(self.connection._get_unit_code(kg), "KG")
        self.assertEqual(self.connection._get_unit_code(unit), "C62")

    def test_classification_is_inherited(self):
        self.assertEqual(
            self.category_paper._get_punchout_classification(), ("UNSPSC", "44120000")
        )
        self.assertEqual(self.category_paper.punchout_effective_code, "UNSPSC 44120000")
        self.category_paper.write(
            {
                "punchout_classification_scheme": "ECLASS",
                "punchout_classification_code": "24-32-01",
            }
        )
        self.assertEqual(
            self.category_paper._get_punchout_classification(), ("ECLASS", "24-32-01")
        )
        self.assertEqual(
            self.env["product.category"].create({"name": "Loose"})._get_punchout_classification(),
            (False, False),
        )

    def test_assortment_domain(self):
        Template = self.env["product.template"]
        visible = Template.search(self.connection._get_shop_product_domain())
        self.assertIn(self.product_paper.product_tmpl_id, visible)
        self.assertNotIn(self.product_drill.product_tmpl_id, visible)
        self.connection.allowed_public_categ_ids = False
        visible = Template.search(self.connection._get_shop_product_domain())
        self.assertIn(self.product_drill.product_tmpl_id, visible)

    def test_oci_item_from_product_uses_pricelist_and_settings(self):
        Oci = self.env["punchout.oci"]
        item = Oci._item_from_product(
            self.connection,
            self.product_paper,
            2.0,
            Oci._price(self.connection, self.product_paper, 2.0),
        )
        self.assertEqual(float(item.price), 81.25)
        self.assertEqual(item.unit, "C62")
        self.assertEqual(item.vendor, "V-1000")
        self.assertEqual(item.vendormat, "PAP-A4-80")
        self.assertEqual(item.matgroup, "44120000")
        self.assertEqual(item.ext_product_id, str(self.product_paper.id))
        self.connection.oci_matgroup_source = "category"
        item = Oci._item_from_product(self.connection, self.product_paper, 1.0, 81.25)
        self.assertEqual(item.matgroup, "Paper")
        self.connection.oci_matgroup_source = "none"
        item = Oci._item_from_product(self.connection, self.product_paper, 1.0, 81.25)
        self.assertEqual(item.matgroup, "")

    def test_catalogue_url(self):
        self.assertTrue(self.connection.catalogue_url.endswith("/punchout/oci/buyer-sap"))

    def test_a_returned_cart_cannot_be_returned_again(self):
        session, _token = self.connection._open_session("oci", self.buyer_user)
        session.return_url = "https://srm.buyer.example/sap/hook"
        _page, fields_pairs = session._transfer()
        self.assertEqual(session.state, "transferred")
        self.assertEqual(fields_pairs, [])
        for method in (session._transfer, session._cancel):
            with self.subTest(method=method.__name__), self.assertRaises(UserError) as refusal:
                method()
            self.assertIn("Transferred", str(refusal.exception))
