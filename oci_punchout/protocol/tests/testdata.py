"""Where the protocol tests find the shared test data: the official cXML DTDs and samples, the
UBL schemas and examples, and the official e-invoicing rules (``PUNCHOUT_SHARED``, default: the
``shared`` folder beside the repository)."""

import os
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
