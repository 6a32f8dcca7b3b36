"""A connection's catalogue as a file, for the supplier's own people (the Download button)."""

import tempfile

from werkzeug.exceptions import BadRequest, Forbidden, NotFound
from werkzeug.wsgi import wrap_file

from odoo import http
from odoo.http import Response, request

from ..models.punchout_catalog import CATALOG_FORMATS
from ..protocol import catalog
from ..protocol.errors import MalformedDocument

# Written to disk beyond this size: memory stays flat whatever the catalogue's size.
SPOOL_BYTES = 8 * 1024 * 1024
MAX_NOTED = 50


class PunchoutCatalogController(http.Controller):
    @http.route(
        "/punchout/catalog/<string:code>/<string:catalog_format>",
        type="http",
        auth="user",
        methods=["GET"],
        sitemap=False,
    )
    def catalog(self, code, catalog_format, since=None, **_kwargs):
        """The catalogue of connection ``code`` in ``catalog_format`` (cxml-index, cif, bmecat,
        oci5-json), only the products changed since ``since`` (ISO 8601, UTC unless it has a
        zone; or YYYYMMDDhhmmss) when given. Internal users
        with sales rights only; the products left out are noted on the connection."""
        user = request.env.user
        if not (user._is_internal() and user.has_group("sales_team.group_sale_salesman")):
            raise Forbidden()
        if catalog_format not in CATALOG_FORMATS:
            raise NotFound()
        connection = (
            request.env["punchout.connection"].sudo().search([("code", "=", code)], limit=1)
        )
        if not connection or connection.company_id not in user.company_ids:
            raise NotFound()
        try:
            since = catalog.parse_last_updated(since) if since else None
        except MalformedDocument:
            raise BadRequest(request.env._("'since' is not a date and time.")) from None
        label, extension, mimetype = CATALOG_FORMATS[catalog_format]
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115
        try:
            count, skipped = request.env["punchout.catalog"]._export(
                connection, catalog_format, spool, since=since
            )
        except ValueError as exc:
            spool.close()
            raise BadRequest(str(exc)) from None
        connection.message_post(
            body=request.env._(
                "%(label)s catalogue downloaded by %(user)s: %(count)s products%(skipped)s",
                label=label,
                user=user.name,
                count=count,
                skipped=(
                    request.env._(
                        "; left out: %(products)s",
                        products="; ".join(
                            f"{name} ({reason})" for name, reason in skipped[:MAX_NOTED]
                        )
                        + (" ..." if len(skipped) > MAX_NOTED else ""),
                    )
                    if skipped
                    else ""
                ),
            )
        )
        size = spool.tell()
        spool.seek(0)
        name = f"{connection.code}-{catalog_format}.{extension}"
        return Response(
            wrap_file(request.httprequest.environ, spool),
            headers=[
                ("Content-Type", f"{mimetype}; charset=utf-8"),
                ("Content-Disposition", f'attachment; filename="{name}"'),
                ("Content-Length", str(size)),
                ("X-Punchout-Products", str(count)),
                ("X-Punchout-Left-Out", str(len(skipped))),
            ],
            direct_passthrough=True,
        )
