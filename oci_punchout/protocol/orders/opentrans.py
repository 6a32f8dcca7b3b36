"""openTRANS 2.1 ORDER read into a ``cxml.OrderRequest``."""

from ..cxml import (
    Address,
    Contact,
    Item,
    Money,
    OrderRequest,
    parse_amount,
    parse_datetime,
)
from ..errors import MalformedDocument
from ..xml import attribute, element_text, find_text, strip_namespaces
from .common import _divide, _findall, _join, _line_number, _quantity


def _ot_address(party):
    if party is None:
        return None
    el = party.find("ADDRESS")
    return Address(
        name=find_text(el, "NAME"),
        address_id=find_text(party, "PARTY_ID"),
        deliver_to=[
            find_text(el, tag) for tag in ("NAME2", "NAME3", "DEPARTMENT") if find_text(el, tag)
        ],
        street=_findall(el, "STREET"),
        city=find_text(el, "CITY"),
        state=find_text(el, "STATE"),
        postal_code=find_text(el, "ZIP"),
        country_code=find_text(el, "COUNTRY_CODED").upper(),
        country=find_text(el, "COUNTRY"),
        email=find_text(el, "EMAIL") or find_text(el, "CONTACT_DETAILS/EMAILS/EMAIL"),
        phone=find_text(el, "PHONE") or find_text(el, "CONTACT_DETAILS/PHONE"),
    )


def _ot_contacts(party, role):
    contacts = []
    for el in party.findall("ADDRESS/CONTACT_DETAILS") if party is not None else ():
        contact = Contact(
            name=_join([find_text(el, "FIRST_NAME"), find_text(el, "CONTACT_NAME")]),
            email=find_text(el, "EMAILS/EMAIL"),
            phone=find_text(el, "PHONE"),
            role=role,
        )
        if contact.name or contact.email:
            contacts.append(contact)
    return contacts


def _ot_delivery_date(el, what):
    if el is None:
        return None
    return parse_datetime(
        find_text(el, "DELIVERY_END_DATE") or find_text(el, "DELIVERY_START_DATE"), what
    )


def _ot_item(el, index, currency, header_quotation, header_delivery, refs):
    line_id = find_text(el, "LINE_ITEM_ID")
    what = f"ORDER_ITEM {line_id or index}"
    quantity = _quantity(find_text(el, "QUANTITY"), what)
    product = el.find("PRODUCT_ID")
    short, long = find_text(product, "DESCRIPTION_SHORT"), find_text(product, "DESCRIPTION_LONG")
    price = el.find("PRODUCT_PRICE_FIX")
    unit_price = None
    if find_text(price, "PRICE_AMOUNT"):
        per = find_text(price, "PRICE_QUANTITY")
        amount = parse_amount(find_text(price, "PRICE_AMOUNT"), f"{what} PRICE_AMOUNT")
        per_quantity = parse_amount(per, f"{what} PRICE_QUANTITY") if per else 1
        unit_price = Money(_divide(amount, per_quantity), currency)
    elif find_text(el, "PRICE_LINE_AMOUNT") and quantity:
        amount = parse_amount(find_text(el, "PRICE_LINE_AMOUNT"), f"{what} PRICE_LINE_AMOUNT")
        unit_price = Money(amount / quantity, currency)
    remarks = _findall(el, "REMARKS")
    texts = [*remarks, find_text(product, "SUPPLIER_IDREF"), find_text(el, "ITEM_UDX")]
    return Item(
        quantity=quantity,
        supplier_part_id=find_text(product, "SUPPLIER_PID"),
        unit_price=unit_price,
        line_number=_line_number(line_id, index),
        supplier_part_auxiliary_id=refs.auxiliary_id(
            header_quotation, find_text(el, "SOURCING_INFO/QUOTATION_ID"), "", texts
        ),
        buyer_part_id=find_text(product, "BUYER_PID"),
        description=long or short,
        short_name=short,
        unit_of_measure=find_text(el, "ORDER_UNIT"),
        manufacturer_part_id=find_text(product, "MANUFACTURER_INFO/MANUFACTURER_PID"),
        requested_delivery_date=_ot_delivery_date(
            el.find("DELIVERY_DATE"), f"{what} DELIVERY_DATE"
        )
        or header_delivery,
        comments="\n".join(remarks),
    )


def _read_opentrans(root, refs):
    strip_namespaces(root)
    if root.tag == "OPENTRANS":
        root = root.find("ORDER")
    info = root.find("ORDER_HEADER/ORDER_INFO")
    if info is None:
        raise MalformedDocument("The openTRANS ORDER has no ORDER_HEADER/ORDER_INFO.")
    order_id = find_text(info, "ORDER_ID")
    if not order_id:
        raise MalformedDocument("The openTRANS ORDER has no ORDER_ID (the purchase order number).")
    currency = find_text(info, "CURRENCY").upper()
    parties = info.findall("PARTIES/PARTY")
    by_id = {element_text(pid): party for party in parties for pid in party.findall("PARTY_ID")}
    by_role = {}
    for party in parties:
        for role in _findall(party, "PARTY_ROLE"):
            by_role.setdefault(role, party)
    references = info.find("ORDER_PARTIES_REFERENCE")

    def party(idref_path, *roles):
        found = by_id.get(find_text(references, idref_path))
        for role in roles:
            found = found if found is not None else by_role.get(role)
        return found

    buyer = party("BUYER_IDREF", "buyer", "customer")
    invoice_recipient = party("INVOICE_RECIPIENT_IDREF", "invoice_recipient")
    delivery = party("SHIPMENT_PARTIES_REFERENCE/DELIVERY_IDREF", "delivery", "final_delivery")
    remarks = _findall(info, "REMARKS")
    header_quotation = refs.choose(
        [find_text(root, "ORDER_HEADER/SOURCING_INFO/QUOTATION_ID")],
        [*remarks, find_text(info, "HEADER_UDX")],
    )
    header_delivery = _ot_delivery_date(info.find("DELIVERY_DATE"), "ORDER_INFO DELIVERY_DATE")
    elements = root.findall("ORDER_ITEM_LIST/ORDER_ITEM")
    if not elements:
        raise MalformedDocument(f"The openTRANS ORDER {order_id} has no ORDER_ITEM.")
    items = [
        _ot_item(el, n, currency, header_quotation, header_delivery, refs)
        for n, el in enumerate(elements, 1)
    ]
    total = find_text(root, "ORDER_SUMMARY/TOTAL_AMOUNT")
    order_type = attribute(root, "type")
    extrinsics = {
        "OrderType": order_type if order_type not in ("", "standard") else "",
        "CustomerOrderReference": find_text(info, "CUSTOMER_ORDER_REFERENCE/ORDER_ID"),
    }
    order = OrderRequest(
        order_id=order_id,
        order_date=parse_datetime(find_text(info, "ORDER_DATE"), "openTRANS ORDER_DATE"),
        total=Money(parse_amount(total, "openTRANS TOTAL_AMOUNT"), currency) if total else None,
        ship_to=_ot_address(delivery),
        bill_to=_ot_address(invoice_recipient if invoice_recipient is not None else buyer),
        contacts=_ot_contacts(buyer, "buyer"),
        comments="\n".join(remarks),
        extrinsics={k: v for k, v in extrinsics.items() if v},
        items=items,
    )
    return order, ""
