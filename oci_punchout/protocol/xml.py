"""Hardened XML parsing for everything that comes from outside.

Buyers' documents are parsed with entity resolution, DTD loading, network access and XInclude
off, and with a size limit checked before lxml sees a byte. A document that declares entities is
refused outright: cXML documents carry a DOCTYPE with a system id but never an internal subset.
"""

import re

from lxml import etree

from .errors import HostileDocument, MalformedDocument, PayloadTooLarge

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[")


def _parser():
    return etree.XMLParser(
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def parse_xml(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse untrusted XML bytes into an lxml root element.

    :raises PayloadTooLarge: more than ``max_bytes``
    :raises HostileDocument: an internal DTD subset (entity declarations) or entity references
    :raises MalformedDocument: anything lxml cannot read
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    if data is None or not data.strip():
        raise MalformedDocument("The request body is empty; an XML document was expected.")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The document has {len(data)} bytes; at most {max_bytes} bytes are accepted."
        )
    if b"<!ENTITY" in data or _INTERNAL_SUBSET.search(data[:4096]):
        raise HostileDocument("XML documents declaring entities or an internal DTD are refused.")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"The document is not well-formed XML: {exc}") from exc
    for _node in root.iter(etree.Entity):
        raise HostileDocument("XML documents with entity references are refused.")
    if root.find(".//{http://www.w3.org/2001/XInclude}include") is not None:
        raise HostileDocument("XML documents with XInclude are refused.")
    return root
