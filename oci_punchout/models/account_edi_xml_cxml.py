from collections import defaultdict
from decimal import Decimal

from odoo import fields, models
from odoo.tools import html2plaintext

from ..protocol import cxml


def _decimal(value):
    return Decimal(str(value))


class AccountEdiXmlCxml(models.AbstractModel):
    """The cXML invoice (InvoiceDetailRequest) of a punchout order, built as Odoo builds every
    e-invoice format: values, then checks, then the document. ``res.partner._get_edi_builder``
    returns it for the ``cxml`` format; the Send wizard posts it to the buyer's system."""

    _name = "account.edi.xml.cxml"
    _inherit = "account.edi.common"
    _description = "cXML Invoice (InvoiceDetailRequest)"

    def _export_invoice_filename(self, invoice):
        return f"{invoice.name.replace('/', '_')}_cxml.xml"

    def _export_invoice(self, invoice):
        """``(document bytes, set of errors)``: the InvoiceDetailRequest with our shared
        secret, or no document and what keeps the buyer's system from taking it."""
        invoice.ensure_one()
        vals = self._export_invoice_vals(invoice)
        errors = {
            error for error in self._export_invoice_constraints(invoice, vals).values() if error
        }
        if errors:
            return b"", errors
        try:
            document = cxml.build_invoice_detail_request(
                vals["header"], vals["invoice"], deployment_mode=vals["deployment_mode"]
            )
        except ValueError as exc:  # a value the DTD does not allow
            return b"", {
                self.env._(
                    "The cXML invoice of %(invoice)s cannot be built: %(reason)s",
                    invoice=invoice.display_name,
                    reason=exc,
                )
            }
        return document, set()

    # ------------------------------------------------------------------
    # Values
    # ------------------------------------------------------------------

    def _export_invoice_vals(self, invoice):
        connection = invoice._get_punchout_connection()
        return {
            "connection": connection,
            "header": self.env["punchout.cxml"]._header(connection, with_secret=True),
            "deployment_mode": "test" if connection.test_mode else "production",
            "invoice": self._get_invoice_detail(invoice, connection),
        }

    def _get_invoice_detail(self, invoice, connection):
        """The invoice as a protocol dataclass (credit notes as credit memos)."""
        order = invoice._get_punchout_orders()[:1]
        currency = invoice.currency_id
        refund = invoice.move_type == "out_refund"
        original = invoice.reversed_entry_id
        # A credit note of an invoice the buyer's system took as cXML credits its lines; any
        # other credit note is a header-level credit memo (totals per VAT rate, no lines).
        original_document = original.punchout_message_ids.filtered(
            lambda m: m.kind == "cxml_invoice" and m.state == "done"
        )[:1]
        original_payload_id = original_document and cxml.payload_id_of(original_document.payload)
        purpose = "standard"
        if refund:
            purpose = "lineLevelCreditMemo" if original_payload_id else "creditMemo"
        term_days = None
        if invoice.invoice_date and invoice.invoice_date_due:
            term_days = (invoice.invoice_date_due - invoice.invoice_date).days
        items, taxes = self._get_invoice_items(invoice, connection)

        def money(amount):
            return cxml.Money(_decimal(currency.round(amount)), currency.name)

        freight = sum(invoice.invoice_line_ids.filtered(_is_freight).mapped("price_subtotal"))

        return cxml.InvoiceDetailRequest(
            invoice_id=invoice.name,
            invoice_date=fields.Datetime.to_datetime(invoice.invoice_date),
            order_id=order._get_punchout_po_number() or "",
            order_payload_id=order.punchout_po_payload_id or "",
            order_date=order.punchout_po_date or None,
            purpose=purpose,
            original_invoice_payload_id=original_payload_id or "",
            original_invoice_id=original.name if refund and original else "",
            original_invoice_date=(
                fields.Datetime.to_datetime(original.invoice_date)
                if refund and original.invoice_date
                else None
            ),
            partners=self._get_invoice_partners(invoice),
            items=items,
            subtotal=money(invoice.amount_untaxed - freight),
            shipping_amount=money(freight) if freight else None,
            taxes=taxes,
            total_tax=money(invoice.amount_tax),
            gross_amount=money(invoice.amount_total),
            net_amount=money(invoice.amount_total),
            due_amount=money(invoice.amount_total),
            payment_term_days=term_days,
            comments=html2plaintext(invoice.narration or "").strip(),
        )

    def _get_invoice_items(self, invoice, connection):
        """``(items, tax details)``: a cXML line per product line, the taxes per rate."""
        currency = invoice.currency_id

        def money(amount):
            return cxml.Money(_decimal(currency.round(amount)), currency.name)

        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        lines = invoice.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        tax_amounts = defaultdict(float)
        for tax_line in invoice.line_ids.filtered(lambda line: line.display_type == "tax"):
            tax_amounts[tax_line.tax_line_id] += abs(tax_line.amount_currency)
        taxes = {}
        items = []
        number = 0
        unit_codes = connection._get_unit_codes(lines.product_uom_id)
        for line in lines:
            tax = line.tax_ids[:1]
            percentage = _decimal(
                sum(line.tax_ids.filtered(lambda t: t.amount_type == "percent").mapped("amount"))
            )
            summary = taxes.setdefault(
                tax,
                {"percentage": percentage, "base": 0.0, "tax": tax_amounts.get(tax, 0.0)},
            )
            summary["base"] += line.price_subtotal
            if _is_freight(line):
                continue  # InvoiceDetailSummary/ShippingAmount: no PO line is freight
            number += 1
            sale_line = line._get_punchout_sale_line()
            product = line.product_id
            net_price = round(
                line.price_unit * (1.0 - (line.discount or 0.0) / 100.0), price_digits
            )
            discounted = line.discount and line.price_unit
            items.append(
                cxml.InvoiceItem(
                    invoice_line_number=number,
                    quantity=_decimal(line.quantity),
                    unit_of_measure=unit_codes[line.product_uom_id.id],
                    unit_price=cxml.Money(_decimal(net_price), currency.name),
                    subtotal=money(line.price_subtotal),
                    order_line_number=sale_line.punchout_po_line_number or None,
                    supplier_part_id=product.default_code or (product and str(product.id)) or "",
                    supplier_part_auxiliary_id=(
                        sale_line and self.env["sale.order"]._punchout_line_reference(sale_line)
                    )
                    or "",
                    buyer_part_id=sale_line.punchout_buyer_part_id or "",
                    description=(line.name or product.display_name or "").strip(),
                    tax=cxml.InvoiceTax(
                        percentage=percentage,
                        taxable_amount=money(line.price_subtotal),
                        tax_amount=money(line.price_total - line.price_subtotal),
                        description=tax.name or "",
                        location=tax.country_id.code or "",
                    ),
                    gross_amount=money(line.price_unit * line.quantity) if discounted else None,
                    discount_amount=(
                        money(line.price_unit * line.quantity - line.price_subtotal)
                        if discounted
                        else None
                    ),
                    discount_percent=_decimal(line.discount) if discounted else None,
                )
            )
        tax_details = [
            cxml.InvoiceTax(
                percentage=values["percentage"],
                taxable_amount=money(values["base"]),
                tax_amount=money(values["tax"]),
                description=tax.name or "",
                exempt_reason=(
                    tax.invoice_label or tax.name or "" if not values["percentage"] else ""
                ),
                location=tax.country_id.code or "",
            )
            for tax, values in taxes.items()
        ]
        return items, tax_details

    def _get_invoice_partners(self, invoice):
        """Who invoices (from, remitTo: us, with our VAT and bank account) and who is invoiced
        (soldTo: the buyer company, billTo: the invoice address), with their VAT numbers."""
        supplier = invoice.company_id.partner_id
        buyer = invoice.commercial_partner_id
        bank = invoice.partner_bank_id
        bank_ids = []
        if bank:
            domain = "ibanID" if bank.acc_type == "iban" else "accountID"
            bank_ids.append((domain, bank.sanitized_acc_number))
        roles = (
            ("from", supplier, supplier, []),
            ("remitTo", supplier, supplier, bank_ids),
            ("soldTo", buyer, buyer, []),
            ("billTo", invoice.partner_id, buyer, []),
        )
        return [
            cxml.InvoicePartner(
                role=role,
                name=partner.commercial_company_name or partner.name,
                address=partner._get_punchout_cxml_address(),
                email=partner.email or "",
                id_references=([("vatID", company.vat)] if company.vat else []) + extra_ids,
            )
            for role, partner, company, extra_ids in roles
        ]

    # ------------------------------------------------------------------
    # Checks
    # ------------------------------------------------------------------

    def _export_invoice_constraints(self, invoice, vals):
        """What keeps the buyer's system from taking the invoice: ``{key: sentence or None}``."""
        connection = vals["connection"]
        buyer = invoice.commercial_partner_id
        constraints = invoice._get_punchout_order_constraints(needs_po_number=True)
        constraints["cxml_invoice_url"] = not connection.cxml_invoice_url and self.env._(
            "The punchout connection of %(buyer)s has no invoice URL.", buyer=buyer.display_name
        )
        constraints["cxml_buyer_identity"] = not connection.cxml_buyer_identity and self.env._(
            "The punchout connection of %(buyer)s has no cXML buyer identity.",
            buyer=buyer.display_name,
        )
        # Each item cites a line of the buyer's purchase order: a line the order does not have
        # must not borrow another line's number.
        lines = invoice.invoice_line_ids.filtered(
            lambda line: line.display_type == "product" and not _is_freight(line)
        )
        po_lines = lines.filtered(
            lambda line: line._get_punchout_sale_line().punchout_po_line_number
        )
        extra = lines - po_lines if po_lines else lines.browse()
        constraints["cxml_lines_not_ordered"] = bool(extra) and self.env._(
            "%(invoice)s bills what the buyer's purchase order has no line for (%(lines)s): the "
            "buyer's system matches each invoice line to a line of its order. Invoice it "
            "separately, or as freight (a delivery line).",
            invoice=invoice.display_name,
            lines=", ".join(extra.mapped(lambda line: line.product_id.display_name or line.name)),
        )
        return constraints


def _is_freight(line):
    """An invoice line that bills the order's delivery (``delivery``'s carrier line)."""
    return any(line.sale_line_ids.mapped("is_delivery"))
