from odoo.tests import tagged

from ..protocol import cxml
from .common import assert_valid_cxml, mock_buyer_system
from .cxml_common import SUPPLIER, CxmlCase


@tagged("post_install", "-at_install")
class TestSimulatorInvoice(CxmlCase):
    """The buyer simulator as the buyer's invoice receipt: the whole chain, over real HTTP,
    from the punch-in to the cXML invoice the buyer's system takes."""

    def setUp(self):
        super().setUp()
        self.cxml_connection.action_receive_invoices_in_simulator()
        self.company.vat = "NL000099998B57"
        self.buyer.vat = "DE123456788"

    def ordered_and_invoiced(self, po_number="PO-9001"):
        _session, document = self.shop_and_transfer()
        body, _order = self.order_from_cart(
            document, order_id=po_number, payload_id=f"{po_number}@buyer"
        )
        root, _answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 200)
        order = self.env["sale.order"].search([("punchout_po_number", "=", po_number)])
        self.assertEqual(order.state, "sale")
        invoice = order._create_invoices()
        invoice.action_post()
        self.env.flush_all()
        return invoice

    def post_invoice(self, body, signature=None, connection=None):
        connection = connection or self.cxml_connection
        signature = signature or self.env["punchout.simulator"]._signature(connection.id)
        response = self.url_open(
            f"/punchout/simulator/{connection.id}/{signature}/cxml/invoice",
            data=body,
            headers={"Content-Type": "text/xml; charset=UTF-8"},
        )
        return response

    def answer(self, response):
        self.assertEqual(response.status_code, 200)
        root = assert_valid_cxml(response.content)
        status = root.find("Response/Status")
        return int(status.get("code")), status.text or ""

    def test_connection_points_its_invoices_to_the_simulator(self):
        connection = self.cxml_connection
        self.assertRegex(
            connection.cxml_invoice_url,
            rf"^http://127\.0\.0\.1:\d+/punchout/simulator/{connection.id}/\w+/cxml/invoice$",
        )
        self.assertEqual(connection.invoice_sending_method, "punchout_cxml")
        self.assertEqual(connection.invoice_edi_format, "cxml")

    def test_whole_chain_ends_with_the_invoice_taken_by_the_buyer(self):
        invoice = self.ordered_and_invoiced()
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        self.assertEqual(wizard.sending_methods, ["punchout_cxml"])
        # No mock: our one outbound HTTP method posts to the simulator over this test server.
        wizard.action_send_and_print()
        message = invoice.punchout_cxml_message_id
        self.assertEqual(message.state, "done", message.error)
        self.assertIn("received for purchase order PO-9001", message.response_payload)
        self.assertEqual(invoice.punchout_cxml_state, "done")

    def test_simulated_buyer_refuses_what_a_buyer_would_refuse(self):
        invoice = self.ordered_and_invoiced("PO-9002")
        document, errors = self.env["account.edi.xml.cxml"]._export_invoice(invoice)
        self.assertEqual(errors, set())
        code, _text = self.answer(self.post_invoice(document))
        self.assertEqual(code, 200)

        wrong_secret = cxml.with_shared_secret(cxml.redact_secrets(document), "guessed")
        code, text = self.answer(self.post_invoice(wrong_secret))
        self.assertEqual(code, 401, text)

        unknown_po = document.replace(b'orderID="PO-9002"', b'orderID="PO-0000"')
        code, text = self.answer(self.post_invoice(unknown_po))
        self.assertEqual(code, 400)
        self.assertIn("PO-0000", text)

        other_buyer = document.replace(
            self.cxml_connection.cxml_buyer_identity.encode(), SUPPLIER.identity.encode()
        )
        code, _text = self.answer(self.post_invoice(other_buyer))
        self.assertIn(code, (401, 403))

        hostile = (
            b'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x "boom">]>'
            b"<cXML><Request>&x;</Request></cXML>"
        )
        code, _text = self.answer(self.post_invoice(hostile))
        self.assertEqual(code, 400)

        self.assertEqual(self.post_invoice(document, signature="0" * 64).status_code, 404)

        production = document.replace(b'deploymentMode="test"', b'deploymentMode="production"')
        code, _text = self.answer(self.post_invoice(production))
        self.assertEqual(code, 403)

        self.cxml_connection.write(
            {"test_mode": False, "cxml_invoice_url": "https://buyer.example/cxml/invoice"}
        )
        code, _text = self.answer(self.post_invoice(document))
        self.assertEqual(code, 403)

    def test_accountant_sends_the_invoice_from_the_form(self):
        invoice = self.ordered_and_invoiced("PO-9003")
        # A company sending its first document chooses its layout first.
        self.company.external_report_layout_id = self.env.ref("web.external_layout_standard")
        # The buyer's system, mocked: within a tour, the server cannot call itself.
        with mock_buyer_system(self.env) as buyer_system:
            self.start_tour(
                f"/odoo/action-account.action_move_out_invoice_type/{invoice.id}",
                "oci_punchout_cxml_invoice_send",
                login="admin",
            )
        received = [
            cxml.parse_invoice_detail_request(body).request for _url, body in buyer_system.received
        ]
        self.assertEqual([document.order_id for document in received], ["PO-9003"])
        self.assertEqual(invoice.punchout_cxml_state, "done")
