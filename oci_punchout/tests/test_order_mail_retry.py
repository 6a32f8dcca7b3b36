"""E-mailed orders retried after their cause is fixed, met again over the cXML endpoint, and held
for approval unless authenticated.
"""

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .order_documents import (
    cxml_order,
    idoc_orders05,
    mime_mail,
    opentrans_order,
    ubl_order,
)
from .order_mail_common import ALIAS_DOMAIN, SAP_SENDER, OrderMailCommon


@tagged("post_install", "-at_install")
class TestOrderMailRetry(OrderMailCommon):
    def test_retry_after_the_sender_is_known(self):
        document = ubl_order(
            "PO-7401", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("o.xml", document, "text/xml")], to=self.shared_inbox, sender="new@buyer2.example"
        )
        self.assertEqual(mail.state, "error")
        with self.assertRaisesRegex(UserError, "still unknown"):
            mail.action_retry()
        self.connection.order_mail_senders = f"{SAP_SENDER}, new@buyer2.example"
        mail.action_retry()
        self.assertRecordValues(
            mail, [{"state": "done", "connection_id": self.connection.id, "error": False}]
        )
        self.assertFalse(mail.activity_ids)
        self.assertRecordValues(self.quotation, [{"state": "sale", "client_order_ref": "PO-7401"}])

    def test_retry_an_attachment_after_raising_the_size_limit(self):
        parameters = self.env["ir.config_parameter"]
        parameters.set_param("oci_punchout.order_mail_max_bytes", "500")
        document = idoc_orders05(
            "4500007402", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("idoc.xml", document, "text/xml")])
        attachment = mail.child_ids
        self.assertEqual(attachment.state, "error")
        parameters.set_param("oci_punchout.order_mail_max_bytes", str(10 * 1024 * 1024))
        attachment.action_retry()
        self.assertEqual(attachment.state, "done")
        self.assertFalse(attachment.activity_ids)
        self.assertEqual(mail.state, "done")
        self.assertEqual(self.quotation.client_order_ref, "4500007402")

    def test_salesperson_reads_the_log_and_acts_on_its_activity(self):
        mail = self.receive(body="No attachment here")
        activity = mail.activity_ids
        self.assertEqual(activity.user_id, self.salesperson)
        mail_as_salesperson = mail.with_user(self.salesperson)
        self.assertIn("no attachment", mail_as_salesperson.error)
        mail_as_salesperson.message_post(body="Called the buyer: they will send the PDF.")
        activity.with_user(self.salesperson).action_feedback(feedback="Asked for the PDF")
        self.assertFalse(mail.activity_ids)


@tagged("post_install", "-at_install")
class TestOrderMailAndCxmlEndpoint(OrderMailCommon):
    def test_order_request_received_by_http_then_by_mail(self):
        cxml_connection = self.env["punchout.connection"].create(
            {
                "name": "Buyer Ariba",
                "code": "buyer-ariba-mail",
                "protocol": "cxml",
                "partner_id": self.buyer.id,
                "user_id": self.buyer_user.id,
                "pricelist_id": self.pricelist.id,
                "website_id": self.website.id,
                "company_id": self.company.id,
                "test_mode": False,
                "cxml_buyer_domain": "NetworkID",
                "cxml_buyer_identity": "AN-BUYER",
                "cxml_shared_secret": "mail-secret",
                "cxml_supplier_identity": "AN-SUPPLIER",
                "alias_name": "orders-ariba",
                "alias_domain_id": self.alias_domain.id,
                "order_mail_senders": SAP_SENDER,
            }
        )
        self.quotation.punchout_connection_id = cxml_connection
        document = cxml_order(
            "PO-7501",
            self.ordered_lines(),
            payload_id="po-7501@buyer",
            currency=self.currency.name,
        )
        # The endpoint's own path: stored, processed, answered.
        _response, http_message, _status = self.env["punchout.message"]._cxml_receive(
            document, "127.0.0.1"
        )
        self.assertRecordValues(
            http_message,
            [
                {
                    "kind": "cxml_order",
                    "state": "done",
                    "order_id": self.quotation.id,
                    "dedup_key": f"{cxml_connection.id}:po-7501@buyer",
                }
            ],
        )
        self.assertEqual(self.quotation.state, "sale")
        orders_before = self.env["sale.order"].search_count([])
        mail = self.receive([("po.xml", document, "text/xml")], to=f"orders-ariba@{ALIAS_DOMAIN}")
        self.assertEqual(mail.connection_id, cxml_connection)
        self.assertEqual(mail.order_id, self.quotation)
        self.assertIn("received again", mail.child_ids.error)
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)


@tagged("post_install", "-at_install")
class TestOrderMailAuthentication(OrderMailCommon):
    """Mail proves nothing by itself: only a cXML SharedSecret or a listed sender verified by
    our mail server changes orders; everything else waits for a salesperson's approval."""

    def ubl(self, po_number, lines=None):
        return [
            (
                "po.xml",
                ubl_order(
                    po_number,
                    self.quotation.name,
                    lines or self.ordered_lines(),
                    currency=self.currency.name,
                ),
                "text/xml",
            )
        ]

    def assert_untouched(self, order=None, state="sent"):
        order = order or self.quotation
        self.assertEqual(order.state, state)
        if state == "sent":
            self.assertFalse(order.punchout_po_number)
            self.assertFalse(order.client_order_ref)

    def test_display_name_is_never_the_sender(self):
        for sender in (
            '"sap-orders@buyer.example" <x@attacker.example>',
            # Malformed: lenient parsers take the display name for the address.
            "sap-orders@buyer.example <x@attacker.example>",
        ):
            with self.subTest(sender=sender):
                mail = self.receive(
                    self.ubl("PO-7601"), to=self.shared_inbox, sender=sender, verified=False
                )
                self.assertFalse(mail.connection_id)
                self.assertEqual(mail.state, "error")
                self.assertIn("Unknown sender", mail.error)
                self.assert_untouched()

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_connection_inbox_accepts_only_the_buyer(self):
        self.assertEqual(self.connection.alias_contact, "punchout_buyer")
        for sender in ("x@attacker.example", '"sap-orders@buyer.example" <x@attacker.example>'):
            with self.subTest(sender=sender):
                raw = mime_mail(sender, self.inbox, self.ubl("PO-7602"))
                self.env["mail.thread"].message_process(False, raw)
                self.assertFalse(
                    self.env["punchout.message"].search([("kind", "=", "order_mail")]),
                    "bounced, nothing stored",
                )
                self.assert_untouched()
        # The buyer's contacts may write to it (their orders wait for approval).
        mail = self.receive(self.ubl("PO-7602"), sender="purchasing@buyer.example")
        self.assertEqual(mail.state, "approval")

    @mute_logger("odoo.addons.mail.models.mail_thread")
    def test_shared_inbox_can_be_restricted_to_buyers(self):
        self.shared_alias.alias_contact = "punchout_buyer"
        raw = mime_mail(
            '"sap-orders@buyer.example" <x@attacker.example>',
            self.shared_inbox,
            self.ubl("PO-7612"),
        )
        self.env["mail.thread"].message_process(False, raw)
        self.assertFalse(self.env["punchout.message"].search([("kind", "=", "order_mail")]))
        mail = self.receive(self.ubl("PO-7612"), to=self.shared_inbox)
        self.assertEqual(mail.connection_id, self.connection)

    def test_mail_to_other_models_is_untouched(self):
        """What the order inbox reads from the raw mail never reaches other models' mails."""
        self.env["mail.alias"].create(
            {
                "alias_name": "contacts",
                "alias_model_id": self.env["ir.model"]._get_id("res.partner"),
                "alias_domain_id": self.alias_domain.id,
            }
        )
        raw = mime_mail(SAP_SENDER, f"contacts@{ALIAS_DOMAIN}", subject="New contact Ada")
        partner = self.env["res.partner"].browse(
            self.env["mail.thread"].message_process(False, raw)
        )
        self.assertEqual(partner.name, "New contact Ada")
        self.assertIn("Please find our order attached.", partner.message_ids[0].body)

    def test_new_connections_accept_only_the_buyer_by_default(self):
        defaults = self.env["punchout.connection"].default_get(["alias_contact"])
        self.assertEqual(defaults["alias_contact"], "punchout_buyer")

    def test_unverified_listed_sender_waits_for_approval(self):
        mail = self.receive(self.ubl("PO-7603"), verified=False)
        attachment = mail.child_ids
        self.assertRecordValues(
            mail, [{"state": "approval", "mail_sender": SAP_SENDER, "mail_sender_verified": False}]
        )
        self.assertRecordValues(
            attachment,
            [{"state": "approval", "order_id": self.quotation.id, "dedup_key": False}],
        )
        self.assert_untouched()
        self.assertTrue(self.quotation.punchout_mail_to_approve)
        self.assert_activity(self.quotation, self.salesperson, "Approve e-mailed purchase order")
        self.assert_activity(self.quotation, self.salesperson, "not authenticated")
        # The salesperson checked it with the buyer: approving applies it as authenticated.
        self.quotation.with_user(self.salesperson).action_punchout_approve_mail_order()
        self.assertEqual(attachment.approved_by_id, self.salesperson)
        self.assertFalse(self.quotation.punchout_mail_to_approve)
        self.assert_confirmed(mail, "PO-7603")

    def test_only_salespeople_approve(self):
        mail = self.receive(self.ubl("PO-7604"), verified=False)
        portal = self.buyer_user
        with self.assertRaises(AccessError):
            mail.child_ids.with_user(portal).action_approve()
        self.assert_untouched()

    def test_authentication_results_of_other_servers_do_not_count(self):
        mail = self.receive(
            self.ubl("PO-7605"),
            verified=False,
            headers=[
                (
                    "Authentication-Results",
                    "mx.attacker.example; dmarc=pass header.from=buyer.example",
                )
            ],
        )
        self.assertFalse(mail.mail_sender_verified)
        self.assertEqual(mail.state, "approval")
        self.assert_untouched()

    def test_verified_sender_needs_the_connection_to_trust_it(self):
        self.connection.order_mail_trust_verified = False
        mail = self.receive(self.ubl("PO-7606"))
        self.assertTrue(mail.mail_sender_verified)
        self.assertEqual(mail.state, "approval")
        self.assert_untouched()
        # cXML carrying the connection's SharedSecret is authenticated by itself.
        document = cxml_order("PO-7606", self.ordered_lines(), currency=self.currency.name)
        mail = self.receive([("po.xml", document, "text/xml")], verified=False)
        self.assertTrue(mail.child_ids.cxml_secret_verified)
        self.assertRecordValues(mail, [{"state": "done", "order_id": self.quotation.id}])
        self.assertRecordValues(self.quotation, [{"state": "sale", "client_order_ref": "PO-7606"}])

    def test_cxml_with_a_wrong_secret_waits_for_approval(self):
        document = cxml_order(
            "PO-7607", self.ordered_lines(), currency=self.currency.name, shared_secret="guess"
        )
        mail = self.receive([("po.xml", document, "text/xml")], verified=False)
        self.assertFalse(mail.child_ids.cxml_secret_verified)
        self.assertEqual(mail.child_ids.state, "approval")
        self.assert_untouched()

    def test_pre_claimed_po_number_and_payload_id_do_not_block_the_real_order(self):
        forged = cxml_order(
            "PO-7608",
            [(None, "PAP-A4-80", 1, 0.01)],
            payload_id="po-7608@buyer",
            currency=self.currency.name,
            shared_secret="guess",
        )
        self.receive([("po.xml", forged, "text/xml")], verified=False)
        self.receive(self.ubl("PO-7608"), verified=False)
        self.assert_untouched()
        real = cxml_order(
            "PO-7608",
            self.ordered_lines(),
            payload_id="po-7608@buyer",
            currency=self.currency.name,
        )
        mail = self.receive([("po.xml", real, "text/xml")], verified=False)
        self.assertRecordValues(mail, [{"state": "done", "order_id": self.quotation.id}])
        self.assertRecordValues(
            self.quotation,
            [{"state": "sale", "client_order_ref": "PO-7608", "punchout_po_number": "PO-7608"}],
        )

    def test_unauthenticated_change_and_cancellation_change_nothing(self):
        first = cxml_order("PO-7609", self.ordered_lines(), currency=self.currency.name)
        self.assert_confirmed(self.receive([("v1.xml", first, "text/xml")]), "PO-7609")
        lines = self.ordered_lines()
        lines[1] = (self.pen_line, "PEN-BLUE", 99, 18.0)
        change = cxml_order(
            "PO-7609",
            lines,
            currency=self.currency.name,
            version=2,
            shared_secret="guess",
            order_type="update",
        )
        mail = self.receive([("v2.xml", change, "text/xml")], verified=False)
        self.assertRecordValues(
            mail.child_ids, [{"state": "approval", "order_id": self.quotation.id}]
        )
        self.assertEqual(self.pen_line.product_uom_qty, 12.0)
        self.assert_activity(self.quotation, self.salesperson, "change of purchase order PO-7609")
        cancel = cxml_order(
            "PO-7609",
            lines,
            currency=self.currency.name,
            version=3,
            shared_secret="guess",
            order_type="delete",
        )
        mail = self.receive([("v3.xml", cancel, "text/xml")], verified=False)
        self.assertEqual(mail.child_ids.state, "approval")
        self.assertEqual(self.quotation.state, "sale")
        self.assert_activity(self.quotation, self.salesperson, "cancellation of purchase order")
        mail.child_ids.with_user(self.salesperson).action_approve()
        self.assertEqual(self.quotation.state, "cancel")

    def test_unauthenticated_order_without_quotation_waits_on_the_log(self):
        lines = [(None, "PAP-A4-80", 1, 81.25)]
        document = opentrans_order("PO-7610", "", lines, currency=self.currency.name)
        orders_before = self.env["sale.order"].search_count([])
        mail = self.receive([("o.xml", document, "text/xml")], verified=False)
        attachment = mail.child_ids
        self.assertRecordValues(attachment, [{"state": "approval", "order_id": False}])
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assert_activity(attachment, self.salesperson, "Approve e-mailed purchase order")
        attachment.with_user(self.salesperson).action_approve()
        self.assertEqual(attachment.state, "done")
        self.assertRecordValues(attachment.order_id, [{"client_order_ref": "PO-7610"}])
        self.assertFalse(attachment.activity_ids)

    def test_shared_secret_is_never_stored(self):
        document = cxml_order("PO-7611", self.ordered_lines(), currency=self.currency.name)
        self.assertIn(b"mail-secret", document)
        mail = self.receive([("po.xml", document, "text/xml")], verified=False)
        self.assert_confirmed(mail, "PO-7611")
        attachment = mail.child_ids
        self.assertTrue(attachment.cxml_secret_verified)
        self.assertNotIn("mail-secret", attachment.payload)
        self.assertIn("OrderRequest", attachment.payload)
        stored = self.env["ir.attachment"].search(
            [
                "|",
                "&",
                ("res_model", "=", "punchout.message"),
                ("res_id", "in", (mail | attachment).ids),
                "&",
                ("res_model", "=", "sale.order"),
                ("res_id", "=", self.quotation.id),
            ]
        )
        self.assertGreaterEqual(len(stored), 3, "the log's copy, the chatter's and the order's")
        for record in stored:
            self.assertNotIn(b"mail-secret", record.raw, record.name)

    def test_activity_note_escapes_mail_text(self):
        name = '<a href="https://attacker.example/">Approve here</a>.pdf'
        mail = self.receive([(name, b"%PDF-1.4\n1 0 obj garbage", "application/pdf")])
        note = str(mail.child_ids.activity_ids.note)
        self.assertNotIn("<a href", note)
        self.assertIn("&lt;a href=", note)
