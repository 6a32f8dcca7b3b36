"""What a buyer's system checks in the documents a supplier sends it: the cart returned
through the browser and an invoice. The buyer simulator shows these checks.

Each check is a ``Check``: passed or not, an English text with ``%(name)s`` placeholders and
their values. The texts are marked for translation and translated by the caller (Odoo), as
this package has no translations of its own.
"""

# The package has no Odoo environment: ``_`` below only marks texts for Odoo's translation
# export, and the caller translates them with its environment.
# pylint: disable=prefer-env-translation
import hmac
import os
import re
from dataclasses import dataclass, field

from lxml import etree

from ..errors import PunchoutProtocolError
from ..xml import DEFAULT_MAX_BYTES, parse_xml

_SHARED_SECRET_TAG = re.compile(rb"<(?:[\w.-]+:)?(?:SharedSecret|CredentialMac)\b")
MAX_DTD_ERRORS = 50


def _(text):
    """Mark ``text`` for translation (the caller translates it)."""
    return text


@dataclass
class Check:
    passed: bool
    text: str
    values: dict = field(default_factory=dict)
    status: int = 200  # the cXML Status a buyer's system answers a failed check with


def carries_shared_secret(document):
    """Whether a document (bytes) holds a SharedSecret or CredentialMac element."""
    return bool(_SHARED_SECRET_TAG.search(document))


def validate_with_dtd(document, dtd_path, max_bytes=DEFAULT_MAX_BYTES):
    """``(state, [Check])``: state 'valid', 'invalid' or 'skipped' (no readable DTD at
    ``dtd_path``, a file or a folder holding cXML.dtd); the checks hold the reason or at most
    MAX_DTD_ERRORS validation errors."""
    path = (dtd_path or "").strip()
    if not path.lower().endswith(".dtd"):
        path = os.path.join(path, "cXML.dtd")
    if not os.path.isfile(path):
        return "skipped", [
            Check(False, _("DTD check skipped: %(path)s does not exist"), {"path": path})
        ]
    try:
        dtd = etree.DTD(path)
    except (etree.DTDError, OSError) as exc:
        return "skipped", [
            Check(
                False,
                _("DTD check skipped: %(path)s is unreadable: %(error)s"),
                {"path": path, "error": str(exc)},
            )
        ]
    try:
        root = parse_xml(document, max_bytes)
    except PunchoutProtocolError as exc:
        return "invalid", [Check(False, exc.message)]
    if dtd.validate(root):
        return "valid", []
    errors = dtd.error_log.filter_from_errors()[:MAX_DTD_ERRORS]
    return "invalid", [
        Check(False, "line %(line)s: %(message)s", {"line": e.line, "message": e.message})
        for e in errors
    ]


def check_cart(
    cart, document, *, expected_cookie, field_name, expected_field_name, dtd_state, dtd_errors=0
):
    """[Check]: what a buyer's system checks before it takes a returned cart (``cart``, the
    parsed PunchOutOrderMessage of ``document``, posted in the form field ``field_name``;
    ``dtd_state`` and ``dtd_errors`` as ``validate_with_dtd`` found)."""
    checks = []
    if hmac.compare_digest((cart.buyer_cookie or "").encode(), expected_cookie.encode()):
        checks.append(Check(True, _("The BuyerCookie is the one sent with the setup request.")))
    else:
        checks.append(
            Check(
                False,
                _(
                    "The BuyerCookie %(received)s is not the one sent with the setup request "
                    "(%(sent)s)."
                ),
                {"received": cart.buyer_cookie or "-", "sent": expected_cookie},
            )
        )
    if carries_shared_secret(document):
        checks.append(
            Check(False, _("The message carries a SharedSecret: it went through the browser!"))
        )
    else:
        checks.append(Check(True, _("No SharedSecret in the message.")))
    if cart.items:
        checks.append(Check(True, _("%(count)s item(s) received."), {"count": len(cart.items)}))
    else:
        checks.append(Check(True, _("No ItemIn: the user cancelled the punchout session.")))
    if field_name != expected_field_name:
        checks.append(
            Check(
                True,
                _(
                    "The cart field is named %(posted)s, the connection says %(expected)s: "
                    "accepted, letter case differs."
                ),
                {"posted": field_name, "expected": expected_field_name},
            )
        )
    if dtd_state == "valid":
        checks.append(Check(True, _("The message is valid against the cXML DTD.")))
    elif dtd_state == "invalid":
        checks.append(
            Check(
                False,
                _("The message is not valid against the cXML DTD: %(count)s error(s)."),
                {"count": dtd_errors},
            )
        )
    return checks


def check_received_document(envelope, *, buyer, expected_secret, test_system):
    """The first failed check of a document we send (an invoice, a ship notice: an
    ``Envelope`` read by its parser) to the buyer whose credential is ``buyer``, or None when
    the buyer's system takes it as far as it can tell without its orders."""
    if not hmac.compare_digest(
        (envelope.header.shared_secret or "").encode(), (expected_secret or "").encode()
    ):
        return Check(False, _("Wrong or missing SharedSecret."), status=401)
    if not any(
        credential.matches(buyer.identity, buyer.domain)
        for credential in envelope.header.to_credentials
    ):
        return Check(False, _("This document is addressed to another buyer."), status=403)
    if test_system and envelope.deployment_mode != "test":
        return Check(False, _("A production document was sent to a test system."), status=403)
    return None
