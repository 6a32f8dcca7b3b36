"""Tests of protocol/oci/ and protocol/browser.py (SAP OCI) against docs/protocols.md; no Odoo.

Run from the addon directory: ``python3 -m pytest protocol/tests -q``.
"""

import re
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import lxml.html
import pytest
from protocol.charsets import REFUSED_LABELS, WHATWG_ENCODINGS
from protocol.errors import (
    InvalidReturnUrl,
    MalformedDocument,
    PayloadTooLarge,
    UnsupportedRequest,
)
from protocol.oci import (
    FIELD_SPECS,
    SUPPORTED_FUNCTIONS,
    OciItem,
    OciViolation,
    build_cart_fields,
    check_return_url,
    choose_price_unit,
    format_number,
    html_charset_label,
    normalize_charset,
    parse_cart_fields,
    parse_punch_in,
    render_return_page,
    validate_cart_fields,
)

HOOK = "https://buyer.example.com/sap/bc/gui/sap/its/bbpsc02?~OkCode=ADDI&~caller=CTLG"
PREFIXES = ["https://buyer.example.com/sap/"]


def _login(**extra):
    params = {"USERNAME": "buyer1", "PASSWORD": "secret", "HOOK_URL": HOOK}
    params.update(extra)
    return params


def _page_form(page):
    """(charset declared by the page, the parsed <form>, its inputs as (name, value) pairs)."""
    declared = re.search(rb'<meta charset="([^"]+)">', page[:1024]).group(1).decode()
    doc = lxml.html.document_fromstring(page.decode(normalize_charset(declared)[0]))
    forms = doc.findall(".//form")
    assert len(forms) == 1
    form = forms[0]
    pairs = [(i.get("name"), i.get("value", "")) for i in form.iter("input")]
    return declared, form, pairs


def _round_trip(items, charset="utf-8", **build_kwargs):
    fields = build_cart_fields(items, **build_kwargs)
    page = render_return_page(HOOK, fields, charset=charset)
    _declared, _form, pairs = _page_form(page)
    cart_pairs = [(name, value) for name, value in pairs if name.startswith("NEW_ITEM-")]
    assert cart_pairs == fields
    return parse_cart_fields(cart_pairs, rejoin_description=True)


def _browser_body(pairs, codec):
    """The urlencoded body a browser posts from a page in ``codec`` ('?' where it cannot)."""
    return "&".join(
        quote(name.encode(codec, "replace"), safe="")
        + "="
        + quote(value.encode(codec, "replace"), safe="")
        for name, value in pairs
    ).encode("ascii")


def test_module_never_imports_odoo():
    protocol_dir = Path(__file__).parents[1]
    paths = [*sorted((protocol_dir / "oci").glob("*.py")), protocol_dir / "browser.py"]
    for path in paths:
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+odoo", source, re.MULTILINE), path
    assert "from ..errors import" in (protocol_dir / "oci" / "punch_in.py").read_text()
    assert "from .errors import" in (protocol_dir / "browser.py").read_text()


# --------------------------------------------------------------------------------------------
# Punch-in


def test_punch_in_standard_sap_parameters():
    punch_in = parse_punch_in(
        _login(
            **{
                "~OkCode": "ADDI",
                "~TARGET": "_self",
                "~CALLER": "CTLG",
                "OCI_VERSION": "4.0",
                "OPI_VERSION": "1.0",
                "LANGU": "DE",
            }
        )
    )
    assert punch_in.username == "buyer1"
    assert punch_in.password == "secret"
    assert punch_in.hook_url == HOOK
    assert punch_in.function is None
    assert punch_in.product_id is None
    assert punch_in.quantity is None
    assert punch_in.return_target == "_self"
    assert punch_in.charset == "utf-8"
    assert punch_in.charset_fallback is False
    assert punch_in.echo_params == {"~OkCode": "ADDI", "~TARGET": "_self", "~CALLER": "CTLG"}
    assert punch_in.oci_version == "4.0"
    assert punch_in.opi_version == "1.0"
    assert punch_in.end_user is None
    assert punch_in.params["LANGU"] == "DE"


def test_punch_in_defaults():
    punch_in = parse_punch_in({"HOOK_URL": HOOK})
    assert punch_in.username is None
    assert punch_in.password is None
    assert punch_in.return_target == "_top"
    assert punch_in.echo_params == {}
    assert punch_in.search_string is None
    assert punch_in.vendor is None
    assert punch_in.oci_version is None


def test_punch_in_lower_case_names():
    punch_in = parse_punch_in(
        {
            "username": "u",
            "password": "p",
            "hook_url": HOOK,
            "~okcode": "ADDI",
            "~target": "frame1",
            "function": "validate",
            "productid": "P-1",
            "quantity": "3",
        }
    )
    assert (punch_in.username, punch_in.password, punch_in.hook_url) == ("u", "p", HOOK)
    assert punch_in.function == "VALIDATE"
    assert punch_in.product_id == "P-1"
    assert punch_in.quantity == Decimal(3)
    assert punch_in.return_target == "frame1"
    assert punch_in.echo_params == {"~okcode": "ADDI", "~target": "frame1"}


def test_punch_in_multidict_lists_first_value_wins():
    punch_in = parse_punch_in(
        {"USERNAME": ["first", "second"], "PASSWORD": ["pw"], "HOOK_URL": [HOOK, "https://x"]}
    )
    assert punch_in.username == "first"
    assert punch_in.hook_url == HOOK
    assert punch_in.params == {"USERNAME": "first", "PASSWORD": "pw", "HOOK_URL": HOOK}


def test_punch_in_exact_name_wins_over_other_case():
    punch_in = parse_punch_in({"hook_url": "https://other.example.com/", "HOOK_URL": HOOK})
    assert punch_in.hook_url == HOOK


def test_punch_in_custom_credential_and_end_user_names():
    punch_in = parse_punch_in(
        _login(LOGIN="shop-user", PWD=" with spaces ", EMAIL="jane@buyer.example.com"),
        username_param="LOGIN",
        password_param="PWD",
        end_user_param="email",
    )
    assert punch_in.username == "shop-user"
    assert punch_in.password == " with spaces "
    assert punch_in.end_user == "jane@buyer.example.com"


@pytest.mark.parametrize("hook", [None, "", "   "])
def test_punch_in_without_hook_url(hook):
    params = {"USERNAME": "u", "PASSWORD": "p"}
    if hook is not None:
        params["HOOK_URL"] = hook
    with pytest.raises(MalformedDocument) as info:
        parse_punch_in(params)
    assert info.value.status == 400
    assert "HOOK_URL" in info.value.message


def test_punch_in_hook_url_is_stripped():
    assert parse_punch_in({"HOOK_URL": f"  {HOOK}\n"}).hook_url == HOOK


@pytest.mark.parametrize(
    ("text", "expected"),
    [("2", Decimal(2)), ("2.5", Decimal("2.5")), ("2,5", Decimal("2.5")), (" 10 ", Decimal(10))],
)
def test_punch_in_validate_quantity(text, expected):
    punch_in = parse_punch_in(_login(FUNCTION="VALIDATE", PRODUCTID="P-1", QUANTITY=text))
    assert punch_in.function == "VALIDATE"
    assert punch_in.product_id == "P-1"
    assert punch_in.quantity == expected


@pytest.mark.parametrize("text", ["abc", "-1", "1e3", "NaN", "Infinity", "1.2.3", "1,000.5"])
def test_punch_in_invalid_quantity(text):
    with pytest.raises(MalformedDocument) as info:
        parse_punch_in(_login(FUNCTION="VALIDATE", PRODUCTID="P-1", QUANTITY=text))
    assert "QUANTITY" in info.value.message


@pytest.mark.parametrize("function", ["DETAIL", "VALIDATE", "detail"])
def test_punch_in_product_functions_need_productid(function):
    with pytest.raises(MalformedDocument) as info:
        parse_punch_in(_login(FUNCTION=function))
    assert "PRODUCTID" in info.value.message


def test_punch_in_detail():
    punch_in = parse_punch_in(_login(FUNCTION="DETAIL", PRODUCTID="EXT-42"))
    assert (punch_in.function, punch_in.product_id) == ("DETAIL", "EXT-42")


def test_punch_in_sourcing_and_background_search():
    sourcing = parse_punch_in(_login(FUNCTION="SOURCING", SEARCHSTRING="screw m4", VENDOR="4711"))
    assert (sourcing.function, sourcing.search_string, sourcing.vendor) == (
        "SOURCING",
        "screw m4",
        "4711",
    )
    search = parse_punch_in(_login(FUNCTION="background_search", SEARCHSTRING="bolt"))
    assert (search.function, search.search_string) == ("BACKGROUND_SEARCH", "bolt")


@pytest.mark.parametrize("function", ["QUANTITYCHECK", "DOWNLOADJSON", "DETAILADD", "FOO"])
def test_punch_in_unsupported_function(function):
    with pytest.raises(UnsupportedRequest) as info:
        parse_punch_in(_login(FUNCTION=function, PRODUCTID="P-1"))
    assert info.value.status == 450
    assert function in info.value.message


def test_punch_in_detailadd_when_enabled():
    supported = SUPPORTED_FUNCTIONS | {"DETAILADD"}
    punch_in = parse_punch_in(
        _login(FUNCTION="DETAILADD", PRODUCTID="P-7"), supported_functions=supported
    )
    assert (punch_in.function, punch_in.product_id) == ("DETAILADD", "P-7")
    with pytest.raises(MalformedDocument):
        parse_punch_in(_login(FUNCTION="DETAILADD"), supported_functions=supported)


def test_supported_functions_constant():
    expected = {"DETAIL", "VALIDATE", "SOURCING", "BACKGROUND_SEARCH"}
    assert expected == SUPPORTED_FUNCTIONS


def test_punch_in_empty_function_is_normal_shopping():
    assert parse_punch_in(_login(FUNCTION="  ")).function is None


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"returntarget": "frameA", "~TARGET": "frameB"}, "frameA"),
        ({"RETURNTARGET": "frameA"}, "frameA"),
        ({"~TARGET": "frameB"}, "frameB"),
        ({"~target": "frameB"}, "frameB"),
        ({"~TARGET": ""}, "_top"),
        ({}, "_top"),
    ],
)
def test_punch_in_return_target(params, expected):
    assert parse_punch_in(_login(**params)).return_target == expected


@pytest.mark.parametrize(
    ("given", "charset", "fallback"),
    [
        ("iso-8859-1", "iso8859-1", False),
        (" ISO-8859-1\t", "iso8859-1", False),
        ("latin1", "iso8859-1", False),
        ("us-ascii", "ascii", False),
        ("cp819", "iso8859-1", False),
        ("windows-1254", "cp1254", False),
        ("latin5", "iso8859-9", False),
        ("windows-1252", "cp1252", False),
        ("Shift_JIS", "cp932", False),
        ("UTF-8", "utf-8", False),
        ("iso-8859-15", "iso8859-15", False),
        ("", "utf-8", False),
        ("klingon-1", "utf-8", True),
        ("utf-16", "utf-8", True),
        ("utf-7", "utf-8", True),
        ("base64", "utf-8", True),
        ("rot13", "utf-8", True),
        ("iso-2022-jp", "utf-8", True),
        ("csISO2022JP", "utf-8", True),
        ("idna", "utf-8", True),
        ("punycode", "utf-8", True),
        ("utf-32", "utf-8", True),
        ("replacement", "utf-8", True),
        ("x-user-defined", "utf-8", True),
        ("hz-gb-2312", "utf-8", True),
        ("u8", "utf-8", True),
    ],
)
def test_punch_in_charset(given, charset, fallback):
    punch_in = parse_punch_in(_login(http_content_charset=given))
    assert (punch_in.charset, punch_in.charset_fallback) == (charset, fallback)


WHATWG_LABELS = [
    (label, name) for name, (_codec, labels) in WHATWG_ENCODINGS.items() for label in labels
]


@pytest.mark.parametrize(("label", "name"), WHATWG_LABELS)
def test_whatwg_label_accepted_and_declared_by_its_name(label, name):
    punch_in = parse_punch_in(_login(http_content_charset=label.upper()))
    assert punch_in.charset_fallback is False
    # ISO-8859-8-I is ISO-8859-8 with logical order: same bytes, the page declares ISO-8859-8.
    assert html_charset_label(punch_in.charset) == name.lower().removesuffix("-i")
    # The stored codec name maps back to the same encoding (a session keeps the codec name).
    assert normalize_charset(punch_in.charset) == (punch_in.charset, False)


@pytest.mark.parametrize("name", sorted(WHATWG_ENCODINGS))
def test_whatwg_encoding_keeps_ascii_as_ascii(name):
    codec = normalize_charset(name)[0]
    ascii_text = "".join(map(chr, range(128)))
    assert ascii_text.encode(codec) == ascii_text.encode("ascii")
    assert bytes(range(128)).decode(codec) == ascii_text
    # No multi-byte sequence of a non-ASCII character holds a byte that ends an attribute value
    # or starts markup.
    for char in "äéñøßΩЖא中日한€":
        try:
            encoded = char.encode(codec)
        except UnicodeEncodeError:
            continue
        assert not set(encoded) & set(b"\"'<>&\x1b"), (name, char, encoded)


@pytest.mark.parametrize("label", REFUSED_LABELS)
def test_refused_whatwg_labels_fall_back_to_utf8(label):
    punch_in = parse_punch_in(_login(http_content_charset=label))
    assert (punch_in.charset, punch_in.charset_fallback) == ("utf-8", True)


def test_stateful_charset_cannot_break_out_of_an_attribute():
    # In ISO-2022-JP '"' is part of a two-byte JIS code; a browser that does not know the label
    # reads it as a quote. Such a charset gives a UTF-8 page with the quote escaped.
    page = render_return_page(HOOK, [("NEW_ITEM-DESCRIPTION[1]", '日" onfocus="x')], "iso-2022-jp")
    assert b'<meta charset="utf-8">' in page
    assert b"\x1b" not in page
    assert "日&quot; onfocus=&quot;x".encode() in page


def test_punch_in_charset_absent():
    punch_in = parse_punch_in(_login())
    assert (punch_in.charset, punch_in.charset_fallback) == ("utf-8", False)


@pytest.mark.parametrize(
    ("codec", "label"),
    [
        ("iso8859-1", "windows-1252"),
        ("cp1252", "windows-1252"),
        ("utf-8", "utf-8"),
        ("euc_jp", "euc-jp"),
        ("nonsense", "utf-8"),
        ("iso2022_jp", "utf-8"),
        ("cp874", "windows-874"),
        ("shift_jis", "shift_jis"),
        ("cp932", "shift_jis"),
        ("mac-roman", "macintosh"),
    ],
)
def test_html_charset_label(codec, label):
    assert html_charset_label(codec) == label


def test_punch_in_too_many_params():
    params = _login(**{f"P{i}": "x" for i in range(20)})
    assert parse_punch_in(params, max_params=23).params["P19"] == "x"
    with pytest.raises(PayloadTooLarge) as info:
        parse_punch_in(params, max_params=22)
    assert info.value.status == 413
    assert "22" in info.value.message


def test_punch_in_value_too_long():
    assert parse_punch_in(_login(LANGU="x" * 2048)).params["LANGU"] == "x" * 2048
    with pytest.raises(PayloadTooLarge) as info:
        parse_punch_in(_login(LANGU="x" * 2049))
    assert "LANGU" in info.value.message
    with pytest.raises(PayloadTooLarge):
        parse_punch_in(_login(HOOK_URL=HOOK + "&x=" + "y" * 100), max_value_length=100)


def test_punch_in_name_too_long():
    with pytest.raises(PayloadTooLarge):
        parse_punch_in(_login(**{"N" * 3000: "x"}))


# --------------------------------------------------------------------------------------------
# Return URLs


@pytest.mark.parametrize(
    "url",
    [
        "https://buyer.example.com/sap/bc/gui",
        "https://buyer.example.com/sap/",
        "https://buyer.example.com/sap",
        "https://BUYER.Example.COM/sap/bc?~OkCode=ADDI&~caller=CTLG",
        "https://buyer.example.com:443/sap/bc",
        "HTTPS://buyer.example.com/sap/bc",
        "https://buyer.example.com/sap/bc#anchor",
        f"  {HOOK}  ",
    ],
)
def test_return_url_allowed(url):
    assert check_return_url(url, PREFIXES) is None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://buyer.example.com/sap/bc", "scheme"),
        ("https://buyer.example.com.evil.net/sap/bc", "does not match"),
        ("https://evil.net/buyer.example.com/sap/bc", "does not match"),
        ("https://buyer.example.com@evil.net/sap/bc", "user information"),
        ("https://user:pw@buyer.example.com/sap/bc", "user information"),
        ("https://buyer.example.com:8443/sap/bc", "does not match"),
        ("https://buyer.example.com/sapx/bc", "does not match"),
        ("https://buyer.example.com/other", "does not match"),
        ("https://buyer.example.com/sap/../evil", "segments"),
        ("https://buyer.example.com/sap/%2e%2e/evil", "segments"),
        ("https://buyer.example.com\\@evil.net/sap/", "forbidden character"),
        ("https://buyer.example.com/sap/\nSet-Cookie:x", "forbidden character"),
        ("https://buyer.example.com/sap/\tx", "forbidden character"),
        ("https://buyer.example.com/sap/\x00", "forbidden character"),
        ("https://buyer.example.com/sap/\u200bx", "forbidden character"),
        ("javascript:alert(document.cookie)//https://buyer.example.com/sap/", "scheme"),
        ("JavaScript:alert(1)", "scheme"),
        ("data:text/html,<script>alert(1)</script>", "scheme"),
        ("ftp://buyer.example.com/sap/", "scheme"),
        ("//buyer.example.com/sap/bc", "scheme"),
        ("/sap/bc", "scheme"),
        ("https:///sap/bc", "no host"),
        ("https://buyer.example.com:99999/sap/", "port"),
        ("SAPEVENT:POST", "SAPEVENT"),
        ("", "empty"),
        (None, "empty"),
    ],
)
def test_return_url_refused(url, reason):
    with pytest.raises(InvalidReturnUrl) as info:
        check_return_url(url, PREFIXES)
    assert info.value.status == 403
    assert reason in info.value.message


def test_return_url_needs_prefixes():
    with pytest.raises(InvalidReturnUrl) as info:
        check_return_url(HOOK, [])
    assert "no return URL prefixes" in info.value.message


def test_return_url_http_only_when_allowed():
    prefixes = ["http://buyer.example.com:8000/sap"]
    with pytest.raises(InvalidReturnUrl):
        check_return_url("http://buyer.example.com:8000/sap/bc", prefixes)
    check_return_url("http://buyer.example.com:8000/sap/bc", prefixes, allow_http=True)
    # allow_http never makes an http URL match an https prefix
    with pytest.raises(InvalidReturnUrl):
        check_return_url("http://buyer.example.com/sap/bc", PREFIXES, allow_http=True)


def test_return_url_default_port_in_prefix():
    check_return_url("https://buyer.example.com/sap/x", ["https://buyer.example.com:443/sap"])
    check_return_url("http://b.example.com:80/x", ["http://b.example.com/"], allow_http=True)


def test_return_url_prefix_without_path_allows_whole_host():
    check_return_url("https://buyer.example.com/anything", ["https://buyer.example.com"])
    with pytest.raises(InvalidReturnUrl):
        check_return_url("https://buyer.example.com.evil.net/", ["https://buyer.example.com"])
    with pytest.raises(InvalidReturnUrl):
        check_return_url("https://buyer.example.com@evil.net/", ["https://buyer.example.com"])


@pytest.mark.parametrize("url", ["SAPEVENT:POST", "sapevent:post", "SapEvent:POST?x=1"])
def test_return_url_sapevent(url):
    check_return_url(url, ["SAPEVENT:"])
    check_return_url(url, ["https://buyer.example.com/", "sapevent:POST"])
    with pytest.raises(InvalidReturnUrl):
        check_return_url(url, ["https://buyer.example.com/"])


def test_return_url_sapevent_prefix_does_not_allow_https():
    with pytest.raises(InvalidReturnUrl):
        check_return_url(HOOK, ["SAPEVENT:"])


# --------------------------------------------------------------------------------------------
# Numbers


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


# --------------------------------------------------------------------------------------------
# Building the cart fields


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


# --------------------------------------------------------------------------------------------
# The return page


def test_render_page_structure():
    fields = build_cart_fields([_screw()])
    page = render_return_page(
        HOOK,
        fields,
        target="frame1",
        echo_params={"~OkCode": "ADDI", "~TARGET": "frame1", "~CALLER": "CTLG"},
    )
    assert isinstance(page, bytes)
    assert page.startswith(b"<!DOCTYPE html>")
    declared, form, pairs = _page_form(page)
    assert declared == "utf-8"
    assert form.get("method") == "post"
    assert form.get("action") == "https://buyer.example.com/sap/bc/gui/sap/its/bbpsc02"
    assert form.get("target") == "frame1"
    assert pairs == [
        ("~OkCode", "ADDI"),
        ("~caller", "CTLG"),
        ("~TARGET", "frame1"),
        ("NEW_ITEM-DESCRIPTION[1]", "Screw M4"),
        ("NEW_ITEM-QUANTITY[1]", "2"),
        ("NEW_ITEM-UNIT[1]", "PCE"),
    ]
    assert all(i.get("type") == "hidden" for i in form.iter("input"))
    doc = lxml.html.document_fromstring(page)
    assert len(doc.findall(".//script")) == 1
    assert "oci_return_form" in doc.findtext(".//script")
    assert len(form.findall(".//button")) == 1
    assert form.find(".//button").get("type") == "submit"
    assert doc.findtext(".//title") == "Returning to your purchasing system"


def test_render_hook_url_query_params_are_decoded_in_order():
    hook = "https://buyer.example.com/sap/bc?b=2&a=x%20y&plus=a+b&empty=&~OkCode=ADDI#frag"
    _declared, form, pairs = _page_form(render_return_page(hook, []))
    assert form.get("action") == "https://buyer.example.com/sap/bc"
    assert pairs == [("b", "2"), ("a", "x y"), ("plus", "a b"), ("empty", ""), ("~OkCode", "ADDI")]


def test_render_echo_params_only_when_missing_from_hook_url():
    hook = "https://buyer.example.com/sap/bc?~okcode=ADDI"
    echo = {"~OkCode": "ADDI", "~CALLER": "CTLG"}
    _declared, _form, pairs = _page_form(render_return_page(hook, [], echo_params=echo))
    assert pairs == [("~okcode", "ADDI"), ("~CALLER", "CTLG")]


def test_render_sapevent_action_stays_as_is():
    page = render_return_page("SAPEVENT:POST", [("NEW_ITEM-QUANTITY[1]", "1")])
    _declared, form, pairs = _page_form(page)
    assert form.get("action") == "SAPEVENT:POST"
    assert pairs == [("NEW_ITEM-QUANTITY[1]", "1")]


def test_render_without_auto_submit_has_button_and_no_script():
    page = render_return_page(HOOK, [], auto_submit=False, message="3 results found")
    doc = lxml.html.document_fromstring(page)
    assert doc.findall(".//script") == []
    assert doc.find(".//form//button").get("type") == "submit"
    assert doc.findtext(".//form//p") == "3 results found"


def test_render_script_nonce():
    page = render_return_page(HOOK, [], script_nonce="abc123")
    assert lxml.html.document_fromstring(page).find(".//script").get("nonce") == "abc123"


def test_render_fields_as_mapping():
    _declared, _form, pairs = _page_form(
        render_return_page("https://b.example.com/x", {"NEW_ITEM-UNIT[1]": "PCE"})
    )
    assert pairs == [("NEW_ITEM-UNIT[1]", "PCE")]


def test_render_latin1_page():
    fields = build_cart_fields([_screw(description="Größe 4 Schraube €5")])
    page = render_return_page(HOOK, fields, charset="iso-8859-1")
    # Browsers know ISO-8859-1 as windows-1252; the page holds only ISO-8859-1 characters.
    assert b'<meta charset="windows-1252">' in page
    assert "Größe 4 Schraube ?5".encode("latin-1") in page
    assert "Größe".encode() not in page
    declared, _form, pairs = _page_form(page)
    assert declared == "windows-1252"
    assert ("NEW_ITEM-DESCRIPTION[1]", "Größe 4 Schraube ?5") in pairs


def test_render_windows_1252_page_keeps_euro():
    page = render_return_page(HOOK, [("NEW_ITEM-DESCRIPTION[1]", "5 €")], charset="cp1252")
    assert b'<meta charset="windows-1252">' in page
    assert b'value="5 \x80"' in page


def test_render_unknown_charset_is_utf8():
    page = render_return_page(HOOK, [("NEW_ITEM-DESCRIPTION[1]", "Größe €")], charset="bogus")
    assert b'<meta charset="utf-8">' in page
    assert "Größe €".encode() in page


def test_render_escapes_html_everywhere():
    attack = '"><script>alert(1)</script>'
    hook = "https://buyer.example.com/sap/bc?x=" + quote(attack)
    page = render_return_page(
        hook,
        [("NEW_ITEM-DESCRIPTION[1]", attack), ("NEW_ITEM-" + attack + "[1]", "v")],
        target=attack,
        echo_params={"~CALLER": attack},
        title=attack,
        message=attack,
    )
    text = page.decode()
    assert "<script>alert" not in text
    assert "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in text
    doc = lxml.html.document_fromstring(page)
    assert len(doc.findall(".//script")) == 1
    _declared, form, pairs = _page_form(page)
    assert form.get("target") == attack
    assert ("x", attack) in pairs
    assert ("~CALLER", attack) in pairs
    assert ("NEW_ITEM-DESCRIPTION[1]", attack) in pairs
    assert ("NEW_ITEM-" + attack + "[1]", "v") in pairs
    assert doc.findtext(".//title") == attack


def test_render_description_injection_through_build():
    item = _screw(description='Bolt"><script>alert(1)</script>', longtext="<b>bold</b> & co")
    page = render_return_page(HOOK, build_cart_fields([item]))
    assert b"<script>alert" not in page
    assert b"<b>bold" not in page
    assert b"&lt;b&gt;bold&lt;/b&gt; &amp; co" in page
    items = parse_cart_fields(_page_form(page)[2])
    assert items[0].description == 'Bolt"><script>alert(1)</script>'
    assert items[0].longtext == "<b>bold</b> & co"


def test_render_hidden_input_named_submit_cannot_break_auto_submit():
    page = render_return_page("https://b.example.com/x?submit=1&action=2", [])
    script = lxml.html.document_fromstring(page).findtext(".//script")
    assert "HTMLFormElement.prototype.submit.call" in script


@pytest.mark.parametrize(
    "hook",
    [
        "javascript:alert(1)",
        "data:text/html,x",
        "/relative",
        "",
        "ftp://x.example.com/",
        "https://[::1/x",
    ],
)
def test_render_refuses_non_http_hook(hook):
    with pytest.raises(InvalidReturnUrl):
        render_return_page(hook, [])


def test_render_hook_query_decoded_in_page_charset():
    page = render_return_page("https://b.example.com/x?name=M%FCller", [], charset="iso-8859-1")
    assert _page_form(page)[2] == [("name", "Müller")]


# --------------------------------------------------------------------------------------------
# Round trips


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


# --------------------------------------------------------------------------------------------
# Reading a returned cart


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


# --------------------------------------------------------------------------------------------
# Validation of a returned cart


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
