"""The public cXML samples read by the protocol/cxml package; pytest, no Odoo."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from cxml_common import MINUS_8, UTC, sample
from lxml import etree
from protocol import cxml
from protocol.cxml import (
    Address,
    Credential,
    Money,
    SelectedItem,
)
from protocol.errors import (
    UnsupportedRequest,
)
from testdata import CXML_SAMPLES


def test_sample_punchout_setup_request():
    env = cxml.parse_request(sample("PunchOutSetupRequest"))
    assert env.payload_id == "933695160890"
    assert env.timestamp == datetime(2023, 1, 23, 17, 0, 6, tzinfo=UTC)
    assert env.timestamp.utcoffset() == timedelta(hours=-1)
    assert (env.version, env.lang, env.deployment_mode) == ("1.2.050", "en-US", "test")
    assert env.request_name == "PunchOutSetupRequest"
    assert env.header.from_credentials == [
        Credential("NetworkId", "inbound@prominate-platform.com")
    ]
    assert env.header.to_credentials == [Credential("NetworkId", "supplier@supplier.com")]
    assert env.header.shared_secret == "s3cr3t"
    assert env.header.user_agent == "Workchairs cXML Application"
    setup = env.request
    assert setup.operation == "create"
    assert setup.buyer_cookie == "550bce3e592023b2e7b015307f965133"
    assert setup.browser_form_post_url == "https://prominate-platform.com/hook-url"
    assert setup.supplier_setup_url == "http://workchairs.com/cxml"
    assert setup.extrinsics == {"UserEmail": "john-doe@domain.com"}
    assert setup.contact is None
    assert setup.ship_to == Address(
        name="Acme",
        deliver_to=["Joe Smith", "Mailstop M-543"],
        street=["123 Anystreet"],
        city="Sunnyvale",
        state="CA",
        postal_code="90489",
        country_code="US",
        country="United States",
        phone="+1 800 5551212",
    )
    assert setup.selected_item == SelectedItem("4545321", buyer_part_id="II99825")
    assert [(i.line_number, i.supplier_part_id, i.quantity) for i in setup.items] == [
        (10, "5555", Decimal(2)),
        (20, "6666", Decimal(1)),
    ]
    first = setup.items[0]
    assert first.unit_price == Money(Decimal("763.20"), "EUR")
    assert (first.short_name, first.description) == ("Excelsior Desk Chair", "")
    assert first.unit_of_measure == "EA"
    assert first.classifications == [("UNSPSC", "ean1234")]
    assert first.requested_delivery_date == datetime(2023, 1, 23, 17, 0, 6, tzinfo=UTC)
    assert setup.items[1].classifications == [("UNSPSC", "ean1230")]


def test_sample_order_request():
    env = cxml.parse_request(sample("OrderRequest"))
    assert env.payload_id == "1625586002.193314.7293@dev"
    assert env.timestamp == datetime(2000, 10, 12, 18, 39, 9, tzinfo=MINUS_8)
    assert (env.request_name, env.deployment_mode) == ("OrderRequest", "test")
    assert env.header.shared_secret == "coyote"
    assert env.header.user_agent == "Platform Order Fulfillment Hub"
    order = env.request
    assert order.order_id == "DO1234"
    assert order.order_date == datetime(2000, 10, 12, 18, 41, 29, tzinfo=MINUS_8)
    assert (order.order_type, order.order_version) == ("new", None)
    assert order.total == Money(Decimal("85.00"), "EUR")
    assert order.ship_to.name == "Acme"
    assert order.ship_to.deliver_to == ["Joe Smith", "Mailstop M-543"]
    assert order.bill_to == Address(
        name="Zinc GmbH",
        street=["An den Eichen 18"],
        city="Solingen",
        postal_code="42699",
        country_code="DE",
        country="Deutschland",
        phone="+49 761 1234567",
    )
    assert order.attachments == ["delivery-note.pdf"]
    assert (order.comments, order.document_reference_payload_id) == ("", "")
    lines = [
        (i.line_number, i.supplier_part_id, i.quantity, i.unit_price.amount, i.description)
        for i in order.items
    ]
    assert lines == [
        (1, "1233244", Decimal(10), Decimal("2.10"), "hello from item 1"),
        (2, "1233245", Decimal(20), Decimal("3.20"), "hello from item 2"),
    ]
    assert sum(i.quantity * i.unit_price.amount for i in order.items) == order.total.amount
    assert order.items[0].requested_delivery_date == datetime(2020, 2, 28, tzinfo=UTC)
    assert [i.comments for i in order.items] == ["", "Test comment"]
    assert order.items[1].classifications == [("custom", "0")]


def test_sample_punchout_order_message():
    cart = cxml.parse_punchout_order_message(sample("PunchoutOrderMessage"))
    assert cart.buyer_cookie == "1CX3L4843PPZO"
    assert cart.operation_allowed == "create"
    assert cart.total == Money(Decimal("763.20"), "USD")
    assert (cart.tax, cart.shipping) == (None, None)
    lines = [(i.supplier_part_id, i.buyer_part_id, i.quantity, i.short_name) for i in cart.items]
    assert lines == [
        ("5555", "KD5555", Decimal(3), "Excelsior Desk Chair"),
        ("666", "KD666", Decimal(5), "22Excelsior Desk Chair"),
    ]
    assert [i.line_number for i in cart.items] == [None, None]
    assert cart.items[1].unit_price == Money(Decimal("763.20"), "USD")


@pytest.mark.parametrize("name", ["ShipNoticeRequest", "StatusUpdateRequest"])
def test_sample_requests_we_do_not_handle_are_450(name):
    with pytest.raises(UnsupportedRequest, match=name) as info:
        cxml.parse_request(sample(name))
    assert info.value.status == 450
    assert cxml.status_for(info.value) == (450, "Not Implemented")


def test_every_sample_is_either_read_or_refused_with_450():
    names = sorted(p.name for p in CXML_SAMPLES.glob("*.xml"))
    assert len(names) == 5
    outcomes = {}
    for name in names:
        data = (CXML_SAMPLES / name).read_bytes()
        try:
            outcomes[name] = cxml.parse_request(data).request_name
        except UnsupportedRequest as exc:
            outcomes[name] = exc.status
    assert outcomes == {
        "cxml-php_OrderRequest.xml": "OrderRequest",
        "cxml-php_PunchOutSetupRequest.xml": "PunchOutSetupRequest",
        "cxml-php_PunchoutOrderMessage.xml": 450,
        "cxml-php_ShipNoticeRequest.xml": 450,
        "cxml-php_StatusUpdateRequest.xml": 450,
    }


@pytest.mark.parametrize(
    ("name", "dtd"),
    [
        ("OrderRequest", "cXML"),
        ("PunchOutSetupRequest", "cXML"),
        ("PunchoutOrderMessage", "cXML"),
        ("ShipNoticeRequest", "Fulfill"),
    ],
)
def test_validator_accepts_samples_and_rejects_broken_documents(dtds, name, dtd):
    root = etree.fromstring(sample(name), etree.XMLParser(load_dtd=False, no_network=True))
    assert dtds[dtd].validate(root), dtds[dtd].error_log.filter_from_errors()
    root.find("Header").remove(root.find("Header/Sender"))
    assert not dtds[dtd].validate(root)
