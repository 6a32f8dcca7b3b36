import logging
import re

import psycopg2
from markupsafe import Markup

from odoo import api, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import email_normalize_all, html2plaintext
from odoo.tools.mimetypes import guess_mimetype

from ..const import AUTHSERV_ID_PARAM, DEFAULT_MAX_ATTACHMENT_BYTES, MAX_ATTACHMENT_PARAM
from ..protocol import cxml, orders
from ..protocol import mail as mail_auth
from ..protocol.errors import PayloadTooLarge, PunchoutProtocolError
from ..protocol.xml import looks_like_xml

_logger = logging.getLogger(__name__)

_XML_ENCODING = re.compile(rb"^\s*<\?xml[^>]*encoding=[\"']([A-Za-z0-9._-]+)[\"']")


class PunchoutMail(models.AbstractModel):
    """Purchase orders by e-mail, read top to bottom: who sent the mail and which connection
    it is for, the mail and each attachment stored (``punchout.message``, kinds
    ``order_mail`` and ``order_mail_attachment``) before anything is read, each attachment
    read and applied in a savepoint of its own, held for a salesperson's approval unless
    authenticated. Each method takes the message (or connection) it works for."""

    _name = "punchout.mail"
    _description = "Punchout: purchase orders by e-mail"

    # ------------------------------------------------------------------
    # Who sent it: the sender's real address, the connection it routes to, trust
    # ------------------------------------------------------------------

    @api.model
    def _sender(self, headers):
        """The sender's real address (normalized), from the raw From header (``headers``:
        ``mail_thread.punchout_raw_headers``): never a display name; '' when the header is
        malformed or holds several addresses."""
        return mail_auth.sender_address([value for name, value in headers if name == "from"])

    @api.model
    def _find_connection(self, sender):
        """The active connection whose buyer sends from ``sender`` (the real address, see
        ``_sender``): its purchasing system's address first, else a
        contact of the buyer company. Only when exactly one fits."""
        Connection = self.env["punchout.connection"].sudo().browse()
        emails = {sender} if sender else set()
        if not emails:
            return Connection
        connections = Connection.search([])
        by_system = connections.filtered(
            lambda c: emails & set(email_normalize_all(c.order_mail_senders or ""))
        )
        if by_system:
            return by_system if len(by_system) == 1 else Connection
        partners = (
            self.env["res.partner"].sudo().search([("email_normalized", "in", list(emails))])
        )
        commercial = partners.commercial_partner_id
        by_contact = connections.filtered(
            lambda c: c.partner_id.commercial_partner_id in commercial
        )
        if len(by_contact.partner_id.commercial_partner_id) == 1 and by_contact:
            # Several connections of one buyer (test, production): the production one.
            production = by_contact.filtered(lambda c: not c.test_mode)
            candidates = production or by_contact
            return candidates[0] if len(candidates) == 1 else Connection
        return Connection

    def _is_listed_sender(self, connection, sender):
        """``sender`` (a normalized address) is one of this connection's purchasing system
        addresses."""
        connection.ensure_one()
        return bool(sender) and sender in email_normalize_all(connection.order_mail_senders or "")

    def _is_buyer_contact(self, connection, sender):
        connection.ensure_one()
        if not sender:
            return False
        return bool(
            connection.env["res.partner"]
            .sudo()
            .search_count(
                [
                    ("email_normalized", "=", sender),
                    ("commercial_partner_id", "=", connection.partner_id.commercial_partner_id.id),
                ],
                limit=1,
            )
        )

    def _trusts_sender(self, connection, sender, verified):
        """Mail from ``sender`` may change orders by itself: the connection trusts verified
        senders, ``sender`` is one of its purchasing system addresses, and our mail server
        verified it (``verified``)."""
        connection.ensure_one()
        return bool(
            connection.order_mail_trust_verified
            and verified
            and self._is_listed_sender(connection, sender)
        )

    @api.model
    def _cxml_secret_ok(self, connection, data, limit):
        """``data`` is a cXML document carrying ``connection``'s SharedSecret."""
        if len(data) > limit or b"SharedSecret" not in data:
            return False
        try:
            envelope = cxml.parse_request(data, max_bytes=limit)
            self.env["punchout.cxml"]._check_secret(connection, envelope.header.shared_secret)
        except PunchoutProtocolError:
            return False
        return True

    # ------------------------------------------------------------------
    # Receiving: each mail and attachment stored before anything is read
    # ------------------------------------------------------------------

    @api.model
    def _receive(self, msg_dict, custom_values=None):
        """A mail the gateway delivered to an order inbox: stored with each attachment (one
        ``punchout.message`` each) before anything is read, then processed. Returns the
        mail's message (``punchout.message.message_new``)."""
        values = dict(custom_values or {})
        Message = self.env["punchout.message"]
        Connection = self.env["punchout.connection"].sudo()
        headers = self.env.context.get("punchout_mail_headers") or ()
        sender = self._sender(headers)
        results = [value for name, value in headers if name == "authentication-results"]
        authserv_id = self.env["ir.config_parameter"].sudo().get_param(AUTHSERV_ID_PARAM)
        connection = Connection.browse(values.pop("connection_id", False)).exists()
        if not connection:
            connection = self._find_connection(sender)
        message_id = (msg_dict.get("message_id") or "").strip() or False
        verified = mail_auth.sender_verified(results, sender, authserv_id)
        mail = Message._log(
            "order_mail",
            "in",
            "mail",
            self._describe(msg_dict, sender, results),
            connection_id=connection.id or False,
            company_id=(connection.company_id or self.env.company).id,
            dedup_key=message_id,
            mail_sender=sender or False,
            mail_sender_verified=verified,
        )
        # A trusted sender needs no SharedSecret: its check (a slow hash) is spared.
        check_secret = bool(connection) and not self._trusts_sender(connection, sender, verified)
        limit = self._max_bytes()
        stored = []
        for name, content, info in msg_dict.get("attachments") or ():
            data = _as_bytes(content)
            mimetype = (info or {}).get("mimetype") or guess_mimetype(data)
            secret_verified = False
            if looks_like_xml(data):
                secret_verified = check_secret and self._cxml_secret_ok(connection, data, limit)
                # Stored (and shown) without the buyer's SharedSecret, like cXML by HTTP.
                data = cxml.redact_secrets(data)
            stored.append((name, data, info))
            child = Message._log(
                "order_mail_attachment",
                "in",
                "mail",
                self._describe_attachment(name, data, mimetype),
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
                    "res_model": Message._name,
                    "res_id": child.id,
                }
            )
        if stored:
            # The mail gateway posts these on the mail's chatter after this method.
            msg_dict["attachments"] = stored
        self.env.flush_all()
        self._process(mail, connection)
        return mail

    @api.model
    def _max_bytes(self):
        return int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(MAX_ATTACHMENT_PARAM, DEFAULT_MAX_ATTACHMENT_BYTES)
        )

    @api.model
    def _describe(self, msg_dict, sender="", results=()):
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
    def _describe_attachment(self, name, data, mimetype):
        if looks_like_xml(data):
            return data
        return f"{name or 'attachment'} ({mimetype}, {len(data)} bytes)"

    def _attachment(self, message):
        message.ensure_one()
        return (
            message.env["ir.attachment"]
            .sudo()
            .search(
                [("res_model", "=", message._name), ("res_id", "=", message.id)],
                order="id",
                limit=1,
            )
        )

    # ------------------------------------------------------------------
    # Processing: each attachment read and applied in a savepoint of its own
    # ------------------------------------------------------------------

    def _process(self, message, connection):
        """Read every attachment of this order mail, each in a savepoint of its own."""
        message.ensure_one()
        responsible = connection._punchout_responsible()
        if not connection:
            self._fail(
                message,
                message.env._(
                    "Unknown sender: no punchout connection receives orders from this address. "
                    "Add it as the purchasing system e-mail of the buyer's connection, or "
                    "forward the mail to that connection's own order address."
                ),
                responsible,
            )
            return
        if not message.child_ids:
            self._fail(
                message,
                message.env._("The mail has no attachment: no purchase order to read."),
                responsible,
            )
            return
        for attachment_message in message.child_ids.sorted("id"):
            self._process_attachment(attachment_message, connection, responsible)
        self._update_state(message, responsible)

    def _update_state(self, message, responsible):
        """The mail's state from its attachments': done when one became an order."""
        message.ensure_one()
        ordered = message.child_ids.filtered(lambda m: m.state == "done" and m.order_id)
        failed = message.child_ids.filtered(lambda m: m.state == "error")
        waiting = message.child_ids.filtered(lambda m: m.state == "approval")
        if waiting and not ordered:
            message.sudo().write(
                {
                    "state": "approval",
                    "order_id": waiting[0].order_id.id,
                    "http_status": 0,
                    "error": message.env._("Waiting for a salesperson's approval."),
                }
            )
        elif ordered:
            message._set_done(
                order_id=ordered[0].order_id.id,
                http_status=0,
                error=(
                    message.env._("%(count)s attachment(s) could not be read.", count=len(failed))
                    if failed
                    else False
                ),
            )
        elif failed:
            message._set_error(
                message.env._("No attachment could be read as a purchase order."), http_status=0
            )
        else:
            self._fail(
                message,
                message.env._("None of the attachments is a purchase order (XML or PDF)."),
                responsible,
            )

    def _process_attachment(self, message, connection, responsible):
        message.ensure_one()
        attachment = self._attachment(message)
        data = attachment.raw or b""
        limit = self._max_bytes()
        try:
            with message.env.cr.savepoint():
                if len(data) > limit:
                    raise PayloadTooLarge(
                        message.env._(
                            "%(name)s is %(size)s bytes, more than the %(limit)s bytes an "
                            "order attachment may have.",
                            name=attachment.name,
                            size=len(data),
                            limit=limit,
                        )
                    )
                if data[:1024].lstrip().startswith(b"%PDF") or data[:5] == b"%PDF-":
                    self._read_pdf(message, connection, attachment, data, limit)
                elif looks_like_xml(data):
                    document = orders.read_order(data, max_bytes=limit)
                    self._apply(message, connection, document, attachment)
                else:
                    message._set_done(
                        http_status=0,
                        error=message.env._(
                            "Not a purchase order (%(type)s): ignored.", type=attachment.mimetype
                        ),
                    )
        except PunchoutProtocolError as exc:
            self._attachment_failed(message, exc.message, responsible)
        except psycopg2.IntegrityError:
            self._attachment_failed(
                message,
                message.env._("This purchase order was received again meanwhile."),
                responsible,
            )
        except Exception as exc:
            _logger.exception("Order mail attachment %s failed", message.id)
            self._attachment_failed(
                message, message.env._("Internal error: %(error)s", error=exc), responsible
            )

    def _read_pdf(self, message, connection, attachment, data, limit):
        document, lines_from_quotation = message.env["punchout.order.matcher"]._read_pdf_order(
            data, attachment.name, connection=connection, max_bytes=limit
        )
        order = self._apply(message, connection, document, attachment)
        if order and lines_from_quotation and message.state == "done":
            order.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=message.env._("Check purchase order %(po)s", po=document.order.order_id),
                note=message.env._(
                    "The lines of the PDF could not be read: the quotation's lines were taken as "
                    "ordered. Compare them with the attached PDF."
                ),
                user_id=connection._punchout_responsible(order).id,
            )
        return order

    def _apply(self, message, connection, document, attachment):
        """Apply a purchase order read from ``attachment``: once per document id and PO number;
        a copy leaves a note on the order it already became. Unless the order is authenticated
        (or approved), nothing is changed: it waits for a salesperson's approval."""
        message.ensure_one()
        purchase_order = document.order
        key = document.document_id and f"{connection.id}:{document.document_id}"
        if key:
            earlier = message.search(
                [
                    ("direction", "=", "in"),
                    ("kind", "in", ("cxml_order", "order_mail_attachment")),
                    ("dedup_key", "=", key),
                    ("state", "=", "done"),
                    ("id", "!=", message.id),
                ],
                limit=1,
            )
            if earlier:
                return self._already_ordered(message, earlier.order_id, purchase_order, attachment)
        Matcher = message.env["punchout.order.matcher"]
        if purchase_order.order_id and purchase_order.order_type == "new":
            existing = Matcher._find_ordered(connection, purchase_order.order_id)
            if existing:
                return self._already_ordered(message, existing, purchase_order, attachment)
        if not self._authenticated(message, connection):
            # No document key nor PO number is claimed: the real order still gets through.
            return self._hold(message, connection, document, attachment)
        if key:
            message.dedup_key = key
        order, _notes = connection.with_context(
            punchout_review_instead_of_refusal=True
        )._punchout_receive_order(
            purchase_order,
            message,
            document.document_id or None,
            [(attachment.name, attachment.raw, attachment.mimetype)],
        )
        message._set_done(
            http_status=0,
            error=False,
            response_payload=message.env._(
                "%(format)s %(po)s: order %(order)s (%(state)s).",
                format=orders.FORMAT_NAMES.get(document.format, "PDF"),
                po=purchase_order.order_id,
                order=order.name,
                state=dict(order._fields["state"]._description_selection(message.env))[
                    order.state
                ],
            ),
        )
        return order

    def _authenticated(self, message, connection):
        """This attachment may change orders by itself: a cXML document with the connection's
        SharedSecret, a mail from a trusted and verified sender, or approved by a person."""
        message.ensure_one()
        mail = message.parent_id
        return bool(
            message.cxml_secret_verified
            or message.approved_by_id
            or self._trusts_sender(connection, mail.mail_sender, mail.mail_sender_verified)
        )

    def _already_ordered(self, message, order, purchase_order, attachment):
        version = purchase_order.order_version or 1
        text = message.env._(
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
                    summary=message.env._(
                        "New version of purchase order %(po)s", po=purchase_order.order_id
                    ),
                    note=Markup("%s") % text,
                    user_id=message.connection_id._punchout_responsible(order).id,
                )
        message._set_done(order_id=order.id, http_status=0, error=text)
        return order

    def _post_on_order(self, order, text, attachment):
        """``text`` in the order's chatter, with a copy of the mailed document."""
        order.message_post(
            body=text,
            attachment_ids=attachment.copy({"res_model": "sale.order", "res_id": order.id}).ids,
        )

    def _fail(self, message, reason, responsible):
        message._set_error(reason, http_status=0)
        self._ask(message, responsible, reason)

    def _attachment_failed(self, message, reason, responsible):
        message._set_error(reason, http_status=0)
        self._ask(message, responsible, reason)

    def _ask(self, message, responsible, reason):
        message.sudo().activity_schedule(
            "mail.mail_activity_data_todo",
            summary=message.env._("Purchase order e-mail needs a person"),
            note=_as_note(reason),
            user_id=responsible.id,
        )

    # ------------------------------------------------------------------
    # Approval of unauthenticated orders, retries
    # ------------------------------------------------------------------

    def _hold(self, message, connection, document, attachment):
        """An unauthenticated purchase order: changes nothing, waits for a salesperson's
        approval (an activity on the order it is for, else on this message)."""
        message.ensure_one()
        purchase_order = document.order
        Matcher = message.env["punchout.order.matcher"]
        if purchase_order.order_type == "new":
            order = Matcher._find_quotation(connection, purchase_order)
            text = message.env._(
                "Purchase order %(po)s arrived by e-mail from %(sender)s, which is not "
                "authenticated: it was not confirmed. Check it with the buyer, then approve it.",
                po=purchase_order.order_id,
                sender=message.parent_id.mail_sender or message.env._("an unknown sender"),
            )
        else:
            order = Matcher._find_ordered(connection, purchase_order.order_id)
            text = message.env._(
                "A %(change)s of purchase order %(po)s arrived by e-mail from %(sender)s, which "
                "is not authenticated: nothing was changed. Check it with the buyer, then "
                "approve it.",
                change=message.env._("cancellation")
                if purchase_order.order_type == "delete"
                else message.env._("change"),
                po=purchase_order.order_id,
                sender=message.parent_id.mail_sender or message.env._("an unknown sender"),
            )
        if order:
            self._post_on_order(order, text, attachment)
        activity = (
            (order or message)
            .sudo()
            .activity_schedule(
                "mail.mail_activity_data_todo",
                summary=message.env._(
                    "Approve e-mailed purchase order %(po)s", po=purchase_order.order_id
                ),
                note=_as_note(text),
                user_id=connection._punchout_responsible(order or None).id,
            )
        )
        message.sudo().write(
            {
                "state": "approval",
                "order_id": order.id,
                "approval_activity_id": activity.id,
                "http_status": 0,
                "error": text,
            }
        )
        return order

    def _approve(self, messages):
        """Apply the unauthenticated e-mailed purchase orders of ``messages`` a salesperson
        checked, exactly as an authenticated one is applied."""
        if not self.env.user.has_group("sales_team.group_sale_salesman"):
            raise AccessError(self.env._("Only salespeople may approve e-mailed purchase orders."))
        messages.check_access("read")
        attachments = messages.filtered(lambda m: m.kind == "order_mail_attachment")
        mails = messages.filtered(lambda m: m.kind == "order_mail")
        waiting = (attachments | mails.child_ids).filtered(lambda m: m.state == "approval")
        if not waiting:
            raise UserError(self.env._("No e-mailed purchase order waits for approval here."))
        waiting.order_id.check_access("write")
        for message in waiting.sudo():
            connection = message.connection_id
            activity = message.approval_activity_id
            message.write({"approved_by_id": self.env.uid, "approval_activity_id": False})
            responsible = connection._punchout_responsible(message.order_id or None)
            self._process_attachment(message, connection, responsible)
            if activity:
                activity.action_feedback(
                    feedback=self.env._("Approved by %(user)s.", user=self.env.user.name)
                )
            self._update_state(message.parent_id, responsible)
        return True

    def _retry(self, mail_messages):
        """Read failed order mails and attachments of ``mail_messages`` again (after fixing the
        cause: the sender's address on a connection, a product, the PO number pattern...).
        False when none of them can be retried."""
        mails = mail_messages.filtered(lambda m: m.kind == "order_mail" and m.state == "error")
        attachments = (mail_messages - mails).filtered(
            lambda m: m.state in ("received", "error")
        ) | mails.child_ids.filtered(lambda m: m.state in ("received", "error"))
        if not (mails or attachments):
            return False
        for mail in mails | attachments.parent_id:
            connection = mail.connection_id or self._find_connection(mail.mail_sender)
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
                self._process_attachment(attachment_message, connection, responsible)
            if mail.child_ids:
                mail.activity_ids.sudo().unlink()
                self._update_state(mail, responsible)
        return True

    # ------------------------------------------------------------------
    # Confirmations by e-mail
    # ------------------------------------------------------------------

    def _send_confirmation(self, connection, order):
        """Odoo's order confirmation mail, with its PDF, to the address this connection names
        (queued: the mail queue sends it after this transaction)."""
        connection.ensure_one()
        if not connection.order_confirmation_email or order.state != "sale":
            return connection.env["mail.mail"]
        template = connection.env.ref(
            "sale.mail_template_sale_confirmation", raise_if_not_found=False
        )
        if not template:
            return connection.env["mail.mail"]
        mail_id = template.sudo().send_mail(
            order.id,
            email_values={"email_to": connection.order_confirmation_email, "recipient_ids": []},
            email_layout_xmlid="mail.mail_notification_layout_with_responsible_signature",
        )
        order.message_post(
            body=self.env._(
                "Order confirmation e-mailed to %(email)s.",
                email=connection.order_confirmation_email,
            )
        )
        return connection.env["mail.mail"].sudo().browse(mail_id)


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
