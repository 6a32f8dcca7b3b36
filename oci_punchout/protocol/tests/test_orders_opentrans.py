"""openTRANS 2.1 ORDERs read as OrderRequests; pytest, no Odoo."""

from datetime import datetime
from decimal import Decimal

import pytest
from order_samples import OPENTRANS_ORDER, PLUS_1
from protocol import orders
from protocol.cxml import Address, Contact, Money
from protocol.errors import (
    MalformedDocument,
)


def test_opentrans_order_header():
    document = orders.read_order(OPENTRANS_ORDER)
    assert document.format == "opentrans"
    order = document.order
    assert order.order_id == "BE-2024-00815"
    assert order.order_date == datetime(2024, 3, 13, 8, 14, 27, tzinfo=PLUS_1)
    assert order.total == Money(Decimal("764.70"), "EUR")
    assert order.comments == "Lieferung nur werktags bis 14 Uhr."
    assert order.bill_to == Address(
        name="Hansa Klinikum Bremen gGmbH",
        address_id="HKB-KREDITOREN",
        deliver_to=["Kreditorenbuchhaltung"],
        street=["Postfach 10 44 20"],
        city="Bremen",
        postal_code="28044",
        country_code="DE",
        email="rechnungen@hkb.example",
    )
    assert order.ship_to == Address(
        name="Hansa Klinikum Bremen gGmbH",
        address_id="4098765000017",
        deliver_to=["Zentrallager", "Warenannahme Rampe 2"],
        street=["Gewerbestr. 7"],
        city="Bremen",
        postal_code="28279",
        country_code="DE",
        phone="+49 421 5550-400",
    )
    assert order.contacts == [
        Contact(
            name="Maren Lindner",
            email="m.lindner@hkb.example",
            phone="+49 421 5550-123",
            role="buyer",
        )
    ]
    assert order.extrinsics == {}


def test_opentrans_order_lines():
    chair, paper, toner = orders.parse_opentrans_order(OPENTRANS_ORDER).items
    assert (chair.line_number, chair.quantity, chair.unit_of_measure) == (1, Decimal("4"), "C62")
    assert (chair.supplier_part_id, chair.buyer_part_id) == ("FURN-0006", "100-4711")
    assert chair.short_name == "Buerostuhl schwarz"
    assert chair.description == "Buerostuhl schwarz, Synchronmechanik"
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert chair.requested_delivery_date == datetime(2024, 3, 27)
    assert chair.supplier_part_auxiliary_id == "S00044/71"  # item SOURCING_INFO
    # Price for 10 packs.
    assert paper.unit_price == Money(Decimal("4.25"), "EUR")
    assert (paper.quantity, paper.unit_of_measure) == (Decimal("20"), "PK")
    assert paper.supplier_part_auxiliary_id == "S00044/72"  # item REMARKS
    assert paper.comments == "Angebotsposition S00044/72"
    # Header delivery date (end of the period); price from the line amount; header quotation.
    assert paper.requested_delivery_date == datetime(2024, 4, 5)
    assert toner.unit_price == Money(Decimal("59.90"), "EUR")
    assert toner.supplier_part_auxiliary_id == "S00044"
    assert toner.description == "Toner schwarz"


def test_opentrans_parties_found_by_reference_first():
    pharmacy = (
        b"<PARTY>\n"
        b'          <bmecat:PARTY_ID type="iln">4098765000024</bmecat:PARTY_ID>\n'
        b"          <PARTY_ROLE>delivery</PARTY_ROLE>\n"
        b"          <ADDRESS><bmecat:NAME>Klinikapotheke</bmecat:NAME></ADDRESS>\n"
        b"        </PARTY>\n"
        b"        <PARTY>\n"
        b'          <bmecat:PARTY_ID type="iln">4098765000017'
    )
    data = OPENTRANS_ORDER.replace(
        b'<PARTY>\n          <bmecat:PARTY_ID type="iln">4098765000017', pharmacy
    )
    assert data.count(b"<PARTY_ROLE>delivery</PARTY_ROLE>") == 2
    ship_to = orders.parse_order(data).ship_to
    assert (ship_to.address_id, ship_to.deliver_to[0]) == ("4098765000017", "Zentrallager")
    unreferenced = data.replace(b'<DELIVERY_IDREF type="iln">4098765000017', b"<DELIVERY_IDREF>x")
    assert orders.parse_order(unreferenced).ship_to.name == "Klinikapotheke"


def test_opentrans_parties_found_by_role_without_references():
    data = OPENTRANS_ORDER.replace(
        b"<INVOICE_RECIPIENT_IDREF", b"<!-- <INVOICE_RECIPIENT_IDREF"
    ).replace(b"</SHIPMENT_PARTIES_REFERENCE>", b"</SHIPMENT_PARTIES_REFERENCE> -->")
    order = orders.parse_order(data)
    assert order.bill_to.address_id == "HKB-KREDITOREN"
    assert order.ship_to.deliver_to == ["Zentrallager", "Warenannahme Rampe 2"]
    # Without invoice recipient and delivery parties: the buyer is billed, no ship-to.
    buyer_only = data.replace(b"<PARTY_ROLE>invoice_recipient", b"<PARTY_ROLE>payer").replace(
        b"<PARTY_ROLE>delivery", b"<PARTY_ROLE>deliverer"
    )
    order = orders.parse_order(buyer_only)
    assert order.bill_to.address_id == "HKB-EK"
    assert order.bill_to.deliver_to == ["Zentraleinkauf"]
    assert order.bill_to.email == "einkauf@hkb.example"
    assert order.ship_to is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([(b"<ORDER_ID>BE-2024-00815</ORDER_ID>", b"<ORDER_ID/>")], "no ORDER_ID"),
        ([(b"<QUANTITY>20</QUANTITY>", b"")], "ORDER_ITEM 2 has no quantity"),
        (
            [(b"<ORDER_HEADER>", b"<ORDER_HEAD>"), (b"</ORDER_HEADER>", b"</ORDER_HEAD>")],
            "no ORDER_HEADER/ORDER_INFO",
        ),
        ([(b"PRICE_AMOUNT>42.50<", b"PRICE_AMOUNT>zweiundvierzig<")], "zweiundvierzig"),
        ([(b"<ORDER_DATE>2024-03-13T", b"<ORDER_DATE>13.03.2024T")], "ISO 8601"),
    ],
)
def test_opentrans_missing_essentials(changes, message):
    data = OPENTRANS_ORDER
    for old, new in changes:
        assert old in data
        data = data.replace(old, new)
    with pytest.raises(MalformedDocument, match=message):
        orders.parse_opentrans_order(data)


def test_opentrans_without_items():
    start = OPENTRANS_ORDER.index(b"<ORDER_ITEM_LIST>") + len(b"<ORDER_ITEM_LIST>")
    end = OPENTRANS_ORDER.index(b"</ORDER_ITEM_LIST>")
    data = OPENTRANS_ORDER[:start] + OPENTRANS_ORDER[end:]
    with pytest.raises(MalformedDocument, match="BE-2024-00815 has no ORDER_ITEM"):
        orders.parse_opentrans_order(data)
