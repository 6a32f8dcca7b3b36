import hashlib
import re
from decimal import Decimal

from odoo import fields, models
from odoo.tools import float_round

from odoo.addons.oci_punchout.protocol import cxml, s4

_TRACKING_SEPARATORS = re.compile(r"[,;\s]+")


class StockPicking(models.Model):
    _inherit = "stock.picking"

    punchout_ship_notice_digest = fields.Char(readonly=True, copy=False)
    punchout_ship_notice_payload_id = fields.Char(readonly=True, copy=False)
    punchout_message_ids = fields.One2many(
        "punchout.message", "picking_id", string="Ship Notices", readonly=True
    )
    punchout_message_count = fields.Integer(compute="_compute_punchout_message_count")

    def _compute_punchout_message_count(self):
        Message = self.env["punchout.message"]
        if not Message.has_access("read"):
            self.punchout_message_count = 0
            return
        counts = dict(
            Message._read_group([("picking_id", "in", self.ids)], ["picking_id"], ["__count"])
        )
        for picking in self:
            picking.punchout_message_count = counts.get(picking, 0)

    def action_view_punchout_messages(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "oci_punchout.punchout_message_action"
        )
        action["domain"] = [("picking_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------
    # When the buyer's system hears about a delivery
    # ------------------------------------------------------------------

    def _action_done(self):
        result = super()._action_done()
        for picking in self.filtered(lambda picking: picking.state == "done"):
            if picking.picking_type_code == "outgoing":
                picking._punchout_queue_ship_notice()
            elif picking.return_id.punchout_ship_notice_digest:
                # The goods came back: the shipment the buyer was told about is withdrawn.
                picking.return_id._punchout_queue_ship_notice(operation="delete")
        return result

    def write(self, vals):
        result = super().write(vals)
        if {"carrier_tracking_ref", "carrier_id"} & set(vals):
            # A tracking number added after validation: the same shipment, updated.
            for picking in self.filtered(
                lambda picking: picking.state == "done" and picking.punchout_ship_notice_digest
            ):
                picking._punchout_queue_ship_notice()
        return result

    def _punchout_queue_ship_notice(self, operation="new"):
        """A ShipNoticeRequest for this validated delivery to each cXML buyer whose order it
        ships (the first ``new``, then ``update`` for the same shipment, or ``delete``),
        stored to send after this transaction; nothing when it would repeat the last one."""
        self.ensure_one()
        Message = self.env["punchout.message"].sudo()
        messages = Message
        # Whoever validates (a warehouse user may not read sale orders), the buyer is told.
        picking = self.sudo()
        moves = picking.move_ids.filtered(
            lambda move: move.state == "done" and move.sale_line_id.punchout_po_line_number
        )
        orders = moves.sale_line_id.order_id.filtered(
            lambda order: (
                order.punchout_po_payload_id
                and (
                    order.punchout_connection_id.cxml_ship_notice_url
                    or order.punchout_connection_id.s4_delivery_url
                )
            )
        )
        for connection in orders.punchout_connection_id.sudo():
            connection_orders = orders.filtered(
                lambda order, connection=connection: order.punchout_connection_id == connection
            )
            notice = picking._punchout_ship_notice(connection, connection_orders, moves, operation)
            digest = hashlib.sha256(repr(notice).encode()).hexdigest()
            if digest == self.punchout_ship_notice_digest:
                continue
            if self.punchout_ship_notice_payload_id:
                # The same shipment again: it replaces the version the buyer has.
                if operation == "new":
                    notice.operation = "update"
                notice.previous_payload_id = self.punchout_ship_notice_payload_id
            elif operation != "new":
                continue  # never told about it: nothing to withdraw
            version = Message.search_count([("picking_id", "=", self.id)]) + 1
            if connection.protocol == "s4":
                message = self._punchout_queue_s4_delivery(
                    connection, connection_orders, notice, version
                )
                messages |= message
                self.sudo().write(
                    {
                        "punchout_ship_notice_digest": digest,
                        "punchout_ship_notice_payload_id": message.dedup_key,
                    }
                )
                continue
            payload_id = cxml.make_payload_id()
            document = cxml.build_ship_notice_request(
                self.env["punchout.cxml"]._header(connection, with_secret=True),
                notice,
                deployment_mode="test" if connection.test_mode else "production",
                payload_id=payload_id,
            )
            messages |= Message._log(
                "cxml_ship_notice",
                "out",
                "cxml",
                cxml.redact_secrets(document),
                connection_id=connection.id,
                order_id=connection_orders[:1].id,
                session_id=connection_orders[:1].punchout_session_id.id,
                picking_id=self.id,
                state="pending",
                dedup_key=f"{connection.id}:ship_notice:{self.id}:{version}",
                next_attempt_at=fields.Datetime.now(),
            )
            self.sudo().write(
                {
                    "punchout_ship_notice_digest": digest,
                    "punchout_ship_notice_payload_id": payload_id,
                }
            )
            self._message_log(
                body=self.env._(
                    "Ship notice (%(operation)s) queued for %(buyer)s's procurement system.",
                    operation=notice.operation,
                    buyer=connection.partner_id.display_name,
                )
            )
        if messages:
            self.env.ref("oci_punchout.ir_cron_punchout_send")._trigger()
        return messages

    def _punchout_queue_s4_delivery(self, connection, orders, notice, version):
        """The DeliveryRequest of this delivery to the buyer's S/4HANA (what the ship notice
        ``notice`` says, in SAP's message), stored to send."""
        action = {"new": "01", "update": "02", "delete": "03"}[notice.operation]
        values = {
            "MessageHeader": self.env["punchout.s4"]._message_header(
                reference_id=orders[:1].punchout_po_payload_id
            ),
            "Delivery": s4.delivery(
                self.name,
                action,
                notice.shipment_date.date(),
                [
                    s4.DeliveredItem(
                        portion.order_id,
                        item.line_number,
                        item.quantity,
                        item.unit_of_measure,
                        batches=item.lots,
                    )
                    for portion in notice.portions
                    for item in portion.items
                ],
                expected_date=notice.delivery_date.date() if notice.delivery_date else None,
                carrier=notice.carrier,
                tracking=notice.tracking_numbers,
            ),
        }
        message = self.env["punchout.s4"]._queue(
            connection,
            "s4_delivery",
            connection.s4_delivery_url,
            values,
            order_id=orders[:1].id,
            session_id=orders[:1].punchout_session_id.id,
            picking_id=self.id,
            dedup_key=f"{connection.id}:delivery:{self.id}:{version}",
        )
        self._message_log(
            body=self.env._(
                "Delivery notification (%(operation)s) queued for %(buyer)s's S/4HANA.",
                operation=notice.operation,
                buyer=connection.partner_id.display_name,
            )
        )
        return message

    def _punchout_ship_notice(self, connection, orders, moves, operation):
        """What we tell ``connection``'s buyer about this delivery of ``orders``: one portion
        per order, each PO line with its shipped quantity in the PO's unit and its lots."""
        portions = []
        unit_codes = connection._get_unit_codes(moves.sale_line_id.product_uom)
        for order in orders:
            items = []
            for line in moves.sale_line_id.filtered(
                lambda line, order=order: line.order_id == order
            ):
                line_moves = moves.filtered(lambda move, line=line: move.sale_line_id == line)
                quantity = sum(
                    move.product_uom._compute_quantity(move.quantity, line.product_uom)
                    for move in line_moves
                )
                items.append(
                    cxml.ShipNoticeItem(
                        line_number=line.punchout_po_line_number,
                        quantity=Decimal(
                            str(
                                float_round(quantity, precision_rounding=line.product_uom.rounding)
                            )
                        ),
                        unit_of_measure=unit_codes[line.product_uom.id],
                        lots=sorted(set(line_moves.move_line_ids.lot_id.mapped("name"))),
                    )
                )
            portions.append(
                cxml.ShipNoticePortion(
                    order_id=order.punchout_po_number,
                    order_payload_id=order.punchout_po_payload_id,
                    order_date=order.punchout_po_date,
                    items=items,
                )
            )
        tracking_numbers = [
            number
            for number in _TRACKING_SEPARATORS.split(self.carrier_tracking_ref or "")
            if number
        ]
        return cxml.ShipNoticeRequest(
            shipment_id=self.name,
            operation=operation,
            shipment_date=self.date_done,
            delivery_date=orders[:1].commitment_date or None,
            service_level=self.carrier_id.name or "standard",
            # A tracking number without a carrier: we carry it ourselves.
            carrier=self.carrier_id.name or (self.company_id.name if tracking_numbers else ""),
            tracking_numbers=tracking_numbers,
            portions=portions,
        )
