"""What the cXML tests share: sample documents, envelopes, a header, addresses, items and carts."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from lxml import etree
from protocol.cxml import (
    Address,
    Credential,
    Header,
    Item,
    Money,
    PunchOutOrderMessage,
    ShipNoticeItem,
    ShipNoticePortion,
    ShipNoticeRequest,
    build_ship_notice_request,
)
from testdata import CXML_SAMPLES, cxml_prolog

UTC = timezone.utc

MINUS_8 = timezone(timedelta(hours=-8))

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=UTC)


def sample(name):
    return (CXML_SAMPLES / f"cxml-php_{name}.xml").read_bytes()


def assert_valid(dtds, data, dtd="cXML"):
    """Our documents: the exact prolog, and valid against the official DTD."""
    assert data.startswith(cxml_prolog(dtd))
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    root = etree.fromstring(data, parser)
    assert dtds[dtd].validate(root), dtds[dtd].error_log.filter_from_errors()
    return root


def envelope(
    body, request_attrs="", root_attrs='payloadID="p-1" timestamp="2024-01-01T00:00:00Z"'
):
    header = (
        "<Header><From><Credential domain='NetworkId'><Identity>AN01</Identity></Credential>"
        "</From><To><Credential domain='DUNS'><Identity>123</Identity></Credential></To>"
        "<Sender><Credential domain='NetworkId'><Identity>AN01</Identity>"
        "<SharedSecret>pw</SharedSecret></Credential><UserAgent>t</UserAgent></Sender></Header>"
    )
    return f"<cXML {root_attrs}>{header}<Request {request_attrs}>{body}</Request></cXML>".encode()


def setup_body(cookie="<BuyerCookie>c1</BuyerCookie>", operation="create"):
    return f'<PunchOutSetupRequest operation="{operation}">{cookie}</PunchOutSetupRequest>'


HEADER = Header(
    from_credentials=[Credential("NetworkId", "AN01000000001")],
    to_credentials=[Credential("DUNS", "123456789"), Credential("NetworkId", "AN02000000002")],
    sender_credentials=[Credential("NetworkId", "AN01000000001", "s3cr3t&<Ä")],
    user_agent="Buyer Simulator 1.0",
)

BILL_TO = Address(
    name="Zinc GmbH",
    address_id="BT-1",
    street=["An den Eichen 18", "Gebäude 2"],
    city="Solingen",
    postal_code="42699",
    country_code="DE",
    country="Deutschland",
    email="ap@zinc.example",
    phone="+49 761 1234567",
)

SHIP_TO = Address(
    name="Zinc GmbH Lager",
    deliver_to=["Jane Buyer", "Tor 2"],
    street=["Hafenstraße 1"],
    city="Hamburg",
    state="HH",
    postal_code="20457",
    country_code="DE",
    country="Germany",
)


def make_item(n, **values):
    defaults = {
        "quantity": Decimal("2.5"),
        "supplier_part_id": f"FURN-{n}",
        "unit_price": Money(Decimal("1234.50"), "EUR"),
        "line_number": n,
        "supplier_part_auxiliary_id": f"S00042/{n}",
        "buyer_part_id": f"B-{n}",
        "description": "Office chair, black & comfortable <ergonomic>",
        "short_name": "Chair",
        "unit_of_measure": "C62",
        "classifications": [("UNSPSC", "56101504"), ("eCl@ss", "24-39-01-01")],
        "manufacturer_part_id": "MPN-7",
        "manufacturer_name": "Acme Seating",
        "url": "https://shop.example.com/shop/chair-7?a=1&b=2",
        "lead_time": 5,
        "comments": "Deliver to gate 2",
        "extrinsics": {"ProductGroup": "Seating"},
    }
    return Item(**{**defaults, **values})


def make_cart(items=None):
    items = [make_item(1), make_item(2, quantity=Decimal(4))] if items is None else items
    return PunchOutOrderMessage(
        buyer_cookie="cookie-42",
        operation_allowed="edit",
        total=Money(Decimal("8024.25"), "EUR"),
        tax=Money(Decimal("1524.61"), "EUR"),
        shipping=Money(Decimal("25.00"), "EUR"),
        items=items,
    )


# Documents also used as fuzzing seeds (fuzzing.cxml_seeds).
NO_SENDER = b"<Sender><UserAgent>t</UserAgent></Sender>"
RESPONSE = b'<cXML payloadID="p"><Response><Status code="200" text="OK"/></Response></cXML>'
# A ship notice of ours: lots, two tracking numbers, two orders (the shared sample has none).
SHIP_NOTICE = build_ship_notice_request(
    HEADER,
    ShipNoticeRequest(
        "WH/OUT/00042",
        notice_date=NOW,
        shipment_date=NOW,
        delivery_date=NOW + timedelta(days=2),
        carrier="DHL Paket",
        tracking_numbers=["00340434161094042557", "00340434161094042558"],
        comments="Two pallets.",
        portions=[
            ShipNoticePortion(
                "PO-1", "p-1@buyer.example", items=[ShipNoticeItem(1, Decimal(3), "EA", ["L-1"])]
            ),
            ShipNoticePortion("PO-2", "p-2@buyer.example", items=[ShipNoticeItem(2, 1, "KGM")]),
        ],
    ),
    payload_id="asn-seed@supplier.example",
)
