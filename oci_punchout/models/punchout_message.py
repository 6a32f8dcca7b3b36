import base64
import json
import logging
import random
import re
import time
from datetime import timedelta

import psycopg2
import requests
from psycopg2 import errors as pg_errors

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import UserError
from odoo.service.model import (
    MAX_TRIES_ON_CONCURRENCY_FAILURE,
    PG_CONCURRENCY_EXCEPTIONS_TO_RETRY,
)
from odoo.tools import escape_psql

from odoo.addons.mail.tools.alias_error import AliasError

from ..const import (
    DEFAULT_KEEP_DAYS,
    KEEP_DAYS_PARAM,
    MAX_CXML_BYTES,
    MAX_SEND_ATTEMPTS,
    REDACTED,
    THROTTLE_MAX_FAILURES,
    THROTTLE_WINDOW_MINUTES,
)
from ..protocol import cxml, s4
from ..protocol.errors import PunchoutProtocolError
from ..protocol.xml import decode_xml_for_storage
from .mail_thread import punchout_raw_headers

_logger = logging.getLogger(__name__)

SECRET_PARAM_NAMES = {"PASSWORD", "SHAREDSECRET", "SHARED_SECRET", "PASS", "PWD", "SECRET"}
MAX_PAYLOAD_CHARS = 1_000_000
# What is kept of a request before its sender is known: enough to see who sent what.
MAX_EXCERPT_CHARS = 32 * 1024

# An inbound document still 'received' this long after it was stored, and not locked by the
# transaction processing it, was interrupted (see _cron_close_interrupted).
INTERRUPTED_AFTER_MINUTES = 5
_PAYLOAD_ID_RE = re.compile(r"""<cXML\b[^>]*?\bpayloadID\s*=\s*["']([^"'<>]{1,250})["']""")
CXML_KINDS = {
    "ProfileRequest": "cxml_profile",
    "PunchOutSetupRequest": "cxml_setup",
    "OrderRequest": "cxml_order",
}


def run_in_new_transaction(registry, function):
    """Run ``function(env)`` in a transaction of its own, committed when it returns.

    Inbound documents are stored before they are processed, so that a failure of the
    processing (rolled back on its own) never loses the document. A concurrency error (two
    workers writing the same rows, e.g. two copies of one order for the same buyer) is retried
    in a new transaction as Odoo retries its own requests, which such a transaction is not.
    """
    for attempt in range(1, MAX_TRIES_ON_CONCURRENCY_FAILURE + 1):
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, {})
                result = function(env)
                env.flush_all()  # the transaction only keeps weak references to its envs
                return result
        except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY as exc:
            if attempt == MAX_TRIES_ON_CONCURRENCY_FAILURE:
                raise
            _logger.info(
                "%s, retrying (%s/%s)",
                type(exc).__name__,
                attempt,
                MAX_TRIES_ON_CONCURRENCY_FAILURE,
            )
            time.sleep(random.uniform(0.0, 2**attempt))


class PunchoutMessage(models.Model):
    _name = "punchout.message"
    _description = "Punchout Message"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _rec_name = "display_name"
    # Whoever may read the exchange log may comment on it and act on its activities.
    _mail_post_access = "read"

    direction = fields.Selection(
        [("in", "Inbound"), ("out", "Outbound")], required=True, readonly=True
    )
    protocol = fields.Selection(
        [
            ("oci", "SAP OCI"),
            ("cxml", "cXML"),
            ("s4", "SAP S/4HANA (SOAP)"),
            ("mail", "E-mail"),
            ("file", "File"),
        ],
        required=True,
        readonly=True,
    )
    kind = fields.Selection(
        [
            ("oci_login", "OCI punch-in"),
            ("oci_validate", "OCI validate"),
            ("oci_search", "OCI background search"),
            ("oci_quantitycheck", "OCI quantity check"),
            ("oci_downloadjson", "OCI catalogue replication"),
            ("oci_cart", "OCI cart"),
            ("oci_cancel", "OCI cancel"),
            ("cxml_request", "cXML request"),
            ("cxml_profile", "cXML profile request"),
            ("cxml_setup", "cXML punchout setup"),
            ("cxml_start", "cXML start page"),
            ("cxml_cart", "cXML cart"),
            ("cxml_cancel", "cXML cancel"),
            ("cxml_order", "cXML order"),
            ("cxml_confirmation", "cXML confirmation"),
            ("cxml_invoice", "cXML invoice"),
            ("order_mail", "Order e-mail"),
            ("order_mail_attachment", "Order e-mail attachment"),
            ("order_upload", "Uploaded purchase order"),
            ("catalog", "Catalogue"),
            ("s4_order", "S/4HANA purchase order"),
            ("s4_confirmation", "S/4HANA order confirmation"),
            ("s4_invoice", "S/4HANA invoice"),
        ],
        required=True,
        readonly=True,
    )
    connection_id = fields.Many2one(
        "punchout.connection", readonly=True, index=True, ondelete="set null"
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    session_id = fields.Many2one(
        "punchout.session", readonly=True, index=True, ondelete="set null"
    )
    order_id = fields.Many2one("sale.order", readonly=True, index=True, ondelete="set null")
    move_id = fields.Many2one(
        "account.move", string="Invoice", readonly=True, index=True, ondelete="set null"
    )
    parent_id = fields.Many2one(
        "punchout.message",
        string="Received With",
        readonly=True,
        index=True,
        ondelete="cascade",
        help="The e-mail this attachment came with.",
    )
    child_ids = fields.One2many("punchout.message", "parent_id", string="Attachments")
    state = fields.Selection(
        [
            ("received", "Received"),
            ("pending", "To send"),
            ("approval", "To approve"),
            ("done", "Done"),
            ("error", "Error"),
        ],
        required=True,
        default="received",
        readonly=True,
        index=True,
    )
    payload = fields.Text(readonly=True, help="The document, secrets redacted.")
    response_payload = fields.Text(
        string="Answer",
        readonly=True,
        help="Inbound: what we answered. Outbound: what the buyer's system answered.",
    )
    soap_action = fields.Char(
        string="SOAP Action",
        readonly=True,
        help="The SOAPAction an S/4HANA document is sent with.",
    )
    attempt_count = fields.Integer(readonly=True, help="Sending attempts of an outbound document.")
    next_attempt_at = fields.Datetime(readonly=True)
    dedup_key = fields.Char(string="Document Key", readonly=True, index=True)
    error = fields.Text(readonly=True)
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    remote_addr = fields.Char(string="Remote Address", readonly=True, index=True)
    auth_failed = fields.Boolean(readonly=True, index=True)
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
    refused = fields.Boolean(
        readonly=True,
        help="Outbound: the buyer's system refused this document (cXML 4xx); sending the same "
        "document again will not help.",
    )
    withdrawn = fields.Boolean(
        readonly=True,
        help="Outbound: no longer to be sent, its invoice was reset to draft before the buyer's "
        "system took it.",
    )

    def init(self):
        # A document with the same key (cXML payloadID) is processed once: the database, not the
        # workers, guarantees it, even for two copies arriving at the same moment.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS punchout_message_inbound_dedup_key_uniq
                ON punchout_message (kind, dedup_key)
             WHERE direction = 'in' AND dedup_key IS NOT NULL
            """
        )
        # The same for S/4HANA invoices.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS punchout_message_s4_invoice_live_uniq
                ON punchout_message (move_id)
             WHERE direction = 'out' AND kind = 's4_invoice'
               AND refused IS NOT TRUE AND withdrawn IS NOT TRUE
            """
        )
        # One live cXML invoice document per invoice (not refused by the buyer, not withdrawn):
        # a retry or a second Send posts that same document (same payloadID) again, so the
        # buyer never gets two.
        self.env.cr.execute(
            """
            CREATE UNIQUE INDEX IF NOT EXISTS punchout_message_cxml_invoice_live_uniq
                ON punchout_message (move_id)
             WHERE direction = 'out' AND kind = 'cxml_invoice'
               AND refused IS NOT TRUE AND withdrawn IS NOT TRUE
            """
        )

    @api.depends("kind", "direction")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for message in self:
            message.display_name = f"{kinds.get(message.kind, message.kind)} #{message.id or ''}"

    @api.model
    def _log(self, kind, direction, protocol, payload=None, **values):
        """Store a document; ``payload`` may be text, bytes, or a dict/list of form fields."""
        connection = values.get("connection_id")
        if connection and not values.get("company_id"):
            values["company_id"] = self.env["punchout.connection"].browse(connection).company_id.id
        return (
            self.sudo()
            .with_context(mail_create_nolog=True, mail_create_nosubscribe=True, mail_notrack=True)
            .create(
                {
                    "kind": kind,
                    "direction": direction,
                    "protocol": protocol,
                    "payload": self._format_payload(payload),
                    **values,
                }
            )
        )

    @api.model
    def _format_payload(self, payload):
        if payload is None:
            return False
        if isinstance(payload, bytes):
            # In the document's own encoding (UTF-16 and others as well as UTF-8).
            payload = decode_xml_for_storage(payload)
        elif isinstance(payload, dict):
            payload = json.dumps(redact_params(payload), indent=1, ensure_ascii=False)
        elif isinstance(payload, (list, tuple)):
            payload = "\n".join(f"{name}={value}" for name, value in payload)
        return _truncate(payload.replace("\x00", "\ufffd"), MAX_PAYLOAD_CHARS)

    def _set_done(self, **values):
        self.sudo().write(
            {"state": "done", "http_status": values.pop("http_status", 200), **values}
        )

    def _set_error(self, error, http_status=400, **values):
        self.sudo().write(
            {"state": "error", "error": str(error), "http_status": http_status, **values}
        )

    @api.model
    def _cxml_store(self, body, remote_addr):
        """Keep an inbound cXML document (secrets removed) before anything else happens: its
        beginning only, until its sender is authenticated (see ``_cxml_keep_document``)."""
        payload = self._format_payload(cxml.redact_secrets(body))
        return self._log(
            "cxml_request",
            "in",
            "cxml",
            _truncate(payload, MAX_EXCERPT_CHARS, len(body)),
            remote_addr=remote_addr,
        )

    def _cxml_keep_document(self, body):
        """The whole document (secrets removed), once its sender is authenticated: what a
        retry processes again."""
        self.ensure_one()
        self.payload = self._format_payload(cxml.redact_secrets(body))

    # ------------------------------------------------------------------
    # Orders by e-mail (see punchout.mail)
    # ------------------------------------------------------------------

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        return self.env["punchout.mail"]._receive(msg_dict, custom_values)

    def _alias_get_error(self, message, message_dict, alias):
        """The shared order inbox, when restricted to buyers: the sender's real address must
        route to a connection."""
        if alias.alias_contact == "punchout_buyer" and not self:
            Mail = self.env["punchout.mail"]
            sender = Mail._sender(punchout_raw_headers(message))
            if not Mail._find_connection(sender):
                return AliasError(
                    "error_punchout_buyer_restricted",
                    self.env._("restricted to the buyers' purchasing systems and contacts"),
                )
            return False
        return super()._alias_get_error(message, message_dict, alias)

    def action_approve(self):
        """Apply unauthenticated e-mailed purchase orders a salesperson checked."""
        return self.env["punchout.mail"]._approve(self)

    # ------------------------------------------------------------------
    # cXML requests: stored, processed, answered
    # ------------------------------------------------------------------

    @api.model
    def _cxml_receive(self, body, remote_addr, attachments=(), run=None):
        """Store, process and answer one inbound cXML request, in that order: stored before
        anything else happens, its processing rolled back alone when it fails (and why
        recorded on the stored document), a copy of an order already taken answered as the
        first one was.

        ``run(function)`` runs ``function(env)``, one step: the endpoint gives each step a
        transaction of its own (``run_in_new_transaction``), so that a failure never loses
        the stored document; by default each step runs in a savepoint of this transaction
        (the buyer simulator).

        :returns: (the cXML Response bytes, the stored message, the Status code)
        """
        run = run or self._run_in_savepoint
        message_id = run(lambda env: env["punchout.message"]._cxml_store(body, remote_addr).id)

        def stored(env):
            return env["punchout.message"].browse(message_id)

        envelope = None
        status, failure = 200, None
        try:
            envelope = cxml.parse_request(body, max_bytes=MAX_CXML_BYTES)
            response = run(lambda env: stored(env)._cxml_process(envelope, body, attachments))
        except pg_errors.UniqueViolation:
            # A copy of this document was processed meanwhile (the database said so).
            response = run(lambda env: stored(env)._cxml_replay(envelope))
        except PunchoutProtocolError as exc:
            status, failure = exc.status, exc.message
            response = cxml.build_error_response(exc)
        except Exception as exc:  # the buyer's system gets a 500 Status, the log the cause
            _logger.exception("cXML request %s failed", message_id)
            status, failure = 500, f"Internal error: {exc}"
            response = cxml.build_error_response(exc)
        if failure is not None:
            run(
                lambda env: stored(env)._cxml_set_failed(envelope, body, failure, status, response)
            )
        return response, stored(self.env), status

    @api.model
    def _cxml_refuse(self, exc, body, remote_addr, run=None):
        """Store a request refused before it was read (too large, throttled) with why; the
        cXML Response that says so."""
        response = cxml.build_error_response(exc)
        (run or self._run_in_savepoint)(
            lambda env: (
                env["punchout.message"]
                ._cxml_store(body, remote_addr)
                ._cxml_set_failed(None, body, exc.message, exc.status, response)
            )
        )
        return response

    @api.model
    def _run_in_savepoint(self, function):
        with self.env.cr.savepoint():
            return function(self.env)

    def _cxml_process(self, envelope, body, attachments=()):
        self.ensure_one()
        # Held until this transaction ends: a stored document that no transaction holds and
        # that is still 'received' was interrupted (see _cron_close_interrupted).
        self.env.cr.execute("SELECT id FROM punchout_message WHERE id = %s FOR UPDATE", [self.id])
        return self.env["punchout.cxml"]._handle_request(envelope, body, self, attachments)

    def _cxml_set_failed(self, envelope, body, error, http_status, response):
        """Record why a request failed (``envelope``: the request, None when unreadable);
        what was written while processing it is rolled back."""
        self.ensure_one()
        values = {
            "state": "error",
            "error": error,
            "http_status": http_status,
            "response_payload": response.decode(),
            "auth_failed": http_status == 401,
        }
        if envelope:
            values["kind"] = CXML_KINDS.get(envelope.request_name, "cxml_request")
            values["connection_id"] = self.env["punchout.cxml"]._find_connection(envelope).id
        self.write(values)
        if self.connection_id and http_status not in (401, 429):
            # Failed after its sender was authenticated: kept whole, for action_retry.
            self._cxml_keep_document(body)

    def action_retry(self):
        """Process failed purchase orders again, by cXML or e-mail, after fixing their cause
        (a product, the deviation policy, the sender's address on a connection...)."""
        by_mail = self.filtered(lambda m: m.kind in ("order_mail", "order_mail_attachment"))
        others = self - by_mail
        if others:
            others._cxml_retry()
        if not self.env["punchout.mail"]._retry(by_mail) and not others:
            self._cxml_retry()  # nothing to retry at all: says so
        return True

    def _cxml_retry(self):
        """Process a failed cXML purchase order again. Its sender was authenticated when it
        arrived."""
        retryable = self.filtered(
            lambda m: (
                m.direction == "in"
                and m.state == "error"
                and m.kind == "cxml_order"
                and m.connection_id
                and not m.auth_failed
            )
        )
        if not retryable:
            raise UserError(self.env._("Only refused or failed purchase orders can be retried."))
        for message in retryable:
            envelope = cxml.parse_request(message.payload)
            try:
                with self.env.cr.savepoint():
                    response = self.env["punchout.cxml"]._take_order(
                        message.connection_id, envelope, message
                    )
            except PunchoutProtocolError as exc:
                message._set_error(exc.message, http_status=exc.status)
            except psycopg2.IntegrityError:
                message._set_error(
                    self.env._("This purchase order was received again meanwhile."),
                    http_status=409,
                )
            else:
                message._set_done(response_payload=response.decode(), error=False)

    def _cxml_replay(self, envelope):
        """A copy of an order already received: the first copy's answer, nothing created."""
        self.ensure_one()
        connection = self.env["punchout.cxml"]._find_connection(envelope)
        self.write({"kind": "cxml_order", "connection_id": connection.id})
        original = self.search(
            [
                ("direction", "=", "in"),
                ("kind", "=", "cxml_order"),
                ("dedup_key", "=", f"{connection.id}:{envelope.payload_id}"),
                ("state", "=", "done"),
                ("id", "!=", self.id),
            ],
            limit=1,
        )
        if original:
            self.write(
                {
                    "order_id": original.order_id.id,
                    "state": "done",
                    "http_status": 200,
                    "error": self.env._(
                        "Replay of message %(id)s: nothing created.", id=original.id
                    ),
                    "response_payload": original.response_payload,
                }
            )
            return original.response_payload.encode()
        response = cxml.build_response(
            409,
            "Conflict",
            self.env._("This purchase order is already being processed, or was processed before."),
        )
        self._set_error(
            "Duplicate purchase order (same payloadID or order number).",
            http_status=409,
            response_payload=response.decode(),
        )
        return response

    # ------------------------------------------------------------------
    # Outbound documents: sent once, retried until the buyer's system takes them
    # ------------------------------------------------------------------

    def _lock_for_sending(self):
        """The messages of ``self`` still to send that no other worker is sending right now."""
        if not self:
            return self
        self.flush_recordset()
        self.env.cr.execute(
            """
            SELECT id FROM punchout_message
             WHERE id IN %s AND direction = 'out' AND state IN ('pending', 'error')
               FOR UPDATE SKIP LOCKED
            """,
            [tuple(self.ids)],
        )
        return self.browse([row[0] for row in self.env.cr.fetchall()])

    def _send(self):
        """Post pending outbound documents to the buyer's system and record its answer."""
        # Whoever triggers it (the accountant's Send, the cron), sending only updates the log.
        locked = self.sudo()._lock_for_sending()
        for message in locked:
            connection = message.connection_id.sudo()
            url = message._outbound_url()
            if not url:
                message._set_error("No URL to send this document to.", http_status=0)
                continue
            body, content_type, headers = message._outbound_body()
            message.attempt_count += 1
            try:
                http_status, content = connection._punchout_post(
                    url, body, content_type, headers=headers
                )
            except requests.RequestException as exc:
                message._retry_later(f"{type(exc).__name__}: {exc}")
                continue
            if message.kind == "catalog":
                message._record_file_answer(http_status, content)
            elif message.protocol == "s4":
                message._record_soap_answer(http_status, content)
            else:
                message._record_answer(http_status, content)
        for message in locked:
            message._notify_invoice()

    def _outbound_body(self):
        """(body, content type, extra headers) of an outbound document: a cXML document with
        our secret, an S/4HANA SOAP request with its action and our Basic credentials, or the
        file of a catalogue."""
        self.ensure_one()
        connection = self.connection_id.sudo()
        if self.kind == "catalog":
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .search([("res_model", "=", self._name), ("res_id", "=", self.id)], limit=1)
            )
            return attachment.raw, f"{attachment.mimetype}; charset=UTF-8", {}
        if self.protocol == "s4":
            headers = {"SOAPAction": f'"{self.soap_action or ""}"'}
            if connection.s4_outbound_username:
                credentials = (
                    f"{connection.s4_outbound_username}:{connection.s4_outbound_password or ''}"
                )
                headers["Authorization"] = (
                    "Basic " + base64.b64encode(credentials.encode()).decode()
                )
            return self.payload.encode(), "text/xml; charset=utf-8", headers
        body = cxml.with_shared_secret(
            self.payload.encode(), connection.cxml_outbound_secret or None
        )
        return body, "text/xml; charset=UTF-8", {}

    def _record_soap_answer(self, http_status, content):
        """The buyer's S/4HANA answered: 2xx taken; a fault of ours (Client/Sender) refused,
        not sent again; a server fault or anything else tried again later."""
        self.ensure_one()
        answer = (content or b"").decode("utf-8", errors="replace")[:MAX_PAYLOAD_CHARS]
        if 200 <= http_status < 300:
            self._set_done(http_status=http_status, response_payload=answer, error=False)
            return
        fault = s4.parse_fault(content) if content else None
        if fault and fault[0]:
            self._set_error(
                f"SOAP fault: {fault[1]}",
                http_status=http_status,
                response_payload=answer,
                refused=True,
            )
            return
        self.response_payload = answer
        reason = f"SOAP fault: {fault[1]}" if fault else f"HTTP {http_status}"
        self._retry_later(reason, http_status=http_status)

    def _record_file_answer(self, http_status, content):
        """A file posted to the buyer's system: 2xx taken, 4xx refused (sending it again will
        not help), anything else tried again later."""
        self.ensure_one()
        answer = (content or b"").decode("utf-8", errors="replace")[:MAX_PAYLOAD_CHARS]
        if 200 <= http_status < 300:
            self._set_done(http_status=http_status, response_payload=answer, error=False)
        elif 400 <= http_status < 500 and http_status not in (408, 429):
            self._set_error(
                f"HTTP {http_status}",
                http_status=http_status,
                response_payload=answer,
                refused=True,
            )
        else:
            self.response_payload = answer
            self._retry_later(f"HTTP {http_status}", http_status=http_status)

    def _outbound_url(self):
        self.ensure_one()
        if self.kind == "catalog":
            return self.connection_id.catalog_delivery_url
        if self.kind == "s4_confirmation":
            return self.connection_id.s4_confirmation_url
        if self.kind == "s4_invoice":
            return self.connection_id.s4_invoice_url
        if self.kind == "cxml_confirmation":
            return self.connection_id.cxml_confirmation_url
        if self.kind == "cxml_invoice":
            return self.connection_id.cxml_invoice_url
        return False

    def _notify_invoice(self):
        """Tell the invoice's followers what the buyer's system did with it."""
        self.ensure_one()
        if self.kind not in ("cxml_invoice", "s4_invoice") or not self.move_id:
            return
        if self.state == "done":
            body = self.env._("The buyer's system accepted the cXML invoice.")
        elif self.refused:
            body = self.env._(
                "The buyer's system refused the cXML invoice: %(reason)s", reason=self.error
            )
        elif self.state == "pending":
            body = self.env._(
                "The cXML invoice could not be delivered (%(reason)s); it is sent again "
                "automatically.",
                reason=self.error,
            )
        else:
            body = self.env._("The cXML invoice was not delivered: %(reason)s", reason=self.error)
        self.move_id.sudo().message_post(body=body)

    def _record_answer(self, http_status, content):
        self.ensure_one()
        answer = (content or b"").decode("utf-8", errors="replace")[:MAX_PAYLOAD_CHARS]
        try:
            response = cxml.parse_response(content)
        except PunchoutProtocolError as exc:
            response = None
            reason = f"HTTP {http_status}, unreadable answer: {exc.message}"
        if response and 200 <= http_status < 300 and response.ok:
            self._set_done(http_status=http_status, response_payload=answer, error=False)
            return
        if response:
            reason = f"cXML {response.status_code} {response.status_text}: {response.message}"
        if response and 400 <= response.status_code < 500 and response.status_code != 409:
            # The buyer's system refused this document: sending it again will not help.
            self._set_error(reason, http_status=http_status, response_payload=answer, refused=True)
            return
        self.response_payload = answer
        self._retry_later(reason, http_status=http_status)

    def _retry_later(self, reason, http_status=0):
        self.ensure_one()
        if self.attempt_count >= MAX_SEND_ATTEMPTS:
            self._set_error(f"{reason} (gave up after {self.attempt_count} attempts)", http_status)
            return
        delay = timedelta(minutes=5 * 2 ** max(self.attempt_count - 1, 0))
        self.write(
            {
                "state": "pending",
                "error": reason,
                "http_status": http_status,
                "next_attempt_at": fields.Datetime.now() + delay,
            }
        )

    @api.model
    def _cron_send_pending(self, batch_size=100):
        due = self.sudo().search(
            [
                ("direction", "=", "out"),
                ("state", "=", "pending"),
                ("next_attempt_at", "<=", fields.Datetime.now()),
            ],
            order="next_attempt_at, id",
            limit=batch_size,
        )
        due._send()
        if len(due) == batch_size:
            # More may be due (a buyer's system back after a while): the rest now, not in
            # five minutes.
            self.env.ref("oci_punchout.ir_cron_punchout_send")._trigger()

    def action_send_now(self):
        """Send again (also after a refusal, once the cause is fixed). A refused or withdrawn
        invoice is sent again from the invoice: the invoice makes a new document."""
        self.filtered(
            lambda m: (
                m.direction == "out"
                and m.state != "done"
                and not (m.kind == "cxml_invoice" and (m.refused or m.withdrawn))
            )
        )._send()

    @api.model
    def _cron_purge(self, batch_size=5000):
        """Delete the exchange log older than the days to keep (setting; 0 keeps everything).

        Kept whatever their age: documents of a sale order or invoice (the buyer's purchase
        order, our confirmations and e-invoices: what the order or invoice rests on, kept as
        long as it exists) and documents still to send. What goes: requests of anonymous
        senders, punch-ins, carts, refused or failed documents no order was made from."""
        days = int(
            self.env["ir.config_parameter"].sudo().get_param(KEEP_DAYS_PARAM, DEFAULT_KEEP_DAYS)
            or 0
        )
        if days <= 0:
            return
        keep = ["|", "|", ("order_id", "!=", False), ("move_id", "!=", False)]
        keep.append(("state", "=", "pending"))
        expired = self.sudo().search(
            [
                ("create_date", "<", fields.Datetime.now() - timedelta(days=days)),
                ("parent_id", "=", False),  # e-mail attachments go with their e-mail
                "!",
                *keep,
                ("child_ids", "not any", keep),
            ],
            order="id",
            limit=batch_size,
        )
        _logger.info(
            "Punchout exchange log: %s messages older than %s days deleted", len(expired), days
        )
        expired.unlink()
        if len(expired) == batch_size:
            self.env.ref("oci_punchout.ir_cron_punchout_purge_messages")._trigger()

    @api.model
    def _cron_close_interrupted(self):
        """Record what became of inbound documents whose processing was interrupted: a worker
        killed or the server or database restarted after the document was stored. Nothing of
        such a document was applied (its transaction was rolled back) and the buyer's system
        got no answer, so it sends the document again; the copy it sent is named here."""
        self.env.cr.execute(
            """
            SELECT id FROM punchout_message
             WHERE direction = 'in' AND state = 'received'
               AND create_date < (now() at time zone 'utc') - make_interval(mins => %s)
               FOR UPDATE SKIP LOCKED
            """,
            [INTERRUPTED_AFTER_MINUTES],
        )
        for message in self.sudo().browse([row[0] for row in self.env.cr.fetchall()]):
            message._close_interrupted()

    def _close_interrupted(self):
        self.ensure_one()
        # The stored copy may be an excerpt (anonymous until authenticated) or not XML at all.
        found = _PAYLOAD_ID_RE.search((self.payload or "")[:4096])
        payload_id = found.group(1) if found else ""
        copy = self.browse()
        if payload_id:
            copy = self.search(
                [
                    ("direction", "=", "in"),
                    ("state", "=", "done"),
                    ("dedup_key", "=like", "%:" + escape_psql(payload_id)),
                    ("id", "!=", self.id),
                ],
                limit=1,
            )
        error = self.env._(
            "Processing was interrupted (a server worker or the database stopped): nothing of "
            "this document was applied and the buyer's system got no answer."
        )
        if copy:
            error += " " + self.env._(
                "The buyer's system sent it again: processed as message %(id)s.", id=copy.id
            )
        else:
            error += " " + self.env._("The buyer's system is expected to send it again.")
        self.write(
            {
                "state": "error",
                "http_status": 503,
                "error": error,
                "kind": copy.kind or self.kind,
                "connection_id": copy.connection_id.id or self.connection_id.id,
            }
        )

    @api.model
    def _is_throttled(self, remote_addr):
        """Too many failed logins from this address lately (kept in the database, so every
        worker and every server behind the proxy sees the same count)."""
        if not remote_addr:
            return False
        since = fields.Datetime.now() - timedelta(minutes=THROTTLE_WINDOW_MINUTES)
        failures = self.sudo().search_count(
            [
                ("remote_addr", "=", remote_addr),
                ("auth_failed", "=", True),
                ("create_date", ">=", since),
            ]
        )
        return failures >= THROTTLE_MAX_FAILURES


def _truncate(text, max_chars, size=None):
    """``text`` cut to ``max_chars``, saying so (``size``: of what was received, in bytes)."""
    if len(text) <= max_chars:
        return text
    received = f"{size} bytes received" if size is not None else f"{len(text)} characters"
    return (
        f"{text[:max_chars]}\n[... truncated: {received}, the first {max_chars} characters kept]"
    )


def redact_params(params, secret_names=(), keep_only=None):
    """A copy of request parameters with every secret (and ``secret_names``) replaced.

    With ``keep_only`` (upper-case names), every other parameter is replaced too: for requests
    whose connection, and so whose password parameter name, is not known.
    """
    secret_names = SECRET_PARAM_NAMES | {name.upper() for name in secret_names if name}
    redacted = {}
    for name, value in params.items():
        upper = str(name).upper()
        if (
            upper in secret_names
            or "PASSWORD" in upper
            or (keep_only is not None and upper not in keep_only)
        ):
            redacted[name] = REDACTED
        else:
            redacted[name] = value
    return redacted
