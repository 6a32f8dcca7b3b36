import hashlib
import secrets
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

START_TOKEN_MINUTES = 5


def hash_token(token):
    """Start tokens are random (256 bits), so a plain SHA-256 is the right hash to store."""
    return hashlib.sha256(token.encode()).hexdigest()


class PunchoutSession(models.Model):
    _name = "punchout.session"
    _description = "Punchout Session"
    _inherit = ["mail.thread"]
    _order = "id desc"

    name = fields.Char(required=True, readonly=True, copy=False, default="/")
    connection_id = fields.Many2one(
        "punchout.connection", required=True, readonly=True, ondelete="restrict", index=True
    )
    company_id = fields.Many2one(related="connection_id.company_id", store=True)
    partner_id = fields.Many2one(related="connection_id.partner_id", string="Buyer", store=True)
    user_id = fields.Many2one("res.users", string="Punch-in User", required=True, readonly=True)
    protocol = fields.Selection(
        [("oci", "SAP OCI"), ("cxml", "cXML")], required=True, readonly=True
    )
    operation = fields.Selection(
        [
            ("create", "Create"),
            ("edit", "Edit"),
            ("inspect", "Inspect"),
            ("detail", "Product detail"),
            ("source", "Sourcing"),
        ],
        required=True,
        default="create",
        readonly=True,
    )
    state = fields.Selection(
        [
            ("open", "Open"),
            ("transferred", "Transferred"),
            ("cancelled", "Cancelled"),
            ("expired", "Expired"),
            ("ordered", "Ordered"),
        ],
        required=True,
        default="open",
        readonly=True,
        tracking=True,
        index=True,
    )
    return_url = fields.Char(string="Return URL", readonly=True)
    return_target = fields.Char(readonly=True, default="_top")
    charset = fields.Char(readonly=True, default="utf-8")
    echo_params = fields.Json(readonly=True)
    end_user_ref = fields.Char(string="Buyer's End User", readonly=True)
    buyer_cookie = fields.Char(readonly=True)
    landing_product_id = fields.Many2one(
        "product.product",
        string="Opened At",
        readonly=True,
        help="The item the buyer punched in at (a level-2 punchout from a loaded catalogue).",
    )
    cxml_setup_payload_id = fields.Char(string="Setup Document ID", readonly=True)
    cxml_extrinsics = fields.Json(string="Extrinsics", readonly=True)
    cxml_ship_to = fields.Json(string="Ship To", readonly=True)
    order_id = fields.Many2one("sale.order", string="Cart", readonly=True, index=True)
    amount_total = fields.Monetary(related="order_id.amount_total")
    currency_id = fields.Many2one(related="order_id.currency_id")
    transferred_at = fields.Datetime(readonly=True)
    start_token_hash = fields.Char(readonly=True, copy=False, groups="base.group_system")
    start_token_expiry = fields.Datetime(readonly=True, copy=False)
    start_token_used = fields.Boolean(readonly=True, copy=False)
    message_log_ids = fields.One2many("punchout.message", "session_id", string="Punchout Messages")

    _sql_constraints = [
        ("start_token_hash_unique", "unique(start_token_hash)", "Start tokens are unique."),
    ]

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                vals["name"] = self.env["ir.sequence"].next_by_code("punchout.session") or "/"
        return super().create(vals_list)

    # ------------------------------------------------------------------
    # Start token: the single-use credential of the punch-in login
    # ------------------------------------------------------------------

    def _issue_start_token(self):
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self.sudo().write(
            {
                "start_token_hash": hash_token(token),
                "start_token_expiry": fields.Datetime.now()
                + timedelta(minutes=START_TOKEN_MINUTES),
                "start_token_used": False,
            }
        )
        return token

    @api.model
    def _find_by_start_token(self, token):
        """The open session whose unused, unexpired start token is ``token`` (not consumed)."""
        if not token or not isinstance(token, str) or len(token) > 128:
            return self.browse()
        return self.sudo().search(
            [
                ("start_token_hash", "=", hash_token(token)),
                ("state", "=", "open"),
                ("start_token_used", "=", False),
                ("start_token_expiry", ">", fields.Datetime.now()),
            ],
            limit=1,
        )

    @api.model
    def _consume_start_token(self, token, user):
        """Mark the session of ``token`` used and return it; empty if invalid, used or expired.

        A single UPDATE ... RETURNING makes the token single-use even when two requests present
        it at the same moment.
        """
        if not token or not isinstance(token, str) or len(token) > 128:
            return self.browse()
        self.env["punchout.session"].flush_model()
        self.env.cr.execute(
            """
            UPDATE punchout_session
               SET start_token_used = TRUE
             WHERE start_token_hash = %s
               AND user_id = %s
               AND state = 'open'
               AND start_token_used IS NOT TRUE
               AND start_token_expiry > (now() AT TIME ZONE 'UTC')
         RETURNING id
            """,
            [hash_token(token), user.id],
        )
        row = self.env.cr.fetchone()
        self.invalidate_model(["start_token_used"])
        return self.browse(row[0]) if row else self.browse()

    # ------------------------------------------------------------------
    # Cart
    # ------------------------------------------------------------------

    def _create_cart(self):
        """A fresh quotation for this punch-in: never one of the user's older carts."""
        self.ensure_one()
        connection = self.connection_id
        partner = self.user_id.partner_id
        website = connection.website_id
        order = (
            self.env["sale.order"]
            .sudo()
            .create(
                {
                    "company_id": connection.company_id.id,
                    "partner_id": partner.id,
                    "pricelist_id": connection.pricelist_id.id,
                    "website_id": website.id,
                    "team_id": website.salesteam_id.id,
                    "user_id": (connection.salesperson_id or website.salesperson_id).id,
                    "punchout_session_id": self.id,
                    "punchout_connection_id": connection.id,
                }
            )
        )
        self.order_id = order
        return order

    def _check_open(self):
        if self.state != "open":
            states = dict(self._fields["state"]._description_selection(self.env))
            raise UserError(
                self.env._(
                    "This punchout session can no longer return its cart: its status is "
                    "%(status)s.",
                    status=states[self.state],
                )
            )

    def _is_usable_by(self, user):
        self.ensure_one()
        return self.state == "open" and self.user_id == user

    def _flow(self):
        """The model that runs this session's protocol: punchout.oci or punchout.cxml."""
        return self.env["punchout.cxml" if self.protocol == "cxml" else "punchout.oci"]

    def _transfer(self):
        """Return the cart to the buyer's system: (HTML page bytes, logged payload)."""
        self.ensure_one()
        return self._flow()._transfer(self)

    def _cancel(self):
        self.ensure_one()
        return self._flow()._cancel(self)

    def _mark_transferred(self):
        self.ensure_one()
        order = self.order_id.sudo()
        validity = fields.Date.context_today(self) + timedelta(
            days=self.connection_id.quotation_validity_days
        )
        order.write({"validity_date": validity})
        if order.state == "draft":
            order.action_quotation_sent()
        self.write({"state": "transferred", "transferred_at": fields.Datetime.now()})

    def _flush_as_superuser(self):
        """Write pending recomputations (order lines the portal user may not read) now, as
        superuser, rather than later in the portal user's environment."""
        self.sudo().env.flush_all()

    def _expire(self):
        for session in self:
            order = session.order_id.sudo()
            if order.state in ("draft", "sent"):
                order._action_cancel()
            session.state = "expired"

    def action_view_order(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": self.order_id.id,
            "view_mode": "form",
        }
