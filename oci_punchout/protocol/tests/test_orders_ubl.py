"""UBL 2.1 Orders (the OASIS example, Peppol BIS Order 3) read as OrderRequests; pytest, no
Odoo.
"""

from datetime import datetime
from decimal import Decimal

import pytest
from lxml import etree
from order_samples import OASIS_ORDER, PEPPOL_ORDER, PLUS_1
from protocol import orders
from protocol.cxml import Address, Contact, Money
from protocol.errors import (
    MalformedDocument,
)


def test_oasis_example_is_valid_ubl(ubl_schema):
    assert ubl_schema.validate(etree.parse(str(OASIS_ORDER))), ubl_schema.error_log


def test_oasis_example_order():
    document = orders.read_order(OASIS_ORDER.read_bytes())
    assert (document.format, document.document_id) == ("ubl", "")
    order = document.order
    assert order.order_id == "34"
    assert order.order_date == datetime(2010, 1, 20, 12, 30)
    assert order.order_type == "new"
    assert order.total == Money(Decimal("6225"), "SEK")
    assert order.tax == Money(Decimal("100"), "SEK")
    assert order.comments == "Information text for the whole order"
    assert order.attachments == ["http://www.suppliersite.eu/sheet001.html"]
    assert order.extrinsics == {"AccountingCost": "Project123", "Contract": "34322"}
    assert order.bill_to == Address(
        name="Johnssons byggvaror",
        address_id="1234567890123",
        deliver_to=["Purchasing department"],
        street=["R\u00e5dhusgatan 5", "2nd floor"],
        city="Stockholm",
        state="RegionX",
        postal_code="11000",
        country_code="SE",
        email="pelle@johnsson.se",
        phone="123456",
    )
    ship_to = order.ship_to
    assert (ship_to.name, ship_to.address_id) == ("Swedish trucking", "1234567890123")
    assert (ship_to.street, ship_to.city, ship_to.postal_code) == (
        ["R\u00e5dhusgatan 5", "2nd floor"],
        "Stockholm",
        "11000",
    )
    assert (ship_to.email, ship_to.phone) == ("bill@svetruck.se", "987098709")
    assert order.contacts == [
        Contact(name="Pelle X Svensson", email="pelle@johnsson.se", phone="123456", role="buyer"),
        Contact(name="Sven N Pereson", email="sven@moderna.se", phone="346788", role="endUser"),
    ]


def test_oasis_example_lines():
    first, second = orders.parse_ubl_order(OASIS_ORDER.read_bytes()).items
    assert first.line_number == 1
    assert (first.quantity, first.unit_of_measure) == (Decimal("120"), "LTR")
    assert first.unit_price == Money(Decimal("50"), "SEK")
    assert first.supplier_part_id == "SItemNo001"
    assert (first.description, first.short_name) == ("Red paint", "Falu R\u00f6df\u00e4rg")
    assert first.requested_delivery_date == datetime(2010, 2, 25)
    assert first.comments == "Freetext note on line 1"
    # The example's quotation reference is taken as the buyer wrote it.
    assert first.supplier_part_auxiliary_id == "QuoteID123"
    assert second.line_number == 2
    assert (second.quantity, second.unit_of_measure) == (Decimal("15"), "C62")
    assert second.unit_price == Money(Decimal("15"), "SEK")
    assert (second.supplier_part_id, second.short_name) == ("SItemNo011", "Pensel 20 mm")
    assert second.description == "Very good pencils for red paint."


def test_peppol_document_is_valid_ubl(ubl_schema):
    document = etree.fromstring(PEPPOL_ORDER)
    assert ubl_schema.validate(document), ubl_schema.error_log
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert document.findtext("cbc:CustomizationID", namespaces=ns) == (
        "urn:fdc:peppol.eu:poacc:trns:order:3"
    )
    assert document.findtext("cbc:ProfileID", namespaces=ns) == (
        "urn:fdc:peppol.eu:poacc:bis:ordering:3"
    )


def test_peppol_order_header():
    order = orders.parse_order(PEPPOL_ORDER)
    assert order.order_id == "4500012347"
    assert order.order_date == datetime(2024, 3, 12, 9, 41, tzinfo=PLUS_1)
    assert order.total == Money(Decimal("1585.44"), "EUR")
    assert order.tax == Money(Decimal("253.14"), "EUR")
    assert order.comments == "Bitte Lieferschein mit Bestellnummer beilegen."
    assert order.extrinsics == {
        "CustomerReference": "Weber, Einkauf 001",
        "AccountingCost": "4711-100-2000",
        "Contract": "RV-2023-117",
    }
    # The invoicee (AccountingCustomerParty) is who gets the invoice.
    assert order.bill_to == Address(
        name="Nordwind Maschinenbau GmbH Kreditorenbuchhaltung",
        address_id="4012345000016",
        street=["Postfach 10 12 20"],
        city="Mannheim",
        postal_code="68012",
        country_code="DE",
        email="rechnungseingang@nordwind.example",
    )
    assert order.ship_to == Address(
        name="Nordwind Werk 1000",
        address_id="4012345000023",
        deliver_to=["Wareneingang Tor 3"],
        street=["Industriestr. 12", "Halle B", "Anlieferung Mo-Fr 7-15 Uhr"],
        city="Mannheim",
        postal_code="68169",
        country_code="DE",
        phone="+49 621 4500-300",
    )
    assert order.contacts == [
        Contact(
            name="Jana Weber",
            email="j.weber@nordwind.example",
            phone="+49 621 4500-210",
            role="buyer",
        )
    ]


def test_peppol_order_lines_and_references():
    chair, screws, cloths = orders.parse_ubl_order(PEPPOL_ORDER).items
    assert chair.line_number == 10
    assert (chair.quantity, chair.unit_of_measure) == (Decimal("10"), "C62")
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert (chair.supplier_part_id, chair.buyer_part_id) == ("FURN-0006", "MAT-4711")
    assert chair.manufacturer_part_id == "OC-2000-BK"
    assert chair.description == "Office chair, black, synchronous mechanism"
    assert chair.short_name == "Office chair, black"
    assert chair.classifications == [("TST", "56112102")]
    assert chair.requested_delivery_date == datetime(2024, 3, 22)
    assert chair.supplier_part_auxiliary_id == "S00042/57"  # from the line note
    assert chair.comments == "Angebotsposition S00042/57"
    # Price per 100 pieces: 12.50 / 100.
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert screws.quantity * screws.unit_price.amount == Decimal("62.5")
    assert screws.supplier_part_auxiliary_id == "S00042/58"  # item specification reference
    assert screws.description == screws.short_name == "Hexagon screw M8x40"
    # Header delivery period applies where a line has none.
    assert screws.requested_delivery_date == datetime(2024, 3, 28)
    # Non-numeric line id: its position; no price: from the line amount; header quotation.
    assert cloths.line_number == 3
    assert cloths.unit_price == Money(Decimal("9.90"), "EUR")
    assert (cloths.quantity, cloths.unit_of_measure) == (Decimal("2"), "KGM")
    assert cloths.supplier_part_auxiliary_id == "S00042"


def test_ubl_quotation_line_reference_and_seller_line_id(ubl_schema):
    line_reference = (
        b"</cac:LineItem><cac:QuotationLineReference><cbc:LineID>000123</cbc:LineID>"
        b"<cac:DocumentReference><cbc:ID>S00077</cbc:ID></cac:DocumentReference>"
        b"</cac:QuotationLineReference></cac:OrderLine>"
    )
    data = PEPPOL_ORDER.replace(b"</cac:LineItem>\n  </cac:OrderLine>", line_reference, 1)
    data = data.replace(
        b"<cbc:ID>20</cbc:ID>", b"<cbc:ID>20</cbc:ID><cbc:SalesOrderID>58</cbc:SalesOrderID>"
    ).replace(b"<cbc:ID>S00042/58</cbc:ID>", b"<cbc:ID>drawing-58.pdf</cbc:ID>")
    assert ubl_schema.validate(etree.fromstring(data)), ubl_schema.error_log
    chair, screws, _cloths = orders.parse_ubl_order(data).items
    assert chair.supplier_part_auxiliary_id == "S00077/123"
    assert screws.supplier_part_auxiliary_id == "S00042/58"


def test_ubl_header_references_prefer_ours():
    data = PEPPOL_ORDER.replace(b"<cbc:ID>S00042</cbc:ID>", b"<cbc:ID>ANG-2024-17</cbc:ID>")
    with_sales_order = data.replace(
        b"<cbc:ID>4500012347</cbc:ID>",
        b"<cbc:ID>4500012347</cbc:ID><cbc:SalesOrderID>S00099</cbc:SalesOrderID>",
    )
    assert orders.parse_order(with_sales_order).items[2].supplier_part_auxiliary_id == "S00099"
    assert orders.parse_order(data).items[2].supplier_part_auxiliary_id == "ANG-2024-17"
    # Another naming of our sale orders.
    custom = data.replace(b"S00042/57", b"SO-2024-0042 item 57")
    order = orders.parse_order(custom, quotation_pattern=r"SO-\d{4}-\d{4}")
    assert order.items[0].supplier_part_auxiliary_id == "SO-2024-0042/57"


def test_ubl_order_change_type_code_is_an_update():
    data = PEPPOL_ORDER.replace(b"<cbc:OrderTypeCode>220", b"<cbc:OrderTypeCode>230")
    order = orders.parse_order(data)
    assert order.order_type == "update"
    assert order.extrinsics["OrderTypeCode"] == "230"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"<cbc:ID>4500012347</cbc:ID>", b"", "no cbc:ID"),
        (b'<cbc:Quantity unitCode="C62">500</cbc:Quantity>', b"", "Order line 20 has no quantity"),
        (
            b'<cbc:Quantity unitCode="KGM">2</cbc:Quantity>',
            b'<cbc:Quantity unitCode="KGM"/>',
            "A-30",
        ),
        (b'<cbc:Quantity unitCode="C62">10<', b'<cbc:Quantity unitCode="C62">ten<', "ten"),
        (b"<cbc:IssueDate>2024-03-12<", b"<cbc:IssueDate>12.03.2024<", "ISO 8601"),
    ],
)
def test_ubl_missing_essentials(old, new, message):
    assert old in PEPPOL_ORDER
    with pytest.raises(MalformedDocument, match=message):
        orders.parse_ubl_order(PEPPOL_ORDER.replace(old, new, 1))


def test_ubl_without_lines():
    root = etree.fromstring(PEPPOL_ORDER)
    for line in root.findall(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}OrderLine"
    ):
        root.remove(line)
    with pytest.raises(MalformedDocument, match="4500012347 has no cac:OrderLine"):
        orders.parse_ubl_order(etree.tostring(root))
