from collections import defaultdict
from decimal import Decimal

import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext

from ..protocol import cxml


def _decimal(value):
    return Decimal(str(value))


class AccountMove(models.Model):
    _inherit = "account.move"

    punchout_message_ids = fields.One2many(
        "punchout.message", "move_id", string="Punchout Documents", readonly=True
    )
    punchout_cxml_message_id = fields.Many2one(
        "punchout.message",
        string="cXML Invoice Document",
        compute="_compute_punchout_cxml_state",
    )
    punchout_cxml_state = fields.Selection(
        [
            ("pending", "Waiting for the buyer's system"),
            ("done", "Accepted by the buyer's system"),
            ("refused", "Refused by the buyer's system"),
            ("error", "Not delivered"),
        ],
        string="cXML Invoice",
        compute="_compute_punchout_cxml_state",
    )
    punchout_cxml_error = fields.Text(
        string="cXML Invoice Error", compute="_compute_punchout_cxml_state"
    )

    @api.depends(
        "punchout_message_ids.state",
        "punchout_message_ids.refused",
        "punchout_message_ids.withdrawn",
    )
    def _compute_punchout_cxml_state(self):
        for move in self:
            message = move.punchout_message_ids.filtered(
                lambda m: m.kind == "cxml_invoice" and m.direction == "out"
            ).sorted("id", reverse=True)[:1]
            move.punchout_cxml_message_id = message
            if not message or message.withdrawn:
                move.punchout_cxml_state = False
            elif message.refused:
                move.punchout_cxml_state = "refused"
            else:
                move.punchout_cxml_state = message.state
            move.punchout_cxml_error = move.punchout_cxml_state not in (False, "done") and (
                message.error
            )

    # ------------------------------------------------------------------
    # The buyer's references
    # ------------------------------------------------------------------

    def _get_punchout_orders(self):
        """The buyer's purchase orders this invoice (or credit note) bills: sale orders with a
        PO number, through the invoice lines (credit notes keep the lines' sale order links)."""
        self.ensure_one()
        orders = self.invoice_line_ids.sale_line_ids.order_id
        if not orders and self.reversed_entry_id:
            orders = self.reversed_entry_id.invoice_line_ids.sale_line_ids.order_id
        return orders.filtered("punchout_po_number")

    def _get_punchout_connection(self):
        """The connection of the orders billed, else the buyer company's connection."""
        self.ensure_one()
        connection = self._get_punchout_orders().sudo().punchout_connection_id[:1]
        if connection:
            return connection
        return (
            self.env["punchout.connection"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", self.commercial_partner_id.id),
                    ("company_id", "=", self.company_id.id),
                ],
                order="test_mode, id",
                limit=1,
            )
        )

    def _get_punchout_po_number(self):
        """The PO number (BT-13) when the invoice bills exactly one purchase order."""
        self.ensure_one()
        numbers = set(self._get_punchout_orders().mapped("punchout_po_number"))
        return numbers.pop() if len(numbers) == 1 else False

    def _get_punchout_buyer_reference(self):
        """BuyerReference (BT-10): the connection's fixed value, else the requester or cost
        centre the purchase order named."""
        self.ensure_one()
        connection = self._get_punchout_connection()
        if connection.invoice_buyer_reference:
            return connection.invoice_buyer_reference
        references = self._get_punchout_orders().filtered("punchout_buyer_reference")
        return references[:1].punchout_buyer_reference or False

    def _get_punchout_missing_data(self, channel):
        """What keeps the buyer's system from taking this invoice, as sentences (empty: ready).

        ``channel`` is ``"ubl"`` (Peppol formats) or ``"cxml"``.
        """
        self.ensure_one()
        problems = []
        buyer = self.commercial_partner_id
        supplier = self.company_id.partner_id.commercial_partner_id
        if len(set(self._get_punchout_orders().mapped("punchout_po_number"))) > 1:
            problems.append(
                self.env._(
                    "%(invoice)s bills several purchase orders: the buyer's system matches an "
                    "invoice to one purchase order, invoice each one separately.",
                    invoice=self.display_name,
                )
            )
        elif not self._get_punchout_po_number() and (
            channel == "cxml" or not self._get_punchout_buyer_reference()
        ):
            # Peppol takes a BuyerReference instead; a cXML invoice needs the order.
            problems.append(
                self.env._(
                    "%(invoice)s has no purchase order number of the buyer: invoice the "
                    "confirmed punchout order, not a free invoice.",
                    invoice=self.display_name,
                )
            )
        if not supplier.vat:
            problems.append(self.env._("Your company has no VAT number."))
        if not buyer.vat:
            problems.append(
                self.env._("The buyer %(buyer)s has no VAT number.", buyer=buyer.display_name)
            )
        if channel == "ubl" and not (buyer.peppol_eas and buyer.peppol_endpoint):
            problems.append(
                self.env._(
                    "The buyer %(buyer)s has no Peppol endpoint (electronic address).",
                    buyer=buyer.display_name,
                )
            )
        if channel == "cxml":
            connection = self._get_punchout_connection()
            if not connection.cxml_invoice_url:
                problems.append(
                    self.env._(
                        "The punchout connection of %(buyer)s has no invoice URL.",
                        buyer=buyer.display_name,
                    )
                )
            if not connection.cxml_buyer_identity:
                problems.append(
                    self.env._(
                        "The punchout connection of %(buyer)s has no cXML buyer identity.",
                        buyer=buyer.display_name,
                    )
                )
        return problems

    # ------------------------------------------------------------------
    # cXML invoice (InvoiceDetailRequest)
    # ------------------------------------------------------------------

    def _punchout_cxml_invoice(self):
        """The invoice as a protocol dataclass (credit notes as creditMemo)."""
        self.ensure_one()
        connection = self._get_punchout_connection()
        order = self._get_punchout_orders()[:1]
        currency = self.currency_id

        def money(amount):
            return cxml.Money(_decimal(currency.round(amount)), currency.name)

        price_digits = self.env["decimal.precision"].precision_get("Product Price")
        lines = self.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        tax_amounts = defaultdict(float)
        for tax_line in self.line_ids.filtered(lambda line: line.display_type == "tax"):
            tax_amounts[tax_line.tax_line_id] += abs(tax_line.amount_currency)
        taxes = {}
        items = []
        for number, line in enumerate(lines, 1):
            tax = line.tax_ids[:1]
            percentage = _decimal(
                sum(line.tax_ids.filtered(lambda t: t.amount_type == "percent").mapped("amount"))
            )
            summary = taxes.setdefault(
                tax,
                {"percentage": percentage, "base": 0.0, "tax": tax_amounts.get(tax, 0.0)},
            )
            summary["base"] += line.price_subtotal
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
                    unit_of_measure=connection._get_unit_code(line.product_uom_id),
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
                    ),
                    gross_amount=money(line.price_unit * line.quantity) if discounted else None,
                    discount_amount=(
                        money(line.price_unit * line.quantity - line.price_subtotal)
                        if discounted
                        else None
                    ),
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
            )
            for tax, values in taxes.items()
        ]
        term_days = None
        if self.invoice_date and self.invoice_date_due:
            term_days = (self.invoice_date_due - self.invoice_date).days
        refund = self.move_type == "out_refund"
        original = self.reversed_entry_id
        # A credit note of an invoice the buyer's system took as cXML credits its lines; any
        # other credit note is a header-level credit memo (totals per VAT rate, no lines).
        original_document = original.punchout_message_ids.filtered(
            lambda m: m.kind == "cxml_invoice" and m.state == "done"
        )[:1]
        original_payload_id = original_document and cxml.payload_id_of(original_document.payload)
        purpose = "standard"
        if refund:
            purpose = "lineLevelCreditMemo" if original_payload_id else "creditMemo"
        return cxml.InvoiceDetailRequest(
            invoice_id=self.name,
            invoice_date=fields.Datetime.to_datetime(self.invoice_date),
            order_id=order.punchout_po_number or "",
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
            partners=self._punchout_cxml_partners(),
            items=items,
            subtotal=money(self.amount_untaxed),
            taxes=tax_details,
            total_tax=money(self.amount_tax),
            gross_amount=money(self.amount_total),
            net_amount=money(self.amount_total),
            due_amount=money(self.amount_total),
            payment_term_days=term_days,
            comments=html2plaintext(self.narration or "").strip(),
        )

    def _punchout_cxml_partners(self):
        """Who invoices (from, remitTo: us, with our VAT and bank account) and who is invoiced
        (soldTo: the buyer company, billTo: the invoice address), with their VAT numbers."""
        self.ensure_one()
        supplier = self.company_id.partner_id
        buyer = self.commercial_partner_id
        bank = self.partner_bank_id
        bank_ids = []
        if bank:
            domain = "ibanID" if bank.acc_type == "iban" else "accountID"
            bank_ids.append((domain, bank.sanitized_acc_number))
        roles = (
            ("from", supplier, supplier, []),
            ("remitTo", supplier, supplier, bank_ids),
            ("soldTo", buyer, buyer, []),
            ("billTo", self.partner_id, buyer, []),
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

    def _punchout_cxml_document(self):
        """The InvoiceDetailRequest bytes (with our shared secret) for this invoice."""
        self.ensure_one()
        connection = self._get_punchout_connection()
        return cxml.build_invoice_detail_request(
            self.env["punchout.cxml"]._header(connection, with_secret=True),
            self._punchout_cxml_invoice(),
            deployment_mode="test" if connection.test_mode else "production",
        )

    def _punchout_live_cxml_message(self):
        """The cXML document of this invoice still valid: not refused, not withdrawn."""
        self.ensure_one()
        return self.punchout_message_ids.filtered(
            lambda m: (
                m.kind == "cxml_invoice"
                and m.direction == "out"
                and not m.refused
                and not m.withdrawn
            )
        )

    def _punchout_send_cxml_invoice(self, document=None):
        """Post this invoice to the buyer's system, once: a live document is posted again as it
        is (same payloadID) until the buyer's system takes or refuses it, never built twice.

        :param document: the InvoiceDetailRequest already built for this Send, if any
        """
        self.ensure_one()
        current = self._punchout_live_cxml_message()
        if current.state == "done":
            return current
        if current:
            if current.state == "error":
                # Not delivered after every retry: the accountant starts a new round.
                current.sudo().attempt_count = 0
            current._send()
            return current
        problems = self._get_punchout_missing_data("cxml")
        if problems:
            raise UserError("\n".join(problems))
        document = document or self._punchout_build_cxml_document()
        connection = self._get_punchout_connection()
        try:
            with self.env.cr.savepoint():
                current = self.env["punchout.message"]._log(
                    "cxml_invoice",
                    "out",
                    "cxml",
                    cxml.redact_secrets(document),
                    connection_id=connection.id,
                    order_id=self._get_punchout_orders()[:1].id,
                    move_id=self.id,
                    state="pending",
                    dedup_key=f"{connection.id}:invoice:{self.id}",
                    next_attempt_at=fields.Datetime.now(),
                )
                self.env.flush_all()
        except psycopg2.IntegrityError:
            raise UserError(
                self.env._(
                    "%(invoice)s is being sent to the buyer's system by someone else right now.",
                    invoice=self.display_name,
                )
            ) from None
        current._send()
        return current

    def _punchout_build_cxml_document(self):
        """:func:`_punchout_cxml_document`, with what keeps it from being built as a UserError."""
        self.ensure_one()
        try:
            return self._punchout_cxml_document()
        except ValueError as exc:
            raise UserError(
                self.env._(
                    "The cXML invoice of %(invoice)s cannot be built: %(reason)s",
                    invoice=self.display_name,
                    reason=exc,
                )
            ) from exc

    def button_draft(self):
        """An invoice the buyer's system took is corrected with a credit note; one still on its
        way is withdrawn, so that an outdated invoice is never delivered."""
        for move in self:
            live = move._punchout_live_cxml_message()
            if live.state == "done":
                raise UserError(
                    self.env._(
                        "The buyer's system has accepted %(invoice)s: correct it with a credit "
                        "note.",
                        invoice=move.display_name,
                    )
                )
            live.sudo().write(
                {
                    "withdrawn": True,
                    "state": "error",
                    "error": self.env._(
                        "Withdrawn: the invoice was reset to draft before the buyer's system "
                        "took it."
                    ),
                }
            )
        return super().button_draft()

    def action_view_punchout_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_message_action"
        )
        action["domain"] = [("move_id", "=", self.id)]
        action["context"] = {}
        return action
