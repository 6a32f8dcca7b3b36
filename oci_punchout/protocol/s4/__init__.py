"""SAP S/4HANA's EDI channel without Ariba (namespace ``http://sap.com/xi/EDI``): purchase
orders arrive as SOAP ``OrderRequest`` messages of the buyer's outbound service
``OrderRequest_Out``; order confirmations (``OrderConfRequest``), delivery notifications
(``DeliveryRequest``) and supplier invoices (``InvoiceRequest``) go to the buyer's inbound
services.

``soap`` reads SOAP 1.1 and 1.2 envelopes and writes faults; ``orders`` reads an OrderRequest
into the ``cxml.OrderRequest`` every channel's matcher takes (and writes one as the buyer sends
it); ``documents`` makes the values of the outbound messages for a zeep client of
``wsdl/buyer.wsdl`` and reads them back (the simulator). The WSDLs are the project's own, written
from the message structure with SAP's names, namespace and SOAP actions, only the elements used:
``supplier_wsdl(address)`` is what the endpoint serves, ``buyer_wsdl()`` what zeep sends with.
"""

from pathlib import Path

from .documents import (
    CONFIRMATION_STATUSES,
    OPERATIONS,
    SOAP_ACTION,
    ConfirmedItem,
    DeliveredItem,
    InvoicedItem,
    amount,
    delivery,
    invoice,
    message_header,
    order_confirmation,
    quantity,
    read_document,
)
from .orders import (
    ACTION_CODES,
    EDI_NS,
    S4Order,
    S4OrderItem,
    S4OrderRequest,
    build_order_request,
    parse_order_request,
)
from .soap import (
    CONTENT_TYPES,
    MAX_SOAP_BYTES,
    SOAP11_NS,
    SOAP12_NS,
    SoapMessage,
    build_fault,
    parse_envelope,
    parse_fault,
    wrap,
)

WSDL_DIR = Path(__file__).parent / "wsdl"


def _with_types(name):
    text = (WSDL_DIR / name).read_text(encoding="utf-8")
    return text.replace("<!-- TYPES -->", (WSDL_DIR / "types.xsd").read_text(encoding="utf-8"))


def supplier_wsdl(address):
    """The WSDL of our OrderRequest endpoint at ``address`` (UTF-8 bytes)."""
    from xml.sax.saxutils import quoteattr

    return _with_types("supplier.wsdl").replace('"{address}"', quoteattr(address)).encode()


def buyer_wsdl():
    """The WSDL of the buyer's inbound services (no addresses: given per connection)."""
    return _with_types("buyer.wsdl").encode()


__all__ = [
    "ACTION_CODES",
    "CONFIRMATION_STATUSES",
    "CONTENT_TYPES",
    "EDI_NS",
    "MAX_SOAP_BYTES",
    "OPERATIONS",
    "SOAP11_NS",
    "SOAP12_NS",
    "SOAP_ACTION",
    "ConfirmedItem",
    "DeliveredItem",
    "InvoicedItem",
    "S4Order",
    "S4OrderItem",
    "S4OrderRequest",
    "SoapMessage",
    "amount",
    "build_fault",
    "build_order_request",
    "buyer_wsdl",
    "delivery",
    "invoice",
    "message_header",
    "order_confirmation",
    "parse_envelope",
    "parse_fault",
    "parse_order_request",
    "quantity",
    "read_document",
    "supplier_wsdl",
    "wrap",
]
