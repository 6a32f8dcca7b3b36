"""Tests of what a buyer's system checks (protocol/cxml/buyer_checks.py); pytest, no Odoo.

The cart and invoice checked are built by the package's own builders; the DTD is the official
cXML 1.2.063 DTD from the shared test data.
"""

from dataclasses import replace
from decimal import Decimal

from cxml_invoice_common import HEADER, build, make_invoice
from protocol import cxml
from protocol.cxml import buyer_checks
from testdata import CXML_DTD_ROOT

BUYER = cxml.Credential("NetworkId", "AN01000000001")
CART_HEADER = cxml.Header(
    from_credentials=[cxml.Credential("NetworkId", "supplier")],
    to_credentials=[BUYER],
    sender_credentials=[cxml.Credential("NetworkId", "supplier")],
)
DTD_DIR = CXML_DTD_ROOT / "1.2.063"


def cart_document(items=1, cookie="cookie-1"):
    message = cxml.PunchOutOrderMessage(
        buyer_cookie=cookie,
        total=cxml.Money(Decimal("10.00") * items, "EUR"),
        items=[
            cxml.Item(
                quantity=Decimal(1),
                supplier_part_id=f"P-{n}",
                unit_price=cxml.Money(Decimal("10.00"), "EUR"),
                description=f"Product {n}",
                unit_of_measure="EA",
                classifications=[("UNSPSC", "44120000")],
            )
            for n in range(1, items + 1)
        ],
    )
    return cxml.build_punchout_order_message(CART_HEADER, message)


def texts(checks, passed):
    return [check.text % check.values for check in checks if check.passed is passed]


def test_a_good_cart_passes_every_check():
    document = cart_document(items=2)
    state, errors = buyer_checks.validate_with_dtd(document, str(DTD_DIR))
    assert (state, errors) == ("valid", [])
    checks = buyer_checks.check_cart(
        cxml.parse_punchout_order_message(document),
        document,
        expected_cookie="cookie-1",
        field_name="cxml-urlencoded",
        expected_field_name="cxml-urlencoded",
        dtd_state=state,
    )
    assert texts(checks, False) == []
    assert "2 item(s) received." in texts(checks, True)
    assert "The message is valid against the cXML DTD." in texts(checks, True)


def test_a_wrong_cookie_a_secret_and_an_invalid_document_fail():
    document = cart_document().replace(
        b"</Identity>", b"</Identity><SharedSecret>s3cr3t</SharedSecret>", 1
    )
    state, _errors = buyer_checks.validate_with_dtd(document, str(DTD_DIR / "cXML.dtd"))
    assert state == "valid"  # the DTD allows a SharedSecret; the buyer's system does not
    checks = buyer_checks.check_cart(
        cxml.parse_punchout_order_message(document),
        document,
        expected_cookie="another-cookie",
        field_name="CXML-URLENCODED",
        expected_field_name="cxml-urlencoded",
        dtd_state="invalid",
        dtd_errors=3,
    )
    failed = texts(checks, False)
    assert failed[0].startswith("The BuyerCookie cookie-1 is not the one sent")
    assert "it went through the browser" in failed[1]
    assert failed[2] == "The message is not valid against the cXML DTD: 3 error(s)."
    assert any("letter case differs" in text for text in texts(checks, True))


def test_cancelled_cart_and_dtd_errors_are_reported():
    document = cart_document(items=0)
    checks = buyer_checks.check_cart(
        cxml.parse_punchout_order_message(document),
        document,
        expected_cookie="cookie-1",
        field_name="f",
        expected_field_name="f",
        dtd_state="skipped",
    )
    assert "No ItemIn: the user cancelled the punchout session." in texts(checks, True)
    broken = document.replace(b"<BuyerCookie>", b"<Unknown/><BuyerCookie>")
    state, errors = buyer_checks.validate_with_dtd(broken, str(DTD_DIR))
    assert state == "invalid"
    assert errors and all(check.values["line"] for check in errors)
    state, errors = buyer_checks.validate_with_dtd(document, "/nonexistent")
    assert state == "skipped"
    assert "does not exist" in errors[0].text


def test_invoice_checks():
    def checked(document, **values):
        envelope = cxml.parse_invoice_detail_request(document)
        options = {"buyer": BUYER, "expected_secret": "s3cr3t&<Ä", "test_system": True}
        return buyer_checks.check_received_document(envelope, **{**options, **values})

    test_invoice = build(make_invoice(), deployment_mode="test")
    assert checked(test_invoice) is None
    wrong_secret = checked(test_invoice, expected_secret="other")
    assert (wrong_secret.status, wrong_secret.text) == (401, "Wrong or missing SharedSecret.")
    other_buyer = checked(test_invoice, buyer=replace(BUYER, identity="AN09"))
    assert other_buyer.status == 403
    production = checked(build(make_invoice()))
    assert production.text == "A production document was sent to a test system."
    assert checked(build(make_invoice()), test_system=False) is None
    assert HEADER.to_credentials == [BUYER]
