"""Confirmations after the first: partial availability, rejected quantities, whole-order
rejections and update versions; valid against Fulfill.dtd 1.2.063. pytest, no Odoo.
"""

from datetime import datetime
from decimal import Decimal

import pytest
from cxml_common import HEADER, NOW, UTC, assert_valid
from protocol import cxml
from protocol.cxml import ConfirmationItem, ConfirmationRequest, Money

ORDER_PAYLOAD = "1625586002.193314.7293@buyer.example"


def _statuses(item_el):
    return [
        (status.get("type"), status.get("quantity"), status.get("deliveryDate"))
        for status in item_el.iterfind("ConfirmationStatus")
    ]


def test_partial_availability_is_accept_plus_backordered(dtds):
    confirmation = ConfirmationRequest(
        "PO-7",
        ORDER_PAYLOAD,
        "detail",
        notice_date=NOW,
        confirm_id="S00042",
        items=[
            ConfirmationItem(
                1,
                Decimal(10),
                "EA",
                status="detail",
                unit_price=Money(Decimal("2.10"), "EUR"),
                delivery_date=datetime(2024, 3, 5, tzinfo=UTC),
                backordered_quantity=Decimal(4),
                backorder_delivery_date=datetime(2024, 4, 2, tzinfo=UTC),
            ),
        ],
    )
    root = assert_valid(dtds, cxml.build_confirmation_request(HEADER, confirmation), "Fulfill")
    item = root.find("Request/ConfirmationRequest/ConfirmationItem")
    assert item.get("quantity") == "10"
    assert _statuses(item) == [
        ("detail", "6", "2024-03-05T00:00:00+00:00"),
        ("backordered", "4", "2024-04-02T00:00:00+00:00"),
    ]
    # The price belongs to the confirmed part only.
    assert item.findtext("ConfirmationStatus[1]/UnitPrice/Money") == "2.10"
    assert item.find("ConfirmationStatus[2]/UnitPrice") is None


def test_reduced_quantity_rejects_the_rest(dtds):
    item = ConfirmationItem(
        2,
        Decimal(5),
        "EA",
        status="detail",
        status_quantity=Decimal(3),
        unit_price=Money(Decimal("1.00"), "EUR"),
        rejected_quantity=Decimal(2),
    )
    confirmation = ConfirmationRequest("PO-7", ORDER_PAYLOAD, "detail", items=[item])
    root = assert_valid(dtds, cxml.build_confirmation_request(HEADER, confirmation), "Fulfill")
    item_el = root.find("Request/ConfirmationRequest/ConfirmationItem")
    assert _statuses(item_el) == [("detail", "3", None), ("reject", "2", None)]


def test_a_line_set_to_zero_is_rejected_as_a_whole(dtds):
    item = ConfirmationItem(
        3, Decimal(5), "EA", status_quantity=Decimal(0), rejected_quantity=Decimal(5)
    )
    confirmation = ConfirmationRequest("PO-7", ORDER_PAYLOAD, "detail", items=[item])
    root = assert_valid(dtds, cxml.build_confirmation_request(HEADER, confirmation), "Fulfill")
    item_el = root.find("Request/ConfirmationRequest/ConfirmationItem")
    assert _statuses(item_el) == [("reject", "5", None)]


def test_reject_carries_the_reason_and_no_items(dtds):
    confirmation = ConfirmationRequest(
        "PO-7", ORDER_PAYLOAD, "reject", comments="Discontinued product, no replacement."
    )
    root = assert_valid(dtds, cxml.build_confirmation_request(HEADER, confirmation), "Fulfill")
    header = root.find("Request/ConfirmationRequest/ConfirmationHeader")
    assert header.get("type") == "reject"
    assert header.findtext("Comments") == "Discontinued product, no replacement."
    assert root.find("Request/ConfirmationRequest/ConfirmationItem") is None


def test_reject_with_items_is_refused():
    confirmation = ConfirmationRequest(
        "PO-7", ORDER_PAYLOAD, "reject", items=[ConfirmationItem(1, Decimal(1), "EA")]
    )
    with pytest.raises(ValueError, match="must not list items"):
        cxml.build_confirmation_request(HEADER, confirmation)


def test_update_names_the_version_it_replaces(dtds):
    confirmation = ConfirmationRequest(
        "PO-7",
        ORDER_PAYLOAD,
        "detail",
        confirm_id="S00042",
        operation="update",
        version=2,
        previous_payload_id="first-version@supplier.example",
        items=[ConfirmationItem(1, Decimal(10), "EA", status="detail", delivery_date=NOW)],
    )
    root = assert_valid(dtds, cxml.build_confirmation_request(HEADER, confirmation), "Fulfill")
    header = root.find("Request/ConfirmationRequest/ConfirmationHeader")
    assert (header.get("operation"), header.get("confirmID"), header.get("version")) == (
        "update",
        "S00042",
        "2",
    )
    assert header.find("DocumentReference").get("payloadID") == "first-version@supplier.example"
    # The order reference still names the buyer's OrderRequest.
    reference = root.find("Request/ConfirmationRequest/OrderReference/DocumentReference")
    assert reference.get("payloadID") == ORDER_PAYLOAD


def test_update_without_the_previous_version_is_refused():
    confirmation = ConfirmationRequest(
        "PO-7", ORDER_PAYLOAD, "accept", operation="update", version=2
    )
    with pytest.raises(ValueError, match="payloadID of the version it replaces"):
        cxml.build_confirmation_request(HEADER, confirmation)
