import re

import psycopg2
import requests
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..const import MAX_SEND_ATTEMPTS
from ..protocol import cxml
from .common import NO_NETWORK, BuyerSystem, assert_valid_cxml, cxml_ok, mock_buyer_system
from .einvoice_common import EINVOICE_RULES_DIR, UBL_XSD_DIR, EinvoiceCommon


def assert_valid_invoice_detail(document):
    """``document`` (bytes) is valid against the official InvoiceDetail.dtd 1.2.037."""
    return assert_valid_cxml(document, dtd="InvoiceDetail", version="1.2.037")


def payload_id(document):
    return cxml.payload_id_of(document)


def ok():
    return cxml_ok("Invoice received.")


@tagged("post_install", "-at_install")
class TestEinvoiceSend(EinvoiceCommon):
    """Sending the Dutch supplier's invoices: cXML to the German buyer's system, e-mail (NLCIUS)
    to the Dutch buyer's invoice address."""

    def _order_de(self, po_number="4500099001"):
        return self._punchout_order(
            self.connection_de,
            po_number,
            [(self.chair, 3, 10.0, 10, "MAT-1"), (self.paper, 2, 0.0, 20, None)],
        )

    def _order_nl(self, po_number):
        return self._punchout_order(
            self.connection_nl, po_number, [(self.paper, 1, 0.0, 10, None)]
        )

    def _wizard(self, invoice, **values):
        wizard = (
            self.env["account.move.send.wizard"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create({})
        )
        if values:
            wizard.write(values)
        return wizard

    def _send(self, invoice, buyer_system, **values):
        with buyer_system.patched(self.env):
            return self._wizard(invoice, **values).action_send_and_print()

    def _cxml_messages(self, invoice):
        return self.env["punchout.message"].search(
            [("move_id", "=", invoice.id), ("kind", "=", "cxml_invoice")], order="id"
        )

    # ------------------------------------------------------------------
    # The connection sets the buyer's defaults
    # ------------------------------------------------------------------

    def test_connection_sets_the_buyers_format_and_channel(self):
        buyer = self.buyer_de.with_company(self.company)
        self.assertEqual(buyer.invoice_edi_format, "cxml")
        self.assertEqual(buyer.invoice_sending_method, "punchout_cxml")
        self.connection_nl.sudo().invoice_edi_format = "ubl_bis3"
        self.assertEqual(self.buyer_nl.with_company(self.company).invoice_edi_format, "ubl_bis3")
        self.assertEqual(self.buyer_nl.with_company(self.company).invoice_sending_method, "email")
        wizard = self._wizard(self._invoice(self._order_de()))
        self.assertEqual(wizard.sending_methods, ["punchout_cxml"])
        self.assertEqual(wizard.invoice_edi_format, "cxml")

    def test_our_documents_go_over_https_to_production_systems(self):
        connection = self.connection_de.sudo()
        for field in ("cxml_invoice_url", "cxml_confirmation_url"):
            with self.assertRaisesRegex(ValidationError, "https://"), self.env.cr.savepoint():
                connection.write({field: "http://buyer.example/cxml"})
            with self.assertRaisesRegex(ValidationError, "https://"), self.env.cr.savepoint():
                connection.write({field: "ftp://buyer.example/cxml"})
        connection.write({"test_mode": True, "cxml_invoice_url": "http://127.0.0.1:8069/cxml"})
        with self.assertRaisesRegex(ValidationError, "https://"), self.env.cr.savepoint():
            connection.test_mode = False

    # ------------------------------------------------------------------
    # cXML invoices
    # ------------------------------------------------------------------

    def test_cxml_invoice_is_posted_valid_and_matched_to_the_order(self):
        order = self._order_de()
        invoice = self._invoice(order)
        buyer_system = BuyerSystem(ok())
        self._send(invoice, buyer_system)

        self.assertEqual(len(buyer_system.received), 1)
        url, body = buyer_system.received[0]
        self.assertEqual(url, "https://buyer.example/cxml/invoice")
        root = assert_valid_invoice_detail(body)
        self.assertEqual(root.get("version"), "1.2.037")
        self.assertEqual(
            root.findtext("Header/Sender/Credential/SharedSecret"), "our-invoice-secret"
        )
        self.assertEqual(root.findtext("Header/To/Credential/Identity"), "AN01000000099")
        self.assertEqual(root.findtext("Header/From/Credential/Identity"), "AN01000000001")
        request = root.find("Request/InvoiceDetailRequest")
        header = request.find("InvoiceDetailRequestHeader")
        self.assertEqual(header.get("invoiceID"), invoice.name)
        self.assertEqual(header.get("purpose"), "standard")
        reference = request.find(".//InvoiceDetailOrderInfo/OrderReference")
        self.assertEqual(reference.get("orderID"), "4500099001")
        self.assertEqual(
            reference.find("DocumentReference").get("payloadID"), "4500099001@buyer.example"
        )
        items = request.findall(".//InvoiceDetailItem")
        self.assertEqual(
            [item.find("InvoiceDetailItemReference").get("lineNumber") for item in items],
            ["10", "20"],
        )
        self.assertEqual(
            items[0].findtext("InvoiceDetailItemReference/ItemID/BuyerPartID"), "MAT-1"
        )
        self.assertEqual(
            items[0].findtext("InvoiceDetailItemReference/ItemID/SupplierPartID"),
            self.chair.default_code,
        )
        due = request.find("InvoiceDetailSummary/DueAmount/Money")
        self.assertAlmostEqual(float(due.text), invoice.amount_total, places=2)
        self.assertEqual(due.get("currency"), invoice.currency_id.name)

        message = self._cxml_messages(invoice)
        self.assertRecordValues(
            message, [{"state": "done", "attempt_count": 1, "order_id": order.id}]
        )
        self.assertNotIn("our-invoice-secret", message.payload)
        self.assertEqual(payload_id(message.payload.encode()), payload_id(body))
        self.assertEqual(invoice.punchout_cxml_state, "done")
        self.assertTrue(invoice.is_move_sent)
        self.assertIn("accepted", invoice.message_ids[0].body)

        # Sending again does not post the invoice a second time.
        self._send(invoice, buyer_system)
        self.assertEqual(len(buyer_system.received), 1)
        self.assertEqual(len(self._cxml_messages(invoice)), 1)

    def test_credit_note_of_a_cxml_invoice_credits_its_lines(self):
        invoice = self._invoice(self._order_de())
        buyer_system = BuyerSystem(ok())
        self._send(invoice, buyer_system)
        refund = self._credit_note(invoice)
        self._send(refund, buyer_system)
        invoice_body, refund_body = (body for _url, body in buyer_system.received)
        root = assert_valid_invoice_detail(refund_body)
        request = root.find("Request/InvoiceDetailRequest")
        header = request.find("InvoiceDetailRequestHeader")
        self.assertEqual(header.get("purpose"), "lineLevelCreditMemo")
        self.assertEqual(header.find("InvoiceIDInfo").get("invoiceID"), invoice.name)
        self.assertEqual(
            header.find("DocumentReference").get("payloadID"),
            payload_id(invoice_body),
        )
        items = request.findall(".//InvoiceDetailItem")
        self.assertEqual(
            [item.find("InvoiceDetailItemReference").get("lineNumber") for item in items],
            ["10", "20"],
        )
        self.assertTrue(all(float(item.get("quantity")) < 0 for item in items))
        due = float(request.findtext("InvoiceDetailSummary/DueAmount/Money"))
        self.assertAlmostEqual(due, -refund.amount_total, places=2)
        self.assertEqual(refund.punchout_cxml_state, "done")

    def test_credit_note_of_an_invoice_sent_otherwise_is_a_header_credit_memo(self):
        invoice = self._invoice(self._order_de())
        refund = self._credit_note(invoice)
        buyer_system = BuyerSystem(ok())
        self._send(refund, buyer_system)
        root = assert_valid_invoice_detail(buyer_system.received[0][1])
        header = root.find("Request/InvoiceDetailRequest/InvoiceDetailRequestHeader")
        self.assertEqual(header.get("purpose"), "creditMemo")
        self.assertEqual(header.find("InvoiceIDInfo").get("invoiceID"), invoice.name)
        self.assertEqual(
            root.find(".//InvoiceDetailOrderInfo/OrderReference").get("orderID"), "4500099001"
        )
        due = float(root.findtext(".//InvoiceDetailSummary/DueAmount/Money"))
        self.assertAlmostEqual(due, -refund.amount_total, places=2)

    def test_endpoint_failures_keep_the_invoice_sendable_and_retry_the_same_document(self):
        invoice = self._invoice(self._order_de())
        failures = [
            requests.ConnectionError("connection refused"),
            requests.Timeout("read timed out"),
            (500, b"<html>Internal Server Error</html>"),
            (200, cxml.build_response(500, "Internal Server Error", "try later")),
        ]
        buyer_system = BuyerSystem(failures[0])
        self._send(invoice, buyer_system)
        message = self._cxml_messages(invoice)
        self.assertEqual(message.state, "pending")
        self.assertEqual(invoice.punchout_cxml_state, "pending")
        self.assertIn("connection refused", invoice.punchout_cxml_error)

        for failure in failures[1:]:
            message.sudo().next_attempt_at = "2000-01-01 00:00:00"
            with mock_buyer_system(self.env, failure):
                self.env["punchout.message"]._cron_send_pending()
            self.assertEqual(message.state, "pending", failure)
            self.assertTrue(invoice.punchout_cxml_error)
        self.assertIn("500", invoice.punchout_cxml_error)

        # The accountant presses Send again: the same document goes out, and is taken.
        buyer_system = BuyerSystem(ok())
        self._send(invoice, buyer_system)
        self.assertEqual(message.state, "done")
        self.assertEqual(message.attempt_count, 5)
        self.assertEqual(self._cxml_messages(invoice), message)
        self.assertEqual(
            payload_id(buyer_system.received[0][1]), payload_id(message.payload.encode())
        )
        self.assertEqual(invoice.punchout_cxml_state, "done")

    def test_refusal_is_shown_and_a_corrected_invoice_is_a_new_document(self):
        invoice = self._invoice(self._order_de())
        refusal = (200, cxml.build_response(400, "Bad Request", "Unknown cost centre"))
        buyer_system = BuyerSystem(refusal)
        self._send(invoice, buyer_system)
        first = self._cxml_messages(invoice)
        self.assertRecordValues(first, [{"state": "error", "refused": True}])
        self.assertEqual(invoice.punchout_cxml_state, "refused")
        self.assertIn("Unknown cost centre", invoice.punchout_cxml_error)

        # Not sent again by the cron, nor by "Send now" on the refused document.
        first.sudo().next_attempt_at = "2000-01-01 00:00:00"
        self.env["punchout.message"]._cron_send_pending()
        first.action_send_now()
        self.assertEqual(len(buyer_system.received), 1)

        # Sending the invoice again after fixing the cause makes a new document.
        buyer_system = BuyerSystem(ok())
        self._send(invoice, buyer_system)
        documents = self._cxml_messages(invoice)
        self.assertEqual(len(documents), 2)
        self.assertEqual(documents[1].state, "done")
        self.assertNotEqual(
            payload_id(documents[0].payload.encode()), payload_id(documents[1].payload.encode())
        )
        self.assertEqual(invoice.punchout_cxml_state, "done")

    def test_one_live_cxml_document_per_invoice(self):
        invoice = self._invoice(self._order_de())
        self._send(invoice, BuyerSystem(requests.ConnectionError("down")))
        message = self._cxml_messages(invoice)
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            message.sudo().copy({"move_id": invoice.id})
            self.env.flush_all()

    # ------------------------------------------------------------------
    # Missing data: an alert before sending, never a broken document
    # ------------------------------------------------------------------

    def _assert_blocked(self, invoice, expected, **wizard_values):
        wizard = self._wizard(invoice, **wizard_values)
        alert = wizard.alerts.get("oci_punchout_missing_data")
        self.assertTrue(alert, f"no alert; alerts: {wizard.alerts}")
        self.assertEqual(alert["level"], "danger")
        self.assertIn(expected, alert["message"])
        buyer_system = BuyerSystem(ok())
        with (
            buyer_system.patched(self.env),
            self.assertRaisesRegex(UserError, re.escape(expected)),
        ):
            wizard.action_send_and_print()
        self.assertFalse(buyer_system.received)
        self.assertFalse(self._cxml_messages(invoice))

    def test_missing_invoice_url_vat_and_po_number(self):
        invoice = self._invoice(self._order_de())
        self.connection_de.sudo().cxml_invoice_url = False
        self._assert_blocked(invoice, "has no invoice URL")
        self.connection_de.sudo().cxml_invoice_url = "https://buyer.example/cxml/invoice"
        self.buyer_de.vat = False
        self._assert_blocked(invoice, "has no VAT number")

    def test_free_invoice_to_a_punchout_buyer_has_no_po_number(self):
        invoice = self.init_invoice(
            "out_invoice", partner=self.buyer_nl, products=self.paper, post=True
        )
        self._assert_blocked(invoice, "has no purchase order number")

    def test_ubl_buyer_without_peppol_endpoint(self):
        invoice = self._invoice(self._order_nl("4500012345"))
        self.buyer_nl.write({"peppol_eas": False, "peppol_endpoint": False})
        self._assert_blocked(invoice, "has no Peppol endpoint")

    def test_free_invoice_with_a_buyer_reference_goes_with_a_warning(self):
        self.connection_nl.sudo().invoice_buyer_reference = "CC-4711"
        invoice = self.init_invoice(
            "out_invoice", partner=self.buyer_nl, products=self.paper, post=True
        )
        alerts = self._wizard(invoice).alerts
        self.assertNotIn("oci_punchout_missing_data", alerts)
        self.assertEqual(alerts["oci_punchout_no_po_number"]["level"], "warning")
        self.assertIn(invoice.name, alerts["oci_punchout_no_po_number"]["message"])

    def test_reset_to_draft_withdraws_an_undelivered_cxml_invoice(self):
        invoice = self._invoice(self._order_de())
        self._send(invoice, BuyerSystem(requests.ConnectionError("down")))
        first = self._cxml_messages(invoice)
        self.assertEqual(first.state, "pending")
        invoice.button_draft()
        self.assertRecordValues(first, [{"state": "error", "withdrawn": True}])
        self.assertFalse(invoice.punchout_cxml_state)
        first.sudo().next_attempt_at = "2000-01-01 00:00:00"
        buyer_system = BuyerSystem(ok())
        with buyer_system.patched(self.env):
            self.env["punchout.message"]._cron_send_pending()
            first.action_send_now()
        self.assertFalse(buyer_system.received, "a withdrawn invoice is never delivered")

        invoice.action_post()
        self._send(invoice, buyer_system)
        second = self._cxml_messages(invoice) - first
        self.assertEqual(second.state, "done")
        self.assertEqual(len(buyer_system.received), 1)
        self.assertEqual(payload_id(buyer_system.received[0][1]), payload_id(second.payload))

    def test_an_invoice_the_buyer_took_is_not_reset_to_draft(self):
        invoice = self._invoice(self._order_de())
        self._send(invoice, BuyerSystem(ok()))
        with self.assertRaisesRegex(UserError, "credit note"):
            invoice.button_draft()
        self.assertEqual(invoice.state, "posted")

    def test_send_after_giving_up_starts_a_new_round_with_the_same_document(self):
        invoice = self._invoice(self._order_de())
        self._send(invoice, BuyerSystem(requests.ConnectionError("down")))
        message = self._cxml_messages(invoice)
        message.sudo().attempt_count = MAX_SEND_ATTEMPTS
        message.sudo().next_attempt_at = "2000-01-01 00:00:00"
        with mock_buyer_system(self.env, requests.Timeout()):
            self.env["punchout.message"]._cron_send_pending()
        self.assertEqual(message.state, "error")
        self.assertEqual(invoice.punchout_cxml_state, "error")
        self.assertIn("gave up", invoice.punchout_cxml_error)

        self._send(invoice, BuyerSystem(requests.Timeout()))
        self.assertRecordValues(message, [{"state": "pending", "attempt_count": 1}])
        buyer_system = BuyerSystem(ok())
        self._send(invoice, buyer_system)
        self.assertEqual(message.state, "done")
        self.assertEqual(payload_id(buyer_system.received[0][1]), payload_id(message.payload))

    # ------------------------------------------------------------------
    # E-mail channel
    # ------------------------------------------------------------------

    def test_email_goes_to_the_invoice_address_with_xml_and_pdf(self):
        invoice = self._invoice(self._order_nl("PO-NL-1"))
        wizard = self._wizard(invoice)
        self.assertEqual(wizard.sending_methods, ["email"])
        self.assertEqual(wizard.invoice_edi_format, "nlcius")
        contact = wizard.mail_partner_ids
        self.assertEqual(contact.email, self.connection_nl.invoice_email)
        self.assertEqual(contact.parent_id, self.buyer_nl)
        # A contact with the company's address, never the invoice address of the buyer's orders.
        self.assertEqual((contact.type, contact.street), ("contact", self.buyer_nl.street))
        self.assertEqual(self.buyer_nl.address_get(["invoice"])["invoice"], self.buyer_nl.id)
        # wkhtmltopdf must not fetch the report's assets from the test server, which cannot
        # answer inside this test's transaction: without them, standard fonts are used.
        self.env["ir.config_parameter"].sudo().set_param("report.url", "http://127.0.0.1:9")
        wizard.with_context(force_report_rendering=True).action_send_and_print()

        message = invoice.message_ids.filtered(lambda m: m.partner_ids == contact)
        self.assertEqual(len(message), 1)
        attachments = {a.mimetype: a for a in message.attachment_ids}
        self.assertTrue(attachments["application/pdf"].raw.startswith(b"%PDF"))
        xml = etree.fromstring(attachments["application/xml"].raw, NO_NETWORK)
        namespaces = {
            "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
        }
        self.assertEqual(
            xml.xpath("/*/*[local-name()='OrderReference']/cbc:ID/text()", namespaces=namespaces),
            ["PO-NL-1"],
        )
        # What went out passes the official NLCIUS rules and the UBL 2.1 schema.
        self._assert_valid([(invoice, "nlcius", attachments["application/xml"].raw)])

    # ------------------------------------------------------------------
    # The official rules before sending
    # ------------------------------------------------------------------

    def _enable_rules_check(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("oci_punchout.einvoice_rules_dir", str(EINVOICE_RULES_DIR))
        params.set_param("oci_punchout.ubl_xsd_dir", str(UBL_XSD_DIR))

    def test_rules_check_stops_an_invoice_breaking_the_official_rules(self):
        self._enable_rules_check()
        invoice = self._invoice(self._order_nl("PO-NL-2"))
        wizard = self._wizard(invoice)
        self.assertNotIn("oci_punchout_rules", wizard.alerts or {})

        # A Dutch buyer needs a full address (NL national rules): without one, the alert
        # names the rule, and nothing is sent.
        self.buyer_nl.write({"street": False, "zip": False})
        wizard = self._wizard(invoice)
        alert = wizard.alerts.get("oci_punchout_rules")
        self.assertTrue(alert, f"no rules alert; alerts: {wizard.alerts}")
        self.assertEqual(alert["level"], "danger")
        self.assertRegex(alert["message"], r"\[(BR-NL|NL-R)-\d+\]")
        with self.assertRaises(UserError):
            wizard.action_send_and_print()
        self.assertFalse(invoice.is_move_sent)

    def test_rules_check_is_off_without_the_rule_files(self):
        invoice = self._invoice(self._order_nl("PO-NL-3"))
        self.buyer_nl.write({"street": False, "zip": False})
        self.assertFalse(self._wizard(invoice).alerts)
        # Switched on but unusable: the accountant is told the check did not run.
        self.env["ir.config_parameter"].sudo().set_param(
            "oci_punchout.einvoice_rules_dir", "/nonexistent/rules"
        )
        alerts = self._wizard(invoice).alerts
        self.assertNotIn("oci_punchout_rules", alerts)
        self.assertEqual(alerts["oci_punchout_rules_unavailable"]["level"], "warning")
        self.assertIn("/nonexistent/rules", alerts["oci_punchout_rules_unavailable"]["message"])
