"""What every order reader shares: the formats and their namespaces, SAP unit codes, and small
reading helpers (money, quantities, line numbers).
"""

from ..cxml import (
    Money,
    parse_amount,
)
from ..errors import MalformedDocument
from ..xml import attribute, element_text

FORMATS = ("cxml", "ubl", "opentrans", "idoc")
FORMAT_NAMES = {
    "cxml": "cXML OrderRequest",
    "ubl": "UBL 2.1 Order (Peppol BIS Order 3)",
    "opentrans": "openTRANS 2.1 ORDER",
    "idoc": "SAP IDoc ORDERS05",
}
UBL_ORDER_NS = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
OPENTRANS_NS = "http://www.opentrans.org/XMLSchema/2.1"
BMECAT_NS = "http://www.bmecat.org/bmecat/2005"
# Our sale order names as Odoo numbers them by default (S00042). A connection may use its own.
DEFAULT_QUOTATION_PATTERN = r"S\d{5,}"
# SAP's internal (T006) units and common print abbreviations -> UN/ECE Rec 20, only where the
# meaning is beyond doubt. Anything else is kept as sent. Not applied to UBL/openTRANS, whose
# codes are Rec 20 by definition (there "ST" is a sheet).
SAP_UNIT_TO_UNECE = {
    "ST": "C62",
    "STK": "C62",
    "STCK": "C62",
    "STÜCK": "C62",
    "PC": "C62",
    "PCE": "C62",
    "KG": "KGM",
    "G": "GRM",
    "MG": "MGM",
    "TO": "TNE",
    "M": "MTR",
    "CM": "CMT",
    "MM": "MMT",
    "KM": "KMT",
    "L": "LTR",
    "ML": "MLT",
    "M2": "MTK",
    "QM": "MTK",
    "M3": "MTQ",
    "CBM": "MTQ",
    "H": "HUR",
    "STD": "HUR",
    "TAG": "DAY",
}


def unit_to_unece(code):
    """SAP's unit code (ST, KG, M...) as UN/ECE Rec 20 (C62, KGM, MTR...); others unchanged."""
    code = (code or "").strip()
    return SAP_UNIT_TO_UNECE.get(code.upper().rstrip("."), code)


def _findall(parent, path):
    return (
        [t for t in (element_text(el) for el in parent.findall(path)) if t]
        if parent is not None
        else []
    )


def _join(values, sep=" "):
    return sep.join(v for v in values if v)


def _line_number(value, index):
    value = (value or "").strip()
    return int(value) if value.isdigit() else index


def _divide(amount, by):
    return amount / by if by else amount


def _money(el, default_currency, what):
    if el is None or not element_text(el):
        return None
    return Money(
        parse_amount(element_text(el), what),
        (attribute(el, "currencyID") or default_currency).upper(),
    )


def _quantity(value, what):
    if not (value or "").strip():
        raise MalformedDocument(f"{what} has no quantity.")
    return parse_amount(value, f"{what} quantity")
