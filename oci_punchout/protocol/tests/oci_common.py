"""What the SAP OCI tests share: a buyer's HOOK_URL, a login, and the form a return page posts."""

import re
from urllib.parse import quote

import lxml.html
from protocol.oci import (
    build_cart_fields,
    normalize_charset,
    parse_cart_fields,
    render_return_page,
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
