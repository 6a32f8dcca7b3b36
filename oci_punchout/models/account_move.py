import psycopg2

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..protocol import cxml


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
    # The document sent, attached as Odoo attaches UBL files (ubl_cii_xml_id/_file).
    punchout_cxml_xml_id = fields.Many2one(
        "ir.attachment",
        string="cXML Invoice File Attachment",
        compute=lambda self: self._compute_linked_attachment_id(
            "punchout_cxml_xml_id", "punchout_cxml_xml_file"
        ),
        depends=["punchout_cxml_xml_id"],
    )
    punchout_cxml_xml_file = fields.Binary(attachment=True, string="cXML Invoice File", copy=False)

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
        """The buyer's purchase orders this invoice (or credit note) bills: punchout sale orders
        with a PO number (see ``sale.order._get_punchout_po_number``: also a quotation confirmed
        by hand with the PO number as its customer reference), through the invoice lines
        (credit notes keep the lines' sale order links)."""
        self.ensure_one()
        orders = self.invoice_line_ids.sale_line_ids.order_id
        if not orders and self.reversed_entry_id:
            orders = self.reversed_entry_id.invoice_line_ids.sale_line_ids.order_id
        return orders.filtered(lambda order: order._get_punchout_po_number())

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
        numbers = {order._get_punchout_po_number() for order in self._get_punchout_orders()}
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

    def _get_punchout_order_constraints(self, needs_po_number):
        """What keeps the buyer's system from matching this invoice to its purchase order and
        to the parties, for every format: ``{key: sentence or False}``. ``needs_po_number``:
        the format has no other way to name the order (cXML; Peppol takes a BuyerReference)."""
        self.ensure_one()
        buyer = self.commercial_partner_id
        supplier = self.company_id.partner_id.commercial_partner_id
        orders = self._get_punchout_orders()
        several = len({order._get_punchout_po_number() for order in orders}) > 1
        return {
            "punchout_several_orders": several
            and self.env._(
                "%(invoice)s bills several purchase orders: the buyer's system matches an "
                "invoice to one purchase order, invoice each one separately.",
                invoice=self.display_name,
            ),
            "punchout_po_number": not several
            and needs_po_number
            and not self._get_punchout_po_number()
            and self.env._(
                "%(invoice)s has no purchase order number of the buyer: invoice the confirmed "
                "punchout order, not a free invoice.",
                invoice=self.display_name,
            ),
            "punchout_supplier_vat": not supplier.vat
            and self.env._("Your company has no VAT number."),
            "punchout_buyer_vat": not buyer.vat
            and self.env._("The buyer %(buyer)s has no VAT number.", buyer=buyer.display_name),
        }

    # ------------------------------------------------------------------
    # cXML invoice (InvoiceDetailRequest): built by account.edi.xml.cxml
    # ------------------------------------------------------------------

    def _punchout_live_cxml_message(self, kind="cxml_invoice"):
        """The cXML (or S/4HANA: ``kind``) document of this invoice still valid: not refused,
        not withdrawn."""
        self.ensure_one()
        return self.punchout_message_ids.filtered(
            lambda m: m.kind == kind and m.direction == "out" and not m.refused and not m.withdrawn
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
        if not document:
            builder = self.partner_id.commercial_partner_id._get_edi_builder("cxml")
            document, errors = builder._export_invoice(self)
            if errors:
                raise UserError("\n".join(sorted(errors)))
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

    def _punchout_send_s4_invoice(self):
        """Post this invoice to the buyer's S/4HANA (InvoiceRequest), once: a live document is
        posted again as it is until the buyer's system takes or refuses it."""
        self.ensure_one()
        current = self._punchout_live_cxml_message(kind="s4_invoice")
        if current.state == "done":
            return current
        if not current:
            try:
                with self.env.cr.savepoint():
                    current = self.env["punchout.s4"]._queue_invoice(self)
                    self.env.flush_all()
            except psycopg2.IntegrityError:
                raise UserError(
                    self.env._(
                        "%(invoice)s is being sent to the buyer's system by someone else right "
                        "now.",
                        invoice=self.display_name,
                    )
                ) from None
        elif current.state == "error":
            current.sudo().attempt_count = 0
        current._send()
        return current

    def _get_fields_to_detach(self):
        # EXTENDS account: a new document is built after a reset to draft
        return [*super()._get_fields_to_detach(), "punchout_cxml_xml_file"]

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
