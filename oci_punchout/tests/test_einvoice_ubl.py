"""E-invoices of punchout orders through Odoo's own UBL export, checked with the official rules.

The Dutch supplier of EinvoiceCommon invoices Dutch, Belgian and German buyers whose purchase
orders came in through the order matcher. Every XML produced (Peppol BIS 3, NLCIUS, XRechnung) is
run through the official rule files of the shared test data (UBL 2.1 XSD + Schematron with
saxonche) and must have no fatal finding.
"""

from contextlib import ExitStack
from decimal import Decimal
from unittest.mock import patch

from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged

from ..models.account_edi_xml_ubl_bis3 import AccountEdiXmlUblBis3
from ..protocol import cxml, einvoice_rules
from .common import PunchoutCommon
from .einvoice_common import EinvoiceCommon

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
ALL_FORMATS = ("ubl_bis3", "nlcius", "xrechnung")
LINES = "*[local-name()='InvoiceLine' or local-name()='CreditNoteLine']"


def _local_names(element):
    return [etree.QName(child).localname for child in element]


@tagged("post_install", "-at_install")
class TestEinvoiceUbl(EinvoiceCommon):
    """A Dutch supplier's invoices and credit notes of punchout orders, as Odoo exports them."""

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def render(self, move, formats):
        """{format: XML} of ``move``, with no blocking error from Odoo's own checks."""
        documents = {}
        for edi_format in formats:
            builder = move.partner_id._get_edi_builder(edi_format)
            documents[edi_format], errors = builder._export_invoice(move)
            self.assertFalse(errors, f"{move.name} {edi_format}: Odoo's own checks: {errors}")
        return documents

    def export_all(self, move, formats=ALL_FORMATS):
        """{format: parsed document} of ``move``, every one valid by the official rules."""
        documents = self.render(move, formats)
        self._assert_valid([(move, fmt, xml) for fmt, xml in documents.items()])
        return {fmt: etree.fromstring(xml) for fmt, xml in documents.items()}

    def export(self, move, edi_format):
        return self.export_all(move, (edi_format,))[edi_format]

    def export_with_credit_note(self, invoice, formats=ALL_FORMATS):
        """The invoice exported when it is sent (still unpaid), then a full credit note of it,
        all valid by the official rules: [(move, format, parsed document)]."""
        documents = [(invoice, fmt, xml) for fmt, xml in self.render(invoice, formats).items()]
        credit_note = self._credit_note(invoice)
        documents += [
            (credit_note, fmt, xml) for fmt, xml in self.render(credit_note, formats).items()
        ]
        self._assert_valid(documents)
        return [(move, fmt, etree.fromstring(xml)) for move, fmt, xml in documents]

    @staticmethod
    def texts(root, path):
        return [node.text for node in root.xpath(path, namespaces=NS)]

    def assert_references(self, root, order, po_lines, buyer_reference):
        """The buyer's references (BT-10, BT-13, BT-132, BT-156) in a document of ``order``;
        ``po_lines``: [(PO line number, buyer's part id or None)] in the document's order."""
        self.assertEqual(self.texts(root, "cac:OrderReference/cbc:ID"), [order.punchout_po_number])
        self.assertEqual(self.texts(root, "cac:OrderReference/cbc:SalesOrderID"), [order.name])
        self.assertEqual(self.texts(root, "cbc:BuyerReference"), [buyer_reference])
        lines = root.xpath(LINES)
        self.assertEqual(len(lines), len(po_lines))
        for line, (number, part) in zip(lines, po_lines, strict=True):
            self.assertEqual(self.texts(line, "cac:OrderLineReference/cbc:LineID"), [str(number)])
            self.assertEqual(
                self.texts(line, "cac:Item/cac:BuyersItemIdentification/cbc:ID"),
                [part] if part else [],
            )
            # UBL 2.1 order: ... InvoicePeriod, OrderLineReference, ... PricingReference ... Item;
            # BuyersItemIdentification right before SellersItemIdentification.
            names = _local_names(line)
            position = names.index("OrderLineReference")
            self.assertIn(names[position - 1], ("LineExtensionAmount", "InvoicePeriod"))
            self.assertLess(position, names.index("Item"))
            item_names = _local_names(line.find("cac:Item", NS))
            if part:
                position = item_names.index("BuyersItemIdentification")
                self.assertEqual(item_names[position + 1], "SellersItemIdentification")

    def assert_tax_categories(self, root, expected):
        """``expected``: {(category, percent)} of the VAT breakdown (BG-23)."""
        categories = {
            (
                category.findtext("cbc:ID", namespaces=NS),
                float(category.findtext("cbc:Percent", "0", NS)),
            )
            for category in root.xpath(
                "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory", namespaces=NS
            )
        }
        self.assertEqual(categories, expected)

    # ------------------------------------------------------------------
    # Dutch buyer: 21 % and 9 %, line discounts, credit notes
    # ------------------------------------------------------------------

    def nl_order(self, po_number="4500012345", **po_values):
        return self._punchout_order(
            self.connection_nl,
            po_number,
            [
                (self.chair, 4, 10.0, 10, "MAT-100234"),
                (self.paper, 25, 2.5, 20, "MAT-200017"),
                (self.coffee, 6, 0.0, 30, "MAT-300001"),
                (self.handbook, 1, 0.0, 40, None),
            ],
            **po_values,
        )

    def test_dutch_buyer_invoice(self):
        order = self.nl_order(
            extrinsics={"Cost Center": "KST-4711", "Requisition": "REQ-88"},
            contacts=[cxml.Contact(name="Anna Jansen", role="requester")],
        )
        self.assertEqual(order.punchout_buyer_reference, "KST-4711")
        invoice = self._invoice(order)
        self.assertEqual(invoice.fiscal_position_id.name, "Domestic")
        self.assertTrue(invoice.partner_bank_id, "the supplier's IBAN is on the invoice")
        po_lines = [(10, "MAT-100234"), (20, "MAT-200017"), (30, "MAT-300001"), (40, None)]
        for edi_format, root in self.export_all(invoice).items():
            with self.subTest(edi_format=edi_format):
                self.assert_references(root, order, po_lines, "KST-4711")
                self.assert_tax_categories(root, {("S", 21.0), ("S", 9.0)})
                self.assertEqual(root.findtext("cbc:DocumentCurrencyCode", namespaces=NS), "EUR")
                self.assertEqual(
                    self.texts(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID"),
                    ["NL91ABNA0417164300"],
                )
                # The discounts are line allowances (BG-27).
                self.assertEqual(
                    len(root.xpath("cac:InvoiceLine/cac:AllowanceCharge", namespaces=NS)), 2
                )

    def test_dutch_buyer_credit_note(self):
        order = self.nl_order(contacts=[cxml.Contact(name="Anna Jansen", role="requester")])
        invoice = self._invoice(order)
        credit_note = self._credit_note(invoice)
        po_lines = [(10, "MAT-100234"), (20, "MAT-200017"), (30, "MAT-300001"), (40, None)]
        for edi_format, root in self.export_all(credit_note).items():
            with self.subTest(edi_format=edi_format):
                self.assertEqual(etree.QName(root).localname, "CreditNote")
                self.assert_references(root, order, po_lines, "Anna Jansen")
                # BT-25/BT-26 (NL-R-001): the invoice corrected, by number and date.
                reference = "cac:BillingReference/cac:InvoiceDocumentReference/"
                self.assertEqual(self.texts(root, reference + "cbc:ID"), [invoice.name])
                self.assertEqual(
                    self.texts(root, reference + "cbc:IssueDate"),
                    [fields.Date.to_string(invoice.invoice_date)],
                )

    def test_dutch_buyer_partial_credit_note(self):
        order = self.nl_order()
        invoice = self._invoice(order)

        def credit_the_coffee_only(credit_note):
            coffee = credit_note.invoice_line_ids.filtered(
                lambda line: line.product_id == self.coffee
            )
            (credit_note.invoice_line_ids - coffee).unlink()
            coffee.quantity = 2

        credit_note = self._credit_note(invoice, "2 pakken koffie retour", credit_the_coffee_only)
        for edi_format, root in self.export_all(credit_note).items():
            with self.subTest(edi_format=edi_format):
                # No reference named by the PO: the partner's reference, Odoo's default.
                self.assert_references(root, order, [(30, "MAT-300001")], "DV-1001")
                self.assert_tax_categories(root, {("S", 9.0)})

    def test_connection_buyer_reference_wins(self):
        self.connection_nl.sudo().invoice_buyer_reference = "00000001234567890000"
        order = self.nl_order(extrinsics={"Kostenstelle": "KST-4711"})
        invoice = self._invoice(order)
        for root in self.export_all(invoice).values():
            self.assertEqual(self.texts(root, "cbc:BuyerReference"), ["00000001234567890000"])

    def test_without_any_buyer_reference(self):
        """No reference from the PO, the connection or the partner: no BuyerReference at all,
        the PO number alone satisfies PEPPOL-EN16931-R003."""
        self.buyer_nl.ref = False
        order = self.nl_order()
        self.assertFalse(order.punchout_buyer_reference)
        invoice = self._invoice(order)
        for root in self.export_all(invoice, ("ubl_bis3", "nlcius")).values():
            self.assertEqual(self.texts(root, "cbc:BuyerReference"), [])
            self.assertEqual(self.texts(root, "cac:OrderReference/cbc:ID"), ["4500012345"])

    def test_two_purchase_orders_on_one_invoice(self):
        """One invoice for two POs: BT-13 holds one PO only, so Odoo's reference stays and no
        PO line number is given (it would be ambiguous); the buyer's part numbers are."""
        first = self.nl_order("4500000001")
        second = self._punchout_order(
            self.connection_nl, "4500000002", [(self.paper, 10, 0.0, 10, "MAT-200017")]
        )
        invoice = self._invoice(first | second)
        self.assertEqual(len(invoice), 1)
        for edi_format, root in self.export_all(invoice).items():
            with self.subTest(edi_format=edi_format):
                self.assertEqual(
                    self.texts(root, "cac:OrderReference/cbc:ID"), [invoice.ref or invoice.name]
                )
                self.assertEqual(root.xpath(f"{LINES}/cac:OrderLineReference", namespaces=NS), [])
                self.assertEqual(
                    self.texts(root, f"{LINES}/cac:Item/cac:BuyersItemIdentification/cbc:ID"),
                    ["MAT-100234", "MAT-200017", "MAT-300001", "MAT-200017"],
                )

    # ------------------------------------------------------------------
    # Belgian and German buyers: intra-community supply, foreign currency
    # ------------------------------------------------------------------

    def test_belgian_buyer_intra_community_supply(self):
        order = self._punchout_order(
            self.connection_be,
            "PO-2026-0815",
            [(self.chair, 2, 5.0, 1, "BE-77-001"), (self.coffee, 10, 0.0, 2, "BE-77-002")],
            extrinsics={"BuyerReference": "AP-JANSSENS-7", "CostCenter": "KP-12"},
        )
        self.assertEqual(order.fiscal_position_id, self.fiscal_position_eu)
        self.assertEqual(
            (self.buyer_be.peppol_eas, self.buyer_be.peppol_endpoint), ("0208", "0477472701")
        )
        invoice = self._invoice(order)
        self.assertEqual(invoice.invoice_line_ids.tax_ids, self.tax_intra_eu)
        po_lines = [(1, "BE-77-001"), (2, "BE-77-002")]
        exports = self.export_with_credit_note(invoice, ("ubl_bis3", "nlcius"))
        for move, edi_format, root in exports:
            with self.subTest(move=move.name, edi_format=edi_format):
                self.assert_references(root, order, po_lines, "AP-JANSSENS-7")
                self.assert_tax_categories(root, {("K", 0.0)})
                # Odoo leaves the exemption reason code out of NLCIUS (BR-NL-35).
                self.assertEqual(
                    self.texts(
                        root,
                        "cac:TaxTotal/cac:TaxSubtotal/cac:TaxCategory/cbc:TaxExemptionReasonCode",
                    ),
                    ["VATEX-EU-IC"] if edi_format == "ubl_bis3" else [],
                )
                # BR-IC-11/12: delivery date and country of an intra-community supply.
                self.assertEqual(
                    self.texts(
                        root,
                        "cac:Delivery/cac:DeliveryLocation/cac:Address/cac:Country/cbc:IdentificationCode",
                    ),
                    ["BE"],
                )
                self.assertTrue(self.texts(root, "cac:Delivery/cbc:ActualDeliveryDate"))

    def test_german_buyer_in_us_dollars(self):
        order = self._punchout_order(
            self.connection_de,
            "4711-DE-0042",
            [
                (self.chair, 3, 12.5, 10, "000000000010004711"),
                (self.paper, 40, 0.0, 20, "000000000010004712"),
                (self.handbook, 2, 0.0, 30, None),
            ],
            contacts=[
                cxml.Contact(name="Einkauf", role="buyer"),
                cxml.Contact(email="k.mueller@schmidt.example", role="endUser"),
            ],
        )
        self.assertEqual(order.currency_id, self.usd)
        self.assertEqual(order.punchout_buyer_reference, "k.mueller@schmidt.example")
        self.assertEqual(
            (self.buyer_de.peppol_eas, self.buyer_de.peppol_endpoint), ("9930", "DE257486969")
        )
        invoice = self._invoice(order)
        self.assertEqual(invoice.currency_id, self.usd)
        self.assertNotEqual(invoice.amount_total, invoice.amount_total_signed)
        po_lines = [(10, "000000000010004711"), (20, "000000000010004712"), (30, None)]
        for move, edi_format, root in self.export_with_credit_note(invoice):
            with self.subTest(move=move.name, edi_format=edi_format):
                self.assert_references(root, order, po_lines, "k.mueller@schmidt.example")
                self.assertEqual(root.findtext("cbc:DocumentCurrencyCode", namespaces=NS), "USD")
                self.assertEqual(
                    self.texts(root, "cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount"),
                    [f"{move.amount_total:.2f}"],
                )
                self.assert_tax_categories(root, {("K", 0.0)})

    # ------------------------------------------------------------------
    # invoices of other orders, and the validator itself
    # ------------------------------------------------------------------

    def odoo_only(self):
        """A context without this addon's UBL changes: our builder methods pass through and our
        line template is archived, so what is rendered is Odoo's own output."""
        stack = ExitStack()
        for name in (
            "_export_invoice_vals",
            "_get_invoice_line_vals",
            "_get_invoice_line_item_vals",
        ):

            def passthrough(builder, *args, _name=name, **kwargs):
                return getattr(super(AccountEdiXmlUblBis3, builder), _name)(*args, **kwargs)

            stack.enter_context(patch.object(AccountEdiXmlUblBis3, name, passthrough))
        template = self.env.ref("oci_punchout.ubl_20_CommonLineType_punchout")
        template.active = False
        stack.callback(template.write, {"active": True})
        return stack

    def test_other_orders_keep_odoo_output(self):
        order = self.env["sale.order"].create(
            {
                "partner_id": self.buyer_nl.id,
                "client_order_ref": "Telefonisch, dhr. De Vries",
                "order_line": [
                    Command.create(
                        {"product_id": self.chair.id, "product_uom_qty": 1, "discount": 10}
                    ),
                    Command.create({"product_id": self.coffee.id, "product_uom_qty": 3}),
                ],
            }
        )
        order.action_confirm()
        invoice = self._invoice(order)
        self.assertFalse(invoice._get_punchout_orders())
        for move, edi_format, root in self.export_with_credit_note(invoice):
            with self.subTest(move=move.name, edi_format=edi_format):
                self.assertFalse(move._get_punchout_orders())
                builder = move.partner_id._get_edi_builder(edi_format)
                ours = builder._export_invoice(move)
                with self.odoo_only():
                    odoo = builder._export_invoice(move)
                self.assertEqual(ours, odoo)
                # Odoo's references: invoice.ref (the customer reference; on a credit note
                # "Reversal of: ..."), the partner's reference, no line references.
                self.assertEqual(self.texts(root, "cac:OrderReference/cbc:ID"), [move.ref])
                self.assertEqual(self.texts(root, "cbc:BuyerReference"), ["DV-1001"])
                self.assertFalse(root.xpath(f"{LINES}/cac:OrderLineReference", namespaces=NS))
                self.assertFalse(
                    root.xpath(f"{LINES}/cac:Item/cac:BuyersItemIdentification", namespaces=NS)
                )
        # The references are really ours: the punchout invoice differs from Odoo's output.
        punchout_invoice = self._invoice(self.nl_order())
        builder = self.buyer_nl._get_edi_builder("ubl_bis3")
        with self.odoo_only():
            odoo = builder._export_invoice(punchout_invoice)
        self.assertNotEqual(builder._export_invoice(punchout_invoice), odoo)

    def test_rules_catch_a_broken_copy(self):
        """The check is real: without OrderReference and BuyerReference the official Peppol
        rules report PEPPOL-EN16931-R003 as fatal."""
        invoice = self._invoice(self.nl_order(extrinsics={"CostCenter": "KST-4711"}))
        root = self.export(invoice, "ubl_bis3")
        for path in ("cac:OrderReference", "cbc:BuyerReference"):
            (node,) = root.xpath(path, namespaces=NS)
            root.remove(node)
        (findings,) = self._check_rules([("ubl_bis3", etree.tostring(root))])
        self.assertIn(
            "PEPPOL-EN16931-R003",
            [finding.rule_id for finding in einvoice_rules.fatal(findings)],
        )

    def test_rules_catch_a_missing_kvk_endpoint(self):
        """Odoo derives EAS 0106 (KvK) for Dutch partners but never their endpoint, and its own
        checks miss it: the official rules do not (hence the endpoints EinvoiceCommon sets up)."""
        invoice = self._invoice(self.nl_order())
        self.company.partner_id.peppol_endpoint = False
        documents = self.render(invoice, ("ubl_bis3", "nlcius"))
        results = self._check_rules(documents.items())
        for (edi_format, rule_id), findings in zip(
            (("ubl_bis3", "PEPPOL-EN16931-R020"), ("nlcius", "BR-NL-1")), results, strict=True
        ):
            with self.subTest(edi_format=edi_format):
                fatal_ids = [finding.rule_id for finding in einvoice_rules.fatal(findings)]
                self.assertIn(rule_id, fatal_ids)


@tagged("post_install", "-at_install")
class TestBuyerReference(PunchoutCommon):
    """The order matcher keeps the reference a purchase order names for the buyer's invoices."""

    def receive(self, po_number, **po_values):
        purchase_order = cxml.OrderRequest(
            order_id=po_number,
            items=[cxml.Item(quantity=Decimal(2), line_number=10, supplier_part_id="PAP-A4-80")],
            **po_values,
        )
        order, _notes = self.env["punchout.order.matcher"]._process(
            self.connection, purchase_order
        )
        return order

    def test_extrinsics(self):
        for number, (key, value) in enumerate(
            [
                ("CostCenter", "4711"),
                ("Cost Center", "4712"),
                ("COST CENTRE", "4713"),
                ("Kostenstelle", "4714"),
                ("accountingCost", "4715"),
                ("Buyer Reference", "AP-01"),
                ("CustomerReference", "CR-9"),
            ]
        ):
            with self.subTest(key=key):
                order = self.receive(f"PO-{number}", extrinsics={key: f"  {value} "})
                self.assertEqual(order.punchout_buyer_reference, value)
                self.assertEqual(order.punchout_po_number, f"PO-{number}")

    def test_explicit_buyer_reference_first(self):
        order = self.receive(
            "PO-1",
            extrinsics={
                "CustomerReference": "CR-9",
                "CostCenter": "4711",
                "BuyerReference": "AP-1",
            },
            contacts=[cxml.Contact(name="Anna Jansen", role="requester")],
        )
        self.assertEqual(order.punchout_buyer_reference, "AP-1")
        order = self.receive(
            "PO-2",
            extrinsics={"CustomerReference": "CR-9", "Kostenstelle": "4711"},
        )
        self.assertEqual(order.punchout_buyer_reference, "4711")

    def test_requester(self):
        contacts = [
            cxml.Contact(name="Purchasing", role="buyer"),
            cxml.Contact(name="", email="anna@buyer.example", role="endUser"),
            cxml.Contact(name="Technical support", role="technicalSupport"),
            cxml.Contact(name=" Anna Jansen ", role="Requester"),
        ]
        self.assertEqual(
            self.receive("PO-1", contacts=contacts).punchout_buyer_reference, "Anna Jansen"
        )
        self.assertEqual(
            self.receive("PO-2", contacts=contacts[:3]).punchout_buyer_reference,
            "anna@buyer.example",
        )
        self.assertEqual(
            self.receive("PO-3", contacts=contacts[:1]).punchout_buyer_reference, "Purchasing"
        )
        self.assertFalse(
            self.receive(
                "PO-4",
                contacts=[contacts[2]],
                extrinsics={"Requisition": "REQ-1", "CostCenter": " "},
            ).punchout_buyer_reference
        )
