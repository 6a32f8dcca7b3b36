"""SOAP 1.1 and 1.2 envelopes: reading one (hardened like every XML we read), answering with a
fault."""

from dataclasses import dataclass

from lxml import etree

from ..errors import MalformedDocument, UnsupportedRequest
from ..xml import element_text, parse_xml

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
SOAP_VERSIONS = {SOAP11_NS: "1.1", SOAP12_NS: "1.2"}
CONTENT_TYPES = {"1.1": "text/xml; charset=utf-8", "1.2": "application/soap+xml; charset=utf-8"}
WSA_NS = "http://www.w3.org/2005/08/addressing"
WSRM_NAMESPACES = (
    "http://docs.oasis-open.org/ws-rx/wsrm/200702",
    "http://schemas.xmlsoap.org/ws/2005/02/rm",
)
MAX_SOAP_BYTES = 5 * 1024 * 1024


@dataclass
class SoapMessage:
    """A SOAP request: its version, WS-Addressing MessageID and Action, and the body's first
    element (namespaces kept)."""

    version: str
    body: etree._Element
    message_id: str = ""
    action: str = ""


def parse_envelope(data, max_bytes=MAX_SOAP_BYTES):
    """Read a SOAP 1.1 or 1.2 envelope.

    :raises PayloadTooLarge, HostileDocument, MalformedDocument: as ``parse_xml``; not an
        envelope, or no body element
    :raises UnsupportedRequest: a WS-ReliableMessaging request (CreateSequence...): not offered
    """
    root = parse_xml(data, max_bytes=max_bytes)
    qname = etree.QName(root)
    version = SOAP_VERSIONS.get(qname.namespace)
    if qname.localname != "Envelope" or not version:
        raise MalformedDocument(
            "The request is not a SOAP envelope (SOAP 1.1 or 1.2 Envelope element expected)."
        )
    soap_ns = qname.namespace
    body = root.find(f"{{{soap_ns}}}Body")
    if body is None:
        raise MalformedDocument("The SOAP envelope has no Body.")
    children = [child for child in body if isinstance(child.tag, str)]
    if not children:
        raise MalformedDocument("The SOAP Body is empty.")
    header = root.find(f"{{{soap_ns}}}Header")
    message_id = action = ""
    if header is not None:
        message_id = element_text(header.find(f"{{{WSA_NS}}}MessageID"))
        action = element_text(header.find(f"{{{WSA_NS}}}Action"))
    first = children[0]
    if etree.QName(first).namespace in WSRM_NAMESPACES or (
        header is not None
        and any(
            etree.QName(el).namespace in WSRM_NAMESPACES
            for el in header
            if isinstance(el.tag, str)
        )
    ):
        raise UnsupportedRequest(
            "WS-ReliableMessaging (CreateSequence) is not offered: send each message on its own; "
            "a redelivery with the same message id is answered as a replay."
        )
    return SoapMessage(version=version, body=first, message_id=message_id, action=action)


def build_fault(version, sender_fault, text):
    """A SOAP fault: the sender's (SOAP 1.1 Client, 1.2 Sender: a refusal, do not retry) or
    ours (Server / Receiver: retry later). UTF-8 bytes."""
    if version == "1.2":
        env = etree.Element(f"{{{SOAP12_NS}}}Envelope", nsmap={"env": SOAP12_NS})
        fault = etree.SubElement(
            etree.SubElement(env, f"{{{SOAP12_NS}}}Body"), f"{{{SOAP12_NS}}}Fault"
        )
        code = etree.SubElement(fault, f"{{{SOAP12_NS}}}Code")
        etree.SubElement(
            code, f"{{{SOAP12_NS}}}Value"
        ).text = f"env:{'Sender' if sender_fault else 'Receiver'}"
        reason = etree.SubElement(fault, f"{{{SOAP12_NS}}}Reason")
        reason_text = etree.SubElement(reason, f"{{{SOAP12_NS}}}Text")
        reason_text.set("{http://www.w3.org/XML/1998/namespace}lang", "en")
        reason_text.text = text
    else:
        env = etree.Element(f"{{{SOAP11_NS}}}Envelope", nsmap={"soap": SOAP11_NS})
        fault = etree.SubElement(
            etree.SubElement(env, f"{{{SOAP11_NS}}}Body"), f"{{{SOAP11_NS}}}Fault"
        )
        etree.SubElement(
            fault, "faultcode"
        ).text = f"soap:{'Client' if sender_fault else 'Server'}"
        etree.SubElement(fault, "faultstring").text = text
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")


def parse_fault(data):
    """``(is the sender's fault, text)`` of a SOAP fault answer, or None if it is none."""
    try:
        root = parse_xml(data)
    except MalformedDocument:
        return None
    for ns in SOAP_VERSIONS:
        fault = root.find(f"{{{ns}}}Body/{{{ns}}}Fault")
        if fault is None:
            continue
        if ns == SOAP12_NS:
            code = element_text(fault.find(f"{{{ns}}}Code/{{{ns}}}Value"))
            text = element_text(fault.find(f"{{{ns}}}Reason/{{{ns}}}Text"))
            return code.endswith("Sender"), text
        code = element_text(fault.find("faultcode"))
        return code.endswith("Client"), element_text(fault.find("faultstring"))
    return None


def wrap(body, version="1.1", message_id=""):
    """A SOAP envelope around ``body`` (an element), with a WS-Addressing MessageID if given."""
    ns = SOAP12_NS if version == "1.2" else SOAP11_NS
    env = etree.Element(f"{{{ns}}}Envelope", nsmap={"soap": ns})
    if message_id:
        header = etree.SubElement(env, f"{{{ns}}}Header")
        etree.SubElement(header, f"{{{WSA_NS}}}MessageID", nsmap={"wsa": WSA_NS}).text = message_id
    etree.SubElement(env, f"{{{ns}}}Body").append(body)
    return etree.tostring(env, xml_declaration=True, encoding="UTF-8")
