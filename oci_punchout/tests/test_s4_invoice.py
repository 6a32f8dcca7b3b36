"""Invoices to the buyer's SAP S/4HANA from Odoo's Send dialog: an InvoiceRequest written by zeep,
posted with SAP's SOAPAction and our credentials, one live document per invoice."""

from odoo.tests import tagged

from ..protocol import s4
from .common import BuyerSystem
from .einvoice_common import EinvoiceCommon

INVOICE_URL = "https://s4.buyer.example/sap/bc/srt/xip/sap/invoicerequest_in/100"


@tagged("post_install", "-at_install")
class TestS4Invoice(EinvoiceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection_s4 = cls._create_connection(
            cls.buyer_de,
            cls.pricelist_usd,
            "schmidt-s4",
            protocol="s4",
            system_name="SAP S/4HANA",
            oci_vendor_number="V-1000",
            s4_invoice_url=INVOICE_URL,
            s4_outbound_username="SUPPLIER_V1000",
            s4_outbound_password="s4-pw",
            invoice_sending_method="punchout_s4",
        )

    def _wizard(self, invoice):
        return (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )

    def test_invoice_sent_to_s4_from_the_send_dialog(self):
        order = self._punchout_order(
            self.connection_s4,
            "4500077001",
            [(self.chair, 3, 10.0, 10, "MAT-1"), (self.paper, 2, 0.0, 20, None)],
        )
        invoice = self._invoice(order)
        wizard = self._wizard(invoice)
        self.assertIn("punchout_s4", wizard.sending_methods)
        buyer = BuyerSystem((202, b""))
        with buyer.patched(self.env):
            wizard.action_send_and_print()
            # Sent again: the document the buyer took is not sent twice.
            invoice._punchout_send_s4_invoice()
        message = self.env["punchout.message"].search(
            [("move_id", "=", invoice.id), ("kind", "=", "s4_invoice")]
        )
        self.assertRecordValues(message, [{"state": "done", "protocol": "s4"}])
        self.assertEqual(len(buyer.received), 1)
        url, body = buyer.received[0]
        self.assertEqual(url, INVOICE_URL)
        self.assertEqual(
            buyer.headers[0]["SOAPAction"], '"http://sap.com/xi/EDI/InvoiceRequest_In"'
        )
        operation, values = s4.read_document(s4.parse_envelope(body).body)
        self.assertEqual(operation, "InvoiceRequest_In")
        document = values["Invoice"]
        self.assertEqual((document["InvoiceID"], document["TypeCode"]), (invoice.name, "INV"))
        self.assertEqual(float(document["GrossAmount"]["value"]), invoice.amount_total)
        self.assertEqual(document["SellerParty"]["InternalID"], "V-1000")
        items = {item["PurchaseOrderItemID"]: item for item in document["Item"]}
        self.assertEqual(set(items), {"10", "20"})
        self.assertEqual({item["PurchaseOrderID"] for item in items.values()}, {"4500077001"})
        chair = invoice.invoice_line_ids.filtered(lambda line: line.product_id == self.chair)
        self.assertEqual(float(items["10"]["NetAmount"]["value"]), chair.price_subtotal)

    def test_an_invoice_without_one_purchase_order_is_not_sent(self):
        orders = self._punchout_order(
            self.connection_s4, "4500077002", [(self.paper, 1, 0.0, 10, None)]
        ) | self._punchout_order(
            self.connection_s4, "4500077003", [(self.paper, 1, 0.0, 10, None)]
        )
        invoice = self._invoice(orders)
        wizard = self._wizard(invoice)
        self.assertIn("exactly one purchase order", str(wizard.alerts))
