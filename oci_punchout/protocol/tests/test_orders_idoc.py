"""SAP IDoc ORDERS05 (and ORDCHG) read as OrderRequests; pytest, no Odoo."""

from datetime import datetime
from decimal import Decimal

import pytest
from order_samples_sap import IDOC_ORDERS05, _idoc_change
from protocol import orders
from protocol.cxml import Address, Contact, Money
from protocol.errors import (
    MalformedDocument,
)


def test_idoc_header():
    document = orders.read_order(IDOC_ORDERS05)
    assert (document.format, document.document_id) == ("idoc", "0000000000712345")
    order = document.order
    assert order.order_id == "4500012348"
    assert order.order_type == "new"
    assert order.order_date == datetime(2024, 3, 12)
    assert order.total == Money(Decimal("1332.30"), "EUR")
    assert order.comments == (
        "Bitte Bestellnummer auf allen Lieferpapieren angeben.\nAnlieferung Mo-Fr 7-15 Uhr."
    )
    assert order.extrinsics == {
        "Company code": "1000",
        "Purchase order type": "NB",
        "Purchasing organization": "1000",
        "Purchasing group": "001",
    }
    assert order.bill_to == Address(
        name="Nordwind Maschinenbau GmbH",
        address_id="1000",
        street=["Industriestr. 12"],
        city="Mannheim",
        postal_code="68169",
        country_code="DE",
        phone="+49 621 4500-210",
    )
    assert order.ship_to == Address(
        name="Nordwind Maschinenbau GmbH",
        address_id="1000",
        deliver_to=["Werk 1000 / Wareneingang Tor 3"],
        street=["Industriestr. 12"],
        city="Mannheim",
        postal_code="68169",
        country_code="DE",
    )
    assert order.contacts == [Contact(name="Jana Weber", phone="+49 621 4500-210", role="buyer")]


def test_idoc_items():
    chair, screws, cloths = orders.parse_idoc_orders05(IDOC_ORDERS05).items
    assert chair.line_number == 10
    assert (chair.quantity, chair.unit_of_measure) == (Decimal("10"), "C62")  # PCE
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert (chair.supplier_part_id, chair.buyer_part_id) == ("FURN-0006", "MAT-4711")
    assert chair.description == chair.short_name == "Buerostuhl schwarz"
    assert chair.comments == "Farbe schwarz, Armlehnen verstellbar"
    assert chair.requested_delivery_date == datetime(2024, 3, 28)
    # E1EDP02 004: quotation and its item (SAP pads item numbers with zeros).
    assert chair.supplier_part_auxiliary_id == "S00045/61"
    # Price per 100 (PEINH), SAP's internal unit ST.
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert (screws.quantity, screws.unit_of_measure) == (Decimal("500"), "C62")
    assert screws.requested_delivery_date == datetime(2024, 3, 22, 12, 0)
    assert screws.supplier_part_auxiliary_id == "S00045/62"  # from the item text
    assert screws.buyer_part_id == ""
    # No VPREI: net value / quantity; header quotation.
    assert cloths.unit_price == Money(Decimal("9.90"), "EUR")
    assert (cloths.quantity, cloths.unit_of_measure) == (Decimal("2"), "KGM")
    assert cloths.supplier_part_auxiliary_id == "S00045"
    assert cloths.requested_delivery_date is None


def test_idoc_order_change():
    order = orders.parse_idoc_orders05(_idoc_change())
    assert order.order_type == "update"
    assert [item.line_number for item in order.items] == [10, 20, 30]  # 40 is deleted
    assert order.items[1].quantity == Decimal("400")


def test_idoc_namespaced_negative_and_fallbacks():
    data = (
        IDOC_ORDERS05.replace(
            b"<ORDERS05>", b'<ORDERS05 xmlns="urn:sap-com:document:sap:idoc:messages">'
        )
        .replace(b"<BELNR>4500012348</BELNR>\n", b"\n", 1)
        .replace(b"<IDDAT>012</IDDAT>", b"<IDDAT>099</IDDAT>")
        .replace(b"<NETWR>19.80</NETWR>", b"<NETWR>19.80-</NETWR>")
        .replace(b"<PARVW>LF</PARVW>", b"<PARVW>RE</PARVW>")
    )
    order = orders.parse_order(data)
    assert order.order_id == "4500012348"  # from E1EDK02 001
    assert order.order_date == datetime(2024, 3, 12)  # E1EDK02 001 DATUM
    assert order.items[2].unit_price.amount == Decimal("-9.90")
    assert order.bill_to.name == "Office Supplies Online GmbH"  # the RE partner
    assert order.bill_to.address_id == "100234"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"<BELNR>4500012348</BELNR>", b"", "no purchase order number"),
        (b"<MENGE>500.000</MENGE>", b"", "00020 has no quantity"),
        (b"<EDATU>20240328</EDATU>", b"<EDATU>20241328</EDATU>", "20241328"),
        (b"<VPREI>125.00</VPREI>", b"<VPREI>abc</VPREI>", "abc"),
    ],
)
def test_idoc_missing_essentials(old, new, message):
    data = IDOC_ORDERS05.replace(old, new)
    with pytest.raises(MalformedDocument, match=message):
        orders.parse_idoc_orders05(data)


def test_idoc_without_items_or_with_several_idocs():
    only_deleted = IDOC_ORDERS05.replace(b"<ACTION>001</ACTION>", b"<ACTION>003</ACTION>")
    with pytest.raises(MalformedDocument, match="4500012348 has no E1EDP01"):
        orders.parse_idoc_orders05(only_deleted)
    idoc = IDOC_ORDERS05[IDOC_ORDERS05.index(b"<IDOC") : IDOC_ORDERS05.index(b"</ORDERS05>")]
    two = IDOC_ORDERS05.replace(b"</ORDERS05>", idoc + b"</ORDERS05>")
    with pytest.raises(MalformedDocument, match="2 IDocs"):
        orders.parse_idoc_orders05(two)


@pytest.mark.parametrize(
    ("sap", "unece"),
    [
        ("ST", "C62"),
        ("PCE", "C62"),
        ("pc", "C62"),
        ("Stk.", "C62"),
        ("KG", "KGM"),
        ("M", "MTR"),
        ("L", "LTR"),
        ("M2", "MTK"),
        ("H", "HUR"),
        ("C62", "C62"),
        ("EA", "EA"),
        ("PAK", "PAK"),
        (" KGM ", "KGM"),
        ("", ""),
        (None, ""),
    ],
)
def test_unit_to_unece(sap, unece):
    assert orders.unit_to_unece(sap) == unece
