import os
import re
from contextlib import contextmanager
from decimal import Decimal
from functools import cache
from pathlib import Path
from unittest.mock import patch

from lxml import etree, html

from odoo import Command
from odoo.tests import HttpCase

from odoo.addons.base.tests.common import BaseCommon

from ..protocol import cxml, s4

SHARED = Path(
    os.environ.get("PUNCHOUT_SHARED") or Path(__file__).resolve().parents[2].parent / "shared"
)
CXML_DTD_DIR = SHARED / "testdata/cxml/dtd/1.2.063"
CXML_SAMPLES = SHARED / "testdata/cxml/samples"
NO_NETWORK = etree.XMLParser(load_dtd=False, no_network=True, resolve_entities=False)


@cache
def _dtd(name, version):
    path = SHARED / "testdata/cxml/dtd" / version / f"{name}.dtd"
    if not path.exists():
        raise AssertionError(f"The official cXML DTD is missing: {path} (see shared/README.md)")
    return etree.DTD(str(path))


def assert_valid_cxml(document, dtd="cXML", version="1.2.063"):
    """Validate ``document`` (bytes) against an official cXML DTD (by default 1.2.063)."""
    root = etree.fromstring(document, NO_NETWORK)
    # The DOCTYPE names that DTD too: the buyer's system validates against what it names.
    system_url = root.getroottree().docinfo.system_url or ""
    if not system_url.endswith(f"/{version}/{dtd}.dtd"):
        raise AssertionError(f"the DOCTYPE names {system_url!r}, not {version} {dtd}.dtd")
    validator = _dtd(dtd, version)
    if not validator.validate(root):
        raise AssertionError(
            f"not valid against {version} {dtd}.dtd: {validator.error_log.filter_from_errors()}"
        )
    return root


def cxml_ok(message=""):
    """The buyer system's answer taking a cXML document: HTTP 200 with cXML Status 200."""
    return 200, cxml.build_response(200, "OK", message)


class BuyerSystem:
    """The buyer's procurement system behind our one outbound HTTP method
    (``punchout.connection._punchout_post``).

    Records each post in ``received`` as ``(url, body)`` and answers with ``answers`` in turn,
    the last one for every further post: an ``(HTTP status, body)`` pair, an exception to
    raise (``requests.ConnectionError``, ``requests.Timeout``), or a callable taking
    ``(url, body)`` and returning a pair. Without answers: cXML 200 OK.
    """

    def __init__(self, *answers):
        self.answers = list(answers) or [cxml_ok()]
        self.received = []
        # The headers of each post (Content-Type, SOAPAction, Authorization...).
        self.headers = []

    def __call__(self, url, body, content_type="text/xml; charset=UTF-8", headers=None):
        # Patched onto the model class as a plain object: called without the connection.
        self.received.append((url, body))
        self.headers.append({**(headers or {}), "Content-Type": content_type})
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer(url, body) if callable(answer) else answer

    @contextmanager
    def patched(self, env):
        """Within the block, every document we post reaches this system."""
        with patch.object(type(env["punchout.connection"]), "_punchout_post", self):
            yield self


def mock_buyer_system(env, *answers):
    """A context manager within which every document we post reaches a
    ``BuyerSystem(*answers)``, which it yields."""
    return BuyerSystem(*answers).patched(env)


HOOK_URL = "https://srm.buyer.example/sap/bc/gui/sap/its/bbpcatalog?~OkCode=ADDI&sap-client=100"
PASSWORD = "s3cret-Pässword"


class PunchoutCommon(BaseCommon):
    """A buyer with its own pricelist, portal user, assortment and OCI connection."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.website = cls.env.ref("website.default_website")
        cls.company = cls.website.company_id
        cls.currency = cls.company.currency_id
        cls.env["product.pricelist"].search([]).write({"active": False})
        cls.public_pricelist = cls.env["product.pricelist"].create(
            {"name": "Public", "currency_id": cls.currency.id, "sequence": 1}
        )
        cls.website.invalidate_recordset()

        cls.category_office = cls.env["product.category"].create(
            {
                "name": "Office supplies",
                "punchout_classification_scheme": "UNSPSC",
                "punchout_classification_code": "44120000",
            }
        )
        cls.category_paper = cls.env["product.category"].create(
            {"name": "Paper", "parent_id": cls.category_office.id}
        )
        cls.public_categ_office = cls.env["product.public.category"].create({"name": "Office"})
        cls.public_categ_tools = cls.env["product.public.category"].create({"name": "Tools"})

        cls.product_paper = cls.env["product.product"].create(
            {
                "name": "Copy paper A4, 80 g/m², box of 5 reams with a long description",
                "default_code": "PAP-A4-80",
                "list_price": 100.0,
                "categ_id": cls.category_paper.id,
                "public_categ_ids": [Command.set(cls.public_categ_office.ids)],
                "is_published": True,
                "sale_ok": True,
                "type": "consu",
                "description_sale": "Bright white, FSC certified.",
                "punchout_manufacturer_code": "M-77",
                "punchout_manufacturer_part": "XP-80-A4",
                "taxes_id": [Command.clear()],
            }
        )
        cls.product_pen = cls.env["product.product"].create(
            {
                "name": "Ballpoint pen",
                "default_code": "PEN-BLUE",
                "list_price": 20.0,
                "categ_id": cls.category_office.id,
                "public_categ_ids": [Command.set(cls.public_categ_office.ids)],
                "is_published": True,
                "sale_ok": True,
                "type": "consu",
                "taxes_id": [Command.clear()],
            }
        )
        cls.product_drill = cls.env["product.product"].create(
            {
                "name": "Cordless drill",
                "default_code": "DRILL-18V",
                "list_price": 150.0,
                "categ_id": cls.category_office.id,
                "public_categ_ids": [Command.set(cls.public_categ_tools.ids)],
                "is_published": True,
                "sale_ok": True,
                "type": "consu",
                "taxes_id": [Command.clear()],
            }
        )

        cls.buyer = cls.env["res.partner"].create(
            {
                "name": "Buyer Industries GmbH",
                "is_company": True,
                "country_id": cls.env.ref("base.de").id,
            }
        )
        cls.pricelist = cls.env["product.pricelist"].create(
            {
                "name": "Buyer net prices",
                "currency_id": cls.currency.id,
                "selectable": False,
                "item_ids": [
                    Command.create(
                        {
                            "applied_on": "0_product_variant",
                            "product_id": cls.product_paper.id,
                            "compute_price": "fixed",
                            "fixed_price": 81.25,
                        }
                    ),
                    Command.create(
                        {
                            "applied_on": "3_global",
                            "compute_price": "percentage",
                            "percent_price": 10.0,
                        }
                    ),
                ],
            }
        )
        cls.buyer_user = cls._create_portal_user("Buyer Purchasing", "purchasing@buyer.example")
        cls.connection = cls.env["punchout.connection"].create(
            {
                "name": "Buyer SAP",
                "code": "buyer-sap",
                "system_name": "SAP SRM",
                "partner_id": cls.buyer.id,
                "user_id": cls.buyer_user.id,
                "pricelist_id": cls.pricelist.id,
                "website_id": cls.website.id,
                "company_id": cls.company.id,
                "test_mode": False,
                "oci_username": "buyer",
                "oci_password": PASSWORD,
                "oci_vendor_number": "V-1000",
                "allowed_return_urls": "https://srm.buyer.example/sap/\nSAPEVENT:",
                "allowed_public_categ_ids": [Command.set(cls.public_categ_office.ids)],
            }
        )

    @classmethod
    def _add_pen_quantity_break(cls):
        """A quantity break in the buyer's pricelist: pens cost 15 from 100 on."""
        cls.pricelist.item_ids = [
            Command.create(
                {
                    "applied_on": "0_product_variant",
                    "product_id": cls.product_pen.id,
                    "min_quantity": 100,
                    "compute_price": "fixed",
                    "fixed_price": 15.0,
                }
            )
        ]

    @classmethod
    def _create_portal_user(cls, name, login, parent=None):
        partner = cls.env["res.partner"].create(
            {"name": name, "email": login, "parent_id": (parent or cls.buyer).id}
        )
        return (
            cls.env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "login": login,
                    "partner_id": partner.id,
                    "groups_id": [Command.set([cls.env.ref("base.group_portal").id])],
                }
            )
        )


class PunchoutHttpCase(PunchoutCommon, HttpCase):
    """HTTP helpers that act like the buyer's SAP system and the user's browser."""

    def punch_in(self, code="buyer-sap", method="POST", **params):
        values = {"USERNAME": "buyer", "PASSWORD": PASSWORD, "HOOK_URL": HOOK_URL}
        values.update(params)
        values = {key: value for key, value in values.items() if value is not None}
        url = f"/punchout/oci/{code}" if code else "/punchout/oci"
        if method == "GET":
            return self.opener.get(
                self.base_url() + url, params=values, allow_redirects=False, timeout=30
            )
        return self.url_open(url, data=values, allow_redirects=False, timeout=30)

    def last_session(self):
        return self.env["punchout.session"].search(
            [("connection_id", "=", self.connection.id)], order="id desc", limit=1
        )

    def csrf_token(self, url="/shop/cart"):
        response = self.url_open(url)
        self.assertEqual(response.status_code, 200, response.text[:500])
        match = re.search(r'name="csrf_token" value="([^"]+)"', response.text) or re.search(
            r'csrf_token: "([^"]+)"', response.text
        )
        self.assertTrue(match, f"no CSRF token on {url}")
        return match.group(1)

    def add_to_cart(self, product, quantity):
        return self.make_jsonrpc_request(
            "/shop/cart/update_json", {"product_id": product.id, "add_qty": quantity}
        )

    @staticmethod
    def s4_purchase_order(session, po_number="4500000123", **values):
        """The PO the buyer's S/4HANA makes of a transferred OCI cart (``session``): items 10,
        20... with our quotation and line as their QuotationReference."""
        lines = session.order_id.order_line
        items = [
            s4.S4OrderItem(
                item_id=10 * index,
                quantity=Decimal(str(line.product_uom_qty)),
                unit="EA",
                seller_product_id=line.product_id.default_code,
                net_price=Decimal(str(line.price_unit)),
                quotation_id=line.order_id.name,
                quotation_item_id=str(line.id),
            )
            for index, line in enumerate(lines, start=1)
        ]
        return s4.S4Order(
            purchase_order_id=po_number,
            currency=session.order_id.currency_id.name,
            items=items,
            **values,
        )

    def transfer_oci_cart(self, lines, code="buyer-sap"):
        """Punch in with OCI, put ``lines`` ([(product, quantity)]) in the cart and transfer
        it, as the buyer's user does: the transferred session (its quotation in
        ``session.order_id``)."""
        response = self.punch_in(code=code)
        self.assertEqual(response.status_code, 303, response.text[:300])
        session = self.env["punchout.session"].search([], order="id desc", limit=1)
        for product, quantity in lines:
            self.add_to_cart(product, quantity)
        response = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
            timeout=30,
        )
        self.assertEqual(response.status_code, 200, response.text[:300])
        self.assertEqual(session.state, "transferred")
        return session

    def simulated_sap_cart(self, lines=None):
        """Punch in with the buyer simulator's return URL, put ``lines`` ([(product,
        quantity)], default 3 paper and 12 pens) in the cart, transfer: (the quotation, the
        return page as the simulated SAP shows it)."""
        signature = self.env["punchout.simulator"]._signature(self.connection.id)
        return_url = f"/punchout/simulator/return/{self.connection.id}/{signature}/utf-8"
        response = self.punch_in(HOOK_URL=self.base_url() + return_url)
        self.assertEqual(response.status_code, 303, response.text[:300])
        session = self.last_session()
        for product, quantity in lines or [(self.product_paper, 3), (self.product_pen, 12)]:
            self.add_to_cart(product, quantity)
        transfer = self.url_open(
            "/punchout/transfer",
            data={"csrf_token": self.csrf_token(), "punchout_session_id": session.id},
        )
        form, pairs = self.parse_return_form(transfer.content)
        self.assertEqual(form.get("action"), self.base_url() + return_url)
        page = self.url_open(return_url, data=pairs)
        self.assertEqual(page.status_code, 200)
        return session.order_id, page

    @staticmethod
    def simulator_approval_form(page):
        """(action, hidden fields) of the simulated SAP's approval form on a return page."""
        document = html.fromstring(page.text)
        (form,) = document.xpath("//div[hasclass('o_punchout_sim_approval')]//form")
        return form.get("action"), {
            field.get("name"): field.get("value")
            for field in form.xpath(".//input[@type='hidden']")
        }

    @staticmethod
    def parse_return_form(content, charset="utf-8"):
        """The OCI return page as the buyer's browser sees it: (form element, [(name, value)])."""
        document = html.fromstring(content.decode(charset))
        forms = document.xpath("//form")
        assert len(forms) == 1, "the return page must hold exactly one form"
        form = forms[0]
        pairs = [
            (field.get("name"), field.get("value") or "")
            for field in form.xpath(".//input[@type='hidden']")
        ]
        return form, pairs
