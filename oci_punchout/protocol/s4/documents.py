"""What the supplier sends on the buyer's inbound services (``OrderConfRequest_In``,
``DeliveryRequest_In``, ``InvoiceRequest_In``): the message values a zeep client of
``buyer.wsdl`` takes, and a reader of such messages for the buyer simulator.

Values are plain dicts in the WSDL's element names; a quantity or amount with its code is
``{"_value_1": number, "unitCode": code}`` (zeep's form for simple content with attributes).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from lxml import etree

from ..errors import MalformedDocument, UnsupportedRequest
from ..xml import element_text, strip_namespaces
from .orders import EDI_NS

# Operation -> (SOAP action, binding in buyer.wsdl, body element)
OPERATIONS = {
    "OrderConfRequest_In": "OrderConfRequest",
    "DeliveryRequest_In": "DeliveryRequest",
    "InvoiceRequest_In": "InvoiceRequest",
}
SOAP_ACTION = "http://sap.com/xi/EDI/{operation}"
# Confirmation status codes: accepted as ordered, accepted with changes, rejected.
CONFIRMATION_STATUSES = {"accept": "AP", "change": "AC", "reject": "RE"}


def _decimal(number):
    """A number as SAP writes it: 10 not 10.0, 2.5 not 2.50."""
    value = Decimal(str(number))
    return value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()


def quantity(number, unit):
    return {"_value_1": _decimal(number), "unitCode": unit}


def amount(number, currency):
    return {"_value_1": _decimal(number), "currencyCode": currency}


def message_header(message_id, created, reference_id=""):
    header = {"ID": message_id, "CreationDateTime": created}
    if reference_id:
        header["ReferenceID"] = reference_id
    return header


@dataclass
class ConfirmedItem:
    item_id: int
    status: str  # accept, change, reject
    quantity: Decimal
    unit: str
    delivery_date: date | None = None
    net_price: Decimal | None = None
    currency: str = ""


def order_confirmation(purchase_order_id, sales_order_id, status, items, note=""):
    """``OrderConfirmation`` of OrderConfRequest: the whole order's status and each item's
    confirmed quantity and date (a rejected item with quantity 0)."""
    if status not in CONFIRMATION_STATUSES:
        raise ValueError(f"Unknown confirmation status {status!r}.")
    values = {
        "PurchaseOrderID": purchase_order_id,
        "SalesOrderID": sales_order_id,
        "ConfirmationStatusCode": CONFIRMATION_STATUSES[status],
        "Item": [],
    }
    if note:
        values["Note"] = note
    for item in items:
        line = {
            "PurchaseOrderItemID": str(item.item_id),
            "ConfirmationStatusCode": CONFIRMATION_STATUSES[item.status],
            "ConfirmedQuantity": quantity(item.quantity, item.unit),
        }
        if item.delivery_date:
            line["ConfirmedDeliveryDate"] = item.delivery_date
        if item.net_price is not None:
            line["NetPrice"] = {"Amount": amount(item.net_price, item.currency)}
        values["Item"].append(line)
    return values


@dataclass
class DeliveredItem:
    purchase_order_id: str
    item_id: int
    quantity: Decimal
    unit: str
    batches: list[str] = field(default_factory=list)


def delivery(
    delivery_id, action, shipping_date, items, expected_date=None, carrier="", tracking=()
):
    """``Delivery`` of DeliveryRequest (action 01 new, 02 change, 03 cancel)."""
    if not items:
        raise ValueError("A delivery notification needs at least one item.")
    values = {
        "DeliveryID": delivery_id,
        "ActionCode": action,
        "ShippingDate": shipping_date,
        "Item": [
            {
                "PurchaseOrderID": item.purchase_order_id,
                "PurchaseOrderItemID": str(item.item_id),
                "Quantity": quantity(item.quantity, item.unit),
                **({"BatchID": list(item.batches)} if item.batches else {}),
            }
            for item in items
        ],
    }
    if expected_date:
        values["ExpectedDeliveryDate"] = expected_date
    if carrier:
        values["CarrierName"] = carrier
    if tracking:
        values["TrackingID"] = list(tracking)
    return values


@dataclass
class InvoicedItem:
    purchase_order_id: str
    quantity: Decimal
    unit: str
    net_amount: Decimal
    item_id: int | None = None
    description: str = ""
    net_price: Decimal | None = None
    tax_percent: Decimal | None = None


def invoice(
    invoice_id,
    type_code,
    invoice_date,
    currency,
    net,
    tax,
    gross,
    items,
    due_date=None,
    seller_id="",
    buyer_id="",
):
    """``Invoice`` of InvoiceRequest (type INV an invoice, CRN a credit note)."""
    if type_code not in ("INV", "CRN"):
        raise ValueError(f"Unknown invoice type {type_code!r}.")
    if not items:
        raise ValueError("An invoice needs at least one item.")
    values = {
        "InvoiceID": invoice_id,
        "TypeCode": type_code,
        "InvoiceDate": invoice_date,
        "NetAmount": amount(net, currency),
        "TaxAmount": amount(tax, currency),
        "GrossAmount": amount(gross, currency),
        "Item": [],
    }
    if due_date:
        values["DueDate"] = due_date
    if seller_id:
        values["SellerParty"] = {"InternalID": seller_id}
    if buyer_id:
        values["BuyerParty"] = {"InternalID": buyer_id}
    for item in items:
        line = {"PurchaseOrderID": item.purchase_order_id}
        if item.item_id is not None:
            line["PurchaseOrderItemID"] = str(item.item_id)
        if item.description:
            line["Description"] = item.description
        line["Quantity"] = quantity(item.quantity, item.unit)
        if item.net_price is not None:
            line["NetPrice"] = {"Amount": amount(item.net_price, currency)}
        line["NetAmount"] = amount(item.net_amount, currency)
        if item.tax_percent is not None:
            line["TaxPercent"] = Decimal(str(item.tax_percent))
        values["Item"].append(line)
    return values


def _to_dict(el):
    children = [child for child in el if isinstance(child.tag, str)]
    if not children:
        text = element_text(el)
        return {"value": text, **dict(el.attrib)} if el.attrib else text
    values = {}
    for child in children:
        value = _to_dict(child)
        if child.tag in values:
            if not isinstance(values[child.tag], list):
                values[child.tag] = [values[child.tag]]
            values[child.tag].append(value)
        else:
            values[child.tag] = value
    return values


def read_document(body):
    """``(operation, values)`` of a message the supplier sent (its SOAP body element, from
    ``soap.parse_envelope``): values as nested dicts, a repeated element as a list.

    :raises UnsupportedRequest: not one of the three documents
    :raises MalformedDocument: no MessageHeader/ID
    """
    qname = etree.QName(body)
    operations = {element: operation for operation, element in OPERATIONS.items()}
    if qname.namespace != EDI_NS or qname.localname not in operations:
        raise UnsupportedRequest(f"{qname.localname!r} is not a document the supplier sends.")
    strip_namespaces(body)
    values = _to_dict(body)
    if (
        not isinstance(values, dict)
        or not isinstance(values.get("MessageHeader"), dict)
        or not values["MessageHeader"].get("ID")
    ):
        raise MalformedDocument(f"The {qname.localname} has no MessageHeader/ID.")
    return operations[qname.localname], values
