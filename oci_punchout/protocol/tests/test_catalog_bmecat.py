"""BMEcat 2005 catalogues: valid against the official bmecat_2005.xsd (new catalogue and price
update), price breaks and classifications as BMEcat has them, every product checked, written
as a stream. pytest, no Odoo."""

import io
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from catalog_common import assert_written_as_a_stream
from lxml import etree
from protocol.catalog import BMECAT_NS, BmecatHeader, BmecatProduct, write_bmecat
from testdata import TESTDATA

NS = {"b": BMECAT_NS}
HEADER = BmecatHeader(
    catalog_id="demo-oci",
    catalog_version="1.0",
    language="deu",
    currency="EUR",
    supplier_name="Office Supplies Online Ltd.",
    supplier_id="4711",
    buyer_name="Demo Buyer B.V.",
    buyer_id="DB-1",
    catalog_name="Demo Buyer prices",
    generated=datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc),
)


def _product(number=1, **values):
    values = {
        "supplier_pid": f"PEN-{number}",
        "description_short": f"Ballpoint pen {number}",
        "order_unit": "C62",
        "prices": [(Decimal(1), Decimal("18.00")), (Decimal(100), Decimal("16.50"))],
        "description_long": "Blue ink, refillable.",
        "buyer_pid": f"B-{number}",
        "manufacturer_pid": "X-1",
        "manufacturer_name": "Acme Pens",
        "delivery_time": 3,
        "classification": ("UNSPSC", "44121704"),
        "tax_rate": Decimal("0.19"),
        **values,
    }
    return BmecatProduct(**values)


@pytest.fixture(scope="module")
def bmecat_schema():
    return etree.XMLSchema(etree.parse(str(TESTDATA / "bmecat-2005" / "bmecat_2005.xsd")))


def _write(products, **kwargs):
    out = io.BytesIO()
    count = write_bmecat(out, HEADER, products, **kwargs)
    return count, out.getvalue()


def _valid(schema, data):
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    assert schema.validate(root), schema.error_log.filter_from_errors()
    return root


def test_new_catalog(bmecat_schema):
    count, data = _write([_product(1), _product(2, classification=None, buyer_pid="")])
    root = _valid(bmecat_schema, data)
    assert count == 2
    assert root.get("version") == "2005"
    assert root.findtext("b:HEADER/b:CATALOG/b:CURRENCY", namespaces=NS) == "EUR"
    assert root.findtext("b:HEADER/b:SUPPLIER/b:SUPPLIER_NAME", namespaces=NS) == (
        "Office Supplies Online Ltd."
    )
    first = root.find("b:T_NEW_CATALOG/b:PRODUCT", NS)
    assert first.get("mode") == "new"
    assert first.findtext("b:SUPPLIER_PID", namespaces=NS) == "PEN-1"
    assert first.findtext("b:PRODUCT_FEATURES/b:REFERENCE_FEATURE_SYSTEM_NAME", namespaces=NS) == (
        "UNSPSC"
    )
    breaks = [
        (
            price.get("price_type"),
            price.findtext("b:PRICE_AMOUNT", namespaces=NS),
            price.findtext("b:LOWER_BOUND", namespaces=NS),
        )
        for price in first.iterfind("b:PRODUCT_PRICE_DETAILS/b:PRODUCT_PRICE", NS)
    ]
    assert breaks == [("net_customer", "18", "1"), ("net_customer", "16.5", "100")]


def test_price_update(bmecat_schema):
    count, data = _write([_product(1)], transaction="T_UPDATE_PRICES", prev_version=2)
    root = _valid(bmecat_schema, data)
    update = root.find("b:T_UPDATE_PRICES", NS)
    assert count == 1 and update.get("prev_version") == "2"
    product = update.find("b:PRODUCT", NS)
    assert product.get("mode") == "update"
    # Prices only: no descriptions, units or features.
    assert [child.tag.split("}")[1] for child in product] == [
        "SUPPLIER_PID",
        "PRODUCT_PRICE_DETAILS",
    ]


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"supplier_pid": ""}, "SUPPLIER_PID"),
        ({"description_short": ""}, "short description"),
        ({"order_unit": ""}, "order unit"),
        ({"prices": []}, "needs a price"),
    ],
)
def test_incomplete_products_are_refused(values, message):
    with pytest.raises(ValueError, match=message):
        _write([_product(1, **values)])


def test_refusals():
    with pytest.raises(ValueError, match=r"must be major\.minor"):
        write_bmecat(io.BytesIO(), replace(HEADER, catalog_version="2026.12"), [_product()])
    with pytest.raises(ValueError, match="at least one product"):
        _write([])
    with pytest.raises(ValueError, match="transaction"):
        _write([_product()], transaction="T_UPDATE_PRODUCTS")


def test_written_as_a_stream():
    assert_written_as_a_stream(
        lambda sink, products: write_bmecat(sink, HEADER, products), _product
    )
