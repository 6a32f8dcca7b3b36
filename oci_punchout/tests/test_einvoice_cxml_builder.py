"""The cXML invoice builder (account.edi.xml.cxml): values, checks and document, as Odoo
builds every e-invoice format, and the document attached to the invoice it was sent for."""

from odoo.tests import tagged

from ..protocol import cxml
from .common import assert_valid_cxml, cxml_ok, mock_buyer_system
from .einvoice_common import EinvoiceCommon


@tagged("post_install", "-at_install")
class TestCxmlInvoiceBuilder(EinvoiceCommon):
    def _order_de(self, po_number="4500099101"):
        return self._punchout_order(
            self.connection_de,
            po_number,
            [(self.chair, 3, 10.0, 10, "MAT-1"), (self.paper, 2, 0.0, 20, None)],
        )

    def test_the_buyer_company_names_the_builder_of_its_format(self):
        builder = self.buyer_de.commercial_partner_id._get_edi_builder("cxml")
        self.assertEqual(builder._name, "account.edi.xml.cxml")
        ubl = self.buyer_de.commercial_partner_id._get_edi_builder("ubl_bis3")
        self.assertEqual(ubl._name, "account.edi.xml.ubl_bis3")

    def test_values_checks_and_document(self):
        invoice = self._invoice(self._order_de())
        builder = self.env["account.edi.xml.cxml"]
        vals = builder._export_invoice_vals(invoice)
        self.assertEqual(vals["connection"], self.connection_de.sudo())
        detail = vals["invoice"]
        self.assertEqual((detail.invoice_id, detail.order_id), (invoice.name, "4500099101"))
        self.assertEqual([item.order_line_number for item in detail.items], [10, 20])
        self.assertAlmostEqual(float(detail.due_amount.amount), invoice.amount_total, places=2)
        self.assertFalse(any(builder._export_invoice_constraints(invoice, vals).values()))

        document, errors = builder._export_invoice(invoice)
        self.assertEqual(errors, set())
        root = assert_valid_cxml(document, dtd="InvoiceDetail", version="1.2.037")
        self.assertEqual(
            root.find("Request/InvoiceDetailRequest/InvoiceDetailRequestHeader").get("invoiceID"),
            invoice.name,
        )
        self.assertEqual(
            builder._export_invoice_filename(invoice), f"{invoice.name.replace('/', '_')}_cxml.xml"
        )
        # The tax country of each rate (the Dutch supplier's taxes), and the payment term.
        self.assertEqual(
            set(root.xpath("//InvoiceDetailSummary/Tax/TaxDetail/TaxLocation/text()")), {"NL"}
        )
        self.assertIsNotNone(root.find(".//InvoiceDetailRequestHeader/PaymentTerm"))

    def test_what_the_buyers_system_would_refuse_is_said_before(self):
        invoice = self._invoice(self._order_de())
        builder = self.env["account.edi.xml.cxml"]
        self.buyer_de.vat = False
        self.connection_de.sudo().cxml_invoice_url = False
        document, errors = builder._export_invoice(invoice)
        self.assertEqual(document, b"")
        self.assertEqual(
            errors,
            {
                f"The buyer {self.buyer_de.display_name} has no VAT number.",
                f"The punchout connection of {self.buyer_de.display_name} has no invoice URL.",
            },
        )
        # The Send wizard shows the same sentences before anything leaves.
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        message = wizard.alerts["oci_punchout_missing_data"]["message"]
        self.assertIn("has no VAT number", message)
        self.assertIn("has no invoice URL", message)

    def test_the_sent_document_is_attached_without_our_secret(self):
        invoice = self._invoice(self._order_de())
        with mock_buyer_system(self.env, cxml_ok("Invoice received.")) as buyer_system:
            (
                self.env["account.move.send.wizard"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({})
                .action_send_and_print()
            )
        ((_url, sent),) = buyer_system.received
        attachment = invoice.punchout_cxml_xml_id
        self.assertEqual(attachment.name, f"{invoice.name.replace('/', '_')}_cxml.xml")
        self.assertEqual(attachment.mimetype, "application/xml")
        self.assertIn(b"our-invoice-secret", sent)
        self.assertNotIn(b"our-invoice-secret", attachment.raw)
        # The very document posted, our secret left out.
        self.assertEqual(cxml.with_shared_secret(attachment.raw, "our-invoice-secret"), sent)
        self.assertEqual(cxml.payload_id_of(attachment.raw), cxml.payload_id_of(sent))
