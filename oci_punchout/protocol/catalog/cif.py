"""CIF 3.0, the comma-separated catalogue Ariba and other cXML systems load: a header (load mode,
classification, currency, item count), ``FIELDNAMES``, quoted rows between ``DATA`` and
``ENDOFDATA``. Written as a stream: the rows are spooled (to disk beyond a few megabytes) so
that the header can state the item count."""

import shutil
import tempfile
from datetime import datetime, timezone
from decimal import Decimal

CIF_LOADMODES = {"Full": "F", "Incremental": "I"}
SPOOL_BYTES = 4 * 1024 * 1024
# The columns written, with CIF 3.0's length limits (None: a number).
CIF_FIELDS = (
    ("Supplier ID", 200),
    ("Supplier Part ID", 255),
    ("Manufacturer Part ID", 255),
    ("Item Description", 2000),
    ("SPSC Code", 40),
    ("Unit Price", None),
    ("Unit of Measure", 32),
    ("Lead Time", None),
    ("Manufacturer Name", 255),
    ("Supplier URL", 2000),
    ("Manufacturer URL", 2000),
    ("Market Price", None),
    ("Supplier Part Auxiliary ID", 255),
    ("Language", 10),
    ("Currency", 3),
    ("Short Name", 50),
)


def _quote(value):
    return '"' + str(value).replace('"', '""').replace("\r", " ").replace("\n", " ") + '"'


def _number(value):
    return "" if value is None else format(Decimal(str(value)), "f")


def _row(supplier_id, item, language):
    what = f"CIF item {item.supplier_part_id or '(no Supplier Part ID)'}"
    if not item.supplier_part_id:
        raise ValueError(f"{what} needs a Supplier Part ID.")
    if item.unit_price is None or not item.unit_of_measure or not item.classifications:
        raise ValueError(f"{what} needs a unit price, a unit of measure and a classification.")
    values = (
        supplier_id,
        item.supplier_part_id,
        item.manufacturer_part_id,
        item.description,
        item.classifications[0][1],
        item.unit_price.amount,
        item.unit_of_measure,
        item.lead_time,
        item.manufacturer_name,
        item.url,
        "",
        None,
        item.supplier_part_auxiliary_id,
        language,
        item.unit_price.currency,
        item.short_name,
    )
    cells = []
    for (name, limit), value in zip(CIF_FIELDS, values, strict=True):
        if limit is None:
            cells.append(_number(value))
            continue
        text = str(value or "")
        if len(text) > limit:
            raise ValueError(
                f"{what}: {name} has {len(text)} characters; CIF allows at most {limit}."
            )
        cells.append(_quote(text))
    return ",".join(cells) + "\n"


def write_cif(
    out,
    supplier_id,
    items,
    *,
    currency,
    loadmode="Full",
    code_format="UNSPSC",
    supplier_id_domain="NetworkID",
    language="en_US",
    comments="",
    timestamp=None,
):
    """Write a CIF 3.0 catalogue of ``items`` (``cxml.Item``s) to ``out`` (a binary file).

    :returns: the number of items written
    :raises ValueError: an unknown load mode, an item missing a value or with a field over its
        CIF length limit (the item and the field named), or no item
    """
    if loadmode not in CIF_LOADMODES:
        raise ValueError(f"loadmode {loadmode!r} is not one of {', '.join(CIF_LOADMODES)}.")
    timestamp = timestamp or datetime.now(timezone.utc)
    count = 0
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as rows:
        for item in items:
            rows.write(_row(supplier_id, item, language).encode())
            count += 1
        if not count:
            raise ValueError("A CIF catalogue needs at least one item.")
        header = [
            "CIF_I_V3.0",
            "CHARSET: UTF-8",
            f"LOADMODE: {CIF_LOADMODES[loadmode]}",
            f"CODEFORMAT: {code_format}",
            f"CURRENCY: {currency}",
            f"SUPPLIERID_DOMAIN: {supplier_id_domain}",
            f"ITEMCOUNT: {count}",
            f"TIMESTAMP: {timestamp:%Y-%m-%d %H:%M:%S}",
            "UNUOM: TRUE",
        ]
        if comments:
            header.append("COMMENTS: " + comments.replace("\n", " "))
        header += ["FIELDNAMES: " + ",".join(name for name, _limit in CIF_FIELDS), "DATA"]
        out.write(("\n".join(header) + "\n").encode())
        rows.seek(0)
        shutil.copyfileobj(rows, out)
    out.write(b"ENDOFDATA\n")
    return count
