"""Purchase orders that arrive by e-mail: XML attachments read into ``cxml.OrderRequest``, PDF
text searched for our references.

One matcher takes an ``OrderRequest`` from every channel, so every format is read into one:
cXML OrderRequest (the HTTP endpoint's own parser), UBL 2.1 Order (Peppol BIS Order 3 is one),
openTRANS 2.1 ORDER and SAP IDoc ORDERS05 in XML form. The format is recognised by content (root
element, namespace, IDoc control record), never by file name, and every document goes through the
hardened ``parse_xml`` first.

Our references come back in ``Item.supplier_part_auxiliary_id`` as ``'<quotation>/<line id>'``,
what cXML ``SupplierPartAuxiliaryID`` and OCI ``EXT_QUOTE_ID``/``EXT_QUOTE_ITEM`` carried out
(``'S00042/123'``), or as ``'<quotation>'`` alone when no line is referenced. Structured reference
fields are taken as they are; free texts (notes, remarks, PDF text) are searched with the
quotation pattern (our sale order names, ``S00042`` by default).

Reading is liberal: namespaces may be missing or wrong, numbers and dates are read as
``cxml.parse_amount`` / ``cxml.parse_datetime`` read them. Missing essentials (order number, at
least one line, a quantity per line) raise ``MalformedDocument`` with a message naming the
element; a well-formed XML document of another kind raises ``UnsupportedRequest``.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from lxml import etree

from .cxml import (
    MAX_NUMBER_DIGITS,
    Address,
    Contact,
    Item,
    Money,
    OrderRequest,
    parse_amount,
    parse_datetime,
    parse_request,
)
from .errors import MalformedDocument, UnsupportedRequest
from .xml import DEFAULT_MAX_BYTES, parse_xml

FORMATS = ("cxml", "ubl", "opentrans", "idoc")
FORMAT_NAMES = {
    "cxml": "cXML OrderRequest",
    "ubl": "UBL 2.1 Order (Peppol BIS Order 3)",
    "opentrans": "openTRANS 2.1 ORDER",
    "idoc": "SAP IDoc ORDERS05",
}
UBL_ORDER_NS = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
OPENTRANS_NS = "http://www.opentrans.org/XMLSchema/2.1"
BMECAT_NS = "http://www.bmecat.org/bmecat/2005"

# Our sale order names as Odoo numbers them by default (S00042). A connection may use its own.
DEFAULT_QUOTATION_PATTERN = r"S\d{5,}"

# SAP's internal (T006) units and common print abbreviations -> UN/ECE Rec 20, only where the
# meaning is beyond doubt. Anything else is kept as sent. Not applied to UBL/openTRANS, whose
# codes are Rec 20 by definition (there "ST" is a sheet).
SAP_UNIT_TO_UNECE = {
    "ST": "C62",
    "STK": "C62",
    "STCK": "C62",
    "STÜCK": "C62",
    "PC": "C62",
    "PCE": "C62",
    "KG": "KGM",
    "G": "GRM",
    "MG": "MGM",
    "TO": "TNE",
    "M": "MTR",
    "CM": "CMT",
    "MM": "MMT",
    "KM": "KMT",
    "L": "LTR",
    "ML": "MLT",
    "M2": "MTK",
    "QM": "MTK",
    "M3": "MTQ",
    "CBM": "MTQ",
    "H": "HUR",
    "STD": "HUR",
    "TAG": "DAY",
}

# E1EDK14 organisational data of an MM purchase order (QUALF -> what ORGID holds).
IDOC_ORGANIZATION_QUALIFIERS = {
    "009": "Purchasing group",
    "011": "Company code",
    "013": "Purchase order type",
    "014": "Purchasing organization",
}
# E1EDK02 / E1EDP02 qualifiers that carry the supplier's document: 002 vendor order,
# 004 vendor quotation.
IDOC_SUPPLIER_REFERENCE_QUALIFIERS = ("004", "002")

MAX_PDF_TEXT = 2_000_000


def unit_to_unece(code):
    """SAP's unit code (ST, KG, M...) as UN/ECE Rec 20 (C62, KGM, MTR...); others unchanged."""
    code = (code or "").strip()
    return SAP_UNIT_TO_UNECE.get(code.upper().rstrip("."), code)


# --- small helpers -----------------------------------------------------------------------------


def _localname(el):
    return etree.QName(el).localname


def _strip_namespaces(root):
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = etree.QName(el).localname


def _text(el):
    """All text inside ``el``, stripped; '' for None."""
    return "".join(el.itertext()).strip() if el is not None else ""


def _find(parent, path):
    return _text(parent.find(path)) if parent is not None else ""


def _findall(parent, path):
    return (
        [t for t in (_text(el) for el in parent.findall(path)) if t] if parent is not None else []
    )


def _attr(el, name):
    return (el.get(name) or "").strip() if el is not None else ""


def _join(values, sep=" "):
    return sep.join(v for v in values if v)


def _line_number(value, index):
    value = (value or "").strip()
    return int(value) if value.isdigit() else index


def _divide(amount, by):
    return amount / by if by else amount


def _money(el, default_currency, what):
    if el is None or not _text(el):
        return None
    return Money(
        parse_amount(_text(el), what), (_attr(el, "currencyID") or default_currency).upper()
    )


def _quantity(value, what):
    if not (value or "").strip():
        raise MalformedDocument(f"{what} has no quantity.")
    return parse_amount(value, f"{what} quantity")


# --- our references ----------------------------------------------------------------------------


def compile_quotation_pattern(pattern=DEFAULT_QUOTATION_PATTERN):
    """``(quotation regex, line reference regex)`` for a pattern of our quotation names.

    :raises ValueError: not a valid regular expression
    """
    pattern = pattern or DEFAULT_QUOTATION_PATTERN
    try:
        quotation = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)
        line = re.compile(
            rf"(?<!\w)(?P<quotation>{pattern})"
            r"(?:[ \t]*/[ \t]*|[ \t]*[,;]?[ \t]*(?:item|line|pos\.?|position|posten|zeile)[ \t]*"
            r"(?:no\.?|nr\.?)?[ \t]*[:#]?[ \t]*)"
            r"(?P<line>\d{1,10})(?!\d|[.,/]\d|\w)",
            re.IGNORECASE,
        )
    except re.error as exc:
        raise ValueError(f"The quotation pattern {pattern!r} is not valid: {exc}") from None
    return quotation, line


def _line_id(value):
    value = (value or "").strip()
    return str(int(value)) if value.isdigit() else value


def _reference(quotation, line=""):
    quotation, line = (quotation or "").strip(), _line_id(line)
    return f"{quotation}/{line}" if quotation and line else quotation


class _References:
    """Finds our quotation and quotation-line references in structured fields and free text."""

    def __init__(self, pattern):
        self.quotation_re, self.line_re = compile_quotation_pattern(pattern)

    def quotations(self, texts):
        return [m.group() for text in texts if text for m in self.quotation_re.finditer(text)]

    def lines(self, texts):
        return [
            _reference(m.group("quotation"), m.group("line"))
            for text in texts
            if text
            for m in self.line_re.finditer(text)
        ]

    def choose(self, structured, texts=()):
        """The header's quotation: a structured value that looks like ours, else the first
        structured value, else one found in ``texts``."""
        structured = [v for v in structured if v]
        for value in structured:
            if self.quotation_re.fullmatch(value):
                return value
        if structured:
            return structured[0]
        found = self.quotations(texts)
        return found[0] if found else ""

    def auxiliary_id(self, header_quotation, line_quotation="", line_id="", texts=()):
        """``'<quotation>/<line>'`` or ``'<quotation>'`` for one order line, from (best first):
        a structured line reference, a structured value already in that form, a reference
        found in the line's texts, a quotation alone."""
        quotation = line_quotation or header_quotation
        if _line_id(line_id) and quotation:
            return _reference(quotation, line_id)
        if re.search(r"/\d+$", line_quotation or ""):
            return line_quotation
        found = self.lines(texts)
        if found:
            return found[0]
        return quotation or next(iter(self.quotations(texts)), "")


# --- detection and dispatch --------------------------------------------------------------------

_IDOC_ROOT = re.compile(r"ORDERS0\d", re.IGNORECASE)


def _is_idoc(root):
    if _IDOC_ROOT.fullmatch(_localname(root)):
        return True
    control = root.xpath(
        "./*[local-name()='IDOC']/*[local-name()='EDI_DC40']"
        "/*[local-name()='IDOCTYP' or local-name()='MESTYP']/text()"
    )
    return any(
        _IDOC_ROOT.fullmatch(v.strip()) or v.strip() in ("ORDERS", "ORDCHG") for v in control
    )


def _kind(root):
    qname = etree.QName(root)
    local, namespace = qname.localname, qname.namespace or ""
    if local == "cXML" or root.getroottree().docinfo.root_name == "cXML":
        return "cxml"
    if local == "Order" and namespace == UBL_ORDER_NS:
        return "ubl"
    if local == "ORDER" and namespace == OPENTRANS_NS:
        return "opentrans"
    if local == "ORDER" and not namespace and root.find("ORDER_HEADER") is not None:
        return "opentrans"
    if local == "OPENTRANS" and root.find(f"{{{OPENTRANS_NS}}}ORDER") is not None:
        return "opentrans"
    if _is_idoc(root):
        return "idoc"
    return None


def _describe_root(root):
    qname = etree.QName(root)
    namespace = f" (namespace {qname.namespace})" if qname.namespace else ""
    return f"<{qname.localname}>{namespace}"


def detect_order_format(data, max_bytes=DEFAULT_MAX_BYTES):
    """'cxml', 'ubl', 'opentrans', 'idoc', or None for any other XML document.

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``
    """
    return _kind(parse_xml(data, max_bytes))


@dataclass
class OrderDocument:
    """A purchase order read from a document: its format, the order, and the document's own id
    where the format has one (cXML payloadID, IDoc DOCNUM, UBL UUID) for replay detection."""

    format: str
    order: OrderRequest
    document_id: str = ""


def read_order(data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN):
    """Read any supported XML purchase order (format detected by content).

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``; also a
        document of a supported format that misses its order number, lines or quantities
    :raises UnsupportedRequest: well-formed XML of another kind, or a cXML request other than
        an OrderRequest (cXML status 450)
    """
    root = parse_xml(data, max_bytes)
    kind = _kind(root)
    if kind == "cxml":
        envelope = parse_request(data, max_bytes)
        if envelope.request_name != "OrderRequest":
            raise UnsupportedRequest(
                f"The cXML document is a {envelope.request_name}; only an OrderRequest is a "
                "purchase order."
            )
        return OrderDocument("cxml", envelope.request, envelope.payload_id)
    if kind is None:
        raise UnsupportedRequest(
            f"The XML document is not a purchase order we can read: its root element is "
            f"{_describe_root(root)}. Accepted: {', '.join(FORMAT_NAMES.values())}."
        )
    order, document_id = _READERS[kind](root, _References(quotation_pattern))
    return OrderDocument(kind, order, document_id)


def parse_order(data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN):
    """The ``OrderRequest`` of any supported XML purchase order; see ``read_order``."""
    return read_order(data, max_bytes=max_bytes, quotation_pattern=quotation_pattern).order


def _parse_as(kind, data, max_bytes, quotation_pattern):
    root = parse_xml(data, max_bytes)
    if _kind(root) != kind:
        raise MalformedDocument(
            f"The root element is {_describe_root(root)}; a {FORMAT_NAMES[kind]} was expected."
        )
    return _READERS[kind](root, _References(quotation_pattern))[0]


def parse_ubl_order(
    data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN
):
    """A UBL 2.1 Order (also Peppol BIS Order 3) as an ``OrderRequest``."""
    return _parse_as("ubl", data, max_bytes, quotation_pattern)


def parse_opentrans_order(
    data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN
):
    """An openTRANS 2.1 ORDER as an ``OrderRequest``."""
    return _parse_as("opentrans", data, max_bytes, quotation_pattern)


def parse_idoc_orders05(
    data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN
):
    """An SAP IDoc ORDERS05 (or ORDCHG, as an update) in XML form as an ``OrderRequest``."""
    return _parse_as("idoc", data, max_bytes, quotation_pattern)


# --- UBL 2.1 Order / Peppol BIS Order 3 --------------------------------------------------------

UBL_ORDER_CHANGE_TYPE_CODES = ("230",)  # UNCL 1001: purchase order change request


def _ubl_postal(el, name="", address_id=""):
    street = _join([_find(el, "StreetName"), _find(el, "BuildingNumber")])
    return Address(
        name=name,
        address_id=_find(el, "ID") or address_id,
        deliver_to=[v for v in (_find(el, "Department"), _find(el, "MarkAttention")) if v],
        street=[
            v
            for v in (street, _find(el, "AdditionalStreetName"), *_findall(el, "AddressLine/Line"))
            if v
        ],
        city=_find(el, "CityName"),
        state=_find(el, "CountrySubentity"),
        postal_code=_find(el, "PostalZone"),
        country_code=_find(el, "Country/IdentificationCode").upper(),
        country=_find(el, "Country/Name"),
    )


def _ubl_party_name(party):
    return _find(party, "PartyName/Name") or _find(party, "PartyLegalEntity/RegistrationName")


def _ubl_party_address(party):
    if party is None:
        return None
    address = _ubl_postal(party.find("PostalAddress"), _ubl_party_name(party))
    address.address_id = (
        address.address_id or _find(party, "PartyIdentification/ID") or _find(party, "EndpointID")
    )
    address.email = _find(party, "Contact/ElectronicMail")
    address.phone = _find(party, "Contact/Telephone")
    return address


def _ubl_ship_to(delivery, buyer):
    if delivery is None:
        return None
    location = delivery.find("DeliveryLocation")
    party = delivery.find("DeliveryParty")
    address_el = location.find("Address") if location is not None else None
    if address_el is None:
        address_el = delivery.find("DeliveryAddress")
    if address_el is None and party is not None:
        address_el = party.find("PostalAddress")
    if address_el is None:
        return None
    location_name = _find(location, "Name")
    name = _ubl_party_name(party) or location_name or _ubl_party_name(buyer)
    address = _ubl_postal(
        address_el,
        name,
        _find(location, "ID") or _find(party, "PartyIdentification/ID"),
    )
    if location_name and location_name != name:
        address.deliver_to.insert(0, location_name)
    address.email = _find(party, "Contact/ElectronicMail")
    address.phone = _find(party, "Contact/Telephone")
    return address


def _ubl_contact(party, role):
    if party is None:
        return None
    person = party.find("Person")
    name = _join(
        [_find(person, "FirstName"), _find(person, "MiddleName"), _find(person, "FamilyName")]
    ) or _find(party, "Contact/Name")
    contact = Contact(
        name=name,
        email=_find(party, "Contact/ElectronicMail"),
        phone=_find(party, "Contact/Telephone"),
        role=role,
    )
    return contact if contact.name or contact.email or contact.phone else None


def _ubl_delivery_date(delivery, what):
    """The requested delivery date: end of the requested period (its start if open-ended), else
    the latest delivery date."""
    if delivery is None:
        return None
    period = delivery.find("RequestedDeliveryPeriod")
    for day, time in (("EndDate", "EndTime"), ("StartDate", "StartTime")):
        value = _find(period, day)
        if value:
            time_value = _find(period, time)
            return parse_datetime(f"{value}T{time_value}" if time_value else value, what)
    latest = _find(delivery, "LatestDeliveryDate")
    if latest:
        time_value = _find(delivery, "LatestDeliveryTime")
        return parse_datetime(f"{latest}T{time_value}" if time_value else latest, what)
    return None


def _ubl_unit_price(line, quantity, currency, what):
    price = line.find("Price")
    amount_el = price.find("PriceAmount") if price is not None else None
    if amount_el is not None and _text(amount_el):
        money = _money(amount_el, currency, f"{what} PriceAmount")
        base = _find(price, "BaseQuantity")
        money.amount = _divide(
            money.amount, parse_amount(base, f"{what} BaseQuantity") if base else 1
        )
        return money
    total = _money(line.find("LineExtensionAmount"), currency, f"{what} LineExtensionAmount")
    if total is None or not quantity:
        return None
    total.amount = total.amount / quantity
    return total


def _ubl_item(order_line, index, currency, header_quotation, header_delivery, refs):
    line = order_line.find("LineItem")
    if line is None:
        raise MalformedDocument(f"Order line {index} has no cac:LineItem.")
    line_id = _find(line, "ID")
    what = f"Order line {line_id or index}"
    quantity_el = line.find("Quantity")
    quantity = _quantity(_text(quantity_el), what)
    item_el = line.find("Item")
    name, description = _find(item_el, "Name"), _find(item_el, "Description")
    notes = _findall(order_line, "Note") + _findall(line, "Note")
    quotation_line = order_line.find("QuotationLineReference")
    texts = [
        *notes,
        *_findall(item_el, "ItemSpecificationDocumentReference/ID"),
        _find(item_el, "SellersItemIdentification/ExtendedID"),
    ]
    delivery_date = _ubl_delivery_date(line.find("Delivery"), f"{what} delivery date")
    return Item(
        quantity=quantity,
        supplier_part_id=_find(item_el, "SellersItemIdentification/ID"),
        unit_price=_ubl_unit_price(line, quantity, currency, what),
        line_number=_line_number(line_id, index),
        supplier_part_auxiliary_id=refs.auxiliary_id(
            header_quotation,
            _find(quotation_line, "DocumentReference/ID"),
            _find(quotation_line, "LineID") or _find(line, "SalesOrderID"),
            texts,
        ),
        buyer_part_id=_find(item_el, "BuyersItemIdentification/ID"),
        description=description or name,
        short_name=name,
        unit_of_measure=_attr(quantity_el, "unitCode"),
        classifications=[
            (_attr(code, "listID"), _text(code))
            for code in item_el.findall("CommodityClassification/ItemClassificationCode")
        ]
        if item_el is not None
        else [],
        manufacturer_part_id=_find(item_el, "ManufacturersItemIdentification/ID"),
        requested_delivery_date=delivery_date or header_delivery,
        comments="\n".join(notes),
    )


def _read_ubl(root, refs):
    _strip_namespaces(root)
    order_id = _find(root, "ID")
    if not order_id:
        raise MalformedDocument("The UBL Order has no cbc:ID (the purchase order number).")
    currency = _find(root, "DocumentCurrencyCode").upper()
    issue_date, issue_time = _find(root, "IssueDate"), _find(root, "IssueTime")
    order_date = parse_datetime(
        f"{issue_date}T{issue_time}" if issue_date and issue_time else issue_date,
        "UBL Order IssueDate",
    )
    notes = _findall(root, "Note")
    header_quotation = refs.choose(
        [_find(root, "QuotationDocumentReference/ID"), _find(root, "SalesOrderID")],
        [*notes, _find(root, "OriginatorDocumentReference/ID")],
    )
    header_delivery = _ubl_delivery_date(root.find("Delivery"), "UBL Order delivery date")
    order_lines = root.findall("OrderLine")
    if not order_lines:
        raise MalformedDocument(f"The UBL Order {order_id} has no cac:OrderLine.")
    items = [
        _ubl_item(el, n, currency, header_quotation, header_delivery, refs)
        for n, el in enumerate(order_lines, 1)
    ]
    buyer = root.find("BuyerCustomerParty/Party")
    accounting = root.find("AccountingCustomerParty/Party")
    contacts = [
        _ubl_contact(buyer, "buyer"),
        _ubl_contact(root.find("OriginatorCustomerParty/Party"), "endUser"),
    ]
    type_code = _find(root, "OrderTypeCode")
    extrinsics = {
        "CustomerReference": _find(root, "CustomerReference"),
        "AccountingCost": _find(root, "AccountingCost") or _find(root, "AccountingCostCode"),
        "Contract": _find(root, "Contract/ID"),
        "ProjectReference": _find(root, "ProjectReference/ID"),
        "OrderTypeCode": type_code if type_code not in ("", "220") else "",
    }
    order = OrderRequest(
        order_id=order_id,
        order_date=order_date,
        order_type="update" if type_code in UBL_ORDER_CHANGE_TYPE_CODES else "new",
        total=_money(
            root.find("AnticipatedMonetaryTotal/PayableAmount"), currency, "UBL PayableAmount"
        ),
        tax=_money(root.find("TaxTotal/TaxAmount"), currency, "UBL TaxAmount"),
        ship_to=_ubl_ship_to(root.find("Delivery"), buyer),
        bill_to=_ubl_party_address(accounting if accounting is not None else buyer),
        contacts=[c for c in contacts if c],
        comments="\n".join(notes),
        attachments=_findall(root, "AdditionalDocumentReference/Attachment/ExternalReference/URI"),
        extrinsics={k: v for k, v in extrinsics.items() if v},
        items=items,
    )
    return order, _find(root, "UUID")


# --- openTRANS 2.1 ORDER -----------------------------------------------------------------------


def _ot_address(party):
    if party is None:
        return None
    el = party.find("ADDRESS")
    return Address(
        name=_find(el, "NAME"),
        address_id=_find(party, "PARTY_ID"),
        deliver_to=[_find(el, tag) for tag in ("NAME2", "NAME3", "DEPARTMENT") if _find(el, tag)],
        street=_findall(el, "STREET"),
        city=_find(el, "CITY"),
        state=_find(el, "STATE"),
        postal_code=_find(el, "ZIP"),
        country_code=_find(el, "COUNTRY_CODED").upper(),
        country=_find(el, "COUNTRY"),
        email=_find(el, "EMAIL") or _find(el, "CONTACT_DETAILS/EMAILS/EMAIL"),
        phone=_find(el, "PHONE") or _find(el, "CONTACT_DETAILS/PHONE"),
    )


def _ot_contacts(party, role):
    contacts = []
    for el in party.findall("ADDRESS/CONTACT_DETAILS") if party is not None else ():
        contact = Contact(
            name=_join([_find(el, "FIRST_NAME"), _find(el, "CONTACT_NAME")]),
            email=_find(el, "EMAILS/EMAIL"),
            phone=_find(el, "PHONE"),
            role=role,
        )
        if contact.name or contact.email:
            contacts.append(contact)
    return contacts


def _ot_delivery_date(el, what):
    if el is None:
        return None
    return parse_datetime(_find(el, "DELIVERY_END_DATE") or _find(el, "DELIVERY_START_DATE"), what)


def _ot_item(el, index, currency, header_quotation, header_delivery, refs):
    line_id = _find(el, "LINE_ITEM_ID")
    what = f"ORDER_ITEM {line_id or index}"
    quantity = _quantity(_find(el, "QUANTITY"), what)
    product = el.find("PRODUCT_ID")
    short, long = _find(product, "DESCRIPTION_SHORT"), _find(product, "DESCRIPTION_LONG")
    price = el.find("PRODUCT_PRICE_FIX")
    unit_price = None
    if _find(price, "PRICE_AMOUNT"):
        per = _find(price, "PRICE_QUANTITY")
        amount = parse_amount(_find(price, "PRICE_AMOUNT"), f"{what} PRICE_AMOUNT")
        per_quantity = parse_amount(per, f"{what} PRICE_QUANTITY") if per else 1
        unit_price = Money(_divide(amount, per_quantity), currency)
    elif _find(el, "PRICE_LINE_AMOUNT") and quantity:
        amount = parse_amount(_find(el, "PRICE_LINE_AMOUNT"), f"{what} PRICE_LINE_AMOUNT")
        unit_price = Money(amount / quantity, currency)
    remarks = _findall(el, "REMARKS")
    texts = [*remarks, _find(product, "SUPPLIER_IDREF"), _find(el, "ITEM_UDX")]
    return Item(
        quantity=quantity,
        supplier_part_id=_find(product, "SUPPLIER_PID"),
        unit_price=unit_price,
        line_number=_line_number(line_id, index),
        supplier_part_auxiliary_id=refs.auxiliary_id(
            header_quotation, _find(el, "SOURCING_INFO/QUOTATION_ID"), "", texts
        ),
        buyer_part_id=_find(product, "BUYER_PID"),
        description=long or short,
        short_name=short,
        unit_of_measure=_find(el, "ORDER_UNIT"),
        manufacturer_part_id=_find(product, "MANUFACTURER_INFO/MANUFACTURER_PID"),
        requested_delivery_date=_ot_delivery_date(
            el.find("DELIVERY_DATE"), f"{what} DELIVERY_DATE"
        )
        or header_delivery,
        comments="\n".join(remarks),
    )


def _read_opentrans(root, refs):
    _strip_namespaces(root)
    if root.tag == "OPENTRANS":
        root = root.find("ORDER")
    info = root.find("ORDER_HEADER/ORDER_INFO")
    if info is None:
        raise MalformedDocument("The openTRANS ORDER has no ORDER_HEADER/ORDER_INFO.")
    order_id = _find(info, "ORDER_ID")
    if not order_id:
        raise MalformedDocument("The openTRANS ORDER has no ORDER_ID (the purchase order number).")
    currency = _find(info, "CURRENCY").upper()
    parties = info.findall("PARTIES/PARTY")
    by_id = {_text(pid): party for party in parties for pid in party.findall("PARTY_ID")}
    by_role = {}
    for party in parties:
        for role in _findall(party, "PARTY_ROLE"):
            by_role.setdefault(role, party)
    references = info.find("ORDER_PARTIES_REFERENCE")

    def party(idref_path, *roles):
        found = by_id.get(_find(references, idref_path))
        for role in roles:
            found = found if found is not None else by_role.get(role)
        return found

    buyer = party("BUYER_IDREF", "buyer", "customer")
    invoice_recipient = party("INVOICE_RECIPIENT_IDREF", "invoice_recipient")
    delivery = party("SHIPMENT_PARTIES_REFERENCE/DELIVERY_IDREF", "delivery", "final_delivery")
    remarks = _findall(info, "REMARKS")
    header_quotation = refs.choose(
        [_find(root, "ORDER_HEADER/SOURCING_INFO/QUOTATION_ID")],
        [*remarks, _find(info, "HEADER_UDX")],
    )
    header_delivery = _ot_delivery_date(info.find("DELIVERY_DATE"), "ORDER_INFO DELIVERY_DATE")
    elements = root.findall("ORDER_ITEM_LIST/ORDER_ITEM")
    if not elements:
        raise MalformedDocument(f"The openTRANS ORDER {order_id} has no ORDER_ITEM.")
    items = [
        _ot_item(el, n, currency, header_quotation, header_delivery, refs)
        for n, el in enumerate(elements, 1)
    ]
    total = _find(root, "ORDER_SUMMARY/TOTAL_AMOUNT")
    order_type = _attr(root, "type")
    extrinsics = {
        "OrderType": order_type if order_type not in ("", "standard") else "",
        "CustomerOrderReference": _find(info, "CUSTOMER_ORDER_REFERENCE/ORDER_ID"),
    }
    order = OrderRequest(
        order_id=order_id,
        order_date=parse_datetime(_find(info, "ORDER_DATE"), "openTRANS ORDER_DATE"),
        total=Money(parse_amount(total, "openTRANS TOTAL_AMOUNT"), currency) if total else None,
        ship_to=_ot_address(delivery),
        bill_to=_ot_address(invoice_recipient if invoice_recipient is not None else buyer),
        contacts=_ot_contacts(buyer, "buyer"),
        comments="\n".join(remarks),
        extrinsics={k: v for k, v in extrinsics.items() if v},
        items=items,
    )
    return order, ""


# --- SAP IDoc ORDERS05 -------------------------------------------------------------------------


def _sap_number(value, what):
    """An IDoc number: '10.000', '1250.00', trailing minus for negatives ('5.00-')."""
    value = (value or "").strip()
    negative = value.endswith("-")
    number = parse_amount(value.rstrip("-").strip(), what)
    return -number if negative else number


def _sap_date(day, time="", what="date"):
    """An IDoc date YYYYMMDD (and time HHMMSS) as a naive datetime; None if empty or zeros."""
    day, time = (day or "").strip(), (time or "").strip()
    if not day or not day.strip("0"):
        return None
    if not re.fullmatch(r"\d{8}", day):
        return parse_datetime(day, what)
    if not re.fullmatch(r"\d{6}", time):
        time = "000000"
    try:
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]), int(time[:2]), int(time[2:4]), int(time[4:])
        )
    except ValueError as exc:
        raise MalformedDocument(f"{what}: {day!r} is not a valid date ({exc}).") from None


def _sap_texts(parent, segment, line_segment):
    """SAPscript lines of text segments (E1EDKT1/E1EDKT2, E1EDPT1/E1EDPT2): '=' continues the
    previous line, anything else starts a new one."""
    blocks = []
    for text in parent.findall(segment):
        lines = []
        for line in text.findall(line_segment):
            tdline = line.find("TDLINE")
            content = "".join(tdline.itertext()).rstrip() if tdline is not None else ""
            if lines and _find(line, "TDFORMAT") == "=":
                lines[-1] += content
            else:
                lines.append(content.strip())
        block = "\n".join(line for line in lines if line.strip())
        if block:
            blocks.append(block)
    return "\n".join(blocks)


def _by_qualifier(parent, segment, key="QUALF"):
    found = {}
    for el in parent.findall(segment):
        found.setdefault(_find(el, key), el)
    return found


def _idoc_address(el):
    if el is None:
        return None
    return Address(
        name=_find(el, "NAME1"),
        address_id=_find(el, "PARTN").lstrip("0") or _find(el, "PARTN"),
        deliver_to=[_find(el, t) for t in ("NAME2", "NAME3", "NAME4") if _find(el, t)],
        street=[
            v for v in (_join([_find(el, "STRAS"), _find(el, "HAUSN")]), _find(el, "STRS2")) if v
        ],
        city=_find(el, "ORT01"),
        state=_find(el, "REGIO"),
        postal_code=_find(el, "PSTLZ"),
        country_code=(_find(el, "ISOAL") or _find(el, "LAND1")).upper(),
        phone=_find(el, "TELF1"),
    )


def _idoc_item(el, index, currency, header_quotation, header_delivery, refs):
    position = _find(el, "POSEX")
    what = f"E1EDP01 item {position or index}"
    if not _find(el, "MENGE"):
        raise MalformedDocument(f"{what} has no quantity (MENGE).")
    quantity = _sap_number(_find(el, "MENGE"), f"{what} MENGE")
    price_unit = _find(el, "PEINH")
    unit_price = None
    if _find(el, "VPREI"):
        per = _sap_number(price_unit, f"{what} PEINH") if price_unit else 1
        unit_price = Money(
            _divide(_sap_number(_find(el, "VPREI"), f"{what} VPREI"), per), currency
        )
    elif _find(el, "NETWR") and quantity:
        unit_price = Money(_sap_number(_find(el, "NETWR"), f"{what} NETWR") / quantity, currency)
    materials = _by_qualifier(el, "E1EDP19")
    references = _by_qualifier(el, "E1EDP02")
    reference = next(
        (references[q] for q in IDOC_SUPPLIER_REFERENCE_QUALIFIERS if q in references), None
    )
    schedule = next((s for s in el.findall("E1EDP20") if _find(s, "EDATU").strip("0")), None)
    comments = _sap_texts(el, "E1EDPT1", "E1EDPT2")
    description = next(
        (
            _find(m, "KTEXT")
            for m in (materials.get("001"), materials.get("002"))
            if _find(m, "KTEXT")
        ),
        "",
    )
    return Item(
        quantity=quantity,
        supplier_part_id=_find(materials.get("002"), "IDTNR"),
        unit_price=unit_price,
        line_number=_line_number(position, index),
        supplier_part_auxiliary_id=refs.auxiliary_id(
            header_quotation, _find(reference, "BELNR"), _find(reference, "ZEILE"), [comments]
        ),
        buyer_part_id=_find(materials.get("001"), "IDTNR"),
        description=description or comments.partition("\n")[0],
        short_name=description,
        unit_of_measure=unit_to_unece(_find(el, "MENEE")),
        requested_delivery_date=_sap_date(
            _find(schedule, "EDATU"), _find(schedule, "EZEIT"), f"{what} E1EDP20 EDATU"
        )
        if schedule is not None
        else header_delivery,
        comments=comments,
    )


def _read_idoc(root, refs):
    _strip_namespaces(root)
    idocs = [root] if root.tag == "IDOC" else root.findall("IDOC")
    if not idocs:
        raise MalformedDocument("The IDoc XML has no IDOC element.")
    if len(idocs) > 1:
        raise MalformedDocument(
            f"The IDoc XML holds {len(idocs)} IDocs; one purchase order per document is read."
        )
    idoc = idocs[0]
    control = idoc.find("EDI_DC40")
    header = idoc.find("E1EDK01")
    documents = _by_qualifier(idoc, "E1EDK02")
    order_id = _find(header, "BELNR") or _find(documents.get("001"), "BELNR")
    if not order_id:
        raise MalformedDocument(
            "The IDoc ORDERS05 has no purchase order number (E1EDK01/BELNR or E1EDK02 001)."
        )
    currency = _find(header, "CURCY").upper()
    dates = _by_qualifier(idoc, "E1EDK03", "IDDAT")

    def header_date(qualifier):
        el = dates.get(qualifier)
        return _sap_date(_find(el, "DATUM"), _find(el, "UZEIT"), f"E1EDK03 {qualifier}")

    order_date = header_date("012") or _sap_date(
        _find(documents.get("001"), "DATUM"), "", "E1EDK02 001 DATUM"
    )
    comments = _sap_texts(idoc, "E1EDKT1", "E1EDKT2")
    header_quotation = refs.choose(
        [_find(documents.get(q), "BELNR") for q in IDOC_SUPPLIER_REFERENCE_QUALIFIERS], [comments]
    )
    header_delivery = header_date("002")  # requested delivery date
    elements = [el for el in idoc.findall("E1EDP01") if _find(el, "ACTION") != "003"]
    if not elements:
        raise MalformedDocument(f"The IDoc purchase order {order_id} has no E1EDP01 item.")
    items = [
        _idoc_item(el, n, currency, header_quotation, header_delivery, refs)
        for n, el in enumerate(elements, 1)
    ]
    partners = _by_qualifier(idoc, "E1EDKA1", "PARVW")
    buyer = partners.get("AG")
    totals = _by_qualifier(idoc, "E1EDS01", "SUMID")
    total = totals.get("002")
    contact = Contact(name=_find(buyer, "BNAME"), phone=_find(buyer, "TELF1"), role="buyer")
    extrinsics = {
        IDOC_ORGANIZATION_QUALIFIERS.get(qualifier, f"E1EDK14 {qualifier}"): _find(el, "ORGID")
        for qualifier, el in _by_qualifier(idoc, "E1EDK14").items()
    }
    order = OrderRequest(
        order_id=order_id,
        order_date=order_date,
        order_type="update" if _find(control, "MESTYP") == "ORDCHG" else "new",
        total=Money(
            _sap_number(_find(total, "SUMME"), "E1EDS01 SUMME"),
            (_find(total, "SUNIT") or currency).upper(),
        )
        if _find(total, "SUMME")
        else None,
        ship_to=_idoc_address(partners.get("WE")),
        bill_to=_idoc_address(partners.get("RE", buyer)),
        contacts=[contact] if contact.name else [],
        comments=comments,
        extrinsics={k: v for k, v in extrinsics.items() if v},
        items=items,
    )
    return order, _find(control, "DOCNUM")


_READERS = {"ubl": _read_ubl, "opentrans": _read_opentrans, "idoc": _read_idoc}


# --- PDF text ----------------------------------------------------------------------------------


@dataclass
class PdfReferences:
    """What the text of a PDF purchase order tells us.

    ``quotation_refs``: our quotation names found (in order, once each); ``line_refs``:
    ``'<quotation>/<line>'`` references found; ``lines``: the order lines where a line table
    could be read (``supplier_part_auxiliary_id`` set from a reference in the line, or from the
    document's only quotation).
    """

    po_number: str = ""
    quotation_refs: list[str] = field(default_factory=list)
    line_refs: list[str] = field(default_factory=list)
    lines: list[Item] = field(default_factory=list)
    currency: str = ""
    order_date: datetime | None = None
    total: Money | None = None

    def to_order_request(self):
        """The lines read as an ``OrderRequest`` for the matcher.

        :raises MalformedDocument: no PO number, or no line could be read (then the caller
            decides, e.g. from ``quotation_refs``, what was ordered)
        """
        if not self.po_number:
            raise MalformedDocument("No purchase order number was found in the PDF.")
        if not self.lines:
            raise MalformedDocument(
                f"No order line could be read from the PDF of purchase order {self.po_number}."
            )
        return OrderRequest(
            order_id=self.po_number,
            order_date=self.order_date,
            total=self.total,
            items=list(self.lines),
        )


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_LETTER_SPACED = re.compile(r"(?<!\S)\S(?: \S){3,}(?!\S)")
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})(?!\d)"
    r"|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})(?!\d))"
)
_DATE_RE = re.compile(_DATE)
_PO_LABEL = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<strong>purchase\s*order(?:\s*(?:no\b\.?|number|nr\b\.?|num\b\.?|\#|id\b))?"
    r"|bestell(?:ung(?:s?\s*-?\s*(?:nummer|nr\b\.?|no\b\.?))?|\s*-?\s*(?:nummer|nr\b\.?|no\b\.?))"
    r"|order\s*(?:no\b\.?|number|nr\b\.?|\#))"
    r"|(?P<weak>p\.?\s?o\b\.?(?:\s*-?\s*(?:no\b\.?|number|nr\b\.?|nummer|\#))?)"
    r")(?:\s*/\s*(?:date|datum)\b)?",
    re.IGNORECASE,
)
_NOT_OURS_BEFORE_LABEL = re.compile(
    r"(?:sales|your|ihre?|vendor|supplier|lieferanten|kunden|customer)\s*$", re.IGNORECASE
)
_PO_TOKEN = re.compile(
    r"[ \t]*[:#.\-\u2013]*[ \t]*(?:\n[ \t]*[:#]?[ \t]*){0,2}([A-Za-z0-9][\w\-/.]*)"
)
_PO_NEARBY = re.compile(r"(?<![\w.,/+\-])(\d{6,12})(?![\w]|[.,/\-]\d)")
_SAP_PO = re.compile(r"(?<![\w.,/+\-])(45\d{8})(?![\w]|[.,/\-]\d)")
_FOREIGN_LABEL = re.compile(
    r"\b(?:tel|phone|fax|fon|mobil|iban|bic|swift|konto|account|acct|vat|ust|steuer|tax|kunden|"
    r"customer|vendor|supplier|lieferant|plz|zip|postfach|box|page|seite|invoice|rechnung|"
    r"contract|vertrag|quotation|angebot|lieferschein|material|artikel|article)",
    re.IGNORECASE,
)
_PHONE_BEFORE = re.compile(r"(?:\+\d{1,3}|\(0\)|\d{2,6})[\s]*$")
_SAP_LIKE = re.compile(r"4\d{9}")
_ORDER_DATE_AFTER_PO = re.compile(
    rf"[ \t]*(?:/|,|vom|dated|of|from|date[d:]?|datum:?)?[ \t]*(?:\n[ \t]*)?({_DATE})",
    re.IGNORECASE,
)
_ORDER_DATE_LABEL = re.compile(
    rf"\b(?:order\s*date|po\s*date|bestelldatum|date|datum)\b\s*:?\s*({_DATE})", re.IGNORECASE
)
_CURRENCY_LABEL = re.compile(r"\b(?:currency|w\u00e4hrung|waehrung)\b\s*:?\s*([A-Z]{3})\b")
_CURRENCY_CODES = re.compile(
    r"\b(EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|HUF|RON|JPY|CNY|CAD|AUD|NZD|SGD|HKD|ZAR)\b"
)
_CURRENCY_SYMBOLS = {"\u20ac": "EUR", "\u00a3": "GBP", "$": "USD"}
_TOTAL_LABEL = re.compile(
    r"\b(?:total\s+net\s+value|net\s+value\s+total|total\s+amount|total\s+value|order\s+total|"
    r"grand\s+total|total|gesamtnettowert|gesamtwert|gesamtbetrag|gesamtsumme|nettowert\s+gesamt|"
    r"summe)\b",
    re.IGNORECASE,
)
_AMOUNT = r"\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2,5}|\d+[.,]\d{2,5}"
_AMOUNT_RE = re.compile(rf"(?<![\d.,])(?:{_AMOUNT})(?![\d])")
_UNIT = r"[A-Za-z\u00c4\u00d6\u00dc\u00e4\u00f6\u00fc]{1,5}\d?\.?"
_QUANTITY = r"\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
_TAIL = (
    rf"(?P<qty>{_QUANTITY})\s+(?P<unit>{_UNIT})\s+(?:(?P<cur1>[A-Z]{{3}})\s+)?"
    rf"(?P<price>{_AMOUNT})(?:\s+(?P<cur2>[A-Z]{{3}}))?"
    rf"(?:\s*(?:/|per|pro|je)?\s*(?P<per>\d{{1,5}})\s*(?P<per_unit>{_UNIT}))?"
    rf"(?:\s+(?:[A-Z]{{3}}\s+)?(?P<net>{_AMOUNT})(?:\s+[A-Z]{{3}})?)?"
)
_ROW = re.compile(rf"(?P<pos>\d{{1,6}})\s+(?P<head>.*?)\s*(?<!\S){_TAIL}")
_ROW_HEAD = re.compile(r"(?P<pos>\d{1,5})\s+(?P<head>\S.*[A-Za-z].*)")
_ROW_TAIL = re.compile(_TAIL)
_MAX_ROW_LENGTH = 300
_SUPPLIER_MATERIAL = re.compile(
    r"\b(?:your\s+material\s+(?:no\.?|number)|vendor\s+material(?:\s+(?:no\.?|number))?|"
    r"supplier\s+part(?:\s+(?:no\.?|number))?|ihre\s+mat(?:erial)?\.?\s*-?\s*(?:nr\.?|nummer)|"
    r"ihre\s+materialnummer|lieferantenmaterial(?:nummer)?)\s*:?\s*(?P<value>\S+)",
    re.IGNORECASE,
)
_DELIVERY_DATE = re.compile(
    rf"\b(?:delivery\s+date|deliver\s+by|liefertermin|lieferdatum)\b\s*:?\s*"
    rf"(?:(?:day|tag)\s+)?({_DATE})",
    re.IGNORECASE,
)
_CONTINUATION_STOP = re.compile(
    rf"^(?:(?:page|seite)\s+\d+|{_TOTAL_LABEL.pattern}|item\b|pos\b\.?)", re.IGNORECASE
)
_MATERIAL_CODE = re.compile(r"[A-Za-z0-9][\w\-./]*\d[\w\-./]*|\d[\w\-./]*")


def compile_po_pattern(pattern):
    """A per-connection PO number pattern, compiled case-insensitively and multi-line. The PO
    number is its group ``po``, else its first group, else the whole match.

    :raises ValueError: not a valid regular expression
    """
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"The PO number pattern {pattern!r} is not valid: {exc}") from None


def normalize_pdf_text(text):
    """Text extracted from a PDF, made regular: compatibility characters folded (ligatures,
    non-breaking spaces), soft hyphens dropped, letter-spaced words joined ('B e s t e l l u n g'),
    runs of spaces collapsed, one line per line."""
    text = unicodedata.normalize("NFKC", text or "")[:MAX_PDF_TEXT].translate(_INVISIBLE)
    text = re.sub(r"\r\n?|\f|\v", "\n", text).replace("\t", " ")
    lines = []
    for line in text.split("\n"):
        line = _LETTER_SPACED.sub(lambda m: m.group().replace(" ", ""), line)
        lines.append(re.sub(r" {2,}", " ", line).strip())
    return "\n".join(lines)


def slash_date_order(text):
    """'dmy' or 'mdy' when the text's slashed dates show one order (a day above 12 in the
    first or the second place, never both), else None."""
    orders = set()
    for match in re.finditer(
        r"(?<![\d/])(\d{1,2})/(\d{1,2})/(?:\d{4}|\d{2})(?![\d/])", text or ""
    ):
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            orders.add("dmy")
        elif second > 12 >= first:
            orders.add("mdy")
    return orders.pop() if len(orders) == 1 else None


def parse_text_date(value, slash_order=None):
    """A date as printed (28.03.2024, 2024-03-28, 03/28/2024, 28/03/2024) as a naive datetime;
    None when unreadable. Slashed dates whose day and month cannot be told apart (03/04/2024)
    follow ``slash_order`` ('dmy' or 'mdy', see ``slash_date_order``), else give None."""
    value = (value or "").strip().replace(" ", "")
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
        year, month, day = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})", value):
        day, month, year = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", value):
        first, second, year = map(int, match.groups())
        if first > 12 >= second or (first <= 12 and second <= 12 and slash_order == "dmy"):
            day, month = first, second
        elif second > 12 >= first or (first <= 12 and second <= 12 and slash_order == "mdy"):
            month, day = first, second
        elif first == second:
            day = month = first
        else:
            return None
    else:
        return None
    if year < 100:
        year += 2000
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _decimal_comma(text):
    """True when the document writes decimals with a comma (1.250,00), judged by its amounts."""
    text = _DATE_RE.sub(" ", text)
    commas = len(re.findall(r"\d,\d{2}(?!\d)", text))
    points = len(re.findall(r"\d\.\d{2}(?!\d)", text))
    return commas > points


def _pdf_number(value, decimal_comma):
    value = value.strip().replace(" ", "").replace("'", "")
    negative = value.endswith("-")
    value = value.rstrip("-")
    value = value.replace(".", "").replace(",", ".") if decimal_comma else value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or (number and number.adjusted() >= MAX_NUMBER_DIGITS):
        return None
    return -number if negative else number


def _line_start(text, position):
    return text.rfind("\n", 0, position) + 1


def _foreign_context(text, position):
    """True when the number at ``position`` is a phone number or follows another label on its
    line (customer number, fax, IBAN...)."""
    before = text[max(_line_start(text, position), position - 40) : position]
    return bool(_FOREIGN_LABEL.search(before) or _PHONE_BEFORE.search(before))


def _clean_po_token(token):
    token = re.sub(rf"/\s*{_DATE}.*$", "", token)
    return token.rstrip(".,;:/-_")


def _po_candidates(text, quotation_re):
    """``[(score, position, po number, end)]``: after a strong label 3 (the SAP print's
    'Purchase order no./Date', 'Bestellnummer'), after 'PO' 2, a number near a strong label 1,
    a lone SAP-like number (45xxxxxxxx) 0.5; SAP-like numbers get half a point more."""
    candidates = []

    def add(score, position, value, end):
        if _SAP_LIKE.fullmatch(value):
            score += 0.5
        candidates.append((score, position, value, end))

    for label in _PO_LABEL.finditer(text):
        before = text[max(_line_start(text, label.start()), label.start() - 15) : label.start()]
        if _NOT_OURS_BEFORE_LABEL.search(before):
            continue
        token_match = _PO_TOKEN.match(text, label.end())
        token = _clean_po_token(token_match.group(1)) if token_match else ""
        if (
            3 <= len(token) <= 35
            and sum(c.isdigit() for c in token) >= 3
            and token.strip("0")
            and not _DATE_RE.fullmatch(token)
            and not quotation_re.fullmatch(token)
        ):
            start = token_match.start(1)
            add(3 if label.group("strong") else 2, start, token, start + len(token))
            continue
        if label.group("strong"):
            window_end = label.end() + 160
            for match in _PO_NEARBY.finditer(text, label.end(), window_end):
                if not _foreign_context(text, match.start()):
                    add(1, match.start(), match.group(1), match.end())
                    break
    numbers = {
        m.group(1): m for m in _SAP_PO.finditer(text) if not _foreign_context(text, m.start())
    }
    if len(numbers) == 1:
        match = next(iter(numbers.values()))
        add(0.5, match.start(), match.group(1), match.end())
    return candidates


def _find_po_number(text, po_pattern, quotation_re):
    """``(po number, end position)``, or ``('', None)``."""
    if po_pattern:
        regex = (
            po_pattern if isinstance(po_pattern, re.Pattern) else compile_po_pattern(po_pattern)
        )
        for match in regex.finditer(text):
            group = "po" if "po" in regex.groupindex else 1 if regex.groups else 0
            value = (match.group(group) or "").strip()
            if value:
                return value, match.end(group)
        return "", None
    candidates = _po_candidates(text, quotation_re)
    if not candidates:
        return "", None
    _score, _position, value, end = max(candidates, key=lambda c: (c[0], -c[1]))
    return value, end


def _find_order_date(text, po_end, slash_order):
    if po_end is not None:
        match = _ORDER_DATE_AFTER_PO.match(text, po_end)
        if match and parse_text_date(match.group(1), slash_order):
            return parse_text_date(match.group(1), slash_order)
    for match in _ORDER_DATE_LABEL.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()].lower()
        if "deliver" in before or "liefer" in before:
            continue
        value = parse_text_date(match.group(1), slash_order)
        if value:
            return value
    return None


def _find_currency(text):
    label = _CURRENCY_LABEL.search(text)
    if label:
        return label.group(1)
    codes = Counter(_CURRENCY_CODES.findall(text))
    if codes:
        return codes.most_common(1)[0][0]
    for symbol, code in _CURRENCY_SYMBOLS.items():
        if symbol in text:
            return code
    return ""


def _find_total(lines, decimal_comma, currency):
    for line in reversed(lines):
        if _TOTAL_LABEL.search(line):
            amounts = _AMOUNT_RE.findall(line)
            if amounts:
                amount = _pdf_number(amounts[-1], decimal_comma)
                if amount is not None:
                    return Money(amount, currency)
    return None


def _table_rows(lines):
    """``[(row match, index of its last line)]``: one-line rows (position ... quantity unit
    price [per n unit] [net value]) and rows whose figures are on the next line."""
    rows = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if len(line) <= _MAX_ROW_LENGTH:
            match = _ROW.fullmatch(line)
            if match:
                rows.append((match.groupdict(), index, index))
                index += 1
                continue
            head = _ROW_HEAD.fullmatch(line)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            tail = _ROW_TAIL.fullmatch(following) if len(following) <= _MAX_ROW_LENGTH else None
            if head and tail:
                rows.append(({**head.groupdict(), **tail.groupdict()}, index, index + 1))
                index += 2
                continue
        index += 1
    return rows


def _read_lines(lines, refs, decimal_comma, slash_order, currency, single_quotation):
    rows = _table_rows(lines)
    items = []
    for n, (row, first, last) in enumerate(rows):
        next_first = rows[n + 1][1] if n + 1 < len(rows) else len(lines)
        continuation = []
        for line in lines[last + 1 : min(next_first, last + 9)]:
            if _CONTINUATION_STOP.match(line):
                break
            if line:
                continuation.append(line)
        quantity = _pdf_number(row["qty"], decimal_comma)
        price = _pdf_number(row["price"], decimal_comma)
        if quantity is None or price is None:
            continue
        per = int(row["per"]) if row.get("per") else 1
        head = row["head"].strip()
        first_word, _sep, rest = head.partition(" ")
        if _MATERIAL_CODE.fullmatch(first_word) and not (
            refs.quotation_re.fullmatch(first_word) or refs.lines([first_word])
        ):
            material, description = first_word, rest.strip()
        else:
            material, description = "", head
        supplier_part, delivery_date = "", None
        for line in continuation:
            if found := _SUPPLIER_MATERIAL.search(line):
                supplier_part = supplier_part or found.group("value").rstrip(".,;")
            elif found := _DELIVERY_DATE.search(line):
                delivery_date = delivery_date or parse_text_date(found.group(1), slash_order)
            elif not description and not refs.lines([line]) and not refs.quotations([line]):
                description = line
        row_texts = [" ".join(lines[first : last + 1]), *continuation]
        line_refs = refs.lines(row_texts)
        items.append(
            Item(
                quantity=quantity,
                supplier_part_id=supplier_part or material,
                unit_price=Money(
                    _divide(price, per), row.get("cur1") or row.get("cur2") or currency
                ),
                line_number=int(row["pos"]),
                supplier_part_auxiliary_id=line_refs[0] if line_refs else single_quotation,
                buyer_part_id=material if supplier_part else "",
                description=description,
                unit_of_measure=unit_to_unece(row["unit"]),
                requested_delivery_date=delivery_date,
            )
        )
    return items


def _unique(values):
    return list(dict.fromkeys(values))


def find_pdf_references(text, po_pattern=None, quotation_pattern=DEFAULT_QUOTATION_PATTERN):
    """Our references, the buyer's PO number and, where a line table can be read, the lines of
    the text of a PDF purchase order.

    ``po_pattern`` (a regex, or compiled by ``compile_po_pattern``) replaces the default PO
    number search, which fits SAP's standard PO print in English and German ('Purchase order
    no./Date 4500012345 / 28.03.2024', 'Bestellnummer', 'Bestell-Nr.', 'PO number: ...') and
    takes neither dates, phone numbers nor numbers behind other labels (customer number, fax).
    ``quotation_pattern`` matches our quotation names (``S00042``). The text is first made
    regular by ``normalize_pdf_text``; a custom PO pattern sees that text.
    """
    text = normalize_pdf_text(text)
    refs = _References(quotation_pattern)
    po_number, po_end = _find_po_number(text, po_pattern, refs.quotation_re)
    lines = text.split("\n")
    quotation_refs = _unique(m.group() for m in refs.quotation_re.finditer(text))
    line_refs = _unique(refs.lines([text]))
    currency = _find_currency(text)
    decimal_comma = _decimal_comma(text)
    single_quotation = quotation_refs[0] if len(quotation_refs) == 1 else ""
    slash_order = slash_date_order(text)
    return PdfReferences(
        po_number=po_number,
        quotation_refs=quotation_refs,
        line_refs=line_refs,
        lines=_read_lines(lines, refs, decimal_comma, slash_order, currency, single_quotation),
        currency=currency,
        order_date=_find_order_date(text, po_end, slash_order),
        total=_find_total(lines, decimal_comma, currency),
    )
