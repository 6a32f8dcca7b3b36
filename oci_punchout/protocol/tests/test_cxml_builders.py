"""Our cXML documents: valid against the official DTDs, carrying the values given; pytest, no
Odoo.
"""

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from cxml_common import (
    BILL_TO,
    HEADER,
    NOW,
    SHIP_TO,
    UTC,
    assert_valid,
    make_cart,
    make_item,
    sample,
)
from lxml import etree
from protocol import cxml
from protocol.cxml import (
    ConfirmationItem,
    ConfirmationRequest,
    Contact,
    Header,
    Money,
    OrderRequest,
    PunchOutOrderMessage,
    PunchOutSetupRequest,
    SelectedItem,
)
from protocol.errors import (
    UnsupportedRequest,
)


def test_build_response(dtds):
    data = cxml.build_response(200, payload_id="r-1", timestamp=NOW)
    root = assert_valid(dtds, data)
    assert root.get("payloadID") == "r-1"
    assert root.get("timestamp") == "2024-03-01T09:30:00+00:00"
    assert root.find("Response/Status").attrib == {"code": "200", "text": "OK"}
    response = cxml.parse_response(
        cxml.build_response(409, message="Order DO1 was already received.")
    )
    assert (response.status_code, response.status_text) == (409, "Conflict")
    assert response.message == "Order DO1 was already received."
    assert not response.ok


def test_build_error_response(dtds):
    data = cxml.build_error_response(UnsupportedRequest("cXML FooRequest is not supported."))
    assert_valid(dtds, data)
    response = cxml.parse_response(data)
    assert (response.status_code, response.status_text) == (450, "Not Implemented")
    assert response.message == "cXML FooRequest is not supported."
    internal = cxml.parse_response(cxml.build_error_response(KeyError("secret detail")))
    assert (internal.status_code, internal.message) == (500, "Internal error.")


def test_build_profile_response(dtds):
    transactions = [
        ("PunchOutSetupRequest", "https://shop.example.com/punchout/cxml"),
        ("OrderRequest", "https://shop.example.com/punchout/cxml?db=prod&x=1"),
    ]
    data = cxml.build_profile_response(transactions, effective_date=NOW)
    root = assert_valid(dtds, data)
    assert root.find("Response/ProfileResponse").get("effectiveDate") == (
        "2024-03-01T09:30:00+00:00"
    )
    response = cxml.parse_response(data)
    assert response.ok
    assert response.transactions == transactions
    with pytest.raises(ValueError):
        cxml.build_profile_response([])


def test_build_punchout_setup_response_keeps_ampersand_valid(dtds):
    url = "https://shop.example.com/punchout/start/abc?db=prod&lang=de_DE"
    data = cxml.build_punchout_setup_response(url)
    assert_valid(dtds, data)
    assert b"?db=prod&amp;lang=de_DE</URL>" in data
    response = cxml.parse_response(data)
    assert (response.status_code, response.start_url) == (200, url)


def test_build_profile_request(dtds):
    data = cxml.build_profile_request(HEADER, payload_id="pr-1", deployment_mode="test")
    assert_valid(dtds, data)
    env = cxml.parse_request(data)
    assert (env.request_name, env.request, env.payload_id) == ("ProfileRequest", None, "pr-1")
    assert env.deployment_mode == "test"
    assert env.header == HEADER


def test_punchout_setup_request_round_trip(dtds):
    setup = PunchOutSetupRequest(
        operation="edit",
        buyer_cookie="cookie & <42>",
        browser_form_post_url="https://buyer.example.com/cart?session=1&step=2",
        supplier_setup_url="https://shop.example.com/punchout/cxml",
        extrinsics={"UserEmail": "jane@zinc.example", "CostCenter": "4711"},
        contact=Contact("Jane Buyer", "jane@zinc.example", "+49 30 1234567", "endUser", "C-7"),
        ship_to=SHIP_TO,
        selected_item=SelectedItem("FURN-1", "S00042/1", "B-1"),
        items=[make_item(1, requested_delivery_date=NOW), make_item(2)],
    )
    data = cxml.build_punchout_setup_request(
        HEADER, setup, deployment_mode="test", payload_id="s-1", timestamp=NOW, lang="de"
    )
    assert_valid(dtds, data)
    env = cxml.parse_request(data)
    assert env.request == setup
    assert env.header == HEADER
    assert (env.payload_id, env.timestamp, env.deployment_mode) == ("s-1", NOW, "test")
    assert (env.version, env.lang) == ("1.2.063", "de")


def test_punchout_order_message_round_trip_and_no_secret(dtds):
    cart = make_cart()
    data = cxml.build_punchout_order_message(
        HEADER, cart, deployment_mode="test", in_reply_to="s-1", payload_id="m-1"
    )
    root = assert_valid(dtds, data)
    assert b"SharedSecret" not in data
    assert b"s3cr3t" not in data
    assert root.find("Message").attrib == {"deploymentMode": "test", "inReplyTo": "s-1"}
    assert [c.findtext("Identity") for c in root.iterfind("Header/Sender/Credential")] == [
        "AN01000000001"
    ]
    assert root.find("Message/PunchOutOrderMessage/ItemIn").attrib == {
        "quantity": "2.5",
        "lineNumber": "1",
    }
    assert cxml.parse_punchout_order_message(data) == cart


def test_empty_cart_message_is_valid(dtds):
    cart = PunchOutOrderMessage("c", total=Money(Decimal("0.00"), "EUR"))
    data = cxml.build_punchout_order_message(HEADER, cart)
    assert_valid(dtds, data)
    assert cxml.parse_punchout_order_message(data) == cart


def test_cart_lines_without_number_are_numbered():
    cart = make_cart([make_item(0, line_number=None), make_item(0, line_number=None)])
    parsed = cxml.parse_punchout_order_message(cxml.build_punchout_order_message(HEADER, cart))
    assert [i.line_number for i in parsed.items] == [1, 2]


def test_order_request_round_trip(dtds):
    order = OrderRequest(
        order_id="PO-2024-0042",
        order_date=datetime(2024, 3, 1, 8, 0, tzinfo=timezone(timedelta(hours=1))),
        order_type="update",
        order_version=2,
        total=Money(Decimal("8024.25"), "EUR"),
        tax=Money(Decimal("1524.61"), "EUR"),
        shipping=Money(Decimal("25.00"), "EUR"),
        ship_to=SHIP_TO,
        bill_to=BILL_TO,
        contacts=[Contact("Jane Buyer", "jane@zinc.example", role="buyer")],
        comments="Please call before delivery.",
        attachments=["cid:spec-1@zinc.example"],
        extrinsics={"CostCenter": "4711"},
        document_reference_payload_id="1709280000.1@buyer.example",
        items=[make_item(1, requested_delivery_date=NOW), make_item(2)],
    )
    data = cxml.build_order_request(HEADER, order, payload_id="o-1", timestamp=NOW)
    root = assert_valid(dtds, data)
    assert root.findtext("Header/Sender/Credential/SharedSecret") == "s3cr3t&<Ä"
    env = cxml.parse_request(data)
    assert env.request == order
    assert (env.payload_id, env.deployment_mode) == ("o-1", "production")
    assert env.header.shared_secret == "s3cr3t&<Ä"


def test_order_request_from_cart_carries_auxiliary_ids(dtds):
    cart = cxml.parse_punchout_order_message(
        cxml.build_punchout_order_message(HEADER, make_cart([make_item(7), make_item(9)]))
    )
    order = cxml.order_request_from_cart(cart, "PO-1", BILL_TO, order_date=NOW, ship_to=SHIP_TO)
    data = cxml.build_order_request(HEADER, order)
    assert_valid(dtds, data)
    parsed = cxml.parse_request(data).request
    assert parsed.total == Money(Decimal("8024.25"), "EUR")
    assert [(i.line_number, i.supplier_part_auxiliary_id) for i in parsed.items] == [
        (7, "S00042/7"),
        (9, "S00042/9"),
    ]
    assert parsed.items == cart.items


def test_order_request_from_sample_cart_numbers_lines():
    cart = cxml.parse_punchout_order_message(sample("PunchoutOrderMessage"))
    order = cxml.order_request_from_cart(cart, "PO-9", BILL_TO)
    assert [(i.line_number, i.supplier_part_id) for i in order.items] == [(1, "5555"), (2, "666")]
    assert order.total == Money(Decimal("763.20"), "USD")
    assert [i.line_number for i in cart.items] == [None, None]


def test_build_confirmation_request_detail(dtds):
    order = cxml.parse_request(sample("OrderRequest"))
    confirmation = ConfirmationRequest(
        order_id=order.request.order_id,
        order_payload_id=order.payload_id,
        confirm_type="detail",
        order_date=order.request.order_date,
        notice_date=NOW,
        confirm_id="S00042",
        total=Money(Decimal("85.00"), "EUR"),
        comments="Line 2 ships later.",
        items=[
            ConfirmationItem(1, Decimal(10), "EA", unit_price=Money(Decimal("2.10"), "EUR")),
            ConfirmationItem(
                2,
                Decimal(20),
                "EA",
                status="backordered",
                status_quantity=Decimal(20),
                delivery_date=datetime(2024, 4, 2, tzinfo=UTC),
            ),
        ],
    )
    data = cxml.build_confirmation_request(HEADER, confirmation, payload_id="c-1")
    root = assert_valid(dtds, data, "Fulfill")
    request = root.find("Request/ConfirmationRequest")
    header = request.find("ConfirmationHeader")
    assert header.attrib == {
        "type": "detail",
        "noticeDate": "2024-03-01T09:30:00+00:00",
        "operation": "new",
        "confirmID": "S00042",
    }
    assert request.find("OrderReference").attrib == {
        "orderID": "DO1234",
        "orderDate": "2000-10-12T18:41:29-08:00",
    }
    assert request.find("OrderReference/DocumentReference").get("payloadID") == (
        "1625586002.193314.7293@dev"
    )
    items = [
        (i.get("lineNumber"), i.get("quantity"), i.find("ConfirmationStatus").get("type"))
        for i in request.iterfind("ConfirmationItem")
    ]
    assert items == [("1", "10", "accept"), ("2", "20", "backordered")]
    status = request.find("ConfirmationItem[2]/ConfirmationStatus")
    assert status.get("deliveryDate") == "2024-04-02T00:00:00+00:00"
    assert request.findtext("ConfirmationItem/ConfirmationStatus/UnitPrice/Money") == "2.10"


@pytest.mark.parametrize("confirm_type", ["accept", "reject"])
def test_build_confirmation_request_without_lines(dtds, confirm_type):
    confirmation = ConfirmationRequest("DO1234", "1625586002.193314.7293@dev", confirm_type)
    root = assert_valid(dtds, cxml.build_confirmation_request(HEADER, confirmation), "Fulfill")
    assert root.find("Request/ConfirmationRequest/ConfirmationHeader").get("type") == confirm_type
    assert root.find("Request/ConfirmationRequest/ConfirmationItem") is None


@pytest.mark.parametrize(
    "build",
    [
        lambda: cxml.build_punchout_order_message(
            HEADER, make_cart([make_item(1, unit_price=None)])
        ),
        lambda: cxml.build_punchout_order_message(
            HEADER, make_cart([make_item(1, classifications=[])])
        ),
        lambda: cxml.build_punchout_order_message(
            HEADER, make_cart([make_item(1, unit_of_measure="")])
        ),
        lambda: cxml.build_punchout_order_message(HEADER, PunchOutOrderMessage("c")),
        lambda: cxml.build_punchout_order_message(HEADER, make_cart(), deployment_mode="dev"),
        lambda: cxml.build_punchout_order_message(Header(), make_cart()),
        lambda: cxml.build_punchout_setup_request(HEADER, PunchOutSetupRequest(operation="x")),
        lambda: cxml.build_order_request(HEADER, OrderRequest("PO", total=None)),
        lambda: cxml.build_confirmation_request(HEADER, ConfirmationRequest("PO", "")),
        lambda: cxml.build_confirmation_request(HEADER, ConfirmationRequest("PO", "p", "maybe")),
    ],
)
def test_builders_refuse_incomplete_data(build):
    with pytest.raises(ValueError):
        build()


def test_payload_ids_and_timestamps():
    first, second = cxml.make_payload_id(), cxml.make_payload_id()
    assert first != second
    assert re.fullmatch(r"\d{13}\.\d+\.[0-9a-f]{12}@.+", first)
    root = etree.fromstring(cxml.build_response(200))
    assert cxml.parse_datetime(root.get("timestamp")).tzinfo is not None
    assert root.get("payloadID").split("@")[0].count(".") == 2
    assert cxml.format_datetime(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05+00:00"
