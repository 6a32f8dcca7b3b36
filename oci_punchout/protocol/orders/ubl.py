"""UBL 2.1 Order (Peppol BIS Order 3 is one) read into a ``cxml.OrderRequest``."""

from ..cxml import (
    Address,
    Contact,
    Item,
    OrderRequest,
    parse_amount,
    parse_datetime,
)
from ..errors import MalformedDocument
from ..xml import attribute, element_text, find_text, strip_namespaces
from .common import _divide, _findall, _join, _line_number, _money, _quantity

UBL_ORDER_CHANGE_TYPE_CODES = ("230",)  # UNCL 1001: purchase order change request


def _ubl_postal(el, name="", address_id=""):
    street = _join([find_text(el, "StreetName"), find_text(el, "BuildingNumber")])
    return Address(
        name=name,
        address_id=find_text(el, "ID") or address_id,
        deliver_to=[v for v in (find_text(el, "Department"), find_text(el, "MarkAttention")) if v],
        street=[
            v
            for v in (
                street,
                find_text(el, "AdditionalStreetName"),
                *_findall(el, "AddressLine/Line"),
            )
            if v
        ],
        city=find_text(el, "CityName"),
        state=find_text(el, "CountrySubentity"),
        postal_code=find_text(el, "PostalZone"),
        country_code=find_text(el, "Country/IdentificationCode").upper(),
        country=find_text(el, "Country/Name"),
    )


def _ubl_party_name(party):
    return find_text(party, "PartyName/Name") or find_text(
        party, "PartyLegalEntity/RegistrationName"
    )


def _ubl_party_address(party):
    if party is None:
        return None
    address = _ubl_postal(party.find("PostalAddress"), _ubl_party_name(party))
    address.address_id = (
        address.address_id
        or find_text(party, "PartyIdentification/ID")
        or find_text(party, "EndpointID")
    )
    address.email = find_text(party, "Contact/ElectronicMail")
    address.phone = find_text(party, "Contact/Telephone")
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
    location_name = find_text(location, "Name")
    name = _ubl_party_name(party) or location_name or _ubl_party_name(buyer)
    address = _ubl_postal(
        address_el,
        name,
        find_text(location, "ID") or find_text(party, "PartyIdentification/ID"),
    )
    if location_name and location_name != name:
        address.deliver_to.insert(0, location_name)
    address.email = find_text(party, "Contact/ElectronicMail")
    address.phone = find_text(party, "Contact/Telephone")
    return address


def _ubl_contact(party, role):
    if party is None:
        return None
    person = party.find("Person")
    name = _join(
        [
            find_text(person, "FirstName"),
            find_text(person, "MiddleName"),
            find_text(person, "FamilyName"),
        ]
    ) or find_text(party, "Contact/Name")
    contact = Contact(
        name=name,
        email=find_text(party, "Contact/ElectronicMail"),
        phone=find_text(party, "Contact/Telephone"),
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
        value = find_text(period, day)
        if value:
            time_value = find_text(period, time)
            return parse_datetime(f"{value}T{time_value}" if time_value else value, what)
    latest = find_text(delivery, "LatestDeliveryDate")
    if latest:
        time_value = find_text(delivery, "LatestDeliveryTime")
        return parse_datetime(f"{latest}T{time_value}" if time_value else latest, what)
    return None


def _ubl_unit_price(line, quantity, currency, what):
    price = line.find("Price")
    amount_el = price.find("PriceAmount") if price is not None else None
    if amount_el is not None and element_text(amount_el):
        money = _money(amount_el, currency, f"{what} PriceAmount")
        base = find_text(price, "BaseQuantity")
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
    line_id = find_text(line, "ID")
    what = f"Order line {line_id or index}"
    quantity_el = line.find("Quantity")
    quantity = _quantity(element_text(quantity_el), what)
    item_el = line.find("Item")
    name, description = find_text(item_el, "Name"), find_text(item_el, "Description")
    notes = _findall(order_line, "Note") + _findall(line, "Note")
    quotation_line = order_line.find("QuotationLineReference")
    texts = [
        *notes,
        *_findall(item_el, "ItemSpecificationDocumentReference/ID"),
        find_text(item_el, "SellersItemIdentification/ExtendedID"),
    ]
    delivery_date = _ubl_delivery_date(line.find("Delivery"), f"{what} delivery date")
    return Item(
        quantity=quantity,
        supplier_part_id=find_text(item_el, "SellersItemIdentification/ID"),
        unit_price=_ubl_unit_price(line, quantity, currency, what),
        line_number=_line_number(line_id, index),
        supplier_part_auxiliary_id=refs.auxiliary_id(
            header_quotation,
            find_text(quotation_line, "DocumentReference/ID"),
            find_text(quotation_line, "LineID") or find_text(line, "SalesOrderID"),
            texts,
        ),
        buyer_part_id=find_text(item_el, "BuyersItemIdentification/ID"),
        description=description or name,
        short_name=name,
        unit_of_measure=attribute(quantity_el, "unitCode"),
        classifications=[
            (attribute(code, "listID"), element_text(code))
            for code in item_el.findall("CommodityClassification/ItemClassificationCode")
        ]
        if item_el is not None
        else [],
        manufacturer_part_id=find_text(item_el, "ManufacturersItemIdentification/ID"),
        requested_delivery_date=delivery_date or header_delivery,
        comments="\n".join(notes),
    )


def _read_ubl(root, refs):
    strip_namespaces(root)
    order_id = find_text(root, "ID")
    if not order_id:
        raise MalformedDocument("The UBL Order has no cbc:ID (the purchase order number).")
    currency = find_text(root, "DocumentCurrencyCode").upper()
    issue_date, issue_time = find_text(root, "IssueDate"), find_text(root, "IssueTime")
    order_date = parse_datetime(
        f"{issue_date}T{issue_time}" if issue_date and issue_time else issue_date,
        "UBL Order IssueDate",
    )
    notes = _findall(root, "Note")
    header_quotation = refs.choose(
        [find_text(root, "QuotationDocumentReference/ID"), find_text(root, "SalesOrderID")],
        [*notes, find_text(root, "OriginatorDocumentReference/ID")],
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
    type_code = find_text(root, "OrderTypeCode")
    extrinsics = {
        "CustomerReference": find_text(root, "CustomerReference"),
        "AccountingCost": find_text(root, "AccountingCost")
        or find_text(root, "AccountingCostCode"),
        "Contract": find_text(root, "Contract/ID"),
        "ProjectReference": find_text(root, "ProjectReference/ID"),
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
    return order, find_text(root, "UUID")
