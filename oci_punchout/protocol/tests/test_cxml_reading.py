"""Buyers' cXML read liberally, and the documents refused with a clear error; pytest, no Odoo."""

import re
import time
from datetime import datetime
from decimal import Decimal

import pytest
from cxml_common import NO_SENDER, RESPONSE, UTC, envelope, sample, setup_body
from protocol import cxml
from protocol.cxml import (
    Credential,
    Header,
    Money,
)
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    NotAcceptable,
    PayloadTooLarge,
    UnsupportedRequest,
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-01-23T16:00:06", datetime(2023, 1, 23, 16, 0, 6)),
        ("2023-01-23T16:00:06Z", datetime(2023, 1, 23, 16, 0, 6, tzinfo=UTC)),
        ("2023-01-23T16:00:06.5+0100", datetime(2023, 1, 23, 15, 0, 6, 500000, tzinfo=UTC)),
        ("2023-01-23 16:00:06 -05:00", datetime(2023, 1, 23, 21, 0, 6, tzinfo=UTC)),
        ("2023-01-23", datetime(2023, 1, 23)),
        ("", None),
    ],
)
def test_timestamps_with_and_without_zone(value, expected):
    assert cxml.parse_datetime(value) == expected


@pytest.mark.parametrize(
    "value", ["yesterday", "2023-13-01T00:00:00", "2023-01-23T16:00:06+25:00"]
)
def test_bad_timestamps(value):
    with pytest.raises(MalformedDocument, match="date"):
        cxml.parse_datetime(value)


def test_timestamp_without_zone_in_document():
    data = envelope(setup_body(), root_attrs='payloadID="p" timestamp="2023-01-23T16:00:06"')
    assert cxml.parse_request(data).timestamp == datetime(2023, 1, 23, 16, 0, 6)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("85.00", "85.00"),
        ("1,234.50", "1234.50"),
        ("$1,234.50", "1234.50"),
        ("EUR 85.00", "85.00"),
        ("85,00 €", "85.00"),
        ("1.234,50", "1234.50"),
        ("1 234,5", "1234.5"),
        ("1,234,567", "1234567"),
        ("12,5", "12.5"),
        ("(5.00)", "-5.00"),
        (" -12.5 ", "-12.5"),
    ],
)
def test_amounts_are_read_liberally(value, expected):
    amount = cxml.parse_amount(value)
    assert amount == Decimal(expected)
    assert str(amount) == expected


@pytest.mark.parametrize(
    "value", ["", "abc", "EUR", "Infinity", "-inf", "NaN", "1e15", "1E999999999", "9" * 40]
)
def test_bad_amounts(value):
    with pytest.raises(MalformedDocument):
        cxml.parse_amount(value)


def test_amounts_below_the_range_limit_are_read():
    assert cxml.parse_amount("999999999999999.99") == Decimal("999999999999999.99")
    assert cxml.parse_amount("1e-30") == Decimal("1e-30")


@pytest.mark.parametrize("value", ["Infinity", "-Infinity", "NaN", "1e3", "1.5", "9" * 13, "x"])
def test_whole_numbers_are_digits(value):
    document = envelope(order_body(lines=order_line(f'quantity="1" lineNumber="{value}"')))
    with pytest.raises(MalformedDocument, match="lineNumber"):
        cxml.parse_request(document)


def test_a_status_code_of_infinity_is_malformed():
    document = cxml.build_response(200).replace(b'code="200"', b'code="Infinity"')
    assert b'code="Infinity"' in document
    with pytest.raises(MalformedDocument, match="Status code"):
        cxml.parse_response(document)


def test_money_with_currency_sign_in_document():
    body = (
        '<OrderRequest><OrderRequestHeader orderID="PO1" orderDate="2024-01-01">'
        '<Total><Money currency="usd"> $1,234.50 </Money></Total></OrderRequestHeader>'
        '<ItemOut quantity="1,000" lineNumber="1"><ItemID><SupplierPartID>A</SupplierPartID>'
        "</ItemID></ItemOut></OrderRequest>"
    )
    order = cxml.parse_request(envelope(body)).request
    assert order.total == Money(Decimal("1234.50"), "USD")
    assert order.items[0].quantity == Decimal(1000)
    assert order.order_date == datetime(2024, 1, 1)


@pytest.mark.parametrize(
    ("request_attrs", "root_extra", "expected"),
    [
        ("", "", "production"),
        ('deploymentMode="test"', "", "test"),
        ("", ' deploymentMode="test"', "test"),
        ('deploymentMode="TEST"', "", "test"),
    ],
)
def test_deployment_mode(request_attrs, root_extra, expected):
    root_attrs = f'payloadID="p" timestamp="2024-01-01T00:00:00Z"{root_extra}'
    env = cxml.parse_request(envelope(setup_body(), request_attrs, root_attrs))
    assert env.deployment_mode == expected


def test_namespaced_document_is_read():
    data = envelope(setup_body()).replace(b"<cXML ", b'<cXML xmlns="urn:example:cxml" ', 1)
    env = cxml.parse_request(data)
    assert (env.request_name, env.request.buyer_cookie) == ("PunchOutSetupRequest", "c1")
    assert env.header.from_credentials == [Credential("NetworkId", "AN01")]


def test_credential_matching():
    credential = Credential("NetworkID", "AN01000000001")
    assert credential.matches("an01000000001", "NetworkId")
    assert credential.matches(" AN01000000001 ")
    assert not credential.matches("AN01000000001", "DUNS")
    assert not credential.matches("AN01000000002")
    assert Header().shared_secret is None


def order_body(header_attrs='orderID="PO1"', lines=""):
    return f"<OrderRequest><OrderRequestHeader {header_attrs}/>{lines}</OrderRequest>"


def order_line(attrs='quantity="1"', part="<ItemID><SupplierPartID>A</SupplierPartID></ItemID>"):
    return f"<ItemOut {attrs}>{part}</ItemOut>"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (envelope(setup_body(), root_attrs='timestamp="2024-01-01T00:00:00Z"'), "payloadID"),
        (re.sub(rb"<Sender>.*</Sender>", NO_SENDER, envelope(setup_body())), "Sender"),
        (re.sub(rb"<Header>.*</Header>", b"", envelope(setup_body())), "no Header"),
        (envelope(setup_body(cookie="")), "BuyerCookie"),
        (envelope(""), "exactly one"),
        (envelope(setup_body() + setup_body()), "exactly one"),
        (envelope(setup_body()).replace(b"</cXML>", b"<Request/></cXML>"), "more than one"),
        (RESPONSE, "Response"),
        (b'<Order payloadID="p"/>', "<Order>"),
        (b"<cXML><Header>", "well-formed"),
        (b"not xml at all", "well-formed"),
        (b"", "empty"),
        (envelope("<OrderRequest><ItemOut quantity='1'/></OrderRequest>"), "OrderRequestHeader"),
        (envelope(order_body('orderDate="2024-01-01"', order_line())), "orderID"),
        (envelope(order_body()), "no ItemOut"),
        (envelope(order_body('orderID="PO1" type="cancel"', order_line())), "cancel"),
        (envelope(order_body(lines=order_line(part=""))), "SupplierPartID"),
        (envelope(order_body(lines=order_line('quantity="lots"'))), "lots"),
        (envelope(order_body(lines=order_line('quantity="1" lineNumber="1.5"'))), "lineNumber"),
        (envelope(order_body(lines=order_line('lineNumber="1"'))), "no quantity"),
        (envelope(order_body('orderID="PO1" orderDate="soon"', order_line())), "orderDate"),
    ],
)
def test_malformed_requests(data, message):
    with pytest.raises(MalformedDocument, match=re.escape(message)) as info:
        cxml.parse_request(data)
    assert cxml.status_for(info.value) == (400, "Bad Request")


def test_malformed_cart_message():
    with pytest.raises(MalformedDocument, match="PunchOutOrderMessage"):
        cxml.parse_punchout_order_message(sample("OrderRequest"))


@pytest.mark.parametrize("name", ["FooRequest", "ConfirmationRequest", "InvoiceDetailRequest"])
def test_unknown_or_unhandled_request_type_is_450(name):
    with pytest.raises(UnsupportedRequest, match=name) as info:
        cxml.parse_request(envelope(f"<{name}/>"))
    assert info.value.status == 450


def test_cart_message_posted_as_request_is_450():
    with pytest.raises(UnsupportedRequest, match="PunchOutOrderMessage"):
        cxml.parse_request(sample("PunchoutOrderMessage"))


def test_unknown_setup_operation_is_406():
    with pytest.raises(NotAcceptable, match="'browse'") as info:
        cxml.parse_request(envelope(setup_body(operation="browse")))
    assert cxml.status_for(info.value) == (406, "Not Acceptable")


def billion_laughs():
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    )
    return f"<!DOCTYPE cXML [{entities}]>".encode() + envelope(
        setup_body("<BuyerCookie>&lol9;</BuyerCookie>")
    )


def test_billion_laughs_is_refused_fast():
    start = time.monotonic()
    with pytest.raises((HostileDocument, MalformedDocument)) as info:
        cxml.parse_request(billion_laughs())
    assert cxml.status_for(info.value) == (400, "Bad Request")
    assert time.monotonic() - start < 2


def test_external_entity_is_refused_and_not_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    doctype = f'<!DOCTYPE cXML [<!ENTITY xxe SYSTEM "{secret.as_uri()}">]>'
    data = doctype.encode() + envelope(setup_body("<BuyerCookie>&xxe;</BuyerCookie>"))
    with pytest.raises(HostileDocument) as info:
        cxml.parse_request(data)
    assert "TOPSECRET" not in info.value.message


def test_external_dtd_is_not_loaded(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text(f'<!ENTITY secret SYSTEM "{secret.as_uri()}">')
    cookie = "<BuyerCookie>&secret;</BuyerCookie>"
    data = f'<!DOCTYPE cXML SYSTEM "{dtd.as_uri()}">'.encode() + envelope(setup_body(cookie))
    with pytest.raises(HostileDocument):
        cxml.parse_request(data)
    # An unreachable DTD does not matter: it is never fetched.
    unreachable = b'<!DOCTYPE cXML SYSTEM "http://127.0.0.1:9/cXML.dtd">' + envelope(setup_body())
    assert cxml.parse_request(unreachable).request.buyer_cookie == "c1"


def test_huge_payload_is_refused():
    data = envelope(setup_body())
    with pytest.raises(PayloadTooLarge) as info:
        cxml.parse_request(data, max_bytes=len(data) - 1)
    assert cxml.status_for(info.value) == (413, "Payload Too Large")
    assert cxml.parse_request(data, max_bytes=len(data)).payload_id == "p-1"
    huge = envelope(setup_body(f"<BuyerCookie>{'x' * (6 * 1024 * 1024)}</BuyerCookie>"))
    with pytest.raises(PayloadTooLarge):
        cxml.parse_request(huge)
    with pytest.raises(PayloadTooLarge):
        cxml.parse_punchout_order_message(huge, max_bytes=1000)
