"""Fixtures shared by the protocol tests."""

import pytest
from lxml import etree
from order_samples import UBL_DIR


@pytest.fixture(scope="module")
def ubl_schema():
    return etree.XMLSchema(etree.parse(str(UBL_DIR / "xsd" / "maindoc" / "UBL-Order-2.1.xsd")))
