"""The buyer simulator: plays the buyer's procurement system, for suppliers to test a connection.

OCI: it punches in like SAP does and decodes the returned form. cXML: it sends a
PunchOutSetupRequest like Ariba or Coupa would, receives the PunchOutOrderMessage through the
browser, checks it like a buyer's system does, and can send the OrderRequest a buyer would make of
it. The cXML requests are handed to the same model code as the ``/punchout/cxml`` endpoint, in this
request's transaction, so the message log shows them like real ones.
"""

import base64
import binascii
import json
import logging
import re
import secrets
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode

from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import SUPERUSER_ID, api, http
from odoo.http import request
from odoo.tools import consteq

from ..const import AUTHSERV_ID_PARAM, DTD_PATH_PARAM, MAX_CXML_BYTES
from ..protocol import cxml, oci, s4
from ..protocol.cxml import buyer_checks
from ..protocol.errors import PunchoutProtocolError

_logger = logging.getLogger(__name__)

SIMULATOR_CHARSETS = ("utf-8", "iso-8859-1", "windows-1252")
SIMULATOR_USER_AGENT = "Odoo oci_punchout buyer simulator"
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def _signed_connection(connection_id, signature, protocol=None):
    """The connection of a simulator return URL; 404 unless its signature is ours."""
    if not consteq(signature, request.env["punchout.simulator"]._signature(connection_id)):
        raise NotFound()
    connection = request.env["punchout.connection"].sudo().browse(connection_id).exists()
    if not connection or (protocol and connection.protocol != protocol):
        raise NotFound()
    return connection


def _signed_cart(connection_id, protocols, nonce, cart_data, cart_signature):
    """(connection, cart bytes) of a cart this simulator received and signed on its return
    page, for a test connection of one of ``protocols``: what approving it may send.

    :raises NotFound: no such connection of those protocols, or a malformed nonce
    :raises Forbidden: a production connection (a simulated order would be a real one), or a
        signature that is not ours
    :raises BadRequest: a cart too large or not base64
    """
    connection = request.env["punchout.connection"].sudo().browse(connection_id).exists()
    if not connection or connection.protocol not in protocols or not _NONCE.match(nonce or ""):
        raise NotFound()
    if not connection.test_mode:
        raise Forbidden()
    if len(cart_data) > MAX_CXML_BYTES * 2:
        raise BadRequest()
    try:
        cart = base64.b64decode(cart_data, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest() from None
    expected = request.env["punchout.simulator"]._cart_signature(connection.id, nonce, cart)
    if not cart_signature or not consteq(cart_signature, expected):
        raise Forbidden()
    return connection, cart


def _buyer_header(connection, shared_secret):
    """The header of the buyer's requests: From/Sender the buyer (with the typed secret)."""
    Cxml = connection.env["punchout.cxml"]
    buyer = Cxml._buyer_credential(connection)
    return cxml.Header(
        from_credentials=[buyer],
        to_credentials=[Cxml._our_credential(connection)],
        sender_credentials=[replace(buyer, shared_secret=shared_secret or None)],
        user_agent=SIMULATOR_USER_AGENT,
    )


def _deployment_mode(connection):
    return "test" if connection.test_mode else "production"


def _process_cxml(body):
    """Hand a buyer's cXML request to the code behind ``/punchout/cxml``, in this transaction
    (each step in a savepoint): stored, processed, answered as the endpoint does.

    :returns: (Response bytes, the punchout.message of the request)
    """
    env = api.Environment(request.env.cr, SUPERUSER_ID, {})
    response, message, _status = env["punchout.message"]._cxml_receive(
        body, request.httprequest.remote_addr
    )
    return response, message


def _parse_answer(response):
    try:
        return cxml.parse_response(response)
    except PunchoutProtocolError as exc:
        return cxml.Response(status_code=500, status_text="Unreadable", message=exc.message)


def _dtd_check(document):
    """(state, errors): 'valid', 'invalid' or 'skipped', with the DTD errors or the reason."""
    param = request.env["ir.config_parameter"].sudo().get_param(DTD_PATH_PARAM) or ""
    if not param.strip():
        return "skipped", [
            request.env._(
                "DTD check skipped: set the system parameter %(param)s to a folder with the "
                "official cXML.dtd",
                param=DTD_PATH_PARAM,
            )
        ]
    state, checks = buyer_checks.validate_with_dtd(document, param, MAX_CXML_BYTES)
    return state, [_check_text(check) for check in checks]


def _check_text(check):
    """The text of a buyer's check (protocol.cxml.buyer_checks), translated."""
    return request.env._(check.text, **check.values)  # pylint: disable=translation-required


def simulated_cxml_receipt(connection, body, parse, po_numbers, accepted):
    """(status code, message) a buyer's system answers to a cXML document we send (an invoice,
    a ship notice): test connections only, within size, our credentials and secret, purchase
    orders it knows. ``parse`` reads ``body``; ``po_numbers(request)`` are the orders it names;
    ``accepted(request)`` the message when it is taken."""
    env = request.env
    if not connection.test_mode:
        return 403, env._("The simulator only takes documents of test connections.")
    if len(body) > MAX_CXML_BYTES:
        return 413, env._("The document is too large.")
    envelope = parse(body, max_bytes=MAX_CXML_BYTES)
    failed = buyer_checks.check_received_document(
        envelope,
        buyer=env["punchout.cxml"]._buyer_credential(connection),
        expected_secret=connection.cxml_outbound_secret,
        test_system=True,
    )
    if failed:
        return failed.status, _check_text(failed)
    numbers = set(po_numbers(envelope.request))
    known = set(
        env["sale.order"]
        .sudo()
        .search(
            [
                ("punchout_connection_id", "=", connection.id),
                ("punchout_po_number", "in", list(numbers)),
            ]
        )
        .mapped("punchout_po_number")
    )
    if not numbers or numbers - known:
        return 400, env._(
            "Unknown purchase order %(po)s: the buyer's system cannot match this document.",
            po=", ".join(sorted(numbers - known)) or "?",
        )
    return 200, accepted(envelope.request)


def _find_cart_field(form, field_name):
    """(posted name, value) of the cart field, its name matched case-insensitively."""
    wanted = (field_name or "cxml-urlencoded").strip().lower()
    for name in form:
        if name.strip().lower() == wanted:
            return name, form.get(name)
    return None, None


class PunchoutSimulatorController(http.Controller):
    def _manager_connection(self, connection_id):
        if not request.env.user.has_group("oci_punchout.group_punchout_manager"):
            raise Forbidden()
        connection = request.env["punchout.connection"].browse(connection_id).exists()
        if not connection:
            raise NotFound()
        return connection

    @http.route(
        "/punchout/simulator/<int:connection_id>",
        type="http",
        auth="user",
        website=True,
        sitemap=False,
    )
    def simulator(self, connection_id, **_kwargs):
        connection = self._manager_connection(connection_id)
        if connection.protocol == "cxml":
            return self._render_cxml_simulator(connection)
        signature = request.env["punchout.simulator"]._signature(connection.id)
        base_url = connection.website_id.get_base_url() or request.httprequest.host_url
        hook_urls = {
            charset: f"{base_url.rstrip('/')}/punchout/simulator/return/{connection.id}/"
            f"{signature}/{charset}?~OkCode=ADDI&~CALLER=CTLG"
            for charset in SIMULATOR_CHARSETS
        }
        return request.render(
            "oci_punchout.simulator_page",
            {
                "connection": connection,
                "username": connection.sudo().oci_username or "",
                "hook_urls": hook_urls,
                "charsets": SIMULATOR_CHARSETS,
                "punch_in_url": f"/punchout/oci/{connection.code}",
                "s4_documents": self._s4_received(connection),
            },
        )

    def _s4_received(self, connection):
        """The last documents the simulated S/4HANA took, decoded."""
        if connection.protocol != "s4":
            return []
        messages = (
            request.env["punchout.message"]
            .sudo()
            .search(
                [
                    ("connection_id", "=", connection.id),
                    ("direction", "=", "out"),
                    ("protocol", "=", "s4"),
                    ("state", "=", "done"),
                ],
                order="id desc",
                limit=20,
            )
        )
        documents = []
        for message in messages:
            try:
                operation, values = s4.read_document(
                    s4.parse_envelope(message.payload.encode()).body
                )
            except PunchoutProtocolError:
                continue
            document = next(value for key, value in values.items() if key != "MessageHeader")
            documents.append(
                {
                    "date": message.create_date,
                    "operation": operation,
                    "summary": " ".join(
                        str(document.get(key))
                        for key in (
                            "PurchaseOrderID",
                            "ConfirmationStatusCode",
                            "DeliveryID",
                            "ActionCode",
                            "InvoiceID",
                            "TypeCode",
                        )
                        if document.get(key)
                    ),
                    "values": json.dumps(document, indent=1, ensure_ascii=False),
                }
            )
        return documents

    @http.route(
        "/punchout/simulator/return/<int:connection_id>/<string:signature>/<string:charset>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def simulator_return(self, connection_id, signature, charset, **_kwargs):
        """What the buyer's system received: every field decoded, every OCI rule checked."""
        if charset not in SIMULATOR_CHARSETS:
            raise NotFound()
        connection = _signed_connection(connection_id, signature)
        raw_body = request.httprequest.get_data(cache=True) or b""
        pairs = parse_qsl(
            raw_body.decode("latin-1"), keep_blank_values=True, encoding=charset, errors="replace"
        )
        item_pairs = [
            (name, value) for name, value in pairs if name.upper().startswith("NEW_ITEM-")
        ]
        other_pairs = [(name, value) for name, value in pairs if (name, value) not in item_pairs]
        items = oci.parse_cart_fields(item_pairs)
        violations = oci.validate_cart_fields(item_pairs, charset=charset, raw_body=raw_body)
        approval = {}
        if (
            items
            and not violations
            and connection.test_mode
            and (connection.alias_email or connection.protocol == "s4")
        ):
            # What SAP does next (approval, the PO by e-mail), offered for this very cart only.
            nonce = secrets.token_urlsafe(24)
            cart = urlencode(item_pairs).encode()
            approval = {
                "url": f"/punchout/simulator/{connection.id}/oci/approve",
                "nonce": nonce,
                "cart_data": base64.b64encode(cart).decode(),
                "cart_signature": request.env["punchout.simulator"]._cart_signature(
                    connection.id, nonce, cart
                ),
                "can_verify": bool(
                    request.env["ir.config_parameter"].sudo().get_param(AUTHSERV_ID_PARAM)
                ),
                "soap": connection.protocol == "s4",
            }
        return request.render(
            "oci_punchout.simulator_return_page",
            {
                "connection": connection,
                "charset": charset,
                "items": items,
                "item_pairs": item_pairs,
                "other_pairs": other_pairs,
                "violations": violations,
                "cancelled": not item_pairs,
                "approval": approval,
            },
        )

    @http.route(
        "/punchout/simulator/<int:connection_id>/oci/approve",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def simulator_oci_approve(
        self,
        connection_id,
        nonce="",
        cart_data="",
        cart_signature="",
        password="",
        po_format="pdf",
        decision="approve",
        verified="",
        **_kwargs,
    ):
        """Play SAP after an OCI cart: the head buyer approves (the purchase order e-mailed as
        SAP's PO print or IDoc to the connection's order inbox, through the mail gateway) or
        rejects it (nothing reaches the supplier, as in SAP).

        Test connections only. Public on purpose like the cXML order: it takes only carts this
        simulator received (signed on the return page) and the connection's OCI password, which
        the admin types; anyone may e-mail the order inbox anyway.
        """
        connection, cart = _signed_cart(
            connection_id, ("oci", "s4"), nonce, cart_data, cart_signature
        )
        Simulator = request.env["punchout.simulator"]
        items = oci.parse_cart_fields(parse_qsl(cart.decode(), keep_blank_values=True))
        values = {"connection": connection, "rejected": decision == "reject"}
        if decision != "reject":
            if not request.env["punchout.oci"]._verify_password(
                password, connection.oci_password_hash
            ):
                raise Forbidden(request.env._("Wrong password of the connection."))
            order = Simulator._sap_purchase_order(items)
            if connection.protocol == "s4":
                return self._send_s4_purchase_order(connection, order, password)
            env = api.Environment(request.env.cr, SUPERUSER_ID, {})
            mail = env["punchout.simulator"]._send_sap_purchase_order(
                connection, order, po_format, verified=bool(verified)
            )
            documents = mail | mail.child_ids
            sale_order = documents.order_id[:1]
            values.update(
                po_number=order.order_id,
                po_format=po_format,
                mail=mail,
                sale_order=sale_order,
                confirmed=sale_order.state == "sale",
                held=any(document.state == "approval" for document in documents),
                order_url=f"/odoo/action-sale.action_orders/{sale_order.id}" if sale_order else "",
                mail_url=f"/odoo/action-oci_punchout.punchout_message_action/{mail.id}",
            )
        return request.render("oci_punchout.simulator_oci_order_page", values)

    def _send_s4_purchase_order(self, connection, order, password):
        """Play S/4HANA's OrderRequest_Out: the approved cart's PO over SOAP, authenticated
        with the connection's credentials, taken by the same code as /punchout/s4/<code>."""
        body, message_id = request.env["punchout.simulator"]._s4_order_request(connection, order)
        credentials = base64.b64encode(
            f"{connection.sudo().oci_username}:{password}".encode()
        ).decode()
        env = api.Environment(request.env.cr, SUPERUSER_ID, {})
        status, answer, _version = env["punchout.s4"]._receive(
            connection.code,
            body,
            f"Basic {credentials}",
            request.httprequest.remote_addr,
            message_id=message_id,
        )
        message = env["punchout.message"].search(
            [("kind", "=", "s4_order"), ("connection_id", "=", connection.id)],
            order="id desc",
            limit=1,
        )
        sale_order = message.order_id
        return request.render(
            "oci_punchout.simulator_s4_order_page",
            {
                "connection": connection,
                "po_number": order.order_id,
                "status": status,
                "fault": s4.parse_fault(answer) if answer else None,
                "message": message,
                "sale_order": sale_order,
                "confirmed": sale_order.state == "sale",
                "order_url": f"/odoo/action-sale.action_orders/{sale_order.id}"
                if sale_order
                else "",
                "request_body": body.decode(),
            },
        )

    @http.route(
        "/punchout/simulator/<int:connection_id>/<string:signature>/s4/<string:operation>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def simulator_s4_inbound(self, connection_id, signature, operation, **_kwargs):
        """Play the buyer's S/4HANA inbound services (test connections): take an order
        confirmation, delivery notification or invoice as SAP does (our credentials, its
        purchase order), 202 or a SOAP fault. Set by "Receive documents in the simulator"."""
        connection = _signed_connection(connection_id, signature, protocol="s4")
        body = request.httprequest.get_data(cache=False)[: s4.MAX_SOAP_BYTES + 1]
        version = "1.1"
        try:
            version = request.env["punchout.simulator"]._s4_receipt(
                connection,
                operation,
                body,
                request.httprequest.headers.get("Authorization", ""),
                request.httprequest.headers.get("SOAPAction", ""),
            )
        except PunchoutProtocolError as exc:
            status = 500 if version == "1.1" else 400
            return request.make_response(
                s4.build_fault(version, True, exc.message),
                headers=[("Content-Type", s4.CONTENT_TYPES[version])],
                status=401 if exc.status == 401 else status,
            )
        return request.make_response(b"", status=202)

    # ------------------------------------------------------------------
    # cXML: setup, cart message, order
    # ------------------------------------------------------------------

    def _render_cxml_simulator(self, connection, **values):
        partner_user = connection.user_id
        return request.render(
            "oci_punchout.simulator_page",
            {
                "connection": connection,
                "user_email": partner_user.email or partner_user.login or "",
                "deployment_mode": _deployment_mode(connection),
                "setup_url": f"/punchout/simulator/{connection.id}/cxml/setup",
                "setup_error": "",
                "answer": None,
                **values,
            },
        )

    @http.route(
        "/punchout/simulator/<int:connection_id>/cxml/setup",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def simulator_cxml_setup(self, connection_id, shared_secret="", user_email="", **_kwargs):
        """Play the buyer's system: send a PunchOutSetupRequest, show the answer and start URL."""
        connection = self._manager_connection(connection_id)
        if connection.protocol != "cxml":
            raise NotFound()
        if not connection.cxml_buyer_identity:
            return self._render_cxml_simulator(
                connection,
                setup_error=request.env._(
                    "Set the buyer identity of this connection before simulating a punch-in."
                ),
            )
        nonce = secrets.token_urlsafe(16)
        Simulator = request.env["punchout.simulator"]
        setup = cxml.PunchOutSetupRequest(
            operation="create",
            buyer_cookie=Simulator._buyer_cookie(connection.id, nonce),
            browser_form_post_url=Simulator._cxml_return_url(connection, nonce),
            extrinsics={"UserEmail": user_email.strip()} if user_email.strip() else {},
        )
        body = cxml.build_punchout_setup_request(
            _buyer_header(connection, shared_secret),
            setup,
            deployment_mode=_deployment_mode(connection),
        )
        response, message = _process_cxml(body)
        return self._render_cxml_simulator(
            connection,
            user_email=user_email,
            setup_request=cxml.redact_secrets(body).decode(),
            setup_response=response.decode(),
            answer=_parse_answer(response),
            setup_message=message,
        )

    @http.route(
        "/punchout/simulator/return/<int:connection_id>/<string:signature>/cxml/<string:nonce>",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def simulator_cxml_return(self, connection_id, signature, nonce, **_kwargs):
        """The cart message as the buyer's system receives it: decoded, parsed and checked."""
        if not _NONCE.match(nonce):
            raise NotFound()
        connection = _signed_connection(connection_id, signature, protocol="cxml")
        Simulator = request.env["punchout.simulator"]
        form = request.httprequest.form
        field_name, value = _find_cart_field(form, connection.cxml_form_field_name)
        values = {
            "connection": connection,
            "nonce": nonce,
            "field_name": field_name,
            "expected_field_name": connection.cxml_form_field_name or "cxml-urlencoded",
            "received_names": list(form),
            "checks": [],
            "cart": None,
            "document": "",
            "error": "",
            "dtd_state": "",
            "dtd_errors": [],
            "cart_data": "",
            "cart_signature": "",
        }
        if field_name is None:
            values["error"] = request.env._(
                "No field named %(name)s was posted (received: %(names)s).",
                name=values["expected_field_name"],
                names=", ".join(form) or "-",
            )
            return request.render("oci_punchout.simulator_cxml_return_page", values)
        try:
            document = cxml.decode_browser_form_value(value, connection.cxml_form_encoding)
        except PunchoutProtocolError as exc:
            values["error"] = exc.message
            return request.render("oci_punchout.simulator_cxml_return_page", values)
        values["document"] = document.decode("utf-8", errors="replace")
        values["dtd_state"], values["dtd_errors"] = _dtd_check(document)
        try:
            cart = cxml.parse_punchout_order_message(document, max_bytes=MAX_CXML_BYTES)
        except PunchoutProtocolError as exc:
            values["error"] = exc.message
            return request.render("oci_punchout.simulator_cxml_return_page", values)
        values["cart"] = cart
        checks = buyer_checks.check_cart(
            cart,
            document,
            expected_cookie=Simulator._buyer_cookie(connection.id, nonce),
            field_name=values["field_name"],
            expected_field_name=values["expected_field_name"],
            dtd_state=values["dtd_state"],
            dtd_errors=len(values["dtd_errors"]),
        )
        values["checks"] = [(check.passed, _check_text(check)) for check in checks]
        if cart.items:
            values["cart_data"] = base64.b64encode(document).decode("ascii")
            values["cart_signature"] = Simulator._cart_signature(connection.id, nonce, document)
        return request.render("oci_punchout.simulator_cxml_return_page", values)

    @http.route(
        "/punchout/simulator/<int:connection_id>/cxml/order",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def simulator_cxml_order(
        self,
        connection_id,
        nonce="",
        cart_data="",
        cart_signature="",
        shared_secret="",
        **_kwargs,
    ):
        """Play the buyer's system once the cart is approved: send the OrderRequest.

        Test connections only. Public on purpose: the transfer logged the browser out. It only
        takes carts this simulator received (signed on the return page) and, like the real
        endpoint, the shared secret the admin types: nothing a visitor could not already send to
        ``/punchout/cxml``. The secret is never put in a page.
        """
        connection, document = _signed_cart(
            connection_id, ("cxml",), nonce, cart_data, cart_signature
        )
        try:
            cart = cxml.parse_punchout_order_message(document, max_bytes=MAX_CXML_BYTES)
        except PunchoutProtocolError as exc:
            raise BadRequest(exc.message) from None
        if not cart.items:
            raise BadRequest(request.env._("A cancelled cart cannot be ordered."))
        now = datetime.now(timezone.utc)
        po_number = f"SIM-{now:%Y%m%d%H%M%S}-{secrets.token_hex(2).upper()}"
        order_request = cxml.order_request_from_cart(
            cart,
            order_id=po_number,
            bill_to=connection.partner_id._get_punchout_cxml_address(),
            order_date=now,
        )
        try:
            body = cxml.build_order_request(
                _buyer_header(connection, shared_secret),
                order_request,
                deployment_mode=_deployment_mode(connection),
            )
        except ValueError as exc:  # a cart a buyer's system could not order either
            raise BadRequest(str(exc)) from None
        response, message = _process_cxml(body)
        answer = _parse_answer(response)
        order = message.order_id if answer.ok else message.order_id.browse()
        confirmation = message.browse()
        if order:
            confirmation = message.search(
                [("kind", "=", "cxml_confirmation"), ("order_id", "=", order.id)], limit=1
            )
        return request.render(
            "oci_punchout.simulator_cxml_order_page",
            {
                "connection": connection,
                "po_number": po_number,
                "order_request": cxml.redact_secrets(body).decode(),
                "order_response": response.decode(),
                "answer": answer,
                "order": order,
                "order_url": f"/odoo/action-sale.action_orders/{order.id}" if order else "",
                "message": message,
                "confirmation": confirmation,
            },
        )

    @http.route(
        "/punchout/simulator/<int:connection_id>/<string:signature>/cxml/invoice",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def simulator_cxml_invoice(self, connection_id, signature, **_kwargs):
        """Play the buyer's invoice receipt (test connections): take a cXML invoice the way a
        buyer's system does, checking its credentials and its purchase order, and answer with
        a cXML Status. Set as the connection's invoice URL by "Receive invoices in the
        simulator"."""
        connection = _signed_connection(connection_id, signature, protocol="cxml")
        body = request.httprequest.get_data(cache=False)[: MAX_CXML_BYTES + 1]
        try:
            status, text = self._simulated_invoice_receipt(connection, body)
        except PunchoutProtocolError as exc:
            status, text = cxml.status_for(exc)[0], exc.message
        return request.make_response(
            cxml.build_response(status, None, text),
            headers=[("Content-Type", "text/xml; charset=UTF-8")],
        )

    def _simulated_invoice_receipt(self, connection, body):
        """(status code, message) a buyer's system would answer to the invoice ``body``."""
        return simulated_cxml_receipt(
            connection,
            body,
            cxml.parse_invoice_detail_request,
            lambda invoice: [invoice.order_id],
            lambda invoice: request.env._(
                "Invoice %(invoice)s received for purchase order %(po)s (%(purpose)s).",
                invoice=invoice.invoice_id,
                po=invoice.order_id,
                purpose=invoice.purpose,
            ),
        )
