"""BMEcat 2005 (``bmecat_2005.xsd``): the catalogue German buyers load. ``T_NEW_CATALOG`` with
every product, or ``T_UPDATE_PRICES`` with the prices only; written as a stream."""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal

from lxml import etree

BMECAT_NS = "http://www.bmecat.org/bmecat/2005fd"
TRANSACTIONS = ("T_NEW_CATALOG", "T_UPDATE_PRICES")
# bmecat_2005.xsd: a catalogue version is "major.minor", at most three digits each.
_CATALOG_VERSION = re.compile(r"^[0-9]{1,3}\.[0-9]{1,3}$")
# BMEcat's names of the classification systems a product category may use.
FEATURE_SYSTEMS = {"UNSPSC": "UNSPSC", "ECLASS": "ECLASS", "ECL@SS": "ECLASS"}


@dataclass
class BmecatProduct:
    """One product: ``prices`` as [(lowest quantity, net unit price)], the first from the
    smallest quantity, in the catalogue's currency; ``order_unit`` a BMEcat unit code (UN/ECE
    Rec 20, e.g. C62)."""

    supplier_pid: str
    description_short: str
    order_unit: str
    prices: list[tuple[Decimal, Decimal]]
    description_long: str = ""
    buyer_pid: str = ""
    manufacturer_pid: str = ""
    manufacturer_name: str = ""
    delivery_time: int | None = None
    classification: tuple[str, str] | None = None  # (system, code), e.g. ("UNSPSC", "44121704")
    quantity_min: Decimal | None = None
    tax_rate: Decimal | None = None  # 0.19 for 19 %


@dataclass
class BmecatHeader:
    catalog_id: str
    catalog_version: str
    language: str  # ISO 639-2, e.g. "deu", "eng"
    currency: str
    supplier_name: str
    supplier_id: str = ""
    buyer_name: str = ""
    buyer_id: str = ""
    catalog_name: str = ""
    generated: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


def _sub(parent, tag, text=None, **attrib):
    el = etree.SubElement(parent, f"{{{BMECAT_NS}}}{tag}", {k: v for k, v in attrib.items() if v})
    if text is not None:
        el.text = str(text)
    return el


def _amount(value):
    return format(Decimal(str(value)).normalize(), "f")


def _header(header):
    el = etree.Element(f"{{{BMECAT_NS}}}HEADER", nsmap={None: BMECAT_NS})
    _sub(el, "GENERATOR_INFO", "oci_punchout")
    catalog = _sub(el, "CATALOG")
    _sub(catalog, "LANGUAGE", header.language)
    _sub(catalog, "CATALOG_ID", header.catalog_id)
    _sub(catalog, "CATALOG_VERSION", header.catalog_version)
    if header.catalog_name:
        _sub(catalog, "CATALOG_NAME", header.catalog_name)
    generated = _sub(catalog, "DATETIME", type="generation_date")
    _sub(generated, "DATE", header.generated.strftime("%Y-%m-%d"))
    _sub(generated, "TIME", header.generated.strftime("%H:%M:%S"))
    _sub(catalog, "CURRENCY", header.currency)
    if header.buyer_name or header.buyer_id:
        buyer = _sub(el, "BUYER")
        if header.buyer_id:
            _sub(buyer, "BUYER_ID", header.buyer_id, type="buyer_specific")
        if header.buyer_name:
            _sub(buyer, "BUYER_NAME", header.buyer_name)
    supplier = _sub(el, "SUPPLIER")
    if header.supplier_id:
        _sub(supplier, "SUPPLIER_ID", header.supplier_id, type="buyer_specific")
    _sub(supplier, "SUPPLIER_NAME", header.supplier_name)
    return el


def _check(product):
    what = f"Product {product.supplier_pid or '(no SUPPLIER_PID)'}"
    if not product.supplier_pid:
        raise ValueError(f"{what} needs a SUPPLIER_PID (the internal reference).")
    if not product.description_short:
        raise ValueError(f"{what} needs a short description.")
    if not product.order_unit:
        raise ValueError(f"{what} needs an order unit.")
    if not product.prices:
        raise ValueError(f"{what} needs a price.")


def _price_details(parent, product, header):
    details = _sub(parent, "PRODUCT_PRICE_DETAILS")
    for lower_bound, amount in product.prices:
        price = _sub(details, "PRODUCT_PRICE", price_type="net_customer")
        _sub(price, "PRICE_AMOUNT", _amount(amount))
        _sub(price, "PRICE_CURRENCY", header.currency)
        if product.tax_rate is not None:
            _sub(price, "TAX", _amount(product.tax_rate))
        _sub(price, "LOWER_BOUND", _amount(lower_bound))
    return details


def _new_product(product, header):
    _check(product)
    el = etree.Element(f"{{{BMECAT_NS}}}PRODUCT", mode="new", nsmap={None: BMECAT_NS})
    _sub(el, "SUPPLIER_PID", product.supplier_pid)
    details = _sub(el, "PRODUCT_DETAILS")
    _sub(details, "DESCRIPTION_SHORT", product.description_short[:150])
    if product.description_long:
        _sub(details, "DESCRIPTION_LONG", product.description_long)
    if product.buyer_pid:
        _sub(details, "BUYER_PID", product.buyer_pid, type="buyer_specific")
    if product.manufacturer_pid:
        _sub(details, "MANUFACTURER_PID", product.manufacturer_pid)
    if product.manufacturer_name:
        _sub(details, "MANUFACTURER_NAME", product.manufacturer_name)
    if product.delivery_time is not None:
        _sub(details, "DELIVERY_TIME", product.delivery_time)
    if product.classification:
        system, code = product.classification
        features = _sub(el, "PRODUCT_FEATURES")
        _sub(
            features,
            "REFERENCE_FEATURE_SYSTEM_NAME",
            FEATURE_SYSTEMS.get(system.upper(), system),
        )
        _sub(features, "REFERENCE_FEATURE_GROUP_ID", code)
    order = _sub(el, "PRODUCT_ORDER_DETAILS")
    _sub(order, "ORDER_UNIT", product.order_unit)
    _sub(order, "CONTENT_UNIT", product.order_unit)
    _sub(order, "NO_CU_PER_OU", 1)
    _sub(order, "PRICE_QUANTITY", 1)
    if product.quantity_min:
        _sub(order, "QUANTITY_MIN", _amount(product.quantity_min))
    _price_details(el, product, header)
    return el


def _price_update(product, header):
    _check(product)
    el = etree.Element(f"{{{BMECAT_NS}}}PRODUCT", mode="update", nsmap={None: BMECAT_NS})
    _sub(el, "SUPPLIER_PID", product.supplier_pid)
    _price_details(el, product, header)
    return el


def write_bmecat(out, header, products, *, transaction="T_NEW_CATALOG", prev_version=0):
    """Write a BMEcat 2005 document to ``out`` (a binary file object), one product at a time:
    ``T_NEW_CATALOG`` (every product) or ``T_UPDATE_PRICES`` (prices only; ``prev_version``:
    how many updates of this catalogue version the buyer already has).

    :returns: the number of products written
    :raises ValueError: an unknown transaction, a product missing what BMEcat requires
        (named), or no product (what was written is then incomplete: discard it)
    """
    if transaction not in TRANSACTIONS:
        raise ValueError(f"transaction {transaction!r} is not one of {', '.join(TRANSACTIONS)}.")
    if not _CATALOG_VERSION.match(header.catalog_version or ""):
        raise ValueError(
            f"The catalogue version {header.catalog_version!r} must be major.minor "
            "(at most three digits each, e.g. 1.0)."
        )
    build = _new_product if transaction == "T_NEW_CATALOG" else _price_update
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element(f"{{{BMECAT_NS}}}BMECAT", {"version": "2005"}, nsmap={None: BMECAT_NS}):
            xf.write(_header(header), pretty_print=True)
            attrib = {}
            if transaction == "T_UPDATE_PRICES":
                attrib["prev_version"] = str(int(prev_version))
            with xf.element(f"{{{BMECAT_NS}}}{transaction}", attrib):
                for product in products:
                    xf.write(build(product, header), pretty_print=True)
                    count += 1
            if not count:
                raise ValueError("A BMEcat catalogue needs at least one product.")
    return count
