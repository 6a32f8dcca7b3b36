from odoo import Command, fields

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import SHARED

EINVOICE_RULES_DIR = SHARED / "testdata/einvoice-rules"
UBL_XSD_DIR = SHARED / "testdata/ubl-2.1/xsd"
CXML_INVOICE_DTD = SHARED / "testdata/cxml/dtd/1.2.037/InvoiceDetail.dtd"


class EinvoiceCommon(AccountTestInvoicingCommon):
    """A Dutch supplier (l10n_nl chart) invoicing punchout orders of Dutch, Belgian and German
    buyers, each with a portal user and a punchout connection."""

    @classmethod
    @AccountTestInvoicingCommon.setup_country("nl")
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.company.write(
            {
                "name": "Kantoorartikelen Leverancier B.V.",
                "street": "Keizersgracht 100",
                "zip": "1015 CV",
                "city": "Amsterdam",
                "vat": "NL000099998B57",
                "company_registry": "34567890",
                "email": "facturen@leverancier.example",
                "phone": "+31 20 123 4567",
            }
        )
        cls.company.partner_id.peppol_eas = "0106"
        cls.company.partner_id.peppol_endpoint = "34567890"
        cls.bank_account = cls.env["res.partner.bank"].create(
            {
                "acc_number": "NL91ABNA0417164300",
                "partner_id": cls.company.partner_id.id,
                "allow_out_payment": True,
            }
        )
        cls.website = cls.env.ref("website.default_website")
        cls.pricelist = cls.env["product.pricelist"].create(
            {"name": "Punchout buyers", "currency_id": cls.company.currency_id.id}
        )
        cls.product_a.default_code = "PAPER-A4"
        cls.product_b.default_code = "TONER-B"

        cls.buyer_nl = cls._create_buyer(
            "Inkoper Nederland B.V.",
            "NL",
            vat="NL123456782B01",
            company_registry="12345678",
            peppol_eas="0106",
            peppol_endpoint="12345678",
            street="Stationsplein 1",
            zip="3511 ED",
            city="Utrecht",
        )
        cls.buyer_be = cls._create_buyer(
            "Acheteur Belgique SA",
            "BE",
            vat="BE0477472701",
            street="Rue de la Loi 16",
            zip="1000",
            city="Brussel",
        )
        cls.buyer_de = cls._create_buyer(
            "Einkauf Deutschland GmbH",
            "DE",
            vat="DE123456788",
            street="Unter den Linden 1",
            zip="10117",
            city="Berlin",
        )
        cls.connection_nl = cls._create_connection(cls.buyer_nl, "ubl-nl", protocol="oci")
        cls.connection_be = cls._create_connection(cls.buyer_be, "ubl-be", protocol="oci")
        cls.connection_de = cls._create_connection(
            cls.buyer_de,
            "cxml-de",
            protocol="cxml",
            cxml_buyer_identity="AN01000000099",
            cxml_supplier_identity="AN01000000001",
            cxml_outbound_secret="our-invoice-secret",
            cxml_invoice_url="https://buyer.example/cxml/invoice",
        )

    @classmethod
    def _create_buyer(cls, name, country_code, **values):
        return cls.env["res.partner"].create(
            {
                "name": name,
                "is_company": True,
                "country_id": cls.env.ref(f"base.{country_code.lower()}").id,
                "email": f"ap@{country_code.lower()}.buyer.example",
                **values,
            }
        )

    @classmethod
    def _create_connection(cls, buyer, code, **values):
        contact = cls.env["res.partner"].create(
            {"name": f"Requester {code}", "email": f"{code}@buyer.example", "parent_id": buyer.id}
        )
        user = (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": f"{code}@buyer.example",
                    "partner_id": contact.id,
                    "company_id": cls.company.id,
                    "company_ids": [Command.set(cls.company.ids)],
                    "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
                }
            )
        )
        # Set up by a punchout manager; the accountant of these tests only invoices.
        return (
            cls.env["punchout.connection"]
            .sudo()
            .create(
                {
                    "name": f"{buyer.name} ({code})",
                    "code": code,
                    "company_id": cls.company.id,
                    "website_id": cls.website.id,
                    "partner_id": buyer.id,
                    "pricelist_id": cls.pricelist.id,
                    "user_id": user.id,
                    **values,
                }
            )
            .sudo(False)
        )

    @classmethod
    def _punchout_order(cls, connection, lines, po_number="4500012345", **values):
        """A confirmed sale order as a buyer's purchase order makes it.

        ``lines``: dicts with ``product`` and optional ``quantity``, ``price``, ``discount``,
        ``taxes`` (recordset), ``po_line`` and ``buyer_part``.
        """
        order_lines = []
        for index, line in enumerate(lines, 1):
            product = line["product"]
            line_values = {
                "product_id": product.id,
                "product_uom_qty": line.get("quantity", 1.0),
                "price_unit": line.get("price", product.lst_price),
                "discount": line.get("discount", 0.0),
                "punchout_po_line_number": line.get("po_line", index * 10),
                "punchout_buyer_part_id": line.get("buyer_part", False),
            }
            if "taxes" in line:
                line_values["tax_id"] = [Command.set(line["taxes"].ids)]
            order_lines.append(Command.create(line_values))
        order = cls.env["sale.order"].create(
            {
                "partner_id": connection.partner_id.id,
                "company_id": cls.company.id,
                "client_order_ref": po_number,
                "punchout_connection_id": connection.id,
                "punchout_po_number": po_number,
                "punchout_po_payload_id": f"{po_number}@buyer.example",
                "punchout_po_date": fields.Datetime.now(),
                "order_line": order_lines,
                **values,
            }
        )
        order.action_confirm()
        return order

    @classmethod
    def _invoice(cls, order, post=True):
        invoice = order._create_invoices()
        invoice.invoice_date = fields.Date.today()
        if post:
            invoice.action_post()
        return invoice

    @classmethod
    def _credit_note(cls, invoice, reason="Damaged goods"):
        reversal = (
            cls.env["account.move.reversal"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({"reason": reason, "journal_id": invoice.journal_id.id})
        )
        refund = cls.env["account.move"].browse(reversal.refund_moves()["res_id"])
        refund.action_post()
        return refund
