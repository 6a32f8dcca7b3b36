"""SAP IDoc ORDERS05 (and ORDCHG, as an update) in XML form read into a ``cxml.OrderRequest``."""

import re
from datetime import datetime

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
from ..xml import find_text, strip_namespaces
from .common import _divide, _join, _line_number, unit_to_unece

# E1EDK14 organisational data of an MM purchase order (QUALF -> what ORGID holds).
IDOC_ORGANIZATION_QUALIFIERS = {
    "009": "Purchasing group",
    "011": "Company code",
    "013": "Purchase order type",
    "014": "Purchasing organization",
}
# E1EDK02 / E1EDP02 qualifiers that carry the supplier's document: 002 vendor order,
# 004 vendor quotation.
IDOC_SUPPLIER_REFERENCE_QUALIFIERS = ("004", "002")


def _sap_number(value, what):
    """An IDoc number: '10.000', '1250.00', trailing minus for negatives ('5.00-')."""
    value = (value or "").strip()
    negative = value.endswith("-")
    number = parse_amount(value.rstrip("-").strip(), what)
    return -number if negative else number


def _sap_date(day, time="", what="date"):
    """An IDoc date YYYYMMDD (and time HHMMSS) as a naive datetime; None if empty or zeros."""
    day, time = (day or "").strip(), (time or "").strip()
    if not day or not day.strip("0"):
        return None
    if not re.fullmatch(r"\d{8}", day):
        return parse_datetime(day, what)
    if not re.fullmatch(r"\d{6}", time):
        time = "000000"
    try:
        return datetime(
            int(day[:4]), int(day[4:6]), int(day[6:]), int(time[:2]), int(time[2:4]), int(time[4:])
        )
    except ValueError as exc:
        raise MalformedDocument(f"{what}: {day!r} is not a valid date ({exc}).") from None


def _sap_texts(parent, segment, line_segment):
    """SAPscript lines of text segments (E1EDKT1/E1EDKT2, E1EDPT1/E1EDPT2): '=' continues the
    previous line, anything else starts a new one."""
    blocks = []
    for text in parent.findall(segment):
        lines = []
        for line in text.findall(line_segment):
            tdline = line.find("TDLINE")
            content = "".join(tdline.itertext()).rstrip() if tdline is not None else ""
            if lines and find_text(line, "TDFORMAT") == "=":
                lines[-1] += content
            else:
                lines.append(content.strip())
        block = "\n".join(line for line in lines if line.strip())
        if block:
            blocks.append(block)
    return "\n".join(blocks)


def _by_qualifier(parent, segment, key="QUALF"):
    found = {}
    for el in parent.findall(segment):
        found.setdefault(find_text(el, key), el)
    return found


def _idoc_address(el):
    if el is None:
        return None
    return Address(
        name=find_text(el, "NAME1"),
        address_id=find_text(el, "PARTN").lstrip("0") or find_text(el, "PARTN"),
        deliver_to=[find_text(el, t) for t in ("NAME2", "NAME3", "NAME4") if find_text(el, t)],
        street=[
            v
            for v in (
                _join([find_text(el, "STRAS"), find_text(el, "HAUSN")]),
                find_text(el, "STRS2"),
            )
            if v
        ],
        city=find_text(el, "ORT01"),
        state=find_text(el, "REGIO"),
        postal_code=find_text(el, "PSTLZ"),
        country_code=(find_text(el, "ISOAL") or find_text(el, "LAND1")).upper(),
        phone=find_text(el, "TELF1"),
    )


def _idoc_item(el, index, currency, header_quotation, header_delivery, refs):
    position = find_text(el, "POSEX")
    what = f"E1EDP01 item {position or index}"
    if not find_text(el, "MENGE"):
        raise MalformedDocument(f"{what} has no quantity (MENGE).")
    quantity = _sap_number(find_text(el, "MENGE"), f"{what} MENGE")
    price_unit = find_text(el, "PEINH")
    unit_price = None
    if find_text(el, "VPREI"):
        per = _sap_number(price_unit, f"{what} PEINH") if price_unit else 1
        unit_price = Money(
            _divide(_sap_number(find_text(el, "VPREI"), f"{what} VPREI"), per), currency
        )
    elif find_text(el, "NETWR") and quantity:
        unit_price = Money(
            _sap_number(find_text(el, "NETWR"), f"{what} NETWR") / quantity, currency
        )
    materials = _by_qualifier(el, "E1EDP19")
    references = _by_qualifier(el, "E1EDP02")
    reference = next(
        (references[q] for q in IDOC_SUPPLIER_REFERENCE_QUALIFIERS if q in references), None
    )
    schedule = next((s for s in el.findall("E1EDP20") if find_text(s, "EDATU").strip("0")), None)
    comments = _sap_texts(el, "E1EDPT1", "E1EDPT2")
    description = next(
        (
            find_text(m, "KTEXT")
            for m in (materials.get("001"), materials.get("002"))
            if find_text(m, "KTEXT")
        ),
        "",
    )
    return Item(
        quantity=quantity,
        supplier_part_id=find_text(materials.get("002"), "IDTNR"),
        unit_price=unit_price,
        line_number=_line_number(position, index),
        supplier_part_auxiliary_id=refs.auxiliary_id(
            header_quotation,
            find_text(reference, "BELNR"),
            find_text(reference, "ZEILE"),
            [comments],
        ),
        buyer_part_id=find_text(materials.get("001"), "IDTNR"),
        description=description or comments.partition("\n")[0],
        short_name=description,
        unit_of_measure=unit_to_unece(find_text(el, "MENEE")),
        requested_delivery_date=_sap_date(
            find_text(schedule, "EDATU"), find_text(schedule, "EZEIT"), f"{what} E1EDP20 EDATU"
        )
        if schedule is not None
        else header_delivery,
        comments=comments,
    )


def _read_idoc(root, refs):
    strip_namespaces(root)
    idocs = [root] if root.tag == "IDOC" else root.findall("IDOC")
    if not idocs:
        raise MalformedDocument("The IDoc XML has no IDOC element.")
    if len(idocs) > 1:
        raise MalformedDocument(
            f"The IDoc XML holds {len(idocs)} IDocs; one purchase order per document is read."
        )
    idoc = idocs[0]
    control = idoc.find("EDI_DC40")
    header = idoc.find("E1EDK01")
    documents = _by_qualifier(idoc, "E1EDK02")
    order_id = find_text(header, "BELNR") or find_text(documents.get("001"), "BELNR")
    if not order_id:
        raise MalformedDocument(
            "The IDoc ORDERS05 has no purchase order number (E1EDK01/BELNR or E1EDK02 001)."
        )
    currency = find_text(header, "CURCY").upper()
    dates = _by_qualifier(idoc, "E1EDK03", "IDDAT")

    def header_date(qualifier):
        el = dates.get(qualifier)
        return _sap_date(find_text(el, "DATUM"), find_text(el, "UZEIT"), f"E1EDK03 {qualifier}")

    order_date = header_date("012") or _sap_date(
        find_text(documents.get("001"), "DATUM"), "", "E1EDK02 001 DATUM"
    )
    comments = _sap_texts(idoc, "E1EDKT1", "E1EDKT2")
    header_quotation = refs.choose(
        [find_text(documents.get(q), "BELNR") for q in IDOC_SUPPLIER_REFERENCE_QUALIFIERS],
        [comments],
    )
    header_delivery = header_date("002")  # requested delivery date
    elements = [el for el in idoc.findall("E1EDP01") if find_text(el, "ACTION") != "003"]
    if not elements:
        raise MalformedDocument(f"The IDoc purchase order {order_id} has no E1EDP01 item.")
    items = [
        _idoc_item(el, n, currency, header_quotation, header_delivery, refs)
        for n, el in enumerate(elements, 1)
    ]
    partners = _by_qualifier(idoc, "E1EDKA1", "PARVW")
    buyer = partners.get("AG")
    totals = _by_qualifier(idoc, "E1EDS01", "SUMID")
    total = totals.get("002")
    contact = Contact(
        name=find_text(buyer, "BNAME"), phone=find_text(buyer, "TELF1"), role="buyer"
    )
    extrinsics = {
        IDOC_ORGANIZATION_QUALIFIERS.get(qualifier, f"E1EDK14 {qualifier}"): find_text(el, "ORGID")
        for qualifier, el in _by_qualifier(idoc, "E1EDK14").items()
    }
    order = OrderRequest(
        order_id=order_id,
        order_date=order_date,
        order_type="update" if find_text(control, "MESTYP") == "ORDCHG" else "new",
        total=Money(
            _sap_number(find_text(total, "SUMME"), "E1EDS01 SUMME"),
            (find_text(total, "SUNIT") or currency).upper(),
        )
        if find_text(total, "SUMME")
        else None,
        ship_to=_idoc_address(partners.get("WE")),
        bill_to=_idoc_address(partners.get("RE", buyer)),
        contacts=[contact] if contact.name else [],
        comments=comments,
        extrinsics={k: v for k, v in extrinsics.items() if v},
        items=items,
    )
    return order, find_text(control, "DOCNUM")
