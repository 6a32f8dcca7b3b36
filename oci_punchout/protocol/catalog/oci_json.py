"""OCI 5.0 catalogue replication (``FUNCTION=DOWNLOADJSON``): the buyer's server logs in as for a
punch-in and fetches the catalogue page by page as JSON.

Request parameters (beside the OCI login): ``PAGESIZE`` (items per page, 1 to
``MAX_PAGE_SIZE``, default ``DEFAULT_PAGE_SIZE``), ``REQUESTEDPAGE`` (from 1), ``TRANSACTIONID``
(empty on the first call; the answer names it, and the later pages of the same replication are
asked with it: the set of products and its order are frozen for the transaction, so that a
product changed meanwhile neither moves to another page nor appears twice) and ``LASTUPDATED``
(only products changed since then: ``YYYYMMDDhhmmss``, ``YYYYMMDD`` or ISO 8601, UTC).

The answer: one JSON object with the page's header and its ``ITEMS``; each item holds the OCI
cart fields (``DESCRIPTION``, ``UNIT``, ``PRICE``, ``VENDORMAT``, ``EXT_PRODUCT_ID``...) with
their names, limits and text rules, the long text as ``LONGTEXT`` and the quantity breaks as
``PRICESCALES`` (``[{"QUANTITY": "10", "PRICE": "9.5"}]``, prices per ``PRICEUNIT`` as
``PRICE`` is, the first one the item's own price).
``validate_catalog_json`` reads such a page the way the buyer's system does.
"""

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal

from ..errors import MalformedDocument
from ..oci.cart import _item_values, format_number
from ..oci.fields import FIELD_SPECS, LONGTEXT_FIELD, PRICE_DECIMALS
from ..oci.reading import OciViolation, _check_line, _number_problem

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
# TRANSACTIONID as we issue it (and accept it back): a URL-safe random token.
_TRANSACTION_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_COMPACT_STAMP_RE = re.compile(r"^\d{8}(\d{6})?$")
PRICE_SCALES_FIELD = "PRICESCALES"
HEADER_FIELDS = ("TRANSACTIONID", "REQUESTEDPAGE", "PAGESIZE", "TOTALPAGES", "TOTALITEMS")


@dataclass(frozen=True)
class DownloadRequest:
    """What one DOWNLOADJSON call asks for."""

    page_size: int
    page: int
    transaction_id: str | None
    last_updated: datetime | None


def _param(params, name):
    """The first value of parameter ``name`` (any case), stripped, or None."""
    for key, value in params.items():
        if str(key).upper() == name:
            if isinstance(value, list | tuple):
                value = value[0] if value else ""
            return str(value or "").strip() or None
    return None


def _whole_number(params, name, default, maximum):
    text = _param(params, name)
    if text is None:
        return default
    if not (text.isascii() and text.isdigit()) or len(text) > 9 or not 1 <= int(text) <= maximum:
        raise MalformedDocument(f"{name} {text[:20]!r} is not a whole number from 1 to {maximum}.")
    return int(text)


def parse_last_updated(text):
    """``LASTUPDATED`` as a naive UTC datetime: ``YYYYMMDDhhmmss``, ``YYYYMMDD`` or ISO 8601
    (a zone converted to UTC, none taken as UTC).

    :raises MalformedDocument: anything else
    """
    try:
        if _COMPACT_STAMP_RE.match(text):
            stamp = datetime.strptime(text, "%Y%m%d%H%M%S" if len(text) == 14 else "%Y%m%d")
        else:
            if len(text) > 40:
                raise ValueError(text)
            stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise MalformedDocument(
            f"LASTUPDATED {text[:40]!r} is not a date and time (YYYYMMDDhhmmss or ISO 8601)."
        ) from None
    if stamp.tzinfo:
        stamp = stamp.astimezone(timezone.utc).replace(tzinfo=None)
    return stamp


def parse_download_request(params):
    """The paging parameters of a DOWNLOADJSON call (``params``: name -> value or list).

    :raises MalformedDocument: PAGESIZE or REQUESTEDPAGE not a whole number in range, a
        TRANSACTIONID not of the form we issue, a LASTUPDATED not a date and time
    """
    transaction_id = _param(params, "TRANSACTIONID")
    if transaction_id and not _TRANSACTION_ID_RE.match(transaction_id):
        raise MalformedDocument(f"TRANSACTIONID {transaction_id[:70]!r} is not one we issued.")
    last_updated = _param(params, "LASTUPDATED")
    return DownloadRequest(
        page_size=_whole_number(params, "PAGESIZE", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE),
        page=_whole_number(params, "REQUESTEDPAGE", 1, 10**9),
        transaction_id=transaction_id,
        last_updated=parse_last_updated(last_updated) if last_updated else None,
    )


def page_count(total_items, page_size):
    """Pages of ``page_size`` items for ``total_items`` (1 for an empty catalogue)."""
    return max(1, -(-total_items // page_size))


def catalog_item(item, price_scales=()):
    """The JSON object of one catalogue item: the non-empty OCI fields of ``item`` (an
    ``OciItem``, with the cart's rules: DESCRIPTION cut to 40 on a word, the rest before the long
    text, numbers as OCI text) plus ``LONGTEXT`` and ``PRICESCALES`` (``(quantity, price)``
    pairs) when given."""
    values, longtext = _item_values(
        item, False, PRICE_DECIMALS, lambda value: "" if value is None else str(value)
    )
    found = {name: value for name, value in values.items() if value}
    if longtext:
        found[LONGTEXT_FIELD] = longtext
    if price_scales:
        # Per PRICEUNIT, as PRICE is: a break's price keeps the decimals the item's price keeps.
        per = Decimal(values["PRICEUNIT"] or 1)
        found[PRICE_SCALES_FIELD] = [
            {"QUANTITY": format_number(quantity), "PRICE": format_number(Decimal(price) * per)}
            for quantity, price in price_scales
        ]
    return found


def write_catalog_json(out, items, header=None):
    """Write a catalogue (or one page of it) to ``out`` (binary) as a stream: ``header``'s
    fields first (e.g. ``TRANSACTIONID``, ``REQUESTEDPAGE``), then ``ITEMS`` (objects from
    ``catalog_item``), one at a time. Returns the number of items written."""
    out.write(b"{")
    for name, value in (header or {}).items():
        out.write(json.dumps(name).encode() + b":" + json.dumps(value).encode() + b",")
    out.write(b'"ITEMS":[')
    count = 0
    for item in items:
        if count:
            out.write(b",\n")
        out.write(json.dumps(item, ensure_ascii=False).encode())
        count += 1
    out.write(b"]}")
    return count


def _scale_violations(index, scales):
    if not isinstance(scales, list) or not scales:
        return [f"Item {index}: PRICESCALES must be a non-empty list."]
    found = []
    previous = None
    for scale in scales:
        if not isinstance(scale, dict) or set(scale) != {"QUANTITY", "PRICE"}:
            found.append(f"Item {index}: each price scale holds QUANTITY and PRICE only.")
            continue
        for name in ("QUANTITY", "PRICE"):
            value = scale[name]
            problem = (
                "is not text" if not isinstance(value, str) else _number_problem(value, "QUANTITY")
            )
            if problem:
                found.append(f"Item {index}: the price scale's {name} {value!r} {problem}.")
        if isinstance(scale["QUANTITY"], str) and not _number_problem(
            scale["QUANTITY"], "QUANTITY"
        ):
            quantity = float(scale["QUANTITY"])
            if previous is not None and quantity <= previous:
                found.append(f"Item {index}: the price scales' quantities must increase.")
            previous = quantity
    return found


def validate_catalog_json(data, page_size=None):
    """What the buyer's system would refuse in a DOWNLOADJSON page (``data``: its bytes): a
    list of ``OciViolation`` (empty: the page is good). Each item is checked with the rules of
    an OCI cart line (lengths, numbers, DESCRIPTION/UNIT/QUANTITY required, CURRENCY with
    PRICE...); the header's numbers must agree with each other and with the items."""
    try:
        page = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        return [OciViolation(None, "", f"The page is not JSON: {exc}")]
    if not isinstance(page, dict) or not isinstance(page.get("ITEMS"), list):
        return [OciViolation(None, "ITEMS", "The page is not an object with a list ITEMS.")]
    found = []
    items = page["ITEMS"]
    numbers = {name: page.get(name) for name in HEADER_FIELDS[1:] if name in page}
    for name, value in numbers.items():
        if not isinstance(value, int) or isinstance(value, bool) or value < (name != "TOTALITEMS"):
            found.append(OciViolation(None, name, f"{name} {value!r} is not a whole number."))
    if not found and numbers:
        size = numbers.get("PAGESIZE", page_size)
        if size and len(items) > size:
            found.append(
                OciViolation(
                    None, "ITEMS", f"The page holds {len(items)} items, more than PAGESIZE {size}."
                )
            )
        total_pages, requested = numbers.get("TOTALPAGES"), numbers.get("REQUESTEDPAGE")
        if total_pages and requested and requested > total_pages:
            found.append(
                OciViolation(None, "REQUESTEDPAGE", f"Page {requested} of {total_pages}.")
            )
        total = numbers.get("TOTALITEMS")
        if size and total is not None and total_pages and total_pages != page_count(total, size):
            found.append(
                OciViolation(
                    None,
                    "TOTALPAGES",
                    f"{total} items make {page_count(total, size)} pages, not {total_pages}.",
                )
            )
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            found.append(OciViolation(index, "", f"Item {index} is not an object."))
            continue
        values = {}
        for name, value in item.items():
            if name == PRICE_SCALES_FIELD:
                found += [
                    OciViolation(index, name, text) for text in _scale_violations(index, value)
                ]
            elif name not in FIELD_SPECS and name != LONGTEXT_FIELD:
                found.append(
                    OciViolation(index, name, f"Item {index}: {name!r} is not an OCI field.")
                )
            elif not isinstance(value, str):
                found.append(OciViolation(index, name, f"Item {index}: {name} is not text."))
            else:
                values[name] = [value]
        found += _check_line(index, values)
    return found
