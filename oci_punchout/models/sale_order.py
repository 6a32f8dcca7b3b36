from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..protocol import orders
from ..protocol.errors import PunchoutProtocolError


class SaleOrder(models.Model):
    _inherit = "sale.order"

    punchout_session_id = fields.Many2one(
        "punchout.session", readonly=True, copy=False, index=True
    )
    punchout_connection_id = fields.Many2one(
        "punchout.connection", readonly=True, copy=False, index=True
    )
    punchout_po_number = fields.Char(
        string="Buyer's PO Number",
        readonly=True,
        copy=False,
        help="Number of the purchase order that ordered this quotation.",
    )
    punchout_po_version = fields.Integer(string="PO Version", readonly=True, copy=False)
    punchout_po_payload_id = fields.Char(
        string="PO Document ID",
        readonly=True,
        copy=False,
        help="cXML payloadID of the purchase order: confirmations and invoices refer to it.",
    )
    punchout_po_date = fields.Datetime(string="PO Date", readonly=True, copy=False)
    punchout_buyer_reference = fields.Char(
        string="Buyer Reference",
        copy=False,
        help="The requester or cost centre the purchase order named: the BuyerReference of "
        "its invoices, unless the connection sets one.",
    )
    punchout_confirmation_version = fields.Integer(
        string="Confirmation Version",
        readonly=True,
        copy=False,
        help="How many versions of the order confirmation the buyer's system was sent.",
    )
    punchout_confirmation_payload_id = fields.Char(readonly=True, copy=False)
    punchout_confirmation_digest = fields.Char(readonly=True, copy=False)
    punchout_message_count = fields.Integer(compute="_compute_punchout_message_count")
    punchout_mail_to_approve = fields.Boolean(
        string="E-mailed PO to Approve", compute="_compute_punchout_message_count"
    )

    def init(self):
        # One sale order per purchase order of a buyer's system, even under concurrent requests.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS sale_order_punchout_po_number_uniq
                ON sale_order (punchout_connection_id, punchout_po_number)
             WHERE punchout_po_number IS NOT NULL AND state != 'cancel'
            """
        )

    def write(self, vals):
        result = super().write(vals)
        if "commitment_date" in vals or vals.get("state") == "sale":
            self._punchout_confirmation_changed()
        return result

    def _action_cancel(self):
        """A purchase order we cancel is rejected in the buyer's system, with the reason given
        in the cancel dialog (not when the buyer cancelled it)."""
        result = super()._action_cancel()
        if not self.env.context.get("punchout_cancelled_by_buyer"):
            reason = self.env.context.get("punchout_reject_reason") or ""
            for order in self.filtered(
                lambda order: order.punchout_po_payload_id and order.punchout_connection_id
            ):
                self.env["punchout.cxml"]._queue_confirmation(
                    order.punchout_connection_id.sudo(), order, reason=reason
                )
        return result

    def _punchout_confirmation_changed(self):
        """Dates, quantities or prices of orders already confirmed to the buyer's system
        changed: their confirmation follows up once, when the transaction commits, with
        whatever changed in it."""
        orders = self.filtered(
            lambda order: (
                order.state == "sale"
                and order.punchout_confirmation_version
                and order.punchout_connection_id
            )
        )
        if not orders:
            return
        data = self.env.cr.precommit.data
        if "oci_punchout.confirmation_changed" not in data:
            data["oci_punchout.confirmation_changed"] = set()
            self.env.cr.precommit.add(self._punchout_send_confirmation_updates)
        data["oci_punchout.confirmation_changed"].update(orders.ids)

    def _punchout_send_confirmation_updates(self):
        ids = self.env.cr.precommit.data.pop("oci_punchout.confirmation_changed", set())
        for order in self.sudo().browse(sorted(ids)).exists():
            if order.state == "sale":
                self.env["punchout.cxml"]._queue_confirmation(order.punchout_connection_id, order)

    def _compute_punchout_message_count(self):
        Message = self.env["punchout.message"]
        if not Message.has_access("read"):
            self.punchout_message_count = 0
            self.punchout_mail_to_approve = False
            return
        counts = dict(
            Message._read_group([("order_id", "in", self.ids)], ["order_id"], ["__count"])
        )
        waiting = self._punchout_mail_orders_to_approve().order_id
        for order in self:
            order.punchout_message_count = counts.get(order, 0)
            order.punchout_mail_to_approve = order in waiting

    def _punchout_mail_orders_to_approve(self):
        """The unauthenticated e-mailed purchase orders for these orders that wait for a
        salesperson's approval."""
        return self.env["punchout.message"].search(
            [
                ("order_id", "in", self.ids),
                ("kind", "=", "order_mail_attachment"),
                ("state", "=", "approval"),
            ]
        )

    def action_punchout_approve_mail_order(self):
        """Apply the e-mailed purchase order(s) waiting for this order's approval."""
        return self._punchout_mail_orders_to_approve().action_approve()

    def _has_to_be_signed(self):
        """Punchout quotations are accepted by the buyer's purchase order, never in the portal."""
        return not self.punchout_connection_id and super()._has_to_be_signed()

    def _has_to_be_paid(self):
        return not self.punchout_connection_id and super()._has_to_be_paid()

    def _is_cart_ready(self):
        """A punchout cart is never checked out in the shop: it goes back to the buyer."""
        if self.punchout_session_id:
            return False
        return super()._is_cart_ready()

    def _check_cart_is_ready_to_be_paid(self):
        if self.punchout_session_id:
            raise ValidationError(
                self.env._(
                    "A punchout cart is transferred to your purchasing system, not paid here."
                )
            )
        return super()._check_cart_is_ready_to_be_paid()

    def _cart_update(self, product_id, line_id=None, add_qty=0, set_qty=0, **kwargs):
        session = self.punchout_session_id
        current = self.env["website"].get_current_website()._punchout_current_session()
        if session and session != current:
            raise ValidationError(
                self.env._(
                    "This cart belongs to a punchout session: only that session changes it."
                )
            )
        if session and session.operation == "inspect":
            raise ValidationError(
                self.env._("This cart is opened for inspection only: it cannot be changed.")
            )
        return super()._cart_update(
            product_id, line_id=line_id, add_qty=add_qty, set_qty=set_qty, **kwargs
        )

    @api.model
    def _get_punchout_po_number(self):
        """The buyer's PO number of a punchout order: the one its purchase order document
        gave, else the customer reference typed when the quotation was confirmed by hand."""
        self.ensure_one()
        if not self.punchout_connection_id:
            return False
        return self.punchout_po_number or self.client_order_ref or False

    def _punchout_line_reference(self, line):
        """Our reference of a cart line, carried out and back by the buyer's system."""
        return f"{line.order_id.name}/{line.id}"

    def action_view_punchout_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_message_action"
        )
        action["domain"] = [("order_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # Purchase order files uploaded by a salesperson (Odoo's own upload)
    # ------------------------------------------------------------------

    def _get_order_edi_decoder(self, file_data):
        """Our order formats (cXML, openTRANS, IDoc ORDERS05; UBL when sale_edi_ubl does not
        take it or when it names our quotations) go through the punchout matcher."""
        decoder = super()._get_order_edi_decoder(file_data)
        document = self._punchout_read_file(file_data, quotation=self[:1] or None)
        if not document:
            return decoder
        if document.format == "ubl" and decoder and not _names_our_quotation(document):
            return decoder
        return _punchout_order_decoder

    @api.model
    def _punchout_read_file(self, file_data, quotation=None):
        """The purchase order in an uploaded file (XML, or a PDF's embedded XML or text)."""
        try:
            if file_data.get("type") == "xml":
                return orders.read_order(file_data["content"])
            if file_data.get("type") == "pdf":
                document, _lines_from_quotation = self.env[
                    "punchout.order.matcher"
                ]._read_pdf_order(
                    file_data["content"],
                    file_data.get("filename") or "PDF",
                    connection=quotation.punchout_connection_id if quotation else None,
                    quotation=quotation
                    if quotation and quotation.punchout_connection_id
                    else None,
                )
                return document
        except PunchoutProtocolError:
            return None
        return None

    @api.model
    def _create_order_from_attachment(self, attachment_ids):
        """Uploaded purchase orders of our formats become the quotation they order (or a new
        one, through the matcher) instead of a blank order; other files as Odoo does."""
        attachments = self.env["ir.attachment"].browse(attachment_ids)
        result = self.browse()
        others = attachments.browse()
        for attachment in attachments:
            file_data = attachment._unwrap_edi_attachments()[:1]
            document = file_data and self._punchout_read_file(file_data[0])
            if not document or (
                document.format == "ubl"
                and super()._get_order_edi_decoder(file_data[0])
                and not _names_our_quotation(document)
            ):
                others |= attachment
                continue
            order = self._punchout_apply_file(document, attachment)
            attachment.write({"res_model": self._name, "res_id": order.id})
            order.message_post(attachment_ids=attachment.ids)
            result |= order
        if others:
            result |= super()._create_order_from_attachment(others.ids)
        return result

    def _punchout_apply_file(self, document, attachment, quotation=None):
        """Apply an uploaded purchase order through the matcher; ``quotation``: the order it
        was uploaded on. Returns the sale order."""
        purchase_order = document.order
        connection = (
            quotation.punchout_connection_id if quotation else self.env["punchout.connection"]
        ) or self._punchout_file_connection(document, quotation)
        if not connection:
            raise UserError(
                self.env._(
                    "%(name)s is a purchase order, but no punchout connection fits it: neither "
                    "the quotation it names nor its customer has one.",
                    name=attachment.name,
                )
            )
        message = self.env["punchout.message"]._log(
            "order_upload",
            "in",
            "file",
            attachment.raw,
            connection_id=connection.id,
        )
        existing = self.env["punchout.order.matcher"]._find_ordered(
            connection, purchase_order.order_id
        )
        if existing and purchase_order.order_type == "new":
            raise UserError(
                self.env._(
                    "Purchase order %(po)s was already received: it is our order %(order)s.",
                    po=purchase_order.order_id,
                    order=existing.name,
                )
            )
        try:
            order, _notes = connection.with_context(
                punchout_review_instead_of_refusal=True
            )._punchout_receive_order(
                purchase_order, message, document.document_id or None, quotation=quotation
            )
        except PunchoutProtocolError as exc:
            raise UserError(exc.message) from None
        message._set_done(http_status=0)
        return order

    def _punchout_file_connection(self, document, quotation=None):
        """The connection of an uploaded purchase order: its quotation's, its cXML sender's,
        else the only one of the order's customer."""
        Connection = self.env["punchout.connection"].sudo()
        names = {
            self.env["punchout.order.matcher"]._split_reference(item.supplier_part_auxiliary_id)[0]
            for item in document.order.items
        } - {""}
        if names:
            connection = (
                self.sudo()
                .search([("name", "in", list(names)), ("punchout_connection_id", "!=", False)])
                .punchout_connection_id
            )
            if len(connection) == 1:
                return connection
        partner = (quotation or self).partner_id.commercial_partner_id
        if partner:
            connection = Connection.search([("partner_id", "child_of", partner.id)])
            if len(connection) == 1:
                return connection
        return Connection


def _names_our_quotation(document):
    return any(item.supplier_part_auxiliary_id for item in document.order.items)


def _punchout_order_decoder(order, file_data):
    """Decoder for ``sale.order._extend_with_attachments``: the order the file was uploaded on is
    the quotation it orders."""
    document = order._punchout_read_file(file_data, quotation=order)
    order._punchout_apply_file(document, file_data["attachment"], quotation=order)
    return True
