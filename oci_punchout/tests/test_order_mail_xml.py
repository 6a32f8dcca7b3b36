"""Purchase orders e-mailed as XML (cXML, UBL, openTRANS, IDoc) through Odoo's mail gateway, and
bad input.
"""

from odoo.tests import tagged
from odoo.tools import mute_logger

from ..protocol import cxml
from .order_documents import (
    cxml_order,
    idoc_orders05,
    mime_mail,
    opentrans_order,
    ubl_order,
)
from .order_mail_common import SAP_SENDER, OrderMailCommon


@tagged("post_install", "-at_install")
class TestOrderMailXml(OrderMailCommon):
    def test_mail_and_attachments_are_stored_as_messages(self):
        document = cxml_order(
            "PO-7001", self.ordered_lines(), payload_id="mail-1@buyer", currency=self.currency.name
        )
        mail = self.receive(
            [
                ("order.xml", document, "application/xml"),
                ("terms.txt", b"Our terms", "text/plain"),
            ],
            subject="Order PO-7001",
            message_id="<po-7001@buyer.example>",
        )
        self.assertRecordValues(
            mail,
            [
                {
                    "direction": "in",
                    "protocol": "mail",
                    "connection_id": self.connection.id,
                    "dedup_key": "<po-7001@buyer.example>",
                }
            ],
        )
        self.assertIn("Subject: Order PO-7001", mail.payload)
        self.assertIn(f"From: {SAP_SENDER}", mail.payload)
        self.assertIn("Please find our order attached.", mail.payload)
        xml_message, text_message = mail.child_ids.sorted("id")
        self.assertEqual(xml_message.kind, "order_mail_attachment")
        self.assertIn("OrderRequest", xml_message.payload)
        self.assertEqual(xml_message.state, "done")
        self.assertEqual(xml_message.dedup_key, f"{self.connection.id}:mail-1@buyer")
        self.assertEqual(
            self.env["punchout.mail"]._attachment(xml_message).raw, cxml.redact_secrets(document)
        )
        self.assertEqual(text_message.state, "done")
        self.assertIn("ignored", text_message.error)
        self.assertIn("order.xml", self.assert_confirmed(mail, "PO-7001"))
        self.assertFalse(mail.activity_ids)

    def test_cxml_order_request(self):
        mail = self.receive(
            [
                (
                    "po.xml",
                    cxml_order("PO-7002", self.ordered_lines(), currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assert_confirmed(mail, "PO-7002")

    def test_ubl_order(self):
        document = ubl_order(
            "PO-7003", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("Order_7003.xml", document, "application/xml")])
        self.assertIn("UBL", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "PO-7003")

    def test_opentrans_order(self):
        document = opentrans_order(
            "PO-7004", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("ORDER.XML", document, "application/octet-stream")])
        self.assertIn("openTRANS", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "PO-7004")

    def test_idoc_orders05(self):
        document = idoc_orders05(
            "4500007005", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("idoc.dat", document, "application/octet-stream")])
        self.assertIn("IDoc", mail.child_ids.response_payload)
        self.assert_confirmed(mail, "4500007005")
        self.assertEqual(mail.child_ids.dedup_key, f"{self.connection.id}:0000000004711001")

    def test_shared_alias_routes_by_purchasing_system_address(self):
        document = ubl_order(
            "PO-7006", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive([("o.xml", document, "application/xml")], to=self.shared_inbox)
        self.assertEqual(mail.connection_id, self.connection)
        self.assert_confirmed(mail, "PO-7006")

    def test_shared_alias_routes_by_buyer_contact(self):
        """A contact of the buyer is routed to its connection, but is no trusted sender: the
        order waits for a salesperson's approval."""
        self.connection.order_mail_senders = False
        document = ubl_order(
            "PO-7007", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("o.xml", document, "application/xml")],
            to=self.shared_inbox,
            sender="Buyer Purchasing <purchasing@buyer.example>",
        )
        self.assertEqual(mail.connection_id, self.connection)
        self.assertRecordValues(mail, [{"state": "approval", "order_id": self.quotation.id}])
        self.assertEqual(self.quotation.state, "sent")
        self.quotation.with_user(self.salesperson).action_punchout_approve_mail_order()
        self.assertEqual(mail.child_ids.approved_by_id, self.salesperson)
        self.assert_confirmed(mail, "PO-7007")

    def test_matching_by_products_without_references(self):
        lines = [(None, code, qty, price) for _line, code, qty, price in self.ordered_lines()]
        mail = self.receive(
            [
                (
                    "o.xml",
                    opentrans_order("PO-7008", "", lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assert_confirmed(mail, "PO-7008")

    def test_ambiguous_candidates_make_a_new_quotation_with_an_activity(self):
        self.make_quotation([(self.product_paper, 3), (self.product_pen, 12)])
        lines = [(None, code, qty, price) for _line, code, qty, price in self.ordered_lines()]
        mail = self.receive(
            [
                (
                    "o.xml",
                    opentrans_order("PO-7009", "", lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        order = mail.order_id
        self.assertNotEqual(order, self.quotation)
        self.assertEqual(self.quotation.state, "sent", "never guess between two quotations")
        self.assertRecordValues(order, [{"state": "draft", "client_order_ref": "PO-7009"}])
        self.assertEqual(
            sorted(
                (line.product_id.default_code, line.product_uom_qty) for line in order.order_line
            ),
            [("PAP-A4-80", 3.0), ("PEN-BLUE", 12.0)],
        )
        self.assert_activity(order, self.salesperson, "No punchout quotation matches")
        self.assertIn(
            "o.xml",
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", order.id)])
            .mapped("name"),
        )

    def test_price_deviation_is_flagged(self):
        lines = self.ordered_lines()
        lines[1] = (self.pen_line, "PEN-BLUE", 12, 15.0)
        mail = self.receive(
            [
                (
                    "o.xml",
                    ubl_order("PO-7010", self.quotation.name, lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assertEqual(mail.order_id, self.quotation)
        self.assertEqual(self.pen_line.price_unit, 18.0, "policy 'flag' keeps our price")
        self.assert_activity(self.quotation, self.salesperson, "unit price 15.0 ordered")

    def test_deviation_refused_by_policy_stays_a_quotation_to_review(self):
        self.connection.order_deviation_policy = "refuse"
        lines = self.ordered_lines()
        lines[0] = (self.paper_line, "PAP-A4-80", 5, 81.25)
        document = ubl_order("PO-7014", self.quotation.name, lines, currency=self.currency.name)
        mail = self.receive([("po.xml", document, "text/xml")])
        self.assertEqual(mail.order_id, self.quotation)
        self.assertRecordValues(
            self.quotation,
            [{"state": "sent", "client_order_ref": "PO-7014", "punchout_po_number": "PO-7014"}],
        )
        self.assertEqual(self.paper_line.product_uom_qty, 3.0)
        self.assert_activity(
            self.quotation, self.salesperson, "Not confirmed, beyond the deviation policy"
        )
        self.assertIn(
            "po.xml",
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", self.quotation.id)])
            .mapped("name"),
        )

    def test_same_mail_twice_is_processed_once(self):
        raw_args = {
            "attachments": [
                (
                    "o.xml",
                    cxml_order("PO-7011", self.ordered_lines(), currency=self.currency.name),
                    "text/xml",
                )
            ],
            "message_id": "<twice@buyer.example>",
        }
        mail = self.receive(**raw_args)
        self.assert_confirmed(mail, "PO-7011")
        raw = mime_mail(SAP_SENDER, self.inbox, **raw_args)
        self.assertFalse(self.env["mail.thread"].message_process(False, raw))
        self.assertEqual(
            self.env["punchout.message"].search_count([("kind", "=", "order_mail")]), 1
        )

    def test_same_po_number_again_adds_a_note(self):
        mail = self.receive(
            [
                (
                    "a.xml",
                    ubl_order(
                        "PO-7012",
                        self.quotation.name,
                        self.ordered_lines(),
                        currency=self.currency.name,
                    ),
                    "text/xml",
                )
            ]
        )
        self.assert_confirmed(mail, "PO-7012")
        orders_before = self.env["sale.order"].search_count([])
        again = self.receive(
            [
                (
                    "b.xml",
                    idoc_orders05(
                        "PO-7012",
                        self.quotation.name,
                        self.ordered_lines(),
                        currency=self.currency.name,
                    ),
                    "text/xml",
                )
            ]
        )
        self.assertEqual(self.env["sale.order"].search_count([]), orders_before)
        self.assertEqual(again.state, "done")
        self.assertEqual(again.order_id, self.quotation)
        self.assertIn("received again", again.child_ids.error)
        self.assertIn(
            "received again by e-mail",
            " ".join(self.quotation.message_ids.mapped("body")),
        )

    def test_new_version_of_an_ordered_po_asks_for_review(self):
        first = cxml_order("PO-7015", self.ordered_lines(), currency=self.currency.name)
        self.assert_confirmed(self.receive([("v1.xml", first, "text/xml")]), "PO-7015")
        lines = self.ordered_lines()
        lines[1] = (self.pen_line, "PEN-BLUE", 20, 18.0)
        second = cxml_order("PO-7015", lines, currency=self.currency.name, version=2)
        mail = self.receive([("v2.xml", second, "text/xml")])
        self.assertEqual(mail.order_id, self.quotation)
        self.assertIn("version 2", mail.child_ids.error)
        self.assertEqual(self.pen_line.product_uom_qty, 12.0, "nothing changed by itself")
        self.assert_activity(self.quotation, self.salesperson, "version 2")
        self.assertIn(
            "v2.xml",
            self.env["ir.attachment"]
            .search([("res_model", "=", "sale.order"), ("res_id", "=", self.quotation.id)])
            .mapped("name"),
        )

    def test_same_cxml_payload_id_in_a_second_mail(self):
        document = cxml_order(
            "PO-7013", self.ordered_lines(), payload_id="same@buyer", currency=self.currency.name
        )
        self.receive([("a.xml", document, "text/xml")])
        again = self.receive([("a.xml", document, "text/xml")])
        self.assertEqual(again.order_id, self.quotation)
        self.assertIn("received again", again.child_ids.error)


@tagged("post_install", "-at_install")
class TestOrderMailBadInput(OrderMailCommon):
    def test_mail_without_attachment(self):
        mail = self.receive(body="Please deliver 3 boxes of paper, PO 4500001234.")
        self.assertEqual(mail.state, "error")
        self.assertIn("no attachment", mail.error)
        self.assert_activity(mail, self.salesperson, "no attachment")
        self.assertIn("Please deliver 3 boxes", mail.payload)
        self.assertEqual(self.quotation.state, "sent")

    def test_unknown_sender_on_the_shared_alias(self):
        document = ubl_order(
            "PO-7101", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("o.xml", document, "text/xml")], to=self.shared_inbox, sender="someone@else.example"
        )
        self.assertFalse(mail.connection_id)
        self.assertEqual(mail.state, "error")
        self.assertIn("Unknown sender", mail.error)
        self.assertEqual(mail.child_ids.state, "received", "kept, not processed")
        self.assertEqual(self.env["punchout.mail"]._attachment(mail.child_ids).raw, document)
        manager = (
            self.env.ref("oci_punchout.group_punchout_manager")
            .users.filtered(lambda u: u.active and not u.share)
            .sorted("id")[:1]
        )
        self.assert_activity(mail, manager, "Unknown sender")
        self.assertEqual(self.quotation.state, "sent")

    def test_xml_of_an_unknown_kind(self):
        mail = self.receive(
            [("invoice.xml", b"<?xml version='1.0'?><Invoice><ID>1</ID></Invoice>", "text/xml")]
        )
        self.assertEqual(mail.state, "error")
        attachment = mail.child_ids
        self.assertEqual(attachment.state, "error")
        self.assertIn("not a purchase order we can read", attachment.error)
        self.assertIn("<Invoice>", attachment.error)
        self.assert_activity(attachment, self.salesperson, "not a purchase order")

    def test_huge_attachment(self):
        self.env["ir.config_parameter"].set_param("oci_punchout.order_mail_max_bytes", "2000")
        document = ubl_order(
            "PO-7102", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        self.assertGreater(len(document), 2000)
        mail = self.receive([("big.xml", document, "text/xml")])
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("more than the 2000 bytes", mail.child_ids.error)
        self.assert_activity(mail.child_ids, self.salesperson, "2000 bytes")
        self.assertEqual(self.quotation.state, "sent")

    def test_broken_xml_next_to_a_good_one(self):
        good = ubl_order(
            "PO-7103", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        mail = self.receive(
            [("broken.xml", b"<Order><ID>1</Order>", "text/xml"), ("good.xml", good, "text/xml")]
        )
        broken, ok = mail.child_ids.sorted("id")
        self.assertEqual(broken.state, "error")
        self.assertEqual(ok.state, "done")
        self.assertEqual(mail.state, "done")
        self.assertIn("1 attachment(s) could not be read", mail.error)
        self.assertEqual(self.quotation.client_order_ref, "PO-7103")

    @mute_logger("odoo.addons.oci_punchout.models.punchout_mail")
    def test_unknown_product_is_a_quotation_line_note(self):
        lines = [*self.ordered_lines(), (None, "NOPE-1", 1, 5.0)]
        mail = self.receive(
            [
                (
                    "o.xml",
                    ubl_order("PO-7104", self.quotation.name, lines, currency=self.currency.name),
                    "text/xml",
                )
            ]
        )
        self.assertEqual(mail.order_id, self.quotation)
        self.assert_activity(self.quotation, self.salesperson, "NOPE-1")
