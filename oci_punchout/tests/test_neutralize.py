from odoo.modules.neutralize import get_neutralization_queries
from odoo.tests import tagged

from .common import PunchoutCommon


@tagged("post_install", "-at_install")
class TestNeutralize(PunchoutCommon):
    def test_database_copy_forgets_secrets_and_stops_sending(self):
        self.connection.write(
            {
                "test_mode": False,
                "order_confirmation_email": "purchasing@buyer.example",
                "cxml_invoice_url": "https://buyer.example/cxml/invoice",
                "invoice_email": "ap@buyer.example",
            }
        )
        session, _token = self.connection._open_session("oci", self.buyer_user)
        pending = self.env["punchout.message"]._log(
            "cxml_confirmation", "out", "cxml", "<cXML/>", state="pending"
        )
        self.env.flush_all()
        for query in get_neutralization_queries(["oci_punchout"]):
            self.env.cr.execute(query)
        self.env.invalidate_all()
        connection = self.connection.sudo()
        self.assertFalse(connection.oci_password_hash)
        self.assertTrue(connection.test_mode)
        self.assertFalse(connection.order_confirmation_email)
        self.assertFalse(connection.cxml_invoice_url)
        self.assertFalse(connection.invoice_email)
        self.assertFalse(session.sudo().start_token_hash)
        self.assertEqual(pending.state, "error")
