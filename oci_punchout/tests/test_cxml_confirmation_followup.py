"""Confirmations after the first: our changes of dates and quantities, the buyer's update and
our cancellation follow up as new versions of the same confirmation (Fulfill.dtd)."""

from datetime import datetime
from decimal import Decimal

from odoo import Command
from odoo.tests import Form, tagged

from ..protocol import cxml
from .common import assert_valid_cxml, mock_buyer_system
from .cxml_common import CxmlCase, buyer_header


@tagged("post_install", "-at_install")
class TestCxmlConfirmationFollowUp(CxmlCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection.cxml_confirmation_url = "https://buyer.example/cxml/confirm"

    def _ordered(self, po_number, payload_id):
        session, document = self.shop_and_transfer()
        body, purchase_order = self.order_from_cart(
            document, order_id=po_number, payload_id=payload_id
        )
        with mock_buyer_system(self.env):
            root, _answer = self.post_cxml(body)
            self.assertEqual(self.status(root)[0], 200)
            self.env["punchout.message"]._cron_send_pending()
        order = session.order_id
        order.invalidate_recordset()
        self.assertEqual((order.state, order.punchout_confirmation_version), ("sale", 1))
        return order, purchase_order

    def _confirmations(self, order):
        return self.env["punchout.message"].search(
            [("kind", "=", "cxml_confirmation"), ("order_id", "=", order.id)], order="id"
        )

    def _sent(self):
        """The confirmations the send job posts now, read back as the buyer's system would."""
        with mock_buyer_system(self.env) as buyer_system:
            self.env["punchout.message"]._cron_send_pending()
        return [assert_valid_cxml(data, dtd="Fulfill") for _url, data in buyer_system.received]

    def test_a_new_commitment_date_sends_version_two(self):
        order, _purchase_order = self._ordered("PO-2101", "po-2101@buyer")
        first = self._confirmations(order)
        first_payload_id = order.punchout_confirmation_payload_id
        order.commitment_date = datetime(2027, 1, 15, 8, 0)
        order.order_line[0].product_uom_qty += 0  # unchanged: no further version
        self.env.cr.flush()  # the transaction's changes, as its commit would
        (update,) = self._sent()
        header = update.find("Request/ConfirmationRequest/ConfirmationHeader")
        self.assertEqual(
            (header.get("operation"), header.get("confirmID"), header.get("version")),
            ("update", order.name, "2"),
        )
        self.assertEqual(header.find("DocumentReference").get("payloadID"), first_payload_id)
        self.assertEqual(header.get("type"), "detail")
        dates = {
            status.get("deliveryDate")
            for status in update.iterfind(
                "Request/ConfirmationRequest/ConfirmationItem/ConfirmationStatus"
            )
        }
        self.assertEqual(dates, {"2027-01-15T08:00:00+00:00"})
        self.assertEqual(len(self._confirmations(order)), 2)
        self.assertEqual(self._confirmations(order)[0], first)

        # Written again with the same date: nothing new to say.
        order.commitment_date = datetime(2027, 1, 15, 8, 0)
        self.env.cr.flush()
        self.assertEqual(self._sent(), [])
        self.assertEqual(order.punchout_confirmation_version, 2)

    def test_a_reduced_quantity_confirms_the_rest_as_rejected(self):
        order, _purchase_order = self._ordered("PO-2102", "po-2102@buyer")
        paper = order.order_line.filtered(lambda line: line.product_id == self.product_paper)
        pen = order.order_line.filtered(lambda line: line.product_id == self.product_pen)
        # Two changes in one transaction: one update with both.
        paper.product_uom_qty = 2
        pen.product_uom_qty = 0
        # A line we add ourselves is not part of the buyer's order: not confirmed.
        order.order_line = [Command.create({"product_id": self.product_paper.id})]
        self.env.cr.flush()
        (update,) = self._sent()
        items = {
            item.get("lineNumber"): (
                item.get("quantity"),
                [(s.get("type"), s.get("quantity")) for s in item.iterfind("ConfirmationStatus")],
            )
            for item in update.iterfind("Request/ConfirmationRequest/ConfirmationItem")
        }
        self.assertEqual(
            items,
            {
                str(paper.punchout_po_line_number): ("3", [("detail", "2"), ("reject", "1")]),
                str(pen.punchout_po_line_number): ("12", [("reject", "12")]),
            },
        )

    def test_the_buyers_update_is_confirmed_as_version_two(self):
        _order, purchase_order = self._ordered("PO-2103", "po-2103@buyer")
        purchase_order.order_type = "update"
        purchase_order.order_version = 2
        purchase_order.items[0].quantity = Decimal(5)
        purchase_order.document_reference_payload_id = "po-2103@buyer"
        self.cxml_connection.order_deviation_policy = "accept"
        body = cxml.build_order_request(
            buyer_header(), purchase_order, deployment_mode="test", payload_id="po-2103-v2@buyer"
        )
        with mock_buyer_system(self.env):
            root, _answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 200)
        (update,) = self._sent()
        header = update.find("Request/ConfirmationRequest/ConfirmationHeader")
        self.assertEqual((header.get("operation"), header.get("version")), ("update", "2"))
        first_item = update.find("Request/ConfirmationRequest/ConfirmationItem")
        # The buyer ordered 5 now: that is what it confirms, nothing rejected.
        self.assertEqual(first_item.get("quantity"), "5")
        self.assertEqual(
            [
                (s.get("type"), s.get("quantity"))
                for s in first_item.iterfind("ConfirmationStatus")
            ],
            [("detail", "5")],
        )

    def test_cancelling_rejects_the_order_with_the_reason(self):
        order, _purchase_order = self._ordered("PO-2104", "po-2104@buyer")
        action = order.action_cancel()
        wizard = Form(
            self.env[action["res_model"]].with_context(**action["context"]),
            view="sale.sale_order_cancel_view_form",
        )
        self.assertTrue(wizard.punchout_rejects_order)
        wizard.punchout_reject_reason = "The paper mill closed; no replacement."
        wizard.save().action_cancel()
        self.assertEqual(order.state, "cancel")
        (reject,) = self._sent()
        header = reject.find("Request/ConfirmationRequest/ConfirmationHeader")
        self.assertEqual(
            (header.get("type"), header.get("operation"), header.get("version")),
            ("reject", "update", "2"),
        )
        self.assertEqual(header.findtext("Comments"), "The paper mill closed; no replacement.")
        self.assertIsNone(reject.find("Request/ConfirmationRequest/ConfirmationItem"))

    def test_the_buyers_own_cancellation_is_not_rejected_back(self):
        order, purchase_order = self._ordered("PO-2105", "po-2105@buyer")
        purchase_order.order_type = "delete"
        purchase_order.document_reference_payload_id = "po-2105@buyer"
        body = cxml.build_order_request(buyer_header(), purchase_order, deployment_mode="test")
        with mock_buyer_system(self.env):
            root, _answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 200)
        order.invalidate_recordset()
        self.assertEqual(order.state, "cancel")
        self.assertEqual(self._sent(), [])
        self.assertEqual(len(self._confirmations(order)), 1)

    def test_an_order_never_confirmed_to_the_buyer_is_left_alone(self):
        partner = self.env["res.partner"].create({"name": "Walk-in customer"})
        order = self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "order_line": [Command.create({"product_id": self.product_paper.id})],
            }
        )
        order.action_confirm()
        order.commitment_date = datetime(2027, 2, 1)
        order._action_cancel()
        self.env.cr.flush()
        self.assertEqual(self._sent(), [])
        self.assertFalse(self._confirmations(order))
