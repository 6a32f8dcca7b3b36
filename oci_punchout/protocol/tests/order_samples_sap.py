"""SAP's purchase orders the order-reader tests read: an IDoc ORDERS05 (and an ORDCHG change) and
the text of SAP's PO print in English and German.
"""

IDOC_ORDERS05 = b"""<?xml version="1.0" encoding="UTF-8"?>
<ORDERS05>
  <IDOC BEGIN="1">
    <EDI_DC40 SEGMENT="1">
      <TABNAM>EDI_DC40</TABNAM>
      <MANDT>100</MANDT>
      <DOCNUM>0000000000712345</DOCNUM>
      <DOCREL>757</DOCREL>
      <STATUS>30</STATUS>
      <DIRECT>1</DIRECT>
      <OUTMOD>2</OUTMOD>
      <IDOCTYP>ORDERS05</IDOCTYP>
      <MESTYP>ORDERS</MESTYP>
      <SNDPOR>SAPS4P</SNDPOR>
      <SNDPRT>LS</SNDPRT>
      <SNDPRN>S4PCLNT100</SNDPRN>
      <RCVPOR>XMLMAIL</RCVPOR>
      <RCVPRT>LI</RCVPRT>
      <RCVPRN>0000100234</RCVPRN>
      <CREDAT>20240312</CREDAT>
      <CRETIM>101502</CRETIM>
    </EDI_DC40>
    <E1EDK01 SEGMENT="1">
      <ACTION>000</ACTION>
      <CURCY>EUR</CURCY>
      <WKURS>1.00000</WKURS>
      <ZTERM>ZB30</ZTERM>
      <BSART>NB</BSART>
      <BELNR>4500012348</BELNR>
      <RECIPNT_NO>0000100234</RECIPNT_NO>
    </E1EDK01>
    <E1EDK14 SEGMENT="1"><QUALF>011</QUALF><ORGID>1000</ORGID></E1EDK14>
    <E1EDK14 SEGMENT="1"><QUALF>013</QUALF><ORGID>NB</ORGID></E1EDK14>
    <E1EDK14 SEGMENT="1"><QUALF>014</QUALF><ORGID>1000</ORGID></E1EDK14>
    <E1EDK14 SEGMENT="1"><QUALF>009</QUALF><ORGID>001</ORGID></E1EDK14>
    <E1EDK03 SEGMENT="1"><IDDAT>012</IDDAT><DATUM>20240312</DATUM></E1EDK03>
    <E1EDK03 SEGMENT="1"><IDDAT>011</IDDAT><DATUM>20240312</DATUM></E1EDK03>
    <E1EDKA1 SEGMENT="1">
      <PARVW>AG</PARVW>
      <PARTN>1000</PARTN>
      <NAME1>Nordwind Maschinenbau GmbH</NAME1>
      <STRAS>Industriestr. 12</STRAS>
      <ORT01>Mannheim</ORT01>
      <PSTLZ>68169</PSTLZ>
      <LAND1>DE</LAND1>
      <TELF1>+49 621 4500-210</TELF1>
      <BNAME>Jana Weber</BNAME>
      <SPRAS>D</SPRAS>
    </E1EDKA1>
    <E1EDKA1 SEGMENT="1">
      <PARVW>LF</PARVW>
      <PARTN>0000100234</PARTN>
      <NAME1>Office Supplies Online GmbH</NAME1>
      <STRAS>Lagerstrasse 5</STRAS>
      <ORT01>Leipzig</ORT01>
      <PSTLZ>04109</PSTLZ>
      <LAND1>DE</LAND1>
    </E1EDKA1>
    <E1EDKA1 SEGMENT="1">
      <PARVW>WE</PARVW>
      <PARTN>1000</PARTN>
      <NAME1>Nordwind Maschinenbau GmbH</NAME1>
      <NAME2>Werk 1000 / Wareneingang Tor 3</NAME2>
      <STRAS>Industriestr. 12</STRAS>
      <ORT01>Mannheim</ORT01>
      <PSTLZ>68169</PSTLZ>
      <LAND1>DE</LAND1>
      <ISOAL>DE</ISOAL>
    </E1EDKA1>
    <E1EDK02 SEGMENT="1">
      <QUALF>001</QUALF>
      <BELNR>4500012348</BELNR>
      <DATUM>20240312</DATUM>
    </E1EDK02>
    <E1EDK02 SEGMENT="1"><QUALF>004</QUALF><BELNR>S00045</BELNR><DATUM>20240301</DATUM></E1EDK02>
    <E1EDKT1 SEGMENT="1">
      <TDID>F01</TDID>
      <TSSPRAS>D</TSSPRAS>
      <E1EDKT2 SEGMENT="1">
        <TDLINE>Bitte Bestellnummer auf allen Lieferpapieren</TDLINE>
        <TDFORMAT>*</TDFORMAT>
      </E1EDKT2>
      <E1EDKT2 SEGMENT="1"><TDLINE> angeben.</TDLINE><TDFORMAT>=</TDFORMAT></E1EDKT2>
      <E1EDKT2 SEGMENT="1">
        <TDLINE>Anlieferung Mo-Fr 7-15 Uhr.</TDLINE>
        <TDFORMAT>/</TDFORMAT>
      </E1EDKT2>
    </E1EDKT1>
    <E1EDP01 SEGMENT="1">
      <POSEX>00010</POSEX>
      <ACTION>001</ACTION>
      <MENGE>10.000</MENGE>
      <MENEE>PCE</MENEE>
      <BMNG2>10.000</BMNG2>
      <PMENE>PCE</PMENE>
      <PEINH>1</PEINH>
      <NETWR>1250.00</NETWR>
      <VPREI>125.00</VPREI>
      <MATKL>FURN</MATKL>
      <E1EDP02 SEGMENT="1">
        <QUALF>001</QUALF>
        <BELNR>4500012348</BELNR>
        <ZEILE>00010</ZEILE>
      </E1EDP02>
      <E1EDP02 SEGMENT="1"><QUALF>004</QUALF><BELNR>S00045</BELNR><ZEILE>000061</ZEILE></E1EDP02>
      <E1EDP20 SEGMENT="1"><WMENG>10.000</WMENG><EDATU>20240328</EDATU></E1EDP20>
      <E1EDP19 SEGMENT="1">
        <QUALF>001</QUALF>
        <IDTNR>MAT-4711</IDTNR>
        <KTEXT>Buerostuhl schwarz</KTEXT>
      </E1EDP19>
      <E1EDP19 SEGMENT="1"><QUALF>002</QUALF><IDTNR>FURN-0006</IDTNR></E1EDP19>
      <E1EDPT1 SEGMENT="1">
        <TDID>F01</TDID>
        <E1EDPT2 SEGMENT="1">
          <TDLINE>Farbe schwarz, Armlehnen verstellbar</TDLINE>
          <TDFORMAT>*</TDFORMAT>
        </E1EDPT2>
      </E1EDPT1>
    </E1EDP01>
    <E1EDP01 SEGMENT="1">
      <POSEX>00020</POSEX>
      <ACTION>001</ACTION>
      <MENGE>500.000</MENGE>
      <MENEE>ST</MENEE>
      <PEINH>100</PEINH>
      <NETWR>62.50</NETWR>
      <VPREI>12.50</VPREI>
      <E1EDP20 SEGMENT="1">
        <WMENG>500.000</WMENG>
        <EDATU>20240322</EDATU>
        <EZEIT>120000</EZEIT>
      </E1EDP20>
      <E1EDP19 SEGMENT="1">
        <QUALF>002</QUALF>
        <IDTNR>SCR-M8-40</IDTNR>
        <KTEXT>Sechskantschraube M8x40</KTEXT>
      </E1EDP19>
      <E1EDPT1 SEGMENT="1">
        <TDID>F01</TDID>
        <E1EDPT2 SEGMENT="1"><TDLINE>Ihr Angebot S00045/62</TDLINE><TDFORMAT>*</TDFORMAT></E1EDPT2>
      </E1EDPT1>
    </E1EDP01>
    <E1EDP01 SEGMENT="1">
      <POSEX>00030</POSEX>
      <ACTION>001</ACTION>
      <MENGE>2.000</MENGE>
      <MENEE>KG</MENEE>
      <NETWR>19.80</NETWR>
      <E1EDP19 SEGMENT="1"><QUALF>002</QUALF><IDTNR>CLN-100</IDTNR></E1EDP19>
    </E1EDP01>
    <E1EDS01 SEGMENT="1"><SUMID>001</SUMID><SUMME>3</SUMME></E1EDS01>
    <E1EDS01 SEGMENT="1"><SUMID>002</SUMID><SUMME>1332.30</SUMME><SUNIT>EUR</SUNIT></E1EDS01>
  </IDOC>
</ORDERS05>
"""


def _idoc_change(extra_item=""):
    """The same purchase order as an order change (ORDCHG), with one item deleted."""
    deleted = (
        '<E1EDP01 SEGMENT="1"><POSEX>00040</POSEX><ACTION>003</ACTION><MENGE>1.000</MENGE>'
        "<MENEE>PCE</MENEE></E1EDP01>"
    )
    return (
        IDOC_ORDERS05.replace(b"<MESTYP>ORDERS</MESTYP>", b"<MESTYP>ORDCHG</MESTYP>")
        .replace(b"<E1EDS01", (deleted + extra_item).encode() + b"<E1EDS01", 1)
        .replace(b"<MENGE>500.000</MENGE>", b"<MENGE>400.000</MENGE>")
    )


# Text as pdftotext -layout gives it for SAP's standard PO print (two columns side by side,
# two pages, the header repeated on page 2, the third item's figures on their own line).

PDF_TEXT_EN = """\
Nordwind Maschinenbau GmbH \u00b7 Industriestr. 12 \u00b7 68169 Mannheim \u00b7 Germany

Office Supplies Online Ltd.                              Purchase Order
Unit 4, Riverside Park                                   Purchase order no./Date
Leeds LS11 5QE                                           4500012345 / 03/28/2024
United Kingdom                                           Contact person/Telephone
                                                         Mr. Weber/+49 621 4500-210
                                                         Our fax number
                                                         +49 621 4500 1299
                                                         Your vendor number with us
                                                         100234
                                                         Your quotation
                                                         S00042 dated 03/14/2024

Please deliver to:
Nordwind Maschinenbau GmbH
Plant 1000 / Receiving Gate 3
Industriestr. 12
68169 Mannheim

Currency EUR

Item  Material   Description              Order Qty.  Unit   Price per unit      Net value
------------------------------------------------------------------------------------------
00010 FURN-0006  Office chair, black              10  PC     125.00 / 1 PC        1,250.00
      Delivery date: Day 04/02/2024
      Your quotation item: S00042/57
00020 4711-0815  Hexagon screw M8x40           1,000  PC      12.50 / 100 PC        125.00
      Your material number: SCR-M8-40
      Delivery date: Day 04/02/2024
      Your quotation item: S00042/58

                                                         Page 1 of 2
\f
Nordwind Maschinenbau GmbH                               Purchase Order
                                                         Purchase order no./Date
                                                         4500012345 / 03/28/2024
Item  Material   Description              Order Qty.  Unit   Price per unit      Net value
------------------------------------------------------------------------------------------
00030            Desk lamp LED
                                                   5  PC      39.90 / 1 PC          199.50
      Delivery date: Day 04/12/2024

                                   Total net value excl. tax EUR                  1,574.50

Terms: please state our purchase order number on all invoices and delivery notes.
Phone +49 621 4500 0 \u00b7 Fax +49 621 4500 1299 \u00b7 VAT DE123456789
IBAN DE89 3704 0044 0532 0130 00
                                                         Page 2 of 2
"""

PDF_TEXT_DE = """\
Nordwind Maschinenbau GmbH, Industriestr. 12, 68169 Mannheim

B\u00fcromarkt Online GmbH                   B e s t e l l u n g
Lagerstra\u00dfe 5                           Bestellnummer/Datum  4500012346 / 12.03.2024
04109 Leipzig                            Ansprechpartner/Telefon  Fr. Kr\u00fcger / 0621 4500-210
                                         Unsere Kundennummer bei Ihnen  K-77881
                                         Ihre Lieferantennummer bei uns  100234
                                         Ihr Angebot S00043 vom 01.03.2024
W\u00e4hrung EUR

Pos.  Material  Bezeichnung               Bestellmenge  Einheit  Preis pro Einheit  Nettowert
00010 R-1100    Sechskantschraube M8x40          1.000  ST        12,50 / 100 ST      125,00
      Ihre Materialnummer: SCR-M8-40
      Liefertermin: Tag 28.03.2024
      Angebotsposition S00043/61
00020           Kopierpapier A4, 80 g               20  PAK       42,50 / 10 PAK       85,00
      Liefertermin: Tag 28.03.2024
      Angebotsposition S00043/62

                           Gesamtnettowert ohne Mwst. EUR                         210,00

Bitte geben Sie auf allen Rechnungen unsere Bestellnummer an.
Telefon 0621 4500-0   Telefax 0621 4500-1299   USt-IdNr. DE123456789
Seite 1 von 1
"""
