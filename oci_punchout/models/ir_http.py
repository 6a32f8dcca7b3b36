import re

from odoo import api, models
from odoo.http import request

SIMULATOR_RETURN_PATH = "/punchout/simulator/return/"
# The attributes Odoo may give the session cookie that an embedded session replaces.
_COOKIE_SAMESITE_SECURE = re.compile(r";\s*(?:samesite=[^;]*|secure|partitioned)\s*(?=;|$)", re.I)


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _pre_dispatch(cls, rule, args):
        # The buyer simulator checks the returned form's raw bytes against the buyer's charset:
        # keep them before the form is decoded as UTF-8 and the request stream is consumed.
        if request.httprequest.path.startswith(SIMULATOR_RETURN_PATH):
            request.httprequest.get_data(cache=True)
        return super()._pre_dispatch(rule, args)

    @classmethod
    def _authenticate_explicit(cls, auth):
        # A punch-in login lives only as long as its punchout session: once the cart is returned
        # or the session expired, the browser is logged out (no portal pages, signing, paying).
        session_id = request.session.get("punchout_session_id")
        if session_id and request.session.uid:
            session_sudo = request.env["punchout.session"].sudo().browse(session_id).exists()
            if not (
                session_sudo
                and session_sudo.state == "open"
                and session_sudo.user_id.id == request.session.uid
            ):
                request.session.logout(keep_db=True)
                request.env = api.Environment(request.env.cr, None, request.session.context)
        return super()._authenticate_explicit(auth)

    @classmethod
    def _post_dispatch(cls, response):
        result = super()._post_dispatch(response)
        connection = cls._punchout_frame_connection()
        if connection:
            _allow_in_frame(response, connection._frame_ancestors())
        return result

    @classmethod
    def _punchout_frame_connection(cls):
        """The connection whose catalogue this response is shown in a buyer's frame, if any:
        a session of a connection "Embedded in the buyer's frame", on https (or on http on this
        machine for a test connection)."""
        connection = getattr(request, "_punchout_frame_connection", None)
        if connection is None:
            session_id = request.session.get("punchout_session_id")
            if not session_id:
                return None
            session = request.env["punchout.session"].sudo().browse(session_id).exists()
            connection = session.connection_id
        if not connection or not connection.embedded_in_frame:
            return None
        httprequest = request.httprequest
        if httprequest.scheme == "https":
            return connection
        host = httprequest.host.rpartition(":")[0] or httprequest.host
        if connection.test_mode and host in ("localhost", "127.0.0.1"):
            return connection
        return None


def _allow_in_frame(response, origins):
    """Let ``response`` work inside the buyer's frame: its session cookie cross-site
    (SameSite=None; Secure; Partitioned: a cookie of its own per embedding site), and the page
    framed by ``origins`` only, unless it has a policy of its own (login, portal security)."""
    headers = response.headers
    cookies = headers.getlist("Set-Cookie")
    if any(cookie.startswith("session_id=") for cookie in cookies):
        headers.remove("Set-Cookie")
        for cookie in cookies:
            if cookie.startswith("session_id="):
                cookie = _COOKIE_SAMESITE_SECURE.sub("", cookie)
                cookie += "; Secure; SameSite=None; Partitioned"
            headers.add("Set-Cookie", cookie)
    if "Content-Security-Policy" not in headers:
        headers["Content-Security-Policy"] = " ".join(["frame-ancestors 'self'", *origins])
