from odoo import models


class AccountEdiXmlUblBis3(models.AbstractModel):
    """Peppol BIS 3 (and NLCIUS, XRechnung, which inherit it): the buyer's references on
    invoices of punchout orders.

    Invoices of other orders are left exactly as Odoo makes them: every value below is only set
    when the invoice bills a punchout purchase order.
    """

    _inherit = "account.edi.xml.ubl_bis3"

    def _export_invoice_vals(self, invoice):
        # EXTENDS account_edi_ubl_cii
        vals = super()._export_invoice_vals(invoice)
        if not invoice._get_punchout_orders():
            return vals
        document_vals = vals["vals"]
        # BT-13: the buyer's PO number; Odoo's own reference (the sale order) stays SalesOrderID.
        po_number = invoice._get_punchout_po_number()
        if po_number:
            document_vals["order_reference"] = po_number
        # BT-10: what the buyer's accounts payable routes invoices by; else Odoo's default.
        buyer_reference = invoice._get_punchout_buyer_reference()
        if buyer_reference:
            document_vals["buyer_reference"] = buyer_reference
        # BT-25/BT-26: a credit note names the invoice it corrects by number and date, where
        # Odoo puts the free text of `ref` ("Reversal of: ..."), and only for Dutch suppliers.
        reversed_invoice = invoice.reversed_entry_id
        if vals["document_type"] == "credit_note" and reversed_invoice.name:
            document_vals["billing_reference_vals"] = {
                "id": reversed_invoice.name,
                "issue_date": reversed_invoice.invoice_date,
            }
        if vals["document_type"] == "debit_note":
            # UBL 2.1 has no OrderLineReference in a DebitNoteLine.
            for line_vals in document_vals["line_vals"]:
                line_vals.pop("order_line_reference_vals", None)
        return vals

    def _punchout_export_constraints(self, invoice):
        """What keeps the buyer's system from taking the UBL invoice of a punchout order:
        ``{key: sentence or False}``. Shown by the Send wizard; Odoo's own constraints stay as
        they are for every other invoice."""
        buyer = invoice.commercial_partner_id
        constraints = invoice._get_punchout_order_constraints(
            needs_po_number=not invoice._get_punchout_buyer_reference()
        )
        constraints["punchout_peppol_endpoint"] = not (
            buyer.peppol_eas and buyer.peppol_endpoint
        ) and self.env._(
            "The buyer %(buyer)s has no Peppol endpoint (electronic address).",
            buyer=buyer.display_name,
        )
        return constraints

    def _get_invoice_line_vals(self, line, line_id, taxes_vals):
        # EXTENDS account_edi_ubl_cii
        vals = super()._get_invoice_line_vals(line, line_id, taxes_vals)
        sale_line = line._get_punchout_sale_line()
        # BT-132 refers to a line of the order in BT-13: only when the invoice names that order.
        if (
            sale_line.punchout_po_line_number
            and sale_line.order_id.punchout_po_number == line.move_id._get_punchout_po_number()
        ):
            vals["order_line_reference_vals"] = {
                "line_id": str(sale_line.punchout_po_line_number),
            }
        return vals

    def _get_invoice_line_item_vals(self, line, taxes_vals):
        # EXTENDS account_edi_ubl_cii
        vals = super()._get_invoice_line_item_vals(line, taxes_vals)
        buyer_part_id = line._get_punchout_sale_line().punchout_buyer_part_id
        if buyer_part_id:
            # BT-156: the buyer's material number.
            vals["buyers_item_identification_vals"] = {"id": buyer_part_id}
        return vals
