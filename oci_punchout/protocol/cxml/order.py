"""The OrderRequest: read from the buyer's system, built by the simulator and the tests from a
returned cart.
"""

from dataclasses import replace

from ..errors import MalformedDocument
from ..xml import add_element, attribute, find_text
from .documents import ORDER_TYPES, XML_LANG, OrderRequest
from .reading import (
    _parse_address,
    _parse_comments,
    _parse_contact,
    _parse_extrinsics,
    _parse_int,
    _parse_items,
    _parse_money,
    parse_datetime,
)
from .writing import (
    _add_address,
    _add_charge,
    _add_contact,
    _add_extrinsics,
    _add_item,
    _add_money,
    _check_choice,
    _request_document,
    _serialize,
    format_datetime,
)


def _parse_order_request(el):
    header = el.find("OrderRequestHeader")
    if header is None:
        raise MalformedDocument("The OrderRequest has no OrderRequestHeader.")
    order_id = attribute(header, "orderID")
    if not order_id:
        raise MalformedDocument("The OrderRequestHeader has no orderID.")
    order_type = attribute(header, "type", "new").lower()
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
        attachments=[find_text(a, "URL") for c in comments for a in c.findall("Attachment")],
        extrinsics=_parse_extrinsics(header),
        document_reference_payload_id=attribute(reference, "payloadID"),
        items=items,
    )


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
    el = add_element(request, "OrderRequest")
    attrib = {
        "orderID": order.order_id,
        "orderDate": format_datetime(order.order_date),
        "type": order_type,
        "orderVersion": str(order.order_version) if order.order_version is not None else None,
    }
    header_el = add_element(el, "OrderRequestHeader", attrib=attrib)
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
        comments = add_element(header_el, "Comments", order.comments, {XML_LANG: lang})
        for url in order.attachments:
            add_element(add_element(comments, "Attachment"), "URL", url)
    if order.document_reference_payload_id:
        reference = {"payloadID": order.document_reference_payload_id}
        add_element(header_el, "DocumentReference", attrib=reference)
    _add_extrinsics(header_el, order.extrinsics)
    for n, item in enumerate(order.items, 1):
        _add_item(el, "ItemOut", item, item.line_number or n, lang)
    return _serialize(root)
