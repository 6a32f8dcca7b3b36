"""SAP S/4HANA's purchase orders over SOAP, one endpoint per connection, and its WSDL."""

from odoo import http
from odoo.http import request

from ..models.punchout_message import run_in_new_transaction
from ..protocol import s4
from ..protocol.errors import PayloadTooLarge, TooManyRequests
from .cxml import _read_body
from .oci import note_proxy_headers


class PunchoutS4Controller(http.Controller):
    @http.route(
        "/punchout/s4/<string:code>",
        type="http",
        auth="public",
        methods=["GET", "POST"],
        csrf=False,
        save_session=False,
        sitemap=False,
    )
    def s4_order_request(self, code, **_kwargs):
        """GET ?wsdl: the endpoint's WSDL. POST: an OrderRequest of the buyer's S/4HANA;
        202 without body when taken, else a SOAP fault."""
        httprequest = request.httprequest
        if httprequest.method == "GET":
            return self._wsdl(code)
        remote_addr = httprequest.remote_addr
        note_proxy_headers()
        S4 = request.env["punchout.s4"].sudo()
        if (httprequest.content_length or 0) > s4.MAX_SOAP_BYTES:
            return self._refuse(PayloadTooLarge("The request is too large."), remote_addr)
        if request.env["punchout.message"].sudo()._is_throttled(remote_addr):
            return self._refuse(
                TooManyRequests("Too many failed requests from this address. Try again later."),
                remote_addr,
            )
        body = _read_body(httprequest, s4.MAX_SOAP_BYTES + 1)
        if len(body) > s4.MAX_SOAP_BYTES:
            return self._refuse(PayloadTooLarge("The request is too large."), remote_addr)
        status, answer, version = S4._receive(
            code,
            body,
            httprequest.headers.get("Authorization", ""),
            remote_addr,
            message_id=httprequest.args.get("MessageId", ""),
            run=lambda function: run_in_new_transaction(request.env.registry, function),
        )
        return self._answer(status, answer, version)

    def _refuse(self, exc, remote_addr):
        fault = s4.build_fault("1.1", True, exc.message)
        run_in_new_transaction(
            request.env.registry,
            lambda env: (
                env["punchout.message"]
                ._log("s4_order", "in", "s4", remote_addr=remote_addr)
                ._set_error(exc.message, http_status=exc.status, response_payload=fault.decode())
            ),
        )
        return self._answer(exc.status, fault, "1.1")

    def _answer(self, status, body, version):
        headers = [("Cache-Control", "no-store")]
        if body:
            headers.append(("Content-Type", s4.CONTENT_TYPES[version]))
        if status == 401:
            headers.append(("WWW-Authenticate", 'Basic realm="punchout"'))
        return request.make_response(body, headers=headers, status=status)

    def _wsdl(self, code):
        connection = request.env["punchout.s4"].sudo()._find_connection(code)
        if not connection or "wsdl" not in {key.lower() for key in request.httprequest.args}:
            return request.make_response(b"", status=404)
        return request.make_response(
            s4.supplier_wsdl(connection.s4_endpoint_url),
            headers=[("Content-Type", "text/xml; charset=utf-8")],
        )
