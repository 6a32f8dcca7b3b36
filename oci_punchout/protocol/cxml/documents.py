"""cXML documents as Python values: the dataclasses every reader fills and every builder
takes, and the constants of the cXML 1.2 DTDs.
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

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
    # Item hierarchies (a combo and its items): the parent "composite" with its
    # ``composite_item_type``, its items "item" naming the parent's ``parent_line_number``.
    item_type: str = ""
    parent_line_number: int | None = None
    composite_item_type: str = ""


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
    """One order line: ``quantity`` as ordered, ``status_quantity`` (default: ``quantity``) with
    ``status``. What is not confirmed is written as further statuses of the same line:
    ``backordered_quantity`` (expected on ``backorder_delivery_date``) and
    ``rejected_quantity``."""

    line_number: int
    quantity: Decimal
    unit_of_measure: str
    status: str = "accept"
    status_quantity: Decimal | None = None
    unit_price: Money | None = None
    delivery_date: datetime | None = None
    shipment_date: datetime | None = None
    comments: str = ""
    backordered_quantity: Decimal | None = None
    backorder_delivery_date: datetime | None = None
    rejected_quantity: Decimal | None = None


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
    # Versions after the first: operation "update", the same confirm_id, ``version`` + 1 and
    # the payloadID of the version it replaces.
    version: int | None = None
    previous_payload_id: str = ""


@dataclass
class ShipNoticeItem:
    """One PO line of a shipment: ``quantity`` shipped in the PO's unit, ``lots`` the lot (batch)
    numbers it was taken from."""

    line_number: int
    quantity: Decimal
    unit_of_measure: str
    lots: list[str] = field(default_factory=list)


@dataclass
class ShipNoticePortion:
    """What a shipment holds of one purchase order (the OrderRequest's orderID and
    payloadID)."""

    order_id: str
    order_payload_id: str
    order_date: datetime | None = None
    items: list[ShipNoticeItem] = field(default_factory=list)


@dataclass
class ShipNoticeRequest:
    """A ship notice (``Fulfill.dtd``). ``shipment_id`` stays the same across versions:
    ``operation`` "update" or "delete" names the version it replaces by
    ``previous_payload_id``. ``carrier`` and ``tracking_numbers`` go together (a ShipControl
    needs both); ``service_level`` is required except for a delete."""

    shipment_id: str
    operation: str = "new"
    notice_date: datetime | None = None
    shipment_date: datetime | None = None
    delivery_date: datetime | None = None
    service_level: str = "standard"
    carrier: str = ""
    tracking_numbers: list[str] = field(default_factory=list)
    comments: str = ""
    previous_payload_id: str = ""
    portions: list[ShipNoticePortion] = field(default_factory=list)


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
    written); a 0 % rate without a reason is ``exemptDetail="zeroRated"``. ``location``: the
    tax's country (ISO code), written as ``TaxLocation``."""

    percentage: Decimal
    taxable_amount: Money
    tax_amount: Money
    category: str = "vat"
    description: str = ""
    exempt_reason: str = ""
    location: str = ""


@dataclass
class InvoiceItem:
    """One ``InvoiceDetailItem``. Prices and amounts are net (after discount) and positive even
    in a credit memo: the builder writes the signs. ``order_line_number`` defaults to
    ``invoice_line_number``. A discount (``discount_amount``, or ``gross_amount`` minus
    ``subtotal``) is written as an informational ``InvoiceDetailDiscount``; ``gross_amount``
    itself is not written (cXML's line GrossAmount means subtotal plus tax) and reads back as
    subtotal plus discount. ``discount_percent``: the discount's rate (its ``percentageRate``)."""

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
    discount_percent: Decimal | None = None


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
    # Freight, untaxed: InvoiceDetailSummary/ShippingAmount, never an item (no PO line is
    # freight); not part of ``subtotal``, part of the gross amount.
    shipping_amount: Money | None = None


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
