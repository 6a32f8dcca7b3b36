"""Catalogues for buyers who load them instead of punching in for every item, written as a
stream (constant memory whatever the number of products): the cXML Index (``cxml_index``) and
BMEcat 2005 (``bmecat``).
"""

from .bmecat import BMECAT_NS, BmecatHeader, BmecatProduct, write_bmecat
from .cxml_index import INDEX_LOADMODES, write_cxml_index

__all__ = [
    "BMECAT_NS",
    "INDEX_LOADMODES",
    "BmecatHeader",
    "BmecatProduct",
    "write_bmecat",
    "write_cxml_index",
]
