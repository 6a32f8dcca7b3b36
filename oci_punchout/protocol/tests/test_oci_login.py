"""OCI punch-in parameters read as the buyer's system sends them (protocol/oci/punch_in.py),
charsets included; pytest, no Odoo.
"""

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from oci_common import HOOK, _login
from protocol.charsets import REFUSED_LABELS, WHATWG_ENCODINGS
from protocol.errors import (
    MalformedDocument,
    PayloadTooLarge,
    UnsupportedRequest,
)
from protocol.oci import (
    SUPPORTED_FUNCTIONS,
    html_charset_label,
    normalize_charset,
    parse_punch_in,
    quantity_check_answer,
    render_return_page,
    server_call_error,
)


def test_module_never_imports_odoo():
    protocol_dir = Path(__file__).parents[1]
    paths = [*sorted((protocol_dir / "oci").glob("*.py")), protocol_dir / "browser.py"]
    for path in paths:
        source = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+odoo", source, re.MULTILINE), path
    assert "from ..errors import" in (protocol_dir / "oci" / "punch_in.py").read_text()
    assert "from .errors import" in (protocol_dir / "browser.py").read_text()


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


@pytest.mark.parametrize("function", ["INITIALIZE", "RETRIEVEOCI", "FOO"])
def test_punch_in_unsupported_function(function):
    with pytest.raises(UnsupportedRequest) as info:
        parse_punch_in(_login(FUNCTION=function, PRODUCTID="P-1"))
    assert info.value.status == 450
    assert function in info.value.message


def test_punch_in_detailadd():
    punch_in = parse_punch_in(_login(FUNCTION="DETAILADD", PRODUCTID="P-7"))
    assert (punch_in.function, punch_in.product_id) == ("DETAILADD", "P-7")
    with pytest.raises(MalformedDocument):
        parse_punch_in(_login(FUNCTION="DETAILADD"))


def test_quantitycheck_is_a_server_call_without_return_url():
    params = {"USERNAME": "buyer", "PASSWORD": "x", "FUNCTION": "QUANTITYCHECK"}
    check = parse_punch_in({**params, "EXT_PRODUCT_ID": "42", "QUANTITY": "3"})
    assert (check.function, check.product_id, check.quantity, check.hook_url) == (
        "QUANTITYCHECK",
        "42",
        Decimal(3),
        None,
    )
    for missing in ({"QUANTITY": "3"}, {"EXT_PRODUCT_ID": "42"}):
        with pytest.raises(MalformedDocument, match="EXT_PRODUCT_ID and QUANTITY"):
            parse_punch_in({**params, **missing})
    # Every other function still needs the return URL.
    with pytest.raises(MalformedDocument, match="HOOK_URL"):
        parse_punch_in({"USERNAME": "buyer", "PASSWORD": "x", "FUNCTION": "VALIDATE"})


@pytest.mark.parametrize(
    ("available", "lead", "expected"),
    [
        (5, 2, {"AVAILABLE_QUANTITY": 5, "LEADTIME": "2"}),
        (Decimal("2.5"), None, {"AVAILABLE_QUANTITY": 2.5, "LEADTIME": "0"}),
        (0.0, 11, {"AVAILABLE_QUANTITY": 0, "LEADTIME": "11"}),
    ],
)
def test_quantity_check_answer(available, lead, expected):
    assert json.loads(quantity_check_answer(available, lead)) == expected
    assert json.loads(server_call_error("Unknown product.")) == {"ERROR": "Unknown product."}


def test_supported_functions_constant():
    expected = {
        "DETAIL",
        "DETAILADD",
        "VALIDATE",
        "SOURCING",
        "BACKGROUND_SEARCH",
        "QUANTITYCHECK",
        "DOWNLOADJSON",
    }
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
