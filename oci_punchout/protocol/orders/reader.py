"""Which order format a document is (by content, never by file name) and the one entry point that
reads any of them into a ``cxml.OrderRequest``.
"""

import re
from dataclasses import dataclass

from lxml import etree

from ..cxml import (
    OrderRequest,
    parse_request,
)
from ..errors import MalformedDocument, UnsupportedRequest
from ..xml import DEFAULT_MAX_BYTES, local_name, parse_xml
from .common import DEFAULT_QUOTATION_PATTERN, FORMAT_NAMES, OPENTRANS_NS, UBL_ORDER_NS
from .idoc import _read_idoc
from .opentrans import _read_opentrans
from .references import _References
from .ubl import _read_ubl

_IDOC_ROOT = re.compile(r"ORDERS0\d", re.IGNORECASE)


def _is_idoc(root):
    if _IDOC_ROOT.fullmatch(local_name(root)):
        return True
    control = root.xpath(
        "./*[local-name()='IDOC']/*[local-name()='EDI_DC40']"
        "/*[local-name()='IDOCTYP' or local-name()='MESTYP']/text()"
    )
    return any(
        _IDOC_ROOT.fullmatch(v.strip()) or v.strip() in ("ORDERS", "ORDCHG") for v in control
    )


def _kind(root):
    qname = etree.QName(root)
    local, namespace = qname.localname, qname.namespace or ""
    if local == "cXML" or root.getroottree().docinfo.root_name == "cXML":
        return "cxml"
    if local == "Order" and namespace == UBL_ORDER_NS:
        return "ubl"
    if local == "ORDER" and namespace == OPENTRANS_NS:
        return "opentrans"
    if local == "ORDER" and not namespace and root.find("ORDER_HEADER") is not None:
        return "opentrans"
    if local == "OPENTRANS" and root.find(f"{{{OPENTRANS_NS}}}ORDER") is not None:
        return "opentrans"
    if _is_idoc(root):
        return "idoc"
    return None


def _describe_root(root):
    qname = etree.QName(root)
    namespace = f" (namespace {qname.namespace})" if qname.namespace else ""
    return f"<{qname.localname}>{namespace}"


def detect_order_format(data, max_bytes=DEFAULT_MAX_BYTES):
    """'cxml', 'ubl', 'opentrans', 'idoc', or None for any other XML document.

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``
    """
    return _kind(parse_xml(data, max_bytes))


@dataclass
class OrderDocument:
    """A purchase order read from a document: its format, the order, and the document's own id
    where the format has one (cXML payloadID, IDoc DOCNUM, UBL UUID) for replay detection."""

    format: str
    order: OrderRequest
    document_id: str = ""


def read_order(data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN):
    """Read any supported XML purchase order (format detected by content).

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``; also a
        document of a supported format that misses its order number, lines or quantities
    :raises UnsupportedRequest: well-formed XML of another kind, or a cXML request other than
        an OrderRequest (cXML status 450)
    """
    root = parse_xml(data, max_bytes)
    kind = _kind(root)
    if kind == "cxml":
        envelope = parse_request(data, max_bytes)
        if envelope.request_name != "OrderRequest":
            raise UnsupportedRequest(
                f"The cXML document is a {envelope.request_name}; only an OrderRequest is a "
                "purchase order."
            )
        return OrderDocument("cxml", envelope.request, envelope.payload_id)
    if kind is None:
        raise UnsupportedRequest(
            f"The XML document is not a purchase order we can read: its root element is "
            f"{_describe_root(root)}. Accepted: {', '.join(FORMAT_NAMES.values())}."
        )
    order, document_id = _READERS[kind](root, _References(quotation_pattern))
    return OrderDocument(kind, order, document_id)


def parse_order(data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN):
    """The ``OrderRequest`` of any supported XML purchase order; see ``read_order``."""
    return read_order(data, max_bytes=max_bytes, quotation_pattern=quotation_pattern).order


def _parse_as(kind, data, max_bytes, quotation_pattern):
    root = parse_xml(data, max_bytes)
    if _kind(root) != kind:
        raise MalformedDocument(
            f"The root element is {_describe_root(root)}; a {FORMAT_NAMES[kind]} was expected."
        )
    return _READERS[kind](root, _References(quotation_pattern))[0]


def parse_ubl_order(
    data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN
):
    """A UBL 2.1 Order (also Peppol BIS Order 3) as an ``OrderRequest``."""
    return _parse_as("ubl", data, max_bytes, quotation_pattern)


def parse_opentrans_order(
    data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN
):
    """An openTRANS 2.1 ORDER as an ``OrderRequest``."""
    return _parse_as("opentrans", data, max_bytes, quotation_pattern)


def parse_idoc_orders05(
    data, *, max_bytes=DEFAULT_MAX_BYTES, quotation_pattern=DEFAULT_QUOTATION_PATTERN
):
    """An SAP IDoc ORDERS05 (or ORDCHG, as an update) in XML form as an ``OrderRequest``."""
    return _parse_as("idoc", data, max_bytes, quotation_pattern)


_READERS = {"ubl": _read_ubl, "opentrans": _read_opentrans, "idoc": _read_idoc}
