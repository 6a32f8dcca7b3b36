import logging
import re

import psycopg2
from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools import html2plaintext
from odoo.tools.mimetypes import guess_mimetype

from ..protocol import orders
from ..protocol.errors import PayloadTooLarge, PunchoutProtocolError
from ..protocol.xml import looks_like_xml

_logger = logging.getLogger(__name__)

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
MAX_ATTACHMENT_PARAM = "oci_punchout.order_mail_max_bytes"
_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


class PunchoutMessage(models.Model):
    """Purchase orders by e-mail: the mail gateway creates one message per mail (kind
    ``order_mail``) and one per attachment (``order_mail_attachment``), stored before anything
    is read; then each attachment is read and applied in a savepoint of its own."""

    _inherit = "punchout.message"
    # Whoever may read the exchange log may comment on it and act on its activities.
    _mail_post_access = "read"

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        Connection = self.env["punchout.connection"].sudo()
        connection = Connection.browse(values.pop("connection_id", False)).exists()
        if not connection:
            connection = Connection._mail_find_by_sender(msg_dict.get("email_from"))
        message_id = (msg_dict.get("message_id") or "").strip() or False
        mail = self._log(
            "order_mail",
            "in",
            "mail",
            self._mail_describe(msg_dict),
            connection_id=connection.id or False,
            company_id=(connection.company_id or self.env.company).id,
            dedup_key=message_id,
        )
        for name, content, info in msg_dict.get("attachments") or ():
            data = _as_bytes(content)
            mimetype = (info or {}).get("mimetype") or guess_mimetype(data)
            child = self._log(
                "order_mail_attachment",
                "in",
                "mail",
                self._mail_describe_attachment(name, data, mimetype),
                parent_id=mail.id,
                connection_id=connection.id or False,
                company_id=mail.company_id.id,
            )
            self.env["ir.attachment"].sudo().create(
                {
                    "name": name or "attachment",
                    "raw": data,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": child.id,
                }
            )
        self.env.flush_all()
        mail._mail_process(connection)
        return mail

    @api.model
    def _mail_describe(self, msg_dict):
        headers = [
            ("From", msg_dict.get("email_from") or msg_dict.get("from")),
            ("To", msg_dict.get("to")),
            ("Subject", msg_dict.get("subject")),
            ("Date", msg_dict.get("date")),
            ("Message-Id", msg_dict.get("message_id")),
        ]
        head = "\n".join(f"{name}: {value or ''}" for name, value in headers)
        return f"{head}\n\n{html2plaintext(msg_dict.get('body') or '')}"

    @api.model
    def _mail_describe_attachment(self, name, data, mimetype):
        if looks_like_xml(data):
            return data
        return f"{name or 'attachment'} ({mimetype}, {len(data)} bytes)"

    def _mail_attachment(self):
        self.ensure_one()
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", self._name), ("res_id", "=", self.id)], order="id", limit=1
            )
        )

    # ------------------------------------------------------------------
    # Processing
    # ------------------------------------------------------------------

    def _mail_process(self, connection):
        """Read every attachment of this order mail, each in a savepoint of its own."""
        self.ensure_one()
        responsible = connection._punchout_responsible()
        if not connection:
            self._mail_fail(
                self.env._(
                    "Unknown sender: no punchout connection receives orders from this address. "
                    "Add it as the purchasing system e-mail of the buyer's connection, or "
                    "forward the mail to that connection's own order address."
                ),
                responsible,
            )
            return
        if not self.child_ids:
            self._mail_fail(
                self.env._("The mail has no attachment: no purchase order to read."),
                responsible,
            )
            return
        for attachment_message in self.child_ids.sorted("id"):
            attachment_message._mail_process_attachment(connection, responsible)
        self._mail_update_state(responsible)

    def _mail_update_state(self, responsible):
        """The mail's state from its attachments': done when one became an order."""
        self.ensure_one()
        ordered = self.child_ids.filtered(lambda m: m.state == "done" and m.order_id)
        failed = self.child_ids.filtered(lambda m: m.state == "error")
        if ordered:
            self._set_done(
                order_id=ordered[0].order_id.id,
                http_status=0,
                error=(
                    self.env._("%(count)s attachment(s) could not be read.", count=len(failed))
                    if failed
                    else False
                ),
            )
        elif failed:
            self._set_error(
                self.env._("No attachment could be read as a purchase order."), http_status=0
            )
        else:
            self._mail_fail(
                self.env._("None of the attachments is a purchase order (XML or PDF)."),
                responsible,
            )

    def action_retry(self):
        """Read failed order mails and attachments again (after fixing the cause: the sender's
        address on a connection, a product, the PO number pattern...)."""
        mail_messages = self.filtered(lambda m: m.kind in ("order_mail", "order_mail_attachment"))
        mails = mail_messages.filtered(lambda m: m.kind == "order_mail" and m.state == "error")
        attachments = (mail_messages - mails).filtered(
            lambda m: m.state in ("received", "error")
        ) | mails.child_ids.filtered(lambda m: m.state in ("received", "error"))
        others = self - mail_messages
        if others or not (mails or attachments):
            # The other kinds as before; nothing to retry at all raises there.
            super(PunchoutMessage, others).action_retry()
        Connection = self.env["punchout.connection"].sudo()
        for mail in mails | attachments.parent_id:
            connection = mail.connection_id or Connection._mail_find_by_sender(
                mail._mail_header("From")
            )
            if not connection:
                raise UserError(
                    self.env._(
                        "The sender of %(mail)s is still unknown: add the address to a "
                        "connection's purchasing system e-mail first.",
                        mail=mail.display_name,
                    )
                )
            if not mail.connection_id:
                (mail | mail.child_ids).sudo().write(
                    {"connection_id": connection.id, "company_id": connection.company_id.id}
                )
            responsible = connection._punchout_responsible()
            for attachment_message in (attachments & mail.child_ids).sorted("id"):
                attachment_message.activity_ids.sudo().unlink()
                attachment_message._mail_process_attachment(connection, responsible)
            if mail.child_ids:
                mail.activity_ids.sudo().unlink()
                mail._mail_update_state(responsible)
        return True

    def _mail_header(self, name):
        """A header of an order mail as stored in its payload ('From: ...')."""
        self.ensure_one()
        for line in (self.payload or "").split("\n\n", 1)[0].splitlines():
            key, _sep, value = line.partition(": ")
            if key == name:
                return value
        return ""

    def _mail_fail(self, reason, responsible):
        self._set_error(reason, http_status=0)
        self._mail_ask(responsible, reason)

    def _mail_ask(self, responsible, reason):
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Purchase order e-mail needs a person"),
            note=reason,
            user_id=responsible.id,
        )

    def _mail_process_attachment(self, connection, responsible):
        self.ensure_one()
        attachment = self._mail_attachment()
        data = attachment.raw or b""
        limit = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(MAX_ATTACHMENT_PARAM, DEFAULT_MAX_ATTACHMENT_BYTES)
        )
        try:
            with self.env.cr.savepoint():
                if len(data) > limit:
                    raise PayloadTooLarge(
                        self.env._(
                            "%(name)s is %(size)s bytes, more than the %(limit)s bytes an "
                            "order attachment may have.",
                            name=attachment.name,
                            size=len(data),
                            limit=limit,
                        )
                    )
                if data[:1024].lstrip().startswith(b"%PDF") or data[:5] == b"%PDF-":
                    self._mail_read_pdf(connection, attachment, data, limit)
                elif looks_like_xml(data):
                    document = orders.read_order(data, max_bytes=limit)
                    self._mail_apply(connection, document, attachment)
                else:
                    self._set_done(
                        http_status=0,
                        error=self.env._(
                            "Not a purchase order (%(type)s): ignored.", type=attachment.mimetype
                        ),
                    )
        except PunchoutProtocolError as exc:
            self._mail_attachment_failed(exc.message, responsible)
        except psycopg2.IntegrityError:
            self._mail_attachment_failed(
                self.env._("This purchase order was received again meanwhile."), responsible
            )
        except Exception as exc:
            _logger.exception("Order mail attachment %s failed", self.id)
            self._mail_attachment_failed(
                self.env._("Internal error: %(error)s", error=exc), responsible
            )

    def _mail_attachment_failed(self, reason, responsible):
        self._set_error(reason, http_status=0)
        self._mail_ask(responsible, reason)

    def _mail_read_pdf(self, connection, attachment, data, limit):
        document, lines_from_quotation = self.env["punchout.order.matcher"]._read_pdf_order(
            data, attachment.name, connection=connection, max_bytes=limit
        )
        order = self._mail_apply(connection, document, attachment)
        if order and lines_from_quotation:
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Check purchase order %(po)s", po=document.order.order_id),
                note=self.env._(
                    "The lines of the PDF could not be read: the quotation's lines were taken as "
                    "ordered. Compare them with the attached PDF."
                ),
                user_id=connection._punchout_responsible(order).id,
            )
        return order

    def _mail_apply(self, connection, document, attachment):
        """Apply a purchase order read from ``attachment``: once per document id and PO number;
        a copy leaves a note on the order it already became."""
        self.ensure_one()
        purchase_order = document.order
        if document.document_id:
            key = f"{connection.id}:{document.document_id}"
            earlier = self.search(
                [
                    ("direction", "=", "in"),
                    ("kind", "in", ("cxml_order", "order_mail_attachment")),
                    ("dedup_key", "=", key),
                    ("state", "=", "done"),
                    ("id", "!=", self.id),
                ],
                limit=1,
            )
            if earlier:
                return self._mail_already_ordered(earlier.order_id, purchase_order, attachment)
            self.dedup_key = key
        Matcher = self.env["punchout.order.matcher"]
        if purchase_order.order_id and purchase_order.order_type == "new":
            existing = Matcher._find_ordered(connection, purchase_order.order_id)
            if existing:
                return self._mail_already_ordered(existing, purchase_order, attachment)
        order, _notes = connection.with_context(
            punchout_review_instead_of_refusal=True
        )._punchout_receive_order(
            purchase_order,
            self,
            document.document_id or None,
            [(attachment.name, attachment.raw, attachment.mimetype)],
        )
        self._set_done(
            http_status=0,
            error=False,
            response_payload=self.env._(
                "%(format)s %(po)s: order %(order)s (%(state)s).",
                format=orders.FORMAT_NAMES.get(document.format, "PDF"),
                po=purchase_order.order_id,
                order=order.name,
                state=dict(order._fields["state"]._description_selection(self.env))[order.state],
            ),
        )
        return order

    def _mail_already_ordered(self, order, purchase_order, attachment):
        version = purchase_order.order_version or 1
        text = self.env._(
            "Purchase order %(po)s (version %(version)s) was received again by e-mail "
            "(%(name)s): nothing created.",
            po=purchase_order.order_id,
            version=version,
            name=attachment.name,
        )
        if order:
            order.message_post(
                body=text,
                attachment_ids=attachment.copy(
                    {"res_model": "sale.order", "res_id": order.id}
                ).ids,
            )
            if version != (order.punchout_po_version or 1):
                order.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._(
                        "New version of purchase order %(po)s", po=purchase_order.order_id
                    ),
                    note=Markup("%s") % text,
                    user_id=self.connection_id._punchout_responsible(order).id,
                )
        self._set_done(order_id=order.id, http_status=0, error=text)
        return order


def _as_bytes(content):
    """An attachment as the mail parser gives it (text parts as str) back to bytes, encoded as
    an XML declaration says."""
    if isinstance(content, bytes):
        return content
    content = content or ""
    head = content[:200].encode("ascii", errors="ignore")
    match = _XML_ENCODING.match(head)
    encoding = match.group(1).decode() if match else "utf-8"
    try:
        return content.encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return content.encode("utf-8")
