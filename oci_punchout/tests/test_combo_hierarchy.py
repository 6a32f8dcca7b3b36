"""Combo products as item hierarchies in the returned cart, when the connection asks for it:
OCI 5.0 ITEM_TYPE/PARENT_ID (checked by the simulator's OCI rules) and cXML composite items
(valid against cXML.dtd)."""

from odoo import Command
from odoo.tests import tagged

from ..protocol import cxml, oci
from .common import assert_valid_cxml
from .cxml_common import CxmlCase


@tagged("post_install", "-at_install")
class TestComboHierarchy(CxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        combo = cls.env["product.combo"].create(
            {
                "name": "Desk set",
                "combo_item_ids": [
                    Command.create({"product_id": cls.product_paper.id}),
                    Command.create({"product_id": cls.product_pen.id}),
                ],
            }
        )
        cls.desk_set = cls.env["product.product"].create(
            {
                "name": "Desk set",
                "type": "combo",
                "default_code": "DESK-SET",
                "combo_ids": [Command.set(combo.ids)],
                "public_categ_ids": [Command.set(cls.public_categ_office.ids)],
                "is_published": True,
            }
        )
        cls.combo = combo

    def fill_with_combo(self, order):
        """The desk set in the cart as the shop's combo configurator leaves it."""
        Line = self.env["sale.order.line"].sudo()
        parent = Line.create({"order_id": order.id, "product_id": self.desk_set.id})
        for item in self.combo.combo_item_ids:
            Line.create(
                {
                    "order_id": order.id,
                    "product_id": item.product_id.id,
                    "combo_item_id": item.id,
                    "linked_line_id": parent.id,
                }
            )
        self.add_to_cart(self.product_pen, 2)  # and a line of its own

    def oci_cart(self):
        self.connection.test_mode = True
        self.assertEqual(self.punch_in().status_code, 303)
        session = self.last_session()
        self.fill_with_combo(session.order_id)
        transfer = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
        )
        _form, pairs = self.parse_return_form(transfer.content)
        return [(name, value) for name, value in pairs if name.startswith("NEW_ITEM-")]

    def test_oci_cart_with_the_combo_as_a_hierarchy(self):
        self.connection.item_hierarchy = True
        pairs = self.oci_cart()
        self.assertEqual(oci.validate_cart_fields(pairs), [])
        items = oci.parse_cart_fields(pairs)
        self.assertEqual(
            [(item.vendormat, item.item_type, item.parent_id) for item in items],
            [
                ("DESK-SET", "R", ""),
                (self.product_paper.default_code, "F", "1"),
                (self.product_pen.default_code, "F", "1"),
                (self.product_pen.default_code, "", ""),
            ],
        )

    def test_without_the_setting_every_line_stands_alone(self):
        pairs = self.oci_cart()
        self.assertFalse(
            [name for name, _value in pairs if "PARENT_ID" in name or "ITEM_TYPE" in name]
        )

    def test_cxml_cart_with_composite_items(self):
        self.cxml_connection.item_hierarchy = True
        session, _url = self.punch_in_cxml()
        self.fill_with_combo(session.order_id)
        document = self.transfer_cart(session)
        root = assert_valid_cxml(document)
        self.assertEqual(
            [
                (el.get("lineNumber"), el.get("itemType"), el.get("parentLineNumber"))
                for el in root.iterfind("Message/PunchOutOrderMessage/ItemIn")
            ],
            [("1", "composite", None), ("2", "item", "1"), ("3", "item", "1"), ("4", None, None)],
        )
        cart = cxml.parse_punchout_order_message(document)
        self.assertEqual(cart.items[0].composite_item_type, "itemLevel")
