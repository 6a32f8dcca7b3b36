"""Ship notices (ShipNoticeRequest, Fulfill.dtd) when a delivery of a cXML order is validated,
updated with a later tracking number, withdrawn when the goods come back."""

from odoo import Command
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.oci_punchout.tests.common import assert_valid_cxml

from .common import StockCxmlCase

SHIP_NOTICE_URL = "https://buyer.example/cxml/ship-notice"


@tagged("post_install", "-at_install")
class TestShipNotice(StockCxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection.cxml_ship_notice_url = SHIP_NOTICE_URL

    def setUp(self):
        super().setUp()
        self.stock(self.product_paper, 100)
        self.stock(self.product_pen, 100)

    def notices(self, picking):
        return self.env["punchout.message"].search(
            [("kind", "=", "cxml_ship_notice"), ("picking_id", "=", picking.id)], order="id"
        )

    def sent_notices(self):
        received = self.sent()
        self.assertTrue(all(url == SHIP_NOTICE_URL for url, _data in received))
        notices = [assert_valid_cxml(data, dtd="Fulfill") for _url, data in received]
        return [notice.find("Request/ShipNoticeRequest") for notice in notices]

    def test_validated_delivery_sends_one_ship_notice(self):
        order, _purchase_order = self.ordered("PO-3001")
        picking = order.picking_ids
        picking.carrier_id = self.carrier
        picking.carrier_tracking_ref = "1Z999AA10123456784"
        self.validate(picking)
        (notice,) = self.sent_notices()
        header = notice.find("ShipNoticeHeader")
        self.assertEqual(header.get("shipmentID"), picking.name)
        self.assertEqual(header.get("operation", "new"), "new")
        self.assertTrue(header.get("shipmentDate"))
        self.assertEqual(
            notice.findtext("ShipControl/CarrierIdentifier[@domain='companyName']"),
            "Parcel Express",
        )
        self.assertEqual(notice.findtext("ShipControl/ShipmentIdentifier"), "1Z999AA10123456784")
        (portion,) = notice.findall("ShipNoticePortion")
        reference = portion.find("OrderReference")
        self.assertEqual(reference.get("orderID"), "PO-3001")
        self.assertEqual(reference.find("DocumentReference").get("payloadID"), "PO-3001@buyer")
        shipped = {
            item.get("lineNumber"): (item.get("quantity"), item.findtext("UnitOfMeasure"))
            for item in portion.iterfind("ShipNoticeItem")
        }
        lines = order.order_line.filtered("punchout_po_line_number")
        self.assertEqual(
            shipped,
            {
                str(line.punchout_po_line_number): (
                    f"{line.product_uom_qty:g}",
                    self.cxml_connection._get_unit_code(line.product_uom),
                )
                for line in lines
            },
        )
        message = self.notices(picking)
        self.assertRecordValues(message, [{"state": "done", "order_id": order.id}])
        self.assertNotIn("our-secret", message.payload)
        self.assertEqual(picking.punchout_message_count, 1)
        self.assertTrue(
            picking.message_ids.filtered(lambda m: "Ship notice (new) queued" in str(m.body))
        )
        # Validated once: nothing more to send.
        self.assertEqual(self.sent(), [])

    def test_tracking_number_added_later_updates_the_same_shipment(self):
        order, _purchase_order = self.ordered("PO-3002")
        picking = order.picking_ids
        self.validate(picking)
        (first,) = self.sent_notices()
        self.assertIsNone(first.find("ShipControl"))
        picking.write({"carrier_id": self.carrier.id, "carrier_tracking_ref": "TRK-1, TRK-2"})
        (update,) = self.sent_notices()
        header = update.find("ShipNoticeHeader")
        self.assertEqual(
            (header.get("shipmentID"), header.get("operation")), (picking.name, "update")
        )
        self.assertEqual(
            [el.text for el in update.iterfind("ShipControl/ShipmentIdentifier")],
            ["TRK-1", "TRK-2"],
        )
        # The same tracking number written again: nothing new to tell.
        picking.carrier_tracking_ref = "TRK-1, TRK-2"
        self.assertEqual(self.sent(), [])
        self.assertEqual(len(self.notices(picking)), 2)

    def test_returned_delivery_withdraws_the_ship_notice(self):
        order, _purchase_order = self.ordered("PO-3003")
        picking = order.picking_ids
        self.validate(picking)
        self.sent_notices()
        wizard = Form(
            self.env["stock.return.picking"].with_context(
                active_id=picking.id, active_model="stock.picking"
            )
        ).save()
        for line in wizard.product_return_moves:
            line.quantity = line.move_id.quantity
        returned = wizard._create_return()
        self.validate(returned)
        (withdrawn,) = self.sent_notices()
        header = withdrawn.find("ShipNoticeHeader")
        self.assertEqual(
            (header.get("shipmentID"), header.get("operation")), (picking.name, "delete")
        )
        self.assertEqual(self.notices(picking).mapped("state"), ["done", "done"])

    def test_partial_delivery_ships_what_left_and_lots(self):
        lot_product = self.product_paper
        lot_product.tracking = "lot"
        self.env["stock.quant"].search([("product_id", "=", lot_product.id)]).unlink()
        lot = self.env["stock.lot"].create(
            {"name": "LOT-2026-11", "product_id": lot_product.id, "company_id": self.company.id}
        )
        self.stock(lot_product, 100, lot=lot)
        order, _purchase_order = self.ordered("PO-3004")
        picking = order.picking_ids
        self.validate(picking, {self.product_paper: 2, self.product_pen: 12})
        (notice,) = self.sent_notices()
        paper_line = order.order_line.filtered(lambda line: line.product_id == self.product_paper)
        items = {
            item.get("lineNumber"): item
            for item in notice.iterfind("ShipNoticePortion/ShipNoticeItem")
        }
        paper = items[str(paper_line.punchout_po_line_number)]
        self.assertEqual(paper.get("quantity"), "2")
        self.assertEqual(
            [(batch.text) for batch in paper.iter("SupplierBatchID")], ["LOT-2026-11"]
        )
        backorder = order.picking_ids - picking
        self.assertEqual(backorder.state, "assigned")
        self.validate(backorder)
        (second,) = self.sent_notices()
        self.assertEqual(second.find("ShipNoticeHeader").get("shipmentID"), backorder.name)
        self.assertEqual(
            [item.get("quantity") for item in second.iterfind("ShipNoticePortion/ShipNoticeItem")],
            ["1"],
        )

    def test_a_warehouse_user_validating_sends_the_ship_notice(self):
        order, _purchase_order = self.ordered("PO-3006")
        storekeeper = self.env["res.users"].create(
            {
                "name": "Storekeeper",
                "login": "storekeeper@supplier.example",
                "groups_id": [Command.set(self.env.ref("stock.group_stock_user").ids)],
            }
        )
        self.validate(order.picking_ids.with_user(storekeeper))
        (notice,) = self.sent_notices()
        self.assertEqual(notice.find("ShipNoticePortion/OrderReference").get("orderID"), "PO-3006")

    def test_no_ship_notice_without_url_or_cxml_order(self):
        self.cxml_connection.cxml_ship_notice_url = False
        order, _purchase_order = self.ordered("PO-3005")
        self.validate(order.picking_ids)
        self.assertEqual(self.sent(), [])
        self.assertFalse(self.notices(order.picking_ids))

        self.cxml_connection.cxml_ship_notice_url = SHIP_NOTICE_URL
        walk_in = self.env["sale.order"].create(
            {
                "partner_id": self.buyer.id,
                "order_line": [Command.create({"product_id": self.product_pen.id})],
            }
        )
        walk_in.action_confirm()
        self.validate(walk_in.picking_ids)
        self.assertEqual(self.sent(), [])

    def test_ship_notice_url_is_https_and_for_administrators(self):
        self.cxml_connection.test_mode = False
        with self.assertRaises(ValidationError):
            self.cxml_connection.cxml_ship_notice_url = "http://buyer.example/asn"
        salesman = self.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "punchout-manager-asn",
                "groups_id": [
                    Command.set(self.env.ref("oci_punchout.group_punchout_manager").ids)
                ],
            }
        )
        with self.assertRaises(AccessError):
            self.cxml_connection.with_user(salesman).cxml_ship_notice_url = "https://evil.example/"
