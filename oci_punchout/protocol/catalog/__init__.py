"""Catalogues for buyers who load them instead of punching in for every item, written as a
stream (constant memory whatever the number of products): the cXML Index (``cxml_index``).
"""

from .cxml_index import INDEX_LOADMODES, write_cxml_index

__all__ = ["INDEX_LOADMODES", "write_cxml_index"]
