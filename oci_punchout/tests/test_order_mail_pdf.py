"""Purchase orders e-mailed or uploaded as PDF, and the confirmations sent back by e-mail."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .order_documents import (
    PEPPOL_ORDER,
    cxml_order,
    idoc_orders05,
    opentrans_order,
    sap_po_pdf,
    text_pdf,
    ubl_order,
    with_embedded_xml,
)
from .order_mail_common import OrderMailCommon


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
