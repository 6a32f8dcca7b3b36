"""The buyer simulator: plays the buyer's SAP system, for suppliers to test a connection."""

from urllib.parse import parse_qsl

from werkzeug.exceptions import Forbidden, NotFound

from odoo import http
from odoo.http import request
from odoo.tools import consteq
from odoo.tools.misc import hmac as odoo_hmac

from ..protocol import oci

SIMULATOR_CHARSETS = ("utf-8", "iso-8859-1", "windows-1252")


def simulator_signature(env, connection_id):
    return odoo_hmac(env(su=True), "punchout-simulator", connection_id)


class PunchoutSimulatorController(http.Controller):
    @http.route(
        "/punchout/simulator/<int:connection_id>",
        type="http",
        auth="user",
        website=True,
        sitemap=False,
    )
    def simulator(self, connection_id, **_kwargs):
        if not request.env.user.has_group("oci_punchout.group_punchout_manager"):
            raise Forbidden()
        connection = request.env["punchout.connection"].browse(connection_id).exists()
        if not connection:
            raise NotFound()
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
        if not consteq(signature, simulator_signature(request.env, connection_id)):
            raise NotFound()
        if charset not in SIMULATOR_CHARSETS:
            raise NotFound()
        connection = request.env["punchout.connection"].sudo().browse(connection_id).exists()
        if not connection:
            raise NotFound()
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
