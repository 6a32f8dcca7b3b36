import email
import email.policy
import logging

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request

from ..const import MAX_CXML_BYTES
from ..models.punchout_message import run_in_new_transaction
from ..protocol.errors import PayloadTooLarge, PunchoutProtocolError, TooManyRequests
from .oci import _error_page, note_proxy_headers

_logger = logging.getLogger(__name__)


def _xml_response(body, status=200):
    # cXML answers requests with HTTP 200 and the outcome in Response/Status; throttled
    # requests also get HTTP 429, which proxies and buyers' monitoring understand.
    return request.make_response(
        body,
        headers=[("Content-Type", "text/xml; charset=UTF-8"), ("Cache-Control", "no-store")],
        status=status,
    )


def _read_body(httprequest, size):
    """At most ``size`` bytes of the request body, also of a chunked one (no Content-Length,
    so no limit checked beforehand; ``get_data`` would read it all).

    Odoo's request wrapper does not expose werkzeug's input stream, hence the wrapped request.
    """
    wrapped = httprequest._HTTPRequest__wrapped
    cached = getattr(wrapped, "_cached_data", None)
    if cached is not None:
        return cached[:size]
    stream = wrapped.stream
    chunks, remaining = [], size
    while remaining > 0:  # a read may return less than asked before the end
        chunk = stream.read(min(remaining, 1024 * 1024))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def split_multipart(content_type, body):
    """A multipart/related body: (the cXML part, [(file name, bytes, mimetype)])."""
    message = email.message_from_bytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body,
        policy=email.policy.HTTP,
    )
    document = None
    attachments = []
    for index, part in enumerate(message.iter_parts()):
        payload = part.get_payload(decode=True) or b""
        if document is None and part.get_content_type() in ("text/xml", "application/xml"):
            document = payload
            continue
        name = part.get_filename() or (part.get("Content-ID") or f"attachment-{index}").strip("<>")
        attachments.append((name, payload, part.get_content_type()))
    if document is None:
        raise PunchoutProtocolError("The multipart request has no text/xml cXML part.")
    return document, attachments


class PunchoutCxmlController(http.Controller):
    @http.route(
        "/punchout/cxml",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def cxml_request(self, **_kwargs):
        """Every cXML request of a buyer's system; always a cXML Response."""
        httprequest = request.httprequest
        remote_addr = httprequest.remote_addr
        note_proxy_headers()
        too_large = PayloadTooLarge(f"The request is larger than {MAX_CXML_BYTES} bytes.")
        if (httprequest.content_length or 0) > MAX_CXML_BYTES:
            return self._refuse(too_large, b"", remote_addr)
        if request.env["punchout.message"].sudo()._is_throttled(remote_addr):
            exc = TooManyRequests("Too many failed requests from this address. Try again later.")
            return self._refuse(exc, b"", remote_addr)
        body = _read_body(httprequest, MAX_CXML_BYTES + 1)
        if len(body) > MAX_CXML_BYTES:
            return self._refuse(too_large, body, remote_addr)
        attachments = []
        try:
            if httprequest.mimetype == "multipart/related":
                body, attachments = split_multipart(httprequest.headers["Content-Type"], body)
        except PunchoutProtocolError as exc:
            return self._refuse(exc, body, remote_addr)

        response, _message, status = (
            request.env["punchout.message"]
            .sudo()
            ._cxml_receive(body, remote_addr, attachments, run=self._new_transaction)
        )
        return _xml_response(response, status=429 if status == 429 else 200)

    def _refuse(self, exc, body, remote_addr):
        response = (
            request.env["punchout.message"]
            .sudo()
            ._cxml_refuse(exc, body, remote_addr, run=self._new_transaction)
        )
        return _xml_response(response, status=429 if exc.status == 429 else 200)

    def _new_transaction(self, function):
        return run_in_new_transaction(request.env.registry, function)

    @http.route(
        "/punchout/start/<string:token>",
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        sitemap=False,
    )
    def start(self, token, **_kwargs):
        """The one-time start page of a cXML punch-in: log the buyer's user in, open the shop."""
        Message = request.env["punchout.message"].sudo()
        session = request.env["punchout.session"].sudo()._find_by_start_token(token)
        message = Message._log(
            "cxml_start",
            "in",
            "cxml",
            {"session": session.name or ""},
            remote_addr=request.httprequest.remote_addr,
            connection_id=session.connection_id.id,
            session_id=session.id,
        )
        if not session:
            message._set_error("Unknown, used or expired start URL.", http_status=403)
            return _error_page(
                403,
                request.env._("This link has expired or was already used. Please punch in again."),
            )
        user_login = session.user_id.login
        try:
            request.session.authenticate(
                request.db, {"type": "punchout", "login": user_login, "token": token}
            )
        except AccessDenied:
            message._set_error("The start URL was used or expired meanwhile.", http_status=403)
            return _error_page(
                403,
                request.env._("This link has expired or was already used. Please punch in again."),
            )
        request.session["punchout_session_id"] = session.id
        request.session["sale_order_id"] = session.order_id.id
        request.session.pop("website_sale_current_pl", None)
        message._set_done(http_status=303)
        landing = "/shop/cart" if session.operation in ("edit", "inspect") else "/shop"
        if session.landing_product_id and session.operation == "create":
            landing = session.landing_product_id.website_url
        return request.redirect(landing, local=True)
