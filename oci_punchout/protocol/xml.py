"""Hardened XML parsing for everything that comes from outside.

Buyers' documents are parsed with entity resolution, DTD loading, network access and XInclude
off, and with a size limit checked before lxml sees a byte. A document that declares entities is
refused outright: cXML documents carry a DOCTYPE with a system id but never an internal subset.

The check is made on the decoded text, never on the raw bytes: ``<!ENTITY`` in UTF-16 or UTF-32
has no such bytes. :func:`decode_xml` reads the encoding the way the XML specification says
(byte order mark, the first bytes, then the declaration), and lxml is given exactly the text
that was checked, as UTF-8, whatever the document declares.
"""

import codecs
import re

from lxml import etree

from .errors import HostileDocument, MalformedDocument, PayloadTooLarge

DEFAULT_MAX_BYTES = 5 * 1024 * 1024

# XML specification, appendix F: the byte order mark, else the first four bytes ("<?xm").
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
)
_FIRST_BYTES = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
    (b"\x4c\x6f\xa7\x94", "cp037"),  # EBCDIC: the declaration names the exact code page
)
_WIDE_CODECS = ("utf-16", "utf-32")
_DECLARED_ENCODING = re.compile(
    r"""^\s*<\?xml\s[^>]{0,200}?\bencoding\s*=\s*["']([A-Za-z][A-Za-z0-9._-]{0,39})["']"""
)
_DECLARATION = re.compile(r"^\s*<\?xml\s[^>]{0,300}?\?>")
_DOCTYPE_WITH_SUBSET = re.compile(
    r"""<!DOCTYPE\s+[^\s\[>]+(?:\s+(?:SYSTEM|PUBLIC))?(?:\s*(?:"[^"]*"|'[^']*'))*\s*\["""
)


def _parser():
    return etree.XMLParser(
        encoding="utf-8",  # what decode_xml made of the document, whatever it declares
        resolve_entities=False,
        load_dtd=False,
        dtd_validation=False,
        no_network=True,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def detect_encoding(data):
    """The Python codec name of XML ``data`` (bytes): from its byte order mark, its first bytes
    or its declaration; UTF-8 when nothing says otherwise.

    :raises MalformedDocument: the declaration names an encoding Python does not know
    """
    for mark, codec in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            return codec
    for first, codec in _FIRST_BYTES:
        if data.startswith(first):
            if codec == "cp037":
                return _declared_codec(data[:512].decode(codec), default=codec)
            return codec
    return _declared_codec(data[:512].decode("latin-1"), default="utf-8")


def _declared_codec(head, default):
    match = _DECLARED_ENCODING.match(head)
    if not match:
        return default
    try:
        codec = codecs.lookup(match.group(1)).name
    except LookupError:
        raise MalformedDocument(
            f"The document is in the encoding {match.group(1)!r}, which is not supported."
        ) from None
    if codec.startswith(_WIDE_CODECS):
        # Labelled UTF-16/32 but its first bytes are not: a document re-encoded as text
        # without changing its declaration (e.g. a stored copy). The bytes tell the truth.
        return default
    return codec


def decode_xml(data, errors="strict"):
    """The text of XML ``data`` (bytes, or text already decoded), without byte order mark.

    :raises MalformedDocument: an unknown encoding, or (``errors="strict"``) bytes that are not
        in the document's encoding
    """
    if isinstance(data, str):
        return data.lstrip("\ufeff")
    codec = detect_encoding(data)
    try:
        return codecs.decode(data, codec, errors).lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise MalformedDocument(
            f"The document is not valid {codec} text (byte {exc.start}): {exc.reason}."
        ) from None


def decode_xml_for_storage(data):
    """The text of XML (or any) bytes as well as it can be read, for the exchange log: never
    an error, no NUL characters (PostgreSQL text cannot hold them)."""
    if isinstance(data, str):
        text = data
    else:
        try:
            text = decode_xml(data, errors="replace")
        except MalformedDocument:
            text = data.decode("utf-8", errors="replace")
    return text.replace("\x00", "\ufffd")


def looks_like_xml(data):
    """Whether bytes start like an XML document, in any encoding the XML specification allows."""
    if not data:
        return False
    try:
        head = decode_xml(data[:512], errors="replace")
    except MalformedDocument:
        return False
    return head.lstrip(" \t\r\n").startswith("<")


def check_text(text):
    """Refuse XML text that declares entities or has an internal DTD subset.

    :raises HostileDocument:
    """
    if "<!ENTITY" in text:
        raise HostileDocument("XML documents declaring entities or an internal DTD are refused.")
    doctype = text.find("<!DOCTYPE")
    if doctype >= 0 and _DOCTYPE_WITH_SUBSET.match(text, doctype):
        raise HostileDocument("XML documents declaring entities or an internal DTD are refused.")


def parse_xml(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse untrusted XML (bytes in any encoding the XML specification allows, or text) into
    an lxml root element.

    :raises PayloadTooLarge: more than ``max_bytes``
    :raises HostileDocument: an internal DTD subset (entity declarations) or entity references
    :raises MalformedDocument: not text in its encoding, or anything lxml cannot read
    """
    if data is None or not data.strip():
        raise MalformedDocument("The request body is empty; an XML document was expected.")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The document has {len(data)} bytes; at most {max_bytes} bytes are accepted."
        )
    text = decode_xml(data)
    if not text.strip(" \t\r\n\x00"):
        raise MalformedDocument("The request body is empty; an XML document was expected.")
    check_text(text)
    # The declaration named the encoding of the bytes, not of this text.
    text = _DECLARATION.sub("", text, count=1)
    try:
        root = etree.fromstring(text.encode("utf-8", errors="surrogatepass"), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"The document is not well-formed XML: {exc}") from exc
    for _node in root.iter(etree.Entity):
        raise HostileDocument("XML documents with entity references are refused.")
    if root.find(".//{http://www.w3.org/2001/XInclude}include") is not None:
        raise HostileDocument("XML documents with XInclude are refused.")
    return root


# --- redaction -------------------------------------------------------------------------------

_TAG_NAME = re.compile(r"[^\s/>=\"'<]+")
_TAG_END_OR_QUOTE = re.compile(r"[<>\"']")
_QUOTE_END = {'"': re.compile(r'[<"]'), "'": re.compile(r"[<']")}
_SKIPPED_SECTIONS = (("<!--", "-->"), ("<![CDATA[", "]]>"), ("<?", "?>"))


def _tag_end(text, pos):
    """The index of the ``>`` ending the tag whose name ends at ``pos`` (quoted attribute values
    may hold ``>``), or of a ``<`` that breaks it off (never allowed inside a tag); -1 when it
    never ends."""
    while True:
        match = _TAG_END_OR_QUOTE.search(text, pos)
        if not match or match.group() in "<>":
            return match.start() if match else -1
        match = _QUOTE_END[match.group()].search(text, match.end())
        if not match or match.group() == "<":
            return match.start() if match else -1
        pos = match.end()


def _redact_text(text, local_names, replacement):
    # One pass over the text, each character looked at a bounded number of times: linear for
    # any input, however hostile (unclosed tags, comments, quotes, nesting).
    opener = re.compile(rf"<(?:[^\s/>=\"'<:]+:)?(?:{'|'.join(map(re.escape, local_names))})\b")
    parts = []
    copied = 0  # text[:copied] is in ``parts``
    scan = 0
    inside = None  # [qualified name, nesting depth, start of the content to redact]
    stopped = None  # where an unterminated comment, section or tag starts
    while True:
        lt = text.find("<", scan)
        if lt < 0:
            break
        # Inside a secret, a comment or CDATA section cannot end it; outside, what they hold is
        # read like the rest (a secret in a comment is redacted too).
        section = inside and next(
            (s for s in _SKIPPED_SECTIONS if text.startswith(s[0], lt)), None
        )
        if section:
            end = text.find(section[1], lt + len(section[0]))
            if end < 0:
                stopped = lt
                break
            scan = end + len(section[1])
            continue
        closing = text.startswith("</", lt)
        name = _TAG_NAME.match(text, lt + 1 + closing)
        end = _tag_end(text, name.end() if name else lt + 1)
        if end < 0:
            stopped = lt
            break
        if text[end] == "<":  # a broken tag: read on from the next one
            scan = end
            continue
        scan = end + 1
        if not name or text[end - 1] == "/":
            continue
        if inside is None:
            if not closing and name.group().rpartition(":")[2] in local_names:
                inside = [name.group(), 1, end + 1]
        elif name.group() == inside[0]:
            inside[1] += -1 if closing else 1
            if not inside[1]:
                parts += [text[copied : inside[2]], replacement]
                copied = lt
                inside = None
    if inside is not None:
        # Never closed: everything after its start tag may be the secret.
        parts += [text[copied : inside[2]], replacement]
        copied = len(text)
    elif stopped is not None:
        # What follows an unterminated comment, section or tag: from the first start tag of a
        # secret on, nothing is kept.
        match = opener.search(text, stopped)
        if match:
            parts += [text[copied : match.end()], replacement]
            copied = len(text)
    parts.append(text[copied:])
    return "".join(parts)


def redact_elements(data, local_names, replacement="***"):
    """``data`` (XML text, or bytes in any encoding) with the content of every element named
    ``local_names`` (with any namespace prefix) replaced by ``replacement``: also in unclosed,
    nested or malformed elements, CDATA sections included; same type and encoding as given."""
    if isinstance(data, str):
        return _redact_text(data, local_names, replacement)
    try:
        codec = detect_encoding(data)
    except MalformedDocument:
        codec = "utf-8"
    try:
        return _redact_text(data.decode(codec), local_names, replacement).encode(codec)
    except UnicodeError:
        # Not valid in its own encoding (then no parser reads it): the readable rest redacted.
        text = data.decode(codec, errors="replace")
        return _redact_text(text, local_names, replacement).encode(codec, errors="replace")


# --- reading and writing parsed trees (shared by the cXML and order readers) -------------------

_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def local_name(el):
    """The element's name without its namespace."""
    return etree.QName(el).localname


def strip_namespaces(root):
    """Drop the namespace of every element under ``root``, so paths need no prefixes."""
    for el in root.iter():
        if isinstance(el.tag, str) and el.tag.startswith("{"):
            el.tag = etree.QName(el).localname


def element_text(el):
    """All text inside ``el``, stripped; '' for None."""
    return "".join(el.itertext()).strip() if el is not None else ""


def find_text(parent, path):
    """The text of ``parent``'s first element at ``path``; '' when there is none."""
    return element_text(parent.find(path)) if parent is not None else ""


def attribute(el, name, default=""):
    """The attribute's value, stripped; ``default`` when absent or when ``el`` is None."""
    return (el.get(name) or default).strip() if el is not None else default


def add_element(parent, tag, text=None, attrib=None):
    """Add a child; attributes whose value is None are left out, text is cleaned for XML."""
    el = etree.SubElement(parent, tag)
    for name, value in (attrib or {}).items():
        if value is not None:
            el.set(name, _XML_INVALID.sub("", str(value)))
    if text is not None:
        el.text = _XML_INVALID.sub("", str(text))
    return el
