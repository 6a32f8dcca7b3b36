"""A returned OCI cart read and validated as the buyer's system does (protocol/oci/reading.py),
round trips included; pytest, no Odoo.
"""

from decimal import Decimal

import pytest
from oci_common import _browser_body, _round_trip
from protocol.errors import (
    MalformedDocument,
)
from protocol.oci import (
    OciItem,
    OciViolation,
    build_cart_fields,
    parse_cart_fields,
    validate_cart_fields,
)
from test_oci_fields import _screw


def test_round_trip_several_items():
    items = [
        _screw(price=Decimal("12.5"), currency="EUR", leadtime=5, ext_product_id="P-1"),
        OciItem(
            matnr="MAT-7",
            quantity=Decimal("0.25"),
            price=Decimal("100"),
            price_unit=10,
            currency="USD",
            service=True,
            longtext="Line one\nLine two",
            ext_quote_id="S0001",
            ext_quote_item="2",
            extra={"COSTCENTER": "K1"},
        ),
        _screw(description="Nut", unit="EA", ext_schema_type="UNSPSC", ext_category_id="1"),
    ]
    assert _round_trip(items) == items


def test_round_trip_index_base_zero():
    items = [_screw(), _screw(description="Nut")]
    assert _round_trip(items, index_base=0) == items


def test_round_trip_send_empty():
    items = [_screw(price=Decimal("3.5"), currency="EUR")]
    expected = [_screw(price=Decimal("3.5"), currency="EUR", price_unit=1)]
    assert _round_trip(items, send_empty=True) == expected


def test_round_trip_long_description_and_small_price():
    item = _screw(
        description="Hexagon socket head cap screw DIN 912 M4 x 20 mm, zinc plated",
        longtext="Box of 100.",
        price=Decimal("0.0125"),
        currency="EUR",
    )
    [back] = _round_trip([item])
    assert back.description == item.description
    assert back.longtext == "Box of 100."
    assert back.price * back.price_unit == Decimal("1.25") * 100
    assert (back.price, back.price_unit) == (Decimal("1.25"), 100)


def test_round_trip_latin1():
    items = [_screw(description="Größe 4 Schraube", unit="ST")]
    assert _round_trip(items, charset="iso-8859-1") == items


def test_round_trip_browser_body_validates_in_its_charset():
    fields = build_cart_fields([_screw(description="Größe 4 Schraube")])
    body = _browser_body(fields, "iso8859-1")
    assert validate_cart_fields(fields, charset="iso-8859-1", raw_body=body) == []


def test_parse_orders_by_index_and_accepts_base_zero():
    pairs = [
        ("NEW_ITEM-DESCRIPTION[1]", "Second"),
        ("NEW_ITEM-QUANTITY[1]", "2"),
        ("NEW_ITEM-DESCRIPTION[0]", "First"),
        ("NEW_ITEM-QUANTITY[0]", "1"),
        ("~OkCode", "ADDI"),
    ]
    items = parse_cart_fields(pairs)
    assert [(i.description, i.quantity) for i in items] == [
        ("First", Decimal(1)),
        ("Second", Decimal(2)),
    ]


def test_parse_mapping_with_lists_and_longtext_chunks():
    data = {
        "new_item-description[1]": ["Screw"],
        "NEW_ITEM-QUANTITY[1]": ["3.5"],
        "NEW_ITEM-PRICE[1]": [""],
        "NEW_ITEM-PRICEUNIT[1]": ["100"],
        "NEW_ITEM-LEADTIME[1]": ["4"],
        "NEW_ITEM-SERVICE[1]": ["x"],
        "NEW_ITEM-LONGTEXT_1:132[]": ["first part, ", "second part"],
        "NEW_ITEM-KOSTL[1]": ["K1"],
        "NEW_ITEM-MATNR[1]": [""],
    }
    [item] = parse_cart_fields(data)
    assert item.description == "Screw"
    assert item.quantity == Decimal("3.5")
    assert item.price is None
    assert item.price_unit == 100
    assert item.leadtime == 4
    assert item.service is True
    assert item.longtext == "first part, second part"
    assert item.extra == {"KOSTL": "K1"}
    assert item.matnr == ""


def test_parse_keeps_cut_description_unless_asked():
    description = "Hexagon socket head cap screw DIN 912 M4 x 20 mm"
    fields = build_cart_fields([_screw(description=description)])
    assert parse_cart_fields(fields)[0].description == "Hexagon socket head cap screw DIN 912 M4"
    assert parse_cart_fields(fields)[0].longtext == description
    assert parse_cart_fields(fields, rejoin_description=True)[0].description == description
    assert parse_cart_fields(fields, rejoin_description=True)[0].longtext == ""


def test_parse_empty_form_is_a_cancel():
    assert parse_cart_fields([]) == []
    assert parse_cart_fields([("~OkCode", "ADDI")]) == []


@pytest.mark.parametrize(
    ("name", "value", "attribute", "default"),
    [
        ("NEW_ITEM-QUANTITY[1]", "abc", "quantity", Decimal(0)),
        ("NEW_ITEM-PRICE[1]", "NaN", "price", None),
        ("NEW_ITEM-PRICE[1]", "1,5", "price", None),
        ("NEW_ITEM-PRICEUNIT[1]", "1.5", "price_unit", None),
        ("NEW_ITEM-LEADTIME[1]", "-1", "leadtime", None),
    ],
)
def test_parse_unreadable_numbers(name, value, attribute, default):
    [item] = parse_cart_fields([("NEW_ITEM-DESCRIPTION[1]", "x"), (name, value)])
    assert getattr(item, attribute) == default
    assert item.extra == {name[len("NEW_ITEM-") : -len("[1]")]: value}
    with pytest.raises(MalformedDocument) as info:
        parse_cart_fields([(name, value)], strict=True)
    assert f"Line 1: {name[9:-3]} {value!r}" in info.value.message


GOOD_LINE = {
    "DESCRIPTION": "Screw M4",
    "QUANTITY": "2",
    "UNIT": "PCE",
    "PRICE": "12.5",
    "CURRENCY": "EUR",
}


def _form(index=1, **changes):
    """One hand-made cart line; a change to None drops the field."""
    values = dict(GOOD_LINE)
    values.update(changes)
    return [
        (f"NEW_ITEM-{name}[{index}]", value) for name, value in values.items() if value is not None
    ]


def _found(pairs, **kwargs):
    return {(v.line, v.field) for v in validate_cart_fields(pairs, **kwargs)}


def _messages(pairs, **kwargs):
    return [v.message for v in validate_cart_fields(pairs, **kwargs)]


def test_validate_good_forms():
    assert validate_cart_fields(_form()) == []
    assert validate_cart_fields([]) == []
    items = [
        _screw(description="D" * 60, price=Decimal("0.0125"), currency="EUR", service=True),
        OciItem(matnr="M1", quantity=Decimal(1), ext_quote_id="S1", ext_quote_item="1"),
    ]
    assert validate_cart_fields(build_cart_fields(items)) == []
    assert validate_cart_fields(build_cart_fields(items, index_base=0, send_empty=True)) == []


def test_validate_required_fields():
    assert _found(_form(DESCRIPTION=None)) == {(1, "DESCRIPTION")}
    assert _found(_form(DESCRIPTION="")) == {(1, "DESCRIPTION")}
    assert _found(_form(QUANTITY=None)) == {(1, "QUANTITY")}
    assert _found(_form(UNIT=None)) == {(1, "UNIT")}
    assert _found(_form(DESCRIPTION=None, UNIT=None, MATNR="M-1")) == set()
    assert _found(_form(MATNR="M-1")) == {(1, "MATNR")}
    assert _found(_form(CURRENCY=None)) == {(1, "CURRENCY")}
    assert _found(_form(PRICE=None, CURRENCY=None)) == set()
    assert _messages(_form(QUANTITY=None)) == ["Line 1: QUANTITY is required."]


def test_validate_fields_required_together():
    assert _found(_form(EXT_QUOTE_ID="S1")) == {(1, "EXT_QUOTE_ITEM")}
    assert _found(_form(EXT_QUOTE_ITEM="1")) == {(1, "EXT_QUOTE_ID")}
    assert _found(_form(EXT_QUOTE_ID="S1", EXT_QUOTE_ITEM="1")) == set()
    assert _found(_form(CONTRACT_ITEM="10")) == {(1, "CONTRACT")}
    assert _found(_form(CONTRACT="C1")) == set()
    assert _found(_form(EXT_CATEGORY_ID="31161500")) == {(1, "EXT_SCHEMA_TYPE")}
    assert _found(_form(EXT_CATEGORY="Screws")) == {(1, "EXT_SCHEMA_TYPE")}
    assert _found(_form(EXT_CATEGORY_ID="1", EXT_SCHEMA_TYPE="UNSPSC")) == set()


def test_validate_lengths():
    assert _messages(_form(DESCRIPTION="D" * 41)) == [
        "Line 1: DESCRIPTION has 41 characters; at most 40 are allowed."
    ]
    assert _found(_form(UNIT="PCEX", VENDOR="V" * 11, CUST_FIELD5="x" * 51)) == {
        (1, "UNIT"),
        (1, "VENDOR"),
        (1, "CUST_FIELD5"),
    }
    assert _found(_form(DESCRIPTION="D" * 40, CUST_FIELD5="x" * 50)) == set()
    # the long text has no limit
    assert _found([*_form(), ("NEW_ITEM-LONGTEXT_1:132[]", "L" * 9000)]) == set()


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("1,5", "comma as decimal point"),
        ("1.234,50", "thousands separator"),
        ("1,234.50", "thousands separator"),
        ("1.234.567", "thousands separator"),
        ("1 234", "thousands separator"),
        ("1'234", "thousands separator"),
        ("1.2345", "more than 3 decimals"),
        ("123456789012", "more than 11 digits"),
        ("1e3", "exponent"),
        ("1E-2", "exponent"),
        ("-1", "negative"),
        ("+1", "plus sign"),
        (" 1", "spaces"),
        ("abc", "is not a number"),
        (".5", "is not a number"),
        ("5.", "is not a number"),
    ],
)
def test_validate_quantity_format(value, problem):
    [violation] = validate_cart_fields(_form(QUANTITY=value))
    assert (violation.line, violation.field) == (1, "QUANTITY")
    assert problem in violation.message
    assert f"Line 1: QUANTITY {value!r}" in violation.message
    assert str(violation) == violation.message


@pytest.mark.parametrize("value", ["0.5", "99999999999.999", "00012", "1000000"])
def test_validate_good_quantities(value):
    assert validate_cart_fields(_form(QUANTITY=value)) == []


def test_validate_price_format():
    assert _found(_form(PRICE="12,50")) == {(1, "PRICE")}
    assert _found(_form(PRICE="-5")) == set()
    assert _found(_form(PRICE="1.005")) == set()
    assert _found(_form(PRICE="1234567890123456")) == {(1, "PRICE")}
    # 16 characters is both too long and too many digits
    assert len(validate_cart_fields(_form(PRICE="1234567890123456"))) == 2


def test_validate_integers_and_flags():
    assert _found(_form(PRICEUNIT="1.5")) == {(1, "PRICEUNIT")}
    assert _found(_form(PRICEUNIT="0")) == {(1, "PRICEUNIT")}
    assert _found(_form(PRICEUNIT="100")) == set()
    assert _found(_form(LEADTIME="3 days")) == {(1, "LEADTIME")}
    assert _found(_form(LEADTIME="-1")) == {(1, "LEADTIME")}
    assert _found(_form(LEADTIME="10")) == set()
    assert _found(_form(SERVICE="Y")) == {(1, "SERVICE")}
    assert _found(_form(SERVICE="x")) == {(1, "SERVICE")}
    assert _found(_form(SERVICE="X")) == set()
    assert _found(_form(SERVICE="")) == set()
    assert _messages(_form(SERVICE="Y")) == ["Line 1: SERVICE is 'Y'; it must be 'X' or empty."]


def test_validate_index_gaps_and_start():
    assert _found(_form(1) + _form(3)) == {(2, "")}
    assert _messages(_form(1) + _form(3)) == ["Line 2 is missing: the line numbers have a gap."]
    assert _messages(_form(1) + _form(5)) == [
        "Lines 2 to 4 are missing: the line numbers have a gap."
    ]
    assert _found(_form(0) + _form(1)) == set()
    assert _found(_form(2) + _form(3)) == {(2, "")}
    assert "start at 2" in _messages(_form(2))[0]


def test_validate_huge_line_number_is_one_gap():
    # Naming line 10**30 once must not make a violation (or a set member) per missing number.
    huge = 10**30
    assert _messages(_form(1) + _form(huge)) == [
        f"Lines 2 to {huge - 1} are missing: the line numbers have a gap."
    ]


def test_validate_duplicates_and_bad_names():
    pairs = [*_form(), ("NEW_ITEM-PRICE[1]", "13")]
    assert _found(pairs) == {(1, "PRICE")}
    assert "sent 2 times" in _messages(pairs)[0]
    pairs = [*_form(), ("NEW_ITEM-PRICE", "1"), ("NEW_ITEM-UNIT[a]", "x"), ("~OkCode", "ADDI")]
    assert _found(pairs) == {(None, "NEW_ITEM-PRICE"), (None, "NEW_ITEM-UNIT[a]")}


def test_validate_several_lines_report_their_own_line():
    pairs = _form(1) + _form(2, QUANTITY="1,5", UNIT=None) + _form(3, CURRENCY=None)
    assert _found(pairs) == {(2, "QUANTITY"), (2, "UNIT"), (3, "CURRENCY")}
    assert all(isinstance(v, OciViolation) for v in validate_cart_fields(pairs))


def test_validate_raw_body_in_wrong_charset():
    fields = _form(DESCRIPTION="Größe 4")
    utf8_body = _browser_body(fields, "utf-8")
    latin1_body = _browser_body(fields, "latin-1")
    assert validate_cart_fields(fields, charset="utf-8", raw_body=utf8_body) == []
    assert validate_cart_fields(fields, charset="iso-8859-1", raw_body=latin1_body) == []
    [violation] = validate_cart_fields(fields, charset="utf-8", raw_body=latin1_body)
    assert (violation.line, violation.field) == (1, "DESCRIPTION")
    assert "not valid utf-8" in violation.message
    [violation] = validate_cart_fields(fields, charset="iso-8859-1", raw_body=utf8_body)
    assert (violation.line, violation.field) == (1, "DESCRIPTION")
    assert "looks UTF-8 encoded" in violation.message
    assert "windows-1252" in violation.message


def test_validate_unknown_charset():
    assert _found(_form(), charset="klingon") == {(None, "http_content_charset")}


def _hierarchy_cart(overrides=None):
    overrides = overrides or {}
    pairs = []
    for index, (item_type, parent) in enumerate([("R", ""), ("F", "1"), ("F", "1")], 1):
        pairs += [
            (f"NEW_ITEM-DESCRIPTION[{index}]", f"Item {index}"),
            (f"NEW_ITEM-QUANTITY[{index}]", "1"),
            (f"NEW_ITEM-UNIT[{index}]", "C62"),
            (f"NEW_ITEM-ITEM_TYPE[{index}]", overrides.get(("type", index), item_type)),
            (f"NEW_ITEM-PARENT_ID[{index}]", overrides.get(("parent", index), parent)),
        ]
    return pairs


def test_item_hierarchy_follows_the_rules():
    assert validate_cart_fields(_hierarchy_cart()) == []
    items = parse_cart_fields(_hierarchy_cart())
    assert [(item.item_type, item.parent_id) for item in items] == [
        ("R", ""),
        ("F", "1"),
        ("F", "1"),
    ]


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({("parent", 2): "7"}, "PARENT_ID '7' names no line"),
        ({("parent", 2): "x"}, "PARENT_ID 'x' names no line"),
        ({("parent", 2): "2"}, "names the line itself"),
        ({("parent", 1): "3", ("parent", 3): "2"}, "is itself a sub-item"),
        ({("type", 2): "X"}, "ITEM_TYPE 'X' is not one of"),
    ],
)
def test_item_hierarchy_violations(override, message):
    violations = validate_cart_fields(_hierarchy_cart(override))
    assert any(message in violation.message for violation in violations), violations
