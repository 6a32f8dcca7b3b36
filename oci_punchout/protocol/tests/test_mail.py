"""Tests of the e-mail sender checks (protocol/mail.py); pytest, no Odoo."""

import pytest
from protocol import mail

OURS = "mx.supplier.example"


@pytest.mark.parametrize(
    ("value", "address"),
    [
        ("sap-orders@buyer.example", "sap-orders@buyer.example"),
        ("SAP Orders <SAP-Orders@Buyer.example>", "sap-orders@buyer.example"),
        ("sap-orders@buyer.example (purchasing@other.example)", "sap-orders@buyer.example"),
        # The display name is never the address, quoted, encoded or not.
        ('"purchasing@buyer.example" <x@attacker.example>', "x@attacker.example"),
        ("=?utf-8?q?purchasing=40buyer.example?= <x@attacker.example>", "x@attacker.example"),
        # A malformed header that lenient parsers read as the display name's address.
        ("purchasing@buyer.example <x@attacker.example>", ""),
        ("Buyer <a@buyer.example>, b@buyer.example", ""),
        ('"a@buyer.example"@attacker.example', ""),
        ("<>", ""),
        ("no address", ""),
        # Folded as it arrived: unfolded first; a bare CR or LF is no address (fuzzing found
        # the parser raising on it).
        ("SAP Orders\r\n <sap-orders@buyer.example>", "sap-orders@buyer.example"),
        ("\r", ""),
        ("a@buyer.example\rBcc: x@attacker.example", ""),
        # Values on which the standard library's parser raises (found by fuzzing).
        ("<", ""),
        ("Buyer <", ""),
        ('"a@buyer.example" <', ""),
        (".example <x@attacker.example>", ""),
    ],
)
def test_sender_address(value, address):
    assert mail.sender_address([value]) == address


def test_sender_address_needs_one_from_header():
    assert mail.sender_address([]) == ""
    assert mail.sender_address(["a@buyer.example", "b@buyer.example"]) == ""


def test_parse_authentication_results():
    value = (
        f"{OURS} 1; spf=pass (sender SPF authorized) smtp.mailfrom=bounce@buyer.example;\r\n"
        ' dkim=pass header.d=buyer.example header.s="sel"; dmarc=none header.from=buyer.example'
    )
    assert mail.parse_authentication_results(value) == (
        OURS,
        [
            ("spf", "pass", {"smtp.mailfrom": "bounce@buyer.example"}),
            ("dkim", "pass", {"header.d": "buyer.example", "header.s": "sel"}),
            ("dmarc", "none", {"header.from": "buyer.example"}),
        ],
    )


@pytest.mark.parametrize(
    ("headers", "verified"),
    [
        ([f"{OURS}; dmarc=pass header.from=buyer.example"], True),
        ([f"{OURS}; dkim=pass header.d=buyer.example"], True),
        ([f"{OURS}; dkim=pass header.i=@mail.buyer.example"], False),
        ([f"{OURS}; dkim=pass header.i=@buyer.example"], True),
        ([f"{OURS}; spf=pass smtp.mailfrom=bounces@buyer.example"], True),
        # Relaxed alignment: a parent domain signs for a subdomain, never the reverse.
        ([f"{OURS}; dkim=pass header.d=example"], True),
        ([f"{OURS}; dkim=pass header.d=eu.buyer.example"], False),
        # Another domain passing proves nothing about the sender's.
        ([f"{OURS}; dkim=pass header.d=attacker.example"], False),
        ([f"{OURS}; spf=pass smtp.mailfrom=x@attacker.example"], False),
        (
            [f"{OURS}; spf=fail smtp.mailfrom=buyer.example; dkim=neutral header.d=buyer.example"],
            False,
        ),
        # An explicit DMARC failure wins over anything else.
        (
            [f"{OURS}; dkim=pass header.d=buyer.example; dmarc=fail header.from=buyer.example"],
            False,
        ),
        # Headers of other servers (the sender may write any) do not count.
        (["mx.attacker.example; dmarc=pass header.from=buyer.example"], False),
        (
            [
                f"{OURS}; dmarc=none header.from=buyer.example",
                f"{OURS}.attacker.example; dmarc=pass header.from=buyer.example",
            ],
            False,
        ),
        ([f"{OURS.upper()} (comment; dmarc=pass) ; spf=pass smtp.mailfrom=buyer.example"], True),
        ([], False),
    ],
)
def test_sender_verified(headers, verified):
    assert mail.sender_verified(headers, "sap-orders@buyer.example", OURS) is verified


def test_sender_verified_needs_our_server_name_and_an_address():
    headers = [f"{OURS}; dmarc=pass header.from=buyer.example"]
    assert not mail.sender_verified(headers, "sap-orders@buyer.example", "")
    assert not mail.sender_verified(headers, "", OURS)
