import logging

from odoo import http
from odoo.http import request

from .oci import _error_page, _html_response

_logger = logging.getLogger(__name__)


class PunchoutCartController(http.Controller):
    """Return the cart (or an empty one) to the buyer's procurement system."""

    @http.route("/punchout/transfer", type="http", auth="user", methods=["POST"], website=True)
    def transfer(self, punchout_session_id=None, **_kwargs):
        return self._return_cart(punchout_session_id, cancel=False)

    @http.route("/punchout/cancel", type="http", auth="user", methods=["POST"], website=True)
    def cancel(self, punchout_session_id=None, **_kwargs):
        return self._return_cart(punchout_session_id, cancel=True)

    def _return_cart(self, punchout_session_id, cancel):
        Message = request.env["punchout.message"].sudo()
        session = request.website._punchout_current_session()
        protocol = session.protocol or "oci"
        kind = f"{protocol}_cancel" if cancel else f"{protocol}_cart"
        if not session or str(session.id) != str(punchout_session_id or ""):
            Message._log(
                kind,
                "out",
                protocol,
                {"punchout_session_id": punchout_session_id, "user": request.env.user.login},
                remote_addr=request.httprequest.remote_addr,
                state="error",
                http_status=403,
                error="No open punchout session of this user: the cart was already returned, "
                "or belongs to someone else.",
            )
            return _error_page(
                403,
                request.env._("This cart has already been returned or is not yours to return."),
            )
        connection = session.connection_id
        with request.env.cr.savepoint():
            page, payload = session._cancel() if cancel else session._transfer()
            Message._log(
                kind,
                "out",
                protocol,
                payload,
                connection_id=connection.id,
                session_id=session.id,
                order_id=session.order_id.id,
                remote_addr=request.httprequest.remote_addr,
                state="done",
                http_status=200,
            )
        charset = session.charset or "utf-8"
        # The return page still shows in the buyer's frame, after the logout below.
        request._punchout_frame_connection = connection
        # A stale tab must not change the cart any more: end the buyer's Odoo session.
        request.session.logout(keep_db=True)
        return _html_response(page, charset)
