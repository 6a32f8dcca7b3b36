import logging
import re

import psycopg2
from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import html2plaintext
from odoo.tools.mimetypes import guess_mimetype

from odoo.addons.mail.tools.alias_error import AliasError

from ..protocol import cxml, orders
from ..protocol import mail as mail_auth
from ..protocol.errors import PayloadTooLarge, PunchoutProtocolError
from ..protocol.xml import looks_like_xml
from .mail_thread import punchout_raw_headers
from .punchout_connection_mail import AUTHSERV_ID_PARAM

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

    state = fields.Selection(
        selection_add=[("pending",), ("approval", "To approve")],
        ondelete={"approval": "set default"},
    )
    mail_sender = fields.Char(
        string="Sender Address",
        readonly=True,
        help="The real address in the mail's From header (never its display name).",
    )
    mail_sender_verified = fields.Boolean(
        string="Sender Verified",
        readonly=True,
        help="Our mail server verified the sender's domain (SPF, DKIM or DMARC pass in its "
        "Authentication-Results header).",
    )
    cxml_secret_verified = fields.Boolean(
        string="SharedSecret Verified",
        readonly=True,
        help="This cXML document carried the connection's SharedSecret (checked on arrival; "
        "stored without it).",
    )
    approved_by_id = fields.Many2one(
        "res.users",
        readonly=True,
        help="The salesperson who approved this unauthenticated e-mailed purchase order.",
    )
    approval_activity_id = fields.Many2one("mail.activity", readonly=True, ondelete="set null")

    # ------------------------------------------------------------------
    # Mail gateway
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        values = dict(custom_values or {})
        Connection = self.env["punchout.connection"].sudo()
        headers = self.env.context.get("punchout_mail_headers") or ()
        sender = self._mail_sender(headers)
        results = [value for name, value in headers if name == "authentication-results"]
        authserv_id = self.env["ir.config_parameter"].sudo().get_param(AUTHSERV_ID_PARAM)
        connection = Connection.browse(values.pop("connection_id", False)).exists()
        if not connection:
            connection = Connection._mail_find_by_sender(sender)
        message_id = (msg_dict.get("message_id") or "").strip() or False
        verified = mail_auth.sender_verified(results, sender, authserv_id)
        mail = self._log(
            "order_mail",
            "in",
            "mail",
            self._mail_describe(msg_dict, sender, results),
            connection_id=connection.id or False,
            company_id=(connection.company_id or self.env.company).id,
            dedup_key=message_id,
            mail_sender=sender or False,
            mail_sender_verified=verified,
        )
        # A trusted sender needs no SharedSecret: its check (a slow hash) is spared.
        check_secret = bool(connection) and not connection._mail_trusts_sender(sender, verified)
        limit = self._mail_max_bytes()
        stored = []
        for name, content, info in msg_dict.get("attachments") or ():
            data = _as_bytes(content)
            mimetype = (info or {}).get("mimetype") or guess_mimetype(data)
            secret_verified = False
            if looks_like_xml(data):
                secret_verified = check_secret and self._mail_cxml_secret_ok(
                    connection, data, limit
                )
                # Stored (and shown) without the buyer's SharedSecret, like cXML by HTTP.
                data = cxml.redact_secrets(data)
            stored.append((name, data, info))
            child = self._log(
                "order_mail_attachment",
                "in",
                "mail",
                self._mail_describe_attachment(name, data, mimetype),
                parent_id=mail.id,
                connection_id=connection.id or False,
                company_id=mail.company_id.id,
                cxml_secret_verified=secret_verified,
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
        if stored:
            # The mail gateway posts these on the mail's chatter after this method.
            msg_dict["attachments"] = stored
        self.env.flush_all()
        mail._mail_process(connection)
        return mail

    def _alias_get_error(self, message, message_dict, alias):
        """The shared order inbox, when restricted to buyers: the sender's real address must
        route to a connection."""
        if alias.alias_contact == "punchout_buyer" and not self:
            sender = self._mail_sender(punchout_raw_headers(message))
            if not self.env["punchout.connection"].sudo()._mail_find_by_sender(sender):
                return AliasError(
                    "error_punchout_buyer_restricted",
                    self.env._("restricted to the buyers' purchasing systems and contacts"),
                )
            return False
        return super()._alias_get_error(message, message_dict, alias)

    @api.model
    def _mail_sender(self, headers):
        """The sender's real address (normalized), from the raw From header (``headers``:
        ``mail_thread.punchout_raw_headers``): never a display name; '' when the header is
        malformed or holds several addresses."""
        return mail_auth.sender_address([value for name, value in headers if name == "from"])

    @api.model
    def _mail_max_bytes(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(MAX_ATTACHMENT_PARAM, DEFAULT_MAX_ATTACHMENT_BYTES)
        )

    @api.model
    def _mail_cxml_secret_ok(self, connection, data, limit):
        """``data`` is a cXML document carrying ``connection``'s SharedSecret."""
        if len(data) > limit or b"SharedSecret" not in data:
            return False
        try:
            envelope = cxml.parse_request(data, max_bytes=limit)
            self.env["punchout.cxml"]._check_secret(connection, envelope.header.shared_secret)
        except PunchoutProtocolError:
            return False
        return True

    @api.model
    def _mail_describe(self, msg_dict, sender="", results=()):
        headers = [
            ("From", msg_dict.get("email_from") or msg_dict.get("from")),
            ("Sender Address", sender),
            ("To", msg_dict.get("to")),
            ("Subject", msg_dict.get("subject")),
            ("Date", msg_dict.get("date")),
            ("Message-Id", msg_dict.get("message_id")),
            *(("Authentication-Results", " ".join(value.split())) for value in results),
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
        waiting = self.child_ids.filtered(lambda m: m.state == "approval")
        if waiting and not ordered:
            self.sudo().write(
                {
                    "state": "approval",
                    "order_id": waiting[0].order_id.id,
                    "http_status": 0,
                    "error": self.env._("Waiting for a salesperson's approval."),
                }
            )
        elif ordered:
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
            connection = mail.connection_id or Connection._mail_find_by_sender(mail.mail_sender)
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

    def _mail_fail(self, reason, responsible):
        self._set_error(reason, http_status=0)
        self._mail_ask(responsible, reason)

    def _mail_ask(self, responsible, reason):
        self.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=self.env._("Purchase order e-mail needs a person"),
            note=_as_note(reason),
            user_id=responsible.id,
        )

    def _mail_process_attachment(self, connection, responsible):
        self.ensure_one()
        attachment = self._mail_attachment()
        data = attachment.raw or b""
        limit = self._mail_max_bytes()
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
        if order and lines_from_quotation and self.state == "done":
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
        a copy leaves a note on the order it already became. Unless the order is authenticated
        (or approved), nothing is changed: it waits for a salesperson's approval."""
        self.ensure_one()
        purchase_order = document.order
        key = document.document_id and f"{connection.id}:{document.document_id}"
        if key:
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
        Matcher = self.env["punchout.order.matcher"]
        if purchase_order.order_id and purchase_order.order_type == "new":
            existing = Matcher._find_ordered(connection, purchase_order.order_id)
            if existing:
                return self._mail_already_ordered(existing, purchase_order, attachment)
        if not self._mail_authenticated(connection):
            # No document key nor PO number is claimed: the real order still gets through.
            return self._mail_hold(connection, document, attachment)
        if key:
            self.dedup_key = key
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

    def _mail_authenticated(self, connection):
        """This attachment may change orders by itself: a cXML document with the connection's
        SharedSecret, a mail from a trusted and verified sender, or approved by a person."""
        self.ensure_one()
        mail = self.parent_id
        return bool(
            self.cxml_secret_verified
            or self.approved_by_id
            or connection._mail_trusts_sender(mail.mail_sender, mail.mail_sender_verified)
        )

    def _mail_hold(self, connection, document, attachment):
        """An unauthenticated purchase order: changes nothing, waits for a salesperson's
        approval (an activity on the order it is for, else on this message)."""
        self.ensure_one()
        purchase_order = document.order
        Matcher = self.env["punchout.order.matcher"]
        if purchase_order.order_type == "new":
            order = Matcher._find_quotation(connection, purchase_order)
            text = self.env._(
                "Purchase order %(po)s arrived by e-mail from %(sender)s, which is not "
                "authenticated: it was not confirmed. Check it with the buyer, then approve it.",
                po=purchase_order.order_id,
                sender=self.parent_id.mail_sender or self.env._("an unknown sender"),
            )
        else:
            order = Matcher._find_ordered(connection, purchase_order.order_id)
            text = self.env._(
                "A %(change)s of purchase order %(po)s arrived by e-mail from %(sender)s, which "
                "is not authenticated: nothing was changed. Check it with the buyer, then "
                "approve it.",
                change=self.env._("cancellation")
                if purchase_order.order_type == "delete"
                else self.env._("change"),
                po=purchase_order.order_id,
                sender=self.parent_id.mail_sender or self.env._("an unknown sender"),
            )
        if order:
            self._post_on_order(order, text, attachment)
        activity = (
            (order or self)
            .sudo()
            .activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._(
                    "Approve e-mailed purchase order %(po)s", po=purchase_order.order_id
                ),
                note=_as_note(text),
                user_id=connection._punchout_responsible(order or None).id,
            )
        )
        self.sudo().write(
            {
                "state": "approval",
                "order_id": order.id,
                "approval_activity_id": activity.id,
                "http_status": 0,
                "error": text,
            }
        )
        return order

    def action_approve(self):
        """Apply unauthenticated e-mailed purchase orders a salesperson checked, exactly as an
        authenticated one is applied."""
        if not self.env.user.has_group("sales_team.group_sale_salesman"):
            raise AccessError(self.env._("Only salespeople may approve e-mailed purchase orders."))
        self.check_access("read")
        attachments = self.filtered(lambda m: m.kind == "order_mail_attachment")
        mails = self.filtered(lambda m: m.kind == "order_mail")
        waiting = (attachments | mails.child_ids).filtered(lambda m: m.state == "approval")
        if not waiting:
            raise UserError(self.env._("No e-mailed purchase order waits for approval here."))
        waiting.order_id.check_access("write")
        for message in waiting.sudo():
            connection = message.connection_id
            activity = message.approval_activity_id
            message.write({"approved_by_id": self.env.uid, "approval_activity_id": False})
            responsible = connection._punchout_responsible(message.order_id or None)
            message._mail_process_attachment(connection, responsible)
            if activity:
                activity.action_feedback(
                    feedback=self.env._("Approved by %(user)s.", user=self.env.user.name)
                )
            message.parent_id._mail_update_state(responsible)
        return True

    def _post_on_order(self, order, text, attachment):
        """``text`` in the order's chatter, with a copy of the mailed document."""
        order.message_post(
            body=text,
            attachment_ids=attachment.copy({"res_model": "sale.order", "res_id": order.id}).ids,
        )

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
            self._post_on_order(order, text, attachment)
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


def _as_note(text):
    """Plain text (it may quote what a sender wrote) as the HTML of an activity note."""
    return Markup("<br/>").join(str(text).splitlines())


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
