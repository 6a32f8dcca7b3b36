from email.utils import parseaddr

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..protocol import cxml
from .common import PunchoutCommon
from .order_documents import (
    PEPPOL_ORDER,
    cxml_order,
    idoc_orders05,
    mime_mail,
    opentrans_order,
    sap_po_pdf,
    text_pdf,
    ubl_order,
    with_embedded_xml,
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


@tagged("post_install", "-at_install")
class TestOrderMailXml(OrderMailCommon):
    def test_mail_and_attachments_are_stored_as_messages(self):
        document = cxml_order(
            "PO-7001", self.ordered_lines(), payload_id="mail-1@buyer", currency=self.currency.name
        )
        mail = self.receive(
            [
                ("order.xml", document, "application/xml"),
                ("terms.txt", b"Our terms", "text/plain"),
            ],
            subject="Order PO-7001",
            message_id="<po-7001@buyer.example>",
        )
        self.assertRecordValues(
            mail,
            [
                {
                    "direction": "in",
                    "protocol": "mail",
                    "connection_id": self.connection.id,
                    "dedup_key": "<po-7001@buyer.example>",
                }
            ],
        )
        self.assertIn("Subject: Order PO-7001", mail.payload)
        self.assertIn(f"From: {SAP_SENDER}", mail.payload)
        self.assertIn("Please find our order attached.", mail.payload)
        xml_message, text_message = mail.child_ids.sorted("id")
        self.assertEqual(xml_message.kind, "order_mail_attachment")
        self.assertIn("OrderRequest", xml_message.payload)
        self.assertEqual(xml_message.state, "done")
        self.assertEqual(xml_message.dedup_key, f"{self.connection.id}:mail-1@buyer")
        self.assertEqual(
            self.env["punchout.mail"]._attachment(xml_message).raw, cxml.redact_secrets(document)
        )
        self.assertEqual(text_message.state, "done")
        self.assertIn("ignored", text_message.error)
        self.assertIn("order.xml", self.assert_confirmed(mail, "PO-7001"))
        self.assertFalse(mail.activity_ids)

    def test_cxml_order_request(self):
        mail = self.receive(
            [
                (
                    "po.xml",
                    cxml_order("PO-7002", self.ordered_lines(), currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assert_confirmed(mail, "PO-7002")

    def test_ubl_order(self):
        document = ubl_order(
            "PO-7003", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("Order_7003.xml", document, "application/xml")])
        self.assertIn("UBL", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "PO-7003")

    def test_opentrans_order(self):
        document = opentrans_order(
            "PO-7004", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("ORDER.XML", document, "application/octet-stream")])
        self.assertIn("openTRANS", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "PO-7004")

    def test_idoc_orders05(self):
        document = idoc_orders05(
            "4500007005", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("idoc.dat", document, "application/octet-stream")])
        self.assertIn("IDoc", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "4500007005")
        self.assertEqual(mail.child_ids.dedup_key, f"{self.connection.id}:0000000004711001")

    def test_shared_alias_routes_by_purchasing_system_address(self):
        document = ubl_order(
            "PO-7006", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("o.xml", document, "application/xml")], to=self.shared_inbox)
        self.assertEqual(mail.connection_id, self.connection)
        self.assert_confirmed(mail, "PO-7006")

    def test_shared_alias_routes_by_buyer_contact(self):
        """A contact of the buyer is routed to its connection, but is no trusted sender: the
        order waits for a salesperson's approval."""
        self.connection.order_mail_senders = False
        document = ubl_order(
            "PO-7007", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("o.xml", document, "application/xml")],
            to=self.shared_inbox,
            sender="Buyer Purchasing <purchasing@buyer.example>",
        )
        self.assertEqual(mail.connection_id, self.connection)
        self.assertRecordValues(mail, [{"state": "approval", "order_id": self.quotation.id}])
        self.assertEqual(self.quotation.state, "sent")
        self.quotation.with_user(self.salesperson).action_punchout_approve_mail_order()
        self.assertEqual(mail.child_ids.approved_by_id, self.salesperson)
        self.assert_confirmed(mail, "PO-7007")

    def test_matching_by_products_without_references(self):
        lines = [(None, code, qty, price) for _line, code, qty, price in self.ordered_lines()]
        mail = self.receive(
            [
                (
                    "o.xml",
                    opentrans_order("PO-7008", "", lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assert_confirmed(mail, "PO-7008")

    def test_ambiguous_candidates_make_a_new_quotation_with_an_activity(self):
        self.make_quotation([(self.product_paper, 3), (self.product_pen, 12)])
        lines = [(None, code, qty, price) for _line, code, qty, price in self.ordered_lines()]
        mail = self.receive(
            [
                (
                    "o.xml",
                    opentrans_order("PO-7009", "", lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        order = mail.order_id
        self.assertNotEqual(order, self.quotation)
        self.assertEqual(self.quotation.state, "sent", "never guess between two quotations")
        self.assertRecordValues(order, [{"state": "draft", "client_order_ref": "PO-7009"}])
        self.assertEqual(
            sorted(
                (line.product_id.default_code, line.product_uom_qty) for line in order.order_line
            ),
            [("PAP-A4-80", 3.0), ("PEN-BLUE", 12.0)],
        )
        self.assert_activity(order, self.salesperson, "No punchout quotation matches")
        self.assertIn(
            "o.xml",
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
            .mapped("name"),
        )

    def test_price_deviation_is_flagged(self):
        lines = self.ordered_lines()
        lines[1] = (self.pen_line, "PEN-BLUE", 12, 15.0)
        mail = self.receive(
            [
                (
                    "o.xml",
                    ubl_order("PO-7010", self.quotation.name, lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assertEqual(mail.order_id, self.quotation)
        self.assertEqual(self.pen_line.price_unit, 18.0, "policy 'flag' keeps our price")
        self.assert_activity(self.quotation, self.salesperson, "unit price 15.0 ordered")

    def test_deviation_refused_by_policy_stays_a_quotation_to_review(self):
        self.connection.order_deviation_policy = "refuse"
        lines = self.ordered_lines()
        lines[0] = (self.paper_line, "PAP-A4-80", 5, 81.25)
        document = ubl_order("PO-7014", self.quotation.name, lines, currency=self.currency.name)
        mail = self.receive([("po.xml", document, "text/xml")])
        self.assertEqual(mail.order_id, self.quotation)
        self.assertRecordValues(
            self.quotation,
            [{"state": "sent", "client_order_ref": "PO-7014", "punchout_po_number": "PO-7014"}],
        )
        self.assertEqual(self.paper_line.product_uom_qty, 3.0)
        self.assert_activity(
            self.quotation, self.salesperson, "Not confirmed, beyond the deviation policy"
        )
        self.assertIn(
            "po.xml",
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", self.quotation.id)])
            .mapped("name"),
        )

    def test_same_mail_twice_is_processed_once(self):
        raw_args = {
            "attachments": [
                (
                    "o.xml",
                    cxml_order("PO-7011", self.ordered_lines(), currency=self.currency.name),
                    "text/xml",
                )
            ],
            "message_id": "<twice@buyer.example>",
        }
        mail = self.receive(**raw_args)
        self.assert_confirmed(mail, "PO-7011")
        raw = mime_mail(SAP_SENDER, self.inbox, **raw_args)
        self.assertFalse(self.env["mail.thread"].message_process(False, raw))
        self.assertEqual(
            self.env["punchout.message"].search_count([("kind", "=", "order_mail")]), 1
        )

    def test_same_po_number_again_adds_a_note(self):
        mail = self.receive(
            [
                (
                    "a.xml",
                    ubl_order(
                        "PO-7012",
                        self.quotation.name,
                        self.ordered_lines(),
                        currency=self.currency.name,
                    ),
                    "text/xml",
                )
            ]
        )
        self.assert_confirmed(mail, "PO-7012")
        orders_before = self.env["sale.order"].search_count([])
        again = self.receive(
            [
                (
                    "b.xml",
                    idoc_orders05(
                        "PO-7012",
                        self.quotation.name,
                        self.ordered_lines(),
                        currency=self.currency.name,
                    ),
                    "text/xml",
                )
            ]
        )
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assertEqual(again.state, "done")
        self.assertEqual(again.order_id, self.quotation)
        self.assertIn("received again", again.child_ids.error)
        self.assertIn(
            "received again by e-mail",
            " ".join(self.quotation.message_ids.mapped("body")),
        )

    def test_new_version_of_an_ordered_po_asks_for_review(self):
        first = cxml_order("PO-7015", self.ordered_lines(), currency=self.currency.name)
        self.assert_confirmed(self.receive([("v1.xml", first, "text/xml")]), "PO-7015")
        lines = self.ordered_lines()
        lines[1] = (self.pen_line, "PEN-BLUE", 20, 18.0)
        second = cxml_order("PO-7015", lines, currency=self.currency.name, version=2)
        mail = self.receive([("v2.xml", second, "text/xml")])
        self.assertEqual(mail.order_id, self.quotation)
        self.assertIn("version 2", mail.child_ids.error)
        self.assertEqual(self.pen_line.product_uom_qty, 12.0, "nothing changed by itself")
        self.assert_activity(self.quotation, self.salesperson, "version 2")
        self.assertIn(
            "v2.xml",
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", self.quotation.id)])
            .mapped("name"),
        )

    def test_same_cxml_payload_id_in_a_second_mail(self):
        document = cxml_order(
            "PO-7013", self.ordered_lines(), payload_id="same@buyer", currency=self.currency.name
        )
        self.receive([("a.xml", document, "text/xml")])
        again = self.receive([("a.xml", document, "text/xml")])
        self.assertEqual(again.order_id, self.quotation)
        self.assertIn("received again", again.child_ids.error)


@tagged("post_install", "-at_install")
class TestOrderMailBadInput(OrderMailCommon):
    def test_mail_without_attachment(self):
        mail = self.receive(body="Please deliver 3 boxes of paper, PO 4500001234.")
        self.assertEqual(mail.state, "error")
        self.assertIn("no attachment", mail.error)
        self.assert_activity(mail, self.salesperson, "no attachment")
        self.assertIn("Please deliver 3 boxes", mail.payload)
        self.assertEqual(self.quotation.state, "sent")

    def test_unknown_sender_on_the_shared_alias(self):
        document = ubl_order(
            "PO-7101", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("o.xml", document, "text/xml")], to=self.shared_inbox, sender="someone@else.example"
        )
        self.assertFalse(mail.connection_id)
        self.assertEqual(mail.state, "error")
        self.assertIn("Unknown sender", mail.error)
        self.assertEqual(mail.child_ids.state, "received", "kept, not processed")
        self.assertEqual(self.env["punchout.mail"]._attachment(mail.child_ids).raw, document)
        manager = (
            self.env.ref("oci_punchout.group_punchout_manager")
            .users.filtered(lambda u: u.active and not u.share)
            .sorted("id")[:1]
        )
        self.assert_activity(mail, manager, "Unknown sender")
        self.assertEqual(self.quotation.state, "sent")

    def test_xml_of_an_unknown_kind(self):
        mail = self.receive(
            [("invoice.xml", b"<?xml version='1.0'?><Invoice><ID>1</ID></Invoice>", "text/xml")]
        )
        self.assertEqual(mail.state, "error")
        attachment = mail.child_ids
        self.assertEqual(attachment.state, "error")
        self.assertIn("not a purchase order we can read", attachment.error)
        self.assertIn("<Invoice>", attachment.error)
        self.assert_activity(attachment, self.salesperson, "not a purchase order")

    def test_huge_attachment(self):
        self.env["ir.config_parameter"].set_param("oci_punchout.order_mail_max_bytes", "2000")
        document = ubl_order(
            "PO-7102", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        self.assertGreater(len(document), 2000)
        mail = self.receive([("big.xml", document, "text/xml")])
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("more than the 2000 bytes", mail.child_ids.error)
        self.assert_activity(mail.child_ids, self.salesperson, "2000 bytes")
        self.assertEqual(self.quotation.state, "sent")

    def test_broken_xml_next_to_a_good_one(self):
        good = ubl_order(
            "PO-7103", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("broken.xml", b"<Order><ID>1</Order>", "text/xml"), ("good.xml", good, "text/xml")]
        )
        broken, ok = mail.child_ids.sorted("id")
        self.assertEqual(broken.state, "error")
        self.assertEqual(ok.state, "done")
        self.assertEqual(mail.state, "done")
        self.assertIn("1 attachment(s) could not be read", mail.error)
        self.assertEqual(self.quotation.client_order_ref, "PO-7103")

    @mute_logger("odoo.addons.oci_punchout.models.punchout_mail")
    def test_unknown_product_is_a_quotation_line_note(self):
        lines = [*self.ordered_lines(), (None, "NOPE-1", 1, 5.0)]
        mail = self.receive(
            [
                (
                    "o.xml",
                    ubl_order("PO-7104", self.quotation.name, lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assertEqual(mail.order_id, self.quotation)
        self.assert_activity(self.quotation, self.salesperson, "NOPE-1")


@tagged("post_install", "-at_install")
class TestOrderMailPdf(OrderMailCommon):
    def test_sap_po_print(self):
        pdf = sap_po_pdf(
            "4500012345", self.quotation.name, self.ordered_lines(), self.currency.name
        )
        mail = self.receive([("PO_4500012345.pdf", pdf, "application/pdf")])
        self.assertIn("application/pdf", mail.child_ids.payload)
        self.assertIn("PO_4500012345.pdf", self.assert_confirmed(mail, "4500012345"))

    def test_custom_po_number_pattern(self):
        self.connection.order_po_pattern = r"Order\s+no\.?\s*(?P<po>BE-\d+-\d+)"
        lines = [
            "Buyer Industries GmbH - purchasing",
            "Order no. BE-2026-0042 of 20.11.2026",
            f"Your quotation {self.quotation.name}",
        ]
        mail = self.receive([("order.pdf", text_pdf(lines), "application/pdf")])
        self.assertEqual(mail.state, "done", mail.child_ids.error)
        self.assertEqual(self.quotation.client_order_ref, "BE-2026-0042")

    def test_po_pattern_is_validated(self):
        with self.assertRaises(ValidationError):
            self.connection.order_po_pattern = "PO (unclosed"

    @mute_logger("odoo.addons.base.models.ir_actions_report")
    def test_odoo_quotation_pdf_without_readable_lines_takes_the_quotation(self):
        self.connection.order_po_pattern = r"Your Reference:?\s*(?P<po>\d{10})"
        self.quotation.client_order_ref = "4500099999"
        # wkhtmltopdf must not fetch the report's assets from the test server, which cannot
        # answer inside this test's transaction: without them, standard fonts are used.
        self.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")
        report = self.env["ir.actions.report"].with_context(force_report_rendering=True)
        pdf, _format = report._render_qweb_pdf("sale.action_report_saleorder", self.quotation.ids)
        self.quotation.client_order_ref = False
        mail = self.receive([("quotation_signed.pdf", pdf, "application/pdf")])
        self.assertEqual(mail.state, "done", mail.child_ids.error)
        self.assertRecordValues(
            self.quotation, [{"state": "sale", "client_order_ref": "4500099999"}]
        )
        self.assertEqual(
            sorted(
                (line.product_id.default_code, line.product_uom_qty)
                for line in self.quotation.order_line
            ),
            [("PAP-A4-80", 3.0), ("PEN-BLUE", 12.0)],
        )
        self.assert_activity(self.quotation, self.salesperson, "could not be read")

    def test_pdf_with_embedded_xml_order(self):
        xml = ubl_order(
            "PO-7201", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        pdf = with_embedded_xml(text_pdf(["Purchase order PO-7201"]), "order.xml", xml)
        mail = self.receive([("PO-7201.pdf", pdf, "application/pdf")])
        self.assertIn("UBL", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "PO-7201")

    def test_corrupt_pdf(self):
        mail = self.receive([("po.pdf", b"%PDF-1.4\n1 0 obj garbage", "application/pdf")])
        self.assertEqual(mail.state, "error")
        self.assertIn("not a readable PDF", mail.child_ids.error)
        self.assert_activity(mail.child_ids, self.salesperson, "not a readable PDF")
        self.assertEqual(self.quotation.state, "sent")

    def test_password_protected_pdf(self):
        pdf = sap_po_pdf(
            "4500012346",
            self.quotation.name,
            self.ordered_lines(),
            self.currency.name,
            encrypt="secret",
        )
        mail = self.receive([("po.pdf", pdf, "application/pdf")])
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("password-protected", mail.child_ids.error)
        self.assert_activity(mail.child_ids, self.salesperson, "password-protected")
        self.assertEqual(self.quotation.state, "sent")

    def test_pdf_without_po_number(self):
        mail = self.receive([("flyer.pdf", text_pdf(["Our new catalogue"]), "application/pdf")])
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("No purchase order number", mail.child_ids.error)


@tagged("post_install", "-at_install")
class TestOrderUploadAndConfirmation(OrderMailCommon):
    def upload(self, name, data, mimetype="application/xml"):
        return self.env["ir.attachment"].create(
            {"name": name, "raw": data, "mimetype": mimetype, "res_model": "sale.order"}
        )

    def test_upload_on_the_quotation_it_orders(self):
        lines = [(None, code, qty, price) for _line, code, qty, price in self.ordered_lines()]
        self.make_quotation([(self.product_paper, 3), (self.product_pen, 12)])  # a twin
        document = opentrans_order("PO-7301", "", lines, currency=self.currency.name)
        self.quotation._extend_with_attachments(self.upload("order.xml", document))
        self.assertRecordValues(self.quotation, [{"state": "sale", "client_order_ref": "PO-7301"}])
        message = self.env["punchout.message"].search([("kind", "=", "order_upload")])
        self.assertRecordValues(message, [{"state": "done", "order_id": self.quotation.id}])

    def test_upload_in_the_order_list_finds_the_quotation(self):
        document = idoc_orders05(
            "4500007302", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        attachment = self.upload("ORDERS05.xml", document)
        orders = self.env["sale.order"]._create_order_from_attachment(attachment.ids)
        self.assertEqual(orders, self.quotation)
        self.assertRecordValues(
            self.quotation, [{"state": "sale", "client_order_ref": "4500007302"}]
        )
        self.assertEqual(attachment.res_id, self.quotation.id)
        again = self.upload("ORDERS05.xml", document)
        with self.assertRaisesRegex(UserError, "already received"):
            self.env["sale.order"]._create_order_from_attachment(again.ids)

    def test_upload_of_a_pdf_purchase_order(self):
        """A PDF as SAP prints it: the same reading as by e-mail, in the list and on the
        quotation."""
        pdf = sap_po_pdf(
            "4500007305", self.quotation.name, self.ordered_lines(), self.currency.name
        )
        attachment = self.upload("PO_4500007305.pdf", pdf, mimetype="application/pdf")
        orders = self.env["sale.order"]._create_order_from_attachment(attachment.ids)
        self.assertEqual(orders, self.quotation)
        self.assertRecordValues(
            self.quotation, [{"state": "sale", "client_order_ref": "4500007305"}]
        )
        self.assertEqual(sorted(self.quotation.order_line.mapped("product_uom_qty")), [3.0, 12.0])
        twin = self.make_quotation([(self.product_paper, 3), (self.product_pen, 12)])
        text_only = text_pdf(["Purchase order 4500007306 of 21.11.2026", f"Quotation {twin.name}"])
        twin._extend_with_attachments(self.upload("po.pdf", text_only, mimetype="application/pdf"))
        self.assertRecordValues(twin, [{"state": "sale", "client_order_ref": "4500007306"}])

    def test_other_files_are_uploaded_as_odoo_does(self):
        attachment = self.upload("notes.xml", b"<notes><n>hello</n></notes>")
        orders = self.env["sale.order"]._create_order_from_attachment(attachment.ids)
        self.assertEqual(len(orders), 1)
        self.assertFalse(orders.punchout_connection_id)
        self.assertEqual(self.quotation.state, "sent")

    def test_order_confirmation_by_mail(self):
        self.connection.order_confirmation_email = "confirmations@buyer.example"
        document = cxml_order("PO-7303", self.ordered_lines(), currency=self.currency.name)
        self.receive([("po.xml", document, "text/xml")])
        self.assertEqual(self.quotation.state, "sale")
        mail = (
            self.env["mail.mail"]
            .search([("model", "=", "sale.order"), ("res_id", "=", self.quotation.id)])
            .filtered(lambda m: m.email_to == "confirmations@buyer.example")
        )
        self.assertEqual(len(mail), 1)
        self.assertFalse(mail.recipient_ids)
        self.assertIn(self.quotation.name, mail.subject)
        self.assertTrue(mail.attachment_ids, "the order PDF")
        self.assertIn(self.quotation.name, mail.attachment_ids.name)

    def test_peppol_order_without_our_references_is_left_to_sale_edi_ubl(self):
        if "sale.edi.xml.ubl_bis3" not in self.env:
            self.skipTest("sale_edi_ubl is not installed")
        lines = [(None, code, qty, price) for _line, code, qty, price in self.ordered_lines()]
        document = ubl_order(
            "PO-7304", "", lines, currency=self.currency.name, customization=PEPPOL_ORDER
        )
        orders = self.env["sale.order"]._create_order_from_attachment(
            self.upload("peppol.xml", document).ids
        )
        self.assertNotEqual(orders, self.quotation)
        self.assertFalse(orders.punchout_connection_id)
        self.assertEqual(self.quotation.state, "sent")

    def test_peppol_order_naming_our_quotation_goes_to_the_matcher(self):
        document = ubl_order(
            "PO-7305",
            self.quotation.name,
            self.ordered_lines(),
            currency=self.currency.name,
            customization=PEPPOL_ORDER,
        )
        orders = self.env["sale.order"]._create_order_from_attachment(
            self.upload("peppol.xml", document).ids
        )
        self.assertEqual(orders, self.quotation)
        self.assertRecordValues(self.quotation, [{"state": "sale", "client_order_ref": "PO-7305"}])


@tagged("post_install", "-at_install")
class TestOrderMailRetry(OrderMailCommon):
    def test_retry_after_the_sender_is_known(self):
        document = ubl_order(
            "PO-7401", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("o.xml", document, "text/xml")], to=self.shared_inbox, sender="new@buyer2.example"
        )
        self.assertEqual(mail.state, "error")
        with self.assertRaisesRegex(UserError, "still unknown"):
            mail.action_retry()
        self.connection.order_mail_senders = f"{SAP_SENDER}, new@buyer2.example"
        mail.action_retry()
        self.assertRecordValues(
            mail, [{"state": "done", "connection_id": self.connection.id, "error": False}]
        )
        self.assertFalse(mail.activity_ids)
        self.assertRecordValues(self.quotation, [{"state": "sale", "client_order_ref": "PO-7401"}])

    def test_retry_an_attachment_after_raising_the_size_limit(self):
        parameters = self.env["ir.config_parameter"]
        parameters.set_param("oci_punchout.order_mail_max_bytes", "500")
        document = idoc_orders05(
            "4500007402", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("idoc.xml", document, "text/xml")])
        attachment = mail.child_ids
        self.assertEqual(attachment.state, "error")
        parameters.set_param("oci_punchout.order_mail_max_bytes", str(10 * 1024 * 1024))
        attachment.action_retry()
        self.assertEqual(attachment.state, "done")
        self.assertFalse(attachment.activity_ids)
        self.assertEqual(mail.state, "done")
        self.assertEqual(self.quotation.client_order_ref, "4500007402")

    def test_salesperson_reads_the_log_and_acts_on_its_activity(self):
        mail = self.receive(body="No attachment here")
        activity = mail.activity_ids
        self.assertEqual(activity.user_id, self.salesperson)
        mail_as_salesperson = mail.with_user(self.salesperson)
        self.assertIn("no attachment", mail_as_salesperson.error)
        mail_as_salesperson.message_post(body="Called the buyer: they will send the PDF.")
        activity.with_user(self.salesperson).action_feedback(feedback="Asked for the PDF")
        self.assertFalse(mail.activity_ids)


@tagged("post_install", "-at_install")
class TestOrderMailAndCxmlEndpoint(OrderMailCommon):
    def test_order_request_received_by_http_then_by_mail(self):
        cxml_connection = self.env["punchout.connection"].create(
            {
                "name": "Buyer Ariba",
                "code": "buyer-ariba-mail",
                "protocol": "cxml",
                "partner_id": self.buyer.id,
                "user_id": self.buyer_user.id,
                "pricelist_id": self.pricelist.id,
                "website_id": self.website.id,
                "company_id": self.company.id,
                "test_mode": False,
                "cxml_buyer_domain": "NetworkID",
                "cxml_buyer_identity": "AN-BUYER",
                "cxml_shared_secret": "mail-secret",
                "cxml_supplier_identity": "AN-SUPPLIER",
                "alias_name": "orders-ariba",
                "alias_domain_id": self.alias_domain.id,
                "order_mail_senders": SAP_SENDER,
            }
        )
        self.quotation.punchout_connection_id = cxml_connection
        document = cxml_order(
            "PO-7501",
            self.ordered_lines(),
            payload_id="po-7501@buyer",
            currency=self.currency.name,
        )
        # The endpoint's own path: stored, processed, answered.
        _response, http_message, _status = self.env["punchout.message"]._cxml_receive(
            document, "127.0.0.1"
        )
        self.assertRecordValues(
            http_message,
            [
                {
                    "kind": "cxml_order",
                    "state": "done",
                    "order_id": self.quotation.id,
                    "dedup_key": f"{cxml_connection.id}:po-7501@buyer",
                }
            ],
        )
        self.assertEqual(self.quotation.state, "sale")
        orders_before = self.env["sale.order"].search_count([])
        mail = self.receive([("po.xml", document, "text/xml")], to=f"orders-ariba@{ALIAS_DOMAIN}")
        self.assertEqual(mail.connection_id, cxml_connection)
        self.assertEqual(mail.order_id, self.quotation)
        self.assertIn("received again", mail.child_ids.error)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)


@tagged("post_install", "-at_install")
class TestOrderMailAuthentication(OrderMailCommon):
    """Mail proves nothing by itself: only a cXML SharedSecret or a listed sender verified by
    our mail server changes orders; everything else waits for a salesperson's approval."""

    def ubl(self, po_number, lines=None):
        return [
            (
                "po.xml",
                ubl_order(
                    po_number,
                    self.quotation.name,
                    lines or self.ordered_lines(),
                    currency=self.currency.name,
                ),
                "text/xml",
            )
        ]

    def assert_untouched(self, order=None, state="sent"):
        order = order or self.quotation
        self.assertEqual(order.state, state)
        if state == "sent":
            self.assertFalse(order.punchout_po_number)
            self.assertFalse(order.client_order_ref)

    def test_display_name_is_never_the_sender(self):
        for sender in (
            '"sap-orders@buyer.example" <x@attacker.example>',
            # Malformed: lenient parsers take the display name for the address.
            "sap-orders@buyer.example <x@attacker.example>",
        ):
            with self.subTest(sender=sender):
                mail = self.receive(
                    self.ubl("PO-7601"), to=self.shared_inbox, sender=sender, verified=False
                )
                self.assertFalse(mail.connection_id)
                self.assertEqual(mail.state, "error")
                self.assertIn("Unknown sender", mail.error)
                self.assert_untouched()

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_connection_inbox_accepts_only_the_buyer(self):
        self.assertEqual(self.connection.alias_contact, "punchout_buyer")
        for sender in ("x@attacker.example", '"sap-orders@buyer.example" <x@attacker.example>'):
            with self.subTest(sender=sender):
                raw = mime_mail(sender, self.inbox, self.ubl("PO-7602"))
                self.env["mail.thread"].message_process(False, raw)
                self.assertFalse(
                    self.env["punchout.message"].search([("kind", "=", "order_mail")]),
                    "bounced, nothing stored",
                )
                self.assert_untouched()
        # The buyer's contacts may write to it (their orders wait for approval).
        mail = self.receive(self.ubl("PO-7602"), sender="purchasing@buyer.example")
        self.assertEqual(mail.state, "approval")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_shared_inbox_can_be_restricted_to_buyers(self):
        self.shared_alias.alias_contact = "punchout_buyer"
        raw = mime_mail(
            '"sap-orders@buyer.example" <x@attacker.example>',
            self.shared_inbox,
            self.ubl("PO-7612"),
        )
        self.env["mail.thread"].message_process(False, raw)
        self.assertFalse(self.env["punchout.message"].search([("kind", "=", "order_mail")]))
        mail = self.receive(self.ubl("PO-7612"), to=self.shared_inbox)
        self.assertEqual(mail.connection_id, self.connection)

    def test_mail_to_other_models_is_untouched(self):
        """What the order inbox reads from the raw mail never reaches other models' mails."""
        self.env["mail.alias"].create(
            {
                "alias_name": "contacts",
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
                "alias_domain_id": self.alias_domain.id,
            }
        )
        raw = mime_mail(SAP_SENDER, f"contacts@{ALIAS_DOMAIN}", subject="New contact Ada")
        partner = self.env["res.partner"].browse(
            self.env["mail.thread"].message_process(False, raw)
        )
        self.assertEqual(partner.name, "New contact Ada")
        self.assertIn("Please find our order attached.", partner.message_ids[0].body)

    def test_new_connections_accept_only_the_buyer_by_default(self):
        defaults = self.env["punchout.connection"].default_get(["alias_contact"])
        self.assertEqual(defaults["alias_contact"], "punchout_buyer")

    def test_unverified_listed_sender_waits_for_approval(self):
        mail = self.receive(self.ubl("PO-7603"), verified=False)
        attachment = mail.child_ids
        self.assertRecordValues(
            mail, [{"state": "approval", "mail_sender": SAP_SENDER, "mail_sender_verified": False}]
        )
        self.assertRecordValues(
            attachment,
            [{"state": "approval", "order_id": self.quotation.id, "dedup_key": False}],
        )
        self.assert_untouched()
        self.assertTrue(self.quotation.punchout_mail_to_approve)
        self.assert_activity(self.quotation, self.salesperson, "Approve e-mailed purchase order")
        self.assert_activity(self.quotation, self.salesperson, "not authenticated")
        # The salesperson checked it with the buyer: approving applies it as authenticated.
        self.quotation.with_user(self.salesperson).action_punchout_approve_mail_order()
        self.assertEqual(attachment.approved_by_id, self.salesperson)
        self.assertFalse(self.quotation.punchout_mail_to_approve)
        self.assert_confirmed(mail, "PO-7603")

    def test_only_salespeople_approve(self):
        mail = self.receive(self.ubl("PO-7604"), verified=False)
        portal = self.buyer_user
        with self.assertRaises(AccessError):
            mail.child_ids.with_user(portal).action_approve()
        self.assert_untouched()

    def test_authentication_results_of_other_servers_do_not_count(self):
        mail = self.receive(
            self.ubl("PO-7605"),
            verified=False,
            headers=[
                (
                    "Authentication-Results",
                    "mx.attacker.example; dmarc=pass header.from=buyer.example",
                )
            ],
        )
        self.assertFalse(mail.mail_sender_verified)
        self.assertEqual(mail.state, "approval")
        self.assert_untouched()

    def test_verified_sender_needs_the_connection_to_trust_it(self):
        self.connection.order_mail_trust_verified = False
        mail = self.receive(self.ubl("PO-7606"))
        self.assertTrue(mail.mail_sender_verified)
        self.assertEqual(mail.state, "approval")
        self.assert_untouched()
        # cXML carrying the connection's SharedSecret is authenticated by itself.
        document = cxml_order("PO-7606", self.ordered_lines(), currency=self.currency.name)
        mail = self.receive([("po.xml", document, "text/xml")], verified=False)
        self.assertTrue(mail.child_ids.cxml_secret_verified)
        self.assertRecordValues(mail, [{"state": "done", "order_id": self.quotation.id}])
        self.assertRecordValues(self.quotation, [{"state": "sale", "client_order_ref": "PO-7606"}])

    def test_cxml_with_a_wrong_secret_waits_for_approval(self):
        document = cxml_order(
            "PO-7607", self.ordered_lines(), currency=self.currency.name, shared_secret="guess"
        )
        mail = self.receive([("po.xml", document, "text/xml")], verified=False)
        self.assertFalse(mail.child_ids.cxml_secret_verified)
        self.assertEqual(mail.child_ids.state, "approval")
        self.assert_untouched()

    def test_pre_claimed_po_number_and_payload_id_do_not_block_the_real_order(self):
        forged = cxml_order(
            "PO-7608",
            [(None, "PAP-A4-80", 1, 0.01)],
            payload_id="po-7608@buyer",
            currency=self.currency.name,
            shared_secret="guess",
        )
        self.receive([("po.xml", forged, "text/xml")], verified=False)
        self.receive(self.ubl("PO-7608"), verified=False)
        self.assert_untouched()
        real = cxml_order(
            "PO-7608",
            self.ordered_lines(),
            payload_id="po-7608@buyer",
            currency=self.currency.name,
        )
        mail = self.receive([("po.xml", real, "text/xml")], verified=False)
        self.assertRecordValues(mail, [{"state": "done", "order_id": self.quotation.id}])
        self.assertRecordValues(
            self.quotation,
            [{"state": "sale", "client_order_ref": "PO-7608", "punchout_po_number": "PO-7608"}],
        )

    def test_unauthenticated_change_and_cancellation_change_nothing(self):
        first = cxml_order("PO-7609", self.ordered_lines(), currency=self.currency.name)
        self.assert_confirmed(self.receive([("v1.xml", first, "text/xml")]), "PO-7609")
        lines = self.ordered_lines()
        lines[1] = (self.pen_line, "PEN-BLUE", 99, 18.0)
        change = cxml_order(
            "PO-7609",
            lines,
            currency=self.currency.name,
            version=2,
            shared_secret="guess",
            order_type="update",
        )
        mail = self.receive([("v2.xml", change, "text/xml")], verified=False)
        self.assertRecordValues(
            mail.child_ids, [{"state": "approval", "order_id": self.quotation.id}]
        )
        self.assertEqual(self.pen_line.product_uom_qty, 12.0)
        self.assert_activity(self.quotation, self.salesperson, "change of purchase order PO-7609")
        cancel = cxml_order(
            "PO-7609",
            lines,
            currency=self.currency.name,
            version=3,
            shared_secret="guess",
            order_type="delete",
        )
        mail = self.receive([("v3.xml", cancel, "text/xml")], verified=False)
        self.assertEqual(mail.child_ids.state, "approval")
        self.assertEqual(self.quotation.state, "sale")
        self.assert_activity(self.quotation, self.salesperson, "cancellation of purchase order")
        mail.child_ids.with_user(self.salesperson).action_approve()
        self.assertEqual(self.quotation.state, "cancel")

    def test_unauthenticated_order_without_quotation_waits_on_the_log(self):
        lines = [(None, "PAP-A4-80", 1, 81.25)]
        document = opentrans_order("PO-7610", "", lines, currency=self.currency.name)
        orders_before = self.env["sale.order"].search_count([])
        mail = self.receive([("o.xml", document, "text/xml")], verified=False)
        attachment = mail.child_ids
        self.assertRecordValues(attachment, [{"state": "approval", "order_id": False}])
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assert_activity(attachment, self.salesperson, "Approve e-mailed purchase order")
        attachment.with_user(self.salesperson).action_approve()
        self.assertEqual(attachment.state, "done")
        self.assertRecordValues(attachment.order_id, [{"client_order_ref": "PO-7610"}])
        self.assertFalse(attachment.activity_ids)

    def test_shared_secret_is_never_stored(self):
        document = cxml_order("PO-7611", self.ordered_lines(), currency=self.currency.name)
        self.assertIn(b"mail-secret", document)
        mail = self.receive([("po.xml", document, "text/xml")], verified=False)
        self.assert_confirmed(mail, "PO-7611")
        attachment = mail.child_ids
        self.assertTrue(attachment.cxml_secret_verified)
        self.assertNotIn("mail-secret", attachment.payload)
        self.assertIn("OrderRequest", attachment.payload)
        stored = self.env["ir.attachment"].search(
            [
                "|",
                "&",
                ("res_model", "=", "punchout.message"),
                ("res_id", "in", (mail | attachment).ids),
                "&",
                ("res_model", "=", "sale.order"),
                ("res_id", "=", self.quotation.id),
            ]
        )
        self.assertGreaterEqual(len(stored), 3, "the log's copy, the chatter's and the order's")
        for record in stored:
            self.assertNotIn(b"mail-secret", record.raw, record.name)

    def test_activity_note_escapes_mail_text(self):
        name = '<a href="https://attacker.example/">Approve here</a>.pdf'
        mail = self.receive([(name, b"%PDF-1.4\n1 0 obj garbage", "application/pdf")])
        note = str(mail.child_ids.activity_ids.note)
        self.assertNotIn("<a href", note)
        self.assertIn("&lt;a href=", note)
