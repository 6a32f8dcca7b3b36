import logging
import re
from urllib.parse import unquote_plus

from odoo import http
from odoo.exceptions import AccessDenied
from odoo.http import request
from odoo.tools import config

from ..const import PROXY_HEADERS_PARAM
from ..models.punchout_message import redact_params
from ..protocol import oci
from ..protocol.errors import PunchoutProtocolError

_logger = logging.getLogger(__name__)

# Hard cap on the punch-in request itself: OCI logins are a handful of short parameters.
MAX_PUNCH_IN_BYTES = 64 * 1024
# Logged as they are before the connection (and so its password parameter) is known.
OCI_PUBLIC_PARAMS = {
    "USERNAME",
    "HOOK_URL",
    "~OKCODE",
    "~TARGET",
    "~CALLER",
    "RETURNTARGET",
    "HTTP_CONTENT_CHARSET",
    "OCI_VERSION",
    "OPI_VERSION",
    "FUNCTION",
    "PRODUCTID",
    "QUANTITY",
    "SEARCHSTRING",
    "VENDOR",
    "EXT_PRODUCT_ID",
    "PAGESIZE",
    "REQUESTEDPAGE",
    "TRANSACTIONID",
    "LASTUPDATED",
}

_OCI_QUERY = re.compile(r"(/punchout/oci(?:/[^?\s\"]*)?\?)([^\s\"]*)")


def _redact_oci_query(match):
    pairs = []
    for pair in match.group(2).split("&"):
        name, sep, _value = pair.partition("=")
        if sep and unquote_plus(name).upper() not in OCI_PUBLIC_PARAMS:
            pair = f"{name}=********"
        pairs.append(pair)
    return match.group(1) + "&".join(pairs)


class OciAccessLogFilter(logging.Filter):
    """Hide the password of OCI logins by GET (and any other unknown parameter, since the
    password parameter's name is per connection) in the server's access log lines."""

    def filter(self, record):
        if isinstance(record.args, tuple) and any(
            isinstance(arg, str) and "/punchout/oci" in arg for arg in record.args
        ):
            record.args = tuple(
                _OCI_QUERY.sub(_redact_oci_query, arg) if isinstance(arg, str) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str) and "/punchout/oci" in record.msg:
            record.msg = _OCI_QUERY.sub(_redact_oci_query, record.msg)
        return True


# werkzeug writes the access log ("GET /path?query HTTP/1.1" 200 -) on its own logger.
_werkzeug_logger = logging.getLogger("werkzeug")
if not any(isinstance(f, OciAccessLogFilter) for f in _werkzeug_logger.filters):
    _werkzeug_logger.addFilter(OciAccessLogFilter())


# Whether this process already logged that it sees proxy headers without --proxy-mode.
_PROXY_WARNING_LOGGED = []


def note_proxy_headers():
    """Behind a reverse proxy without --proxy-mode every request has the proxy's address, and
    the login throttle would lock every buyer out at once: say so in the log (once per process)
    and on the connection form."""
    if config.get("proxy_mode") or "X-Forwarded-For" not in request.httprequest.headers:
        return
    if not _PROXY_WARNING_LOGGED:
        _PROXY_WARNING_LOGGED.append(True)
        _logger.warning(
            "Punchout requests carry X-Forwarded-For but Odoo does not run with --proxy-mode: "
            "every client has the proxy's address, so throttling failed logins blocks all "
            "buyers at once. Start Odoo with --proxy-mode behind a reverse proxy."
        )
    parameters = request.env["ir.config_parameter"].sudo()
    if not parameters.get_param(PROXY_HEADERS_PARAM):
        parameters.set_param(PROXY_HEADERS_PARAM, "1")


class PunchoutOciController(http.Controller):
    @http.route(
        ["/punchout/oci", "/punchout/oci/<string:code>"],
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        website=True,
        sitemap=False,
    )
    def oci_punch_in(self, code=None, **_kwargs):
        """OCI punch-in: check the buyer's credentials, log its user in, open the shop.
        FUNCTION=QUANTITYCHECK and DOWNLOADJSON are the buyer's server asking about a product or
        for the catalogue: answered in JSON, nobody logged in."""
        Message = request.env["punchout.message"].sudo()
        remote_addr = request.httprequest.remote_addr
        note_proxy_headers()
        params = request.httprequest.values.to_dict(flat=False)
        function = _server_function(params)
        if function:
            return self._server_call(code, params, function)
        if (request.httprequest.content_length or 0) > MAX_PUNCH_IN_BYTES:
            Message._log(
                "oci_login",
                "in",
                "oci",
                remote_addr=remote_addr,
                state="error",
                error="Punch-in request too large.",
                http_status=413,
            )
            return _error_page(413, request.env._("The punch-in request is too large."))
        message = Message._log(
            "oci_login",
            "in",
            "oci",
            redact_params(params, keep_only=OCI_PUBLIC_PARAMS),
            remote_addr=remote_addr,
        )
        if Message._is_throttled(remote_addr):
            message._set_error("Too many failed logins from this address.", http_status=429)
            return _error_page(
                429, request.env._("Too many failed logins. Please try again later.")
            )

        Oci = request.env["punchout.oci"].sudo()
        try:
            with request.env.cr.savepoint():
                connection = Oci._find_connection(code, params)
                message.write({"connection_id": connection.id})
                punch_in = Oci._parse_punch_in(connection, params)
                secret_names = [connection.oci_password_param or "PASSWORD"]
                message.payload = Message._format_payload(redact_params(params, secret_names))
                Oci._authenticate(connection, punch_in)
                if punch_in.function in ("VALIDATE", "BACKGROUND_SEARCH"):
                    page, kind, count = Oci._function_page(connection, punch_in)
                    message.kind = kind
                    message._set_done(error=False if count else "No matching product.")
                    return _html_response(page, punch_in.charset)
                operation = {"DETAIL": "detail", "SOURCING": "source"}.get(
                    punch_in.function, "create"
                )
                user = connection._get_end_user(punch_in.end_user)
                session, token = connection._open_session(
                    "oci", user, operation, **Oci._session_values(punch_in)
                )
        except PunchoutProtocolError as exc:
            # cXML's 450 "Not Implemented" has no HTTP equivalent for a browser.
            status = 400 if exc.status == 450 else exc.status
            message._set_error(exc.message, http_status=status, auth_failed=status == 401)
            return _error_page(status, exc.message)
        except Exception:
            _logger.exception("OCI punch-in failed")
            message._set_error(
                "Internal error while opening the punchout session.", http_status=500
            )
            return _error_page(
                500, request.env._("The catalogue could not be opened. Please try again later.")
            )

        message._set_done(session_id=session.id, order_id=session.order_id.id, http_status=303)
        # The login checks the start token in a transaction of its own: it must see the session.
        # (authenticate() itself commits this cursor right after, for the same reason.)
        request.env.cr.commit()  # pylint: disable=invalid-commit
        try:
            request.session.authenticate(
                request.db, {"type": "punchout", "login": user.login, "token": token}
            )
        except AccessDenied:
            message._set_error("The punch-in user could not be logged in.", http_status=403)
            return _error_page(
                403, request.env._("Your user could not be logged in. Contact your supplier.")
            )
        request.session["punchout_session_id"] = session.id
        request.session["sale_order_id"] = session.order_id.id
        request.session.pop("website_sale_current_pl", None)
        return request.redirect(Oci._landing_url(connection, punch_in), local=True)

    def _server_call(self, code, params, function):
        """OCI 5.0's calls of the buyer's server (QUANTITYCHECK, DOWNLOADJSON): the same checks
        as a punch-in (size, throttle, credentials, active catalogue), every answer JSON, the
        call and its answer logged."""
        Message = request.env["punchout.message"].sudo()
        remote_addr = request.httprequest.remote_addr
        message = Message._log(
            SERVER_FUNCTION_KINDS[function],
            "in",
            "oci",
            redact_params(params, keep_only=OCI_PUBLIC_PARAMS),
            remote_addr=remote_addr,
        )
        if (request.httprequest.content_length or 0) > MAX_PUNCH_IN_BYTES:
            message._set_error("Request too large.", http_status=413)
            return _json_response(413, oci.server_call_error("The request is too large."))
        if Message._is_throttled(remote_addr):
            message._set_error("Too many failed logins from this address.", http_status=429)
            return _json_response(
                429, oci.server_call_error("Too many failed logins. Try again later.")
            )
        Oci = request.env["punchout.oci"].sudo()
        skipped = []
        try:
            with request.env.cr.savepoint():
                connection = Oci._find_connection(code, params)
                message.connection_id = connection
                punch_in = Oci._parse_punch_in(connection, params)
                Oci._authenticate(connection, punch_in)
                if function == "DOWNLOADJSON":
                    status, body, skipped = Oci._download_json(connection, punch_in)
                else:
                    status, body = Oci._quantity_check(connection, punch_in)
        except PunchoutProtocolError as exc:
            status = 400 if exc.status == 450 else exc.status
            message._set_error(exc.message, http_status=status, auth_failed=status == 401)
            return _json_response(status, oci.server_call_error(exc.message))
        answer = Message._format_payload(body.decode())
        if status != 200:
            message._set_error(body.decode(), http_status=status, response_payload=answer)
        elif skipped:
            left_out = "; ".join(f"{name} ({reason})" for name, reason in skipped)
            message._set_done(response_payload=answer, error=f"Left out: {left_out}"[:2000])
        else:
            message._set_done(response_payload=answer)
        return _json_response(status, body)


SERVER_FUNCTION_KINDS = {"QUANTITYCHECK": "oci_quantitycheck", "DOWNLOADJSON": "oci_downloadjson"}


def _server_function(params):
    """The OCI 5.0 server call ``params`` make (FUNCTION=QUANTITYCHECK...), or None."""
    for name, values in params.items():
        if name.upper() == "FUNCTION":
            for value in values:
                if str(value).strip().upper() in SERVER_FUNCTION_KINDS:
                    return str(value).strip().upper()
    return None


def _json_response(status, body):
    return request.make_response(
        body,
        headers=[("Content-Type", "application/json"), ("Cache-Control", "no-store")],
        status=status,
    )


def _html_response(page, charset):
    return request.make_response(
        page,
        headers=[
            ("Content-Type", f"text/html; charset={oci.html_charset_label(charset)}"),
            ("Cache-Control", "no-store"),
        ],
    )


def _error_page(status, message):
    return request.render(
        "oci_punchout.punchout_error_page",
        {"status": status, "error_message": message},
        status=status,
    )
