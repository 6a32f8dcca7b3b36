"""Where the protocol tests find the shared test data: the official cXML DTDs and samples, the
UBL schemas and examples, and the official e-invoicing rules (``PUNCHOUT_SHARED``, default: the
``shared`` folder beside the repository)."""

import os
import zlib
from functools import cache
from pathlib import Path

from lxml import etree

SHARED = Path(
    os.environ.get("PUNCHOUT_SHARED") or Path(__file__).resolve().parents[3].parent / "shared"
)
TESTDATA = SHARED / "testdata"
CXML_SAMPLES = TESTDATA / "cxml" / "samples"
CXML_DTD_ROOT = TESTDATA / "cxml" / "dtd"
_CXML_PROLOG = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/{version}/{dtd}.dtd">\n'
)


def cxml_prolog(dtd="cXML", version="1.2.063"):
    """The exact prolog our cXML documents start with."""
    return _CXML_PROLOG.format(version=version, dtd=dtd).encode()


@cache
def cxml_dtd(name="cXML", version="1.2.063"):
    """An official cXML DTD, loaded by full path (a document's DOCTYPE URL is never fetched)."""
    return etree.DTD(str(CXML_DTD_ROOT / version / f"{name}.dtd"))


# --- PDFs written by hand: a few objects and a cross-reference table --------------------------


def make_pdf(contents, pages=1, embedded=None):
    """A PDF whose ``pages`` pages all show the content streams ``contents`` (list of
    (dictionary entries, raw data)); ``embedded``: (name, bytes) of an attached file."""
    objects = {}
    content_ids = []
    for n, (entries, data) in enumerate(contents):
        number = 10 + n
        objects[number] = b"<< %s /Length %d >>\nstream\n%s\nendstream" % (
            entries,
            len(data),
            data,
        )
        content_ids.append(number)
    refs = b" ".join(b"%d 0 R" % number for number in content_ids)
    page_ids = list(range(1000, 1000 + pages))
    for number in page_ids:
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [%s] "
            b"/Resources << /Font << /F1 3 0 R >> >> >>" % refs
        )
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % number for number in page_ids),
        pages,
    )
    objects[3] = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"
    names = b""
    if embedded:
        name, data, entries = (*embedded, b"")[:3]
        objects[5] = b"<< /Type /EmbeddedFile %s /Length %d >>\nstream\n%s\nendstream" % (
            entries,
            len(data),
            data,
        )
        objects[6] = b"<< /Type /Filespec /F (%s) /EF << /F 5 0 R >> >>" % name
        names = b" /Names << /EmbeddedFiles << /Names [(%s) 6 0 R] >> >>" % name
    objects[1] = b"<< /Type /Catalog /Pages 2 0 R%s >>" % names
    out = bytearray(b"%PDF-1.7\n")
    offsets = {}
    for number in sorted(objects):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    size = max(objects) + 1
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for number in range(1, size):
        if number in offsets:
            out += b"%010d 00000 n \n" % offsets[number]
        else:
            out += b"0000000000 65535 f \n"
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
    return bytes(out)


def deflated_zeros(size):
    compressor = zlib.compressobj(9)
    chunk = b"\0" * (1024 * 1024)
    parts = [compressor.compress(chunk) for _ in range(size // len(chunk))]
    return b"".join(parts) + compressor.flush()
