"""Catalogues for buyers who load them instead of punching in for every item, written as a
stream (constant memory whatever the number of products): the cXML Index (``cxml_index``), CIF
3.0 (``cif``), BMEcat 2005 (``bmecat``) and OCI 5.0's JSON pages (``oci_json``).
"""

from .bmecat import BMECAT_NS, BmecatHeader, BmecatProduct, write_bmecat
from .cif import CIF_FIELDS, write_cif
from .cxml_index import INDEX_LOADMODES, write_cxml_index
from .oci_json import (
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    DownloadRequest,
    catalog_item,
    page_count,
    parse_download_request,
    parse_last_updated,
    validate_catalog_json,
    write_catalog_json,
)

__all__ = [
    "BMECAT_NS",
    "CIF_FIELDS",
    "DEFAULT_PAGE_SIZE",
    "INDEX_LOADMODES",
    "MAX_PAGE_SIZE",
    "BmecatHeader",
    "BmecatProduct",
    "DownloadRequest",
    "catalog_item",
    "page_count",
    "parse_download_request",
    "parse_last_updated",
    "validate_catalog_json",
    "write_bmecat",
    "write_catalog_json",
    "write_cif",
    "write_cxml_index",
]
