"""Tests of the hardened XML parser (protocol/xml.py); pytest, no Odoo.

Run from the addon directory: ``python3 -m pytest protocol/tests -q``.
"""

import codecs
import time

import pytest
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    PayloadTooLarge,
    PunchoutProtocolError,
)
from protocol.xml import decode_xml_for_storage, looks_like_xml, parse_xml

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


# --- every encoding the XML specification allows ------------------------------------------------

# (Python codec, byte order mark written first, name in the declaration)
ENCODINGS = [
    ("utf-8", b"", "UTF-8"),
    ("utf-8", codecs.BOM_UTF8, "UTF-8"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
    ("utf-16-le", b"", "UTF-16LE"),
    ("utf-16-be", b"", "UTF-16BE"),
    ("utf-32-le", codecs.BOM_UTF32_LE, "UTF-32"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "UTF-32"),
    ("utf-32-le", b"", "UTF-32LE"),
    ("utf-32-be", b"", "UTF-32BE"),
    ("iso-8859-1", b"", "ISO-8859-1"),
    ("iso-8859-15", b"", "ISO-8859-15"),
    ("cp1252", b"", "windows-1252"),
    ("cp037", b"", "IBM037"),
]
ENCODING_IDS = [f"{codec}{'-bom' if bom else ''}" for codec, bom, _name in ENCODINGS]


def _encode(text, codec, bom, name):
    return bom + (f'<?xml version="1.0" encoding="{name}"?>' + text).encode(codec)


def _attribute_bomb(size=2000, uses=200):
    """Entities expanded in attribute values: what resolve_entities=False does not stop."""
    return (
        f'<!DOCTYPE cXML [<!ENTITY a "{"A" * size}">]>'
        f'<cXML payloadID="{"&a;" * uses}"><Header/></cXML>'
    )


@pytest.mark.parametrize(("codec", "bom", "name"), ENCODINGS, ids=ENCODING_IDS)
def test_documents_are_read_in_every_encoding(codec, bom, name):
    euro = "" if codec in ("iso-8859-1", "cp037") else "€"  # not in these
    data = _encode(f'<cXML payloadID="Größe-{euro}1"><Header>x</Header></cXML>', codec, bom, name)
    root = parse_xml(data)
    assert root.get("payloadID").startswith("Größe-")
    assert root.findtext("Header") == "x"


@pytest.mark.parametrize(("codec", "bom", "name"), ENCODINGS, ids=ENCODING_IDS)
def test_entities_are_refused_in_every_encoding(codec, bom, name):
    start = time.monotonic()
    with pytest.raises(HostileDocument):
        parse_xml(_encode(_attribute_bomb(), codec, bom, name))
    with pytest.raises(HostileDocument):
        parse_xml(_encode("<!DOCTYPE a [<!ELEMENT a (#PCDATA)>]><a>x</a>", codec, bom, name))
    with pytest.raises(HostileDocument):
        parse_xml(
            _encode(
                '<!DOCTYPE a [<!ENTITY % p SYSTEM "http://x.example/">]><a/>', codec, bom, name
            )
        )
    assert time.monotonic() - start < 2


def test_entities_hidden_by_a_stateful_encoding_are_refused():
    # UTF-7 spells "<" as "+ADw-": the raw bytes show no "<!ENTITY".
    data = _encode(_attribute_bomb(), "utf-7", b"", "UTF-7").replace(b"<!", b"+ADwAIQ-")
    assert b"<!ENTITY" not in data
    assert "<!ENTITY" in data.decode("utf-7")
    with pytest.raises(HostileDocument):
        parse_xml(data)


def test_doctype_with_a_system_id_and_a_subset_is_refused():
    doc = '<!DOCTYPE cXML SYSTEM "http://x.example/cXML.dtd" [<!ATTLIST cXML a CDATA "b">]><cXML/>'
    with pytest.raises(HostileDocument):
        parse_xml(doc.encode("utf-16"))
    with pytest.raises(HostileDocument):
        parse_xml(doc.replace("SYSTEM", "PUBLIC '-//x//y'"))


def test_text_keeps_its_characters_whatever_its_declaration_says():
    # A stored copy: decoded text whose declaration still names the original encoding.
    text = '<?xml version="1.0" encoding="UTF-16"?><a>Größe €</a>'
    assert parse_xml(text).text == "Größe €"
    assert parse_xml(text.encode("utf-8")).text == "Größe €"
    text = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Größe</a>'
    assert parse_xml(text).text == "Größe"


def test_bytes_not_in_their_encoding_are_malformed():
    with pytest.raises(MalformedDocument) as info:
        parse_xml(b"<a>\xff\xfe\xfd</a>")
    assert "utf-8" in info.value.message
    with pytest.raises(MalformedDocument) as info:
        parse_xml(b'<?xml version="1.0" encoding="x-unknown-charset"?><a/>')
    assert "x-unknown-charset" in info.value.message


def test_decode_for_storage_never_fails_and_has_no_nul():
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><a>Größe</a>'.encode("utf-16")
    assert decode_xml_for_storage(utf16) == '<?xml version="1.0" encoding="UTF-16"?><a>Größe</a>'
    assert "\x00" not in decode_xml_for_storage(b"<a>\x00\xff</a>")
    assert "\x00" not in decode_xml_for_storage(utf16[2:7])  # cut in the middle of a character
    assert decode_xml_for_storage(b'<?xml version="1.0" encoding="nope"?>') == (
        '<?xml version="1.0" encoding="nope"?>'
    )


@pytest.mark.parametrize(("codec", "bom", "name"), ENCODINGS, ids=ENCODING_IDS)
def test_looks_like_xml(codec, bom, name):
    assert looks_like_xml(_encode("<a/>", codec, bom, name))
    assert not looks_like_xml(b"%PDF-1.7")
    assert not looks_like_xml("Dear supplier".encode(codec))
