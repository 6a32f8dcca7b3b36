"""What the cXML invoice tests share: a header, partners, an invoice of two lines and its
builder."""

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from lxml import etree
from protocol import cxml
from protocol.cxml import (
    Address,
    Credential,
    Header,
    InvoiceDetailRequest,
    InvoiceItem,
    InvoicePartner,
    InvoiceTax,
    Money,
)
from testdata import cxml_prolog

INVOICE_PROLOG = cxml_prolog("InvoiceDetail", "1.2.037")

CET = timezone(timedelta(hours=1))

NOW = datetime(2024, 3, 1, 9, 30, tzinfo=timezone.utc)

HEADER = Header(
    from_credentials=[Credential("NetworkId", "AN02000000002")],
    to_credentials=[Credential("NetworkId", "AN01000000001")],
    sender_credentials=[Credential("NetworkId", "AN02000000002", "s3cr3t&<Ä")],
    user_agent="Odoo oci_punchout",
)


def load(data):
    parser = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)
    return etree.fromstring(data, parser)


def assert_valid(dtds, data, version="1.2.037", dtd="InvoiceDetail"):
    """The exact prolog naming ``version``/``dtd``, the same version on the root, and valid."""
    assert data.startswith(cxml_prolog(dtd, version))
    root = load(data)
    assert root.get("version") == version
    validator = dtds[(version, dtd)]
    assert validator.validate(root), validator.error_log.filter_from_errors()
    return root


def eur(amount, currency="EUR"):
    return Money(Decimal(amount), currency)


def vat(rate, base, amount, currency="EUR", **values):
    return InvoiceTax(
        Decimal(rate),
        eur(base, currency),
        eur(amount, currency),
        description=values.pop("description", f"VAT {rate}%"),
        **values,
    )


SUPPLIER_ADDRESS = Address(
    name="Meridian Supplies B.V.",
    street=["Keizersgracht 1"],
    city="Amsterdam",
    postal_code="1015 CC",
    country_code="NL",
    country="Nederland",
    email="billing@meridian.example",
    phone="+31 20 1234567",
)

BUYER_ADDRESS = Address(
    name="Zinc GmbH",
    address_id="BT-1",
    deliver_to=["Accounts payable"],
    street=["An den Eichen 18", "Gebäude 2"],
    city="Solingen",
    postal_code="42699",
    country_code="DE",
    country="Deutschland",
    email="ap@zinc.example",
)


def make_invoice(currency="EUR", **values):
    """Two lines at 21 % and 9 % VAT; the second has a 10 % discount and a buyer part id."""
    defaults = {
        "invoice_id": "INV/2024/0042",
        "invoice_date": datetime(2024, 3, 4, tzinfo=CET),
        "order_id": "PO-2024-0042",
        "order_payload_id": "1709280000.1@buyer.example",
        "order_date": datetime(2024, 3, 1, 8, 0, tzinfo=CET),
        "partners": [
            InvoicePartner(
                "remitTo",
                "Meridian Supplies B.V.",
                SUPPLIER_ADDRESS,
                "billing@meridian.example",
                [("vatID", "NL859123456B01"), ("ibanID", "NL91ABNA0417164300")],
            ),
            InvoicePartner(
                "billTo", "Zinc GmbH", BUYER_ADDRESS, "ap@zinc.example", [("vatID", "DE123")]
            ),
        ],
        "items": [
            InvoiceItem(
                invoice_line_number=1,
                quantity=Decimal(2),
                unit_of_measure="C62",
                unit_price=eur("100.00", currency),
                subtotal=eur("200.00", currency),
                order_line_number=10,
                supplier_part_id="FURN-1",
                supplier_part_auxiliary_id="S00042/1",
                description="Office chair & <desk>",
                tax=vat("21", "200.00", "42.00", currency),
            ),
            InvoiceItem(
                invoice_line_number=2,
                quantity=Decimal("3"),
                unit_of_measure="KGM",
                unit_price=eur("9.00", currency),
                subtotal=eur("27.00", currency),
                order_line_number=20,
                supplier_part_id="COFFEE-1",
                buyer_part_id="B-778",
                description="Coffee beans",
                tax=vat("9", "27.00", "2.43", currency),
                gross_amount=eur("30.00", currency),
                discount_amount=eur("3.00", currency),
            ),
        ],
        "subtotal": eur("227.00", currency),
        "taxes": [vat("21", "200.00", "42.00", currency), vat("9", "27.00", "2.43", currency)],
        "total_tax": eur("44.43", currency),
        "gross_amount": eur("271.43", currency),
        "net_amount": eur("271.43", currency),
        "due_amount": eur("271.43", currency),
        "payment_term_days": 30,
        "comments": "Thank you for your order.",
        "extrinsics": {"CostCenter": "4711"},
    }
    return InvoiceDetailRequest(**{**defaults, **values})


def build(invoice, **kwargs):
    kwargs.setdefault("payload_id", "inv-1@meridian.example")
    kwargs.setdefault("timestamp", NOW)
    return cxml.build_invoice_detail_request(HEADER, invoice, **kwargs)


def amount(el, path):
    return Decimal(el.findtext(f"{path}/Money"))
