"""Fixtures shared by the protocol tests."""

import pytest
from lxml import etree
from order_samples import UBL_DIR
from testdata import cxml_dtd


@pytest.fixture(scope="module")
def ubl_schema():
    return etree.XMLSchema(etree.parse(str(UBL_DIR / "xsd" / "maindoc" / "UBL-Order-2.1.xsd")))


@pytest.fixture(scope="module")
def dtds():
    """The official cXML DTDs: by ``(version, name)``, and by name for the current version."""
    by_version = {
        (version, name): cxml_dtd(name, version)
        for version, name in (
            ("1.2.037", "InvoiceDetail"),
            ("1.2.063", "Fulfill"),
            ("1.2.063", "cXML"),
        )
    }
    return {
        **by_version,
        "cXML": by_version["1.2.063", "cXML"],
        "Fulfill": by_version["1.2.063", "Fulfill"],
    }
