"""Catalogues for buyers who load them instead of punching in for every item, written as a
stream (constant memory whatever the number of products): the cXML Index (``cxml_index``), CIF
3.0 (``cif``) and BMEcat 2005 (``bmecat``).
"""

from .bmecat import BMECAT_NS, BmecatHeader, BmecatProduct, write_bmecat
from .cif import CIF_FIELDS, write_cif
from .cxml_index import INDEX_LOADMODES, write_cxml_index

__all__ = [
    "BMECAT_NS",
    "CIF_FIELDS",
    "INDEX_LOADMODES",
    "BmecatHeader",
    "BmecatProduct",
    "write_bmecat",
    "write_cif",
    "write_cxml_index",
]
