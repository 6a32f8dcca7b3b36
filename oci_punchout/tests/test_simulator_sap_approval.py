"""The buyer simulator playing SAP after an OCI cart, over real HTTP and Odoo's real mail
gateway: the head buyer approves and SAP e-mails the purchase order (its PO print or the IDoc)
to the order inbox, or rejects the cart."""

import re

from odoo.tests import tagged

from .common import PASSWORD, PunchoutHttpCase

OUR_MAIL_SERVER = "mx.supplier.example"
SAP_SENDER = "sap-orders@buyer.example"


@tagged("post_install", "-at_install")
class TestSimulatorSapApproval(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        alias_domain = cls.env["mail.alias.domain"].create({"name": "supplier.example"})
        cls.company.alias_domain_id = alias_domain
        cls.connection.write(
            {
                "test_mode": True,
                "alias_name": "orders-buyer-sap",
                "alias_domain_id": alias_domain.id,
                "order_mail_senders": SAP_SENDER,
                "order_mail_trust_verified": True,
            }
        )
        cls.env["ir.config_parameter"].set_param("oci_punchout.mail_authserv_id", OUR_MAIL_SERVER)

    def cart_in_sap(self):
        return self.simulated_sap_cart()

    def approve(self, page, **values):
        action, fields = self.simulator_approval_form(page)
        fields.update({"password": PASSWORD, "po_format": "pdf", "decision": "approve"})
        fields.update(values)
        return self.url_open(action, data=fields)

    def test_approved_cart_comes_back_as_the_confirmed_order_by_pdf(self):
        quotation, page = self.cart_in_sap()
        self.assertIn("orders-buyer-sap@supplier.example", page.text)
        response = self.approve(page, verified="1")
        self.assertEqual(response.status_code, 200)
        self.assertIn("o_punchout_sim_confirmed", response.text)
        po_number = re.search(r"Purchase order (45\d{8}) e-mailed", response.text).group(1)
        quotation.invalidate_recordset()
        self.assertEqual((quotation.state, quotation.punchout_po_number), ("sale", po_number))
        # Through the gateway: the mail and its PDF stored in the message log.
        mail = self.env["punchout.message"].search(
            [("kind", "=", "order_mail"), ("connection_id", "=", self.connection.id)]
        )
        self.assertEqual(mail.mail_sender, SAP_SENDER)
        self.assertTrue(mail.mail_sender_verified)
        self.assertEqual(mail.child_ids.order_id, quotation)
        pdf = self.env["ir.attachment"].search(
            [("res_model", "=", "sale.order"), ("res_id", "=", quotation.id)]
        )
        self.assertIn(f"PO_{po_number}.pdf", pdf.mapped("name"))
        lines = quotation.order_line.filtered("product_id")
        self.assertEqual(sorted(lines.mapped("punchout_po_line_number")), [10, 20])

    def test_idoc_from_an_unverified_sender_waits_for_approval(self):
        quotation, page = self.cart_in_sap()
        response = self.approve(page, po_format="idoc")  # "verified" unticked
        self.assertIn("o_punchout_sim_held", response.text)
        quotation.invalidate_recordset()
        self.assertEqual(quotation.state, "sent")  # transferred, not confirmed
        mail = self.env["punchout.message"].search(
            [("kind", "=", "order_mail"), ("connection_id", "=", self.connection.id)]
        )
        (held,) = mail.child_ids.filtered(lambda message: message.state == "approval")
        self.assertIn("ORDERS05", held.payload)
        held.with_user(self.env.ref("base.user_admin")).action_approve()
        quotation.invalidate_recordset()
        self.assertEqual(quotation.state, "sale")
        self.assertRegex(quotation.punchout_po_number, r"^45\d{8}$")

    def test_rejected_cart_sends_nothing(self):
        quotation, page = self.cart_in_sap()
        response = self.approve(page, decision="reject", password="")
        self.assertIn("o_punchout_sim_rejected", response.text)
        self.assertFalse(
            self.env["punchout.message"].search_count(
                [("kind", "=", "order_mail"), ("connection_id", "=", self.connection.id)]
            )
        )
        self.assertEqual(quotation.state, "sent")

    def test_approval_needs_the_signed_cart_and_the_password(self):
        _quotation, page = self.cart_in_sap()
        action, fields = self.simulator_approval_form(page)
        wrong_password = {**fields, "password": "guessed", "decision": "approve"}
        self.assertEqual(self.url_open(action, data=wrong_password).status_code, 403)
        forged = {**fields, "password": PASSWORD, "cart_signature": "forged"}
        self.assertEqual(self.url_open(action, data=forged).status_code, 403)
        self.connection.test_mode = False
        self.assertEqual(
            self.url_open(action, data={**fields, "password": PASSWORD}).status_code, 403
        )
        self.assertFalse(
            self.env["punchout.message"].search_count(
                [("kind", "=", "order_mail"), ("connection_id", "=", self.connection.id)]
            )
        )
