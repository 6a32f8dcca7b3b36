import codecs
import time
from datetime import timedelta

from odoo import fields
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..const import MAX_CXML_BYTES
from ..models.punchout_message import MAX_EXCERPT_CHARS
from ..protocol import cxml
from .cxml_common import CxmlCase, buyer_header

# (Python codec, byte order mark, name in the declaration): what the XML specification allows
ENCODINGS = [
    ("utf-16-le", codecs.BOM_UTF16_LE, "UTF-16"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "UTF-16"),
    ("utf-16-le", b"", "UTF-16LE"),
    ("utf-32-be", codecs.BOM_UTF32_BE, "UTF-32"),
    ("iso-8859-1", b"", "ISO-8859-1"),
    ("utf-8", codecs.BOM_UTF8, "UTF-8"),
]


def reencode(document, codec, bom, name):
    """Our UTF-8 cXML document as the same text in another encoding."""
    text = document.decode("utf-8").replace('encoding="UTF-8"', f'encoding="{name}"', 1)
    return bom + text.encode(codec)


def attribute_bomb():
    """Entities expanded in attribute values: 2 KB of text grow to a megabyte per attribute."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<!DOCTYPE cXML [<!ENTITY a "{"A" * 2000}">]>'
        f'<cXML payloadID="{"&a;" * 500}" timestamp="{"&a;" * 500}"><Header/></cXML>'
    ).encode()


@tagged("post_install", "-at_install")
class TestCxmlHostileDocuments(CxmlCase):
    def messages(self):
        return self.env["punchout.message"].search(
            [("protocol", "=", "cxml"), ("direction", "=", "in")], order="id"
        )

    def test_documents_in_every_encoding_are_stored_and_answered(self):
        for codec, bom, name in ENCODINGS:
            with self.subTest(encoding=name, bom=bool(bom)):
                setup = self.setup_request(extrinsics={"UserEmail": "jürgen@buyer.example"})
                body = reencode(setup, codec, bom, name)
                root, answer = self.post_cxml(body, f"text/xml; charset={name}")
                self.assertEqual(self.status(root)[0], 200, answer[:500])
                message = self.messages()[-1]
                self.assertEqual(message.state, "done")
                self.assertIn("jürgen@buyer.example", message.payload)
                self.assertIn("<SharedSecret>***</SharedSecret>", message.payload)
                self.assertNotIn("s3cr3t", message.payload)
                self.assertEqual(message.session_id.user_id.login, "jürgen@buyer.example")

    def test_entity_declarations_are_refused_in_every_encoding(self):
        for codec, bom, name in ENCODINGS:
            with self.subTest(encoding=name, bom=bool(bom)):
                body = reencode(attribute_bomb(), codec, bom, name)
                start = time.monotonic()
                root, answer = self.post_cxml(body, f"text/xml; charset={name}")
                self.assertLess(time.monotonic() - start, 10)
                code, text = self.status(root)
                self.assertEqual(code, 400, answer[:500])
                self.assertIn("entities", text)
                message = self.messages()[-1]
                self.assertRecordValues(message, [{"state": "error", "http_status": 400}])
                self.assertIn("entities", message.error)
                self.assertLessEqual(len(message.payload), MAX_EXCERPT_CHARS + 100)
                self.assertTrue(message.payload.startswith("<?xml"))

    def test_bytes_not_in_their_encoding_are_answered(self):
        body = self.setup_request().replace(b"cookie-42", b"cookie-\xff\xfe")
        root, answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 400, answer[:500])
        message = self.messages()[-1]
        self.assertIn("utf-8", message.error)
        self.assertIn("cookie-\ufffd\ufffd", message.payload)

    @mute_logger("odoo.addons.oci_punchout.controllers.cxml")
    def test_chunked_body_over_the_limit_is_refused_without_keeping_it(self):
        """No Content-Length: the limit applies to what is read."""
        setup = self.setup_request()
        head, tail = setup.split(b"cookie-42")
        padding = MAX_CXML_BYTES + 1024

        def chunks():
            yield head
            for _ in range(padding // 65536 + 1):
                yield b"x" * 65536
            yield tail

        root, answer = self.post_cxml(chunks())
        self.assertEqual(self.status(root)[0], 413, answer[:500])
        message = self.messages()[-1]
        self.assertRecordValues(message, [{"state": "error", "http_status": 413}])
        self.assertLessEqual(len(message.payload), MAX_EXCERPT_CHARS + 100)
        self.assertIn("[... truncated:", message.payload)
        self.assertIn("<SharedSecret>***</SharedSecret>", message.payload)
        self.assertFalse(self.env["punchout.session"].search([]))

    def test_chunked_body_within_the_limit_is_processed(self):
        setup = self.setup_request()
        root, answer = self.post_cxml(setup[i : i + 100] for i in range(0, len(setup), 100))
        self.assertEqual(self.status(root)[0], 200, answer[:500])

    def test_anonymous_senders_leave_an_excerpt_only(self):
        big_cookie = "x" * 300_000
        for label, header in (
            ("wrong secret", buyer_header(secret="guess")),
            ("unknown sender", buyer_header(identity="stranger")),
        ):
            with self.subTest(label):
                root, _answer = self.post_cxml(
                    self.setup_request(header=header, buyer_cookie=big_cookie)
                )
                self.assertIn(self.status(root)[0], (401, 403))
                message = self.messages()[-1]
                self.assertLessEqual(len(message.payload), MAX_EXCERPT_CHARS + 100)
                self.assertIn("[... truncated:", message.payload)
                self.assertIn("<BuyerCookie>", message.payload)  # what it was, and from whom
                self.assertIn(
                    "stranger" if label == "unknown sender" else "inbound@", message.payload
                )
        # an authenticated sender's document is kept whole
        root, _answer = self.post_cxml(self.setup_request(buyer_cookie=big_cookie))
        self.assertEqual(self.status(root)[0], 200)
        message = self.messages()[-1]
        self.assertIn(big_cookie, message.payload)
        self.assertNotIn("truncated", message.payload)

    def test_large_failed_order_of_a_known_sender_can_be_retried(self):
        self.cxml_connection.order_deviation_policy = "refuse"
        session, document = self.shop_and_transfer()
        cart = cxml.parse_punchout_order_message(document)
        cart.items[1].unit_price = cxml.Money(
            cart.items[1].unit_price.amount + 1, cart.items[1].unit_price.currency
        )
        bill_to = cxml.Address(name="Buyer", street=["Hauptstrasse 5"], city="Berlin")
        order = cxml.order_request_from_cart(
            cart, "PO-BIG", bill_to, comments="Deliver to gate 4. " * 5000
        )
        body = cxml.build_order_request(buyer_header(), order, deployment_mode="test")
        self.assertGreater(len(body), MAX_EXCERPT_CHARS * 2)
        root, answer = self.post_cxml(body)
        self.assertEqual(self.status(root)[0], 400, answer[:500])
        message = self.env["punchout.message"].search([("kind", "=", "cxml_order")])
        self.assertEqual(message.state, "error")
        self.assertNotIn("truncated", message.payload)
        self.cxml_connection.order_deviation_policy = "flag"
        message.action_retry()
        self.assertEqual(message.state, "done", message.error)
        self.assertEqual(session.order_id.state, "sale")


@tagged("post_install", "-at_install")
class TestMessagePurge(CxmlCase):
    def _message(self, days_old, **values):
        message = self.env["punchout.message"]._log(
            "cxml_request", "in", "cxml", "<cXML/>", **values
        )
        self.env.cr.execute(
            "UPDATE punchout_message SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(days=days_old), message.id],
        )
        message.invalidate_recordset(["create_date"])
        return message

    def test_old_messages_are_purged_but_not_those_of_orders_or_still_to_send(self):
        Message = self.env["punchout.message"]
        order = self.env["sale.order"].create({"partner_id": self.buyer.id})
        old_junk = self._message(91, state="error")
        old_done = self._message(100, state="done", connection_id=self.cxml_connection.id)
        recent = self._message(89, state="error")
        of_an_order = self._message(400, order_id=order.id, state="done")
        to_send = self._message(200, state="pending")
        mail = self._message(120)
        mail_attachment_of_order = self._message(120, parent_id=mail.id, order_id=order.id)
        junk_mail = self._message(120)
        junk_mail_attachment = self._message(120, parent_id=junk_mail.id, state="error")

        cron = self.env.ref("oci_punchout.ir_cron_punchout_purge_messages")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Message._cron_purge(batch_size=1)  # a full batch: the rest in another run, soon
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        self.assertFalse(old_junk.exists())
        # The last two to delete, and old ones always kept: no further run for those.
        Message._cron_purge(batch_size=3)
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        self.assertFalse((old_done | junk_mail | junk_mail_attachment).exists())
        self.assertEqual(
            (recent | of_an_order | to_send | mail | mail_attachment_of_order).exists(),
            recent | of_an_order | to_send | mail | mail_attachment_of_order,
        )

        self.env["res.config.settings"].create({"punchout_message_keep_days": 30}).execute()
        Message._cron_purge()
        self.assertFalse(recent.exists())

        keep_forever = self._message(5000)
        self.env["res.config.settings"].create({"punchout_message_keep_days": 0}).execute()
        Message._cron_purge()
        self.assertTrue(keep_forever.exists())

    def test_the_purge_runs_daily(self):
        cron = self.env.ref("oci_punchout.ir_cron_punchout_purge_messages")
        self.assertRecordValues(cron, [{"active": True, "interval_type": "days"}])
        self.assertEqual(
            int(
                self.env["ir.config_parameter"]
                .sudo()
                .get_param("oci_punchout.message_keep_days", 90)
            ),
            90,
        )


@tagged("post_install", "-at_install")
class TestInterruptedDocuments(CxmlCase):
    """A worker killed (or the database restarted) after a document was stored and before it
    was processed: the stored copy must not stay 'received' forever."""

    def _age(self, message, minutes):
        self.env.cr.execute(
            "UPDATE punchout_message SET create_date = %s WHERE id = %s",
            [fields.Datetime.now() - timedelta(minutes=minutes), message.id],
        )
        message.invalidate_recordset(["create_date"])

    def test_interrupted_copy_names_the_copy_the_buyer_sent_again(self):
        _session, cart = self.shop_and_transfer()
        document, _order = self.order_from_cart(cart, order_id="PO-KILLED")
        Message = self.env["punchout.message"]
        # What a killed worker leaves: the stored document, nothing of its processing.
        interrupted = Message._cxml_store(document, "192.0.2.10")
        self._age(interrupted, 30)
        # The buyer's system sends the same document again: processed normally.
        root, _answer = self.post_cxml(document)
        self.assertEqual(self.status(root)[0], 200)
        processed = Message.search(
            [("kind", "=", "cxml_order"), ("state", "=", "done"), ("id", ">", interrupted.id)]
        )
        self.assertEqual(len(processed), 1)
        self.assertEqual(interrupted.state, "received")
        fresh = Message._cxml_store(document, "192.0.2.10")  # may still be in progress

        Message._cron_close_interrupted()

        self.assertRecordValues(
            interrupted,
            [{"state": "error", "http_status": 503, "kind": "cxml_order", "order_id": False}],
        )
        self.assertIn("interrupted", interrupted.error)
        self.assertIn(f"processed as message {processed.id}", interrupted.error)
        self.assertEqual(fresh.state, "received")
        self.assertEqual(
            self.env["sale.order"].search_count([("punchout_po_number", "=", "PO-KILLED")]), 1
        )

    def test_interrupted_document_never_sent_again(self):
        Message = self.env["punchout.message"]
        interrupted = Message._cxml_store(b"<cXML payloadID='lost@buyer'><Header/>", "192.0.2.10")
        self._age(interrupted, 30)
        Message._cron_close_interrupted()
        self.assertEqual(interrupted.state, "error")
        self.assertIn("expected to send it again", interrupted.error)

    def test_the_recovery_runs_every_quarter_of_an_hour(self):
        cron = self.env.ref("oci_punchout.ir_cron_punchout_close_interrupted")
        self.assertRecordValues(
            cron, [{"active": True, "interval_number": 15, "interval_type": "minutes"}]
        )
