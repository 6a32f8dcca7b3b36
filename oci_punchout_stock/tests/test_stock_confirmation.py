"""Order confirmations that know the stock: what the delivery could not reserve is confirmed as
backordered, the shipment date is the delivery's scheduled date."""

from datetime import datetime, time, timedelta

from odoo import fields
from odoo.tests import tagged

from odoo.addons.oci_punchout.protocol import cxml
from odoo.addons.oci_punchout.tests.common import assert_valid_cxml

from .common import StockCxmlCase


@tagged("post_install", "-at_install")
class TestStockConfirmation(StockCxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection.cxml_confirmation_url = "https://buyer.example/cxml/confirm"

    def test_partial_availability_is_accepted_with_a_backorder(self):
        self.stock(self.product_paper, 100)
        self.stock(self.product_pen, 5)  # 12 ordered
        self.env["product.supplierinfo"].create(
            {
                "partner_id": self.company.partner_id.id,
                "product_tmpl_id": self.product_pen.product_tmpl_id.id,
                "delay": 9,
            }
        )
        order, _purchase_order = self.ordered("PO-3101")
        ((_url, data),) = self.sent()
        request = assert_valid_cxml(data, dtd="Fulfill").find("Request/ConfirmationRequest")
        self.assertEqual(request.find("ConfirmationHeader").get("type"), "detail")
        pen = order.order_line.filtered(lambda line: line.product_id == self.product_pen)
        item = request.find(f"ConfirmationItem[@lineNumber='{pen.punchout_po_line_number}']")
        statuses = [
            (status.get("type"), status.get("quantity"), status.get("deliveryDate"))
            for status in item.iterfind("ConfirmationStatus")
        ]
        expected = datetime.combine(
            fields.Date.context_today(order) + timedelta(days=9 + pen.customer_lead), time()
        )
        self.assertEqual(
            statuses,
            [
                (
                    "detail",
                    "5",
                    cxml.format_datetime(order.commitment_date or pen._expected_date()),
                ),
                ("backordered", "7", cxml.format_datetime(expected)),
            ],
        )
        # When the goods leave: the delivery's scheduled date.
        self.assertEqual(
            item.find("ConfirmationStatus").get("shipmentDate"),
            cxml.format_datetime(order.picking_ids.scheduled_date),
        )

    def test_everything_in_stock_is_accepted(self):
        self.stock(self.product_paper, 100)
        self.stock(self.product_pen, 100)
        self.ordered("PO-3102")
        ((_url, data),) = self.sent()
        request = assert_valid_cxml(data, dtd="Fulfill").find("Request/ConfirmationRequest")
        self.assertEqual(request.find("ConfirmationHeader").get("type"), "accept")
        self.assertEqual(
            {
                status.get("type")
                for status in request.iterfind("ConfirmationItem/ConfirmationStatus")
            },
            {"accept"},
        )
