"""The cXML Index (``cXML.dtd``: ``<Index>``), the catalogue Ariba and other cXML systems load:
``IndexItemAdd`` for items bought from the loaded catalogue, ``IndexItemPunchout`` ("level 2")
for items whose page the buyer opens by punching in at that item."""

import itertools

from lxml import etree

from ..cxml.documents import CXML_VERSION, DTD_URL, XML_LANG
from ..cxml.writing import _add_item_detail, _add_item_id, _add_money, _check_choice
from ..xml import add_element

INDEX_LOADMODES = ("Full", "Incremental")
PUNCHOUT_LEVELS = ("store", "aisle", "shelf", "product")


def write_cxml_index(
    out,
    supplier_ids,
    items=(),
    punchout_items=(),
    *,
    loadmode="Full",
    comments="",
    lang="en",
    version=CXML_VERSION,
):
    """Write an Index to ``out`` (a binary file object), one item at a time.

    :param supplier_ids: [(domain, identity)] by which the buyer knows us (at least one)
    :param items: ``cxml.Item``s, each an ``IndexItemAdd``: a unit price, unit of measure,
        classification and lead time (IndexItemDetail requires it) are needed
    :param punchout_items: ``cxml.Item``s, each an ``IndexItemPunchout`` at product level:
        ``url`` is where punching in opens that item
    :returns: the number of items written
    :raises ValueError: no supplier id, an unknown load mode, an item missing what the DTD
        requires (named), or nothing to write (what was written is then incomplete: discard it)
    """
    loadmode = _check_choice(loadmode, INDEX_LOADMODES, "loadmode")
    if not supplier_ids:
        raise ValueError("An Index needs at least one SupplierID.")
    url = DTD_URL.format(version=version, dtd="cXML")
    out.write(
        f'<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE Index SYSTEM "{url}">\n'.encode()
    )
    count = 0
    with etree.xmlfile(out, encoding="UTF-8") as xf, xf.element("Index", loadmode=loadmode):
        for domain, identity in supplier_ids:
            supplier = etree.Element("SupplierID", domain=domain)
            supplier.text = identity
            xf.write(supplier, pretty_print=True)
        if comments:
            note = etree.Element("Comments", {XML_LANG: lang})
            note.text = comments
            xf.write(note, pretty_print=True)
        for builder, group in ((_index_item_add, items), (_index_item_punchout, punchout_items)):
            entries = iter(group)
            first = next(entries, None)
            if first is None:
                continue
            # IndexItem holds one kind of entry: a group per kind, each item as it comes.
            with xf.element("IndexItem"):
                for item in itertools.chain([first], entries):
                    xf.write(builder(item, lang), pretty_print=True)
                    count += 1
        if not count:
            raise ValueError("An Index needs at least one item.")
    out.write(b"\n")
    return count


def _index_item_add(item, lang):
    what = f"Index item {item.supplier_part_id or '(no SupplierPartID)'}"
    _check_item(item, what)
    if item.lead_time is None:
        raise ValueError(f"{what} needs a lead time (IndexItemDetail).")
    el = etree.Element("IndexItemAdd")
    _add_item_id(el, item.supplier_part_id, item.supplier_part_auxiliary_id, item.buyer_part_id)
    _add_item_detail(el, item, lang)
    index_detail = add_element(el, "IndexItemDetail")
    add_element(index_detail, "LeadTime", str(int(item.lead_time)))
    return el


def _index_item_punchout(item, lang):
    what = f"Punchout index item {item.supplier_part_id or '(no SupplierPartID)'}"
    if not item.supplier_part_id:
        raise ValueError(f"{what} needs a SupplierPartID.")
    if not item.url:
        raise ValueError(f"{what} needs the URL that punches in at it.")
    if not item.classifications:
        raise ValueError(f"{what} needs at least one classification.")
    el = etree.Element("IndexItemPunchout")
    _add_item_id(el, item.supplier_part_id, item.supplier_part_auxiliary_id, item.buyer_part_id)
    detail = add_element(el, "PunchoutDetail", attrib={"punchoutLevel": "product"})
    description = add_element(detail, "Description", item.description, {XML_LANG: lang})
    if item.short_name:
        add_element(description, "ShortName", item.short_name)
    add_element(detail, "URL", item.url)
    for domain, code in item.classifications:
        add_element(detail, "Classification", code, {"domain": domain})
    if item.unit_price is not None:
        _add_money(detail, "UnitPrice", item.unit_price)
    if item.unit_of_measure:
        add_element(detail, "UnitOfMeasure", item.unit_of_measure)
    if item.manufacturer_name:
        add_element(detail, "ManufacturerName", item.manufacturer_name, {XML_LANG: lang})
    if item.manufacturer_part_id:
        add_element(detail, "ManufacturerPartID", item.manufacturer_part_id)
    if item.lead_time is not None:
        add_element(detail, "LeadTime", str(int(item.lead_time)))
    return el


def _check_item(item, what):
    if not item.supplier_part_id:
        raise ValueError(f"{what} needs a SupplierPartID.")
    if item.unit_price is None:
        raise ValueError(f"{what} needs a unit price.")
    if not item.unit_of_measure:
        raise ValueError(f"{what} needs a unit of measure.")
    if not item.classifications:
        raise ValueError(f"{what} needs at least one classification.")
