"""The InvoiceDetailRequest (cXML 1.2.037, ``InvoiceDetail.dtd``): invoices and credit memos for
one buyer order, built for the buyer and read back by the simulator and the tests.
"""

from dataclasses import replace
from decimal import Decimal

from ..errors import MalformedDocument, NotAcceptable
from ..xml import DEFAULT_MAX_BYTES, add_element, attribute, find_text
from .documents import (
    CREDIT_PURPOSES,
    INVOICE_CXML_VERSION,
    INVOICE_OPERATIONS,
    INVOICE_PURPOSES,
    XML_LANG,
    Address,
    Envelope,
    InvoiceDetailRequest,
    InvoiceItem,
    InvoicePartner,
    InvoiceTax,
    Money,
)
from .reading import (
    _deployment_mode,
    _document_version,
    _load,
    _own_text,
    _parse_comments,
    _parse_extrinsics,
    _parse_header,
    _parse_int,
    _parse_money,
    _parse_phone,
    _postal_values,
    parse_amount,
    parse_datetime,
)
from .writing import (
    _add_extrinsics,
    _add_item_id,
    _add_money,
    _add_phone,
    _add_postal_address,
    _check_choice,
    _format_quantity,
    _request_document,
    _serialize,
    format_datetime,
)


def _signed(value, sign):
    """``value`` (a Decimal or Money) times ``sign`` (1 or -1); zero stays zero, not -0."""
    if value is None or sign > 0:
        return value
    if isinstance(value, Money):
        return Money(_signed(value.amount, sign), value.currency)
    return -value if value else value


def _invoice_money(parent, tag, sign, what, required=True):
    """The Money of ``parent/tag`` with the invoice's sign undone; None if absent and optional."""
    money = _parse_money(parent.find(tag) if parent is not None else None, f"{what} {tag}")
    if money is None and required:
        raise MalformedDocument(f"{what} has no {tag}/Money.")
    return _signed(money, sign)


def _parse_invoice_tax(el, sign, what):
    """``(total, details)`` of a Tax element: its Money and one InvoiceTax per TaxDetail."""
    if el is None:
        return None, []
    details = []
    for n, detail in enumerate(el.findall("TaxDetail"), 1):
        detail_what = f"{what} TaxDetail {n}"
        text = find_text(detail, "Description")
        exempt = attribute(detail, "exemptDetail") == "exempt"
        details.append(
            InvoiceTax(
                percentage=parse_amount(detail.get("percentageRate"), f"{detail_what} rate"),
                taxable_amount=_invoice_money(detail, "TaxableAmount", sign, detail_what),
                tax_amount=_invoice_money(detail, "TaxAmount", sign, detail_what),
                category=attribute(detail, "category"),
                description="" if exempt else text,
                exempt_reason=text if exempt else "",
                location=find_text(detail, "TaxLocation"),
            )
        )
    return _signed(_parse_money(el, f"{what} Tax"), sign), details


def _parse_invoice_partner(el):
    contact = el.find("Contact")
    if contact is None:
        raise MalformedDocument("An InvoicePartner has no Contact.")
    name, email = find_text(contact, "Name"), find_text(contact, "Email")
    postal, phone = contact.find("PostalAddress"), contact.find("Phone")
    address = None
    if postal is not None or phone is not None or attribute(contact, "addressID"):
        address = Address(
            name=name,
            address_id=attribute(contact, "addressID"),
            email=email,
            phone=_parse_phone(phone),
            **_postal_values(postal),
        )
    return InvoicePartner(
        role=attribute(contact, "role"),
        name=name,
        address=address,
        email=email,
        id_references=[
            (attribute(r, "domain"), attribute(r, "identifier")) for r in el.findall("IdReference")
        ],
    )


def _parse_invoice_item(el, sign, n):
    what = f"InvoiceDetailItem {n}"
    line_number = _parse_int(el.get("invoiceLineNumber"), f"{what} invoiceLineNumber")
    if line_number is None:
        raise MalformedDocument(f"{what} has no invoiceLineNumber.")
    if not (el.get("quantity") or "").strip():
        raise MalformedDocument(f"{what} has no quantity.")
    quantity = _signed(parse_amount(el.get("quantity"), f"{what} quantity"), sign)
    unit_price = _invoice_money(el, "UnitPrice", 1, what)
    subtotal = _invoice_money(el, "SubtotalAmount", sign, what, required=False)
    if subtotal is None:
        subtotal = Money(unit_price.amount * quantity, unit_price.currency)
    reference = el.find("InvoiceDetailItemReference")
    if reference is None:
        raise MalformedDocument(f"{what} has no InvoiceDetailItemReference.")
    item_id = reference.find("ItemID")
    _total, taxes = _parse_invoice_tax(el.find("Tax"), sign, what)
    discount = _invoice_money(el, "InvoiceDetailDiscount", sign, what, required=False)
    gross = discount_percent = None
    if discount is not None:
        gross = Money(subtotal.amount + discount.amount, subtotal.currency)
        rate = attribute(el.find("InvoiceDetailDiscount"), "percentageRate")
        discount_percent = parse_amount(rate, f"{what} percentageRate") if rate else None
    return InvoiceItem(
        invoice_line_number=line_number,
        quantity=quantity,
        unit_of_measure=find_text(el, "UnitOfMeasure"),
        unit_price=unit_price,
        subtotal=subtotal,
        order_line_number=_parse_int(reference.get("lineNumber"), f"{what} lineNumber"),
        supplier_part_id=find_text(item_id, "SupplierPartID"),
        supplier_part_auxiliary_id=find_text(item_id, "SupplierPartAuxiliaryID"),
        buyer_part_id=find_text(item_id, "BuyerPartID"),
        description=_own_text(reference.find("Description")),
        tax=taxes[0] if taxes else None,
        gross_amount=gross,
        discount_amount=discount,
        discount_percent=discount_percent,
    )


def _parse_invoice(el):
    header = el.find("InvoiceDetailRequestHeader")
    if header is None:
        raise MalformedDocument("The InvoiceDetailRequest has no InvoiceDetailRequestHeader.")
    invoice_id = attribute(header, "invoiceID")
    if not invoice_id:
        raise MalformedDocument("The InvoiceDetailRequestHeader has no invoiceID.")
    purpose = attribute(header, "purpose", "standard")
    if purpose not in INVOICE_PURPOSES:
        raise NotAcceptable(
            f"InvoiceDetailRequest purpose {purpose!r} is not supported "
            f"(expected one of {', '.join(INVOICE_PURPOSES)})."
        )
    sign = -1 if purpose in CREDIT_PURPOSES else 1
    orders = el.xpath(
        "(InvoiceDetailOrder|InvoiceDetailHeaderOrder)/InvoiceDetailOrderInfo"
        "/*[self::OrderReference or self::OrderIDInfo]"
    )
    order = orders[0] if orders else None
    order_id = attribute(order, "orderID")
    if not order_id:
        raise MalformedDocument(
            f"The invoice {invoice_id} has no OrderReference or OrderIDInfo with an orderID."
        )
    summary = el.find("InvoiceDetailSummary")
    if summary is None:
        raise MalformedDocument(f"The invoice {invoice_id} has no InvoiceDetailSummary.")
    what = "InvoiceDetailSummary"
    total_tax, taxes = _parse_invoice_tax(summary.find("Tax"), sign, what)
    original = header.find("InvoiceIDInfo")
    term = header.find("PaymentTerm")
    if term is None:
        term = header.find("InvoiceDetailPaymentTerm")  # deprecated, still sent by some
    items = el.findall("InvoiceDetailOrder/InvoiceDetailItem")
    return InvoiceDetailRequest(
        invoice_id=invoice_id,
        invoice_date=parse_datetime(header.get("invoiceDate"), "invoiceDate"),
        order_id=order_id,
        order_payload_id=attribute(order.find("DocumentReference"), "payloadID"),
        order_date=parse_datetime(order.get("orderDate"), "orderDate"),
        purpose=purpose,
        operation=attribute(header, "operation", "new"),
        original_invoice_id=attribute(original, "invoiceID"),
        original_invoice_date=parse_datetime(
            attribute(original, "invoiceDate"), "InvoiceIDInfo invoiceDate"
        ),
        partners=[_parse_invoice_partner(p) for p in header.findall("InvoicePartner")],
        items=[_parse_invoice_item(item, sign, n) for n, item in enumerate(items, 1)],
        subtotal=_invoice_money(summary, "SubtotalAmount", sign, what),
        taxes=taxes,
        total_tax=total_tax,
        gross_amount=_invoice_money(summary, "GrossAmount", sign, what, required=False),
        shipping_amount=_invoice_money(summary, "ShippingAmount", sign, what, required=False),
        net_amount=_invoice_money(summary, "NetAmount", sign, what),
        due_amount=_invoice_money(summary, "DueAmount", sign, what, required=False),
        payment_term_days=_parse_int(term.get("payInNumberOfDays"), "payInNumberOfDays")
        if term is not None
        else None,
        comments=_parse_comments(header),
        extrinsics=_parse_extrinsics(header),
        original_invoice_payload_id=attribute(header.find("DocumentReference"), "payloadID"),
    )


def parse_invoice_detail_request(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse an InvoiceDetailRequest (what ``build_invoice_detail_request`` sends: for the buyer
    simulator and tests).

    Returns an ``Envelope`` whose ``request`` is the ``InvoiceDetailRequest`` (payloadID,
    timestamp, header, deploymentMode and version on the envelope). Amounts and quantities of
    credit memos are turned back positive, as the builder takes them. Lines are read from every
    ``InvoiceDetailOrder``, the order reference from the first order; a header-level credit memo
    reads back without lines.

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``; also no
        payloadID, no InvoiceDetailRequest, no invoiceID, orderID or summary, unreadable amounts
    :raises NotAcceptable: a purpose not in INVOICE_PURPOSES
    """
    root = _load(data, max_bytes)
    payload_id = attribute(root, "payloadID")
    if not payload_id:
        raise MalformedDocument("The cXML document has no payloadID.")
    request_el = root.find("Request")
    el = request_el.find("InvoiceDetailRequest") if request_el is not None else None
    if el is None:
        raise MalformedDocument("The cXML document holds no InvoiceDetailRequest.")
    return Envelope(
        payload_id=payload_id,
        timestamp=parse_datetime(root.get("timestamp"), "cXML timestamp"),
        header=_parse_header(root),
        request_name=el.tag,
        request=_parse_invoice(el),
        deployment_mode=_deployment_mode(request_el, root),
        version=_document_version(root),
        lang=attribute(root, XML_LANG),
    )


def _complete_invoice_totals(invoice):
    """The invoice with missing totals computed; all amounts must share one currency."""
    currency = invoice.items[0].subtotal.currency if invoice.items else invoice.subtotal.currency
    subtotal = invoice.subtotal
    if subtotal is None:
        subtotal = Money(sum((i.subtotal.amount for i in invoice.items), Decimal(0)), currency)
    total_tax = invoice.total_tax
    if total_tax is None:
        total_tax = Money(sum((t.tax_amount.amount for t in invoice.taxes), Decimal(0)), currency)
    gross = invoice.gross_amount
    if gross is None:
        shipping = invoice.shipping_amount.amount if invoice.shipping_amount else Decimal(0)
        gross = Money(subtotal.amount + total_tax.amount + shipping, currency)
    net = invoice.net_amount if invoice.net_amount is not None else gross
    due = invoice.due_amount if invoice.due_amount is not None else net
    invoice = replace(
        invoice,
        subtotal=subtotal,
        total_tax=total_tax,
        gross_amount=gross,
        net_amount=net,
        due_amount=due,
    )
    taxes = invoice.taxes + [i.tax for i in invoice.items if i.tax]
    amounts = [subtotal, total_tax, gross, net, due, invoice.shipping_amount]
    amounts += [m for t in taxes for m in (t.taxable_amount, t.tax_amount)]
    for item in invoice.items:
        amounts += [item.unit_price, item.subtotal, item.gross_amount, item.discount_amount]
    currencies = sorted({m.currency for m in amounts if m is not None})
    if len(currencies) > 1:
        raise ValueError(
            f"The invoice {invoice.invoice_id} mixes currencies: {', '.join(currencies)}."
        )
    return invoice


def _add_invoice_tax(parent, total, details, sign, lang):
    """A Tax with its total and one TaxDetail per rate, amounts times ``sign``."""
    el = _add_money(parent, "Tax", _signed(total, sign))
    names = dict.fromkeys(t.description or t.exempt_reason for t in details)
    add_element(el, "Description", ", ".join(n for n in names if n) or "Tax", {XML_LANG: lang})
    for tax in details:
        if not tax.category:
            raise ValueError("A TaxDetail needs a category (e.g. vat).")
        exempt = "zeroRated" if not tax.percentage else None
        if tax.exempt_reason:
            exempt = "exempt"
        attrib = {
            "category": tax.category,
            "percentageRate": _format_quantity(tax.percentage),
            "exemptDetail": exempt,
        }
        detail = add_element(el, "TaxDetail", attrib=attrib)
        _add_money(detail, "TaxableAmount", _signed(tax.taxable_amount, sign))
        _add_money(detail, "TaxAmount", _signed(tax.tax_amount, sign))
        if tax.location:
            add_element(detail, "TaxLocation", tax.location, {XML_LANG: lang})
        text = tax.exempt_reason or tax.description
        if text:
            add_element(detail, "Description", text, {XML_LANG: lang})


def _add_invoice_partner(parent, partner, lang):
    address = partner.address
    if not partner.role:
        raise ValueError(f"The invoice partner {partner.name!r} needs a role.")
    name = partner.name or (address.name if address else "")
    if not name:
        raise ValueError(f"The invoice partner {partner.role} needs a name.")
    el = add_element(parent, "InvoicePartner")
    attrib = {"role": partner.role, "addressID": (address.address_id or None) if address else None}
    contact = add_element(el, "Contact", attrib=attrib)
    add_element(contact, "Name", name, {XML_LANG: lang})
    if address:
        _add_postal_address(contact, address)
    email = partner.email or (address.email if address else "")
    if email:
        add_element(contact, "Email", email)
    if address and address.phone:
        _add_phone(contact, address.phone, address.country_code)
    for domain, identifier in partner.id_references:
        add_element(el, "IdReference", attrib={"identifier": identifier, "domain": domain})


def _add_invoice_order_info(parent, invoice):
    """OrderReference when the order's payloadID is known, else OrderIDInfo."""
    info = add_element(parent, "InvoiceDetailOrderInfo")
    attrib = {
        "orderID": invoice.order_id,
        "orderDate": format_datetime(invoice.order_date) if invoice.order_date else None,
    }
    if invoice.order_payload_id:
        reference = add_element(info, "OrderReference", attrib=attrib)
        add_element(reference, "DocumentReference", attrib={"payloadID": invoice.order_payload_id})
    else:
        add_element(info, "OrderIDInfo", attrib=attrib)


def _add_invoice_item(parent, item, sign, lang):
    what = f"Invoice line {item.invoice_line_number}"
    if not item.unit_of_measure:
        raise ValueError(f"{what} needs a unit of measure.")
    attrib = {
        "invoiceLineNumber": str(item.invoice_line_number),
        "quantity": _format_quantity(_signed(item.quantity, sign)),
    }
    el = add_element(parent, "InvoiceDetailItem", attrib=attrib)
    add_element(el, "UnitOfMeasure", item.unit_of_measure)
    _add_money(el, "UnitPrice", item.unit_price)
    order_line = item.order_line_number
    reference = add_element(
        el,
        "InvoiceDetailItemReference",
        attrib={"lineNumber": str(item.invoice_line_number if order_line is None else order_line)},
    )
    if item.supplier_part_id or item.supplier_part_auxiliary_id or item.buyer_part_id:
        _add_item_id(
            reference, item.supplier_part_id, item.supplier_part_auxiliary_id, item.buyer_part_id
        )
    if item.description:
        add_element(reference, "Description", item.description, {XML_LANG: lang})
    _add_money(el, "SubtotalAmount", _signed(item.subtotal, sign))
    if item.tax:
        _add_invoice_tax(el, item.tax.tax_amount, [item.tax], sign, lang)
    discount = item.discount_amount
    if discount is None and item.gross_amount is not None:
        discount = Money(item.gross_amount.amount - item.subtotal.amount, item.subtotal.currency)
    if discount is not None and discount.amount:
        discount_el = _add_money(el, "InvoiceDetailDiscount", _signed(discount, sign))
        if item.discount_percent:
            discount_el.set("percentageRate", _format_quantity(item.discount_percent))


def build_invoice_detail_request(
    header, invoice, *, deployment_mode="production", payload_id=None, timestamp=None, lang="en"
):
    """An InvoiceDetailRequest (cXML 1.2.037, ``InvoiceDetail.dtd``) for one buyer order.

    ``standard`` invoices list the lines. Credit memos take the same positive values and are
    written with negative amounts (InvoiceDetail.dtd: negative amounts are credit; the DueAmount
    of a credit memo must be negative); unit prices and tax rates stay positive:

    - ``creditMemo``: header-level, as the DTD requires (``isHeaderInvoice="yes"``): an
      ``InvoiceDetailHeaderOrder`` with the order's totals and taxes, no lines;
    - ``lineLevelCreditMemo``: the lines with negative quantities and amounts; needs
      ``original_invoice_payload_id`` (DocumentReference to the credited invoice).

    Line taxes set ``isTaxInLine``; line discounts are informational (prices are net, and
    ``isDiscountInLine`` is not set, so the buyer does not deduct them again).

    :raises ValueError: no invoiceID, orderID or lines, an unknown purpose or operation, a
        missing original invoice payloadID where required, mixed currencies, incomplete lines
    """
    purpose = _check_choice(invoice.purpose, INVOICE_PURPOSES, "purpose")
    operation = _check_choice(invoice.operation, INVOICE_OPERATIONS, "operation")
    if not invoice.invoice_id:
        raise ValueError("An InvoiceDetailRequest needs an invoice number (invoiceID).")
    if not invoice.order_id:
        raise ValueError(f"The invoice {invoice.invoice_id} needs the buyer's order number.")
    if not invoice.items and not (purpose == "creditMemo" and invoice.subtotal is not None):
        raise ValueError(f"The invoice {invoice.invoice_id} needs at least one line.")
    numbers = [item.invoice_line_number for item in invoice.items]
    if len(set(numbers)) != len(numbers):
        raise ValueError(f"The invoice {invoice.invoice_id} repeats an invoice line number.")
    needs_original = purpose == "lineLevelCreditMemo" or operation == "delete"
    if needs_original and not invoice.original_invoice_payload_id:
        raise ValueError(
            f"The invoice {invoice.invoice_id} ({purpose}, {operation}) needs the payloadID of "
            "the original invoice document (original_invoice_payload_id)."
        )
    if invoice.payment_term_days is not None and invoice.payment_term_days < 0:
        raise ValueError(f"The invoice {invoice.invoice_id} has a negative payment term.")
    invoice = _complete_invoice_totals(invoice)
    sign = -1 if purpose in CREDIT_PURPOSES else 1
    header_level = purpose == "creditMemo"
    root, request = _request_document(
        header, deployment_mode, payload_id, timestamp, lang, INVOICE_CXML_VERSION
    )
    el = add_element(request, "InvoiceDetailRequest")
    attrib = {
        "invoiceID": invoice.invoice_id,
        "purpose": purpose,
        "operation": operation,
        "invoiceDate": format_datetime(invoice.invoice_date),
    }
    header_el = add_element(el, "InvoiceDetailRequestHeader", attrib=attrib)
    add_element(
        header_el,
        "InvoiceDetailHeaderIndicator",
        attrib={"isHeaderInvoice": "yes" if header_level else None},
    )
    tax_in_line = not header_level and any(item.tax for item in invoice.items)
    add_element(
        header_el,
        "InvoiceDetailLineIndicator",
        attrib={"isTaxInLine": "yes" if tax_in_line else None},
    )
    for partner in invoice.partners:
        _add_invoice_partner(header_el, partner, lang)
    if invoice.original_invoice_payload_id:
        reference = {"payloadID": invoice.original_invoice_payload_id}
        add_element(header_el, "DocumentReference", attrib=reference)
    if invoice.original_invoice_id:
        original_date = invoice.original_invoice_date
        original = {
            "invoiceID": invoice.original_invoice_id,
            "invoiceDate": format_datetime(original_date) if original_date else None,
        }
        add_element(header_el, "InvoiceIDInfo", attrib=original)
    if invoice.payment_term_days is not None:
        # PaymentTerm: InvoiceDetailPaymentTerm is deprecated (InvoiceDetail.dtd).
        term = {"payInNumberOfDays": str(int(invoice.payment_term_days))}
        add_element(header_el, "PaymentTerm", attrib=term)
    if invoice.comments:
        add_element(header_el, "Comments", invoice.comments, {XML_LANG: lang})
    _add_extrinsics(header_el, invoice.extrinsics)
    if header_level:
        order_el = add_element(el, "InvoiceDetailHeaderOrder")
        _add_invoice_order_info(order_el, invoice)
        order_summary = add_element(
            order_el, "InvoiceDetailOrderSummary", attrib={"invoiceLineNumber": "1"}
        )
        _add_money(order_summary, "SubtotalAmount", _signed(invoice.subtotal, sign))
        _add_invoice_tax(order_summary, invoice.total_tax, invoice.taxes, sign, lang)
        _add_money(order_summary, "GrossAmount", _signed(invoice.gross_amount, sign))
        _add_money(order_summary, "NetAmount", _signed(invoice.net_amount, sign))
    else:
        order_el = add_element(el, "InvoiceDetailOrder")
        _add_invoice_order_info(order_el, invoice)
        for item in invoice.items:
            _add_invoice_item(order_el, item, sign, lang)
    summary = add_element(el, "InvoiceDetailSummary")
    _add_money(summary, "SubtotalAmount", _signed(invoice.subtotal, sign))
    _add_invoice_tax(summary, invoice.total_tax, invoice.taxes, sign, lang)
    if invoice.shipping_amount is not None and invoice.shipping_amount.amount:
        _add_money(summary, "ShippingAmount", _signed(invoice.shipping_amount, sign))
    _add_money(summary, "GrossAmount", _signed(invoice.gross_amount, sign))
    _add_money(summary, "NetAmount", _signed(invoice.net_amount, sign))
    _add_money(summary, "DueAmount", _signed(invoice.due_amount, sign))
    return _serialize(root, dtd="InvoiceDetail")
