"""A cXML buyer ordering storable products: the order placed over real HTTP, its delivery in
the supplier's warehouse."""

from odoo.addons.oci_punchout.tests.common import mock_buyer_system
from odoo.addons.oci_punchout.tests.cxml_common import CxmlCase


class StockCxmlCase(CxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        (cls.product_paper | cls.product_pen).is_storable = True
        cls.carrier = cls.env["delivery.carrier"].create(
            {
                "name": "Parcel Express",
                "product_id": cls.env["product.product"]
                .create({"name": "Parcel Express freight", "type": "service"})
                .id,
            }
        )

    def stock(self, product, quantity, lot=None):
        self.env["stock.quant"]._update_available_quantity(
            product, self.warehouse.lot_stock_id, quantity, lot_id=lot
        )

    def ordered(self, po_number):
        """The OCI-like cXML flow: punch in, 3 paper and 12 pens, transfer, OrderRequest."""
        session, document = self.shop_and_transfer()
        body, purchase_order = self.order_from_cart(
            document, order_id=po_number, payload_id=f"{po_number}@buyer"
        )
        with mock_buyer_system(self.env):
            root, _answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 200)
        order = session.order_id
        order.invalidate_recordset()
        self.assertEqual(order.state, "sale")
        return order, purchase_order

    def validate(self, picking, quantities=None):
        """Ship ``quantities`` {product: quantity} (default: everything reserved)."""
        for move in picking.move_ids:
            if quantities is not None:
                move.quantity = quantities.get(move.product_id, 0.0)
            move.picked = True
        result = picking.button_validate()
        if isinstance(result, dict) and result.get("res_model") == "stock.backorder.confirmation":
            wizard = (
                self.env["stock.backorder.confirmation"]
                .with_context(**result["context"])
                .create({"pick_ids": [(4, picking.id)]})
            )
            wizard.process()
        self.assertEqual(picking.state, "done")

    def sent(self):
        """What the send job posts now: [(url, document bytes)]."""
        with mock_buyer_system(self.env) as buyer_system:
            self.env["punchout.message"]._cron_send_pending()
        return buyer_system.received
