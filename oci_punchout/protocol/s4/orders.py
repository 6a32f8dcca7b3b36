"""SAP's EDI ``OrderRequest`` (service ``OrderRequest_Out``): read into a ``cxml.OrderRequest``
for the one order matcher, and written the way the buyer's S/4HANA sends it (simulator, tests).

The structure (namespace ``http://sap.com/xi/EDI``, child elements unqualified)::

    OrderRequest
      MessageHeader: ID, ReferenceID?, CreationDateTime, SenderBusinessSystemID?
      Order
        PurchaseOrderID, ActionCode? (01 create, 02 change, 03 delete), OrderDate?, CurrencyCode?
        BuyerParty?, SellerParty?, ShipToParty?: InternalID?, Name?, Address? (Name, StreetName,
          HouseID, PostalCode, CityName, CountryCode, EmailURI)
        Note*
        Item+
          PurchaseOrderItemID, ActionCode?, Product? (BuyerProductID?, SellerProductID?),
          Description?, Quantity@unitCode, NetPrice? (Amount@currencyCode, BaseQuantity@unitCode),
          RequestedDeliveryDate?, QuotationReference? (ID, ItemID?: our quotation and line),
          Note*
"""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from lxml import etree

from ..cxml import Address, Item, Money, OrderRequest, parse_amount, parse_datetime
from ..errors import MalformedDocument, UnsupportedRequest
from ..orders.common import unit_to_unece
from ..xml import add_element, attribute, element_text, find_text, strip_namespaces
from .soap import wrap

EDI_NS = "http://sap.com/xi/EDI"
ACTION_CODES = {"01": "new", "02": "update", "03": "delete"}
MAX_ITEMS = 5000


@dataclass
class S4OrderRequest:
    """An OrderRequest: SAP's message id and sender, and the purchase order as the matcher
    takes it."""

    message_id: str
    purchase_order: OrderRequest
    sender_system: str = ""
    created: datetime | None = None
    buyer_id: str = ""
    seller_id: str = ""


def _required(parent, path, what):
    value = find_text(parent, path)
    if not value:
        raise MalformedDocument(f"The OrderRequest has no {what} ({path}).")
    return value


def _quantity(el, what):
    if el is None or not element_text(el):
        raise MalformedDocument(f"{what} has no Quantity.")
    number = parse_amount(element_text(el), what)
    if number <= 0:
        raise MalformedDocument(f"{what}: the quantity {number} is not positive.")
    unit = attribute(el, "unitCode")
    if not unit:
        raise MalformedDocument(f"{what}: the Quantity has no unitCode.")
    return number, unit_to_unece(unit)


def _address(party):
    if party is None:
        return None
    address = party.find("Address")
    street = " ".join(
        part for part in (find_text(address, "StreetName"), find_text(address, "HouseID")) if part
    )
    return Address(
        name=find_text(address, "Name") or find_text(party, "Name"),
        address_id=find_text(party, "InternalID"),
        street=[street] if street else [],
        city=find_text(address, "CityName"),
        postal_code=find_text(address, "PostalCode"),
        country_code=find_text(address, "CountryCode").upper(),
        email=find_text(address, "EmailURI"),
    )


def _item(el, index, currency):
    what = f"Item {index}"
    number = find_text(el, "PurchaseOrderItemID")
    if not number or not number.isdigit() or len(number) > 10:
        raise MalformedDocument(f"{what} has no PurchaseOrderItemID (a number): {number[:20]!r}.")
    what = f"Item {number}"
    quantity, unit = _quantity(el.find("Quantity"), what)
    seller_id = find_text(el, "Product/SellerProductID")
    buyer_id = find_text(el, "Product/BuyerProductID")
    if not seller_id and not buyer_id:
        raise MalformedDocument(f"{what} names no product (SellerProductID or BuyerProductID).")
    price = None
    amount_el = el.find("NetPrice/Amount")
    if amount_el is not None and element_text(amount_el):
        amount = parse_amount(element_text(amount_el), f"{what} NetPrice")
        base_el = el.find("NetPrice/BaseQuantity")
        base = (
            parse_amount(element_text(base_el), f"{what} BaseQuantity")
            if element_text(base_el)
            else Decimal(1)
        )
        if base <= 0:
            raise MalformedDocument(f"{what}: the price's BaseQuantity is not positive.")
        # The price is per BaseQuantity (e.g. per 100): the matcher compares unit prices.
        price = Money(amount / base, (attribute(amount_el, "currencyCode") or currency).upper())
    reference = el.find("QuotationReference")
    quotation = find_text(reference, "ID")
    quotation_item = find_text(reference, "ItemID")
    action = find_text(el, "ActionCode") or "01"
    notes = [element_text(note) for note in el.findall("Note") if element_text(note)]
    return Item(
        quantity=quantity,
        supplier_part_id=seller_id,
        buyer_part_id=buyer_id,
        unit_price=price,
        line_number=int(number),
        supplier_part_auxiliary_id=f"{quotation}/{quotation_item}"
        if quotation_item
        else quotation,
        description=find_text(el, "Description"),
        unit_of_measure=unit,
        requested_delivery_date=parse_datetime(
            find_text(el, "RequestedDeliveryDate"), f"{what} RequestedDeliveryDate"
        ),
        comments="\n".join(notes),
        extrinsics={"ActionCode": action} if action != "01" else {},
    )


def parse_order_request(body):
    """Read the ``OrderRequest`` body element of a SOAP request (from ``soap.parse_envelope``).

    :raises UnsupportedRequest: another body element
    :raises MalformedDocument: a mandatory element missing (named), an unknown action code,
        a quantity or price that is not a number
    """
    qname = etree.QName(body)
    if qname.localname != "OrderRequest" or qname.namespace not in (EDI_NS, None):
        raise UnsupportedRequest(
            f"The SOAP body holds {qname.localname!r}; this endpoint takes SAP's OrderRequest "
            f"({EDI_NS})."
        )
    # Child elements are unqualified in SAP's messages; some middleware qualifies them.
    strip_namespaces(body)
    body.tag = "OrderRequest"
    header = body.find("MessageHeader")
    order = body.find("Order")
    if header is None or order is None:
        raise MalformedDocument("The OrderRequest needs a MessageHeader and an Order.")
    message_id = _required(header, "ID", "message id")
    po_number = _required(order, "PurchaseOrderID", "purchase order number")
    action = find_text(order, "ActionCode") or "01"
    if action not in ACTION_CODES:
        raise MalformedDocument(f"The order's ActionCode {action[:10]!r} is not 01, 02 or 03.")
    currency = find_text(order, "CurrencyCode").upper()
    elements = order.findall("Item")
    if len(elements) > MAX_ITEMS:
        raise MalformedDocument(
            f"The order has {len(elements)} items; at most {MAX_ITEMS} are read."
        )
    if not elements and action != "03":
        raise MalformedDocument("The order has no Item.")
    items = [_item(el, index, currency) for index, el in enumerate(elements, start=1)]
    seen = set()
    for item in items:
        if item.line_number in seen:
            raise MalformedDocument(f"Item {item.line_number} is sent twice.")
        seen.add(item.line_number)
    notes = [element_text(note) for note in order.findall("Note") if element_text(note)]
    purchase_order = OrderRequest(
        order_id=po_number,
        order_date=parse_datetime(find_text(order, "OrderDate"), "OrderDate"),
        order_type=ACTION_CODES[action],
        ship_to=_address(order.find("ShipToParty")),
        bill_to=_address(order.find("BuyerParty")),
        comments="\n".join(notes),
        items=items,
    )
    return S4OrderRequest(
        message_id=message_id,
        purchase_order=purchase_order,
        sender_system=find_text(header, "SenderBusinessSystemID"),
        created=parse_datetime(find_text(header, "CreationDateTime"), "CreationDateTime"),
        buyer_id=find_text(order, "BuyerParty/InternalID"),
        seller_id=find_text(order, "SellerParty/InternalID"),
    )


@dataclass
class S4OrderItem:
    """One PO item as the buyer's S/4HANA sends it."""

    item_id: int
    quantity: Decimal
    unit: str
    seller_product_id: str = ""
    buyer_product_id: str = ""
    description: str = ""
    net_price: Decimal | None = None
    base_quantity: Decimal = Decimal(1)
    delivery_date: str = ""
    quotation_id: str = ""
    quotation_item_id: str = ""


@dataclass
class S4Order:
    purchase_order_id: str
    currency: str
    items: list[S4OrderItem] = field(default_factory=list)
    action_code: str = "01"
    order_date: str = ""
    buyer_id: str = ""
    seller_id: str = ""
    note: str = ""


def build_order_request(
    order, message_id, created, sender_system="", version="1.1", wsa_message_id=""
):
    """The SOAP request of an ``S4Order`` as the buyer's S/4HANA posts it (UTF-8 bytes)."""
    root = etree.Element(f"{{{EDI_NS}}}OrderRequest", nsmap={"edi": EDI_NS})
    header = add_element(root, "MessageHeader")
    add_element(header, "ID", message_id)
    add_element(header, "CreationDateTime", created)
    if sender_system:
        add_element(header, "SenderBusinessSystemID", sender_system)
    el = add_element(root, "Order")
    add_element(el, "PurchaseOrderID", order.purchase_order_id)
    add_element(el, "ActionCode", order.action_code)
    if order.order_date:
        add_element(el, "OrderDate", order.order_date)
    add_element(el, "CurrencyCode", order.currency)
    if order.buyer_id:
        add_element(add_element(el, "BuyerParty"), "InternalID", order.buyer_id)
    if order.seller_id:
        add_element(add_element(el, "SellerParty"), "InternalID", order.seller_id)
    if order.note:
        add_element(el, "Note", order.note)
    for item in order.items:
        line = add_element(el, "Item")
        add_element(line, "PurchaseOrderItemID", item.item_id)
        product = add_element(line, "Product")
        if item.buyer_product_id:
            add_element(product, "BuyerProductID", item.buyer_product_id)
        if item.seller_product_id:
            add_element(product, "SellerProductID", item.seller_product_id)
        if item.description:
            add_element(line, "Description", item.description)
        add_element(line, "Quantity", item.quantity, {"unitCode": item.unit})
        if item.net_price is not None:
            price = add_element(line, "NetPrice")
            add_element(price, "Amount", item.net_price, {"currencyCode": order.currency})
            add_element(price, "BaseQuantity", item.base_quantity, {"unitCode": item.unit})
        if item.delivery_date:
            add_element(line, "RequestedDeliveryDate", item.delivery_date)
        if item.quotation_id:
            reference = add_element(line, "QuotationReference")
            add_element(reference, "ID", item.quotation_id)
            if item.quotation_item_id:
                add_element(reference, "ItemID", item.quotation_item_id)
    return wrap(root, version=version, message_id=wsa_message_id)
