"""SAP S/4HANA's EDI channel: SOAP 1.1/1.2 envelopes and faults, the OrderRequest read into the
matcher's purchase order, the WSDLs (loaded by zeep, messages it writes read back), the outbound
documents valid against the WSDL's schema. pytest, no Odoo."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import zeep
from lxml import etree
from protocol import s4
from protocol.errors import HostileDocument, MalformedDocument, UnsupportedRequest

CREATED = "2026-12-05T09:30:00Z"


def _order(**values):
    values = {
        "purchase_order_id": "4500000123",
        "currency": "EUR",
        "order_date": "2026-12-05",
        "buyer_id": "1010",
        "seller_id": "V-1000",
        "note": "Deliver to gate 3",
        "items": [
            s4.S4OrderItem(
                item_id=10,
                quantity=Decimal(5),
                unit="EA",
                seller_product_id="PEN-BLUE",
                buyer_product_id="MAT-77",
                description="Ballpoint pen",
                net_price=Decimal("1800"),
                base_quantity=Decimal(100),
                delivery_date="2026-12-10",
                quotation_id="S00042",
                quotation_item_id="123",
            ),
            s4.S4OrderItem(
                item_id=20, quantity=Decimal("2.5"), unit="KG", seller_product_id="PAP-A4-80"
            ),
        ],
        **values,
    }
    return s4.S4Order(**values)


def _read(data):
    message = s4.parse_envelope(data)
    return message, s4.parse_order_request(message.body)


@pytest.mark.parametrize("version", ["1.1", "1.2"])
def test_order_request_read_into_the_matchers_purchase_order(version):
    data = s4.build_order_request(
        _order(),
        "MSG-0001",
        CREATED,
        sender_system="S4HCLNT100",
        version=version,
        wsa_message_id="urn:uuid:6f1c",
    )
    message, request = _read(data)
    assert (message.version, message.message_id) == (version, "urn:uuid:6f1c")
    assert (request.message_id, request.sender_system, request.buyer_id, request.seller_id) == (
        "MSG-0001",
        "S4HCLNT100",
        "1010",
        "V-1000",
    )
    po = request.purchase_order
    assert (po.order_id, po.order_type, po.comments) == ("4500000123", "new", "Deliver to gate 3")
    assert po.order_date == datetime(2026, 12, 5)
    pen, paper = po.items
    assert (pen.line_number, pen.supplier_part_id, pen.buyer_part_id) == (10, "PEN-BLUE", "MAT-77")
    # Price per BaseQuantity 100 -> per unit; our quotation line as the matcher's reference.
    assert pen.unit_price.amount == Decimal(18) and pen.unit_price.currency == "EUR"
    assert (pen.quantity, pen.unit_of_measure) == (Decimal(5), "EA")
    assert pen.supplier_part_auxiliary_id == "S00042/123"
    assert pen.requested_delivery_date == datetime(2026, 12, 10)
    # SAP's own unit code (KG) read as UN/ECE.
    assert (paper.quantity, paper.unit_of_measure, paper.unit_price) == (
        Decimal("2.5"),
        "KGM",
        None,
    )


@pytest.mark.parametrize("code, order_type", [("02", "update"), ("03", "delete")])
def test_action_codes(code, order_type):
    _message, request = _read(s4.build_order_request(_order(action_code=code), "M", CREATED))
    assert request.purchase_order.order_type == order_type


def _envelope(body_xml, version="1.1"):
    ns = s4.SOAP12_NS if version == "1.2" else s4.SOAP11_NS
    return (f'<s:Envelope xmlns:s="{ns}"><s:Body>{body_xml}</s:Body></s:Envelope>').encode()


ORDER_BODY = (
    '<e:OrderRequest xmlns:e="http://sap.com/xi/EDI"><MessageHeader><ID>M1</ID>'
    "<CreationDateTime>2026-12-05T09:30:00Z</CreationDateTime></MessageHeader><Order>"
    "<PurchaseOrderID>4500000001</PurchaseOrderID>{items}</Order></e:OrderRequest>"
)
ITEM = (
    "<Item><PurchaseOrderItemID>10</PurchaseOrderItemID><Product><SellerProductID>P"
    '</SellerProductID></Product><Quantity unitCode="EA">1</Quantity></Item>'
)


@pytest.mark.parametrize(
    "data, error, named",
    [
        (b"<html/>", MalformedDocument, "SOAP envelope"),
        (_envelope(""), MalformedDocument, "Body is empty"),
        (_envelope("<x:Other xmlns:x='urn:x'/>"), UnsupportedRequest, "'Other'"),
        (_envelope(ORDER_BODY.format(items="")), MalformedDocument, "no Item"),
        (
            _envelope(
                ORDER_BODY.format(items=ITEM.replace('<Quantity unitCode="EA">1</Quantity>', ""))
            ),
            MalformedDocument,
            "Quantity",
        ),
        (
            _envelope(ORDER_BODY.format(items=ITEM.replace('unitCode="EA"', ""))),
            MalformedDocument,
            "unitCode",
        ),
        (
            _envelope(ORDER_BODY.format(items=ITEM.replace(">1<", ">-1<"))),
            MalformedDocument,
            "not positive",
        ),
        (
            _envelope(ORDER_BODY.format(items=ITEM.replace(">1<", ">lots<"))),
            MalformedDocument,
            "Item 10",
        ),
        (_envelope(ORDER_BODY.format(items=ITEM + ITEM)), MalformedDocument, "sent twice"),
        (
            _envelope(
                ORDER_BODY.format(items=ITEM.replace("<SellerProductID>P</SellerProductID>", ""))
            ),
            MalformedDocument,
            "names no product",
        ),
        (
            _envelope(
                ORDER_BODY.format(items=ITEM).replace(
                    "<PurchaseOrderID>4500000001</PurchaseOrderID>", ""
                )
            ),
            MalformedDocument,
            "PurchaseOrderID",
        ),
        (
            _envelope(ORDER_BODY.format(items=ITEM).replace("<ID>M1</ID>", "")),
            MalformedDocument,
            "message id",
        ),
        (
            _envelope(
                ORDER_BODY.format(items=ITEM).replace(
                    "</PurchaseOrderID>", "</PurchaseOrderID><ActionCode>09</ActionCode>"
                )
            ),
            MalformedDocument,
            "ActionCode",
        ),
    ],
)
def test_bad_requests_are_refused_and_named(data, error, named):
    with pytest.raises(error) as raised:
        _read(data)
    assert named in raised.value.message


def test_hostile_and_reliable_messaging_requests():
    bomb = b'<!DOCTYPE s [<!ENTITY a "aaaa">]>' + _envelope(ORDER_BODY.format(items=ITEM)).replace(
        b"<ID>M1", b"<ID>&a;"
    )
    with pytest.raises(HostileDocument):
        s4.parse_envelope(bomb)
    create_sequence = _envelope(
        '<wsrm:CreateSequence xmlns:wsrm="http://docs.oasis-open.org/ws-rx/wsrm/200702"/>', "1.2"
    )
    with pytest.raises(UnsupportedRequest) as raised:
        s4.parse_envelope(create_sequence)
    assert "CreateSequence" in raised.value.message
    with pytest.raises(Exception) as raised:
        s4.parse_envelope(b"<" * (6 * 1024 * 1024))
    assert raised.value.status == 413


@pytest.mark.parametrize("version", ["1.1", "1.2"])
@pytest.mark.parametrize("sender", [True, False])
def test_faults_read_back(version, sender):
    fault = s4.build_fault(version, sender, "Unknown product P-9 in item 10.")
    assert s4.parse_fault(fault) == (sender, "Unknown product P-9 in item 10.")
    root = etree.fromstring(fault)
    assert etree.QName(root).namespace == (s4.SOAP12_NS if version == "1.2" else s4.SOAP11_NS)


def _zeep(wsdl_bytes, tmp_path, name):
    path = tmp_path / name
    path.write_bytes(wsdl_bytes)
    return zeep.Client(str(path))


def test_a_zeep_client_of_our_wsdl_sends_what_we_read(tmp_path):
    client = _zeep(
        s4.supplier_wsdl("https://supplier.example/punchout/s4/buyer-s4"), tmp_path, "s.wsdl"
    )
    service = client.bind("OrderRequest_OutService", "OrderRequest_OutPort")
    operation = client.service._binding._operations["OrderRequest_Out"]
    assert operation.soapaction == "http://sap.com/xi/EDI/OrderRequest_Out"
    assert service._binding_options["address"] == "https://supplier.example/punchout/s4/buyer-s4"
    envelope = client.create_message(
        client.service,
        "OrderRequest_Out",
        MessageHeader={"ID": "MSG-9", "CreationDateTime": datetime(2026, 12, 5, 9, 30)},
        Order={
            "PurchaseOrderID": "4500000124",
            "CurrencyCode": "EUR",
            "Item": [
                {
                    "PurchaseOrderItemID": "10",
                    "Product": {"SellerProductID": "PEN-BLUE"},
                    "Quantity": {"_value_1": Decimal(3), "unitCode": "EA"},
                    "NetPrice": {"Amount": {"_value_1": Decimal("18.00"), "currencyCode": "EUR"}},
                    "QuotationReference": {"ID": "S00042", "ItemID": "7"},
                }
            ],
        },
    )
    _message, request = _read(etree.tostring(envelope))
    item = request.purchase_order.items[0]
    assert (request.message_id, request.purchase_order.order_id) == ("MSG-9", "4500000124")
    assert (item.line_number, item.quantity, item.supplier_part_auxiliary_id) == (
        10,
        3,
        "S00042/7",
    )
    # Both SOAP versions are offered.
    assert set(client.wsdl.services["OrderRequest_OutService"].ports) == {
        "OrderRequest_OutPort",
        "OrderRequest_OutPort12",
    }


def _buyer_message(tmp_path, operation, **values):
    client = _zeep(s4.buyer_wsdl(), tmp_path, "b.wsdl")
    service = client.create_service(
        f"{{{s4.EDI_NS}}}{operation}Binding", "https://buyer.example/sap/" + operation
    )
    return etree.tostring(client.create_message(service, operation, **values))


def test_outbound_documents_are_written_by_zeep_and_read_back(tmp_path):
    header = s4.message_header("CONF-1", datetime(2026, 12, 5, 10, 0), reference_id="MSG-0001")
    confirmation = s4.order_confirmation(
        "4500000123",
        "S00042",
        "change",
        [
            s4.ConfirmedItem(
                10, "accept", Decimal(5), "EA", date(2026, 12, 10), Decimal(18), "EUR"
            ),
            s4.ConfirmedItem(20, "reject", Decimal(0), "KGM"),
        ],
    )
    data = _buyer_message(
        tmp_path, "OrderConfRequest_In", MessageHeader=header, OrderConfirmation=confirmation
    )
    message = s4.parse_envelope(data)
    operation, values = s4.read_document(message.body)
    assert operation == "OrderConfRequest_In"
    assert values["MessageHeader"]["ReferenceID"] == "MSG-0001"
    conf = values["OrderConfirmation"]
    assert (conf["PurchaseOrderID"], conf["ConfirmationStatusCode"]) == ("4500000123", "AC")
    assert [item["ConfirmationStatusCode"] for item in conf["Item"]] == ["AP", "RE"]
    assert conf["Item"][0]["ConfirmedQuantity"] == {"value": "5", "unitCode": "EA"}
    assert conf["Item"][0]["ConfirmedDeliveryDate"] == "2026-12-10"

    notice = s4.delivery(
        "WH/OUT/00007",
        "01",
        date(2026, 12, 8),
        [s4.DeliveredItem("4500000123", 10, Decimal(5), "EA", batches=["LOT-1"])],
        carrier="DHL",
        tracking=["JD0001"],
    )
    data = _buyer_message(
        tmp_path,
        "DeliveryRequest_In",
        MessageHeader=s4.message_header("DLV-1", datetime(2026, 12, 8)),
        Delivery=notice,
    )
    operation, values = s4.read_document(s4.parse_envelope(data).body)
    assert operation == "DeliveryRequest_In"
    assert values["Delivery"]["Item"]["BatchID"] == "LOT-1"
    assert values["Delivery"]["TrackingID"] == "JD0001"

    bill = s4.invoice(
        "INV/2026/00001",
        "INV",
        date(2026, 12, 9),
        "EUR",
        Decimal(90),
        Decimal("18.9"),
        Decimal("108.9"),
        [
            s4.InvoicedItem(
                "4500000123",
                Decimal(5),
                "EA",
                Decimal(90),
                item_id=10,
                net_price=Decimal(18),
                tax_percent=Decimal(21),
            )
        ],
    )
    data = _buyer_message(
        tmp_path,
        "InvoiceRequest_In",
        MessageHeader=s4.message_header("INV-1", datetime(2026, 12, 9)),
        Invoice=bill,
    )
    operation, values = s4.read_document(s4.parse_envelope(data).body)
    assert operation == "InvoiceRequest_In"
    assert values["Invoice"]["GrossAmount"] == {"value": "108.9", "currencyCode": "EUR"}


def test_outbound_values_are_checked():
    with pytest.raises(ValueError):
        s4.order_confirmation("1", "S1", "maybe", [])
    with pytest.raises(ValueError):
        s4.delivery("D", "01", date(2026, 1, 1), [])
    with pytest.raises(ValueError):
        s4.invoice("I", "XYZ", date(2026, 1, 1), "EUR", 1, 0, 1, [])
