import time

from odoo.tests import tagged

from ..protocol.pdf import MAX_STREAM_BYTES
from ..protocol.tests.testdata import deflated_zeros, make_pdf
from .order_documents import ubl_order
from .order_mail_common import OrderMailCommon

TEXT = b"BT /F1 12 Tf 72 720 Td (Purchase order 4500012399) Tj ET"


def pdf_bomb():
    """A 60 KB PDF whose one content stream inflates to 64 MB."""
    return make_pdf([(b"/Filter /FlateDecode", deflated_zeros(MAX_STREAM_BYTES * 4))])


def utf16_entity_bomb():
    return (
        '<?xml version="1.0" encoding="UTF-16"?>'
        f'<!DOCTYPE Order [<!ENTITY a "{"A" * 2000}">]>'
        f'<Order xmlns="urn:oasis:names:specification:ubl:schema:xsd:Order-2" a="{"&a;" * 500}"/>'
    ).encode("utf-16")


@tagged("post_install", "-at_install")
class TestOrderHostileFiles(OrderMailCommon):
    def test_pdf_bomb_by_mail_is_refused_within_bounds(self):
        start = time.monotonic()
        mail = self.receive([("PO_4500012399.pdf", pdf_bomb(), "application/pdf")])
        self.assertLess(time.monotonic() - start, 30)
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("inflates", mail.child_ids.error)
        self.assert_activity(mail.child_ids, self.salesperson, "inflates")
        self.assertEqual(self.quotation.state, "sent")

    def test_pdf_with_too_many_pages_by_mail_is_refused(self):
        pdf = make_pdf([(b"", TEXT)], pages=200)
        mail = self.receive([("PO_4500012399.pdf", pdf, "application/pdf")])
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("200 pages", mail.child_ids.error)

    def test_utf16_xml_order_by_mail_is_read(self):
        xml = ubl_order(
            "PO-7299", self.quotation.name, self.ordered_lines(), currency=self.currency.name
        )
        utf16 = xml.decode().replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
        mail = self.receive([("order.xml", utf16, "application/xml")])
        self.assertNotIn("Not a purchase order", mail.child_ids.error or "")
        self.assertEqual(mail.child_ids.order_id, self.quotation)
        self.assertIn("PO-7299", mail.child_ids.payload)
        self.assertNotIn("\x00", mail.child_ids.payload)

    def test_utf16_entity_bomb_by_mail_is_refused(self):
        start = time.monotonic()
        mail = self.receive([("order.xml", utf16_entity_bomb(), "application/xml")])
        self.assertLess(time.monotonic() - start, 10)
        self.assertEqual(mail.child_ids.state, "error")
        self.assertIn("entities", mail.child_ids.error)
        self.assertEqual(self.quotation.state, "sent")

    def upload(self, name, data, mimetype):
        return self.env["ir.attachment"].create(
            {"name": name, "raw": data, "mimetype": mimetype, "res_model": "sale.order"}
        )

    def test_uploaded_entity_bomb_is_not_read(self):
        attachment = self.upload("order.xml", utf16_entity_bomb(), "application/xml")
        start = time.monotonic()
        # Not read as XML: only what Odoo does with any file (kept as a binary attachment).
        self.assertEqual(self.decoded_types(attachment), ["binary"])
        self.assertLess(time.monotonic() - start, 5)

    def test_uploaded_pdf_bomb_is_not_read(self):
        attachment = self.upload("po.pdf", pdf_bomb(), "application/pdf")
        self.assertEqual(self.decoded_types(attachment), ["binary"])
        attachment = self.upload("po.pdf", make_pdf([(b"", TEXT)]), "application/pdf")
        self.assertIn("pdf", self.decoded_types(attachment))

    @staticmethod
    def decoded_types(attachment):
        return [file_data["type"] for file_data in attachment._unwrap_edi_attachments()]
