"""The SAP documents the buyer simulator e-mails (IDoc ORDERS05, the PO print as PDF) read back
by our own readers as a real SAP system's are. pytest, no Odoo."""

from datetime import datetime, timezone
from decimal import Decimal

import pytest
from protocol import orders
from protocol.cxml import Item, Money, OrderRequest
from protocol.pdf import read_pdf

ORDER = OrderRequest(
    order_id="4500012345",
    order_date=datetime(2026, 12, 4, 9, 30, tzinfo=timezone.utc),
    items=[
        Item(
            quantity=Decimal(3),
            supplier_part_id="FURN_0001",
            unit_price=Money(Decimal("12.50"), "EUR"),
            line_number=10,
            supplier_part_auxiliary_id="S00042/17",
            description="Office chair",
            unit_of_measure="PCE",
        ),
        Item(
            quantity=Decimal(12),
            supplier_part_id="PEN-BLUE",
            unit_price=Money(Decimal("0.80"), "EUR"),
            line_number=20,
            supplier_part_auxiliary_id="S00042/18",
            # What OCI carts often carry: the ISO code, printed by SAP as its own unit.
            unit_of_measure="C62",
        ),
    ],
)


def test_idoc_orders05_reads_back_as_the_same_order():
    data = orders.build_idoc_orders05(ORDER, docnum="0000000000004711", vendor_number="4711")
    document = orders.read_order(data)
    assert (document.format, document.document_id) == ("idoc", "0000000000004711")
    order = document.order
    assert order.order_id == "4500012345"
    # IDoc dates and times carry no zone (the SAP system's local time).
    assert order.order_date == ORDER.order_date.replace(tzinfo=None)
    assert [
        (i.line_number, i.quantity, i.supplier_part_id, i.unit_price, i.supplier_part_auxiliary_id)
        for i in order.items
    ] == [
        (10, Decimal(3), "FURN_0001", Money(Decimal("12.50"), "EUR"), "S00042/17"),
        (20, Decimal(12), "PEN-BLUE", Money(Decimal("0.80"), "EUR"), "S00042/18"),
    ]
    assert order.items[0].unit_of_measure == orders.unit_to_unece("PCE")


def test_sap_po_print_reads_back_with_our_references():
    pdf = orders.build_sap_po_pdf(
        ORDER, buyer_name="Demo Buyer B.V. - Main Street 1", supplier_name="My Company"
    )
    refs = orders.find_pdf_references(read_pdf(pdf).text)
    assert refs.po_number == "4500012345"
    assert refs.quotation_refs == ["S00042"]
    assert refs.line_refs == ["S00042/17", "S00042/18"]
    assert [
        (line.line_number, line.quantity, line.unit_of_measure, line.supplier_part_auxiliary_id)
        for line in refs.lines
    ] == [
        (10, Decimal(3), "C62", "S00042/17"),
        (20, Decimal(12), "C62", "S00042/18"),
    ]


def test_an_order_without_items_is_refused():
    empty = OrderRequest(order_id="4500000000")
    with pytest.raises(ValueError, match="at least one item"):
        orders.build_idoc_orders05(empty, docnum="1")
    with pytest.raises(ValueError, match="at least one item"):
        orders.build_sap_po_pdf(empty, buyer_name="B", supplier_name="S")
