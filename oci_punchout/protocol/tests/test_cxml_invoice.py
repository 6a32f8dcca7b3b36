"""cXML invoices and credit memos (InvoiceDetailRequest, protocol/cxml/invoice.py) built valid
against InvoiceDetail.dtd 1.2.037 and read back; pytest, no Odoo.
"""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal

from cxml_invoice_common import (
    CET,
    HEADER,
    NOW,
    amount,
    assert_valid,
    build,
    eur,
    make_invoice,
    vat,
)
from protocol import cxml
from protocol.cxml import (
    InvoiceItem,
    Money,
)

XML_LANG_ATTR = "{http://www.w3.org/XML/1998/namespace}lang"


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
    # PaymentTerm: InvoiceDetail.dtd deprecates InvoiceDetailPaymentTerm.
    assert header.find("PaymentTerm").attrib == {"payInNumberOfDays": "30"}
    assert header.find("InvoiceDetailPaymentTerm") is None
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


def test_line_discount_carries_its_rate(dtds):
    coffee = replace(make_invoice().items[1], discount_percent=Decimal("10"))
    data = build(make_invoice(items=[coffee], subtotal=None))
    root = assert_valid(dtds, data)
    discount = root.find(".//InvoiceDetailItem/InvoiceDetailDiscount")
    assert discount.get("percentageRate") == "10"
    assert Decimal(discount.findtext("Money")) == Decimal("3.00")
    parsed = cxml.parse_invoice_detail_request(data).request
    assert parsed.items[0].discount_percent == Decimal("10")


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


def test_tax_location_and_payment_term_round_trip(dtds):
    invoice = make_invoice()
    invoice.taxes = [replace(tax, location="NL") for tax in invoice.taxes]
    root = assert_valid(dtds, build(invoice))
    locations = root.xpath("//InvoiceDetailSummary/Tax/TaxDetail/TaxLocation")
    assert [(el.text, el.get(XML_LANG_ATTR)) for el in locations] == [("NL", "en"), ("NL", "en")]
    read = cxml.parse_invoice_detail_request(build(invoice)).request
    assert [tax.location for tax in read.taxes] == ["NL", "NL"]
    assert read.payment_term_days == 30
    # An invoice in the deprecated form still reads (buyers' tests send such documents).
    old_form = build(invoice).replace(
        b'<PaymentTerm payInNumberOfDays="30"/>',
        b'<InvoiceDetailPaymentTerm payInNumberOfDays="45" percentageRate="0"/>',
    )
    assert cxml.parse_invoice_detail_request(old_form).request.payment_term_days == 45


def test_freight_is_the_summary_shipping_amount_not_an_item(dtds):
    invoice = make_invoice(
        shipping_amount=eur("12.50"), gross_amount=None, net_amount=None, due_amount=None
    )
    root = assert_valid(dtds, build(invoice))
    summary = root.find(".//InvoiceDetailSummary")
    subtotal = Decimal(summary.findtext("SubtotalAmount/Money"))
    tax = Decimal(summary.findtext("Tax/Money"))
    assert Decimal(summary.findtext("ShippingAmount/Money")) == Decimal("12.50")
    gross = subtotal + tax + Decimal("12.50")
    assert Decimal(summary.findtext("GrossAmount/Money")) == gross
    assert Decimal(summary.findtext("DueAmount/Money")) == gross
    # The items are the PO lines only.
    assert len(root.findall(".//InvoiceDetailItem")) == len(invoice.items)
    assert cxml.parse_invoice_detail_request(build(invoice)).request.shipping_amount == eur(
        "12.50"
    )
    # No freight: no ShippingAmount.
    assert assert_valid(dtds, build(make_invoice())).find(".//ShippingAmount") is None
