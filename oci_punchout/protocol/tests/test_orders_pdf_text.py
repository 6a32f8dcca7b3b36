"""The text of PDF purchase orders searched for the PO number, our references and the lines;
pytest, no Odoo.
"""

import time
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from order_samples import OPENTRANS_ORDER, PEPPOL_ORDER, PLUS_2
from order_samples_sap import IDOC_ORDERS05, PDF_TEXT_DE, PDF_TEXT_EN
from protocol import orders
from protocol.cxml import Money, OrderRequest
from protocol.errors import (
    MalformedDocument,
    PunchoutProtocolError,
    UnsupportedRequest,
)


def test_pdf_sap_english_two_pages():
    found = orders.find_pdf_references(PDF_TEXT_EN)
    assert found.po_number == "4500012345"
    assert found.order_date == datetime(2024, 3, 28)
    assert found.currency == "EUR"
    assert found.total == Money(Decimal("1574.50"), "EUR")
    assert found.quotation_refs == ["S00042"]
    assert found.line_refs == ["S00042/57", "S00042/58"]
    chair, screws, lamp = found.lines
    assert (chair.line_number, chair.supplier_part_id, chair.description) == (
        10,
        "FURN-0006",
        "Office chair, black",
    )
    assert (chair.quantity, chair.unit_of_measure) == (Decimal("10"), "C62")
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert chair.supplier_part_auxiliary_id == "S00042/57"
    # MM/DD/YYYY, known from the document's unambiguous dates.
    assert chair.requested_delivery_date == datetime(2024, 4, 2)
    # "Your material number" is ours; the material column is the buyer's.
    assert (screws.supplier_part_id, screws.buyer_part_id) == ("SCR-M8-40", "4711-0815")
    assert screws.quantity == Decimal("1000")
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert screws.supplier_part_auxiliary_id == "S00042/58"
    # Figures on their own line, on page 2; the only quotation of the document.
    assert (lamp.line_number, lamp.description, lamp.supplier_part_id) == (30, "Desk lamp LED", "")
    assert (lamp.quantity, lamp.unit_price) == (Decimal("5"), Money(Decimal("39.90"), "EUR"))
    assert lamp.requested_delivery_date == datetime(2024, 4, 12)
    assert lamp.supplier_part_auxiliary_id == "S00042"
    order = found.to_order_request()
    assert isinstance(order, OrderRequest)
    assert (order.order_id, len(order.items), order.total) == ("4500012345", 3, found.total)


def test_pdf_sap_german_letter_spaced_heading():
    found = orders.find_pdf_references(PDF_TEXT_DE)
    assert found.po_number == "4500012346"
    assert found.order_date == datetime(2024, 3, 12)
    assert found.currency == "EUR"
    assert found.total == Money(Decimal("210.00"), "EUR")
    assert found.quotation_refs == ["S00043"]
    assert found.line_refs == ["S00043/61", "S00043/62"]
    screws, paper = found.lines
    # 1.000 ST is a thousand; 12,50 per 100 ST.
    assert (screws.quantity, screws.unit_of_measure) == (Decimal("1000"), "C62")
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert (screws.supplier_part_id, screws.buyer_part_id) == ("SCR-M8-40", "R-1100")
    assert screws.description == "Sechskantschraube M8x40"
    assert screws.requested_delivery_date == datetime(2024, 3, 28)
    assert screws.supplier_part_auxiliary_id == "S00043/61"
    assert (paper.line_number, paper.supplier_part_id) == (20, "")
    assert paper.description == "Kopierpapier A4, 80 g"
    assert (paper.quantity, paper.unit_of_measure) == (Decimal("20"), "PAK")
    assert paper.unit_price == Money(Decimal("4.25"), "EUR")
    assert paper.supplier_part_auxiliary_id == "S00043/62"


@pytest.mark.parametrize(
    ("text", "po_number"),
    [
        ("Purchase Order 4500012345 dated 12.03.2024", "4500012345"),
        ("PURCHASE ORDER NO.: 4500012345", "4500012345"),
        ("Purchase Order Number\n4500012345", "4500012345"),
        ("PO number: PO-2024-0815", "PO-2024-0815"),
        ("P.O. # 778812", "778812"),
        ("Bestellung 4500012345 vom 12.03.2024", "4500012345"),
        ("Bestell-Nr.: 4500012345", "4500012345"),
        ("Bestell-\nnummer 4500012345", "4500012345"),
        ("Bestellnr. 4711/2024", "4711/2024"),
        ("Unsere Bestellnummer:\n4500012345/12.03.2024", "4500012345"),
        ("P u r c h a s e   O r d e r   4 5 0 0 0 1 2 3 4 5", "4500012345"),
        ("Purchase\u00a0order\u00a0no.\u00a04500012345", "4500012345"),
        # No label, but a single SAP-like number that is no phone number.
        ("Reference 4500012345\nTel. +49 621 4500 0", "4500012345"),
        # Ambiguous: dates, phone and fax numbers, numbers behind other labels.
        ("Purchase Order\nDate: 12.03.2024\nDelivery date 28.03.2024", ""),
        ("Purchase Order 12.03.2024", ""),
        ("Purchase order\nPhone: +49 621 4500012345\nFax 0621/4500012399", ""),
        ("Bestellung\nTelefon 0621 4500012345\nKundennummer 4500099999", ""),
        ("PO Box 123456, 68169 Mannheim", ""),
        ("Our sales order number S00042", ""),
        ("Sales order number 778812", ""),
        ("Your order no. 778812\nPO number: 990011", "990011"),
        ("Two SAP-like numbers 4500012345 and 4500054321", ""),
        ("", ""),
    ],
)
def test_pdf_po_number_defaults(text, po_number):
    assert orders.find_pdf_references(text).po_number == po_number


def test_pdf_po_number_prefers_sap_like_numbers_near_labels():
    text = (
        "Office Supplies Online Ltd.   Purchase Order   Request 20240077\n"
        "Unit 4, Riverside Park        Purchase order no./Date\n"
        "Leeds LS11 5QE                4500012345 / 03/28/2024\n"
    )
    assert orders.find_pdf_references(text).po_number == "4500012345"


def test_pdf_po_number_labels_win_over_nearby_numbers():
    text = "Purchase Order\nYour vendor number with us 100234\nPO number: 4400001234\n"
    assert orders.find_pdf_references(text).po_number == "4400001234"


def test_pdf_custom_po_pattern():
    text = (
        "Nordwind eProcurement\nOur order:  NW-2024-0815 of 12.03.2024\nPurchase Order 4500012345"
    )
    found = orders.find_pdf_references(text, po_pattern=r"Our order: (?P<po>NW-\d{4}-\d{4})")
    assert found.po_number == "NW-2024-0815"
    assert found.order_date == datetime(2024, 3, 12)
    assert orders.find_pdf_references(text, po_pattern=r"Auftrag (\d+)").po_number == ""
    assert orders.find_pdf_references(text, po_pattern=r"Order (45\d{8})").po_number == (
        "4500012345"
    )
    compiled = orders.compile_po_pattern(r"order:\s*(\S+)")
    assert orders.find_pdf_references(text, po_pattern=compiled).po_number == "NW-2024-0815"
    with pytest.raises(ValueError, match="not valid"):
        orders.compile_po_pattern(r"Order (\d+")


def test_pdf_quotation_references_only():
    text = (
        "Purchase Order 4500012349\nYour quotation S00046 dated 01.03.2024 and S00047\n"
        "Please deliver as quoted.\n"
    )
    found = orders.find_pdf_references(text)
    assert (found.po_number, found.quotation_refs, found.line_refs) == (
        "4500012349",
        ["S00046", "S00047"],
        [],
    )
    assert found.lines == []
    with pytest.raises(MalformedDocument, match="No order line"):
        found.to_order_request()
    with pytest.raises(MalformedDocument, match="No purchase order number"):
        orders.find_pdf_references("Quotation S00046").to_order_request()


def test_pdf_line_reference_forms_and_custom_quotation_pattern():
    text = "S00042/57, S00042 / 58, Angebot S00042 Pos. 59, s00042 item 60, S00042/12.03.2024"
    found = orders.find_pdf_references(text)
    assert found.line_refs == ["S00042/57", "S00042/58", "S00042/59", "s00042/60"]
    assert found.quotation_refs == ["S00042", "s00042"]
    # A reference never spans lines: the next line's "Item 00010" is not quotation line 10.
    assert orders.find_pdf_references("Your quotation S00042\nItem 00010 Chair").line_refs == []
    custom = orders.find_pdf_references("Angebot SO-0042 Zeile 7", quotation_pattern=r"SO-\d{4}")
    assert (custom.quotation_refs, custom.line_refs) == (["SO-0042"], ["SO-0042/7"])
    with pytest.raises(ValueError, match="quotation pattern"):
        orders.find_pdf_references("x", quotation_pattern="S(")


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("28.03.2024", None, datetime(2024, 3, 28)),
        ("2024-03-28", None, datetime(2024, 3, 28)),
        ("03/28/2024", None, datetime(2024, 3, 28)),
        ("28/03/2024", None, datetime(2024, 3, 28)),
        ("13/12/2024", None, datetime(2024, 12, 13)),
        ("12/13/2024", None, datetime(2024, 12, 13)),
        ("04/02/2024", None, None),
        ("04/02/2024", "mdy", datetime(2024, 4, 2)),
        ("04/02/2024", "dmy", datetime(2024, 2, 4)),
        ("05/05/24", None, datetime(2024, 5, 5)),
        ("31.02.2024", None, None),
        ("KW 13/2024", None, None),
    ],
)
def test_parse_text_date(value, order, expected):
    assert orders.parse_text_date(value, order) == expected


def test_slash_date_order():
    assert orders.slash_date_order("03/28/2024 and 04/02/2024") == "mdy"
    assert orders.slash_date_order("28/03/2024 and 04/02/2024") == "dmy"
    assert orders.slash_date_order("28/03/2024 and 03/28/2024") is None
    assert orders.slash_date_order("04/02/2024") is None


def test_pdf_line_continuation_stops_at_totals_and_page_breaks():
    text = (
        "Purchase Order 4500012351\n"
        "00010 FURN-0006 10 PC 125.00 1,250.00\n"
        "Total net value 1,250.00\n"
        "00020 FURN-0007 1 PC 99.00 99.00\n"
        "Page 1 of 2\n"
        "Delivery date: 12.04.2024\n"
        "00030 FURN-0008 2 PC 10.00 20.00\n"
        "Armrests, adjustable\n"
    )
    first, second, third = orders.find_pdf_references(text).lines
    assert (first.description, second.description) == ("", "")
    assert second.requested_delivery_date is None
    assert third.description == "Armrests, adjustable"
    assert [line.supplier_part_id for line in (first, second, third)] == [
        "FURN-0006",
        "FURN-0007",
        "FURN-0008",
    ]


def test_pdf_currency_and_decimal_forms():
    text = (
        "Bestellung 4500012350\n"
        "00010 A-1 Widget 1.234,5 ST 1.000,00 / 10 ST 123.450,00\n"
        "Summe EUR 123.450,00\n"
    )
    found = orders.find_pdf_references(text)
    (widget,) = found.lines
    assert widget.quantity == Decimal("1234.5")
    assert widget.unit_price == Money(Decimal("100"), "EUR")
    assert found.total == Money(Decimal("123450.00"), "EUR")
    assert orders.find_pdf_references("Total \u00a3 12.00").currency == "GBP"
    assert orders.find_pdf_references("Currency: CHF\nTotal 5.00 EUR").currency == "CHF"


def test_pdf_text_normalization():
    assert orders.normalize_pdf_text("Bestell\u00adnummer\r\n\ufb01le   a\tb") == (
        "Bestellnummer\nfile a b"
    )
    assert orders.normalize_pdf_text("B e s t e l l u n g   4 5 0 0") == "Bestellung 4500"


def test_pdf_hostile_text_is_fast():
    start = time.monotonic()
    found = orders.find_pdf_references(
        ("00010 " + "1 " * 140 + "x\n") * 2000 + "Purchase order " + "9" * 100_000
    )
    assert found.lines == []
    assert found.po_number == ""
    orders.find_pdf_references("1.1." * 500_000)
    assert time.monotonic() - start < 5


def test_errors_share_the_base_class():
    for error in (MalformedDocument, UnsupportedRequest):
        assert issubclass(error, PunchoutProtocolError)


def test_parsers_give_the_matcher_what_it_reads():
    """Every format gives an OrderRequest the matcher can use: order id, lines with
    quantities, Decimal amounts, our references."""
    for data in (PEPPOL_ORDER, OPENTRANS_ORDER, IDOC_ORDERS05):
        order = orders.parse_order(data)
        assert isinstance(order, OrderRequest) and order.order_id
        for item in order.items:
            assert isinstance(item.quantity, Decimal)
            assert item.unit_price is None or isinstance(item.unit_price.amount, Decimal)
            assert item.supplier_part_auxiliary_id.startswith("S000")
            assert isinstance(item.line_number, int)


def test_aware_and_naive_dates_as_given():
    aware = PEPPOL_ORDER.replace(b"<cbc:IssueTime>09:41:00+01:00", b"<cbc:IssueTime>09:41:00Z")
    assert orders.parse_order(aware).order_date.tzinfo == timezone.utc
    naive = PEPPOL_ORDER.replace(b"<cbc:IssueTime>09:41:00+01:00</cbc:IssueTime>", b"")
    assert orders.parse_order(naive).order_date == datetime(2024, 3, 12)
    opentrans = OPENTRANS_ORDER.replace(b"08:14:27+01:00", b"08:14:27+02:00")
    assert orders.parse_order(opentrans).order_date.tzinfo == PLUS_2
