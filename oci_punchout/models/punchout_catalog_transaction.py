import secrets
from datetime import timedelta

from odoo import api, fields, models

# How long a DOWNLOADJSON replication may take from its first page to its last.
TRANSACTION_HOURS = 24
# Open replications kept per connection: a buyer starting more drops its oldest.
MAX_OPEN_PER_CONNECTION = 10


class PunchoutCatalogTransaction(models.Model):
    """One OCI 5.0 catalogue replication (``FUNCTION=DOWNLOADJSON``): the products it pages
    through, frozen when its first page was asked for, so that a product changed meanwhile
    neither moves to another page nor comes twice. Its prices are read when each page is."""

    _name = "punchout.catalog.transaction"
    _description = "Punchout: OCI catalogue replication"
    _order = "id desc"

    name = fields.Char("Transaction ID", required=True, readonly=True, index=True)
    connection_id = fields.Many2one(
        "punchout.connection", required=True, readonly=True, index=True, ondelete="cascade"
    )
    product_ids_frozen = fields.Json("Products", readonly=True)
    total_items = fields.Integer(readonly=True)
    page_size = fields.Integer(readonly=True)
    last_updated = fields.Datetime(
        "Changed Since", readonly=True, help="Only products changed since then (LASTUPDATED)."
    )

    _sql_constraints = [("name_unique", "unique(name)", "A transaction ID is used once.")]

    @api.model
    def _start(self, connection, page_size, last_updated=None):
        """A new replication of ``connection``'s catalogue (changed since ``last_updated``)."""
        self._drop_old(connection)
        product_ids = self.env["punchout.catalog"]._products(connection, since=last_updated).ids
        return self.sudo().create(
            {
                "name": secrets.token_urlsafe(24),
                "connection_id": connection.id,
                "product_ids_frozen": product_ids,
                "total_items": len(product_ids),
                "page_size": page_size,
                "last_updated": last_updated,
            }
        )

    @api.model
    def _find(self, connection, transaction_id):
        """The open replication ``transaction_id`` of ``connection`` (empty if none)."""
        return self.sudo().search(
            [
                ("name", "=", transaction_id),
                ("connection_id", "=", connection.id),
                ("create_date", ">=", fields.Datetime.now() - timedelta(hours=TRANSACTION_HOURS)),
            ],
            limit=1,
        )

    def _page_product_ids(self, page):
        """The ids of page ``page`` (from 1), in the order frozen at the start."""
        self.ensure_one()
        start = (page - 1) * self.page_size
        return (self.product_ids_frozen or [])[start : start + self.page_size]

    @api.model
    def _drop_old(self, connection):
        """Keep at most MAX_OPEN_PER_CONNECTION - 1 open replications before a new one."""
        older = self.sudo().search(
            [("connection_id", "=", connection.id)], offset=MAX_OPEN_PER_CONNECTION - 1
        )
        older.unlink()

    @api.autovacuum
    def _gc_expired(self):
        expired = fields.Datetime.now() - timedelta(hours=TRANSACTION_HOURS)
        self.sudo().search([("create_date", "<", expired)]).unlink()
