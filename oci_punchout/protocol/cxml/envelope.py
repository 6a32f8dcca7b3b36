"""The cXML envelope: which request a posted document holds, Responses and their Status, payload
ids, and the SharedSecret kept out of what is stored and put back into what is sent.
"""

from lxml import etree

from ..errors import MalformedDocument, PunchoutProtocolError, UnsupportedRequest
from ..xml import DEFAULT_MAX_BYTES, attribute, element_text, find_text, redact_elements
from .documents import STATUS_TEXTS, SUPPORTED_REQUESTS, XML_LANG, Envelope, Response
from .order import _parse_order_request
from .punchout import _parse_setup_request
from .reading import (
    _deployment_mode,
    _document_version,
    _load,
    _parse_header,
    _parse_int,
    parse_datetime,
)
from .writing import _response_document, _serialize

_REQUEST_PARSERS = {
    "ProfileRequest": lambda el: None,
    "PunchOutSetupRequest": _parse_setup_request,
    "OrderRequest": _parse_order_request,
}


def parse_request(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a cXML request posted to us (ProfileRequest, PunchOutSetupRequest, OrderRequest).

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: see ``parse_xml``; also a
        wrong root, no payloadID, no From/Sender credential, not exactly one request
    :raises UnsupportedRequest: any other request (or a Message) (cXML 450)
    :raises NotAcceptable: an unknown PunchOutSetupRequest operation (cXML 406)
    """
    root = _load(data, max_bytes)
    payload_id = attribute(root, "payloadID")
    if not payload_id:
        raise MalformedDocument("The cXML document has no payloadID.")
    requests = root.findall("Request")
    if not requests:
        message = root.find("Message")
        if message is not None and len(message):
            raise UnsupportedRequest(f"cXML {message[-1].tag} messages are not accepted here.")
        if root.find("Response") is not None:
            raise MalformedDocument("The document is a cXML Response; a Request was expected.")
        raise MalformedDocument("The cXML document has no Request.")
    if len(requests) > 1:
        raise MalformedDocument("The cXML document has more than one Request.")
    request_el = requests[0]
    if len(request_el) != 1:
        raise MalformedDocument("The cXML Request must hold exactly one request element.")
    header = _parse_header(root)
    body = request_el[0]
    if body.tag not in _REQUEST_PARSERS:
        raise UnsupportedRequest(
            f"cXML {body.tag} is not supported here (supported: {', '.join(SUPPORTED_REQUESTS)})."
        )
    return Envelope(
        payload_id=payload_id,
        timestamp=parse_datetime(root.get("timestamp"), "cXML timestamp"),
        header=header,
        request_name=body.tag,
        request=_REQUEST_PARSERS[body.tag](body),
        deployment_mode=_deployment_mode(request_el, root),
        version=_document_version(root),
        lang=attribute(root, XML_LANG),
    )


def parse_response(data, max_bytes=DEFAULT_MAX_BYTES):
    """Parse a cXML Response: its Status, and the start URL or profile transactions it holds.

    :raises MalformedDocument: no Response/Status or no status code
    """
    root = _load(data, max_bytes)
    status = root.find("Response/Status")
    if status is None:
        raise MalformedDocument("The cXML document holds no Response/Status.")
    code = _parse_int(status.get("code"), "Status code")
    if code is None:
        raise MalformedDocument("The cXML Status has no code.")
    transactions = root.findall("Response/ProfileResponse/Transaction")
    return Response(
        status_code=code,
        status_text=attribute(status, "text"),
        message=element_text(status),
        payload_id=attribute(root, "payloadID"),
        timestamp=parse_datetime(root.get("timestamp"), "cXML timestamp"),
        start_url=find_text(root, "Response/PunchOutSetupResponse/StartPage/URL"),
        transactions=[(attribute(t, "requestName"), find_text(t, "URL")) for t in transactions],
    )


def build_response(
    status_code, status_text=None, message="", *, payload_id=None, timestamp=None, lang="en"
):
    """A bare ``Response/Status``; ``status_text`` defaults to the standard text of the code."""
    root, _response = _response_document(
        status_code, status_text, message, payload_id, timestamp, lang
    )
    return _serialize(root)


def build_error_response(exc, *, payload_id=None, timestamp=None, lang="en"):
    """The Response for an exception: its status and message, or a generic 500."""
    code, text = status_for(exc)
    message = exc.message if isinstance(exc, PunchoutProtocolError) else "Internal error."
    return build_response(
        code, text, message, payload_id=payload_id, timestamp=timestamp, lang=lang
    )


SECRET_ELEMENTS = ("SharedSecret", "CredentialMac")


def status_for(exc):
    """``(code, text)`` of the cXML Status answering ``exc``; 500 for unexpected errors."""
    if isinstance(exc, PunchoutProtocolError):
        code = int(exc.status)
        return code, STATUS_TEXTS.get(code) or exc.status_text
    return 500, STATUS_TEXTS[500]


def payload_id_of(data):
    """The payloadID of a (stored) cXML document, text or bytes; empty when it has none.

    :raises MalformedDocument: not a readable cXML document
    """
    return _load(data, DEFAULT_MAX_BYTES).get("payloadID", "")


def redact_secrets(data):
    """The document (bytes in any encoding, or text) with every SharedSecret / CredentialMac
    value replaced by ``***``, in linear time whatever the input (see ``redact_elements``)."""
    return redact_elements(data, SECRET_ELEMENTS)


def with_shared_secret(data, shared_secret):
    """The stored document (kept without secrets) with ``shared_secret`` in its Sender
    credential, ready to post: same payloadID, so a retry is the same document, and a DOCTYPE
    naming the document's own version and DTD."""
    root = _load(data, DEFAULT_MAX_BYTES)
    for credential in root.iterfind("Header/Sender/Credential"):
        for old in credential.findall("SharedSecret"):
            credential.remove(old)
        if shared_secret:
            secret = etree.Element("SharedSecret")
            secret.text = shared_secret
            credential.find("Identity").addnext(secret)
    fulfill = root.xpath("Request/ConfirmationRequest|Request/ShipNoticeRequest")
    dtd = "Fulfill" if fulfill else "cXML"
    if root.find("Request/InvoiceDetailRequest") is not None:
        dtd = "InvoiceDetail"
    return _serialize(root, dtd=dtd, version=_document_version(root))
