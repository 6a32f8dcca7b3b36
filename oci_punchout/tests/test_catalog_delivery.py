"""Scheduled catalogue delivery: e-mailed through Odoo's outgoing mail or posted to the buyer's
system by the send job (retried, refusals kept), each delivery logged with its file; changes
only after the first; the URL an administrator's setting."""

from datetime import timedelta

import requests
from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from ..protocol.catalog import BMECAT_NS
from .common import SHARED, PunchoutCommon, mock_buyer_system

CATALOG_URL = "https://srm.buyer.example/catalogue/upload"


@tagged("post_install", "-at_install")
class TestCatalogDelivery(PunchoutCommon):
    def deliveries(self):
        return self.env["punchout.message"].search(
            [("kind", "=", "catalog"), ("connection_id", "=", self.connection.id)], order="id"
        )

    def file_of(self, message):
        return self.env["ir.attachment"].search(
            [("res_model", "=", "punchout.message"), ("res_id", "=", message.id)]
        )

    def test_emailed_bmecat_catalogue_with_its_file_logged(self):
        self.connection.write(
            {
                "catalog_format": "bmecat",
                "catalog_delivery": "email",
                "catalog_delivery_email": "catalogues@buyer.example",
                "catalog_delivery_interval": "weeks",
            }
        )
        self.env["punchout.connection"]._cron_deliver_catalogs()
        message = self.deliveries()
        self.assertRecordValues(
            message, [{"state": "done", "direction": "out", "protocol": "mail"}]
        )
        self.assertIn("BMEcat 2005 catalogue, full: 2 products", message.payload)
        attachment = self.file_of(message)
        schema = etree.XMLSchema(etree.parse(str(SHARED / "testdata/bmecat-2005/bmecat_2005.xsd")))
        root = etree.fromstring(attachment.raw)
        self.assertTrue(schema.validate(root), schema.error_log.filter_from_errors())
        self.assertEqual(
            {pid.text for pid in root.iterfind(".//b:SUPPLIER_PID", {"b": BMECAT_NS})},
            {"PAP-A4-80", "PEN-BLUE"},
        )
        mail = self.env["mail.mail"].search([("email_to", "=", "catalogues@buyer.example")])
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.attachment_ids, attachment)
        self.assertIn(str(mail.id), message.response_payload)
        # Scheduled a week on; not due again before.
        self.assertAlmostEqual(
            self.connection.catalog_next_delivery,
            self.connection.catalog_delivered_at + timedelta(weeks=1),
            delta=timedelta(seconds=1),
        )
        self.env["punchout.connection"]._cron_deliver_catalogs()
        self.assertEqual(len(self.deliveries()), 1)

    def test_changes_only_after_the_first_delivery(self):
        self.connection.write(
            {
                "catalog_format": "cxml-index",
                "catalog_delivery": "email",
                "catalog_delivery_email": "catalogues@buyer.example",
                "catalog_delivery_changes_only": True,
            }
        )
        first = self.env["punchout.catalog"]._deliver(self.connection)
        self.assertEqual(etree.fromstring(self.file_of(first).raw).get("loadmode"), "Full")
        # A day later (the products last changed the day before the delivery): nothing changed.
        now = fields.Datetime.now()
        self.connection.catalog_delivered_at = now - timedelta(days=1)
        self.env.cr.execute(
            "UPDATE product_product SET write_date = %s", [now - timedelta(days=2)]
        )
        self.env.cr.execute(
            "UPDATE product_template SET write_date = %s", [now - timedelta(days=2)]
        )
        self.env.invalidate_all()
        second = self.env["punchout.catalog"]._deliver(self.connection)
        self.assertIn("No product changed", second.payload)
        self.assertFalse(self.file_of(second))
        # Then the pen changes, and nothing else.
        self.product_pen.description_sale = "Blue ink, refillable."
        third = self.env["punchout.catalog"]._deliver(self.connection)
        root = etree.fromstring(self.file_of(third).raw)
        self.assertEqual(root.get("loadmode"), "Incremental")
        self.assertEqual([part.text for part in root.iterfind(".//SupplierPartID")], ["PEN-BLUE"])

    def test_posted_to_the_buyers_system_and_retried(self):
        self.connection.write(
            {
                "catalog_format": "oci5-json",
                "catalog_delivery": "url",
                "catalog_delivery_url": CATALOG_URL,
            }
        )
        with mock_buyer_system(self.env, (503, b"busy"), (200, b"stored")) as buyer:
            self.env["punchout.connection"]._cron_deliver_catalogs()
            message = self.deliveries()
            self.assertRecordValues(
                message, [{"state": "pending", "protocol": "file", "http_status": 503}]
            )
            message.next_attempt_at = fields.Datetime.now() - timedelta(minutes=1)
            self.env["punchout.message"]._cron_send_pending()
        self.assertRecordValues(
            message, [{"state": "done", "http_status": 200, "attempt_count": 2}]
        )
        self.assertEqual([url for url, _body in buyer.received], [CATALOG_URL, CATALOG_URL])
        self.assertEqual(buyer.received[0][1], self.file_of(message).raw)
        self.assertIn(b'"VENDORMAT": "PEN-BLUE"', buyer.received[1][1])

    def test_a_refusal_is_kept_and_not_retried(self):
        self.connection.write({"catalog_delivery": "url", "catalog_delivery_url": CATALOG_URL})
        with mock_buyer_system(self.env, (413, b"too large")) as buyer:
            message = self.env["punchout.catalog"]._deliver(self.connection)
            self.env["punchout.message"]._cron_send_pending()
        self.assertRecordValues(message, [{"state": "error", "refused": True, "http_status": 413}])
        self.assertEqual(len(buyer.received), 1)

    def test_unreachable_buyer_system_is_retried(self):
        self.connection.write({"catalog_delivery": "url", "catalog_delivery_url": CATALOG_URL})
        with mock_buyer_system(self.env, requests.ConnectionError("refused")):
            message = self.env["punchout.catalog"]._deliver(self.connection)
        self.assertRecordValues(message, [{"state": "pending", "attempt_count": 1}])
        self.assertIn("ConnectionError", message.error)

    def test_delivery_settings_are_checked(self):
        with self.assertRaises(ValidationError):
            self.connection.write(
                {"catalog_delivery": "email", "catalog_delivery_email": "nobody"}
            )
        with self.assertRaises(ValidationError):
            self.connection.write(
                {"catalog_delivery": "url", "catalog_delivery_url": "http://buyer.example/in"}
            )
        # Where our buyer's prices go is an administrator's setting.
        manager = self.env["res.users"].create(
            {
                "name": "Punchout manager",
                "login": "delivery-manager@supplier.example",
                "groups_id": [
                    Command.set(
                        [
                            self.env.ref("oci_punchout.group_punchout_manager").id,
                            self.env.ref("sales_team.group_sale_manager").id,
                        ]
                    )
                ],
            }
        )
        with self.assertRaises(AccessError):
            self.connection.with_user(manager).write({"catalog_delivery_url": CATALOG_URL})
        self.connection.with_user(manager).write(
            {"catalog_delivery": "email", "catalog_delivery_email": "catalogues@buyer.example"}
        )
