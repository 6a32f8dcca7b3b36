"""Writing helpers shared by the cXML builders: the document and its DOCTYPE, the header, money,
addresses, contacts and item lines, written strictly as the DTDs order them.
"""

import os
import re
import secrets
import socket
import time
from datetime import date, datetime, timezone
from decimal import Decimal

from lxml import etree

from ..xml import add_element
from .documents import (
    CXML_VERSION,
    DEFAULT_USER_AGENT,
    DEPLOYMENT_MODES,
    DTD_URL,
    STATUS_TEXTS,
    XML_LANG,
)

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
    el = add_element(root, "Header")
    roles = (
        ("From", header.from_credentials),
        ("To", header.to_credentials),
        ("Sender", header.sender_credentials),
    )
    for role, credentials in roles:
        if not credentials:
            raise ValueError(f"The cXML Header needs at least one {role} credential.")
        parent = add_element(el, role)
        for credential in credentials:
            cred_el = add_element(parent, "Credential", attrib={"domain": credential.domain})
            add_element(cred_el, "Identity", credential.identity)
            if with_secret and role == "Sender" and credential.shared_secret:
                add_element(cred_el, "SharedSecret", credential.shared_secret)
    add_element(el.find("Sender"), "UserAgent", header.user_agent or DEFAULT_USER_AGENT)


def _request_document(header, deployment_mode, payload_id, timestamp, lang, version=CXML_VERSION):
    root = _document(payload_id, timestamp, lang, version)
    _add_header(root, header, with_secret=True)
    mode = _check_choice(deployment_mode, DEPLOYMENT_MODES, "deploymentMode")
    return root, add_element(root, "Request", attrib={"deploymentMode": mode})


def _response_document(status_code, status_text, message, payload_id, timestamp, lang):
    root = _document(payload_id, timestamp, lang)
    response = add_element(root, "Response")
    text = status_text or STATUS_TEXTS.get(int(status_code)) or str(status_code)
    attrib = {"code": str(int(status_code)), "text": text, XML_LANG: lang if message else None}
    add_element(response, "Status", message or None, attrib)
    return root, response


def _add_money(parent, tag, money):
    wrapper = add_element(parent, tag)
    add_element(wrapper, "Money", _format_amount(money.amount), {"currency": money.currency})
    return wrapper


def _add_extrinsics(parent, extrinsics):
    for name, value in (extrinsics or {}).items():
        add_element(parent, "Extrinsic", value, {"name": name})


def _add_phone(parent, phone, country_code):
    match = _PHONE.fullmatch(phone.strip())
    if match:
        dial, area_parens, area, number = match.groups()
        area = area_parens or area or ""
    else:
        dial, area, number = "", "", phone.strip()
    telephone = add_element(add_element(parent, "Phone"), "TelephoneNumber")
    add_element(telephone, "CountryCode", dial or "", {"isoCountryCode": country_code or ""})
    add_element(telephone, "AreaOrCityCode", area)
    add_element(telephone, "Number", number)


def _add_postal_address(parent, address):
    """A PostalAddress, if the address has any of its parts."""
    if not (address.street or address.city or address.postal_code or address.country_code):
        return
    postal = add_element(parent, "PostalAddress")
    for line in address.deliver_to:
        add_element(postal, "DeliverTo", line)
    for line in address.street or [""]:
        add_element(postal, "Street", line)
    add_element(postal, "City", address.city)
    if address.state:
        add_element(postal, "State", address.state)
    if address.postal_code:
        add_element(postal, "PostalCode", address.postal_code)
    country = address.country or address.country_code
    add_element(postal, "Country", country, {"isoCountryCode": address.country_code})


def _add_address(parent, tag, address, lang):
    el = add_element(
        add_element(parent, tag), "Address", attrib={"addressID": address.address_id or None}
    )
    add_element(el, "Name", address.name, {XML_LANG: lang})
    _add_postal_address(el, address)
    if address.email:
        add_element(el, "Email", address.email)
    if address.phone:
        _add_phone(el, address.phone, address.country_code)


def _add_contact(parent, contact, lang):
    attrib = {"role": contact.role or None, "addressID": contact.address_id or None}
    el = add_element(parent, "Contact", attrib=attrib)
    add_element(el, "Name", contact.name, {XML_LANG: lang})
    if contact.email:
        add_element(el, "Email", contact.email)
    if contact.phone:
        _add_phone(el, contact.phone, "")


def _add_item_id(parent, supplier_part_id, auxiliary_id, buyer_part_id):
    el = add_element(parent, "ItemID")
    add_element(el, "SupplierPartID", supplier_part_id)
    if auxiliary_id:
        add_element(el, "SupplierPartAuxiliaryID", auxiliary_id)
    if buyer_part_id:
        add_element(el, "BuyerPartID", buyer_part_id)


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
    if item.parent_line_number:
        attrib["parentLineNumber"] = str(item.parent_line_number)
    if item.item_type:
        attrib["itemType"] = _check_choice(
            item.item_type, ("composite", "item", "lean"), "itemType"
        )
    if item.composite_item_type:
        attrib["compositeItemType"] = _check_choice(
            item.composite_item_type, ("groupLevel", "itemLevel"), "compositeItemType"
        )
    if tag == "ItemOut" and item.requested_delivery_date:
        attrib["requestedDeliveryDate"] = format_datetime(item.requested_delivery_date)
    el = add_element(parent, tag, attrib=attrib)
    _add_item_id(el, item.supplier_part_id, item.supplier_part_auxiliary_id, item.buyer_part_id)
    _add_item_detail(el, item, lang)
    if item.comments:
        add_element(el, "Comments", item.comments, {XML_LANG: lang})


def _add_item_detail(parent, item, lang):
    """An ``ItemDetail`` (the same in cart messages, orders and catalogue indexes)."""
    detail = add_element(parent, "ItemDetail")
    _add_money(detail, "UnitPrice", item.unit_price)
    description = add_element(detail, "Description", item.description, {XML_LANG: lang})
    if item.short_name:
        add_element(description, "ShortName", item.short_name)
    add_element(detail, "UnitOfMeasure", item.unit_of_measure)
    for domain, code in item.classifications:
        add_element(detail, "Classification", code, {"domain": domain})
    if item.manufacturer_part_id:
        add_element(detail, "ManufacturerPartID", item.manufacturer_part_id)
    if item.manufacturer_name:
        add_element(detail, "ManufacturerName", item.manufacturer_name, {XML_LANG: lang})
    if item.url:
        add_element(detail, "URL", item.url)
    if item.lead_time is not None:
        add_element(detail, "LeadTime", str(int(item.lead_time)))
    _add_extrinsics(detail, item.extrinsics)
    return detail


def _add_charge(parent, tag, money, lang):
    """Shipping or Tax: Money plus the Description the DTD requires."""
    add_element(_add_money(parent, tag, money), "Description", tag, {XML_LANG: lang})
