"""Reading helpers shared by the cXML parsers: the envelope's header, dates, amounts, addresses,
contacts and item lines, read liberally (zones optional, currency signs and thousands separators
tolerated, stray namespaces stripped).
"""

import re
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from lxml import etree

from ..errors import MalformedDocument
from ..xml import attribute, element_text, find_text, parse_xml, strip_namespaces
from .documents import MAX_NUMBER_DIGITS, Address, Contact, Credential, Header, Item, Money

_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?",
    re.IGNORECASE,
)
_NUMBER_JUNK = re.compile(r"[^\d,.\-]")
_VERSION_IN_URL = re.compile(r"/cXML/(\d+(?:\.\d+)+)/", re.IGNORECASE)


def _own_text(el):
    """Text directly inside ``el`` (not in its children), stripped; '' for None."""
    return "".join(el.xpath("text()")).strip() if el is not None else ""


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


def _load(data, max_bytes):
    root = parse_xml(data, max_bytes)
    strip_namespaces(root)
    if root.tag != "cXML":
        raise MalformedDocument(
            f"The root element is <{root.tag}>; a <cXML> document was expected."
        )
    return root


def _deployment_mode(el, root):
    mode = attribute(el, "deploymentMode") or attribute(root, "deploymentMode")
    return "test" if mode.lower() == "test" else "production"


def _parse_credentials(parent, role, required):
    credentials = []
    for el in parent.findall("Credential") if parent is not None else ():
        secret = el.find("SharedSecret")
        credentials.append(
            Credential(
                domain=attribute(el, "domain"),
                identity=find_text(el, "Identity"),
                shared_secret=element_text(secret) if secret is not None else None,
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
        user_agent=find_text(el, "Sender/UserAgent"),
    )


def _parse_money(parent, what):
    el = parent.find("Money") if parent is not None else None
    if el is None:
        return None
    return Money(parse_amount(element_text(el), what), attribute(el, "currency").upper())


def _parse_phone(el):
    number = el.find("TelephoneNumber") if el is not None else None
    if number is None:
        return ""
    country = find_text(number, "CountryCode")
    parts = [
        f"+{country.lstrip('+')}" if country else "",
        find_text(number, "AreaOrCityCode"),
        find_text(number, "Number"),
    ]
    extension = find_text(number, "Extension")
    if extension:
        parts.append(f"ext. {extension}")
    return " ".join(p for p in parts if p)


def _postal_values(postal):
    """The Address fields held by a PostalAddress (empty ones for None)."""
    if postal is None:
        postal = etree.Element("PostalAddress")
    country = postal.find("Country")
    return {
        "deliver_to": [element_text(d) for d in postal.findall("DeliverTo")],
        "street": [element_text(s) for s in postal.findall("Street")],
        "city": find_text(postal, "City"),
        "state": find_text(postal, "State"),
        "postal_code": find_text(postal, "PostalCode"),
        "country_code": attribute(country, "isoCountryCode").upper(),
        "country": element_text(country),
    }


def _parse_address(parent):
    el = parent.find("Address") if parent is not None else None
    if el is None:
        return None
    values = _postal_values(el.find("PostalAddress"))
    values["country_code"] = values["country_code"] or attribute(el, "isoCountryCode").upper()
    return Address(
        name=find_text(el, "Name"),
        address_id=attribute(el, "addressID"),
        email=find_text(el, "Email"),
        phone=_parse_phone(el.find("Phone")),
        **values,
    )


def _parse_contact(el):
    return Contact(
        name=find_text(el, "Name"),
        email=find_text(el, "Email"),
        phone=_parse_phone(el.find("Phone")),
        role=attribute(el, "role"),
        address_id=attribute(el, "addressID"),
    )


def _parse_extrinsics(parent):
    if parent is None:
        return {}
    return {
        attribute(e, "name"): element_text(e)
        for e in parent.findall("Extrinsic")
        if attribute(e, "name")
    }


def _parse_comments(parent):
    return "\n".join(t for t in (_own_text(c) for c in parent.findall("Comments")) if t)


def _parse_item(el, what):
    item_id = el.find("ItemID")
    supplier_part_id = find_text(item_id, "SupplierPartID")
    if not supplier_part_id:
        raise MalformedDocument(f"{what} has no ItemID/SupplierPartID.")
    quantity = el.get("quantity")
    if not (quantity or "").strip():
        raise MalformedDocument(f"{what} has no quantity.")
    detail = el.find("ItemDetail")
    description = detail.find("Description") if detail is not None else None
    classifications = detail.findall("Classification") if detail is not None else []
    lead_time = re.search(r"\d+", find_text(detail, "LeadTime"))
    return Item(
        quantity=parse_amount(quantity, f"{what} quantity"),
        supplier_part_id=supplier_part_id,
        unit_price=_parse_money(detail.find("UnitPrice") if detail is not None else None, what),
        line_number=_parse_int(el.get("lineNumber"), f"{what} lineNumber"),
        parent_line_number=_parse_int(el.get("parentLineNumber"), f"{what} parentLineNumber"),
        item_type=attribute(el, "itemType"),
        composite_item_type=attribute(el, "compositeItemType"),
        supplier_part_auxiliary_id=find_text(item_id, "SupplierPartAuxiliaryID"),
        buyer_part_id=find_text(item_id, "BuyerPartID"),
        description=_own_text(description),
        short_name=find_text(description, "ShortName"),
        unit_of_measure=find_text(detail, "UnitOfMeasure"),
        classifications=[
            (attribute(c, "domain"), element_text(c) or attribute(c, "code"))
            for c in classifications
        ],
        manufacturer_part_id=find_text(detail, "ManufacturerPartID"),
        manufacturer_name=find_text(detail, "ManufacturerName"),
        url=find_text(detail, "URL"),
        lead_time=int(lead_time.group()) if lead_time else None,
        requested_delivery_date=parse_datetime(
            el.get("requestedDeliveryDate"), f"{what} requestedDeliveryDate"
        ),
        comments=_parse_comments(el),
        extrinsics={**_parse_extrinsics(detail), **_parse_extrinsics(el)},
    )


def _parse_items(parent, tag):
    return [_parse_item(el, f"{tag} {n}") for n, el in enumerate(parent.findall(tag), 1)]


def _document_version(root):
    """The cXML version the document declares: its ``version``, else its DOCTYPE's; or ''."""
    version = attribute(root, "version")
    if not version:
        match = _VERSION_IN_URL.search(root.getroottree().docinfo.system_url or "")
        version = match.group(1) if match else ""
    return version
