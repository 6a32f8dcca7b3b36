"""cXML invoices refused before they are built, stored without secrets, and hostile invoice
documents refused when read; pytest, no Odoo.
"""

import re
import time
from dataclasses import replace
from decimal import Decimal

import pytest
from cxml_invoice_common import (
    BUYER_ADDRESS,
    HEADER,
    INVOICE_PROLOG,
    assert_valid,
    build,
    eur,
    load,
    make_invoice,
    vat,
)
from lxml import etree
from protocol import cxml
from protocol.cxml import (
    ConfirmationItem,
    ConfirmationRequest,
    InvoicePartner,
    OrderRequest,
)
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    NotAcceptable,
    PayloadTooLarge,
    PunchoutProtocolError,
)
from testdata import cxml_prolog


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"invoice_id": ""}, "invoice number"),
        ({"order_id": ""}, "order number"),
        ({"items": []}, "at least one line"),
        ({"items": [], "subtotal": None, "purpose": "creditMemo"}, "at least one line"),
        ({"purpose": "refund"}, "'refund'"),
        ({"purpose": "debitMemo"}, "'debitMemo'"),
        ({"operation": "update"}, "'update'"),
        ({"purpose": "lineLevelCreditMemo"}, "original_invoice_payload_id"),
        ({"operation": "delete"}, "original_invoice_payload_id"),
        ({"subtotal": eur("227.00", "USD")}, "mixes currencies: EUR, USD"),
        ({"taxes": [vat("21", "200.00", "42.00", "CHF")]}, "mixes currencies"),
        ({"payment_term_days": -1}, "payment term"),
        ({"partners": [InvoicePartner("", "Zinc GmbH")]}, "needs a role"),
        ({"partners": [InvoicePartner("billTo", "")]}, "needs a name"),
        ({"taxes": [vat("21", "200.00", "42.00", category="")]}, "category"),
    ],
)
def test_builder_refuses_incomplete_data(values, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        build(make_invoice(**values))


def test_builder_refuses_incomplete_lines():
    first, second = make_invoice().items
    with pytest.raises(ValueError, match="unit of measure"):
        build(make_invoice(items=[replace(first, unit_of_measure="")]))
    with pytest.raises(ValueError, match="repeats an invoice line number"):
        build(make_invoice(items=[first, replace(second, invoice_line_number=1)]))
    with pytest.raises(ValueError, match="deploymentMode"):
        build(make_invoice(), deployment_mode="dev")


def test_validator_rejects_a_broken_invoice(dtds):
    root = load(build(make_invoice()))
    summary = root.find("Request/InvoiceDetailRequest/InvoiceDetailSummary")
    summary.remove(summary.find("NetAmount"))
    assert not dtds[("1.2.037", "InvoiceDetail")].validate(root)
    root = load(build(make_invoice()))
    root.find(".//InvoiceDetailItem").attrib.pop("invoiceLineNumber")
    assert not dtds[("1.2.037", "InvoiceDetail")].validate(root)


def test_with_shared_secret_on_a_stored_invoice(dtds):
    data = build(make_invoice())
    stored = cxml.redact_secrets(data)
    assert b"s3cr3t" not in stored
    resent = cxml.with_shared_secret(stored, "new-secret")
    root = assert_valid(dtds, resent)
    assert root.get("payloadID") == "inv-1@meridian.example"
    assert root.xpath("Header/Sender/Credential/SharedSecret/text()") == ["new-secret"]
    assert cxml.parse_invoice_detail_request(resent).request == make_invoice()
    original = cxml.parse_invoice_detail_request(cxml.with_shared_secret(stored, "s3cr3t&<Ä"))
    assert original.header == HEADER


def test_with_shared_secret_takes_the_version_from_the_doctype():
    stored = cxml.redact_secrets(build(make_invoice())).replace(b' version="1.2.037"', b"", 1)
    assert b'version="1.2.037"' not in stored
    resent = cxml.with_shared_secret(stored, "pw")
    assert resent.startswith(INVOICE_PROLOG)
    assert cxml.parse_invoice_detail_request(resent).version == "1.2.037"


def test_confirmations_and_orders_keep_their_own_version(dtds):
    confirmation = ConfirmationRequest(
        "PO-2024-0042",
        "1709280000.1@buyer.example",
        "detail",
        items=[ConfirmationItem(1, Decimal(2), "C62")],
    )
    data = cxml.build_confirmation_request(HEADER, confirmation, payload_id="c-1")
    assert_valid(dtds, data, "1.2.063", "Fulfill")
    resent = cxml.with_shared_secret(cxml.redact_secrets(data), "pw")
    root = assert_valid(dtds, resent, "1.2.063", "Fulfill")
    assert root.get("payloadID") == "c-1"
    assert root.findtext("Header/Sender/Credential/SharedSecret") == "pw"

    order_data = cxml.build_order_request(HEADER, make_order())
    assert_valid(dtds, order_data, "1.2.063", "cXML")
    assert_valid(dtds, cxml.with_shared_secret(order_data, "pw"), "1.2.063", "cXML")


def test_with_shared_secret_keeps_an_older_declared_version():
    data = cxml.build_confirmation_request(HEADER, ConfirmationRequest("PO-1", "p-1"))
    older = data.replace(b'version="1.2.063"', b'version="1.2.050"', 1)
    resent = cxml.with_shared_secret(older, "pw")
    assert resent.startswith(cxml_prolog("Fulfill", "1.2.050"))
    assert load(resent).get("version") == "1.2.050"


def make_order():
    item = cxml.Item(
        Decimal(1), "A", eur("1.00"), unit_of_measure="C62", classifications=[("UNSPSC", "1")]
    )
    return OrderRequest("PO-1", total=eur("1.00"), bill_to=BUYER_ADDRESS, items=[item])


def test_parser_refuses_documents_that_are_not_invoices():
    order = cxml.build_order_request(HEADER, make_order())
    with pytest.raises(MalformedDocument, match="no InvoiceDetailRequest"):
        cxml.parse_invoice_detail_request(order)
    with pytest.raises(MalformedDocument, match="no InvoiceDetailRequest"):
        cxml.parse_invoice_detail_request(cxml.build_response(200))


@pytest.mark.parametrize(
    ("old", "new", "error", "message"),
    [
        (b'invoiceID="INV/2024/0042"', b"", MalformedDocument, "no invoiceID"),
        (b'purpose="standard"', b'purpose="debitMemo"', NotAcceptable, "'debitMemo'"),
        (b'payloadID="inv-1@meridian.example"', b"", MalformedDocument, "payloadID"),
        (b'orderID="PO-2024-0042"', b"", MalformedDocument, "orderID"),
        (b'quantity="3"', b'quantity="lots"', MalformedDocument, "lots"),
        (
            b'invoiceDate="2024-03-04T00:00:00+01:00"',
            b'invoiceDate="soon"',
            MalformedDocument,
            "soon",
        ),
        (b"<InvoiceDetailSummary>", b"<InvoiceDetailSummaryX>", MalformedDocument, "well-formed"),
    ],
)
def test_parser_refuses_broken_invoices(old, new, error, message):
    data = build(make_invoice())
    assert old in data
    with pytest.raises(error, match=re.escape(message)) as info:
        cxml.parse_invoice_detail_request(data.replace(old, new, 1))
    assert isinstance(info.value, PunchoutProtocolError)


def test_parser_refuses_an_invoice_without_summary():
    root = load(build(make_invoice()))
    request = root.find("Request/InvoiceDetailRequest")
    request.remove(request.find("InvoiceDetailSummary"))
    with pytest.raises(MalformedDocument, match="no InvoiceDetailSummary"):
        cxml.parse_invoice_detail_request(etree.tostring(root))


def test_billion_laughs_invoice_is_refused_fast():
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    body = build(make_invoice()).split(b"\n", 2)[2]  # without declaration and DOCTYPE
    data = f"<!DOCTYPE cXML [{entities}]>".encode() + body.replace(
        b"Thank you for your order.", b"&lol9;"
    )
    start = time.monotonic()
    with pytest.raises((HostileDocument, MalformedDocument)) as info:
        cxml.parse_invoice_detail_request(data)
    assert cxml.status_for(info.value) == (400, "Bad Request")
    assert time.monotonic() - start < 2


def test_external_entity_in_invoice_is_refused_and_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    body = build(make_invoice()).split(b"\n", 2)[2]
    doctype = f'<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    data = doctype.encode() + body.replace(b"Thank you for your order.", b"&xxe;")
    with pytest.raises(HostileDocument) as info:
        cxml.parse_invoice_detail_request(data)
    assert "TOPSECRET" not in info.value.message
    with pytest.raises(HostileDocument):
        cxml.with_shared_secret(data, "pw")


def test_external_dtd_of_invoice_is_not_loaded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY secret SYSTEM "{secret.as_uri()}">')
    body = build(make_invoice()).split(b"\n", 2)[2]
    data = f'<!DOCTYPE cXML SYSTEM "{dtd.as_uri()}">'.encode() + body.replace(
        b"Thank you for your order.", b"&secret;"
    )
    with pytest.raises(HostileDocument):
        cxml.parse_invoice_detail_request(data)
    # Our own DOCTYPE points to xml.cxml.org: it is never fetched (this runs offline).
    unreachable = b'<!DOCTYPE cXML SYSTEM "http://127.0.0.1:9/InvoiceDetail.dtd">' + body
    assert cxml.parse_invoice_detail_request(unreachable).request == make_invoice()


def test_oversize_invoice_is_refused():
    data = build(make_invoice())
    with pytest.raises(PayloadTooLarge) as info:
        cxml.parse_invoice_detail_request(data, max_bytes=len(data) - 1)
    assert cxml.status_for(info.value) == (413, "Payload Too Large")
    assert cxml.parse_invoice_detail_request(data, max_bytes=len(data)).request.invoice_id
    huge = data.replace(b"Thank you for your order.", b"x" * (6 * 1024 * 1024))
    with pytest.raises(PayloadTooLarge):
        cxml.parse_invoice_detail_request(huge)


def test_payload_id_of_a_stored_document():
    document = cxml.build_response(200, "OK", payload_id="stored-1@supplier.example")
    assert cxml.payload_id_of(document) == "stored-1@supplier.example"
    assert cxml.payload_id_of(document.decode()) == "stored-1@supplier.example"
    with pytest.raises(MalformedDocument):
        cxml.payload_id_of(b"<not-closed")
