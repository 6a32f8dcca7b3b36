import base64
import hashlib
import secrets
from datetime import datetime, timezone
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from odoo import api, models
from odoo.exceptions import UserError
from odoo.tools.mail import email_normalize_all
from odoo.tools.misc import consteq
from odoo.tools.misc import hmac as odoo_hmac

from ..const import AUTHSERV_ID_PARAM
from ..protocol import cxml, orders, s4
from ..protocol.errors import PunchoutProtocolError

# How SAP sends an approved purchase order by e-mail: its PO print or the IDoc (XML).
SAP_PO_FORMATS = ("pdf", "idoc")


class PunchoutSimulator(models.AbstractModel):
    """The signed URLs and values of the built-in buyer simulator: its pages are public (a
    buyer's system posts to them), so what they trust is signed with the database secret."""

    _name = "punchout.simulator"
    _description = "Punchout: buyer simulator signatures"

    @api.model
    def _signature(self, connection_id):
        """The signature in the simulator's URLs of a connection."""
        return odoo_hmac(self.env(su=True), "punchout-simulator", connection_id)

    @api.model
    def _buyer_cookie(self, connection_id, nonce):
        """The BuyerCookie of a simulated cXML punch-in: derived from the nonce of its return
        URL, so the return page can tell whether the cart message echoes the cookie it was
        sent."""
        return odoo_hmac(self.env(su=True), "punchout-simulator-cookie", (connection_id, nonce))[
            :40
        ]

    @api.model
    def _cxml_return_url(self, connection, nonce, base_url=None):
        """The signed BrowserFormPost URL of a simulated cXML punch-in. It lies under
        ``/punchout/simulator/return/``, which every connection accepts as a return URL."""
        base_url = (base_url or connection.website_id.get_base_url()).rstrip("/")
        signature = self._signature(connection.id)
        return f"{base_url}/punchout/simulator/return/{connection.id}/{signature}/cxml/{nonce}"

    @api.model
    def _cart_signature(self, connection_id, nonce, document):
        """The signature of a received cart, so that the order made from it is that cart."""
        digest = hashlib.sha256(document).hexdigest()
        return odoo_hmac(
            self.env(su=True), "punchout-simulator-cart", (connection_id, nonce, digest)
        )

    # ------------------------------------------------------------------
    # SAP after an OCI cart: the head buyer's approval, the purchase order by e-mail
    # ------------------------------------------------------------------

    @api.model
    def _sap_purchase_order(self, items):
        """The purchase order SAP makes of an approved OCI cart (``oci.OciItem`` list): SAP's
        numbering (45..., items 10, 20...), our quotation references carried back."""
        now = datetime.now(timezone.utc)
        return cxml.OrderRequest(
            order_id=f"45{secrets.randbelow(10**8):08d}",
            order_date=now.replace(microsecond=0),
            items=[
                cxml.Item(
                    quantity=item.quantity,
                    supplier_part_id=item.vendormat or item.ext_product_id,
                    unit_price=cxml.Money(
                        item.price / Decimal(item.price_unit or 1), item.currency
                    )
                    if item.price is not None
                    else None,
                    line_number=index * 10,
                    supplier_part_auxiliary_id=(
                        f"{item.ext_quote_id}/{item.ext_quote_item}" if item.ext_quote_id else ""
                    ),
                    description=item.description,
                    unit_of_measure=item.unit,
                )
                for index, item in enumerate(items, 1)
            ],
        )

    @api.model
    def _s4_order_request(self, connection, order):
        """S/4HANA's OrderRequest of the purchase order ``order`` (``_sap_purchase_order``):
        (SOAP request bytes, SAP's message id)."""
        message_id = secrets.token_hex(16).upper()
        items = []
        for item in order.items:
            quotation, _sep, quotation_item = (item.supplier_part_auxiliary_id or "").partition(
                "/"
            )
            items.append(
                s4.S4OrderItem(
                    item_id=item.line_number,
                    quantity=item.quantity,
                    unit=item.unit_of_measure or "C62",
                    seller_product_id=item.supplier_part_id,
                    description=item.description,
                    net_price=item.unit_price.amount if item.unit_price else None,
                    quotation_id=quotation,
                    quotation_item_id=quotation_item,
                )
            )
        currency = next((i.unit_price.currency for i in order.items if i.unit_price), "")
        s4_order = s4.S4Order(
            purchase_order_id=order.order_id,
            currency=currency or connection.currency_id.name,
            items=items,
            order_date=order.order_date.date().isoformat(),
            seller_id=connection.oci_vendor_number or "",
        )
        created = order.order_date.strftime("%Y-%m-%dT%H:%M:%SZ")
        return s4.build_order_request(
            s4_order, message_id, created, sender_system="S4HCLNT100"
        ), message_id

    @api.model
    def _s4_receipt(self, connection, operation, body, authorization, soap_action):
        """Take a document on the simulated S/4HANA's inbound service ``operation`` as SAP
        does: our credentials (when the connection has them), the service's SOAPAction, a
        document of that service, a purchase order of this buyer. Returns the SOAP version.

        :raises PunchoutProtocolError: why SAP would refuse it
        """
        if not connection.test_mode:
            raise PunchoutProtocolError(self.env._("The simulator only takes test documents."))
        username = connection.sudo().s4_outbound_username
        if username:
            expected = (
                "Basic "
                + base64.b64encode(
                    f"{username}:{connection.sudo().s4_outbound_password or ''}".encode()
                ).decode()
            )
            if not consteq(authorization or "", expected):
                raise PunchoutProtocolError(self.env._("Wrong credentials."), status=401)
        expected_action = s4.SOAP_ACTION.format(operation=operation)
        if soap_action.strip().strip('"') != expected_action:
            raise PunchoutProtocolError(
                self.env._(
                    "The SOAPAction is %(action)r, not %(expected)s.",
                    action=soap_action[:100],
                    expected=expected_action,
                )
            )
        message = s4.parse_envelope(body)
        found, values = s4.read_document(message.body)
        if found != operation:
            raise PunchoutProtocolError(
                self.env._("%(found)s sent to %(operation)s.", found=found, operation=operation)
            )
        document = next(value for key, value in values.items() if key != "MessageHeader")
        items = document.get("Item") or []
        items = items if isinstance(items, list) else [items]
        numbers = {document.get("PurchaseOrderID")} | {
            item.get("PurchaseOrderID") for item in items
        }
        numbers.discard(None)
        known = (
            self.env["sale.order"]
            .sudo()
            .search_count(
                [
                    ("punchout_connection_id", "=", connection.id),
                    ("punchout_po_number", "in", list(numbers)),
                ]
            )
        )
        if not numbers or known != len(numbers):
            raise PunchoutProtocolError(
                self.env._("Unknown purchase order %(po)s.", po=", ".join(sorted(numbers)) or "?")
            )
        return message.version

    @api.model
    def _send_sap_purchase_order(self, connection, order, po_format, verified=False):
        """E-mail ``order`` as SAP does (``po_format``: its PO print as PDF, or the IDoc
        ORDERS05 as XML) from the buyer's purchasing system to the connection's order inbox,
        through Odoo's mail gateway. ``verified``: as our mail server would have verified the
        sender (an Authentication-Results header with our authserv-id; needs that setting).

        :returns: the received mail (``punchout.message``)
        """
        connection.ensure_one()
        if po_format not in SAP_PO_FORMATS:
            raise UserError(self.env._("Unknown purchase order format."))
        if not connection.test_mode or not connection.alias_email:
            raise UserError(
                self.env._("Only a test connection with an order inbox takes simulated orders.")
            )
        senders = email_normalize_all(connection.order_mail_senders or "")
        sender = senders[0] if senders else connection.user_id.email_normalized
        if not sender:
            raise UserError(self.env._("The connection names no purchasing system address."))
        if po_format == "idoc":
            name, mimetype = f"ORDERS05_{order.order_id}.xml", "application/xml"
            data = orders.build_idoc_orders05(
                order,
                docnum=f"{secrets.randbelow(10**16):016d}",
                vendor_number=connection.oci_vendor_number or "",
            )
        else:
            name, mimetype = f"PO_{order.order_id}.pdf", "application/pdf"
            data = orders.build_sap_po_pdf(
                order,
                buyer_name=connection.partner_id.commercial_partner_id.display_name,
                supplier_name=connection.company_id.name,
            )
        mail = EmailMessage()
        authserv_id = self.env["ir.config_parameter"].sudo().get_param(AUTHSERV_ID_PARAM)
        if verified and authserv_id:
            domain = sender.rpartition("@")[2]
            mail["Authentication-Results"] = f"{authserv_id}; spf=pass smtp.mailfrom={domain}"
        mail["From"] = sender
        mail["To"] = connection.alias_email
        mail["Subject"] = f"Purchase order {order.order_id}"
        mail["Date"] = format_datetime(datetime.now(timezone.utc))
        mail["Message-Id"] = make_msgid(domain=sender.rpartition("@")[2])
        mail.set_content(f"Please find our purchase order {order.order_id} attached.")
        maintype, subtype = mimetype.split("/")
        mail.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
        thread_id = self.env["mail.thread"].sudo().message_process(False, mail.as_bytes())
        return self.env["punchout.message"].sudo().browse(thread_id)
