"""cXML 1.2: read buyers' documents into dataclasses, build ours from dataclasses.

Reading is liberal: timestamps with or without zone, amounts with currency signs or thousands
separators, stray namespaces, ``deploymentMode`` on the root instead of on ``Request``.
Writing is strict: every builder's output validates against the official 1.2.063 DTDs
(``cXML.dtd``, ``Fulfill.dtd`` for confirmations; invoices against 1.2.037 ``InvoiceDetail.dtd``),
is UTF-8 with a declaration and a DOCTYPE naming its own version, and never carries a
SharedSecret through the browser.
"""

import base64
import binascii
import os
import re
import secrets
import socket
import time
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_plus

from lxml import etree

from .errors import MalformedDocument, NotAcceptable, PunchoutProtocolError, UnsupportedRequest
from .xml import DEFAULT_MAX_BYTES, parse_xml, redact_elements

CXML_VERSION = "1.2.063"
INVOICE_CXML_VERSION = "1.2.037"
DTD_URL = "http://xml.cxml.org/schemas/cXML/{version}/{dtd}.dtd"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEFAULT_USER_AGENT = "Odoo oci_punchout"

STATUS_TEXTS = {
    200: "OK",
    201: "Accepted",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    406: "Not Acceptable",
    409: "Conflict",
    413: "Payload Too Large",
    450: "Not Implemented",
    500: "Internal Server Error",
}

SUPPORTED_REQUESTS = ("ProfileRequest", "PunchOutSetupRequest", "OrderRequest")
SETUP_OPERATIONS = ("create", "edit", "inspect", "source")
CART_OPERATIONS = ("create", "edit", "inspect")
ORDER_TYPES = ("new", "update", "delete")
DEPLOYMENT_MODES = ("production", "test")
CONFIRMATION_TYPES = (
    "accept",
    "allDetail",
    "detail",
    "backordered",
    "except",
    "reject",
    "requestToPay",
    "replace",
)
CONFIRMATION_STATUS_TYPES = (
    "accept",
    "allDetail",
    "detail",
    "backordered",
    "reject",
    "unknown",
    "requestToPay",
)
FORM_ENCODINGS = ("base64", "urlencoded")
# Amounts and quantities of 10^15 and more are refused (see _in_range).
MAX_NUMBER_DIGITS = 15
# creditMemo is a header-level credit (InvoiceDetail.dtd: isHeaderInvoice must be "yes", so no
# lines); lineLevelCreditMemo credits lines and must refer to the original invoice document.
INVOICE_PURPOSES = ("standard", "creditMemo", "lineLevelCreditMemo")
CREDIT_PURPOSES = ("creditMemo", "lineLevelCreditMemo")
INVOICE_OPERATIONS = ("new", "delete")


# --- dataclasses -------------------------------------------------------------------------------


@dataclass
class Credential:
    domain: str
    identity: str
    shared_secret: str | None = None

    def matches(self, identity, domain=None):
        """Same identity (and domain if given), both compared case-insensitively."""
        if self.identity.strip().lower() != (identity or "").strip().lower():
            return False
        return domain is None or self.domain.strip().lower() == domain.strip().lower()


@dataclass
class Header:
    from_credentials: list[Credential] = field(default_factory=list)
    to_credentials: list[Credential] = field(default_factory=list)
    sender_credentials: list[Credential] = field(default_factory=list)
    user_agent: str = ""

    @property
    def shared_secret(self):
        """The first SharedSecret of the Sender, or None."""
        return next((c.shared_secret for c in self.sender_credentials if c.shared_secret), None)


@dataclass
class Money:
    amount: Decimal
    currency: str


@dataclass
class Address:
    name: str = ""
    address_id: str = ""
    deliver_to: list[str] = field(default_factory=list)
    street: list[str] = field(default_factory=list)
    city: str = ""
    state: str = ""
    postal_code: str = ""
    country_code: str = ""
    country: str = ""
    email: str = ""
    phone: str = ""


@dataclass
class Contact:
    name: str = ""
    email: str = ""
    phone: str = ""
    role: str = ""
    address_id: str = ""


@dataclass
class SelectedItem:
    supplier_part_id: str
    supplier_part_auxiliary_id: str = ""
    buyer_part_id: str = ""


@dataclass
class Item:
    """One line: ``ItemIn`` in a cart message, ``ItemOut`` in setup and order requests."""

    quantity: Decimal
    supplier_part_id: str
    unit_price: Money | None = None
    line_number: int | None = None
    supplier_part_auxiliary_id: str = ""
    buyer_part_id: str = ""
    description: str = ""
    short_name: str = ""
    unit_of_measure: str = ""
    classifications: list[tuple[str, str]] = field(default_factory=list)
    manufacturer_part_id: str = ""
    manufacturer_name: str = ""
    url: str = ""
    lead_time: int | None = None
    requested_delivery_date: datetime | None = None
    comments: str = ""
    extrinsics: dict[str, str] = field(default_factory=dict)


ItemIn = Item
ItemOut = Item


@dataclass
class PunchOutSetupRequest:
    operation: str = "create"
    buyer_cookie: str = ""
    browser_form_post_url: str = ""
    supplier_setup_url: str = ""
    extrinsics: dict[str, str] = field(default_factory=dict)
    contact: Contact | None = None
    ship_to: Address | None = None
    selected_item: SelectedItem | None = None
    items: list[Item] = field(default_factory=list)


@dataclass
class OrderRequest:
    order_id: str
    order_date: datetime | None = None
    order_type: str = "new"
    order_version: int | None = None
    total: Money | None = None
    tax: Money | None = None
    shipping: Money | None = None
    ship_to: Address | None = None
    bill_to: Address | None = None
    contacts: list[Contact] = field(default_factory=list)
    comments: str = ""
    attachments: list[str] = field(default_factory=list)
    extrinsics: dict[str, str] = field(default_factory=dict)
    document_reference_payload_id: str = ""
    items: list[Item] = field(default_factory=list)


@dataclass
class PunchOutOrderMessage:
    buyer_cookie: str
    operation_allowed: str = "create"
    total: Money | None = None
    tax: Money | None = None
    shipping: Money | None = None
    items: list[Item] = field(default_factory=list)


@dataclass
class ConfirmationItem:
    """One confirmed order line; ``status_quantity`` defaults to ``quantity``."""

    line_number: int
    quantity: Decimal
    unit_of_measure: str
    status: str = "accept"
    status_quantity: Decimal | None = None
    unit_price: Money | None = None
    delivery_date: datetime | None = None
    shipment_date: datetime | None = None
    comments: str = ""


@dataclass
class ConfirmationRequest:
    order_id: str
    order_payload_id: str
    confirm_type: str = "accept"
    order_date: datetime | None = None
    notice_date: datetime | None = None
    confirm_id: str = ""
    operation: str = "new"
    total: Money | None = None
    comments: str = ""
    items: list[ConfirmationItem] = field(default_factory=list)


@dataclass
class InvoicePartner:
    """One ``InvoicePartner``: a Contact with a role (remitTo, billTo, soldTo, from...) and its
    ``IdReference``s as ``(domain, identifier)``, e.g. ``("vatID", "NL859...")``."""

    role: str
    name: str
    address: Address | None = None
    email: str = ""
    id_references: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class InvoiceTax:
    """One ``TaxDetail``. An exempt tax (``exempt_reason`` set) is written with
    ``exemptDetail="exempt"`` and the reason as its Description (``description`` is then not
    written); a 0 % rate without a reason is ``exemptDetail="zeroRated"``."""

    percentage: Decimal
    taxable_amount: Money
    tax_amount: Money
    category: str = "vat"
    description: str = ""
    exempt_reason: str = ""


@dataclass
class InvoiceItem:
    """One ``InvoiceDetailItem``. Prices and amounts are net (after discount) and positive even
    in a credit memo: the builder writes the signs. ``order_line_number`` defaults to
    ``invoice_line_number``. A discount (``discount_amount``, or ``gross_amount`` minus
    ``subtotal``) is written as an informational ``InvoiceDetailDiscount``; ``gross_amount``
    itself is not written (cXML's line GrossAmount means subtotal plus tax) and reads back as
    subtotal plus discount."""

    invoice_line_number: int
    quantity: Decimal
    unit_of_measure: str
    unit_price: Money
    subtotal: Money
    order_line_number: int | None = None
    supplier_part_id: str = ""
    supplier_part_auxiliary_id: str = ""
    buyer_part_id: str = ""
    description: str = ""
    tax: InvoiceTax | None = None
    gross_amount: Money | None = None
    discount_amount: Money | None = None


@dataclass
class InvoiceDetailRequest:
    """An invoice or credit memo (``purpose``, see INVOICE_PURPOSES). Totals left at None are
    computed by the builder: subtotal = sum of line subtotals, total_tax = sum of ``taxes``,
    gross = subtotal + tax, net = gross, due = net. ``original_invoice_payload_id`` (the
    payloadID of the InvoiceDetailRequest being credited or cancelled) is required for a
    lineLevelCreditMemo and for operation "delete"."""

    invoice_id: str
    invoice_date: datetime
    order_id: str
    order_payload_id: str = ""
    order_date: datetime | None = None
    purpose: str = "standard"
    operation: str = "new"
    original_invoice_id: str = ""
    original_invoice_date: datetime | None = None
    partners: list[InvoicePartner] = field(default_factory=list)
    items: list[InvoiceItem] = field(default_factory=list)
    subtotal: Money | None = None
    taxes: list[InvoiceTax] = field(default_factory=list)
    total_tax: Money | None = None
    gross_amount: Money | None = None
    net_amount: Money | None = None
    due_amount: Money | None = None
    payment_term_days: int | None = None
    comments: str = ""
    extrinsics: dict[str, str] = field(default_factory=dict)
    original_invoice_payload_id: str = ""


@dataclass
class Envelope:
    """A parsed cXML request. ``request`` is None for a ProfileRequest."""

    payload_id: str
    timestamp: datetime | None
    header: Header
    request_name: str
    request: PunchOutSetupRequest | OrderRequest | InvoiceDetailRequest | None = None
    deployment_mode: str = "production"
    version: str = ""
    lang: str = ""


@dataclass
class Response:
    """A parsed cXML Response (what a buyer's system or our server answered)."""

    status_code: int
    status_text: str
    message: str = ""
    payload_id: str = ""
    timestamp: datetime | None = None
    start_url: str = ""
    transactions: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self):
        return 200 <= self.status_code < 300


# --- reading helpers ---------------------------------------------------------------------------

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_NUMBER_JUNK = re.compile(r"[^\d,.\-]")
_VERSION_IN_URL = re.compile(r"/cXML/(\d+(?:\.\d+)+)/", re.IGNORECASE)


def _text(el):
    """All text inside ``el``, stripped; '' for None."""
    return "".join(el.itertext()).strip() if el is not None else ""


def _own_text(el):
    """Text directly inside ``el`` (not in its children), stripped; '' for None."""
    return "".join(el.xpath("text()")).strip() if el is not None else ""


def _find_text(parent, path):
    return _text(parent.find(path)) if parent is not None else ""


def _attr(el, name, default=""):
    return (el.get(name) or default).strip() if el is not None else default


def parse_datetime(value, what="date"):
    """ISO 8601 date or date-time, zone optional (aware if given, naive if not); None if empty.

    :raises MalformedDocument: a value that is not a date
    """
    value = (value or "").strip()
    if not value:
        return None
    match = _DATETIME.fullmatch(value)
    if not match:
        raise MalformedDocument(f"{what}: {value!r} is not an ISO 8601 date.")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    try:
        tz = None
        if zone and zone.upper() == "Z":
            tz = timezone.utc
        elif zone:
            digits = zone[1:].replace(":", "")
            offset = timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0))
            tz = timezone(-offset if zone[0] == "-" else offset)
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            int(second or 0),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=tz,
        )
    except ValueError as exc:
        raise MalformedDocument(f"{what}: {value!r} is not a valid date ({exc}).") from exc


def parse_amount(value, what="amount"):
    """A decimal number, tolerant of currency signs, spaces and thousands separators.

    '1,234.50', '$ 85.00', '85.00 EUR', '1.234,50' and '(5.00)' are all read.

    :raises MalformedDocument: empty or not a number
    """
    raw = (value or "").strip()
    try:
        number = Decimal(raw)
    except InvalidOperation:
        number = None
    if number is not None and number.is_finite():
        return _in_range(number, raw, what)
    negative = raw.startswith("(") and raw.endswith(")")
    cleaned = _NUMBER_JUNK.sub("", raw.replace("\u2212", "-"))
    if cleaned.startswith("-"):
        negative = True
    cleaned = cleaned.replace("-", "")
    if "," in cleaned and "." in cleaned:
        decimal_sep = "." if cleaned.rfind(".") > cleaned.rfind(",") else ","
        thousands_sep = "," if decimal_sep == "." else "."
        cleaned = cleaned.replace(thousands_sep, "").replace(decimal_sep, ".")
    elif "," in cleaned:
        parts = cleaned.split(",")
        is_decimal = len(parts) == 2 and len(parts[1]) != 3
        cleaned = ".".join(parts) if is_decimal else "".join(parts)
    elif cleaned.count(".") > 1:
        cleaned = cleaned.replace(".", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise MalformedDocument(f"{what}: {raw!r} is not a number.") from None
    if not number.is_finite():
        raise MalformedDocument(f"{what}: {raw!r} is not a number.")
    return _in_range(-number if negative else number, raw, what)


def _in_range(number, raw, what):
    """``number`` when its magnitude is below 10^15: larger amounts and quantities are no
    order's, and as floats they would become infinite in Odoo's fields."""
    if number and number.adjusted() >= MAX_NUMBER_DIGITS:
        raise MalformedDocument(f"{what}: {raw[:40]!r} is out of range.")
    return number


_WHOLE_NUMBER_RE = re.compile(r"[+-]?\d{1,12}(?:\.0*)?")


def _parse_int(value, what):
    value = (value or "").strip()
    if not value:
        return None
    if not _WHOLE_NUMBER_RE.fullmatch(value):
        raise MalformedDocument(f"{what}: {value[:40]!r} is not a whole number.")
    return int(Decimal(value))


def _strip_namespaces(root):
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = etree.QName(el).localname


def _load(data, max_bytes):
    root = parse_xml(data, max_bytes)
    _strip_namespaces(root)
    if root.tag != "cXML":
        raise MalformedDocument(
            f"The root element is <{root.tag}>; a <cXML> document was expected."
        )
    return root


def _deployment_mode(el, root):
    mode = _attr(el, "deploymentMode") or _attr(root, "deploymentMode")
    return "test" if mode.lower() == "test" else "production"


def _parse_credentials(parent, role, required):
    credentials = []
    for el in parent.findall("Credential") if parent is not None else ():
        secret = el.find("SharedSecret")
        credentials.append(
            Credential(
                domain=_attr(el, "domain"),
                identity=_find_text(el, "Identity"),
                shared_secret=_text(secret) if secret is not None else None,
            )
        )
    if required and not any(c.identity for c in credentials):
        raise MalformedDocument(f"The cXML Header has no {role} credential with an Identity.")
    return credentials


def _parse_header(root, required=True):
    el = root.find("Header")
    if el is None:
        if required:
            raise MalformedDocument("The cXML document has no Header.")
        return Header()
    return Header(
        from_credentials=_parse_credentials(el.find("From"), "From", required),
        to_credentials=_parse_credentials(el.find("To"), "To", False),
        sender_credentials=_parse_credentials(el.find("Sender"), "Sender", required),
        user_agent=_find_text(el, "Sender/UserAgent"),
    )


def _parse_money(parent, what):
    el = parent.find("Money") if parent is not None else None
    if el is None:
        return None
    return Money(parse_amount(_text(el), what), _attr(el, "currency").upper())


def _parse_phone(el):
    number = el.find("TelephoneNumber") if el is not None else None
    if number is None:
        return ""
    country = _find_text(number, "CountryCode")
    parts = [
        f"+{country.lstrip('+')}" if country else "",
        _find_text(number, "AreaOrCityCode"),
        _find_text(number, "Number"),
    ]
    extension = _find_text(number, "Extension")
    if extension:
        parts.append(f"ext. {extension}")
    return " ".join(p for p in parts if p)


def _postal_values(postal):
    """The Address fields held by a PostalAddress (empty ones for None)."""
    if postal is None:
        postal = etree.Element("PostalAddress")
    country = postal.find("Country")
    return {
        "deliver_to": [_text(d) for d in postal.findall("DeliverTo")],
        "street": [_text(s) for s in postal.findall("Street")],
        "city": _find_text(postal, "City"),
        "state": _find_text(postal, "State"),
        "postal_code": _find_text(postal, "PostalCode"),
        "country_code": _attr(country, "isoCountryCode").upper(),
        "country": _text(country),
    }


def _parse_address(parent):
    el = parent.find("Address") if parent is not None else None
    if el is None:
        return None
    values = _postal_values(el.find("PostalAddress"))
    values["country_code"] = values["country_code"] or _attr(el, "isoCountryCode").upper()
    return Address(
        name=_find_text(el, "Name"),
        address_id=_attr(el, "addressID"),
        email=_find_text(el, "Email"),
        phone=_parse_phone(el.find("Phone")),
        **values,
    )


def _parse_contact(el):
    return Contact(
        name=_find_text(el, "Name"),
        email=_find_text(el, "Email"),
        phone=_parse_phone(el.find("Phone")),
        role=_attr(el, "role"),
        address_id=_attr(el, "addressID"),
    )


def _parse_extrinsics(parent):
    if parent is None:
        return {}
    return {_attr(e, "name"): _text(e) for e in parent.findall("Extrinsic") if _attr(e, "name")}


def _parse_comments(parent):
    return "\n".join(t for t in (_own_text(c) for c in parent.findall("Comments")) if t)


def _parse_item(el, what):
    item_id = el.find("ItemID")
    supplier_part_id = _find_text(item_id, "SupplierPartID")
    if not supplier_part_id:
        raise MalformedDocument(f"{what} has no ItemID/SupplierPartID.")
    quantity = el.get("quantity")
    if not (quantity or "").strip():
        raise MalformedDocument(f"{what} has no quantity.")
    detail = el.find("ItemDetail")
    description = detail.find("Description") if detail is not None else None
    classifications = detail.findall("Classification") if detail is not None else []
    lead_time = re.search(r"\d+", _find_text(detail, "LeadTime"))
    return Item(
        quantity=parse_amount(quantity, f"{what} quantity"),
        supplier_part_id=supplier_part_id,
        unit_price=_parse_money(detail.find("UnitPrice") if detail is not None else None, what),
        line_number=_parse_int(el.get("lineNumber"), f"{what} lineNumber"),
        supplier_part_auxiliary_id=_find_text(item_id, "SupplierPartAuxiliaryID"),
        buyer_part_id=_find_text(item_id, "BuyerPartID"),
        description=_own_text(description),
        short_name=_find_text(description, "ShortName"),
        unit_of_measure=_find_text(detail, "UnitOfMeasure"),
        classifications=[
            (_attr(c, "domain"), _text(c) or _attr(c, "code")) for c in classifications
        ],
        manufacturer_part_id=_find_text(detail, "ManufacturerPartID"),
        manufacturer_name=_find_text(detail, "ManufacturerName"),
        url=_find_text(detail, "URL"),
        lead_time=int(lead_time.group()) if lead_time else None,
        requested_delivery_date=parse_datetime(
            el.get("requestedDeliveryDate"), f"{what} requestedDeliveryDate"
        ),
        comments=_parse_comments(el),
        extrinsics={**_parse_extrinsics(detail), **_parse_extrinsics(el)},
    )


def _parse_items(parent, tag):
    return [_parse_item(el, f"{tag} {n}") for n, el in enumerate(parent.findall(tag), 1)]


def _parse_setup_request(el):
    operation = _attr(el, "operation", "create").lower()
    if operation not in SETUP_OPERATIONS:
        raise NotAcceptable(
            f"PunchOutSetupRequest operation {operation!r} is not supported "
            f"(expected one of {', '.join(SETUP_OPERATIONS)})."
        )
    cookie = el.find("BuyerCookie")
    if cookie is None:
        raise MalformedDocument("The PunchOutSetupRequest has no BuyerCookie.")
    contact = el.find("Contact")
    selected = el.find("SelectedItem/ItemID")
    return PunchOutSetupRequest(
        operation=operation,
        buyer_cookie=_text(cookie),
        browser_form_post_url=_find_text(el, "BrowserFormPost/URL"),
        supplier_setup_url=_find_text(el, "SupplierSetup/URL"),
        extrinsics=_parse_extrinsics(el),
        contact=_parse_contact(contact) if contact is not None else None,
        ship_to=_parse_address(el.find("ShipTo")),
        selected_item=SelectedItem(
            supplier_part_id=_find_text(selected, "SupplierPartID"),
            supplier_part_auxiliary_id=_find_text(selected, "SupplierPartAuxiliaryID"),
            buyer_part_id=_find_text(selected, "BuyerPartID"),
        )
        if selected is not None
        else None,
        items=_parse_items(el, "ItemOut"),
    )


def _parse_order_request(el):
    header = el.find("OrderRequestHeader")
    if header is None:
        raise MalformedDocument("The OrderRequest has no OrderRequestHeader.")
    order_id = _attr(header, "orderID")
    if not order_id:
        raise MalformedDocument("The OrderRequestHeader has no orderID.")
    order_type = _attr(header, "type", "new").lower()
    if order_type not in ORDER_TYPES:
        raise MalformedDocument(
            f"OrderRequestHeader type {order_type!r} is not one of {', '.join(ORDER_TYPES)}."
        )
    items = _parse_items(el, "ItemOut")
    if not items:
        raise MalformedDocument(f"The OrderRequest {order_id} has no ItemOut lines.")
    reference = header.find("DocumentReference")
    comments = header.findall("Comments")
    return OrderRequest(
        order_id=order_id,
        order_date=parse_datetime(header.get("orderDate"), "OrderRequestHeader orderDate"),
        order_type=order_type,
        order_version=_parse_int(header.get("orderVersion"), "OrderRequestHeader orderVersion"),
        total=_parse_money(header.find("Total"), "OrderRequestHeader Total"),
        tax=_parse_money(header.find("Tax"), "OrderRequestHeader Tax"),
        shipping=_parse_money(header.find("Shipping"), "OrderRequestHeader Shipping"),
        ship_to=_parse_address(header.find("ShipTo")),
        bill_to=_parse_address(header.find("BillTo")),
        contacts=[_parse_contact(c) for c in header.findall("Contact")],
        comments=_parse_comments(header),
        attachments=[_find_text(a, "URL") for c in comments for a in c.findall("Attachment")],
        extrinsics=_parse_extrinsics(header),
        document_reference_payload_id=_attr(reference, "payloadID"),
        items=items,
    )


def _document_version(root):
    """The cXML version the document declares: its ``version``, else its DOCTYPE's; or ''."""
    version = _attr(root, "version")
    if not version:
        match = _VERSION_IN_URL.search(root.getroottree().docinfo.system_url or "")
        version = match.group(1) if match else ""
    return version


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
        text = _find_text(detail, "Description")
        exempt = _attr(detail, "exemptDetail") == "exempt"
        details.append(
            InvoiceTax(
                percentage=parse_amount(detail.get("percentageRate"), f"{detail_what} rate"),
                taxable_amount=_invoice_money(detail, "TaxableAmount", sign, detail_what),
                tax_amount=_invoice_money(detail, "TaxAmount", sign, detail_what),
                category=_attr(detail, "category"),
                description="" if exempt else text,
                exempt_reason=text if exempt else "",
            )
        )
    return _signed(_parse_money(el, f"{what} Tax"), sign), details


def _parse_invoice_partner(el):
    contact = el.find("Contact")
    if contact is None:
        raise MalformedDocument("An InvoicePartner has no Contact.")
    name, email = _find_text(contact, "Name"), _find_text(contact, "Email")
    postal, phone = contact.find("PostalAddress"), contact.find("Phone")
    address = None
    if postal is not None or phone is not None or _attr(contact, "addressID"):
        address = Address(
            name=name,
            address_id=_attr(contact, "addressID"),
            email=email,
            phone=_parse_phone(phone),
            **_postal_values(postal),
        )
    return InvoicePartner(
        role=_attr(contact, "role"),
        name=name,
        address=address,
        email=email,
        id_references=[
            (_attr(r, "domain"), _attr(r, "identifier")) for r in el.findall("IdReference")
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
    gross = None
    if discount is not None:
        gross = Money(subtotal.amount + discount.amount, subtotal.currency)
    return InvoiceItem(
        invoice_line_number=line_number,
        quantity=quantity,
        unit_of_measure=_find_text(el, "UnitOfMeasure"),
        unit_price=unit_price,
        subtotal=subtotal,
        order_line_number=_parse_int(reference.get("lineNumber"), f"{what} lineNumber"),
        supplier_part_id=_find_text(item_id, "SupplierPartID"),
        supplier_part_auxiliary_id=_find_text(item_id, "SupplierPartAuxiliaryID"),
        buyer_part_id=_find_text(item_id, "BuyerPartID"),
        description=_own_text(reference.find("Description")),
        tax=taxes[0] if taxes else None,
        gross_amount=gross,
        discount_amount=discount,
    )


def _parse_invoice(el):
    header = el.find("InvoiceDetailRequestHeader")
    if header is None:
        raise MalformedDocument("The InvoiceDetailRequest has no InvoiceDetailRequestHeader.")
    invoice_id = _attr(header, "invoiceID")
    if not invoice_id:
        raise MalformedDocument("The InvoiceDetailRequestHeader has no invoiceID.")
    purpose = _attr(header, "purpose", "standard")
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
    order_id = _attr(order, "orderID")
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
    term = header.find("InvoiceDetailPaymentTerm")
    items = el.findall("InvoiceDetailOrder/InvoiceDetailItem")
    return InvoiceDetailRequest(
        invoice_id=invoice_id,
        invoice_date=parse_datetime(header.get("invoiceDate"), "invoiceDate"),
        order_id=order_id,
        order_payload_id=_attr(order.find("DocumentReference"), "payloadID"),
        order_date=parse_datetime(order.get("orderDate"), "orderDate"),
        purpose=purpose,
        operation=_attr(header, "operation", "new"),
        original_invoice_id=_attr(original, "invoiceID"),
        original_invoice_date=parse_datetime(
            _attr(original, "invoiceDate"), "InvoiceIDInfo invoiceDate"
        ),
        partners=[_parse_invoice_partner(p) for p in header.findall("InvoicePartner")],
        items=[_parse_invoice_item(item, sign, n) for n, item in enumerate(items, 1)],
        subtotal=_invoice_money(summary, "SubtotalAmount", sign, what),
        taxes=taxes,
        total_tax=total_tax,
        gross_amount=_invoice_money(summary, "GrossAmount", sign, what, required=False),
        net_amount=_invoice_money(summary, "NetAmount", sign, what),
        due_amount=_invoice_money(summary, "DueAmount", sign, what, required=False),
        payment_term_days=_parse_int(term.get("payInNumberOfDays"), "payInNumberOfDays")
        if term is not None
        else None,
        comments=_parse_comments(header),
        extrinsics=_parse_extrinsics(header),
        original_invoice_payload_id=_attr(header.find("DocumentReference"), "payloadID"),
    )


_REQUEST_PARSERS = {
    "ProfileRequest": lambda el: None,
    "PunchOutSetupRequest": _parse_setup_request,
    "OrderRequest": _parse_order_request,
}


# --- parsers -----------------------------------------------------------------------------------


def parse_request(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a cXML request posted to us (ProfileRequest, PunchOutSetupRequest, OrderRequest).

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``; also a
        wrong root, no payloadID, no From/Sender credential, not exactly one request
    :raises UnsupportedRequest: any other request (or a Message) (cXML 450)
    :raises NotAcceptable: an unknown PunchOutSetupRequest operation (cXML 406)
    """
    root = _load(data, max_bytes)
    payload_id = _attr(root, "payloadID")
    if not payload_id:
        raise MalformedDocument("The cXML document has no payloadID.")
    requests = root.findall("Request")
    if not requests:
        message = root.find("Message")
        if message is not None and len(message):
            raise UnsupportedRequest(f"cXML {message[-1].tag} messages are not accepted here.")
        if root.find("Response") is not None:
            raise MalformedDocument("The document is a cXML Response; a Request was expected.")
        raise MalformedDocument("The cXML document has no Request.")
    if len(requests) > 1:
        raise MalformedDocument("The cXML document has more than one Request.")
    request_el = requests[0]
    if len(request_el) != 1:
        raise MalformedDocument("The cXML Request must hold exactly one request element.")
    header = _parse_header(root)
    body = request_el[0]
    if body.tag not in _REQUEST_PARSERS:
        raise UnsupportedRequest(
            f"cXML {body.tag} is not supported here (supported: {', '.join(SUPPORTED_REQUESTS)})."
        )
    return Envelope(
        payload_id=payload_id,
        timestamp=parse_datetime(root.get("timestamp"), "cXML timestamp"),
        header=header,
        request_name=body.tag,
        request=_REQUEST_PARSERS[body.tag](body),
        deployment_mode=_deployment_mode(request_el, root),
        version=_document_version(root),
        lang=_attr(root, XML_LANG),
    )


def parse_punchout_order_message(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a PunchOutOrderMessage (the cart a supplier returns through the browser).

    :raises MalformedDocument: no Message/PunchOutOrderMessage, or unreadable lines
    """
    root = _load(data, max_bytes)
    el = root.find("Message/PunchOutOrderMessage")
    if el is None:
        raise MalformedDocument("The cXML document holds no PunchOutOrderMessage.")
    header = el.find("PunchOutOrderMessageHeader")
    return PunchOutOrderMessage(
        buyer_cookie=_find_text(el, "BuyerCookie"),
        operation_allowed=_attr(header, "operationAllowed", "create").lower(),
        total=_parse_money(header.find("Total") if header is not None else None, "Total"),
        tax=_parse_money(header.find("Tax") if header is not None else None, "Tax"),
        shipping=_parse_money(header.find("Shipping") if header is not None else None, "Shipping"),
        items=_parse_items(el, "ItemIn"),
    )


def parse_response(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a cXML Response: its Status, and the start URL or profile transactions it holds.

    :raises MalformedDocument: no Response/Status or no status code
    """
    root = _load(data, max_bytes)
    status = root.find("Response/Status")
    if status is None:
        raise MalformedDocument("The cXML document holds no Response/Status.")
    code = _parse_int(status.get("code"), "Status code")
    if code is None:
        raise MalformedDocument("The cXML Status has no code.")
    transactions = root.findall("Response/ProfileResponse/Transaction")
    return Response(
        status_code=code,
        status_text=_attr(status, "text"),
        message=_text(status),
        payload_id=_attr(root, "payloadID"),
        timestamp=parse_datetime(root.get("timestamp"), "cXML timestamp"),
        start_url=_find_text(root, "Response/PunchOutSetupResponse/StartPage/URL"),
        transactions=[(_attr(t, "requestName"), _find_text(t, "URL")) for t in transactions],
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
    payload_id = _attr(root, "payloadID")
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
        lang=_attr(root, XML_LANG),
    )


# --- writing helpers ---------------------------------------------------------------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_PHONE = re.compile(r"\+(\d+)[\s/.-]*(?:\((\d+)\)|(\d+)(?=[\s/.-]))?[\s/.-]*(.*)")


def make_payload_id():
    """A unique payloadID: ``<epoch ms>.<pid>.<random>@<hostname>``."""
    host = socket.gethostname() or "localhost"
    return f"{int(time.time() * 1000)}.{os.getpid()}.{secrets.token_hex(6)}@{host}"


def format_datetime(value=None):
    """ISO 8601 with zone, seconds precision; naive values are taken as UTC, None is now."""
    if value is None:
        value = datetime.now(timezone.utc)
    elif not isinstance(value, datetime) and isinstance(value, date):
        value = datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.isoformat(timespec="seconds")


def _format_quantity(value):
    return format(Decimal(str(value)).normalize(), "f")


def _format_amount(value):
    return format(Decimal(str(value)), "f")


def _sub(parent, tag, text=None, attrib=None):
    """Add a child; attributes whose value is None are left out, text is cleaned for XML."""
    el = etree.SubElement(parent, tag)
    for name, value in (attrib or {}).items():
        if value is not None:
            el.set(name, _XML_INVALID.sub("", str(value)))
    if text is not None:
        el.text = _XML_INVALID.sub("", str(text))
    return el


def _check_choice(value, choices, what):
    if value not in choices:
        raise ValueError(f"{what} {value!r} is not one of {', '.join(choices)}.")
    return value


def _document(payload_id, timestamp, lang, version=CXML_VERSION):
    root = etree.Element("cXML")
    root.set("payloadID", payload_id or make_payload_id())
    root.set("timestamp", format_datetime(timestamp))
    root.set("version", version)
    root.set(XML_LANG, lang)
    return root


def _serialize(root, dtd="cXML", version=None):
    """The document bytes; the DOCTYPE names ``version``, else the root's own, else ours."""
    version = version or root.get("version") or CXML_VERSION
    url = DTD_URL.format(version=version, dtd=dtd)
    prolog = f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE cXML SYSTEM "{url}">\n'
    return prolog.encode() + etree.tostring(
        root, encoding="UTF-8", xml_declaration=False, pretty_print=True
    )


def _add_header(root, header, with_secret):
    el = _sub(root, "Header")
    roles = (
        ("From", header.from_credentials),
        ("To", header.to_credentials),
        ("Sender", header.sender_credentials),
    )
    for role, credentials in roles:
        if not credentials:
            raise ValueError(f"The cXML Header needs at least one {role} credential.")
        parent = _sub(el, role)
        for credential in credentials:
            cred_el = _sub(parent, "Credential", attrib={"domain": credential.domain})
            _sub(cred_el, "Identity", credential.identity)
            if with_secret and role == "Sender" and credential.shared_secret:
                _sub(cred_el, "SharedSecret", credential.shared_secret)
    _sub(el.find("Sender"), "UserAgent", header.user_agent or DEFAULT_USER_AGENT)


def _request_document(header, deployment_mode, payload_id, timestamp, lang, version=CXML_VERSION):
    root = _document(payload_id, timestamp, lang, version)
    _add_header(root, header, with_secret=True)
    mode = _check_choice(deployment_mode, DEPLOYMENT_MODES, "deploymentMode")
    return root, _sub(root, "Request", attrib={"deploymentMode": mode})


def _response_document(status_code, status_text, message, payload_id, timestamp, lang):
    root = _document(payload_id, timestamp, lang)
    response = _sub(root, "Response")
    text = status_text or STATUS_TEXTS.get(int(status_code)) or str(status_code)
    attrib = {"code": str(int(status_code)), "text": text, XML_LANG: lang if message else None}
    _sub(response, "Status", message or None, attrib)
    return root, response


def _add_money(parent, tag, money):
    wrapper = _sub(parent, tag)
    _sub(wrapper, "Money", _format_amount(money.amount), {"currency": money.currency})
    return wrapper


def _add_extrinsics(parent, extrinsics):
    for name, value in (extrinsics or {}).items():
        _sub(parent, "Extrinsic", value, {"name": name})


def _add_phone(parent, phone, country_code):
    match = _PHONE.fullmatch(phone.strip())
    if match:
        dial, area_parens, area, number = match.groups()
        area = area_parens or area or ""
    else:
        dial, area, number = "", "", phone.strip()
    telephone = _sub(_sub(parent, "Phone"), "TelephoneNumber")
    _sub(telephone, "CountryCode", dial or "", {"isoCountryCode": country_code or ""})
    _sub(telephone, "AreaOrCityCode", area)
    _sub(telephone, "Number", number)


def _add_postal_address(parent, address):
    """A PostalAddress, if the address has any of its parts."""
    if not (address.street or address.city or address.postal_code or address.country_code):
        return
    postal = _sub(parent, "PostalAddress")
    for line in address.deliver_to:
        _sub(postal, "DeliverTo", line)
    for line in address.street or [""]:
        _sub(postal, "Street", line)
    _sub(postal, "City", address.city)
    if address.state:
        _sub(postal, "State", address.state)
    if address.postal_code:
        _sub(postal, "PostalCode", address.postal_code)
    country = address.country or address.country_code
    _sub(postal, "Country", country, {"isoCountryCode": address.country_code})


def _add_address(parent, tag, address, lang):
    el = _sub(_sub(parent, tag), "Address", attrib={"addressID": address.address_id or None})
    _sub(el, "Name", address.name, {XML_LANG: lang})
    _add_postal_address(el, address)
    if address.email:
        _sub(el, "Email", address.email)
    if address.phone:
        _add_phone(el, address.phone, address.country_code)


def _add_contact(parent, contact, lang):
    attrib = {"role": contact.role or None, "addressID": contact.address_id or None}
    el = _sub(parent, "Contact", attrib=attrib)
    _sub(el, "Name", contact.name, {XML_LANG: lang})
    if contact.email:
        _sub(el, "Email", contact.email)
    if contact.phone:
        _add_phone(el, contact.phone, "")


def _add_item_id(parent, supplier_part_id, auxiliary_id, buyer_part_id):
    el = _sub(parent, "ItemID")
    _sub(el, "SupplierPartID", supplier_part_id)
    if auxiliary_id:
        _sub(el, "SupplierPartAuxiliaryID", auxiliary_id)
    if buyer_part_id:
        _sub(el, "BuyerPartID", buyer_part_id)


def _add_item(parent, tag, item, line_number, lang):
    what = f"{tag} {line_number} ({item.supplier_part_id or 'no SupplierPartID'})"
    if not item.supplier_part_id:
        raise ValueError(f"{what} needs a SupplierPartID.")
    if item.unit_price is None:
        raise ValueError(f"{what} needs a unit price.")
    if not item.unit_of_measure:
        raise ValueError(f"{what} needs a unit of measure.")
    if not item.classifications:
        raise ValueError(f"{what} needs at least one classification.")
    attrib = {"quantity": _format_quantity(item.quantity), "lineNumber": str(line_number)}
    if tag == "ItemOut" and item.requested_delivery_date:
        attrib["requestedDeliveryDate"] = format_datetime(item.requested_delivery_date)
    el = _sub(parent, tag, attrib=attrib)
    _add_item_id(el, item.supplier_part_id, item.supplier_part_auxiliary_id, item.buyer_part_id)
    detail = _sub(el, "ItemDetail")
    _add_money(detail, "UnitPrice", item.unit_price)
    description = _sub(detail, "Description", item.description, {XML_LANG: lang})
    if item.short_name:
        _sub(description, "ShortName", item.short_name)
    _sub(detail, "UnitOfMeasure", item.unit_of_measure)
    for domain, code in item.classifications:
        _sub(detail, "Classification", code, {"domain": domain})
    if item.manufacturer_part_id:
        _sub(detail, "ManufacturerPartID", item.manufacturer_part_id)
    if item.manufacturer_name:
        _sub(detail, "ManufacturerName", item.manufacturer_name, {XML_LANG: lang})
    if item.url:
        _sub(detail, "URL", item.url)
    if item.lead_time is not None:
        _sub(detail, "LeadTime", str(int(item.lead_time)))
    _add_extrinsics(detail, item.extrinsics)
    if item.comments:
        _sub(el, "Comments", item.comments, {XML_LANG: lang})


def _add_charge(parent, tag, money, lang):
    """Shipping or Tax: Money plus the Description the DTD requires."""
    _sub(_add_money(parent, tag, money), "Description", tag, {XML_LANG: lang})


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
        gross = Money(subtotal.amount + total_tax.amount, currency)
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
    amounts = [subtotal, total_tax, gross, net, due]
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
    _sub(el, "Description", ", ".join(n for n in names if n) or "Tax", {XML_LANG: lang})
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
        detail = _sub(el, "TaxDetail", attrib=attrib)
        _add_money(detail, "TaxableAmount", _signed(tax.taxable_amount, sign))
        _add_money(detail, "TaxAmount", _signed(tax.tax_amount, sign))
        text = tax.exempt_reason or tax.description
        if text:
            _sub(detail, "Description", text, {XML_LANG: lang})


def _add_invoice_partner(parent, partner, lang):
    address = partner.address
    if not partner.role:
        raise ValueError(f"The invoice partner {partner.name!r} needs a role.")
    name = partner.name or (address.name if address else "")
    if not name:
        raise ValueError(f"The invoice partner {partner.role} needs a name.")
    el = _sub(parent, "InvoicePartner")
    attrib = {"role": partner.role, "addressID": (address.address_id or None) if address else None}
    contact = _sub(el, "Contact", attrib=attrib)
    _sub(contact, "Name", name, {XML_LANG: lang})
    if address:
        _add_postal_address(contact, address)
    email = partner.email or (address.email if address else "")
    if email:
        _sub(contact, "Email", email)
    if address and address.phone:
        _add_phone(contact, address.phone, address.country_code)
    for domain, identifier in partner.id_references:
        _sub(el, "IdReference", attrib={"identifier": identifier, "domain": domain})


def _add_invoice_order_info(parent, invoice):
    """OrderReference when the order's payloadID is known, else OrderIDInfo."""
    info = _sub(parent, "InvoiceDetailOrderInfo")
    attrib = {
        "orderID": invoice.order_id,
        "orderDate": format_datetime(invoice.order_date) if invoice.order_date else None,
    }
    if invoice.order_payload_id:
        reference = _sub(info, "OrderReference", attrib=attrib)
        _sub(reference, "DocumentReference", attrib={"payloadID": invoice.order_payload_id})
    else:
        _sub(info, "OrderIDInfo", attrib=attrib)


def _add_invoice_item(parent, item, sign, lang):
    what = f"Invoice line {item.invoice_line_number}"
    if not item.unit_of_measure:
        raise ValueError(f"{what} needs a unit of measure.")
    attrib = {
        "invoiceLineNumber": str(item.invoice_line_number),
        "quantity": _format_quantity(_signed(item.quantity, sign)),
    }
    el = _sub(parent, "InvoiceDetailItem", attrib=attrib)
    _sub(el, "UnitOfMeasure", item.unit_of_measure)
    _add_money(el, "UnitPrice", item.unit_price)
    order_line = item.order_line_number
    reference = _sub(
        el,
        "InvoiceDetailItemReference",
        attrib={"lineNumber": str(item.invoice_line_number if order_line is None else order_line)},
    )
    if item.supplier_part_id or item.supplier_part_auxiliary_id or item.buyer_part_id:
        _add_item_id(
            reference, item.supplier_part_id, item.supplier_part_auxiliary_id, item.buyer_part_id
        )
    if item.description:
        _sub(reference, "Description", item.description, {XML_LANG: lang})
    _add_money(el, "SubtotalAmount", _signed(item.subtotal, sign))
    if item.tax:
        _add_invoice_tax(el, item.tax.tax_amount, [item.tax], sign, lang)
    discount = item.discount_amount
    if discount is None and item.gross_amount is not None:
        discount = Money(item.gross_amount.amount - item.subtotal.amount, item.subtotal.currency)
    if discount is not None and discount.amount:
        _add_money(el, "InvoiceDetailDiscount", _signed(discount, sign))


# --- builders ----------------------------------------------------------------------------------


def build_response(
    status_code, status_text=None, message="", *, payload_id=None, timestamp=None, lang="en"
):
    """A bare ``Response/Status``; ``status_text`` defaults to the standard text of the code."""
    root, _response = _response_document(
        status_code, status_text, message, payload_id, timestamp, lang
    )
    return _serialize(root)


def build_error_response(exc, *, payload_id=None, timestamp=None, lang="en"):
    """The Response for an exception: its status and message, or a generic 500."""
    code, text = status_for(exc)
    message = exc.message if isinstance(exc, PunchoutProtocolError) else "Internal error."
    return build_response(
        code, text, message, payload_id=payload_id, timestamp=timestamp, lang=lang
    )


def build_profile_response(
    transactions, *, effective_date=None, payload_id=None, timestamp=None, lang="en"
):
    """ProfileResponse listing ``(request_name, url)`` for each request we accept."""
    if not transactions:
        raise ValueError("A ProfileResponse needs at least one transaction.")
    root, response = _response_document(200, None, "", payload_id, timestamp, lang)
    profile = _sub(
        response, "ProfileResponse", attrib={"effectiveDate": format_datetime(effective_date)}
    )
    for request_name, url in transactions:
        _sub(_sub(profile, "Transaction", attrib={"requestName": request_name}), "URL", url)
    return _serialize(root)


def build_punchout_setup_response(start_url, *, payload_id=None, timestamp=None, lang="en"):
    """PunchOutSetupResponse with the one-time start URL (``&`` is escaped by the writer)."""
    root, response = _response_document(200, None, "", payload_id, timestamp, lang)
    _sub(_sub(_sub(response, "PunchOutSetupResponse"), "StartPage"), "URL", start_url)
    return _serialize(root)


def build_profile_request(
    header, *, deployment_mode="production", payload_id=None, timestamp=None, lang="en"
):
    """A ProfileRequest (for the buyer simulator and tests)."""
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    _sub(request, "ProfileRequest")
    return _serialize(root)


def build_punchout_setup_request(
    header, setup, *, deployment_mode="production", payload_id=None, timestamp=None, lang="en"
):
    """A PunchOutSetupRequest as a buyer's system sends it (simulator, tests)."""
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    operation = _check_choice(setup.operation, SETUP_OPERATIONS, "operation")
    el = _sub(request, "PunchOutSetupRequest", attrib={"operation": operation})
    _sub(el, "BuyerCookie", setup.buyer_cookie)
    _add_extrinsics(el, setup.extrinsics)
    if setup.browser_form_post_url:
        _sub(_sub(el, "BrowserFormPost"), "URL", setup.browser_form_post_url)
    if setup.contact:
        _add_contact(el, setup.contact, lang)
    if setup.supplier_setup_url:
        _sub(_sub(el, "SupplierSetup"), "URL", setup.supplier_setup_url)
    if setup.ship_to:
        _add_address(el, "ShipTo", setup.ship_to, lang)
    if setup.selected_item:
        selected = setup.selected_item
        _add_item_id(
            _sub(el, "SelectedItem"),
            selected.supplier_part_id,
            selected.supplier_part_auxiliary_id,
            selected.buyer_part_id,
        )
    for n, item in enumerate(setup.items, 1):
        _add_item(el, "ItemOut", item, item.line_number or n, lang)
    return _serialize(root)


def build_punchout_order_message(
    header,
    message,
    *,
    deployment_mode="production",
    in_reply_to=None,
    payload_id=None,
    timestamp=None,
    lang="en",
):
    """The cart as a PunchOutOrderMessage. It goes through the browser, so the header carries
    From/To/Sender identities only, never a SharedSecret. Lines without a number get 1..n."""
    if message.total is None:
        raise ValueError("A PunchOutOrderMessage needs a Total.")
    operation = _check_choice(message.operation_allowed, CART_OPERATIONS, "operationAllowed")
    mode = _check_choice(deployment_mode, DEPLOYMENT_MODES, "deploymentMode")
    root = _document(payload_id, timestamp, lang)
    _add_header(root, header, with_secret=False)
    message_el = _sub(root, "Message", attrib={"deploymentMode": mode, "inReplyTo": in_reply_to})
    el = _sub(message_el, "PunchOutOrderMessage")
    _sub(el, "BuyerCookie", message.buyer_cookie)
    header_el = _sub(el, "PunchOutOrderMessageHeader", attrib={"operationAllowed": operation})
    _add_money(header_el, "Total", message.total)
    if message.shipping:
        _add_charge(header_el, "Shipping", message.shipping, lang)
    if message.tax:
        _add_charge(header_el, "Tax", message.tax, lang)
    for n, item in enumerate(message.items, 1):
        _add_item(el, "ItemIn", item, item.line_number or n, lang)
    return _serialize(root)


def order_request_from_cart(cart, order_id, bill_to, **values):
    """The OrderRequest a buyer's system makes from an approved cart: same lines (numbered 1..n
    where missing, SupplierPartAuxiliaryID carried over), same total. ``values`` sets other
    OrderRequest fields (order_date, ship_to, order_type, ...)."""
    items = [
        replace(item, line_number=item.line_number or n) for n, item in enumerate(cart.items, 1)
    ]
    values.setdefault("total", cart.total)
    values.setdefault("tax", cart.tax)
    values.setdefault("shipping", cart.shipping)
    return OrderRequest(order_id=order_id, bill_to=bill_to, items=items, **values)


def build_order_request(
    header, order, *, deployment_mode="production", payload_id=None, timestamp=None, lang="en"
):
    """An OrderRequest as a buyer's system sends it (simulator, tests)."""
    if order.total is None or order.bill_to is None:
        raise ValueError("An OrderRequest needs a Total and a BillTo.")
    if not order.items:
        raise ValueError("An OrderRequest needs at least one line.")
    order_type = _check_choice(order.order_type, ORDER_TYPES, "order type")
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    el = _sub(request, "OrderRequest")
    attrib = {
        "orderID": order.order_id,
        "orderDate": format_datetime(order.order_date),
        "type": order_type,
        "orderVersion": str(order.order_version) if order.order_version is not None else None,
    }
    header_el = _sub(el, "OrderRequestHeader", attrib=attrib)
    _add_money(header_el, "Total", order.total)
    if order.ship_to:
        _add_address(header_el, "ShipTo", order.ship_to, lang)
    _add_address(header_el, "BillTo", order.bill_to, lang)
    if order.shipping:
        _add_charge(header_el, "Shipping", order.shipping, lang)
    if order.tax:
        _add_charge(header_el, "Tax", order.tax, lang)
    for contact in order.contacts:
        _add_contact(header_el, contact, lang)
    if order.comments or order.attachments:
        comments = _sub(header_el, "Comments", order.comments, {XML_LANG: lang})
        for url in order.attachments:
            _sub(_sub(comments, "Attachment"), "URL", url)
    if order.document_reference_payload_id:
        reference = {"payloadID": order.document_reference_payload_id}
        _sub(header_el, "DocumentReference", attrib=reference)
    _add_extrinsics(header_el, order.extrinsics)
    for n, item in enumerate(order.items, 1):
        _add_item(el, "ItemOut", item, item.line_number or n, lang)
    return _serialize(root)


def build_confirmation_request(
    header,
    confirmation,
    *,
    deployment_mode="production",
    payload_id=None,
    timestamp=None,
    lang="en",
):
    """A ConfirmationRequest (Fulfill.dtd) telling the buyer what we do with its order."""
    if not confirmation.order_payload_id:
        raise ValueError("A ConfirmationRequest needs the order's payloadID.")
    confirm_type = _check_choice(confirmation.confirm_type, CONFIRMATION_TYPES, "type")
    operation = _check_choice(confirmation.operation, ("new", "update"), "operation")
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    el = _sub(request, "ConfirmationRequest")
    attrib = {
        "type": confirm_type,
        "noticeDate": format_datetime(confirmation.notice_date),
        "operation": operation,
        "confirmID": confirmation.confirm_id or None,
    }
    header_el = _sub(el, "ConfirmationHeader", attrib=attrib)
    if confirmation.total:
        _add_money(header_el, "Total", confirmation.total)
    if confirmation.comments:
        _sub(header_el, "Comments", confirmation.comments, {XML_LANG: lang})
    order_date = confirmation.order_date
    reference = _sub(
        el,
        "OrderReference",
        attrib={
            "orderID": confirmation.order_id,
            "orderDate": format_datetime(order_date) if order_date else None,
        },
    )
    _sub(reference, "DocumentReference", attrib={"payloadID": confirmation.order_payload_id})
    for line in confirmation.items:
        status = _check_choice(line.status, CONFIRMATION_STATUS_TYPES, "ConfirmationStatus type")
        quantity = line.quantity if line.status_quantity is None else line.status_quantity
        item_attrib = {
            "lineNumber": str(line.line_number),
            "quantity": _format_quantity(line.quantity),
        }
        item_el = _sub(el, "ConfirmationItem", attrib=item_attrib)
        _sub(item_el, "UnitOfMeasure", line.unit_of_measure)
        status_attrib = {
            "type": status,
            "quantity": _format_quantity(quantity),
            "shipmentDate": format_datetime(line.shipment_date) if line.shipment_date else None,
            "deliveryDate": format_datetime(line.delivery_date) if line.delivery_date else None,
        }
        status_el = _sub(item_el, "ConfirmationStatus", attrib=status_attrib)
        _sub(status_el, "UnitOfMeasure", line.unit_of_measure)
        if line.unit_price:
            _add_money(status_el, "UnitPrice", line.unit_price)
        if line.comments:
            _sub(status_el, "Comments", line.comments, {XML_LANG: lang})
    return _serialize(root, dtd="Fulfill")


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
    el = _sub(request, "InvoiceDetailRequest")
    attrib = {
        "invoiceID": invoice.invoice_id,
        "purpose": purpose,
        "operation": operation,
        "invoiceDate": format_datetime(invoice.invoice_date),
    }
    header_el = _sub(el, "InvoiceDetailRequestHeader", attrib=attrib)
    _sub(
        header_el,
        "InvoiceDetailHeaderIndicator",
        attrib={"isHeaderInvoice": "yes" if header_level else None},
    )
    tax_in_line = not header_level and any(item.tax for item in invoice.items)
    _sub(
        header_el,
        "InvoiceDetailLineIndicator",
        attrib={"isTaxInLine": "yes" if tax_in_line else None},
    )
    for partner in invoice.partners:
        _add_invoice_partner(header_el, partner, lang)
    if invoice.original_invoice_payload_id:
        reference = {"payloadID": invoice.original_invoice_payload_id}
        _sub(header_el, "DocumentReference", attrib=reference)
    if invoice.original_invoice_id:
        original_date = invoice.original_invoice_date
        original = {
            "invoiceID": invoice.original_invoice_id,
            "invoiceDate": format_datetime(original_date) if original_date else None,
        }
        _sub(header_el, "InvoiceIDInfo", attrib=original)
    if invoice.payment_term_days is not None:
        term = {"payInNumberOfDays": str(int(invoice.payment_term_days)), "percentageRate": "0"}
        _sub(header_el, "InvoiceDetailPaymentTerm", attrib=term)
    if invoice.comments:
        _sub(header_el, "Comments", invoice.comments, {XML_LANG: lang})
    _add_extrinsics(header_el, invoice.extrinsics)
    if header_level:
        order_el = _sub(el, "InvoiceDetailHeaderOrder")
        _add_invoice_order_info(order_el, invoice)
        order_summary = _sub(
            order_el, "InvoiceDetailOrderSummary", attrib={"invoiceLineNumber": "1"}
        )
        _add_money(order_summary, "SubtotalAmount", _signed(invoice.subtotal, sign))
        _add_invoice_tax(order_summary, invoice.total_tax, invoice.taxes, sign, lang)
        _add_money(order_summary, "GrossAmount", _signed(invoice.gross_amount, sign))
        _add_money(order_summary, "NetAmount", _signed(invoice.net_amount, sign))
    else:
        order_el = _sub(el, "InvoiceDetailOrder")
        _add_invoice_order_info(order_el, invoice)
        for item in invoice.items:
            _add_invoice_item(order_el, item, sign, lang)
    summary = _sub(el, "InvoiceDetailSummary")
    _add_money(summary, "SubtotalAmount", _signed(invoice.subtotal, sign))
    _add_invoice_tax(summary, invoice.total_tax, invoice.taxes, sign, lang)
    _add_money(summary, "GrossAmount", _signed(invoice.gross_amount, sign))
    _add_money(summary, "NetAmount", _signed(invoice.net_amount, sign))
    _add_money(summary, "DueAmount", _signed(invoice.due_amount, sign))
    return _serialize(root, dtd="InvoiceDetail")


# --- browser form, statuses, redaction ---------------------------------------------------------

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
SECRET_ELEMENTS = ("SharedSecret", "CredentialMac")


def _form_encoding(encoding):
    name = (encoding or "").strip().lower().removeprefix("cxml-")
    return _check_choice(name, FORM_ENCODINGS, "cXML form encoding")


def encode_browser_form_value(xml_bytes, encoding="base64"):
    """The value of the hidden cart field: base64 text (``cxml-base64``) or the XML text itself
    (``cxml-urlencoded``: the browser's form post does the URL encoding)."""
    if _form_encoding(encoding) == "base64":
        return base64.b64encode(xml_bytes).decode("ascii")
    return xml_bytes.decode("utf-8")


def decode_browser_form_value(value, encoding="base64"):
    """The XML bytes of a posted cart field. The actual form is detected whatever ``encoding``
    says (buyers mislabel it): XML text, percent-encoded XML text, or base64 (line breaks, lost
    padding and ``+`` turned into spaces are tolerated).

    :raises MalformedDocument: empty, or neither XML nor base64
    """
    _form_encoding(encoding)
    if isinstance(value, bytes):
        value = value.decode("utf-8", errors="replace")
    text = (value or "").strip().lstrip("\ufeff")
    if not text:
        raise MalformedDocument("The cXML cart field is empty.")
    if not text.startswith("<") and "%3c" in text[:20].lower():
        text = unquote_plus(text).strip()
    if text.startswith("<"):
        # Already decoded text: drop a declaration naming another charset, send UTF-8.
        return _XML_DECLARATION.sub("", text).encode("utf-8")
    compact = re.sub(r"\s+", "", text.replace(" ", "+")).replace("-", "+").replace("_", "/")
    try:
        return base64.b64decode(compact + "=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise MalformedDocument("The cXML cart field is neither XML nor base64.") from None


def status_for(exc):
    """``(code, text)`` of the cXML Status answering ``exc``; 500 for unexpected errors."""
    if isinstance(exc, PunchoutProtocolError):
        code = int(exc.status)
        return code, STATUS_TEXTS.get(code) or exc.status_text
    return 500, STATUS_TEXTS[500]


def payload_id_of(data):
    """The payloadID of a (stored) cXML document, text or bytes; empty when it has none.

    :raises MalformedDocument: not a readable cXML document
    """
    return _load(data, DEFAULT_MAX_BYTES).get("payloadID", "")


def redact_secrets(data):
    """The document (bytes in any encoding, or text) with every SharedSecret / CredentialMac
    value replaced by ``***``, in linear time whatever the input (see ``redact_elements``)."""
    return redact_elements(data, SECRET_ELEMENTS)


def with_shared_secret(data, shared_secret):
    """The stored document (kept without secrets) with ``shared_secret`` in its Sender
    credential, ready to post: same payloadID, so a retry is the same document, and a DOCTYPE
    naming the document's own version and DTD."""
    root = _load(data, DEFAULT_MAX_BYTES)
    for credential in root.iterfind("Header/Sender/Credential"):
        for old in credential.findall("SharedSecret"):
            credential.remove(old)
        if shared_secret:
            secret = etree.Element("SharedSecret")
            secret.text = shared_secret
            credential.find("Identity").addnext(secret)
    dtd = "Fulfill" if root.find("Request/ConfirmationRequest") is not None else "cXML"
    if root.find("Request/InvoiceDetailRequest") is not None:
        dtd = "InvoiceDetail"
    return _serialize(root, dtd=dtd, version=_document_version(root))
