"""OCI numbers and the NEW_ITEM fields built from cart lines (protocol/oci/cart.py) against
docs/protocols.md; pytest, no Odoo.
"""

from decimal import Decimal

import pytest
from protocol.charsets import transliterate
from protocol.oci import (
    FIELD_SPECS,
    OciItem,
    build_cart_fields,
    choose_price_unit,
    format_number,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (Decimal("12.50"), "12.5"),
        (3, "3"),
        ("0.125", "0.125"),
        (Decimal("0.0005"), "0.001"),
        (Decimal("2.0005"), "2.001"),
        (Decimal("2.0015"), "2.002"),
        (Decimal("0.0004999"), "0"),
        (Decimal("-0.0001"), "0"),
        (-1.5, "-1.5"),
        (Decimal("1E+3"), "1000"),
        (Decimal("1E-7"), "0"),
        (0.1 + 0.2, "0.3"),
        (1234567.5, "1234567.5"),
        (Decimal("100.000"), "100"),
        ("99999999999.999", "99999999999.999"),
        (Decimal("0"), "0"),
    ],
)
def test_format_number(value, expected):
    assert format_number(value) == expected


def test_format_number_max_decimals():
    assert format_number(Decimal("2.5"), max_decimals=0) == "3"
    assert format_number(Decimal("1.005"), max_decimals=2) == "1.01"
    assert format_number(Decimal("1.23456"), max_decimals=4) == "1.2346"


@pytest.mark.parametrize(
    "value",
    [
        100000000000,
        Decimal("99999999999.9995"),
        Decimal("1E+30"),
        float("nan"),
        float("inf"),
        Decimal("NaN"),
        "abc",
        "1,5",
        None,
        True,
    ],
)
def test_format_number_refuses(value):
    with pytest.raises(ValueError):
        format_number(value)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (Decimal("0.0125"), (Decimal("1.25"), 100)),
        (Decimal("12.5"), (Decimal("12.5"), 1)),
        (Decimal("12.50"), (Decimal("12.5"), 1)),
        (Decimal("0.125"), (Decimal("1.25"), 10)),
        (Decimal("0.00125"), (Decimal("1.25"), 1000)),
        (Decimal("0.000125"), (Decimal("1.25"), 10000)),
        (5, (Decimal(5), 1)),
        (0, (Decimal(0), 1)),
        (0.0125, (Decimal("1.25"), 100)),
    ],
)
def test_choose_price_unit(price, expected):
    result = choose_price_unit(price)
    assert result == expected
    assert str(result[0]) == str(expected[0])


def test_choose_price_unit_three_decimals():
    assert choose_price_unit(Decimal("0.0125"), max_decimals=3) == (Decimal("0.125"), 10)
    assert choose_price_unit(Decimal("0.0001"), max_decimals=3) == (Decimal("0.001"), 10)


def test_choose_price_unit_when_no_unit_is_exact():
    # the smallest unit at which rounding changes the price by at most 0.05 %
    assert choose_price_unit(Decimal(1) / 3) == (Decimal("33.33"), 100)
    assert choose_price_unit(Decimal("12.34567891")) == (Decimal("12.35"), 1)
    assert choose_price_unit(Decimal("0.100000001")) == (Decimal("0.1"), 1)
    assert choose_price_unit(Decimal("0.0000001")) == (Decimal(0), 10000)
    assert choose_price_unit(Decimal("12.34567891"), max_error=Decimal("0.0001")) == (
        Decimal("123.46"),
        10,
    )


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (0.1 + 0.2, (Decimal("0.3"), 1)),
        (12.499999999999998, (Decimal("12.5"), 1)),
        (100 * (1 - 15 / 100), (Decimal("85"), 1)),
        (0.0125, (Decimal("1.25"), 100)),
    ],
)
def test_choose_price_unit_ignores_float_noise(price, expected):
    assert choose_price_unit(price) == expected


def _screw(**values):
    data = {"description": "Screw M4", "quantity": Decimal(2), "unit": "PCE"}
    data.update(values)
    return OciItem(**data)


def test_field_specs_lengths():
    expected = {
        "DESCRIPTION": 40,
        "MATNR": 40,
        "QUANTITY": 15,
        "UNIT": 3,
        "PRICE": 15,
        "PRICEUNIT": 5,
        "CURRENCY": 5,
        "LEADTIME": 5,
        "VENDOR": 10,
        "VENDORMAT": 40,
        "MANUFACTCODE": 10,
        "MANUFACTMAT": 40,
        "MATGROUP": 10,
        "SERVICE": 1,
        "CONTRACT": 10,
        "CONTRACT_ITEM": 5,
        "EXT_QUOTE_ID": 35,
        "EXT_QUOTE_ITEM": 10,
        "EXT_PRODUCT_ID": 40,
        "ATTACHMENT": 255,
        "ATTACHMENT_TITLE": 255,
        "ATTACHMENT_PURPOSE": 1,
        "EXT_SCHEMA_TYPE": 10,
        "EXT_CATEGORY_ID": 60,
        "EXT_CATEGORY": 40,
        "SLD_SYS_NAME": 60,
        "CUST_FIELD1": 10,
        "CUST_FIELD2": 10,
        "CUST_FIELD3": 10,
        "CUST_FIELD4": 20,
        "CUST_FIELD5": 50,
        "PARENT_ID": 5,
        "ITEM_TYPE": 1,
    }
    assert {name: spec[0] for name, spec in FIELD_SPECS.items()} == expected
    kinds = {name: spec[1] for name, spec in FIELD_SPECS.items() if spec[1] != "text"}
    assert kinds == {
        "QUANTITY": "number",
        "PRICE": "number",
        "PRICEUNIT": "integer",
        "LEADTIME": "integer",
        "SERVICE": "flag",
    }


def test_build_minimal_item():
    assert build_cart_fields([_screw()]) == [
        ("NEW_ITEM-DESCRIPTION[1]", "Screw M4"),
        ("NEW_ITEM-QUANTITY[1]", "2"),
        ("NEW_ITEM-UNIT[1]", "PCE"),
    ]


def test_build_empty_cart():
    assert build_cart_fields([]) == []


def test_build_full_item_in_stable_order():
    item = _screw(
        quantity=Decimal("1.500"),
        price=Decimal("12.50"),
        currency="EUR",
        leadtime=3,
        longtext="Zinc plated.",
        vendor="100200",
        vendormat="SCR-M4",
        manufactcode="M-1",
        manufactmat="912-M4",
        matgroup="31161500",
        contract="C-9",
        contract_item="10",
        ext_quote_id="S00042",
        ext_quote_item="7",
        ext_product_id="product.product,42",
        attachment="https://shop.example.com/doc.pdf",
        attachment_title="Data sheet",
        attachment_purpose="C",
        ext_schema_type="UNSPSC",
        ext_category_id="31161500",
        ext_category="Screws",
        sld_sys_name="SHOP",
        cust_field1="a",
        cust_field2="b",
        cust_field3="c",
        cust_field4="d",
        cust_field5="e",
        parent_id="1",
        item_type="R",
        extra={"costcenter": "K100"},
    )
    assert build_cart_fields([item]) == [
        ("NEW_ITEM-DESCRIPTION[1]", "Screw M4"),
        ("NEW_ITEM-QUANTITY[1]", "1.5"),
        ("NEW_ITEM-UNIT[1]", "PCE"),
        ("NEW_ITEM-PRICE[1]", "12.5"),
        ("NEW_ITEM-CURRENCY[1]", "EUR"),
        ("NEW_ITEM-LEADTIME[1]", "3"),
        ("NEW_ITEM-VENDOR[1]", "100200"),
        ("NEW_ITEM-VENDORMAT[1]", "SCR-M4"),
        ("NEW_ITEM-MANUFACTCODE[1]", "M-1"),
        ("NEW_ITEM-MANUFACTMAT[1]", "912-M4"),
        ("NEW_ITEM-MATGROUP[1]", "31161500"),
        ("NEW_ITEM-CONTRACT[1]", "C-9"),
        ("NEW_ITEM-CONTRACT_ITEM[1]", "10"),
        ("NEW_ITEM-EXT_QUOTE_ID[1]", "S00042"),
        ("NEW_ITEM-EXT_QUOTE_ITEM[1]", "7"),
        ("NEW_ITEM-EXT_PRODUCT_ID[1]", "product.product,42"),
        ("NEW_ITEM-ATTACHMENT[1]", "https://shop.example.com/doc.pdf"),
        ("NEW_ITEM-ATTACHMENT_TITLE[1]", "Data sheet"),
        ("NEW_ITEM-ATTACHMENT_PURPOSE[1]", "C"),
        ("NEW_ITEM-EXT_SCHEMA_TYPE[1]", "UNSPSC"),
        ("NEW_ITEM-EXT_CATEGORY_ID[1]", "31161500"),
        ("NEW_ITEM-EXT_CATEGORY[1]", "Screws"),
        ("NEW_ITEM-SLD_SYS_NAME[1]", "SHOP"),
        ("NEW_ITEM-CUST_FIELD1[1]", "a"),
        ("NEW_ITEM-CUST_FIELD2[1]", "b"),
        ("NEW_ITEM-CUST_FIELD3[1]", "c"),
        ("NEW_ITEM-CUST_FIELD4[1]", "d"),
        ("NEW_ITEM-CUST_FIELD5[1]", "e"),
        ("NEW_ITEM-PARENT_ID[1]", "1"),
        ("NEW_ITEM-ITEM_TYPE[1]", "R"),
        ("NEW_ITEM-LONGTEXT_1:132[]", "Zinc plated."),
        ("NEW_ITEM-COSTCENTER[1]", "K100"),
    ]


def test_build_long_description_is_cut_on_a_word_and_kept_in_longtext():
    description = "Hexagon socket head cap screw DIN 912 M4 x 20 mm, zinc plated"
    fields = dict(build_cart_fields([_screw(description=description, longtext="Box of 100.")]))
    assert fields["NEW_ITEM-DESCRIPTION[1]"] == "Hexagon socket head cap screw DIN 912 M4"
    assert fields["NEW_ITEM-LONGTEXT_1:132[]"] == f"{description}\n\nBox of 100."


def test_build_long_description_without_spaces_is_cut_hard():
    fields = dict(build_cart_fields([_screw(description="X" * 50)]))
    assert fields["NEW_ITEM-DESCRIPTION[1]"] == "X" * 40
    assert fields["NEW_ITEM-LONGTEXT_1:132[]"] == "X" * 50


def test_build_description_of_exactly_40_characters_has_no_longtext():
    fields = dict(build_cart_fields([_screw(description="A" * 40)]))
    assert fields["NEW_ITEM-DESCRIPTION[1]"] == "A" * 40
    assert "NEW_ITEM-LONGTEXT_1:132[]" not in fields


def test_build_description_whitespace_is_collapsed():
    fields = dict(build_cart_fields([_screw(description="  Screw\n\tM4  ")]))
    assert fields["NEW_ITEM-DESCRIPTION[1]"] == "Screw M4"


def test_build_other_texts_are_cut_to_their_length():
    item = _screw(
        unit="PCEX",
        vendormat="V" * 45,
        cust_field4="4" * 25,
        cust_field5="5" * 55,
        ext_quote_id="Q" * 36,
        attachment="https://x/" + "a" * 300,
        matgroup="31161500-99",
    )
    fields = dict(build_cart_fields([item]))
    assert fields["NEW_ITEM-UNIT[1]"] == "PCE"
    assert fields["NEW_ITEM-VENDORMAT[1]"] == "V" * 40
    assert fields["NEW_ITEM-CUST_FIELD4[1]"] == "4" * 20
    assert fields["NEW_ITEM-CUST_FIELD5[1]"] == "5" * 50
    assert fields["NEW_ITEM-EXT_QUOTE_ID[1]"] == "Q" * 35
    assert len(fields["NEW_ITEM-ATTACHMENT[1]"]) == 255
    assert fields["NEW_ITEM-MATGROUP[1]"] == "31161500-9"


def test_build_matnr_replaces_description():
    item = _screw(matnr="MAT-1", description="Screw M4 " * 10, longtext="note")
    fields = build_cart_fields([item])
    names = [name for name, _value in fields]
    assert "NEW_ITEM-DESCRIPTION[1]" not in names
    assert dict(fields)["NEW_ITEM-MATNR[1]"] == "MAT-1"
    assert dict(fields)["NEW_ITEM-LONGTEXT_1:132[]"] == "note"
    names = [name for name, _value in build_cart_fields([item], send_empty=True)]
    assert "NEW_ITEM-DESCRIPTION[1]" not in names


def test_build_service_flag():
    assert ("NEW_ITEM-SERVICE[1]", "X") in build_cart_fields([_screw(service=True)])
    names = [name for name, _value in build_cart_fields([_screw(service=False)])]
    assert "NEW_ITEM-SERVICE[1]" not in names
    assert ("NEW_ITEM-SERVICE[1]", "") in build_cart_fields([_screw()], send_empty=True)


def test_build_price_unit():
    fields = dict(build_cart_fields([_screw(price=Decimal("0.0125"), currency="EUR")]))
    assert fields["NEW_ITEM-PRICE[1]"] == "1.25"
    assert fields["NEW_ITEM-PRICEUNIT[1]"] == "100"
    fields = dict(build_cart_fields([_screw(price=Decimal("12.5"), currency="EUR")]))
    assert fields["NEW_ITEM-PRICE[1]"] == "12.5"
    assert "NEW_ITEM-PRICEUNIT[1]" not in fields
    fields = dict(
        build_cart_fields([_screw(price=Decimal("12.5"), price_unit=1000, currency="EUR")])
    )
    assert (fields["NEW_ITEM-PRICE[1]"], fields["NEW_ITEM-PRICEUNIT[1]"]) == ("12.5", "1000")
    fields = dict(build_cart_fields([_screw(price=Decimal("12.5"), price_unit=1)]))
    assert "NEW_ITEM-PRICEUNIT[1]" not in fields
    fields = dict(build_cart_fields([_screw(price=Decimal("12.5"))], send_empty=True))
    assert fields["NEW_ITEM-PRICEUNIT[1]"] == "1"
    fields = dict(build_cart_fields([_screw()], send_empty=True))
    assert (fields["NEW_ITEM-PRICE[1]"], fields["NEW_ITEM-PRICEUNIT[1]"]) == ("", "")


def test_build_price_decimals_setting():
    fields = dict(build_cart_fields([_screw(price=Decimal("0.125"))], price_decimals=3))
    assert (fields["NEW_ITEM-PRICE[1]"], "NEW_ITEM-PRICEUNIT[1]" in fields) == ("0.125", False)


def test_build_numbers():
    fields = dict(build_cart_fields([_screw(quantity=Decimal("1.000"), leadtime=0)]))
    assert fields["NEW_ITEM-QUANTITY[1]"] == "1"
    assert fields["NEW_ITEM-LEADTIME[1]"] == "0"
    fields = dict(build_cart_fields([_screw(quantity=Decimal("0.33333"))]))
    assert fields["NEW_ITEM-QUANTITY[1]"] == "0.333"
    with pytest.raises(ValueError):
        build_cart_fields([_screw(quantity=Decimal("1E+12"))])


def test_build_index_base_zero_and_several_items():
    items = [_screw(description="A" * 45), _screw(description="Nut M4", unit="EA")]
    fields = build_cart_fields(items, index_base=0)
    assert [name for name, _value in fields] == [
        "NEW_ITEM-DESCRIPTION[0]",
        "NEW_ITEM-QUANTITY[0]",
        "NEW_ITEM-UNIT[0]",
        "NEW_ITEM-LONGTEXT_0:132[]",
        "NEW_ITEM-DESCRIPTION[1]",
        "NEW_ITEM-QUANTITY[1]",
        "NEW_ITEM-UNIT[1]",
    ]
    assert fields[4] == ("NEW_ITEM-DESCRIPTION[1]", "Nut M4")


def test_build_send_empty_has_every_field():
    fields = build_cart_fields([_screw(), _screw(description="Nut")], send_empty=True)
    names = [name for name, _value in fields]
    expected_first = [f"NEW_ITEM-{name}[1]" for name in FIELD_SPECS]
    expected_first.append("NEW_ITEM-LONGTEXT_1:132[]")
    assert names[: len(expected_first)] == expected_first
    assert len(names) == 2 * len(expected_first)
    assert names[-1] == "NEW_ITEM-LONGTEXT_2:132[]"
    values = dict(fields)
    assert values["NEW_ITEM-MATNR[1]"] == ""
    assert values["NEW_ITEM-VENDOR[2]"] == ""
    assert values["NEW_ITEM-DESCRIPTION[2]"] == "Nut"


def test_build_extra_fields():
    fields = build_cart_fields([_screw(extra={"Kostl": "4711", "EMPTY": "", "N": None})])
    assert fields[-3:] == [
        ("NEW_ITEM-KOSTL[1]", "4711"),
        ("NEW_ITEM-EMPTY[1]", ""),
        ("NEW_ITEM-N[1]", ""),
    ]
    with pytest.raises(ValueError):
        build_cart_fields([_screw(extra={"price": "1"})])
    with pytest.raises(ValueError):
        build_cart_fields([_screw(extra={"LONGTEXT": "x"})])


@pytest.mark.parametrize(
    ("codec", "text", "expected"),
    [
        ("iso8859-1", "5 € \u2013 „Qualität“ … Łódź", '5 EUR - "Qualität" ... Lódz'),
        ("cp1252", "5 € \u2013 „Qualität“ … Łódź", "5 € \u2013 „Qualität“ … Lódz"),
        ("iso8859-2", "5 € \u2013 Łódź ß", "5 EUR - Łódź ß"),
        ("iso8859-1", "Œuvre ™ ½ 中", "OEuvre (TM) ½ ?"),
        ("ascii", "Ångström µm", "Angstrom um"),
        ("utf-8", "5 € \u2013 中", "5 € \u2013 中"),
    ],
)
def test_transliterate_keeps_what_the_charset_holds(codec, text, expected):
    assert transliterate(text, codec) == expected


def test_cart_fields_in_a_single_byte_charset_are_transliterated_before_they_are_cut():
    item = OciItem(
        description="Schraube M8 \u2013 5 € (rostfrei) „Edelstahl“ Größe 4 mm Länge",
        quantity=Decimal(1),
        vendormat="A\u20131",
        longtext="Preis: 5 €",
        extra={"CUSTOM": "„x“"},
    )
    fields = dict(build_cart_fields([item], charset="ISO-8859-1"))
    description = fields["NEW_ITEM-DESCRIPTION[1]"]
    assert description == "Schraube M8 - 5 EUR (rostfrei)"  # 40 characters at most, once written
    assert len(description) <= FIELD_SPECS["DESCRIPTION"][0]
    assert fields["NEW_ITEM-VENDORMAT[1]"] == "A-1"
    assert fields["NEW_ITEM-LONGTEXT_1:132[]"].endswith("Preis: 5 EUR")
    assert fields["NEW_ITEM-CUSTOM[1]"] == '"x"'
    for value in fields.values():
        value.encode("iso8859-1")  # every value fits the buyer's charset
    # Without a charset (UTF-8 buyers) nothing changes.
    assert dict(build_cart_fields([item]))["NEW_ITEM-VENDORMAT[1]"] == "A\u20131"
