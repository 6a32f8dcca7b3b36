"""The cXML invoice builder (account.edi.xml.cxml): values, checks and document, as Odoo
builds every e-invoice format, and the document attached to the invoice it was sent for."""

from odoo import Command
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
        # The chair's 10 % discount: the net price, the discount with its rate beside it.
        chair = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.chair)
        (item,) = root.xpath(".//InvoiceDetailItem[InvoiceDetailItemReference/@lineNumber='10']")
        self.assertAlmostEqual(
            float(item.findtext("UnitPrice/Money")), chair.price_unit * 0.9, places=2
        )
        discount = item.find("InvoiceDetailDiscount")
        self.assertEqual(discount.get("percentageRate"), "10")
        self.assertAlmostEqual(
            float(discount.findtext("Money")), chair.quantity * chair.price_unit * 0.1, places=2
        )
        self.assertAlmostEqual(
            float(item.findtext("SubtotalAmount/Money")), chair.price_subtotal, 2
        )

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

    def test_an_order_confirmed_by_hand_is_invoiced_in_its_connections_format(self):
        """A quotation from a cXML connection's punch-in, confirmed by a salesperson with the
        buyer's PO number typed as Customer Reference, while the buyer's other connection
        (saved last) made e-mailed UBL the buyer company's default."""
        self._create_connection(
            self.buyer_de,
            self.connection_de.pricelist_id,
            "buyer-de-oci",
            invoice_edi_format="ubl_bis3",
            invoice_sending_method="email",
        )
        partner = self.buyer_de.with_company(self.company)
        self.assertEqual(partner.invoice_edi_format, "ubl_bis3")
        quotation = self.env["sale.order"].create(
            {
                "partner_id": self.buyer_de.id,
                "pricelist_id": self.connection_de.pricelist_id.id,
                "punchout_connection_id": self.connection_de.id,
                "client_order_ref": "PO-HAND-7",
                "order_line": [
                    Command.create({"product_id": self.chair.id, "product_uom_qty": 2})
                ],
            }
        )
        quotation.action_confirm()
        invoice = self._invoice(quotation)
        self.assertEqual(invoice._get_punchout_po_number(), "PO-HAND-7")
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        self.assertEqual(wizard.sending_methods, ["punchout_cxml"])
        self.assertEqual(wizard.invoice_edi_format, "cxml")
        document, errors = self.env["account.edi.xml.cxml"]._export_invoice(invoice)
        self.assertEqual(errors, set())
        root = assert_valid_cxml(document, dtd="InvoiceDetail", version="1.2.037")
        # No OrderRequest document to refer to: the order by its number alone (OrderIDInfo).
        self.assertEqual(
            root.xpath(".//InvoiceDetailOrderInfo/OrderIDInfo/@orderID"), ["PO-HAND-7"]
        )
        # A plain order of the same buyer (no punchout session) is no punchout order.
        plain = quotation.copy({"punchout_connection_id": False, "client_order_ref": "REF-1"})
        plain.action_confirm()
        self.assertFalse(self._invoice(plain)._get_punchout_orders())

    def test_freight_goes_in_the_summary_and_unordered_lines_are_refused(self):
        order = self._order_de("4500099177")
        order.order_line = [
            Command.create(
                {
                    "product_id": self.paper.id,
                    "name": "Freight",
                    "price_unit": 12.5,
                    "product_uom_qty": 1,
                    "is_delivery": True,
                }
            )
        ]
        invoice = self._invoice(order)
        document, errors = self.env["account.edi.xml.cxml"]._export_invoice(invoice)
        self.assertEqual(errors, set())
        root = assert_valid_cxml(document, dtd="InvoiceDetail", version="1.2.037")
        references = root.xpath(".//InvoiceDetailItem/InvoiceDetailItemReference/@lineNumber")
        self.assertEqual(references, ["10", "20"])  # the PO lines, no freight item
        summary = root.find(".//InvoiceDetailSummary")
        self.assertEqual(float(summary.findtext("ShippingAmount/Money")), 12.5)
        self.assertAlmostEqual(
            float(summary.findtext("SubtotalAmount/Money")), invoice.amount_untaxed - 12.5, 2
        )
        self.assertAlmostEqual(
            float(summary.findtext("GrossAmount/Money")), invoice.amount_total, places=2
        )

        # A line the buyer's purchase order does not have: refused, not numbered as another.
        order = self._order_de("4500099178")
        order.order_line = [
            Command.create({"product_id": self.paper.id, "name": "Extra", "product_uom_qty": 1})
        ]
        document, errors = self.env["account.edi.xml.cxml"]._export_invoice(self._invoice(order))
        self.assertEqual(document, b"")
        self.assertEqual(len(errors), 1)
        self.assertIn("has no line for", errors.pop())
