"""The cXML Index catalogue: valid against cXML.dtd 1.2.063, written as a stream, every item
checked. pytest, no Odoo."""

import io
from decimal import Decimal

import pytest
from catalog_common import assert_written_as_a_stream
from cxml_common import make_item
from lxml import etree
from protocol.catalog import write_cxml_index

SUPPLIER = [("NetworkID", "AN01000000002"), ("DUNS", "123456789")]


def _write(*args, **kwargs):
    out = io.BytesIO()
    count = write_cxml_index(out, *args, **kwargs)
    return count, out.getvalue()


def _valid(dtds, data):
    assert data.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE Index SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd">\n'
    )
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    validator = dtds["cXML"]
    assert validator.validate(root), validator.error_log.filter_from_errors()
    return root


def test_items_and_punchout_items(dtds):
    items = [make_item(1), make_item(2, quantity=Decimal(1))]
    punchout = [make_item(3, url="https://shop.example/punchout/level2/3", unit_price=None)]
    count, data = _write(SUPPLIER, items, punchout, loadmode="Incremental", comments="Autumn")
    root = _valid(dtds, data)
    assert count == 3
    assert root.get("loadmode") == "Incremental"
    assert [el.get("domain") for el in root.iterfind("SupplierID")] == ["NetworkID", "DUNS"]
    groups = root.findall("IndexItem")
    assert [[child.tag for child in group] for group in groups] == [
        ["IndexItemAdd", "IndexItemAdd"],
        ["IndexItemPunchout"],
    ]
    add = groups[0][0]
    assert add.findtext("ItemID/SupplierPartID") == "FURN-1"
    assert add.findtext("ItemDetail/UnitPrice/Money") == "1234.50"
    assert add.findtext("IndexItemDetail/LeadTime") == "5"
    assert add.findtext("ItemDetail/LeadTime") == "5"  # the same in both, as the DTD advises
    punch = groups[1][0].find("PunchoutDetail")
    assert punch.get("punchoutLevel") == "product"
    assert punch.findtext("URL") == "https://shop.example/punchout/level2/3"


def test_only_punchout_items(dtds):
    punchout = [make_item(1, url="https://shop.example/p/1")]
    count, data = _write(SUPPLIER, (), punchout)
    root = _valid(dtds, data)
    assert count == 1 and root.get("loadmode") == "Full"


@pytest.mark.parametrize(
    ("items", "punchout", "message"),
    [
        ([make_item(1, lead_time=None)], (), "needs a lead time"),
        ([make_item(1, unit_price=None)], (), "needs a unit price"),
        ([make_item(1, classifications=[])], (), "classification"),
        ((), [make_item(1, url="")], "URL that punches in"),
        ((), (), "at least one item"),
    ],
)
def test_what_the_dtd_requires_is_checked(items, punchout, message):
    with pytest.raises(ValueError, match=message):
        _write(SUPPLIER, items, punchout)


def test_refusals_before_writing():
    with pytest.raises(ValueError, match="SupplierID"):
        _write([], [make_item(1)])
    with pytest.raises(ValueError, match="loadmode"):
        _write(SUPPLIER, [make_item(1)], loadmode="Partial")


def test_written_as_a_stream():
    """10,000 items from a generator: the writer holds one at a time."""
    assert_written_as_a_stream(
        lambda sink, items: write_cxml_index(sink, SUPPLIER, items),
        lambda number: make_item(number, description=f"Item {number}", comments=""),
    )
