"""OCI 5.0 DOWNLOADJSON: the paging parameters, items written with the cart's field rules and
read back by the checks a buyer's system applies, streamed in constant memory. pytest, no Odoo."""

import io
import json
from datetime import datetime
from decimal import Decimal

import pytest
from catalog_common import assert_written_as_a_stream
from protocol.catalog import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    catalog_item,
    page_count,
    parse_download_request,
    validate_catalog_json,
    write_catalog_json,
)
from protocol.errors import MalformedDocument
from protocol.oci import OciItem, parse_punch_in

TRANSACTION = "Zq3x_8kP-2vN0aLmT4bY"


def _item(number=1, **values):
    values = {
        "description": f"Office chair model {number}, black mesh, adjustable arm rests",
        "quantity": Decimal(1),
        "unit": "PCE",
        "price": Decimal("129.9"),
        "currency": "EUR",
        "leadtime": 3,
        "vendormat": f"CHAIR-{number:05d}",
        "ext_product_id": str(number),
        "ext_schema_type": "UNSPSC",
        "ext_category_id": "56101504",
        "longtext": "Ergonomic.",
        **values,
    }
    return OciItem(**values)


def _page(items, **header):
    out = io.BytesIO()
    count = write_catalog_json(out, items, header or None)
    return count, out.getvalue()


def test_paging_parameters_defaults_and_forms():
    request = parse_download_request({"FUNCTION": "DOWNLOADJSON"})
    assert (request.page_size, request.page, request.transaction_id, request.last_updated) == (
        DEFAULT_PAGE_SIZE,
        1,
        None,
        None,
    )
    request = parse_download_request(
        {
            "pagesize": ["250"],
            "RequestedPage": "3",
            "TRANSACTIONID": TRANSACTION,
            "LASTUPDATED": "20261201083000",
        }
    )
    assert (request.page_size, request.page, request.transaction_id) == (250, 3, TRANSACTION)
    assert request.last_updated == datetime(2026, 12, 1, 8, 30)
    # ISO 8601 with a zone is converted to UTC; a bare date is midnight.
    assert parse_download_request({"LASTUPDATED": "2026-12-01T09:30:00+01:00"}).last_updated == (
        datetime(2026, 12, 1, 8, 30)
    )
    assert parse_download_request({"LASTUPDATED": "20261201"}).last_updated == datetime(
        2026, 12, 1
    )


@pytest.mark.parametrize(
    "params, named",
    [
        ({"PAGESIZE": "0"}, "PAGESIZE"),
        ({"PAGESIZE": str(MAX_PAGE_SIZE + 1)}, "PAGESIZE"),
        ({"PAGESIZE": "1e3"}, "PAGESIZE"),
        ({"PAGESIZE": "\uff19"}, "PAGESIZE"),  # a full-width digit
        ({"REQUESTEDPAGE": "-1"}, "REQUESTEDPAGE"),
        ({"REQUESTEDPAGE": "9" * 40}, "REQUESTEDPAGE"),
        ({"TRANSACTIONID": "../../etc"}, "TRANSACTIONID"),
        ({"TRANSACTIONID": "x" * 65}, "TRANSACTIONID"),
        ({"LASTUPDATED": "yesterday"}, "LASTUPDATED"),
        ({"LASTUPDATED": "20261332000000"}, "LASTUPDATED"),
        ({"LASTUPDATED": "2026-12-01T" + "0" * 100}, "LASTUPDATED"),
    ],
)
def test_bad_paging_parameters_are_refused_and_named(params, named):
    with pytest.raises(MalformedDocument) as raised:
        parse_download_request(params)
    assert named in str(raised.value)


def test_download_is_a_server_call_without_hook_url():
    punch_in = parse_punch_in({"USERNAME": "u", "PASSWORD": "p", "FUNCTION": "downloadjson"})
    assert punch_in.function == "DOWNLOADJSON"
    assert punch_in.hook_url is None


def test_page_count():
    assert [page_count(n, 100) for n in (0, 1, 100, 101, 1000)] == [1, 1, 1, 2, 10]


def test_item_follows_the_cart_rules_and_reads_back():
    item = catalog_item(
        _item(price=Decimal("0.0125")),
        price_scales=[(Decimal(1), Decimal("0.0125")), (Decimal(100), Decimal("0.011"))],
    )
    # DESCRIPTION cut to 40 characters on a word, the whole text before the long text.
    assert item["DESCRIPTION"] == "Office chair model 1, black mesh,"
    assert item["LONGTEXT"].startswith(
        "Office chair model 1, black mesh, adjustable arm rests\n\n"
    )
    # A price with more than 2 decimals is given per 100, as in a cart; its breaks too.
    assert (item["PRICE"], item["PRICEUNIT"]) == ("1.25", "100")
    assert item["PRICESCALES"] == [
        {"QUANTITY": "1", "PRICE": "1.25"},
        {"QUANTITY": "100", "PRICE": "1.1"},
    ]
    assert "MATNR" not in item and "CONTRACT" not in item  # empty fields are left out
    count, data = _page(
        [item], TRANSACTIONID=TRANSACTION, REQUESTEDPAGE=1, PAGESIZE=10, TOTALPAGES=1, TOTALITEMS=1
    )
    assert count == 1
    assert validate_catalog_json(data) == []
    page = json.loads(data)
    assert page["TRANSACTIONID"] == TRANSACTION
    assert page["ITEMS"][0]["VENDORMAT"] == "CHAIR-00001"


def _violations(item=None, **header):
    _count, data = _page([item if item is not None else catalog_item(_item())], **header)
    return [str(v) for v in validate_catalog_json(data)]


@pytest.mark.parametrize(
    "change, expected",
    [
        ({"UNIT": "PIECE"}, "UNIT has 5 characters"),
        ({"PRICE": "1,5"}, "comma as decimal point"),
        ({"PRICE": 1.5}, "PRICE is not text"),
        ({"CURRENCY": None}, "CURRENCY is required when PRICE is given"),
        ({"DESCRIPTION": None}, "DESCRIPTION (or MATNR) is required"),
        ({"QUANTITY": None}, "QUANTITY is required"),
        ({"COLOUR": "red"}, "'COLOUR' is not an OCI field"),
        ({"PRICESCALES": []}, "non-empty list"),
        ({"PRICESCALES": [{"QUANTITY": "10", "PRICE": "1.000.5"}]}, "thousands separator"),
        (
            {"PRICESCALES": [{"QUANTITY": "10", "PRICE": "2"}, {"QUANTITY": "5", "PRICE": "1"}]},
            "must increase",
        ),
    ],
)
def test_validation_names_what_a_buyer_would_refuse(change, expected):
    item = catalog_item(_item())
    for name, value in change.items():
        if value is None:
            item.pop(name)
        else:
            item[name] = value
    found = _violations(item)
    assert any(expected in text for text in found), found


def test_validation_checks_the_header_against_the_items():
    item = catalog_item(_item())
    assert _violations(item, PAGESIZE=1, REQUESTEDPAGE=2, TOTALPAGES=1, TOTALITEMS=1) == [
        "Page 2 of 1."
    ]
    assert "3 items make 3 pages, not 2." in _violations(
        item, PAGESIZE=1, REQUESTEDPAGE=1, TOTALPAGES=2, TOTALITEMS=3
    )
    _count, data = _page([item, item], PAGESIZE=1)
    assert "more than PAGESIZE 1" in str(validate_catalog_json(data)[0])
    assert "not JSON" in str(validate_catalog_json(b"{")[0])
    assert "not a whole number" in _violations(item, PAGESIZE="10")[0]


def test_written_as_a_stream():
    template = catalog_item(_item())
    template["LONGTEXT"] = "An ergonomic office chair. " * 20
    assert_written_as_a_stream(
        write_catalog_json, lambda number: dict(template, EXT_PRODUCT_ID=str(number))
    )
