from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import PunchoutCommon


@tagged("post_install", "-at_install")
class TestPunchoutAccess(PunchoutCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.salesman = cls.env["res.users"].create(
            {
                "name": "Salesman",
                "login": "salesman@supplier.example",
                "groups_id": [(6, 0, [cls.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        cls.manager = cls.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "manager@supplier.example",
                "groups_id": [(6, 0, [cls.env.ref("oci_punchout.group_punchout_manager").id])],
            }
        )
        cls.session, _token = cls.connection._open_session("oci", cls.buyer_user)
        cls.message = cls.env["punchout.message"]._log(
            "oci_login", "in", "oci", {"USERNAME": "buyer"}, connection_id=cls.connection.id
        )

    def test_salespeople_read_sessions_and_messages_but_configure_nothing(self):
        self.assertEqual(self.session.with_user(self.salesman).state, "open")
        self.assertEqual(self.message.with_user(self.salesman).kind, "oci_login")
        self.assertEqual(self.connection.with_user(self.salesman).name, "Buyer SAP")
        with self.assertRaises(AccessError):
            self.connection.with_user(self.salesman).write({"name": "Hacked"})
        with self.assertRaises(AccessError):
            self.env["punchout.connection"].with_user(self.salesman).create(
                {"name": "X", "code": "x", "partner_id": self.buyer.id}
            )
        with self.assertRaises(AccessError):
            self.message.with_user(self.salesman).unlink()

    def test_managers_configure_connections(self):
        connection = self.connection.with_user(self.manager)
        connection.write({"name": "Buyer SAP (production)"})
        self.assertEqual(self.connection.name, "Buyer SAP (production)")
        with self.assertRaises(AccessError):
            self.message.with_user(self.manager).write({"state": "done"})

    def test_portal_users_see_no_punchout_records_and_only_their_buyers_orders(self):
        for record in (self.connection, self.session, self.message):
            with self.subTest(model=record._name), self.assertRaises(AccessError):
                record.with_user(self.buyer_user).check_access("read")
        other_company = self.env["res.partner"].create({"name": "Competitor", "is_company": True})
        competitor_user = self._create_portal_user(
            "Competitor", "c@competitor.example", other_company
        )
        with self.assertRaises(AccessError):
            self.session.order_id.with_user(competitor_user).check_access("read")

    def test_multi_company_rules(self):
        other_company = self.env["res.company"].create({"name": "Other supplier company"})
        manager = self.manager
        manager.write({"company_ids": [(6, 0, other_company.ids)], "company_id": other_company.id})
        Connection = self.env["punchout.connection"].with_user(manager)
        self.assertFalse(Connection.search([("id", "=", self.connection.id)]))
        self.assertFalse(
            self.env["punchout.session"].with_user(manager).search([("id", "=", self.session.id)])
        )
