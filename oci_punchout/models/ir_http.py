from odoo import models
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
