"""What the cXML tests share: the buyer's and our credentials, and a case that punches in, shops
and transfers over real HTTP.
"""

from datetime import datetime, timezone

from odoo import Command

from ..protocol import cxml
from .common import PunchoutHttpCase, assert_valid_cxml

BUYER = cxml.Credential("NetworkId", "inbound@prominate-platform.com", "s3cr3t")


SUPPLIER = cxml.Credential("NetworkId", "supplier@supplier.com")


FORM_POST = "https://prominate-platform.com/hook-url"


def buyer_header(secret="s3cr3t", identity=BUYER.identity):
    return cxml.Header(
        from_credentials=[cxml.Credential(BUYER.domain, identity)],
        to_credentials=[SUPPLIER],
        sender_credentials=[cxml.Credential(BUYER.domain, identity, secret)],
        user_agent="Buyer simulator in tests",
    )


class CxmlCase(PunchoutHttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cxml_connection = cls.env["punchout.connection"].create(
            {
                "name": "Buyer Ariba (test)",
                "code": "buyer-ariba",
                "protocol": "cxml",
                "system_name": "Ariba",
                "partner_id": cls.buyer.id,
                "user_id": cls.buyer_user.id,
                "pricelist_id": cls.pricelist.id,
                "website_id": cls.website.id,
                "company_id": cls.company.id,
                "test_mode": True,
                "end_user_policy": "create",
                "cxml_buyer_domain": "NetworkID",
                "cxml_buyer_identity": BUYER.identity,
                "cxml_shared_secret": "s3cr3t",
                "cxml_supplier_identity": SUPPLIER.identity,
                "cxml_outbound_secret": "our-secret",
                "allowed_return_urls": "https://prominate-platform.com/",
                "allowed_public_categ_ids": [Command.set(cls.public_categ_office.ids)],
            }
        )

    def post_cxml(self, body, content_type="text/xml; charset=UTF-8"):
        response = self.url_open(
            "/punchout/cxml", data=body, headers={"Content-Type": content_type}, timeout=60
        )
        self.assertEqual(response.status_code, 200, "cXML answers with HTTP 200")
        self.assertTrue(response.headers["Content-Type"].startswith("text/xml"))
        root = assert_valid_cxml(response.content)
        return root, response.content

    @staticmethod
    def status(root):
        status = root.find("Response/Status")
        return int(status.get("code")), (status.text or "").strip()

    def setup_request(self, operation="create", items=(), header=None, mode="test", **values):
        setup = cxml.PunchOutSetupRequest(
            operation=operation,
            buyer_cookie=values.pop("buyer_cookie", "cookie-42"),
            browser_form_post_url=values.pop("browser_form_post_url", FORM_POST),
            extrinsics=values.pop("extrinsics", {"UserEmail": "jane.doe@buyer.example"}),
            items=list(items),
            **values,
        )
        return cxml.build_punchout_setup_request(
            header or buyer_header(), setup, deployment_mode=mode
        )

    def punch_in_cxml(self, **kwargs):
        root, _body = self.post_cxml(self.setup_request(**kwargs))
        self.assertEqual(self.status(root)[0], 200)
        start_url = root.findtext("Response/PunchOutSetupResponse/StartPage/URL")
        self.assertTrue(start_url)
        response = self.url_open(start_url, allow_redirects=False)
        self.assertEqual(response.status_code, 303, response.text[:300])
        return self.env["punchout.session"].search(
            [("connection_id", "=", self.cxml_connection.id)], order="id desc", limit=1
        ), start_url

    def transfer_cart(self, session):
        token = self.csrf_token()
        response = self.url_open(
            "/punchout/transfer", data={"csrf_token": token, "punchout_session_id": session.id}
        )
        self.assertEqual(response.status_code, 200)
        form, pairs = self.parse_return_form(response.content)
        self.assertEqual(form.get("action"), FORM_POST)
        fields_ = dict(pairs)
        name = self.cxml_connection.cxml_form_field_name
        document = cxml.decode_browser_form_value(
            fields_[name], self.cxml_connection.cxml_form_encoding
        )
        return document

    def shop_and_transfer(self):
        session, _url = self.punch_in_cxml()
        self.add_to_cart(self.product_paper, 3)
        self.add_to_cart(self.product_pen, 12)
        document = self.transfer_cart(session)
        return session, document

    def order_from_cart(self, document, order_id="PO-1001", payload_id=None, **values):
        cart = cxml.parse_punchout_order_message(document)
        bill_to = cxml.Address(
            name="Buyer Industries GmbH",
            street=["Hauptstrasse 5"],
            city="Berlin",
            postal_code="10115",
            country_code="DE",
        )
        order = cxml.order_request_from_cart(
            cart,
            order_id,
            bill_to,
            order_date=datetime(2026, 11, 20, 9, 30, tzinfo=timezone.utc),
            **values,
        )
        return cxml.build_order_request(
            buyer_header(), order, deployment_mode="test", payload_id=payload_id
        ), order
