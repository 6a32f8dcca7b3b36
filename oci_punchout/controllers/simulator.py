"""The buyer simulator: plays the buyer's procurement system, for suppliers to test a connection.

OCI: it punches in like SAP does and decodes the returned form. cXML: it sends a
PunchOutSetupRequest like Ariba or Coupa would, receives the PunchOutOrderMessage through the
browser, checks it like a buyer's system does, and can send the OrderRequest a buyer would make of
it. The cXML requests are handed to the same model code as the ``/punchout/cxml`` endpoint, in this
request's transaction, so the message log shows them like real ones.
"""

import base64
import binascii
import hashlib
import logging
import os
import re
import secrets
from dataclasses import replace
from datetime import datetime, timezone
from urllib.parse import parse_qsl

from lxml import etree
from werkzeug.exceptions import BadRequest, Forbidden, NotFound

from odoo import SUPERUSER_ID, api, http
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import hmac as odoo_hmac

from ..models.punchout_connection import MAX_CXML_BYTES
from ..protocol import cxml, oci
from ..protocol.errors import PunchoutProtocolError
from ..protocol.xml import parse_xml

_logger = logging.getLogger(__name__)

SIMULATOR_CHARSETS = ("utf-8", "iso-8859-1", "windows-1252")
SIMULATOR_USER_AGENT = "Odoo oci_punchout buyer simulator"
DTD_PATH_PARAM = "oci_punchout.cxml_dtd_path"
MAX_DTD_ERRORS = 50
_NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_SHARED_SECRET_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:SharedSecret|CredentialMac)\b")


def simulator_signature(env, connection_id):
    return odoo_hmac(env(su=True), "punchout-simulator", connection_id)


def _signed_connection(connection_id, signature, protocol=None):
    """The connection of a simulator return URL; 404 unless its signature is ours."""
    if not consteq(signature, simulator_signature(request.env, connection_id)):
        raise NotFound()
    connection = request.env["punchout.connection"].sudo().browse(connection_id).exists()
    if not connection or (protocol and connection.protocol != protocol):
        raise NotFound()
    return connection


def simulator_buyer_cookie(env, connection_id, nonce):
    """The BuyerCookie of a simulated cXML punch-in: derived from the nonce of its return URL,
    so the return page can tell whether the cart message echoes the cookie it was sent."""
    return odoo_hmac(env(su=True), "punchout-simulator-cookie", (connection_id, nonce))[:40]


def simulator_cxml_return_url(env, connection, nonce, base_url=None):
    """The signed BrowserFormPost URL of a simulated cXML punch-in. It lies under
    ``/punchout/simulator/return/``, which every connection accepts as a return URL."""
    base_url = (base_url or connection.website_id.get_base_url()).rstrip("/")
    signature = simulator_signature(env, connection.id)
    return f"{base_url}/punchout/simulator/return/{connection.id}/{signature}/cxml/{nonce}"


def _cart_signature(env, connection_id, nonce, document):
    digest = hashlib.sha256(document).hexdigest()
    return odoo_hmac(env(su=True), "punchout-simulator-cart", (connection_id, nonce, digest))


def _buyer_header(connection, shared_secret):
    """The header of the buyer's requests: From/Sender the buyer (with the typed secret)."""
    buyer = connection._cxml_buyer_credential()
    return cxml.Header(
        from_credentials=[buyer],
        to_credentials=[connection._cxml_our_credential()],
        sender_credentials=[replace(buyer, shared_secret=shared_secret or None)],
        user_agent=SIMULATOR_USER_AGENT,
    )


def _deployment_mode(connection):
    return "test" if connection.test_mode else "production"


def _process_cxml(body):
    """Hand a buyer's cXML request to the code behind ``/punchout/cxml``, in this transaction.

    The document is stored first, then processed in a savepoint: a refusal rolls back what the
    processing wrote, keeps the stored document and records why, as the endpoint does.
    :returns: (Response bytes, the punchout.message of the request)
    """
    env = api.Environment(request.env.cr, SUPERUSER_ID, {})
    remote_addr = request.httprequest.remote_addr
    message = env["punchout.message"]._cxml_store(body, remote_addr)
    try:
        with env.cr.savepoint():
            response = env["punchout.connection"]._cxml_handle_request(body, message)
    except PunchoutProtocolError as exc:
        response = cxml.build_error_response(exc)
        message._cxml_set_failed(body, exc.message, exc.status, response)
    except Exception as exc:  # shown like the 500 Status a buyer's system would get
        _logger.exception("Simulated cXML request %s failed", message.id)
        response = cxml.build_error_response(exc)
        message._cxml_set_failed(body, f"Internal error: {exc}", 500, response)
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
    path = param.strip()
    if not path.lower().endswith(".dtd"):
        path = os.path.join(path, "cXML.dtd")
    if not os.path.isfile(path):
        return "skipped", [
            request.env._(
                "DTD check skipped: %(path)s does not exist (system parameter %(param)s)",
                path=path,
                param=DTD_PATH_PARAM,
            )
        ]
    try:
        dtd = etree.DTD(path)
    except (etree.DTDError, OSError) as exc:
        return "skipped", [
            request.env._(
                "DTD check skipped: %(path)s is unreadable: %(error)s", path=path, error=exc
            )
        ]
    try:
        root = parse_xml(document, MAX_CXML_BYTES)
    except PunchoutProtocolError as exc:
        return "invalid", [exc.message]
    if dtd.validate(root):
        return "valid", []
    errors = [
        f"line {error.line}: {error.message}" for error in dtd.error_log.filter_from_errors()
    ]
    return "invalid", errors[:MAX_DTD_ERRORS]


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
        signature = simulator_signature(request.env, connection.id)
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
            },
        )

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
            },
        )

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
        setup = cxml.PunchOutSetupRequest(
            operation="create",
            buyer_cookie=simulator_buyer_cookie(request.env, connection.id, nonce),
            browser_form_post_url=simulator_cxml_return_url(request.env, connection, nonce),
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
        values["checks"] = self._cxml_cart_checks(connection, nonce, cart, document, values)
        if cart.items:
            values["cart_data"] = base64.b64encode(document).decode("ascii")
            values["cart_signature"] = _cart_signature(request.env, connection.id, nonce, document)
        return request.render("oci_punchout.simulator_cxml_return_page", values)

    def _cxml_cart_checks(self, connection, nonce, cart, document, values):
        """[(passed, text)]: what a buyer's system checks before it takes the cart."""
        checks = []
        expected_cookie = simulator_buyer_cookie(request.env, connection.id, nonce)
        if consteq(cart.buyer_cookie or "", expected_cookie):
            checks.append(
                (True, request.env._("The BuyerCookie is the one sent with the setup request."))
            )
        else:
            checks.append(
                (
                    False,
                    request.env._(
                        "The BuyerCookie %(received)s is not the one sent with the setup request "
                        "(%(sent)s).",
                        received=cart.buyer_cookie or "-",
                        sent=expected_cookie,
                    ),
                )
            )
        if _SHARED_SECRET_TAG.search(document):
            checks.append(
                (
                    False,
                    request.env._(
                        "The message carries a SharedSecret: it went through the browser!"
                    ),
                )
            )
        else:
            checks.append((True, request.env._("No SharedSecret in the message.")))
        if cart.items:
            checks.append(
                (True, request.env._("%(count)s item(s) received.", count=len(cart.items)))
            )
        else:
            checks.append(
                (True, request.env._("No ItemIn: the user cancelled the punchout session."))
            )
        if values["field_name"] != values["expected_field_name"]:
            checks.append(
                (
                    True,
                    request.env._(
                        "The cart field is named %(posted)s, the connection says %(expected)s: "
                        "accepted, letter case differs.",
                        posted=values["field_name"],
                        expected=values["expected_field_name"],
                    ),
                )
            )
        if values["dtd_state"] == "valid":
            checks.append((True, request.env._("The message is valid against the cXML DTD.")))
        elif values["dtd_state"] == "invalid":
            checks.append(
                (
                    False,
                    request.env._(
                        "The message is not valid against the cXML DTD: %(count)s error(s).",
                        count=len(values["dtd_errors"]),
                    ),
                )
            )
        return checks

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
        connection = request.env["punchout.connection"].sudo().browse(connection_id).exists()
        if not connection or connection.protocol != "cxml" or not _NONCE.match(nonce or ""):
            raise NotFound()
        if not connection.test_mode:
            # A simulated order would be a real one: confirmed, and confirmed to the buyer.
            raise Forbidden()
        if len(cart_data) > MAX_CXML_BYTES * 2:
            raise BadRequest()
        try:
            document = base64.b64decode(cart_data, validate=True)
        except (binascii.Error, ValueError):
            raise BadRequest() from None
        expected = _cart_signature(request.env, connection.id, nonce, document)
        if not cart_signature or not consteq(cart_signature, expected):
            raise Forbidden()
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
        if not connection.test_mode:
            return 403, request.env._("The simulator only takes invoices of test connections.")
        if len(body) > MAX_CXML_BYTES:
            return 413, request.env._("The invoice is too large.")
        envelope = cxml.parse_invoice_detail_request(body, max_bytes=MAX_CXML_BYTES)
        expected_secret = connection.cxml_outbound_secret or ""
        if not consteq(envelope.header.shared_secret or "", expected_secret):
            return 401, request.env._("Wrong or missing SharedSecret.")
        if not any(
            credential.matches(connection.cxml_buyer_identity, connection.cxml_buyer_domain)
            for credential in envelope.header.to_credentials
        ):
            return 403, request.env._("This invoice is addressed to another buyer.")
        if envelope.deployment_mode != "test":
            return 403, request.env._("A production invoice was sent to a test system.")
        invoice = envelope.request
        order = (
            request.env["sale.order"]
            .sudo()
            .search(
                [
                    ("punchout_connection_id", "=", connection.id),
                    ("punchout_po_number", "=", invoice.order_id),
                ],
                limit=1,
            )
        )
        if not order:
            return 400, request.env._(
                "Unknown purchase order %(po)s: the buyer's system cannot match this invoice.",
                po=invoice.order_id,
            )
        return 200, request.env._(
            "Invoice %(invoice)s received for purchase order %(po)s (%(purpose)s).",
            invoice=invoice.invoice_id,
            po=invoice.order_id,
            purpose=invoice.purpose,
        )
