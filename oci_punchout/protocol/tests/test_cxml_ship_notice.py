"""Ship notices (ShipNoticeRequest): built valid against Fulfill.dtd 1.2.063, read back, and the
shared cxml-php sample read as a buyer's system sends it. pytest, no Odoo."""

from datetime import datetime
from decimal import Decimal

import pytest
from cxml_common import HEADER, NOW, UTC, assert_valid, sample
from protocol import cxml
from protocol.cxml import ShipNoticeItem, ShipNoticePortion, ShipNoticeRequest
from protocol.errors import HostileDocument, MalformedDocument


def _notice(**values):
    values.setdefault(
        "portions",
        [
            ShipNoticePortion(
                "PO-7",
                "1625586002.193314.7293@buyer.example",
                order_date=datetime(2024, 2, 28, 10, 0, tzinfo=UTC),
                items=[
                    ShipNoticeItem(1, Decimal(10), "EA", lots=["LOT-A", "LOT-B"]),
                    ShipNoticeItem(2, Decimal("2.5"), "KGM"),
                ],
            )
        ],
    )
    values = {
        "notice_date": NOW,
        "shipment_date": NOW,
        "delivery_date": datetime(2024, 3, 4, tzinfo=UTC),
        "service_level": "Parcel Express",
        "carrier": "Parcel Express",
        "tracking_numbers": ["1Z999AA10123456784", "1Z999AA10123456785"],
        **values,
    }
    return ShipNoticeRequest("WH/OUT/00042", **values)


def test_new_ship_notice_is_valid_and_complete(dtds):
    data = cxml.build_ship_notice_request(HEADER, _notice(), payload_id="asn-1@us")
    root = assert_valid(dtds, data, "Fulfill")
    request = root.find("Request/ShipNoticeRequest")
    header = request.find("ShipNoticeHeader")
    assert (header.get("shipmentID"), header.get("operation")) == ("WH/OUT/00042", "new")
    assert header.get("deliveryDate") == "2024-03-04T00:00:00+00:00"
    assert header.findtext("ServiceLevel") == "Parcel Express"
    assert header.find("DocumentReference") is None
    control = request.find("ShipControl")
    assert control.find("CarrierIdentifier").attrib == {"domain": "companyName"}
    assert [el.text for el in control.iterfind("ShipmentIdentifier")] == [
        "1Z999AA10123456784",
        "1Z999AA10123456785",
    ]
    portion = request.find("ShipNoticePortion")
    assert portion.find("OrderReference").get("orderID") == "PO-7"
    items = [
        (i.get("lineNumber"), i.get("quantity"), i.findtext("UnitOfMeasure"))
        for i in portion.iterfind("ShipNoticeItem")
    ]
    assert items == [("1", "10", "EA"), ("2", "2.5", "KGM")]
    assert [b.text for b in portion.iterfind("ShipNoticeItem/Batch/SupplierBatchID")] == [
        "LOT-A",
        "LOT-B",
    ]


def test_round_trip():
    notice = _notice(operation="update", previous_payload_id="asn-1@us", comments="Second box.")
    data = cxml.build_ship_notice_request(HEADER, notice, deployment_mode="test")
    envelope = cxml.parse_ship_notice_request(data)
    assert envelope.deployment_mode == "test"
    assert envelope.request == notice


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_later_versions_name_the_one_they_replace(dtds, operation):
    notice = _notice(operation=operation, previous_payload_id="asn-1@us")
    root = assert_valid(dtds, cxml.build_ship_notice_request(HEADER, notice), "Fulfill")
    header = root.find("Request/ShipNoticeRequest/ShipNoticeHeader")
    assert header.get("operation") == operation
    assert header.find("DocumentReference").get("payloadID") == "asn-1@us"
    # A withdrawn shipment has no service level to state.
    assert (header.find("ServiceLevel") is None) == (operation == "delete")


def test_without_tracking_there_is_no_ship_control(dtds):
    notice = _notice(carrier="", tracking_numbers=[])
    root = assert_valid(dtds, cxml.build_ship_notice_request(HEADER, notice), "Fulfill")
    assert root.find("Request/ShipNoticeRequest/ShipControl") is None


def test_two_orders_in_one_shipment(dtds):
    portions = [
        ShipNoticePortion("PO-1", "po-1@buyer", items=[ShipNoticeItem(1, Decimal(1), "EA")]),
        ShipNoticePortion("PO-2", "po-2@buyer", items=[ShipNoticeItem(3, Decimal(4), "EA")]),
    ]
    root = assert_valid(
        dtds, cxml.build_ship_notice_request(HEADER, _notice(portions=portions)), "Fulfill"
    )
    assert [
        el.get("orderID")
        for el in root.iterfind("Request/ShipNoticeRequest/ShipNoticePortion/OrderReference")
    ] == ["PO-1", "PO-2"]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"shipment_id": ""}, "needs a shipmentID"),
        ({"operation": "update"}, "payloadID of the version it replaces"),
        ({"operation": "cancel"}, "is not one of"),
        ({"portions": []}, "at least one order"),
        ({"carrier": ""}, "need the carrier"),
        ({"portions": [ShipNoticePortion("PO-9", "")]}, "needs the order's payloadID"),
    ],
)
def test_incomplete_ship_notices_are_refused(values, message):
    notice = _notice()
    for name, value in values.items():
        setattr(notice, name, value)
    with pytest.raises(ValueError, match=message):
        cxml.build_ship_notice_request(HEADER, notice)


def test_a_stored_ship_notice_is_sent_again_with_its_dtd(dtds):
    """As the send job does: the document stored without our secret, the secret put back."""
    stored = cxml.redact_secrets(cxml.build_ship_notice_request(HEADER, _notice()))
    resent = cxml.with_shared_secret(stored, "our-secret")
    root = assert_valid(dtds, resent, "Fulfill")
    assert root.findtext("Header/Sender/Credential/SharedSecret") == "our-secret"


def test_shared_sample_reads():
    envelope = cxml.parse_ship_notice_request(sample("ShipNoticeRequest"))
    notice = envelope.request
    assert (notice.shipment_id, notice.operation) == ("S2-123", "new")
    assert notice.carrier == "FDE"
    assert notice.tracking_numbers == ["8202 8261 1194"]
    assert notice.comments == "Got it all into one shipment."
    (portion,) = notice.portions
    assert (portion.order_id, portion.order_payload_id) == ("DO1234", "32232995@hub.acme.com")
    assert envelope.header.shared_secret == "abracadabra"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"<cXML payloadID='x'><Request><OrderRequest/></Request></cXML>", MalformedDocument),
        (
            b"<cXML payloadID='x'><Request><ShipNoticeRequest><ShipNoticeHeader/>"
            b"</ShipNoticeRequest></Request></cXML>",
            MalformedDocument,
        ),
        (
            b'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY a "aaaaaaaaaa">'
            b'<!ENTITY b "&a;&a;&a;&a;&a;">]><cXML payloadID="&b;"/>',
            HostileDocument,
        ),
    ],
)
def test_malformed_and_hostile_ship_notices_are_refused(data, error):
    with pytest.raises(error):
        cxml.parse_ship_notice_request(data)
