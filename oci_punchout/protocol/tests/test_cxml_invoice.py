"""Tests of cXML invoices (InvoiceDetailRequest, protocol/cxml/invoice.py); pytest, no Odoo.

Every document we build is validated against the official 1.2.037 ``InvoiceDetail.dtd`` from the
shared folder (``PUNCHOUT_SHARED``, default: the repository's sibling ``shared``), loaded from
disk: the DOCTYPE's URL is never fetched.
"""

import re
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree
from protocol import cxml
from protocol.cxml import (
    Address,
    ConfirmationItem,
    ConfirmationRequest,
    Credential,
    Header,
    InvoiceDetailRequest,
    InvoiceItem,
    InvoicePartner,
    InvoiceTax,
    Money,
    OrderRequest,
)
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    NotAcceptable,
    PayloadTooLarge,
    PunchoutProtocolError,
)
from testdata import cxml_dtd, cxml_prolog

INVOICE_PROLOG = cxml_prolog("InvoiceDetail", "1.2.037")
CET = timezone(timedelta(hours=1))
NOW = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)

HEADER = Header(
    from_credentials=[Credential("NetworkId", "AN02000000002")],
    to_credentials=[Credential("NetworkId", "AN01000000001")],
    sender_credentials=[Credential("NetworkId", "AN02000000002", "s3cr3t&<Ä")],
    user_agent="Odoo oci_punchout",
)


@pytest.fixture(scope="module")
def dtds():
    return {
        (version, name): cxml_dtd(name, version)
        for version, name in (
            ("1.2.037", "InvoiceDetail"),
            ("1.2.063", "Fulfill"),
            ("1.2.063", "cXML"),
        )
    }


def load(data):
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    return etree.fromstring(data, parser)


def assert_valid(dtds, data, version="1.2.037", dtd="InvoiceDetail"):
    """The exact prolog naming ``version``/``dtd``, the same version on the root, and valid."""
    assert data.startswith(cxml_prolog(dtd, version))
    root = load(data)
    assert root.get("version") == version
    validator = dtds[(version, dtd)]
    assert validator.validate(root), validator.error_log.filter_from_errors()
    return root


def eur(amount, currency="EUR"):
    return Money(Decimal(amount), currency)


def vat(rate, base, amount, currency="EUR", **values):
    return InvoiceTax(
        Decimal(rate),
        eur(base, currency),
        eur(amount, currency),
        description=values.pop("description", f"VAT {rate}%"),
        **values,
    )


SUPPLIER_ADDRESS = Address(
    name="Meridian Supplies B.V.",
    street=["Keizersgracht 1"],
    city="Amsterdam",
    postal_code="1015 CC",
    country_code="NL",
    country="Nederland",
    email="billing@meridian.example",
    phone="+31 20 1234567",
)
BUYER_ADDRESS = Address(
    name="Zinc GmbH",
    address_id="BT-1",
    deliver_to=["Accounts payable"],
    street=["An den Eichen 18", "Gebäude 2"],
    city="Solingen",
    postal_code="42699",
    country_code="DE",
    country="Deutschland",
    email="ap@zinc.example",
)


def make_invoice(currency="EUR", **values):
    """Two lines at 21 % and 9 % VAT; the second has a 10 % discount and a buyer part id."""
    defaults = {
        "invoice_id": "INV/2024/0042",
        "invoice_date": datetime(2024, 3, 4, tzinfo=CET),
        "order_id": "PO-2024-0042",
        "order_payload_id": "1709280000.1@buyer.example",
        "order_date": datetime(2024, 3, 1, 8, 0, tzinfo=CET),
        "partners": [
            InvoicePartner(
                "remitTo",
                "Meridian Supplies B.V.",
                SUPPLIER_ADDRESS,
                "billing@meridian.example",
                [("vatID", "NL859123456B01"), ("ibanID", "NL91ABNA0417164300")],
            ),
            InvoicePartner(
                "billTo", "Zinc GmbH", BUYER_ADDRESS, "ap@zinc.example", [("vatID", "DE123")]
            ),
        ],
        "items": [
            InvoiceItem(
                invoice_line_number=1,
                quantity=Decimal(2),
                unit_of_measure="C62",
                unit_price=eur("100.00", currency),
                subtotal=eur("200.00", currency),
                order_line_number=10,
                supplier_part_id="FURN-1",
                supplier_part_auxiliary_id="S00042/1",
                description="Office chair & <desk>",
                tax=vat("21", "200.00", "42.00", currency),
            ),
            InvoiceItem(
                invoice_line_number=2,
                quantity=Decimal("3"),
                unit_of_measure="KGM",
                unit_price=eur("9.00", currency),
                subtotal=eur("27.00", currency),
                order_line_number=20,
                supplier_part_id="COFFEE-1",
                buyer_part_id="B-778",
                description="Coffee beans",
                tax=vat("9", "27.00", "2.43", currency),
                gross_amount=eur("30.00", currency),
                discount_amount=eur("3.00", currency),
            ),
        ],
        "subtotal": eur("227.00", currency),
        "taxes": [vat("21", "200.00", "42.00", currency), vat("9", "27.00", "2.43", currency)],
        "total_tax": eur("44.43", currency),
        "gross_amount": eur("271.43", currency),
        "net_amount": eur("271.43", currency),
        "due_amount": eur("271.43", currency),
        "payment_term_days": 30,
        "comments": "Thank you for your order.",
        "extrinsics": {"CostCenter": "4711"},
    }
    return InvoiceDetailRequest(**{**defaults, **values})


def build(invoice, **kwargs):
    kwargs.setdefault("payload_id", "inv-1@meridian.example")
    kwargs.setdefault("timestamp", NOW)
    return cxml.build_invoice_detail_request(HEADER, invoice, **kwargs)


def amount(el, path):
    return Decimal(el.findtext(f"{path}/Money"))


# --- standard invoice --------------------------------------------------------------------------


def test_standard_invoice_is_valid_and_carries_the_invoice(dtds):
    invoice = make_invoice()
    root = assert_valid(dtds, build(invoice))
    assert root.get("payloadID") == "inv-1@meridian.example"
    assert root.findtext("Header/Sender/Credential/SharedSecret") == "s3cr3t&<Ä"
    assert root.find("Request").get("deploymentMode") == "production"
    request = root.find("Request/InvoiceDetailRequest")
    header = request.find("InvoiceDetailRequestHeader")
    assert header.attrib == {
        "invoiceID": "INV/2024/0042",
        "purpose": "standard",
        "operation": "new",
        "invoiceDate": "2024-03-04T00:00:00+01:00",
    }
    assert header.find("InvoiceDetailHeaderIndicator").attrib == {}
    assert header.find("InvoiceDetailLineIndicator").attrib == {"isTaxInLine": "yes"}
    assert header.find("DocumentReference") is None
    assert header.find("InvoiceIDInfo") is None
    assert header.find("InvoiceDetailPaymentTerm").attrib == {
        "payInNumberOfDays": "30",
        "percentageRate": "0",
    }
    assert header.findtext("Comments") == "Thank you for your order."
    assert header.find("Extrinsic[@name='CostCenter']").text == "4711"

    remit_to, bill_to = header.xpath("InvoicePartner")
    assert remit_to.find("Contact").get("role") == "remitTo"
    assert remit_to.findtext("Contact/Name") == "Meridian Supplies B.V."
    assert remit_to.findtext("Contact/PostalAddress/City") == "Amsterdam"
    assert remit_to.find("Contact/PostalAddress/Country").get("isoCountryCode") == "NL"
    assert remit_to.findtext("Contact/Phone/TelephoneNumber/Number") == "1234567"
    assert [(r.get("domain"), r.get("identifier")) for r in remit_to.iterfind("IdReference")] == [
        ("vatID", "NL859123456B01"),
        ("ibanID", "NL91ABNA0417164300"),
    ]
    bill_to = bill_to.find("Contact")
    assert bill_to.attrib == {"role": "billTo", "addressID": "BT-1"}
    assert bill_to.xpath("PostalAddress/Street/text()") == ["An den Eichen 18", "Gebäude 2"]
    assert bill_to.findtext("PostalAddress/DeliverTo") == "Accounts payable"

    order = request.find("InvoiceDetailOrder")
    reference = order.find("InvoiceDetailOrderInfo/OrderReference")
    assert reference.attrib == {
        "orderID": "PO-2024-0042",
        "orderDate": "2024-03-01T08:00:00+01:00",
    }
    assert reference.find("DocumentReference").get("payloadID") == "1709280000.1@buyer.example"

    lines = order.findall("InvoiceDetailItem")
    assert [(i.get("invoiceLineNumber"), i.get("quantity")) for i in lines] == [
        ("1", "2"),
        ("2", "3"),
    ]
    assert [i.find("InvoiceDetailItemReference").get("lineNumber") for i in lines] == [
        "10",
        "20",
    ]
    chair, coffee = lines
    assert chair.findtext("UnitOfMeasure") == "C62"
    assert chair.find("UnitPrice/Money").attrib == {"currency": "EUR"}
    assert amount(chair, "UnitPrice") == Decimal("100.00")
    assert chair.findtext("InvoiceDetailItemReference/ItemID/SupplierPartAuxiliaryID") == (
        "S00042/1"
    )
    assert chair.findtext("InvoiceDetailItemReference/Description") == "Office chair & <desk>"
    assert chair.find("InvoiceDetailDiscount") is None
    assert coffee.findtext("InvoiceDetailItemReference/ItemID/BuyerPartID") == "B-778"
    assert coffee.findtext("InvoiceDetailItemReference/ItemID/SupplierPartID") == "COFFEE-1"
    assert amount(coffee, "InvoiceDetailDiscount") == Decimal("3.00")
    for line in lines:
        quantity, price = Decimal(line.get("quantity")), amount(line, "UnitPrice")
        assert amount(line, "SubtotalAmount") == quantity * price
        detail = line.find("Tax/TaxDetail")
        taxed = amount(detail, "TaxableAmount") * Decimal(detail.get("percentageRate")) / 100
        assert amount(detail, "TaxAmount") == taxed.quantize(Decimal("0.01"))
        assert amount(line, "Tax") == amount(detail, "TaxAmount")
    assert [d.get("percentageRate") for d in order.iterfind(".//TaxDetail")] == ["21", "9"]

    summary = request.find("InvoiceDetailSummary")
    details = summary.findall("Tax/TaxDetail")
    assert [(d.get("category"), d.get("percentageRate")) for d in details] == [
        ("vat", "21"),
        ("vat", "9"),
    ]
    assert [d.findtext("Description") for d in details] == ["VAT 21%", "VAT 9%"]
    assert all(d.get("exemptDetail") is None for d in details)
    subtotal = amount(summary, "SubtotalAmount")
    assert subtotal == Decimal("227.00")
    assert subtotal == sum(amount(line, "SubtotalAmount") for line in lines)
    assert amount(summary, "Tax") == sum(amount(d, "TaxAmount") for d in details)
    assert amount(summary, "Tax") == Decimal("44.43")
    assert amount(summary, "GrossAmount") == subtotal + amount(summary, "Tax")
    assert amount(summary, "NetAmount") == amount(summary, "DueAmount") == Decimal("271.43")
    assert set(root.xpath("//Money/@currency")) == {"EUR"}


def test_standard_invoice_round_trip(dtds):
    invoice = make_invoice()
    data = build(invoice, deployment_mode="test", lang="de")
    assert_valid(dtds, data)
    env = cxml.parse_invoice_detail_request(data)
    assert env.request == invoice
    assert (env.payload_id, env.timestamp, env.request_name) == (
        "inv-1@meridian.example",
        NOW,
        "InvoiceDetailRequest",
    )
    assert (env.version, env.lang, env.deployment_mode) == ("1.2.037", "de", "test")
    assert env.header == HEADER


def test_missing_totals_are_computed_from_lines_and_taxes(dtds):
    invoice = make_invoice(
        subtotal=None, total_tax=None, gross_amount=None, net_amount=None, due_amount=None
    )
    root = assert_valid(dtds, build(invoice))
    summary = root.find("Request/InvoiceDetailRequest/InvoiceDetailSummary")
    line_subtotals = root.xpath("//InvoiceDetailItem/SubtotalAmount/Money/text()")
    assert amount(summary, "SubtotalAmount") == sum(Decimal(v) for v in line_subtotals)
    detail_taxes = summary.xpath("Tax/TaxDetail/TaxAmount/Money/text()")
    assert amount(summary, "Tax") == sum(Decimal(v) for v in detail_taxes)
    gross = amount(summary, "SubtotalAmount") + amount(summary, "Tax")
    assert amount(summary, "GrossAmount") == amount(summary, "NetAmount") == gross
    assert amount(summary, "DueAmount") == gross
    assert cxml.parse_invoice_detail_request(build(invoice)).request == make_invoice()


def test_foreign_currency(dtds):
    invoice = make_invoice("USD")
    root = assert_valid(dtds, build(invoice))
    assert set(root.xpath("//Money/@currency")) == {"USD"}
    summary = root.find("Request/InvoiceDetailRequest/InvoiceDetailSummary")
    assert summary.find("DueAmount/Money").attrib == {"currency": "USD"}
    assert cxml.parse_invoice_detail_request(build(invoice)).request == invoice


def test_order_without_payload_id_is_referenced_by_order_id(dtds):
    invoice = make_invoice(order_payload_id="", order_date=None)
    root = assert_valid(dtds, build(invoice))
    info = root.find(".//InvoiceDetailOrder/InvoiceDetailOrderInfo")
    assert info.find("OrderReference") is None
    assert info.find("OrderIDInfo").attrib == {"orderID": "PO-2024-0042"}
    assert cxml.parse_invoice_detail_request(build(invoice)).request == invoice


def test_line_without_order_line_number_refers_to_its_invoice_line(dtds):
    items = [replace(make_invoice().items[0], order_line_number=None, supplier_part_id="")]
    root = assert_valid(dtds, build(make_invoice(items=items, subtotal=None)))
    reference = root.find(".//InvoiceDetailItem/InvoiceDetailItemReference")
    assert reference.get("lineNumber") == "1"
    assert reference.findtext("ItemID/SupplierPartID") == ""
    assert reference.findtext("ItemID/SupplierPartAuxiliaryID") == "S00042/1"


def test_line_discount_from_gross_amount(dtds):
    coffee = replace(make_invoice().items[1], discount_amount=None)
    root = assert_valid(dtds, build(make_invoice(items=[coffee], subtotal=None)))
    line = root.find(".//InvoiceDetailItem")
    gross = Decimal("30.00")
    assert amount(line, "InvoiceDetailDiscount") == gross - amount(line, "SubtotalAmount")
    parsed = cxml.parse_invoice_detail_request(build(make_invoice(items=[coffee]))).request
    assert parsed.items[0].gross_amount == coffee.gross_amount
    assert parsed.items[0].discount_amount == Money(gross - Decimal("27.00"), "EUR")


def test_exempt_and_zero_rated_taxes(dtds):
    reverse_charge = vat(
        "0",
        "500.00",
        "0.00",
        description="",
        exempt_reason="Reverse charge: VAT to be paid by the recipient (Art. 196).",
    )
    zero_rated = vat("0", "40.00", "0.00", description="VAT 0% export")
    items = [
        InvoiceItem(1, Decimal(5), "C62", eur("100.00"), eur("500.00"), 1, tax=reverse_charge),
        InvoiceItem(2, Decimal(1), "C62", eur("40.00"), eur("40.00"), 2, tax=zero_rated),
    ]
    invoice = make_invoice(
        items=items,
        taxes=[reverse_charge, zero_rated],
        subtotal=eur("540.00"),
        total_tax=eur("0.00"),
        gross_amount=eur("540.00"),
        net_amount=eur("540.00"),
        due_amount=eur("540.00"),
    )
    root = assert_valid(dtds, build(invoice))
    details = root.findall(".//InvoiceDetailSummary/Tax/TaxDetail")
    assert [(d.get("percentageRate"), d.get("exemptDetail")) for d in details] == [
        ("0", "exempt"),
        ("0", "zeroRated"),
    ]
    assert details[0].findtext("Description") == reverse_charge.exempt_reason
    assert details[1].findtext("Description") == "VAT 0% export"
    line_detail = root.find(".//InvoiceDetailItem/Tax/TaxDetail")
    assert line_detail.get("exemptDetail") == "exempt"
    assert cxml.parse_invoice_detail_request(build(invoice)).request == invoice


# --- credit memos ------------------------------------------------------------------------------


def test_header_level_credit_memo(dtds):
    invoice = make_invoice(
        invoice_id="CN/2024/0007",
        purpose="creditMemo",
        original_invoice_id="INV/2024/0042",
        original_invoice_date=datetime(2024, 3, 4, tzinfo=CET),
    )
    root = assert_valid(dtds, build(invoice))
    request = root.find("Request/InvoiceDetailRequest")
    header = request.find("InvoiceDetailRequestHeader")
    assert header.get("purpose") == "creditMemo"
    assert header.find("InvoiceDetailHeaderIndicator").get("isHeaderInvoice") == "yes"
    assert header.find("InvoiceDetailLineIndicator").attrib == {}
    assert header.find("InvoiceIDInfo").attrib == {
        "invoiceID": "INV/2024/0042",
        "invoiceDate": "2024-03-04T00:00:00+01:00",
    }
    assert request.find("InvoiceDetailOrder") is None
    assert root.find(".//InvoiceDetailItem") is None
    order = request.find("InvoiceDetailHeaderOrder")
    assert order.find("InvoiceDetailOrderInfo/OrderReference").get("orderID") == "PO-2024-0042"
    order_summary = order.find("InvoiceDetailOrderSummary")
    summary = request.find("InvoiceDetailSummary")
    assert amount(summary, "DueAmount") < 0
    assert amount(summary, "SubtotalAmount") == -invoice.subtotal.amount
    assert amount(summary, "Tax") == -invoice.total_tax.amount
    for tag in ("SubtotalAmount", "Tax", "GrossAmount", "NetAmount"):
        assert amount(order_summary, tag) == amount(summary, tag)
    assert amount(summary, "GrossAmount") == (
        amount(summary, "SubtotalAmount") + amount(summary, "Tax")
    )
    # Credit is negative: every amount, including the per-rate tax details.
    assert all(Decimal(v) < 0 for v in root.xpath("//Money/text()"))
    assert summary.xpath("Tax/TaxDetail/@percentageRate") == ["21", "9"]

    parsed = cxml.parse_invoice_detail_request(build(invoice)).request
    assert parsed == replace(invoice, items=[])


def test_header_level_credit_memo_needs_no_lines(dtds):
    invoice = make_invoice(purpose="creditMemo", items=[])
    root = assert_valid(dtds, build(invoice))
    assert amount(root.find(".//InvoiceDetailSummary"), "DueAmount") == -Decimal("271.43")


def test_line_level_credit_memo(dtds):
    invoice = make_invoice(
        invoice_id="CN/2024/0008",
        purpose="lineLevelCreditMemo",
        original_invoice_id="INV/2024/0042",
        original_invoice_payload_id="inv-1@meridian.example",
    )
    root = assert_valid(dtds, build(invoice, payload_id="cn-1@meridian.example"))
    header = root.find(".//InvoiceDetailRequestHeader")
    assert header.get("purpose") == "lineLevelCreditMemo"
    assert header.find("InvoiceDetailHeaderIndicator").attrib == {}
    assert header.find("DocumentReference").get("payloadID") == "inv-1@meridian.example"
    assert header.find("InvoiceIDInfo").get("invoiceID") == "INV/2024/0042"
    lines = root.findall(".//InvoiceDetailOrder/InvoiceDetailItem")
    assert [Decimal(i.get("quantity")) for i in lines] == [-i.quantity for i in invoice.items]
    assert [amount(i, "UnitPrice") for i in lines] == [i.unit_price.amount for i in invoice.items]
    assert [amount(i, "SubtotalAmount") for i in lines] == [
        -i.subtotal.amount for i in invoice.items
    ]
    assert amount(lines[1], "InvoiceDetailDiscount") == -Decimal("3.00")
    for line in lines:
        # Still price x quantity, with the sign on the quantity.
        assert amount(line, "SubtotalAmount") == (
            Decimal(line.get("quantity")) * amount(line, "UnitPrice")
        )
    unit_prices = root.xpath("//UnitPrice/Money/text()")
    assert all(Decimal(v) > 0 for v in unit_prices)
    other_amounts = root.xpath("//Money[not(parent::UnitPrice)]/text()")
    assert other_amounts
    assert all(Decimal(v) < 0 for v in other_amounts)
    summary = root.find(".//InvoiceDetailSummary")
    assert amount(summary, "DueAmount") == -invoice.due_amount.amount
    assert amount(summary, "SubtotalAmount") == sum(amount(i, "SubtotalAmount") for i in lines)

    env = cxml.parse_invoice_detail_request(build(invoice))
    assert env.request == invoice


def test_cancelling_an_invoice(dtds):
    invoice = make_invoice(operation="delete", original_invoice_payload_id="inv-1@x.example")
    root = assert_valid(dtds, build(invoice))
    header = root.find(".//InvoiceDetailRequestHeader")
    assert header.get("operation") == "delete"
    assert header.find("DocumentReference").get("payloadID") == "inv-1@x.example"


# --- refused data ------------------------------------------------------------------------------


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


# --- stored documents: secret and version ------------------------------------------------------


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


# --- reading: refused and hostile documents ----------------------------------------------------


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
