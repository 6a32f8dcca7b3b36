from datetime import datetime, time, timedelta

from odoo import fields, models
from odoo.tools import float_round


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _punchout_open_moves(self):
        return self.move_ids.filtered(
            lambda move: (
                move.state not in ("done", "cancel")
                and move.picking_code == "outgoing"
                and not move.origin_returned_move_id
            )
        )

    def _punchout_backorder(self):
        """What the delivery could not reserve when the order was confirmed is backordered,
        expected after the product's replenishment lead time (its vendor's delay)."""
        self.ensure_one()
        moves = self._punchout_open_moves()
        if not moves or not self.product_id.is_storable:
            return super()._punchout_backorder()
        demand = sum(
            move.product_uom._compute_quantity(move.product_uom_qty, self.product_uom)
            for move in moves
        )
        reserved = sum(
            move.product_uom._compute_quantity(move.quantity, self.product_uom) for move in moves
        )
        missing = float_round(
            max(demand - reserved, 0.0), precision_rounding=self.product_uom.rounding
        )
        if not missing:
            return 0.0, None
        vendor = self.product_id.seller_ids[:1]
        days = (vendor.delay or 0) + (self.customer_lead or 0)
        # A day, not an instant: the same availability confirms the same date.
        expected = fields.Date.context_today(self) + timedelta(days=days)
        return missing, datetime.combine(expected, time())

    def _punchout_shipment_date(self):
        """When the delivery is planned to leave: its moves' scheduled date."""
        self.ensure_one()
        moves = self._punchout_open_moves()
        return min(moves.mapped("date")) if moves else super()._punchout_shipment_date()
