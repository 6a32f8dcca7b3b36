"""Item hierarchies in cXML carts (a combo product and its items): valid against cXML.dtd
1.2.063 and read back. pytest, no Odoo."""

import pytest
from cxml_common import HEADER, assert_valid, make_cart, make_item
from protocol import cxml


def _combo_cart():
    return make_cart(
        [
            make_item(1, item_type="composite", composite_item_type="itemLevel"),
            make_item(2, item_type="item", parent_line_number=1),
            make_item(3, item_type="item", parent_line_number=1),
        ]
    )


def test_composite_with_its_items(dtds):
    data = cxml.build_punchout_order_message(HEADER, _combo_cart())
    root = assert_valid(dtds, data)
    items = [
        (
            el.get("lineNumber"),
            el.get("itemType"),
            el.get("parentLineNumber"),
            el.get("compositeItemType"),
        )
        for el in root.iterfind("Message/PunchOutOrderMessage/ItemIn")
    ]
    assert items == [
        ("1", "composite", None, "itemLevel"),
        ("2", "item", "1", None),
        ("3", "item", "1", None),
    ]
    cart = cxml.parse_punchout_order_message(data)
    assert [(i.item_type, i.parent_line_number) for i in cart.items] == [
        ("composite", None),
        ("item", 1),
        ("item", 1),
    ]


def test_unknown_item_types_are_refused():
    with pytest.raises(ValueError, match="itemType"):
        cxml.build_punchout_order_message(HEADER, make_cart([make_item(1, item_type="bundle")]))
