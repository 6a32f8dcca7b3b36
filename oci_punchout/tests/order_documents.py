"""Purchase order documents as buyers' systems e-mail them, built for the tests from the
formats' published examples (OASIS UBL 2.1 Order example, openTRANS 2.1 and SAP ORDERS05 samples)
with our products and our quotation references."""

import io
from datetime import datetime, timezone
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from xml.sax.saxutils import escape

from lxml import etree
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from odoo.tools.pdf import OdooPdfFileReader, OdooPdfFileWriter

from ..protocol import cxml
from .common import SHARED

UBL_EXAMPLE = SHARED / "testdata/ubl-2.1/UBL-Order-2.1-Example.xml"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"


def line_ref(line):
    return f"{line.order_id.name}/{line.id}"


def cxml_order(
    po_number,
    lines,
    payload_id=None,
    currency="EUR",
    version=None,
    shared_secret="mail-secret",
    order_type="new",
):
    """``lines``: [(sale.order.line or None, product code, quantity, unit price)]."""
    header = cxml.Header(
        from_credentials=[cxml.Credential("NetworkID", "AN-BUYER")],
        to_credentials=[cxml.Credential("NetworkID", "AN-SUPPLIER")],
        sender_credentials=[cxml.Credential("NetworkID", "AN-BUYER", shared_secret)],
        user_agent="Buyer SAP by mail",
    )
    order = cxml.OrderRequest(
        order_id=po_number,
        order_date=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
        order_type=order_type,
        order_version=version,
        document_reference_payload_id="po-v1@buyer" if order_type != "new" else "",
        total=cxml.Money(
            sum(Decimal(str(quantity)) * Decimal(str(price)) for _l, _c, quantity, price in lines),
            currency,
        ),
        bill_to=cxml.Address(
            name="Buyer Industries GmbH",
            street=["Hauptstrasse 5"],
            city="Berlin",
            postal_code="10115",
            country_code="DE",
        ),
        items=[
            cxml.Item(
                quantity=Decimal(str(quantity)),
                line_number=index,
                supplier_part_id=code,
                supplier_part_auxiliary_id=line_ref(line) if line else "",
                unit_price=cxml.Money(Decimal(str(price)), currency),
                description=code,
                unit_of_measure="EA",
                classifications=[("UNSPSC", "44120000")],
            )
            for index, (line, code, quantity, price) in enumerate(lines, 1)
        ],
    )
    return cxml.build_order_request(header, order, payload_id=payload_id)


PEPPOL_ORDER = "urn:fdc:peppol.eu:poacc:trns:order:3"


def ubl_order(po_number, quotation_name, lines, currency="EUR", uuid="", customization=None):
    """The OASIS UBL 2.1 Order example with our PO number, quotation and lines (and Peppol BIS
    Order 3's CustomizationID when asked)."""
    root = etree.parse(str(UBL_EXAMPLE)).getroot()
    if customization:
        root.find(f"{{{CBC}}}CustomizationID").text = customization

    def sub(parent, tag, text=None, **attrs):
        el = etree.SubElement(parent, tag, **attrs)
        if text is not None:
            el.text = str(text)
        return el

    root.find(f"{{{CBC}}}ID").text = po_number
    root.find(f"{{{CBC}}}DocumentCurrencyCode").text = currency
    if uuid:
        root.find(f"{{{CBC}}}ID").addnext(etree.Element(f"{{{CBC}}}UUID"))
        root.find(f"{{{CBC}}}UUID").text = uuid
    root.find(f"{{{CAC}}}QuotationDocumentReference/{{{CBC}}}ID").text = quotation_name
    for el in root.iter(f"{{{CBC}}}*"):
        if el.get("currencyID"):
            el.set("currencyID", currency)
    example_lines = root.findall(f"{{{CAC}}}OrderLine")
    template = example_lines[1]
    for el in example_lines:
        root.remove(el)
    anchor = root.find(f"{{{CAC}}}AnticipatedMonetaryTotal")
    if anchor is None:
        anchor = root[-1]
    for index, (line, code, quantity, price) in enumerate(lines, 1):
        order_line = etree.fromstring(etree.tostring(template))
        item = order_line.find(f"{{{CAC}}}LineItem")
        item.find(f"{{{CBC}}}ID").text = str(index)
        item.find(f"{{{CBC}}}Quantity").text = str(quantity)
        item.find(f"{{{CBC}}}Quantity").set("unitCode", "C62")
        amount = item.find(f"{{{CBC}}}LineExtensionAmount")
        if amount is not None:
            amount.text = f"{quantity * price:.2f}"
        item.find(f"{{{CAC}}}Price/{{{CBC}}}PriceAmount").text = f"{price:.2f}"
        item.find(f"{{{CAC}}}Item/{{{CAC}}}SellersItemIdentification/{{{CBC}}}ID").text = code
        item.find(f"{{{CAC}}}Item/{{{CBC}}}Name").text = code
        if line:
            reference = sub(order_line, f"{{{CAC}}}QuotationLineReference")
            sub(reference, f"{{{CBC}}}LineID", line.id)
            document = sub(reference, f"{{{CAC}}}DocumentReference")
            sub(document, f"{{{CBC}}}ID", line.order_id.name)
        anchor.addnext(order_line)
        anchor = order_line
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _ot_sourcing(line):
    if not line:
        return ""
    return f"<SOURCING_INFO><QUOTATION_ID>{line_ref(line)}</QUOTATION_ID></SOURCING_INFO>"


def opentrans_order(po_number, quotation_name, lines, currency="EUR"):
    items = "".join(
        f"""
    <ORDER_ITEM>
      <LINE_ITEM_ID>{index}</LINE_ITEM_ID>
      <PRODUCT_ID>
        <bmecat:SUPPLIER_PID type="supplier_specific">{escape(code)}</bmecat:SUPPLIER_PID>
        <bmecat:DESCRIPTION_SHORT lang="deu">{escape(code)}</bmecat:DESCRIPTION_SHORT>
      </PRODUCT_ID>
      <QUANTITY>{quantity}</QUANTITY>
      <bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT>
      <PRODUCT_PRICE_FIX>
        <bmecat:PRICE_AMOUNT>{price:.2f}</bmecat:PRICE_AMOUNT>
      </PRODUCT_PRICE_FIX>
      <PRICE_LINE_AMOUNT>{quantity * price:.2f}</PRICE_LINE_AMOUNT>
      {_ot_sourcing(line)}
    </ORDER_ITEM>"""
        for index, (line, code, quantity, price) in enumerate(lines, 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"
       xmlns:bmecat="http://www.bmecat.org/bmecat/2005" version="2.1" type="standard">
  <ORDER_HEADER>
    <CONTROL_INFO><GENERATION_DATE>2026-11-20T08:15:00+01:00</GENERATION_DATE></CONTROL_INFO>
    <SOURCING_INFO><QUOTATION_ID>{quotation_name}</QUOTATION_ID></SOURCING_INFO>
    <ORDER_INFO>
      <ORDER_ID>{po_number}</ORDER_ID>
      <ORDER_DATE>2026-11-20T08:14:27+01:00</ORDER_DATE>
      <PARTIES>
        <PARTY>
          <bmecat:PARTY_ID type="buyer_specific">BUYER</bmecat:PARTY_ID>
          <PARTY_ROLE>buyer</PARTY_ROLE>
          <ADDRESS><bmecat:NAME>Buyer Industries GmbH</bmecat:NAME></ADDRESS>
        </PARTY>
      </PARTIES>
      <bmecat:CURRENCY>{currency}</bmecat:CURRENCY>
    </ORDER_INFO>
  </ORDER_HEADER>
  <ORDER_ITEM_LIST>{items}
  </ORDER_ITEM_LIST>
  <ORDER_SUMMARY><TOTAL_ITEM_NUM>{len(lines)}</TOTAL_ITEM_NUM></ORDER_SUMMARY>
</ORDER>
""".encode()


def idoc_orders05(po_number, quotation_name, lines, currency="EUR", docnum="0000000004711001"):
    items = "".join(
        f"""
    <E1EDP01 SEGMENT="1">
      <POSEX>{index * 10:05d}</POSEX>
      <ACTION>001</ACTION>
      <MENGE>{quantity:.3f}</MENGE>
      <MENEE>PCE</MENEE>
      <PEINH>1</PEINH>
      <NETWR>{quantity * price:.2f}</NETWR>
      <VPREI>{price:.2f}</VPREI>
      {
            f'<E1EDP02 SEGMENT="1"><QUALF>004</QUALF><BELNR>{line.order_id.name}</BELNR>'
            f"<ZEILE>{line.id}</ZEILE></E1EDP02>"
            if line
            else ""
        }
      <E1EDP19 SEGMENT="1"><QUALF>002</QUALF><IDTNR>{escape(code)}</IDTNR></E1EDP19>
    </E1EDP01>"""
        for index, (line, code, quantity, price) in enumerate(lines, 1)
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ORDERS05>
  <IDOC BEGIN="1">
    <EDI_DC40 SEGMENT="1">
      <TABNAM>EDI_DC40</TABNAM>
      <DOCNUM>{docnum}</DOCNUM>
      <IDOCTYP>ORDERS05</IDOCTYP>
      <MESTYP>ORDERS</MESTYP>
      <SNDPRT>LS</SNDPRT>
      <SNDPRN>BUYERSAP</SNDPRN>
      <RCVPRT>LI</RCVPRT>
      <RCVPRN>V-1000</RCVPRN>
    </EDI_DC40>
    <E1EDK01 SEGMENT="1">
      <CURCY>{currency}</CURCY>
      <BELNR>{po_number}</BELNR>
    </E1EDK01>
    <E1EDK03 SEGMENT="1"><IDDAT>012</IDDAT><DATUM>20261120</DATUM></E1EDK03>
    <E1EDK02 SEGMENT="1"><QUALF>001</QUALF><BELNR>{po_number}</BELNR>
      <DATUM>20261120</DATUM></E1EDK02>
    <E1EDK02 SEGMENT="1"><QUALF>004</QUALF><BELNR>{quotation_name}</BELNR></E1EDK02>{items}
  </IDOC>
</ORDERS05>
""".encode()


def mime_mail(
    sender,
    to,
    attachments=(),
    subject="Purchase order",
    body="Please find our order attached.",
    message_id=None,
    headers=(),
):
    """A real MIME mail: ``attachments`` [(file name, bytes, 'type/subtype')], ``headers``
    [(name, value)] on top (as the receiving server adds them)."""
    message = EmailMessage()
    for name, value in headers:
        message[name] = value
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime(2026, 11, 20, 10, 0, tzinfo=timezone.utc))
    message["Message-Id"] = message_id or make_msgid(domain="buyer.example")
    message.set_content(body)
    for name, data, mimetype in attachments:
        maintype, subtype = mimetype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def text_pdf(lines, encrypt=None):
    """A one-page PDF holding ``lines`` of text in a monospaced font, as SAP prints its POs."""
    buffer = io.BytesIO()
    page = canvas.Canvas(buffer, pagesize=A4, encrypt=encrypt)
    page.setFont("Courier", 8)
    y = 800
    for line in lines:
        page.drawString(30, y, line)
        y -= 11
    page.showPage()
    page.save()
    return buffer.getvalue()


def sap_po_pdf(po_number, quotation, rows, currency="EUR", encrypt=None):
    """A PDF laid out like SAP's standard PO print (ME9F): header block with the PO number and
    date, our quotation, then the item table; ``rows`` [(line, our code, quantity, price)]."""
    lines = [
        "Buyer Industries GmbH - Hauptstrasse 5 - 10115 Berlin",
        "Office Supplies Online Ltd.                    Purchase Order",
        "                                               Purchase order no./Date",
        f"                                               {po_number} / 20.11.2026",
        "                                               Contact person/Telephone",
        "                                               Mr. Weber/+49 621 4500-210",
        "                                               Your quotation",
        f"                                               {quotation} dated 14.11.2026",
        f"Currency {currency}",
        "Item  Material   Description              Order Qty.  Unit   Price per unit"
        "      Net value",
    ]
    for index, (line, code, quantity, price) in enumerate(rows, 1):
        net = f"{quantity * price:,.2f}"
        lines += [
            f"{index * 10:05d} M-{index:04d}     {code:<24} {quantity:>10}  PC"
            f"   {price:>8.2f} / 1 PC   {net:>12}",
            f"      Your material number: {code}",
        ]
        if line:
            lines.append(f"      Your quotation item: {line.order_id.name}/{line.id}")
    total = sum(quantity * price for _l, _c, quantity, price in rows)
    lines.append(
        f"                       Total net value excl. tax {currency}        {total:,.2f}"
    )
    return text_pdf(lines, encrypt=encrypt)


def with_embedded_xml(pdf, name, xml):
    """``pdf`` with ``xml`` embedded as a file, as e-invoicing tools (ZUGFeRD) do."""
    writer = OdooPdfFileWriter()
    writer.appendPagesFromReader(OdooPdfFileReader(io.BytesIO(pdf), strict=False))
    writer.add_attachment(name, xml, subtype="text/xml")
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()
