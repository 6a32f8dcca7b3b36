"""Return URLs checked and the auto-submitted return page (protocol/browser.py); pytest, no
Odoo."""

from urllib.parse import quote

import lxml.html
import pytest
from oci_common import HOOK, PREFIXES, _page_form
from protocol.errors import (
    InvalidReturnUrl,
)
from protocol.oci import (
    build_cart_fields,
    check_return_url,
    parse_cart_fields,
    render_return_page,
)
from test_oci_fields import _screw


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
    assert "Größe 4 Schraube EUR5".encode("latin-1") in page
    assert "Größe".encode() not in page
    declared, _form, pairs = _page_form(page)
    assert declared == "windows-1252"
    assert ("NEW_ITEM-DESCRIPTION[1]", "Größe 4 Schraube EUR5") in pairs


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
