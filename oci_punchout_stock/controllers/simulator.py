"""The buyer simulator's receipt of ship notices (test connections)."""

from odoo import http
from odoo.http import request

from odoo.addons.oci_punchout.const import MAX_CXML_BYTES
from odoo.addons.oci_punchout.controllers.simulator import (
    _signed_connection,
    simulated_cxml_receipt,
)
from odoo.addons.oci_punchout.protocol import cxml
from odoo.addons.oci_punchout.protocol.errors import PunchoutProtocolError


class PunchoutSimulatorShipNotice(http.Controller):
    @http.route(
        "/punchout/simulator/<int:connection_id>/<string:signature>/cxml/ship-notice",
        type="http",
        auth="public",
        methods=["POST"],
        csrf=False,
        save_session=False,
    )
    def simulator_cxml_ship_notice(self, connection_id, signature, **_kwargs):
        """Play the buyer's receipt of ship notices: check the credentials and the purchase
        orders they name, and answer with a cXML Status, as a buyer's system does. Set as the
        connection's ship notice URL by "Receive ship notices in the buyer simulator"."""
        connection = _signed_connection(connection_id, signature, protocol="cxml")
        body = request.httprequest.get_data(cache=False)[: MAX_CXML_BYTES + 1]
        try:
            status, text = self._simulated_ship_notice_receipt(connection, body)
        except PunchoutProtocolError as exc:
            status, text = cxml.status_for(exc)[0], exc.message
        return request.make_response(
            cxml.build_response(status, None, text),
            headers=[("Content-Type", "text/xml; charset=UTF-8")],
        )

    def _simulated_ship_notice_receipt(self, connection, body):
        """(status code, message) a buyer's system would answer to the ship notice ``body``."""
        return simulated_cxml_receipt(
            connection,
            body,
            cxml.parse_ship_notice_request,
            lambda notice: [portion.order_id for portion in notice.portions],
            lambda notice: request.env._(
                "Ship notice %(shipment)s (%(operation)s) received for purchase order %(po)s.",
                shipment=notice.shipment_id,
                operation=notice.operation,
                po=", ".join(sorted({portion.order_id for portion in notice.portions})),
            ),
        )
