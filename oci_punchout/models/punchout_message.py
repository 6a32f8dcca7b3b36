import json
from datetime import timedelta

from odoo import api, fields, models

SECRET_PARAM_NAMES = {"PASSWORD", "SHAREDSECRET", "SHARED_SECRET", "PASS", "PWD", "SECRET"}
REDACTED = "********"
MAX_PAYLOAD_CHARS = 1_000_000

# Failed logins from one address within the window before further attempts get HTTP 429.
THROTTLE_MAX_FAILURES = 10
THROTTLE_WINDOW_MINUTES = 15


class PunchoutMessage(models.Model):
    _name = "punchout.message"
    _description = "Punchout Message"
    _order = "id desc"
    _rec_name = "display_name"

    direction = fields.Selection(
        [("in", "Inbound"), ("out", "Outbound")], required=True, readonly=True
    )
    protocol = fields.Selection(
        [("oci", "SAP OCI"), ("cxml", "cXML"), ("mail", "E-mail")], required=True, readonly=True
    )
    kind = fields.Selection(
        [
            ("oci_login", "OCI punch-in"),
            ("oci_validate", "OCI validate"),
            ("oci_search", "OCI background search"),
            ("oci_cart", "OCI cart"),
            ("oci_cancel", "OCI cancel"),
        ],
        required=True,
        readonly=True,
    )
    connection_id = fields.Many2one(
        "punchout.connection", readonly=True, index=True, ondelete="set null"
    )
    company_id = fields.Many2one(
        "res.company",
        readonly=True,
        default=lambda self: self.env.company,
        index=True,
    )
    session_id = fields.Many2one(
        "punchout.session", readonly=True, index=True, ondelete="set null"
    )
    order_id = fields.Many2one("sale.order", readonly=True, index=True, ondelete="set null")
    state = fields.Selection(
        [("received", "Received"), ("done", "Done"), ("error", "Error")],
        required=True,
        default="received",
        readonly=True,
        index=True,
    )
    payload = fields.Text(readonly=True, help="The document, secrets redacted.")
    dedup_key = fields.Char(string="Document Key", readonly=True, index=True)
    error = fields.Text(readonly=True)
    http_status = fields.Integer(string="HTTP Status", readonly=True)
    remote_addr = fields.Char(string="Remote Address", readonly=True, index=True)
    auth_failed = fields.Boolean(readonly=True, index=True)

    @api.depends("kind", "direction")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for message in self:
            message.display_name = f"{kinds.get(message.kind, message.kind)} #{message.id or ''}"

    @api.model
    def _log(self, kind, direction, protocol, payload=None, **values):
        """Store a document; ``payload`` may be text, bytes, or a dict/list of form fields."""
        connection = values.get("connection_id")
        if connection and not values.get("company_id"):
            values["company_id"] = self.env["punchout.connection"].browse(connection).company_id.id
        return self.sudo().create(
            {
                "kind": kind,
                "direction": direction,
                "protocol": protocol,
                "payload": self._format_payload(payload),
                **values,
            }
        )

    @api.model
    def _format_payload(self, payload):
        if payload is None:
            return False
        if isinstance(payload, bytes):
            payload = payload.decode("utf-8", errors="replace")
        elif isinstance(payload, dict):
            payload = json.dumps(redact_params(payload), indent=1, ensure_ascii=False)
        elif isinstance(payload, (list, tuple)):
            payload = "\n".join(f"{name}={value}" for name, value in payload)
        if len(payload) > MAX_PAYLOAD_CHARS:
            payload = payload[:MAX_PAYLOAD_CHARS] + "\n[... truncated]"
        return payload

    def _set_done(self, **values):
        self.sudo().write(
            {"state": "done", "http_status": values.pop("http_status", 200), **values}
        )

    def _set_error(self, error, http_status=400, **values):
        self.sudo().write(
            {"state": "error", "error": str(error), "http_status": http_status, **values}
        )

    @api.model
    def _is_throttled(self, remote_addr):
        """Too many failed logins from this address lately (kept in the database, so every
        worker and every server behind the proxy sees the same count)."""
        if not remote_addr:
            return False
        since = fields.Datetime.now() - timedelta(minutes=THROTTLE_WINDOW_MINUTES)
        failures = self.sudo().search_count(
            [
                ("remote_addr", "=", remote_addr),
                ("auth_failed", "=", True),
                ("create_date", ">=", since),
            ]
        )
        return failures >= THROTTLE_MAX_FAILURES


def redact_params(params, secret_names=()):
    """A copy of request parameters with every secret (and ``secret_names``) replaced."""
    secret_names = SECRET_PARAM_NAMES | {name.upper() for name in secret_names if name}
    redacted = {}
    for name, value in params.items():
        if str(name).upper() in secret_names or "PASSWORD" in str(name).upper():
            redacted[name] = REDACTED
        else:
            redacted[name] = value
    return redacted
