"""Purchase orders the order-reader tests read: the OASIS UBL example's path, a Peppol BIS Order 3
and an openTRANS 2.1 ORDER.
"""

from datetime import timedelta, timezone

from testdata import TESTDATA

UBL_DIR = TESTDATA / "ubl-2.1"

OASIS_ORDER = UBL_DIR / "UBL-Order-2.1-Example.xml"

PLUS_1 = timezone(timedelta(hours=1))

PLUS_2 = timezone(timedelta(hours=2))

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
