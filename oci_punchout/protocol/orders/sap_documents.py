"""What an SAP buyer's system e-mails once a cart is approved, built from an ``OrderRequest``
for the buyer simulator: the IDoc ORDERS05 in XML form and SAP's PO print (ME9F) as a PDF.

Both are read back by this package's own readers (``read_order``, the PDF text search) exactly
as the documents of a real SAP system are: our references travel in the fields SAP uses for the
vendor's quotation (E1EDK02/E1EDP02 qualifier 004; "Your quotation" on the print).
"""

import io
from datetime import datetime, timezone

from lxml import etree

from ..xml import add_element
from .common import SAP_UNIT_TO_UNECE

# SAP's commercial unit printed for a UN/ECE code: the first SAP code that maps to it (PC, KG...).
_PRINTED_UNIT = {}
for _sap_unit, _unece in SAP_UNIT_TO_UNECE.items():
    if _sap_unit.isascii() and len(_sap_unit) <= 3:
        _PRINTED_UNIT.setdefault(_unece, _sap_unit)
_PRINTED_UNIT["C62"] = "PC"


def _printed_unit(code):
    """The unit as SAP prints it: its commercial code (PC, KG), whatever the cart said."""
    code = (code or "").strip().upper()
    unece = SAP_UNIT_TO_UNECE.get(code, code)
    return _PRINTED_UNIT.get(unece, code if code.isalpha() and len(code) <= 5 else "PC")


def _sap_quantity(value):
    return f"{value:.3f}"


def _sap_amount(value):
    return f"{value:.2f}"


def _quotation_reference(item):
    """(quotation, line) of our reference ``'S00042/123'`` carried by the cart."""
    quotation, _sep, line = (item.supplier_part_auxiliary_id or "").partition("/")
    return quotation, line


def build_idoc_orders05(order, *, docnum, sender_partner="BUYERSAP", vendor_number=""):
    """The IDoc ORDERS05 (XML form) of ``order`` (a ``cxml.OrderRequest``)."""
    if not order.items:
        raise ValueError("A purchase order needs at least one item.")
    order_date = order.order_date or datetime.now(timezone.utc)
    currency = next((i.unit_price.currency for i in order.items if i.unit_price), "")
    root = etree.Element("ORDERS05")
    idoc = add_element(root, "IDOC", attrib={"BEGIN": "1"})
    control = add_element(idoc, "EDI_DC40", attrib={"SEGMENT": "1"})
    for tag, value in (
        ("TABNAM", "EDI_DC40"),
        ("DOCNUM", docnum),
        ("IDOCTYP", "ORDERS05"),
        ("MESTYP", "ORDERS"),
        ("SNDPRT", "LS"),
        ("SNDPRN", sender_partner),
        ("RCVPRT", "LI"),
        ("RCVPRN", vendor_number),
    ):
        add_element(control, tag, value)
    header = add_element(idoc, "E1EDK01", attrib={"SEGMENT": "1"})
    add_element(header, "CURCY", currency)
    add_element(header, "BELNR", order.order_id)
    dates = add_element(idoc, "E1EDK03", attrib={"SEGMENT": "1"})
    add_element(dates, "IDDAT", "012")
    add_element(dates, "DATUM", f"{order_date:%Y%m%d}")
    add_element(dates, "UZEIT", f"{order_date:%H%M%S}")
    document = add_element(idoc, "E1EDK02", attrib={"SEGMENT": "1"})
    add_element(document, "QUALF", "001")
    add_element(document, "BELNR", order.order_id)
    add_element(document, "DATUM", f"{order_date:%Y%m%d}")
    for index, item in enumerate(order.items, 1):
        position = add_element(idoc, "E1EDP01", attrib={"SEGMENT": "1"})
        add_element(position, "POSEX", f"{item.line_number or index * 10:05d}")
        add_element(position, "ACTION", "001")
        add_element(position, "MENGE", _sap_quantity(item.quantity))
        add_element(position, "MENEE", item.unit_of_measure or "PCE")
        if item.unit_price:
            add_element(position, "PEINH", "1")
            add_element(position, "NETWR", _sap_amount(item.quantity * item.unit_price.amount))
            add_element(position, "VPREI", _sap_amount(item.unit_price.amount))
        quotation, line = _quotation_reference(item)
        if quotation:
            reference = add_element(position, "E1EDP02", attrib={"SEGMENT": "1"})
            add_element(reference, "QUALF", "004")
            add_element(reference, "BELNR", quotation)
            if line:
                add_element(reference, "ZEILE", line)
        material = add_element(position, "E1EDP19", attrib={"SEGMENT": "1"})
        add_element(material, "QUALF", "002")
        add_element(material, "IDTNR", item.supplier_part_id)
        if item.description:
            add_element(material, "KTEXT", item.description[:40])
    return etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)


def build_sap_po_pdf(order, *, buyer_name, supplier_name):
    """SAP's standard PO print (ME9F) of ``order`` as a PDF (70 lines a page): the header
    block with the PO number and date, our quotation, then the item table with each item's
    quotation item."""
    # reportlab ships with Odoo; imported here so the rest of the package does not need it.
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    if not order.items:
        raise ValueError("A purchase order needs at least one item.")
    order_date = order.order_date or datetime.now(timezone.utc)
    currency = next((i.unit_price.currency for i in order.items if i.unit_price), "")
    quotations = sorted({_quotation_reference(i)[0] for i in order.items} - {""})
    lines = [
        buyer_name,
        f"{supplier_name[:45]:<47}Purchase Order",
        f"{'':47}Purchase order no./Date",
        f"{'':47}{order.order_id} / {order_date:%d.%m.%Y}",
    ]
    if quotations:
        lines += [f"{'':47}Your quotation", f"{'':47}{', '.join(quotations)}"]
    lines += [
        f"Currency {currency}",
        "Item  Material   Description              Order Qty.  Unit   Price per unit"
        "      Net value",
    ]
    total = 0
    for index, item in enumerate(order.items, 1):
        price = item.unit_price.amount if item.unit_price else 0
        net = item.quantity * price
        total += net
        unit = _printed_unit(item.unit_of_measure)
        lines.append(
            f"{item.line_number or index * 10:05d} M-{index:04d}     "
            f"{item.supplier_part_id[:24]:<24} {item.quantity:>10}  {unit:<4}"
            f" {price:>8.2f} / 1 {unit:<4} {net:>12,.2f}"
        )
        lines.append(f"      Your material number: {item.supplier_part_id}")
        quotation, line = _quotation_reference(item)
        if quotation and line:
            lines.append(f"      Your quotation item: {quotation}/{line}")
    lines.append(f"{'':23}Total net value excl. tax {currency}        {total:,.2f}")
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    for start in range(0, len(lines), 70):
        page.setFont("Courier", 8)
        y = 800
        for text in lines[start : start + 70]:
            page.drawString(30, y, text)
            y -= 11
        page.showPage()
    page.save()
    return buffer.getvalue()
