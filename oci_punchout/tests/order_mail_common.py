"""What the e-mailed order tests share: an order inbox on an alias domain, the buyer's purchasing
system as sender, and a transferred cart's quotation.
"""

from email.utils import parseaddr

from odoo import Command

from .common import PunchoutCommon
from .order_documents import (
    mime_mail,
)

ALIAS_DOMAIN = "supplier.example"


SAP_SENDER = "sap-orders@buyer.example"


OUR_MAIL_SERVER = "mx.supplier.example"


class OrderMailCommon(PunchoutCommon):
    """A buyer connection with its order inbox, and a transferred punchout quotation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alias_domain = cls.env["mail.alias.domain"].create(
            {"name": ALIAS_DOMAIN, "bounce_alias": "bounce", "catchall_alias": "catchall"}
        )
        cls.company.alias_domain_id = cls.alias_domain
        cls.salesperson = cls.env["res.users"].create(
            {
                "name": "Sam Sales",
                "login": "sam.sales@supplier.example",
                "email": "sam.sales@supplier.example",
                "groups_id": [Command.set([cls.env.ref("sales_team.group_sale_salesman").id])],
            }
        )
        cls.connection.write(
            {
                "alias_name": "orders-buyer",
                "alias_domain_id": cls.alias_domain.id,
                "salesperson_id": cls.salesperson.id,
                "order_mail_senders": SAP_SENDER,
                # Mail from the listed sender, verified by our server, is trusted; so is cXML
                # with this SharedSecret (order_documents.cxml_order's).
                "order_mail_trust_verified": True,
                "cxml_shared_secret": "mail-secret",
            }
        )
        cls.env["ir.config_parameter"].set_param("oci_punchout.mail_authserv_id", OUR_MAIL_SERVER)
        cls.shared_alias = cls.env.ref("oci_punchout.mail_alias_punchout_orders")
        cls.shared_alias.alias_domain_id = cls.alias_domain
        cls.inbox = f"orders-buyer@{ALIAS_DOMAIN}"
        cls.shared_inbox = f"punchout-orders@{ALIAS_DOMAIN}"

    def setUp(self):
        super().setUp()
        self.quotation = self.make_quotation([(self.product_paper, 3), (self.product_pen, 12)])
        self.paper_line, self.pen_line = self.quotation.order_line

    def make_quotation(self, lines):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.buyer.id,
                "pricelist_id": self.pricelist.id,
                "punchout_connection_id": self.connection.id,
                "user_id": self.salesperson.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": quantity})
                    for product, quantity in lines
                ],
            }
        )
        order.state = "sent"
        return order

    def ordered_lines(self):
        """The quotation's lines as the buyer orders them: with our references and prices."""
        return [
            (self.paper_line, "PAP-A4-80", 3, 81.25),
            (self.pen_line, "PEN-BLUE", 12, 18.0),
        ]

    def receive(self, attachments=(), to=None, sender=SAP_SENDER, verified=True, **kwargs):
        """Deliver a mail to the gateway; ``verified``: our server's Authentication-Results
        header says DMARC passed for the sender's domain."""
        if verified:
            domain = parseaddr(sender)[1].rpartition("@")[2]
            kwargs["headers"] = [
                (
                    "Authentication-Results",
                    f"{OUR_MAIL_SERVER}; dmarc=pass (p=reject) header.from={domain}",
                ),
                *kwargs.get("headers", ()),
            ]
        raw = mime_mail(sender, to or self.inbox, attachments, **kwargs)
        thread_id = self.env["mail.thread"].message_process(False, raw)
        mail = self.env["punchout.message"].browse(thread_id)
        self.assertEqual(mail.kind, "order_mail")
        return mail

    def assert_activity(self, record, user, text):
        activities = record.activity_ids
        self.assertTrue(activities, f"no activity on {record.display_name}")
        self.assertIn(user, activities.user_id)
        self.assertIn(text, " ".join(str(a.note or "") + (a.summary or "") for a in activities))

    def assert_confirmed(self, mail, po_number, order=None):
        order = order or self.quotation
        self.assertEqual(mail.state, "done", mail.error or mail.child_ids.mapped("error"))
        self.assertEqual(mail.order_id, order)
        self.assertRecordValues(
            order,
            [{"state": "sale", "client_order_ref": po_number, "punchout_po_number": po_number}],
        )
        self.assertEqual(
            sorted(
                (line.product_id.default_code, line.product_uom_qty, line.price_unit)
                for line in order.order_line
            ),
            [("PAP-A4-80", 3.0, 81.25), ("PEN-BLUE", 12.0, 18.0)],
        )
        self.assertFalse(order.activity_ids, "an order as quoted needs no review")
        attachment_names = (
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
            .mapped("name")
        )
        return attachment_names
