"""Purchase orders that arrive by e-mail: XML attachments read into ``cxml.OrderRequest``, PDF
text searched for our references.

One matcher takes an ``OrderRequest`` from every channel, so every format is read into one:
cXML OrderRequest (the HTTP endpoint's own parser), UBL 2.1 Order (Peppol BIS Order 3 is one),
openTRANS 2.1 ORDER and SAP IDoc ORDERS05 in XML form. The format is recognised by content (root
element, namespace, IDoc control record), never by file name, and every document goes through the
hardened ``parse_xml`` first.

Our references come back in ``Item.supplier_part_auxiliary_id`` as ``'<quotation>/<line id>'``,
what cXML ``SupplierPartAuxiliaryID`` and OCI ``EXT_QUOTE_ID``/``EXT_QUOTE_ITEM`` carried out
(``'S00042/123'``), or as ``'<quotation>'`` alone when no line is referenced. Structured reference
fields are taken as they are; free texts (notes, remarks, PDF text) are searched with the
quotation pattern (our sale order names, ``S00042`` by default).

Reading is liberal: namespaces may be missing or wrong, numbers and dates are read as
``cxml.parse_amount`` / ``cxml.parse_datetime`` read them. Missing essentials (order number, at
least one line, a quantity per line) raise ``MalformedDocument`` with a message naming the
element; a well-formed XML document of another kind raises ``UnsupportedRequest``.

The package holds one module per format (``ubl``, ``opentrans``, ``idoc``, ``pdf_text``),
``reader`` recognising and dispatching, ``references`` finding ours, ``common`` what they share.
Everything public is re-exported here.
"""

from .common import (
    FORMATS,
    FORMAT_NAMES,
    UBL_ORDER_NS,
    OPENTRANS_NS,
    BMECAT_NS,
    DEFAULT_QUOTATION_PATTERN,
    SAP_UNIT_TO_UNECE,
    unit_to_unece,
)
from .references import compile_quotation_pattern
from .reader import (
    detect_order_format,
    OrderDocument,
    read_order,
    parse_order,
    parse_ubl_order,
    parse_opentrans_order,
    parse_idoc_orders05,
)
from .sap_documents import build_idoc_orders05, build_sap_po_pdf
from .ubl import UBL_ORDER_CHANGE_TYPE_CODES
from .idoc import IDOC_ORGANIZATION_QUALIFIERS, IDOC_SUPPLIER_REFERENCE_QUALIFIERS
from .pdf_text import (
    MAX_PDF_TEXT,
    PdfReferences,
    compile_po_pattern,
    normalize_pdf_text,
    slash_date_order,
    parse_text_date,
    find_pdf_references,
)

__all__ = [
    "BMECAT_NS",
    "DEFAULT_QUOTATION_PATTERN",
    "FORMATS",
    "FORMAT_NAMES",
    "IDOC_ORGANIZATION_QUALIFIERS",
    "IDOC_SUPPLIER_REFERENCE_QUALIFIERS",
    "MAX_PDF_TEXT",
    "OPENTRANS_NS",
    "SAP_UNIT_TO_UNECE",
    "UBL_ORDER_CHANGE_TYPE_CODES",
    "UBL_ORDER_NS",
    "OrderDocument",
    "PdfReferences",
    "build_idoc_orders05",
    "build_sap_po_pdf",
    "compile_po_pattern",
    "compile_quotation_pattern",
    "detect_order_format",
    "find_pdf_references",
    "normalize_pdf_text",
    "parse_idoc_orders05",
    "parse_opentrans_order",
    "parse_order",
    "parse_text_date",
    "parse_ubl_order",
    "read_order",
    "slash_date_order",
    "unit_to_unece",
]
