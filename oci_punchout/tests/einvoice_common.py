"""The world of the e-invoicing tests: a Dutch supplier invoicing punchout orders.

A Dutch B.V. (l10n_nl chart) sells office supplies to a Dutch, a Belgian and a German buyer,
each with a portal user and a punchout connection; their purchase orders come in through the
order matcher, as real ones do. Shared by the UBL export tests and the sending tests.
"""

from datetime import datetime, timezone
from decimal import Decimal

from odoo import Command

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from ..protocol import cxml, einvoice_rules
from .common import SHARED

EINVOICE_RULES_DIR = SHARED / "testdata/einvoice-rules"
UBL_XSD_DIR = SHARED / "testdata/ubl-2.1/xsd"
# Odoo's invoice_edi_format -> the official rule set its XML must pass. There is no XRechnung
# rule file in the shared test data: XRechnung is a CIUS of EN 16931, so it must pass that core.
RULE_SET_BY_FORMAT = {**einvoice_rules.RULE_SET_BY_EDI_FORMAT, "xrechnung": "en16931"}


class EinvoiceCommon(AccountTestInvoicingCommon):
    """A Dutch supplier (l10n_nl chart) invoicing punchout orders of Dutch, Belgian and German
    buyers, each with a portal user and a punchout connection.

    The test user is AccountTestInvoicingCommon's accountant, who only invoices: the
    connections are set up by a punchout manager (``sudo``)."""

    @classmethod
    @AccountTestInvoicingCommon.setup_country("nl")
    def setUpClass(cls):
        super().setUpClass()
        cls.usd = cls.setup_other_currency("USD")

        # The supplier: a Dutch B.V. as it is registered (VAT, KvK, address, IBAN) and reachable
        # on Peppol under its KvK number (EAS 0106: NL-R-003 allows KvK or OIN only).
        cls.company = cls.company_data["company"]
        cls.company.write(
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
        cls.company.partner_id.write({"peppol_eas": "0106", "peppol_endpoint": "77777677"})
        cls.iban = cls.env["res.partner.bank"].create(
            {
                "acc_number": "NL91ABNA0417164300",
                "partner_id": cls.company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        cls.website = cls.env["website"].create({"name": "Van Dijk", "company_id": cls.company.id})

        ChartTemplate = cls.env["account.chart.template"].with_company(cls.company)
        cls.tax_21 = ChartTemplate.ref("btw_21")
        cls.tax_9 = ChartTemplate.ref("btw_9")
        cls.tax_intra_eu = ChartTemplate.ref("btw_X0_producten")
        cls.fiscal_position_eu = ChartTemplate.ref("fiscal_position_template_eu")

        cls.chair, cls.paper, cls.coffee, cls.handbook = (
            cls._create_product(
                name=name,
                default_code=code,
                company_id=cls.company.id,
                lst_price=price,
                taxes_id=[Command.set(tax.ids)],
            )
            for name, code, price, tax in (
                ("Bureaustoel Ergo 300", "VD-CHAIR-300", 249.0, cls.tax_21),
                ("Kopieerpapier A4 80 g, doos van 5 pakken", "VD-PAP-A4", 24.95, cls.tax_21),
                ("Koffiebonen biologisch 1 kg", "VD-COF-1KG", 18.40, cls.tax_9),
                ("Handboek Arbo 2025", "VD-BOOK-ARBO", 39.50, cls.tax_9),
            )
        )

        cls.pricelist_eur = cls.env["product.pricelist"].create(
            {"name": "Punchout EUR", "currency_id": cls.company.currency_id.id}
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
            iban="BE71096123456769",
        )
        cls.buyer_de = cls._create_buyer(
            name="Maschinenbau Schmidt GmbH",
            street="Hauptstraße 5",
            zip="10115",
            city="Berlin",
            country_id=cls.env.ref("base.de").id,
            vat="DE257486969",
            iban="DE89370400440532013000",
        )

        # Each connection makes its invoice format and channel the buyer's defaults.
        cls.connection_nl = cls._create_connection(
            cls.buyer_nl,
            cls.pricelist_eur,
            "devries",
            protocol="oci",
            invoice_edi_format="nlcius",
            invoice_sending_method="email",
            invoice_email="facturen@devries.example",
        )
        cls.connection_be = cls._create_connection(
            cls.buyer_be,
            cls.pricelist_eur,
            "janssens",
            protocol="oci",
            invoice_edi_format="ubl_bis3",
        )
        cls.connection_de = cls._create_connection(
            cls.buyer_de,
            cls.pricelist_usd,
            "schmidt",
            protocol="cxml",
            system_name="SAP Ariba",
            cxml_buyer_identity="AN01000000099",
            cxml_supplier_identity="AN01000000001",
            cxml_outbound_secret="our-invoice-secret",
            cxml_invoice_url="https://buyer.example/cxml/invoice",
            invoice_edi_format="cxml",
            invoice_sending_method="punchout_cxml",
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
    def _create_connection(cls, buyer, pricelist, code, **values):
        """A production connection of ``buyer`` with its portal user, set up by a punchout
        manager."""
        portal_partner = cls.env["res.partner"].create(
            {
                "name": f"Punchout {buyer.name}",
                "email": f"punchout@{code}.example",
                "parent_id": buyer.id,
            }
        )
        portal_user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": f"punchout@{code}.example",
                    "partner_id": portal_partner.id,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set(cls.env.ref("base.group_portal").ids)],
                }
            )
        )
        system_name = values.get("system_name", "SAP")
        return (
            cls.env["punchout.connection"]
            .sudo()
            .create(
                {
                    "name": f"{buyer.name} {system_name}",
                    "code": code,
                    "partner_id": buyer.id,
                    "user_id": portal_user.id,
                    "pricelist_id": pricelist.id,
                    "website_id": cls.website.id,
                    "company_id": cls.company.id,
                    "test_mode": False,
                    **values,
                }
            )
            .sudo(False)
        )

    # ------------------------------------------------------------------
    # orders, invoices, credit notes
    # ------------------------------------------------------------------

    def _punchout_order(self, connection, po_number, lines, **po_values):
        """A transferred punchout quotation, ordered by the buyer's purchase order through the
        order matcher, as a real purchase order is.

        ``lines``: [(product, quantity, discount %, PO line number, buyer's part id or None)];
        ``po_values``: more of the purchase order (``extrinsics``, ``contacts``...)."""
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

    def _invoice(self, orders):
        """The posted invoice of ``orders``."""
        invoice = orders._create_invoices()
        invoice.action_post()
        return invoice

    def _credit_note(self, invoice, reason="Retour: beschadigd geleverd", adjust=None):
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

    # ------------------------------------------------------------------
    # the official rules
    # ------------------------------------------------------------------

    @staticmethod
    def _check_rules(documents):
        """Findings of the official rules for each (format, XML) of ``documents``.

        The rules run in a child process, as on a server: Saxon (GraalVM) aborts a process
        whose address space Odoo limits (--limit-memory-hard). One child for all documents:
        it compiles the rule sets named (about a second each)."""
        return einvoice_rules.validate_in_subprocess(
            [(RULE_SET_BY_FORMAT[edi_format], xml) for edi_format, xml in documents],
            EINVOICE_RULES_DIR,
            xsd_dir=UBL_XSD_DIR,
        )

    def _assert_valid(self, documents):
        """``documents``: [(move, format, XML)]; none may have a fatal finding."""
        results = self._check_rules([(edi_format, xml) for _move, edi_format, xml in documents])
        problems = [
            f"{move.name} {edi_format} ({RULE_SET_BY_FORMAT[edi_format]}): {finding} "
            f"at {finding.location}"
            for (move, edi_format, _xml), findings in zip(documents, results, strict=True)
            for finding in einvoice_rules.fatal(findings)
        ]
        self.assertFalse(problems, "fatal findings of the official rules:\n" + "\n".join(problems))
