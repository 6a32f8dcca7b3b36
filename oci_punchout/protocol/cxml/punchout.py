"""The punchout session: ProfileRequest, PunchOutSetupRequest and its response, the cart returned
as a PunchOutOrderMessage, and the cart's hidden browser-form field (``cxml-base64`` or
``cxml-urlencoded``).
"""

import base64
import binascii
import re
from urllib.parse import unquote_plus

from ..errors import MalformedDocument, NotAcceptable
from ..xml import (
    DEFAULT_MAX_BYTES,
    add_element,
    attribute,
    element_text,
    find_text,
)
from .documents import (
    CART_OPERATIONS,
    DEPLOYMENT_MODES,
    FORM_ENCODINGS,
    SETUP_OPERATIONS,
    PunchOutOrderMessage,
    PunchOutSetupRequest,
    SelectedItem,
)
from .reading import (
    _load,
    _parse_address,
    _parse_contact,
    _parse_extrinsics,
    _parse_items,
    _parse_money,
)
from .writing import (
    _add_address,
    _add_charge,
    _add_contact,
    _add_extrinsics,
    _add_header,
    _add_item,
    _add_item_id,
    _add_money,
    _check_choice,
    _document,
    _request_document,
    _response_document,
    _serialize,
    format_datetime,
)


def _parse_setup_request(el):
    operation = attribute(el, "operation", "create").lower()
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
        buyer_cookie=element_text(cookie),
        browser_form_post_url=find_text(el, "BrowserFormPost/URL"),
        supplier_setup_url=find_text(el, "SupplierSetup/URL"),
        extrinsics=_parse_extrinsics(el),
        contact=_parse_contact(contact) if contact is not None else None,
        ship_to=_parse_address(el.find("ShipTo")),
        selected_item=SelectedItem(
            supplier_part_id=find_text(selected, "SupplierPartID"),
            supplier_part_auxiliary_id=find_text(selected, "SupplierPartAuxiliaryID"),
            buyer_part_id=find_text(selected, "BuyerPartID"),
        )
        if selected is not None
        else None,
        items=_parse_items(el, "ItemOut"),
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
        buyer_cookie=find_text(el, "BuyerCookie"),
        operation_allowed=attribute(header, "operationAllowed", "create").lower(),
        total=_parse_money(header.find("Total") if header is not None else None, "Total"),
        tax=_parse_money(header.find("Tax") if header is not None else None, "Tax"),
        shipping=_parse_money(header.find("Shipping") if header is not None else None, "Shipping"),
        items=_parse_items(el, "ItemIn"),
    )


def build_profile_response(
    transactions, *, effective_date=None, payload_id=None, timestamp=None, lang="en"
):
    """ProfileResponse listing ``(request_name, url)`` for each request we accept."""
    if not transactions:
        raise ValueError("A ProfileResponse needs at least one transaction.")
    root, response = _response_document(200, None, "", payload_id, timestamp, lang)
    profile = add_element(
        response, "ProfileResponse", attrib={"effectiveDate": format_datetime(effective_date)}
    )
    for request_name, url in transactions:
        add_element(
            add_element(profile, "Transaction", attrib={"requestName": request_name}), "URL", url
        )
    return _serialize(root)


def build_punchout_setup_response(start_url, *, payload_id=None, timestamp=None, lang="en"):
    """PunchOutSetupResponse with the one-time start URL (``&`` is escaped by the writer)."""
    root, response = _response_document(200, None, "", payload_id, timestamp, lang)
    add_element(
        add_element(add_element(response, "PunchOutSetupResponse"), "StartPage"), "URL", start_url
    )
    return _serialize(root)


def build_profile_request(
    header, *, deployment_mode="production", payload_id=None, timestamp=None, lang="en"
):
    """A ProfileRequest (for the buyer simulator and tests)."""
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    add_element(request, "ProfileRequest")
    return _serialize(root)


def build_punchout_setup_request(
    header, setup, *, deployment_mode="production", payload_id=None, timestamp=None, lang="en"
):
    """A PunchOutSetupRequest as a buyer's system sends it (simulator, tests)."""
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    operation = _check_choice(setup.operation, SETUP_OPERATIONS, "operation")
    el = add_element(request, "PunchOutSetupRequest", attrib={"operation": operation})
    add_element(el, "BuyerCookie", setup.buyer_cookie)
    _add_extrinsics(el, setup.extrinsics)
    if setup.browser_form_post_url:
        add_element(add_element(el, "BrowserFormPost"), "URL", setup.browser_form_post_url)
    if setup.contact:
        _add_contact(el, setup.contact, lang)
    if setup.supplier_setup_url:
        add_element(add_element(el, "SupplierSetup"), "URL", setup.supplier_setup_url)
    if setup.ship_to:
        _add_address(el, "ShipTo", setup.ship_to, lang)
    if setup.selected_item:
        selected = setup.selected_item
        _add_item_id(
            add_element(el, "SelectedItem"),
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
    message_el = add_element(
        root, "Message", attrib={"deploymentMode": mode, "inReplyTo": in_reply_to}
    )
    el = add_element(message_el, "PunchOutOrderMessage")
    add_element(el, "BuyerCookie", message.buyer_cookie)
    header_el = add_element(
        el, "PunchOutOrderMessageHeader", attrib={"operationAllowed": operation}
    )
    _add_money(header_el, "Total", message.total)
    if message.shipping:
        _add_charge(header_el, "Shipping", message.shipping, lang)
    if message.tax:
        _add_charge(header_el, "Tax", message.tax, lang)
    for n, item in enumerate(message.items, 1):
        _add_item(el, "ItemIn", item, item.line_number or n, lang)
    return _serialize(root)


_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


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
