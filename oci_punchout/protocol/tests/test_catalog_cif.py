"""CIF 3.0 catalogues: the header, FIELDNAMES and quoted rows, parsed back column by column;
fields over CIF's length limits refused with the item named. pytest, no Odoo."""

import csv
import io
from datetime import datetime, timezone
from decimal import Decimal

import pytest
from cxml_common import make_item
from protocol.catalog import CIF_FIELDS, write_cif

STAMP = datetime(2026, 12, 5, 9, 30, tzinfo=timezone.utc)


def _write(items, **kwargs):
    out = io.BytesIO()
    kwargs.setdefault("currency", "EUR")
    count = write_cif(out, "AN01000000002", items, timestamp=STAMP, **kwargs)
    return count, out.getvalue().decode()


def _read(text):
    """A CIF file as a buyer's system reads it: {header: value}, [row as {field: value}]."""
    lines = text.split("\n")
    assert lines[0] == "CIF_I_V3.0"
    data = lines.index("DATA")
    header = dict(line.split(": ", 1) for line in lines[1:data])
    names = header.pop("FIELDNAMES").split(",")
    end = lines.index("ENDOFDATA")
    rows = [dict(zip(names, row, strict=True)) for row in csv.reader(lines[data + 1 : end])]
    return header, rows


def test_header_and_rows_read_back():
    items = [
        make_item(1, description='Desk "Oslo", oak\nwith drawer', lead_time=3),
        make_item(2, unit_price=make_item(2).unit_price.__class__(Decimal("0.0125"), "EUR")),
    ]
    count, text = _write(items, loadmode="Incremental", comments="Winter prices")
    header, rows = _read(text)
    assert count == 2
    assert header == {
        "CHARSET": "UTF-8",
        "LOADMODE": "I",
        "CODEFORMAT": "UNSPSC",
        "CURRENCY": "EUR",
        "SUPPLIERID_DOMAIN": "NetworkID",
        "ITEMCOUNT": "2",
        "TIMESTAMP": "2026-12-05 09:30:00",
        "UNUOM": "TRUE",
        "COMMENTS": "Winter prices",
    }
    assert list(rows[0]) == [name for name, _limit in CIF_FIELDS]
    first, second = rows
    assert first["Supplier ID"] == "AN01000000002"
    assert first["Supplier Part ID"] == "FURN-1"
    assert first["Item Description"] == 'Desk "Oslo", oak with drawer'  # quotes kept, one line
    assert first["SPSC Code"] == "56101504"
    assert first["Unit Price"] == "1234.50"
    assert first["Unit of Measure"] == "C62"
    assert first["Lead Time"] == "3"
    assert first["Manufacturer Name"] == "Acme Seating"
    assert first["Supplier Part Auxiliary ID"] == "S00042/1"
    assert (first["Currency"], first["Short Name"], first["Language"]) == ("EUR", "Chair", "en_US")
    assert second["Unit Price"] == "0.0125"
    assert text.endswith("ENDOFDATA\n")


def test_full_load_is_the_default():
    _count, text = _write([make_item(1)])
    assert _read(text)[0]["LOADMODE"] == "F"


def test_a_field_over_its_limit_is_refused_with_the_item_named():
    with pytest.raises(
        ValueError, match="FURN-7: Short Name has 51 characters; CIF allows at most 50"
    ):
        _write([make_item(7, short_name="x" * 51)])


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([make_item(1, supplier_part_id="")], "Supplier Part ID"),
        ([make_item(1, classifications=[])], "classification"),
        ([], "at least one item"),
    ],
)
def test_incomplete_catalogues_are_refused(items, message):
    with pytest.raises(ValueError, match=message):
        _write(items)


def test_unknown_loadmode():
    with pytest.raises(ValueError, match="loadmode"):
        _write([make_item(1)], loadmode="Partial")
