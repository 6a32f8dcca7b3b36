"""E-invoices of punchout orders through Odoo's own UBL export, checked with the official rules.

A Dutch supplier (l10n_nl chart) invoices Dutch, Belgian and German buyers whose purchase orders
came in through the order matcher. Every XML produced (Peppol BIS 3, NLCIUS, XRechnung) is run
through the official rule files of the shared test data (UBL 2.1 XSD + Schematron with saxonche)
and must have no fatal finding.
"""

from contextlib import ExitStack
from datetime import datetime, timezone
from decimal import Decimal
from unittest.mock import patch

from lxml import etree

from odoo import Command, fields
from odoo.tests import tagged

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..models.account_edi_xml_ubl_bis3 import AccountEdiXmlUblBis3
from ..protocol import cxml, einvoice_rules
from .common import SHARED, PunchoutCommon

RULES_DIR = SHARED / "testdata/einvoice-rules"
XSD_DIR = SHARED / "testdata/ubl-2.1/xsd"
NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# Odoo's invoice_edi_format -> the official rule set its XML must pass. There is no XRechnung
# rule file in the shared test data: XRechnung is a CIUS of EN 16931, so it must pass that core.
RULE_SET_BY_FORMAT = {**einvoice_rules.RULE_SET_BY_EDI_FORMAT, "xrechnung": "en16931"}
ALL_FORMATS = ("ubl_bis3", "nlcius", "xrechnung")
LINES = "*[local-name()='InvoiceLine' or local-name()='CreditNoteLine']"


def _local_names(element):
    return [etree.QName(child).localname for child in element]


@tagged("post_install", "-at_install")
class TestEinvoiceUbl(AccountTestInvoicingCommon):
    """A Dutch supplier's invoices and credit notes of punchout orders, as Odoo exports them."""

    @classmethod
    @AccountTestInvoicingCommon.setup_country("nl")
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.setup_other_currency("USD")

        # The supplier: a Dutch B.V. as it is registered (VAT, KvK, address, IBAN) and reachable
        # on Peppol under its KvK number (EAS 0106: NL-R-003 allows KvK or OIN only).
        company = cls.company_data["company"]
        company.write(
            {
                "name": "Kantoorvakhandel Van Dijk B.V.",
                "street": "Stationsweg 12",
                "zip": "3511 ED",
                "city": "Utrecht",
                "vat": "NL000099998B57",
                "company_registry": "77777677",
                "email": "facturen@vandijk.example",
                "phone": "+31 30 123 4567",
            }
        )
        company.partner_id.write({"peppol_eas": "0106", "peppol_endpoint": "77777677"})
        cls.iban = cls.env["res.partner.bank"].create(
            {
                "acc_number": "NL91ABNA0417164300",
                "partner_id": company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        cls.website = cls.env["website"].create({"name": "Van Dijk", "company_id": company.id})

        ChartTemplate = cls.env["account.chart.template"].with_company(company)
        cls.tax_21 = ChartTemplate.ref("btw_21")
        cls.tax_9 = ChartTemplate.ref("btw_9")
        cls.tax_intra_eu = ChartTemplate.ref("btw_X0_producten")
        cls.fiscal_position_eu = ChartTemplate.ref("fiscal_position_template_eu")

        cls.chair = cls._create_product(
            name="Bureaustoel Ergo 300",
            default_code="VD-CHAIR-300",
            company_id=company.id,
            lst_price=249.0,
            taxes_id=[Command.set(cls.tax_21.ids)],
        )
        cls.paper = cls._create_product(
            name="Kopieerpapier A4 80 g, doos van 5 pakken",
            default_code="VD-PAP-A4",
            company_id=company.id,
            lst_price=24.95,
            taxes_id=[Command.set(cls.tax_21.ids)],
        )
        cls.coffee = cls._create_product(
            name="Koffiebonen biologisch 1 kg",
            default_code="VD-COF-1KG",
            company_id=company.id,
            lst_price=18.40,
            taxes_id=[Command.set(cls.tax_9.ids)],
        )
        cls.handbook = cls._create_product(
            name="Handboek Arbo 2025",
            default_code="VD-BOOK-ARBO",
            company_id=company.id,
            lst_price=39.50,
            taxes_id=[Command.set(cls.tax_9.ids)],
        )

        cls.pricelist_eur = cls.env["product.pricelist"].create(
            {"name": "Punchout EUR", "currency_id": company.currency_id.id}
        )
        cls.pricelist_usd = cls.env["product.pricelist"].create(
            {"name": "Punchout USD", "currency_id": cls.usd.id}
        )

        # The buyers, with what Odoo derives from their VAT / company registry for Peppol.
        cls.buyer_nl = cls._create_buyer(
            name="Bouwbedrijf De Vries B.V.",
            street="Kunststraat 3",
            zip="1012 AB",
            city="Amsterdam",
            country_id=cls.env.ref("base.nl").id,
            vat="NL004495445B01",
            company_registry="12345678",
            # NL-R-005/BR-NL-10: a Dutch buyer is addressed by its KvK number.
            peppol_eas="0106",
            peppol_endpoint="12345678",
            ref="DV-1001",
            invoice_edi_format="nlcius",
            iban="NL20INGB0001234567",
        )
        cls.buyer_be = cls._create_buyer(
            name="Bureau Janssens NV",
            street="Wetstraat 16",
            zip="1000",
            city="Brussel",
            country_id=cls.env.ref("base.be").id,
            vat="BE0477472701",
            company_registry="0477472701",
            invoice_edi_format="ubl_bis3",
            iban="BE71096123456769",
        )
        cls.buyer_de = cls._create_buyer(
            name="Maschinenbau Schmidt GmbH",
            street="Hauptstraße 5",
            zip="10115",
            city="Berlin",
            country_id=cls.env.ref("base.de").id,
            vat="DE257486969",
            invoice_edi_format="xrechnung",
            iban="DE89370400440532013000",
        )
        cls.connection_nl = cls._create_connection(cls.buyer_nl, cls.pricelist_eur, "devries")
        cls.connection_be = cls._create_connection(cls.buyer_be, cls.pricelist_eur, "janssens")
        cls.connection_de = cls._create_connection(cls.buyer_de, cls.pricelist_usd, "schmidt")

    @classmethod
    def get_default_groups(cls):
        return (
            super().get_default_groups()
            | cls.env.ref("sales_team.group_sale_manager")
            | cls.env.ref("oci_punchout.group_punchout_manager")
        )

    @classmethod
    def _create_buyer(cls, iban, **values):
        """A buyer company with its bank account: credit notes are paid out to it (Odoo
        requires the recipient bank of a Dutch supplier's credit note, see NL-R-007)."""
        return cls.env["res.partner"].create(
            {
                "is_company": True,
                "email": f"crediteuren@{values['name'].split()[0].lower()}.example",
                "bank_ids": [Command.create({"acc_number": iban})],
                **values,
            }
        )

    @classmethod
    def _create_connection(cls, buyer, pricelist, code):
        portal_partner = cls.env["res.partner"].create(
            {"name": f"Punchout {buyer.name}", "parent_id": buyer.id}
        )
        portal_user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": f"punchout@{code}.example",
                    "partner_id": portal_partner.id,
                    "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
                }
            )
        )
        return cls.env["punchout.connection"].create(
            {
                "name": f"{buyer.name} SAP",
                "code": code,
                "partner_id": buyer.id,
                "user_id": portal_user.id,
                "pricelist_id": pricelist.id,
                "website_id": cls.website.id,
                "company_id": cls.company_data["company"].id,
                "test_mode": False,
            }
        )

    # ------------------------------------------------------------------
    # helpers
    # ------------------------------------------------------------------

    def punchout_order(self, connection, po_number, lines, **po_values):
        """A transferred punchout quotation, ordered by the buyer's purchase order through the
        order matcher, as a real purchase order is.

        ``lines``: [(product, quantity, discount %, PO line number, buyer's part id)]."""
        quotation = self.env["sale.order"].create(
            {
                "partner_id": connection.partner_id.id,
                "pricelist_id": connection.pricelist_id.id,
                "punchout_connection_id": connection.id,
                "order_line": [
                    Command.create(
                        {"product_id": product.id, "product_uom_qty": quantity, "discount": disc}
                    )
                    for product, quantity, disc, _number, _part in lines
                ],
            }
        )
        quotation.state = "sent"
        purchase_order = cxml.OrderRequest(
            order_id=po_number,
            order_date=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
            items=[
                cxml.Item(
                    quantity=Decimal(str(quantity)),
                    line_number=number,
                    supplier_part_id=product.default_code,
                    supplier_part_auxiliary_id=quotation._punchout_line_reference(line),
                    buyer_part_id=part or "",
                )
                for line, (product, quantity, _disc, number, part) in zip(
                    quotation.order_line, lines, strict=True
                )
            ],
            **po_values,
        )
        order, notes = self.env["punchout.order.matcher"]._process(
            connection, purchase_order, payload_id=f"{po_number}@buyer.example"
        )
        self.assertEqual(order, quotation)
        self.assertFalse(notes)
        self.assertEqual(order.state, "sale")
        return order

    def invoice(self, orders):
        invoice = orders._create_invoices()
        invoice.action_post()
        return invoice

    def refund(self, invoice, reason="Retour: beschadigd geleverd", adjust=None):
        """A credit note of ``invoice`` through the reversal wizard, posted. ``adjust`` may
        change the draft (a partial credit note) before it is posted."""
        wizard = (
            self.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": reason, "journal_id": invoice.journal_id.id})
        )
        credit_note = self.env["account.move"].browse(wizard.refund_moves()["res_id"])
        if adjust:
            adjust(credit_note)
        credit_note.action_post()
        self.assertEqual(credit_note.reversed_entry_id, invoice)
        return credit_note

    def render(self, move, formats):
        """{format: XML} of ``move``, with no blocking error from Odoo's own checks."""
        documents = {}
        for edi_format in formats:
            builder = move.partner_id._get_edi_builder(edi_format)
            documents[edi_format], errors = builder._export_invoice(move)
            self.assertFalse(errors, f"{move.name} {edi_format}: Odoo's own checks: {errors}")
        return documents

    @staticmethod
    def check(documents):
        """Findings of the official rules for each (format, XML) of ``documents``.

        The rules run in a child process, as on a server: Saxon (GraalVM) aborts a process
        whose address space Odoo limits (--limit-memory-hard). One child for all documents:
        it compiles the rule sets named (about a second each)."""
        return einvoice_rules.validate_in_subprocess(
            [(RULE_SET_BY_FORMAT[edi_format], xml) for edi_format, xml in documents],
            RULES_DIR,
            xsd_dir=XSD_DIR,
        )

    def assert_valid(self, documents):
        """``documents``: [(move, format, XML)]; none may have a fatal finding."""
        results = self.check([(edi_format, xml) for _move, edi_format, xml in documents])
        problems = [
            f"{move.name} {edi_format} ({RULE_SET_BY_FORMAT[edi_format]}): {finding} "
            f"at {finding.location}"
            for (move, edi_format, _xml), findings in zip(documents, results, strict=True)
            for finding in einvoice_rules.fatal(findings)
        ]
        self.assertFalse(problems, "fatal findings of the official rules:\n" + "\n".join(problems))

    def export_all(self, move, formats=ALL_FORMATS):
        """{format: parsed document} of ``move``, every one valid by the official rules."""
        documents = self.render(move, formats)
        self.assert_valid([(move, fmt, xml) for fmt, xml in documents.items()])
        return {fmt: etree.fromstring(xml) for fmt, xml in documents.items()}

    def export(self, move, edi_format):
        return self.export_all(move, (edi_format,))[edi_format]

    def export_with_credit_note(self, invoice, formats=ALL_FORMATS):
        """The invoice exported when it is sent (still unpaid), then a full credit note of it,
        all valid by the official rules: [(move, format, parsed document)]."""
        documents = [(invoice, fmt, xml) for fmt, xml in self.render(invoice, formats).items()]
        credit_note = self.refund(invoice)
        documents += [
            (credit_note, fmt, xml) for fmt, xml in self.render(credit_note, formats).items()
        ]
        self.assert_valid(documents)
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
        return self.punchout_order(
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
        invoice = self.invoice(order)
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
        invoice = self.invoice(order)
        credit_note = self.refund(invoice)
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
        invoice = self.invoice(order)

        def credit_the_coffee_only(credit_note):
            coffee = credit_note.invoice_line_ids.filtered(
                lambda line: line.product_id == self.coffee
            )
            (credit_note.invoice_line_ids - coffee).unlink()
            coffee.quantity = 2

        credit_note = self.refund(invoice, "2 pakken koffie retour", credit_the_coffee_only)
        for edi_format, root in self.export_all(credit_note).items():
            with self.subTest(edi_format=edi_format):
                # No reference named by the PO: the partner's reference, Odoo's default.
                self.assert_references(root, order, [(30, "MAT-300001")], "DV-1001")
                self.assert_tax_categories(root, {("S", 9.0)})

    def test_connection_buyer_reference_wins(self):
        self.connection_nl.invoice_buyer_reference = "00000001234567890000"
        order = self.nl_order(extrinsics={"Kostenstelle": "KST-4711"})
        invoice = self.invoice(order)
        for root in self.export_all(invoice).values():
            self.assertEqual(self.texts(root, "cbc:BuyerReference"), ["00000001234567890000"])

    def test_without_any_buyer_reference(self):
        """No reference from the PO, the connection or the partner: no BuyerReference at all,
        the PO number alone satisfies PEPPOL-EN16931-R003."""
        self.buyer_nl.ref = False
        order = self.nl_order()
        self.assertFalse(order.punchout_buyer_reference)
        invoice = self.invoice(order)
        for root in self.export_all(invoice, ("ubl_bis3", "nlcius")).values():
            self.assertEqual(self.texts(root, "cbc:BuyerReference"), [])
            self.assertEqual(self.texts(root, "cac:OrderReference/cbc:ID"), ["4500012345"])

    def test_two_purchase_orders_on_one_invoice(self):
        """One invoice for two POs: BT-13 holds one PO only, so Odoo's reference stays and no
        PO line number is given (it would be ambiguous); the buyer's part numbers are."""
        first = self.nl_order("4500000001")
        second = self.punchout_order(
            self.connection_nl, "4500000002", [(self.paper, 10, 0.0, 10, "MAT-200017")]
        )
        invoice = self.invoice(first | second)
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
        order = self.punchout_order(
            self.connection_be,
            "PO-2026-0815",
            [(self.chair, 2, 5.0, 1, "BE-77-001"), (self.coffee, 10, 0.0, 2, "BE-77-002")],
            extrinsics={"BuyerReference": "AP-JANSSENS-7", "CostCenter": "KP-12"},
        )
        self.assertEqual(order.fiscal_position_id, self.fiscal_position_eu)
        self.assertEqual(
            (self.buyer_be.peppol_eas, self.buyer_be.peppol_endpoint), ("0208", "0477472701")
        )
        invoice = self.invoice(order)
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
        order = self.punchout_order(
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
        invoice = self.invoice(order)
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
        invoice = self.invoice(order)
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
        punchout_invoice = self.invoice(self.nl_order())
        builder = self.buyer_nl._get_edi_builder("ubl_bis3")
        with self.odoo_only():
            odoo = builder._export_invoice(punchout_invoice)
        self.assertNotEqual(builder._export_invoice(punchout_invoice), odoo)

    def test_rules_catch_a_broken_copy(self):
        """The check is real: without OrderReference and BuyerReference the official Peppol
        rules report PEPPOL-EN16931-R003 as fatal."""
        invoice = self.invoice(self.nl_order(extrinsics={"CostCenter": "KST-4711"}))
        root = self.export(invoice, "ubl_bis3")
        for path in ("cac:OrderReference", "cbc:BuyerReference"):
            (node,) = root.xpath(path, namespaces=NS)
            root.remove(node)
        (findings,) = self.check([("ubl_bis3", etree.tostring(root))])
        self.assertIn(
            "PEPPOL-EN16931-R003",
            [finding.rule_id for finding in einvoice_rules.fatal(findings)],
        )

    def test_rules_catch_a_missing_kvk_endpoint(self):
        """Odoo derives EAS 0106 (KvK) for Dutch partners but never their endpoint, and its own
        checks miss it: the official rules do not (hence the endpoints set up above)."""
        invoice = self.invoice(self.nl_order())
        self.company_data["company"].partner_id.peppol_endpoint = False
        documents = self.render(invoice, ("ubl_bis3", "nlcius"))
        results = self.check(documents.items())
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
