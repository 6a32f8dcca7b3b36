"""The ShipNoticeRequest (``Fulfill.dtd``): what left our warehouse for the buyer's orders,
built for the buyer and read back by the simulator and the tests."""

from ..errors import MalformedDocument
from ..xml import DEFAULT_MAX_BYTES, add_element, attribute, element_text, find_text
from .documents import (
    XML_LANG,
    Envelope,
    ShipNoticeItem,
    ShipNoticePortion,
    ShipNoticeRequest,
)
from .reading import (
    _deployment_mode,
    _document_version,
    _load,
    _parse_header,
    _parse_int,
    parse_amount,
    parse_datetime,
)
from .writing import (
    _check_choice,
    _format_quantity,
    _request_document,
    _serialize,
    format_datetime,
)

SHIP_NOTICE_OPERATIONS = ("new", "update", "delete")


def build_ship_notice_request(
    header,
    notice,
    *,
    deployment_mode="production",
    payload_id=None,
    timestamp=None,
    lang="en",
):
    """A ShipNoticeRequest (Fulfill.dtd) telling the buyer what a shipment holds."""
    operation = _check_choice(notice.operation, SHIP_NOTICE_OPERATIONS, "operation")
    if not notice.shipment_id:
        raise ValueError("A ShipNoticeRequest needs a shipmentID.")
    if operation != "new" and not notice.previous_payload_id:
        # Fulfill.dtd: an update or delete references the most recent version.
        raise ValueError(
            f"A ShipNoticeRequest with operation {operation!r} needs the payloadID of the "
            "version it replaces."
        )
    if not notice.portions:
        raise ValueError("A ShipNoticeRequest needs at least one order (ShipNoticePortion).")
    if notice.tracking_numbers and not notice.carrier:
        raise ValueError("Tracking numbers need the carrier that gave them.")
    root, request = _request_document(header, deployment_mode, payload_id, timestamp, lang)
    el = add_element(request, "ShipNoticeRequest")
    header_el = add_element(
        el,
        "ShipNoticeHeader",
        attrib={
            "shipmentID": notice.shipment_id,
            "operation": operation,
            "noticeDate": format_datetime(notice.notice_date),
            "shipmentDate": format_datetime(notice.shipment_date)
            if notice.shipment_date
            else None,
            "deliveryDate": format_datetime(notice.delivery_date)
            if notice.delivery_date
            else None,
        },
    )
    if operation != "delete":
        add_element(
            header_el, "ServiceLevel", notice.service_level or "standard", {XML_LANG: lang}
        )
    if notice.previous_payload_id:
        add_element(
            header_el, "DocumentReference", attrib={"payloadID": notice.previous_payload_id}
        )
    if notice.comments:
        add_element(header_el, "Comments", notice.comments, {XML_LANG: lang})
    if notice.tracking_numbers:
        control = add_element(el, "ShipControl")
        add_element(control, "CarrierIdentifier", notice.carrier, {"domain": "companyName"})
        for number in notice.tracking_numbers:
            add_element(control, "ShipmentIdentifier", number, {"domain": "trackingNumber"})
    for portion in notice.portions:
        if not portion.order_payload_id:
            raise ValueError(
                f"The ship notice portion of order {portion.order_id} needs the order's payloadID."
            )
        portion_el = add_element(el, "ShipNoticePortion")
        reference = add_element(
            portion_el,
            "OrderReference",
            attrib={
                "orderID": portion.order_id,
                "orderDate": format_datetime(portion.order_date) if portion.order_date else None,
            },
        )
        add_element(reference, "DocumentReference", attrib={"payloadID": portion.order_payload_id})
        for item in portion.items:
            item_el = add_element(
                portion_el,
                "ShipNoticeItem",
                attrib={
                    "quantity": _format_quantity(item.quantity),
                    "lineNumber": str(item.line_number),
                },
            )
            add_element(item_el, "UnitOfMeasure", item.unit_of_measure)
            for lot in item.lots:
                # Fulfill.dtd has no quantity per batch in a ShipNoticeItem: the numbers only.
                add_element(add_element(item_el, "Batch"), "SupplierBatchID", lot)
    return _serialize(root, dtd="Fulfill")


def parse_ship_notice_request(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a ShipNoticeRequest (for the buyer simulator and tests): an ``Envelope`` whose
    ``request`` is the ``ShipNoticeRequest``.

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``; also no
        payloadID, no ShipNoticeRequest, no shipmentID, a portion without its order,
        unreadable quantities or dates
    """
    root = _load(data, max_bytes)
    payload_id = attribute(root, "payloadID")
    if not payload_id:
        raise MalformedDocument("The cXML document has no payloadID.")
    request_el = root.find("Request")
    el = request_el.find("ShipNoticeRequest") if request_el is not None else None
    if el is None:
        raise MalformedDocument("The cXML document holds no ShipNoticeRequest.")
    return Envelope(
        payload_id=payload_id,
        timestamp=parse_datetime(root.get("timestamp"), "cXML timestamp"),
        header=_parse_header(root),
        request_name=el.tag,
        request=_parse_ship_notice(el),
        deployment_mode=_deployment_mode(request_el, root),
        version=_document_version(root),
        lang=attribute(root, XML_LANG),
    )


def _parse_ship_notice(el):
    header = el.find("ShipNoticeHeader")
    shipment_id = attribute(header, "shipmentID") if header is not None else ""
    if not shipment_id:
        raise MalformedDocument("The ShipNoticeRequest has no ShipNoticeHeader shipmentID.")
    operation = attribute(header, "operation") or "new"
    if operation not in SHIP_NOTICE_OPERATIONS:
        raise MalformedDocument(f"Unknown ship notice operation {operation!r}.")
    control = el.find("ShipControl")
    reference = header.find("DocumentReference")
    return ShipNoticeRequest(
        shipment_id=shipment_id,
        operation=operation,
        notice_date=_optional_date(header, "noticeDate"),
        shipment_date=_optional_date(header, "shipmentDate"),
        delivery_date=_optional_date(header, "deliveryDate"),
        service_level=find_text(header, "ServiceLevel"),
        carrier=find_text(control, "CarrierIdentifier") if control is not None else "",
        tracking_numbers=[
            text
            for text in (element_text(i) for i in el.iterfind("ShipControl/ShipmentIdentifier"))
            if text
        ],
        comments=find_text(header, "Comments"),
        previous_payload_id=attribute(reference, "payloadID") if reference is not None else "",
        portions=[_parse_portion(portion) for portion in el.iterfind("ShipNoticePortion")],
    )


def _optional_date(el, name):
    value = attribute(el, name)
    return parse_datetime(value, f"ShipNoticeHeader {name}") if value else None


def _parse_portion(el):
    reference = el.find("OrderReference")
    document = reference.find("DocumentReference") if reference is not None else None
    if reference is None or not attribute(reference, "orderID"):
        raise MalformedDocument("A ShipNoticePortion has no OrderReference orderID.")
    order_date = attribute(reference, "orderDate")
    return ShipNoticePortion(
        order_id=attribute(reference, "orderID"),
        order_payload_id=attribute(document, "payloadID") if document is not None else "",
        order_date=parse_datetime(order_date, "OrderReference orderDate") if order_date else None,
        items=[_parse_item(item) for item in el.iterfind("ShipNoticeItem")],
    )


def _parse_item(el):
    line_number = _parse_int(attribute(el, "lineNumber"), "ShipNoticeItem lineNumber")
    quantity = parse_amount(attribute(el, "quantity"), "ShipNoticeItem quantity")
    if line_number is None or quantity is None:
        raise MalformedDocument("A ShipNoticeItem needs its lineNumber and quantity.")
    return ShipNoticeItem(
        line_number=line_number,
        quantity=quantity,
        unit_of_measure=find_text(el, "UnitOfMeasure"),
        lots=[
            text
            for path in ("Batch/SupplierBatchID", "SupplierBatchID")
            for text in (element_text(batch) for batch in el.iterfind(path))
            if text
        ],
    )
