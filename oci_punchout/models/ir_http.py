from odoo import api, models
from odoo.http import request

SIMULATOR_RETURN_PATH = "/punchout/simulator/return/"


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
