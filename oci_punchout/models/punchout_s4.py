import base64
import binascii
import hashlib
import hmac
import io
import logging
import uuid
from decimal import Decimal

import requests
import zeep
from psycopg2 import errors as pg_errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import zeep as odoo_zeep

from ..protocol import s4
from ..protocol.errors import (
    AuthenticationFailed,
    MalformedDocument,
    PunchoutProtocolError,
)

_logger = logging.getLogger(__name__)

# Outbound document kinds -> the buyer's operation (buyer.wsdl) they are sent with.
OUTBOUND_OPERATIONS = {
    "s4_confirmation": "OrderConfRequest_In",
    "s4_delivery": "DeliveryRequest_In",
    "s4_invoice": "InvoiceRequest_In",
}
# A redelivery's message id is kept at most this long (SAP's ids are 32 hex digits or a UUID).
MAX_MESSAGE_ID = 120


class PunchoutS4(models.AbstractModel):
    """SAP S/4HANA's EDI channel, the supplier's end: purchase orders received over SOAP (stored
    first, once per SAP message id, matched like every other channel), read top to bottom: the
    connection and its credentials, receiving, processing."""

    _name = "punchout.s4"
    _description = "Punchout: SAP S/4HANA over SOAP"

    @api.model
    def _find_connection(self, code):
        return (
            self.env["punchout.connection"]
            .sudo()
            .search([("code", "=", code or ""), ("protocol", "=", "s4")], limit=1)
        )

    @api.model
    def _check_credentials(self, connection, authorization):
        """HTTP Basic authentication with the connection's OCI user and password, in constant
        time whether the connection exists or not.

        :raises AuthenticationFailed: missing or wrong credentials, unknown connection
        """
        username, password = _basic_credentials(authorization)
        if not (username and password):
            # No credentials at all: nothing to keep secret, so no password hash to spend
            # 0.3 CPU seconds on (a stranger's request without them costs us next to nothing).
            raise AuthenticationFailed(self.env._("Unknown connection or wrong credentials."))
        expected = (connection.sudo().oci_username or "").encode() if connection else b""
        username_ok = hmac.compare_digest(expected, username.encode())
        password_ok = self.env["punchout.oci"]._verify_password(
            password, connection.sudo().oci_password_hash if connection else False
        )
        if not (connection and expected and username_ok and password_ok):
            raise AuthenticationFailed(self.env._("Unknown connection or wrong credentials."))
        if not connection.active:
            raise PunchoutProtocolError(self.env._("This connection is not active."), status=403)

    # ------------------------------------------------------------------
    # Receiving: stored, processed, answered
    # ------------------------------------------------------------------

    @api.model
    def _receive(self, code, body, authorization, remote_addr, message_id="", run=None):
        """Store, authenticate, process and answer one SOAP request of ``code``'s S/4HANA.

        ``run(function)`` runs ``function(env)`` as one step (the endpoint: a transaction of its
        own each, so that a failure never loses the stored document).

        :returns: (HTTP status, body, SOAP version)
        """
        Message = self.env["punchout.message"]
        run = run or Message._run_in_savepoint
        stored_id = run(
            lambda env: (
                env["punchout.message"]
                ._log(
                    "s4_order",
                    "in",
                    "s4",
                    _excerpt(body),
                    remote_addr=remote_addr,
                )
                .id
            )
        )

        def stored(env):
            return env["punchout.message"].browse(stored_id)

        version = "1.2" if s4.SOAP12_NS.encode() in body[:2048] else "1.1"
        soap_message = None
        try:
            # Credentials first: a stranger learns nothing about what we make of its body.
            run(
                lambda env: env["punchout.s4"]._authenticate(
                    stored(env), code, authorization, body
                )
            )
            soap_message = s4.parse_envelope(body)
            version = soap_message.version
            run(
                lambda env: env["punchout.s4"]._process(
                    stored(env), code, soap_message, message_id
                )
            )
            return 202, b"", version
        except pg_errors.UniqueViolation:
            # A copy of this message was processed meanwhile: answered as that copy was.
            return (
                run(
                    lambda env: env["punchout.s4"]._replay(
                        stored(env), code, message_id, soap_message
                    )
                ),
                b"",
                version,
            )
        except PunchoutProtocolError as exc:
            status, text = exc.status, exc.message
        except Exception as exc:
            _logger.exception("S/4HANA request %s failed", stored_id)
            status, text = 500, f"Internal error: {exc}"
        sender_fault = status < 500
        fault = s4.build_fault(version, sender_fault, text)
        http_status = (
            status
            if status in (401, 413, 429)
            else (500 if version == "1.1" or not sender_fault else 400)
        )
        run(
            lambda env: env["punchout.s4"]._set_failed(
                stored(env), code, body, text, status, fault
            )
        )
        return http_status, fault, version

    def _authenticate(self, message, code, authorization, body):
        """Check the sender of the request stored as ``message``; then keep it whole."""
        connection = self._find_connection(code)
        self._check_credentials(connection, authorization)
        message.write(
            {
                "connection_id": connection.id,
                "company_id": connection.company_id.id,
                "payload": message._format_payload(body),
            }
        )

    def _process(self, message, code, soap_message, message_id):
        """Read and apply the purchase order stored as ``message`` (its sender checked)."""
        message.ensure_one()
        # Held until this transaction ends: a stored document that no transaction holds and
        # that is still 'received' was interrupted (see _cron_close_interrupted).
        self.env.cr.execute(
            "SELECT id FROM punchout_message WHERE id = %s FOR UPDATE", [message.id]
        )
        connection = self._find_connection(code)
        request = s4.parse_order_request(soap_message.body)
        self._check_products(connection, request.purchase_order)
        key = _message_key(message_id or soap_message.message_id or request.message_id)
        message.dedup_key = f"{connection.id}:{key}"
        # Taking the key may wait for a concurrent copy, then fail: answered as a replay.
        self.env.flush_all()
        order, notes = connection._punchout_receive_order(
            request.purchase_order, message, document_id=key
        )
        text = (
            self.env._("Order %(order)s confirmed.", order=order.name)
            if order.state == "sale"
            else self.env._("Quotation %(order)s updated, to review.", order=order.name)
        )
        if notes:
            text += " " + self.env._("%(count)s point(s) to review.", count=len(notes))
        message._set_done(http_status=202, response_payload=text, error=False)

    def _check_products(self, connection, purchase_order):
        """Every item names one of our products (SellerProductID) or a line of our quotation:
        SAP's master data is wrong otherwise, and the buyer's system is told at once.

        :raises MalformedDocument: naming the first such item
        """
        found = self.env["punchout.cxml"]._find_products(
            connection, [item.supplier_part_id for item in purchase_order.items]
        )
        for item in purchase_order.items:
            if item.supplier_part_id not in found and "/" not in (
                item.supplier_part_auxiliary_id or ""
            ):
                raise MalformedDocument(
                    self.env._(
                        "Item %(item)s: %(product)s is not one of our products.",
                        item=item.line_number,
                        product=item.supplier_part_id or item.buyer_part_id,
                    )
                )

    def _replay(self, message, code, message_id, soap_message):
        """A redelivery of a message already taken: nothing created, the same 202."""
        connection = self._find_connection(code)
        request = s4.parse_order_request(soap_message.body)
        key = _message_key(message_id or soap_message.message_id or request.message_id)
        original = self.env["punchout.message"].search(
            [
                ("direction", "=", "in"),
                ("kind", "=", "s4_order"),
                ("dedup_key", "=", f"{connection.id}:{key}"),
                ("id", "!=", message.id),
            ],
            limit=1,
        )
        message.write(
            {
                "connection_id": connection.id,
                "order_id": original.order_id.id,
                "state": "done",
                "http_status": 202,
                "error": self.env._(
                    "Redelivery of message %(id)s: nothing created.", id=original.id
                ),
            }
        )
        return 202

    # ------------------------------------------------------------------
    # Outbound: built with zeep from the WSDL, stored, posted by the send job
    # ------------------------------------------------------------------

    @api.model
    def _build(self, connection, operation, url, **values):
        """The SOAP request of ``operation`` with ``values``, as zeep writes it from the
        buyer's WSDL (uploaded on the connection) or ours: (envelope bytes, SOAPAction).

        :raises ValueError: a WSDL that is not self-contained, values the WSDL refuses
        """
        wsdl = (
            base64.b64decode(connection.sudo().s4_wsdl)
            if connection.sudo().s4_wsdl
            else s4.buyer_wsdl()
        )
        transport = _CapturingTransport()
        settings = zeep.Settings(forbid_dtd=True, forbid_entities=True, forbid_external=True)
        client = odoo_zeep.Client(io.BytesIO(wsdl), transport=transport, settings=settings)
        try:
            service = client.create_service(f"{{{s4.EDI_NS}}}{operation}Binding", url)
            service[operation](**values)
        except (zeep.exceptions.Error, TypeError, KeyError, AttributeError) as exc:
            raise ValueError(f"The {operation} message could not be written: {exc}") from exc
        _address, envelope, headers = transport.captured
        return envelope, (headers.get("SOAPAction") or "").strip('"')

    @api.model
    def _queue(self, connection, kind, url, values, **message_values):
        """Store an outbound document of ``kind`` to send after this transaction."""
        operation = OUTBOUND_OPERATIONS[kind]
        envelope, action = self._build(connection, operation, url, **values)
        message = self.env["punchout.message"]._log(
            kind,
            "out",
            "s4",
            envelope,
            connection_id=connection.id,
            soap_action=action,
            state="pending",
            next_attempt_at=fields.Datetime.now(),
            **message_values,
        )
        self.env.ref("oci_punchout.ir_cron_punchout_send")._trigger()
        return message

    @api.model
    def _message_header(self, reference_id=""):
        """A MessageHeader as SAP writes one: a 32-digit hex id, the time with its zone."""
        return s4.message_header(
            uuid.uuid4().hex.upper(),
            fields.Datetime.now().replace(microsecond=0),
            reference_id=reference_id,
        )

    @api.model
    def _queue_confirmation(self, connection, order, purchase_order=None, reason=""):
        """The next version of ``order``'s OrderConfRequest (what we confirm of each PO item,
        its quantity and date), stored to send; nothing when it says what the last one said.
        The statuses are those of the cXML confirmation: the same order, the same answer."""
        connection.ensure_one()
        Message = self.env["punchout.message"]
        if not connection.s4_confirmation_url or not order.punchout_po_payload_id:
            return Message
        confirmation = self.env["punchout.cxml"]._confirmation(
            connection, order, purchase_order, reason
        )
        digest = hashlib.sha256(repr(confirmation).encode()).hexdigest()
        if digest == order.punchout_confirmation_digest:
            return Message
        version = order.punchout_confirmation_version + 1
        header = self._message_header(reference_id=order.punchout_po_payload_id)
        values = {
            "MessageHeader": header,
            "OrderConfirmation": s4.order_confirmation(
                order.punchout_po_number,
                order.name,
                _order_status(confirmation),
                [_confirmed_item(item) for item in confirmation.items],
                note=confirmation.comments or "",
            ),
        }
        message = self._queue(
            connection,
            "s4_confirmation",
            connection.s4_confirmation_url,
            values,
            order_id=order.id,
            session_id=order.punchout_session_id.id,
            dedup_key=f"{connection.id}:confirmation:{order.id}:{version}",
        )
        order.sudo().write(
            {
                "punchout_confirmation_version": version,
                "punchout_confirmation_payload_id": header["ID"],
                "punchout_confirmation_digest": digest,
            }
        )
        return message

    @api.model
    def _invoice_problems(self, move):
        """What keeps ``move`` from being an InvoiceRequest the buyer's S/4HANA can post."""
        problems = []
        if not move._get_punchout_po_number():
            problems.append(
                self.env._(
                    "%(invoice)s must bill exactly one purchase order of the buyer: S/4HANA "
                    "posts an invoice against its purchase order.",
                    invoice=move.display_name,
                )
            )
        if not move._get_punchout_connection().sudo().s4_invoice_url:
            problems.append(self.env._("The connection has no Invoice Service."))
        return problems

    @api.model
    def _invoice_values(self, move):
        """The ``Invoice`` of an InvoiceRequest: the buyer's PO and item of each line, the
        quantities in the buyer's units, net prices and amounts, tax rates and totals."""
        connection = move._get_punchout_connection()
        currency = move.currency_id.name
        lines = move.invoice_line_ids.filtered(lambda line: line.display_type == "product")
        codes = connection._get_unit_codes(lines.product_uom_id)
        po_number = move._get_punchout_po_number()
        items = []
        for line in lines:
            sale_line = line.sale_line_ids[:1]
            percent = sum(
                line.tax_ids.filtered(lambda tax: tax.amount_type == "percent").mapped("amount")
            )
            items.append(
                s4.InvoicedItem(
                    purchase_order_id=sale_line.order_id.punchout_po_number or po_number,
                    item_id=sale_line.punchout_po_line_number or None,
                    description=line.name or line.product_id.display_name,
                    quantity=Decimal(str(line.quantity)),
                    unit=codes.get(line.product_uom_id.id) or "C62",
                    net_price=Decimal(
                        str(
                            move.currency_id.round(
                                line.price_unit * (1 - (line.discount or 0) / 100)
                            )
                        )
                    ),
                    net_amount=Decimal(str(line.price_subtotal)),
                    tax_percent=Decimal(str(percent)),
                )
            )
        return s4.invoice(
            move.name,
            "CRN" if move.move_type == "out_refund" else "INV",
            move.invoice_date or fields.Date.context_today(self),
            currency,
            Decimal(str(move.amount_untaxed)),
            Decimal(str(move.amount_tax)),
            Decimal(str(move.amount_total)),
            items,
            due_date=move.invoice_date_due,
            seller_id=connection.oci_vendor_number or "",
        )

    @api.model
    def _queue_invoice(self, move):
        """Store ``move``'s InvoiceRequest to send (see
        ``account.move._punchout_send_s4_invoice``).

        :raises UserError: what keeps it from being sent
        """
        problems = self._invoice_problems(move)
        if problems:
            raise UserError("\n".join(problems))
        connection = move._get_punchout_connection()
        values = {"MessageHeader": self._message_header(), "Invoice": self._invoice_values(move)}
        return self._queue(
            connection,
            "s4_invoice",
            connection.s4_invoice_url,
            values,
            order_id=move._get_punchout_orders()[:1].id,
            move_id=move.id,
        )

    def _set_failed(self, message, code, body, error, status, fault):
        message.ensure_one()
        connection = self._find_connection(code)
        values = {
            "state": "error",
            "error": error,
            "http_status": status,
            "response_payload": fault.decode(),
            "auth_failed": status == 401,
        }
        if connection and status not in (401, 429):
            # Its sender was authenticated: the whole document kept.
            values.update(connection_id=connection.id, company_id=connection.company_id.id)
            values["payload"] = message._format_payload(body)
        message.write(values)


def _basic_credentials(authorization):
    """(user, password) of an HTTP Basic Authorization header; ('', '') if there is none."""
    scheme, _sep, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not value or len(value) > 1024:
        return "", ""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except binascii.Error:
        return "", ""
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError:
        # RFC 7617 leaves the charset open: many clients (requests, SAP) send ISO-8859-1.
        decoded = raw.decode("latin-1")
    username, _sep, password = decoded.partition(":")
    return username, password


def _message_key(value):
    value = (value or "").strip()
    if not value:
        raise MalformedDocument(
            "The message has no id (MessageId, wsa:MessageID or MessageHeader/ID)."
        )
    if len(value) > MAX_MESSAGE_ID:
        raise MalformedDocument(f"The message id is longer than {MAX_MESSAGE_ID} characters.")
    return value


def _excerpt(body):
    """What is kept of a request before its sender is authenticated."""
    return body[: 32 * 1024]


class _CapturingTransport(zeep.Transport):
    """zeep's transport for building documents: nothing is fetched (the WSDL must be
    self-contained) and the request zeep would post is kept, not sent: the send job posts it
    (and posts it again, unchanged, until the buyer's system takes it)."""

    def __init__(self):
        super().__init__()
        self.captured = None

    def load(self, url):
        raise ValueError(f"The WSDL refers to {url}: it must be self-contained.")

    def post(self, address, message, headers):
        self.captured = (address, message, dict(headers))
        response = requests.Response()
        response.status_code = 202
        response._content = b""
        return response


def _order_status(confirmation):
    if confirmation.confirm_type == "reject":
        return "reject"
    return "accept" if confirmation.confirm_type == "accept" else "change"


def _confirmed_item(item):
    """A cXML ConfirmationItem as S/4HANA's: the quantity we deliver (now or later) with the
    date, 'reject' for nothing, 'change' for less or later than ordered."""
    confirmed = (item.status_quantity if item.status_quantity is not None else item.quantity) + (
        item.backordered_quantity or Decimal(0)
    )
    if not confirmed:
        status = "reject"
    elif confirmed == item.quantity and not item.backordered_quantity:
        status = "accept"
    else:
        status = "change"
    date = item.backorder_delivery_date if item.backordered_quantity else item.delivery_date
    return s4.ConfirmedItem(
        item_id=item.line_number,
        status=status,
        quantity=confirmed,
        unit=item.unit_of_measure,
        delivery_date=date.date() if date else None,
        net_price=item.unit_price.amount if item.unit_price else None,
        currency=item.unit_price.currency if item.unit_price else "",
    )
