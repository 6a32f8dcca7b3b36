"""The ConfirmationRequest (``Fulfill.dtd``): what we do with the buyer's order."""

from dataclasses import replace

from ..xml import add_element
from .documents import CONFIRMATION_STATUS_TYPES, CONFIRMATION_TYPES, XML_LANG
from .writing import (
    _add_money,
    _check_choice,
    _format_quantity,
    _request_document,
    _serialize,
    format_datetime,
)


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
    if operation == "update" and not confirmation.previous_payload_id:
        raise ValueError(
            "An update ConfirmationRequest needs the payloadID of the version it replaces."
        )
    if confirm_type == "reject" and confirmation.items:
        # Fulfill.dtd: a rejected order is rejected as a whole, the reason in Comments.
        raise ValueError("A reject ConfirmationRequest must not list items.")
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    el = add_element(request, "ConfirmationRequest")
    attrib = {
        "type": confirm_type,
        "noticeDate": format_datetime(confirmation.notice_date),
        "operation": operation,
        "confirmID": confirmation.confirm_id or None,
        "version": str(confirmation.version) if confirmation.version else None,
    }
    header_el = add_element(el, "ConfirmationHeader", attrib=attrib)
    if confirmation.previous_payload_id:
        add_element(
            header_el, "DocumentReference", attrib={"payloadID": confirmation.previous_payload_id}
        )
    if confirmation.total:
        _add_money(header_el, "Total", confirmation.total)
    if confirmation.comments:
        add_element(header_el, "Comments", confirmation.comments, {XML_LANG: lang})
    order_date = confirmation.order_date
    reference = add_element(
        el,
        "OrderReference",
        attrib={
            "orderID": confirmation.order_id,
            "orderDate": format_datetime(order_date) if order_date else None,
        },
    )
    add_element(
        reference, "DocumentReference", attrib={"payloadID": confirmation.order_payload_id}
    )
    for line in confirmation.items:
        item_attrib = {
            "lineNumber": str(line.line_number),
            "quantity": _format_quantity(line.quantity),
        }
        item_el = add_element(el, "ConfirmationItem", attrib=item_attrib)
        add_element(item_el, "UnitOfMeasure", line.unit_of_measure)
        quantity = line.status_quantity
        if quantity is None:
            quantity = (
                line.quantity - (line.backordered_quantity or 0) - (line.rejected_quantity or 0)
            )
        if quantity or not (line.backordered_quantity or line.rejected_quantity):
            _add_status(item_el, line, quantity, lang)
        if line.backordered_quantity:
            backordered = replace(
                line,
                status="backordered",
                delivery_date=line.backorder_delivery_date,
                shipment_date=None,
                unit_price=None,
                comments="",
            )
            _add_status(item_el, backordered, line.backordered_quantity, lang)
        if line.rejected_quantity:
            rejected = replace(
                line,
                status="reject",
                delivery_date=None,
                shipment_date=None,
                unit_price=None,
                comments="",
            )
            _add_status(item_el, rejected, line.rejected_quantity, lang)
    return _serialize(root, dtd="Fulfill")


def _add_status(item_el, line, quantity, lang):
    status = _check_choice(line.status, CONFIRMATION_STATUS_TYPES, "ConfirmationStatus type")
    status_attrib = {
        "type": status,
        "quantity": _format_quantity(quantity),
        "shipmentDate": format_datetime(line.shipment_date) if line.shipment_date else None,
        "deliveryDate": format_datetime(line.delivery_date) if line.delivery_date else None,
    }
    status_el = add_element(item_el, "ConfirmationStatus", attrib=status_attrib)
    add_element(status_el, "UnitOfMeasure", line.unit_of_measure)
    if line.unit_price:
        _add_money(status_el, "UnitPrice", line.unit_price)
    if line.comments:
        add_element(status_el, "Comments", line.comments, {XML_LANG: lang})
