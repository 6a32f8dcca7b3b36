"""Benchmark the cXML OrderRequest against Odoo's own UBL order import, measured in the same run.

Run through ``scripts/benchmark.sh`` (``make benchmark``, or ``scripts/benchmark.sh --cxml``),
which builds the database with oci_punchout and sale_edi_ubl, runs the ``--setup`` step below,
starts an Odoo server on 127.0.0.1 with its access log in a file and calls this script against
it. As in ``benchmark_oci.py``, figures are ratios against Odoo's own equivalent measured in the
same run, plus SQL query counts per request read from the server's werkzeug access log.

For N = 10 and 50 lines, each round (after the warm-up rounds) with fresh documents:

1. Untimed: a PunchOutSetupRequest for the ``demo-cxml`` connection to ``/punchout/cxml``, the
   StartPage, N distinct benchmark products added through ``/shop/cart/update_json``, the
   transfer (``/punchout/transfer``), the PunchOutOrderMessage decoded from the returned form.
2. Timed, ours: the buyer's OrderRequest built from that cart, POSTed to ``/punchout/cxml``
   (answer Status 200, the transferred quotation confirmed with its N lines and PO number), and
   an OrderRequest of the same N products with no punchout history (plain SupplierPartIDs =
   internal references, a new sale order).
3. Timed, Odoo: a Peppol BIS Order 3 (UBL 2.1 Order) of the same N products, imported the way the
   "Upload" button of the sales list does it (``ir.attachment`` create, then
   ``sale.order.create_document_from_attachment``, i.e. sale_edi_ubl's decoder) and confirmed
   with ``action_confirm`` (the Confirm button), as an internal sales user over JSON-RPC.

The three run in a rotating order within each round. With ``--in-process`` the same three are
measured once more inside this process (Odoo imported, a cursor of its own on the database; the
queries counted by odoo.sql_db like the access log does): no HTTP, no JSON-RPC, no session; ours
with the controller's two steps (store the document, handle it) in one transaction. The
SharedSecret check alone (a passlib verify, part of every cXML request) is timed there too.

The ``--setup`` step (run before the server starts, never measured) gives the internal user
``benchmark-sales`` the password in BENCH_SALES_PASSWORD, creates published benchmark products
if fewer than needed exist, activates the demo buyer's currency (EUR) and cancels what an
aborted run left open (punch-ins, transferred quotations) on the connection.
"""

import base64
import os
import sys
import time
from dataclasses import replace
from datetime import datetime, timezone
from decimal import Decimal
from urllib.parse import urlsplit

import psycopg2
import requests
from bench import (
    BENCH_PRODUCT_PREFIX,
    AccessLog,
    BenchmarkError,
    CartFiller,
    Client,
    Database,
    InProcess,
    argument_parser,
    bench_product_domain,
    check_loopback,
    create_bench_products,
    expect,
    find_form,
    fmt_queries,
    jsonrpc,
    load_protocol,
    median,
    odoo_registry,
    p90,
    ratio,
    redirect_target,
    sum_queries,
    time_stats,
    timed,
    write_json,
)
from lxml import etree

CONNECTION_CODE = "demo-cxml"
BUYER_DOMAIN = "NetworkID"
BUYER_IDENTITY = "AN01000000001"
BUYER_SECRET_DEFAULT = "demo-secret"  # noqa: S105 (the demo connection's published secret)
SUPPLIER_IDENTITY = "AN01000000002"
RETURN_URL = "https://service.ariba.example/punchout/benchmark-return"
SALES_LOGIN = "benchmark-sales"
SALES_EMAIL = "benchmark-sales@example.com"
BUYER_XMLID = "oci_punchout.demo_buyer_company"
BUYER_ADDRESS = {
    "name": "Demo Buyer B.V.",
    "street": "Stationsplein 1",
    "city": "Utrecht",
    "postal_code": "3511 ED",
    "country_code": "NL",
    "email": "purchasing@demo-buyer.example",
    "vat": "NL000099998B57",
}
LINE_COUNTS = (10, 50)
PRODUCT_MARGIN = 10  # spare candidates, in case some product cannot be added as is
ORDER_QUANTITY = 2  # plain and UBL orders; the carts hold one unit a line (never matched)

UBL_NS = "urn:oasis:names:specification:ubl:schema:xsd:Order-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
PEPPOL_CUSTOMIZATION = "urn:fdc:peppol.eu:poacc:trns:order:3"
PEPPOL_PROFILE = "urn:fdc:peppol.eu:poacc:bis:ordering:3"

PATHS = ("ours_cart", "ours_plain", "odoo")
PO_KINDS = {"ours_cart": "CART", "ours_plain": "PLAIN", "odoo": "UBL"}
PATH_LABELS = {
    "ours_cart": "ours  OrderRequest of the cart",
    "ours_plain": "ours  OrderRequest, no punchout history",
    "odoo": "Odoo  UBL upload + confirm",
}
RATIO_LABELS = {"ours_cart": "ours (cart)", "ours_plain": "ours (no history)"}
ODOO_PARTS = ("attachment", "import", "confirm")
ODOO_PART_LABELS = {
    "attachment": "ir.attachment create",
    "import": "create_document_from_att.",
    "confirm": "action_confirm",
}


cxml = load_protocol().cxml


# ----------------------------------------------------------------------
# Setup (imports Odoo; runs before the server starts) and Odoo for --in-process
# ----------------------------------------------------------------------


def run_setup(db, addons_path, min_products):
    from odoo import SUPERUSER_ID, Command, api

    password = os.environ.get("BENCH_SALES_PASSWORD")
    if not password:
        raise BenchmarkError("BENCH_SALES_PASSWORD is not set.")
    registry = odoo_registry(db, addons_path)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        installed = env["ir.module.module"].search(
            [("name", "in", ("oci_punchout", "sale_edi_ubl")), ("state", "=", "installed")]
        )
        if len(installed) != 2:
            raise BenchmarkError(f"{db} needs oci_punchout and sale_edi_ubl installed.")
        connection = env["punchout.connection"].search([("code", "=", CONNECTION_CODE)])
        if not connection:
            raise BenchmarkError(f"No punchout connection with code {CONNECTION_CODE!r}.")
        # The salesperson who uploads the buyers' UBL orders (Odoo's side).
        Users = env["res.users"].with_context(active_test=False, no_reset_password=True)
        user = Users.search([("login", "=", SALES_LOGIN)])
        values = {
            "active": True,
            "email": SALES_EMAIL,  # Odoo's import posts messages as this user
            "company_id": connection.company_id.id,
            "company_ids": [Command.set(connection.company_id.ids)],
            "groups_id": [
                Command.set(
                    [env.ref("base.group_user").id, env.ref("sales_team.group_sale_manager").id]
                )
            ],
        }
        if user:
            user.write(values)
        else:
            user = Users.create({"name": "Benchmark Salesperson", "login": SALES_LOGIN, **values})
        user.password = password
        # The buyer orders in its pricelist's currency; an inactive one makes Odoo's import
        # log a warning (an activity) on every order.
        currency = connection.pricelist_id.currency_id
        if not currency.active:
            currency.active = True
            print(f"   activated the currency {currency.name} (the demo buyer's pricelist)")
        # Nothing of an aborted run may be matched: no open punch-in, no transferred quotation.
        env["punchout.session"].search(
            [("connection_id", "=", connection.id), ("state", "=", "open")]
        )._expire()
        leftovers = env["sale.order"].search(
            [
                ("punchout_connection_id", "=", connection.id),
                ("state", "in", ("draft", "sent")),
                ("punchout_po_number", "=", False),
            ]
        )
        leftovers._action_cancel()
        # Published benchmark products with internal references (shared with benchmark_oci).
        count = env["product.template"].search_count(bench_product_domain())
        if count < min_products:
            missing = min_products - count
            create_bench_products(env, missing)
            print(f"   created {missing} published benchmark products")
        cr.commit()
    print(
        f"   sales user {SALES_LOGIN}: password set; {max(count, min_products)} benchmark "
        f"products; {len(leftovers)} leftover quotation(s) cancelled"
    )


# ----------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------


def buyer_header(secret):
    return cxml.Header(
        from_credentials=[cxml.Credential(BUYER_DOMAIN, BUYER_IDENTITY)],
        to_credentials=[cxml.Credential("NetworkID", SUPPLIER_IDENTITY)],
        sender_credentials=[cxml.Credential(BUYER_DOMAIN, BUYER_IDENTITY, secret)],
        user_agent="oci_punchout benchmark",
    )


def buyer_address():
    return cxml.Address(
        name=BUYER_ADDRESS["name"],
        street=[BUYER_ADDRESS["street"]],
        city=BUYER_ADDRESS["city"],
        postal_code=BUYER_ADDRESS["postal_code"],
        country_code=BUYER_ADDRESS["country_code"],
    )


def order_lines_of(cart):
    """The lines the plain and UBL orders repeat: the cart's products and net prices."""
    return [
        {
            "code": item.supplier_part_id,
            "name": item.short_name or item.description or item.supplier_part_id,
            "description": item.description or item.short_name or item.supplier_part_id,
            "price": item.unit_price.amount,
            "currency": item.unit_price.currency,
        }
        for item in cart.items
    ]


def cart_order_request(cart, po_number, secret):
    """Ours: the buyer's OrderRequest made from the returned cart (references kept)."""
    order = cxml.order_request_from_cart(
        cart,
        po_number,
        buyer_address(),
        ship_to=buyer_address(),
        order_date=datetime.now(timezone.utc),
    )
    return cxml.build_order_request(buyer_header(secret), order, deployment_mode="test")


def plain_order_request(cart, po_number, secret):
    """Ours: an OrderRequest of the cart's products with no punchout history: no
    SupplierPartAuxiliaryID (our quotation line references), other quantities."""
    quantity = Decimal(ORDER_QUANTITY)
    items = [
        replace(item, quantity=quantity, line_number=number, supplier_part_auxiliary_id="")
        for number, item in enumerate(cart.items, 1)
    ]
    total = sum((item.unit_price.amount * quantity for item in items), Decimal(0))
    order = cxml.OrderRequest(
        order_id=po_number,
        order_date=datetime.now(timezone.utc),
        total=cxml.Money(total, cart.total.currency),
        ship_to=buyer_address(),
        bill_to=buyer_address(),
        items=items,
    )
    return cxml.build_order_request(buyer_header(secret), order, deployment_mode="test")


def _ubl(parent, ns, tag, text=None, **attrib):
    element = etree.SubElement(parent, f"{{{ns}}}{tag}", {k: str(v) for k, v in attrib.items()})
    if text is not None:
        element.text = str(text)
    return element


def _ubl_party(parent, role, name, endpoint, eas, address=None, vat=None, email=None):
    party = _ubl(_ubl(parent, CAC, role), CAC, "Party")
    _ubl(party, CBC, "EndpointID", endpoint, schemeID=eas)
    _ubl(_ubl(party, CAC, "PartyName"), CBC, "Name", name)
    if address:
        postal = _ubl(party, CAC, "PostalAddress")
        _ubl(postal, CBC, "StreetName", address["street"])
        _ubl(postal, CBC, "CityName", address["city"])
        _ubl(postal, CBC, "PostalZone", address["postal_code"])
        _ubl(_ubl(postal, CAC, "Country"), CBC, "IdentificationCode", address["country_code"])
    if vat:
        tax_scheme = _ubl(party, CAC, "PartyTaxScheme")
        _ubl(tax_scheme, CBC, "CompanyID", vat)
        _ubl(_ubl(tax_scheme, CAC, "TaxScheme"), CBC, "ID", "VAT")
    _ubl(_ubl(party, CAC, "PartyLegalEntity"), CBC, "RegistrationName", name)
    if email:
        _ubl(_ubl(party, CAC, "Contact"), CBC, "ElectronicMail", email)


def ubl_order(lines, po_number, seller, tax_percent):
    """Odoo's side: a Peppol BIS Order 3 (UBL 2.1 Order) of the same products.

    Buyer = the demo buyer company (found by its VAT number), seller = our company, lines by
    SellersItemIdentification = internal reference, with quantities, net prices and the
    products' VAT rate (so that Odoo finds the tax).
    """
    root = etree.Element(f"{{{UBL_NS}}}Order", nsmap={None: UBL_NS, "cac": CAC, "cbc": CBC})
    today = datetime.now(timezone.utc).date().isoformat()
    currency = lines[0]["currency"]
    quantity = Decimal(ORDER_QUANTITY)
    _ubl(root, CBC, "CustomizationID", PEPPOL_CUSTOMIZATION)
    _ubl(root, CBC, "ProfileID", PEPPOL_PROFILE)
    _ubl(root, CBC, "ID", po_number)
    _ubl(root, CBC, "IssueDate", today)
    _ubl(root, CBC, "DocumentCurrencyCode", currency)
    buyer = BUYER_ADDRESS
    _ubl_party(
        root,
        "BuyerCustomerParty",
        buyer["name"],
        buyer["vat"],
        "9944",  # NL VAT number
        address=buyer,
        vat=buyer["vat"],
        email=buyer["email"],
    )
    _ubl_party(root, "SellerSupplierParty", seller["name"], seller["endpoint"], seller["eas"])
    delivery = _ubl(root, CAC, "Delivery")
    location = _ubl(_ubl(delivery, CAC, "DeliveryLocation"), CAC, "Address")
    _ubl(location, CBC, "StreetName", buyer["street"])
    _ubl(location, CBC, "CityName", buyer["city"])
    _ubl(location, CBC, "PostalZone", buyer["postal_code"])
    _ubl(_ubl(location, CAC, "Country"), CBC, "IdentificationCode", buyer["country_code"])
    delivery_party = _ubl(delivery, CAC, "DeliveryParty")
    _ubl(_ubl(delivery_party, CAC, "PartyName"), CBC, "Name", buyer["name"])
    _ubl(_ubl(delivery_party, CAC, "Contact"), CBC, "ElectronicMail", buyer["email"])
    amounts = [(line["price"] * quantity).quantize(Decimal("0.01")) for line in lines]
    untaxed = sum(amounts, Decimal(0))
    tax = (untaxed * Decimal(str(tax_percent)) / 100).quantize(Decimal("0.01"))
    _ubl(_ubl(root, CAC, "TaxTotal"), CBC, "TaxAmount", tax, currencyID=currency)
    totals = _ubl(root, CAC, "AnticipatedMonetaryTotal")
    _ubl(totals, CBC, "LineExtensionAmount", untaxed, currencyID=currency)
    _ubl(totals, CBC, "TaxExclusiveAmount", untaxed, currencyID=currency)
    _ubl(totals, CBC, "TaxInclusiveAmount", untaxed + tax, currencyID=currency)
    _ubl(totals, CBC, "PayableAmount", untaxed + tax, currencyID=currency)
    for number, (line, amount) in enumerate(zip(lines, amounts, strict=True), 1):
        item_line = _ubl(_ubl(root, CAC, "OrderLine"), CAC, "LineItem")
        _ubl(item_line, CBC, "ID", number)
        _ubl(item_line, CBC, "Quantity", quantity, unitCode="C62")
        _ubl(item_line, CBC, "LineExtensionAmount", amount, currencyID=currency)
        price = _ubl(item_line, CAC, "Price")
        _ubl(price, CBC, "PriceAmount", line["price"], currencyID=currency)
        _ubl(price, CBC, "BaseQuantity", 1, unitCode="C62")
        item = _ubl(item_line, CAC, "Item")
        _ubl(item, CBC, "Description", line["description"])
        _ubl(item, CBC, "Name", line["name"])
        _ubl(_ubl(item, CAC, "SellersItemIdentification"), CBC, "ID", line["code"])
        category = _ubl(item, CAC, "ClassifiedTaxCategory")
        _ubl(category, CBC, "ID", "S")
        _ubl(category, CBC, "Percent", tax_percent)
        _ubl(_ubl(category, CAC, "TaxScheme"), CBC, "ID", "VAT")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


# ----------------------------------------------------------------------
# The database (reads only, to check the outcome of each measured call)
# ----------------------------------------------------------------------


class CxmlDatabase(Database):
    """The scenario's products, buyer and taxes, read with plain SQL."""

    def products(self, count):
        """Published saleable benchmark products of the connection's website, by reference."""
        rows = self.fetchall(
            """
            SELECT pp.id
              FROM product_product pp
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              JOIN punchout_connection pc ON pc.code = %s
             WHERE pp.active AND pt.active AND pt.sale_ok AND pt.is_published
               AND pt.default_code LIKE %s
               AND (pt.website_id IS NULL OR pt.website_id = pc.website_id)
               AND (pt.company_id IS NULL OR pt.company_id = pc.company_id)
          ORDER BY pt.default_code, pp.id
             LIMIT %s
            """,
            [CONNECTION_CODE, BENCH_PRODUCT_PREFIX + "%", count],
        )
        products = [row[0] for row in rows]
        if len(products) < max(LINE_COUNTS):
            raise BenchmarkError(
                f"{len(products)} published benchmark products, {max(LINE_COUNTS)} needed: run "
                "the setup step first (scripts/benchmark.sh does)."
            )
        return products

    def tax_percent(self, product_ids):
        """The sales VAT rate of these products (one rate: the UBL lines carry it)."""
        rows = self.fetchall(
            """
            SELECT DISTINCT t.amount
              FROM product_product pp
              JOIN product_taxes_rel r ON r.prod_id = pp.product_tmpl_id
              JOIN account_tax t ON t.id = r.tax_id
             WHERE pp.id = ANY(%s) AND t.type_tax_use = 'sale' AND t.amount_type = 'percent'
            """,
            [list(product_ids)],
        )
        if len(rows) != 1:
            raise BenchmarkError(f"The benchmark products have {len(rows)} VAT rates, not 1.")
        return Decimal(str(rows[0][0])).normalize()

    def seller(self):
        name, vat, eas, endpoint = self.fetchone(
            """
            SELECT p.name, p.vat, p.peppol_eas, p.peppol_endpoint
              FROM punchout_connection pc
              JOIN res_company c ON c.id = pc.company_id
              JOIN res_partner p ON p.id = c.partner_id
             WHERE pc.code = %s
            """,
            [CONNECTION_CODE],
        )
        if eas and endpoint:
            return {"name": name, "eas": eas, "endpoint": endpoint}
        # The demo company has no Peppol address; Odoo's import does not read the seller.
        return {"name": name, "eas": "0088", "endpoint": vat or "0000000000000"}

    def order_by_po(self, po_number):
        return self.fetchone(
            """
            SELECT so.id, so.state, so.client_order_ref, so.punchout_session_id,
                   (SELECT count(*) FROM sale_order_line l
                     WHERE l.order_id = so.id AND l.display_type IS NULL
                       AND l.product_id IS NOT NULL)
              FROM sale_order so
              JOIN punchout_connection pc ON pc.id = so.punchout_connection_id
             WHERE pc.code = %s AND so.punchout_po_number = %s AND so.state != 'cancel'
            """,
            [CONNECTION_CODE, po_number],
        )

    def order_by_id(self, order_id):
        return self.fetchone(
            """
            SELECT so.state, so.client_order_ref, p.commercial_partner_id,
                   (SELECT count(*) FROM sale_order_line l
                     WHERE l.order_id = so.id AND l.display_type IS NULL
                       AND l.product_id IS NOT NULL),
                   (SELECT count(*) FROM mail_activity a
                     WHERE a.res_model = 'sale.order' AND a.res_id = so.id)
              FROM sale_order so
              JOIN res_partner p ON p.id = so.partner_id
             WHERE so.id = %s
            """,
            [order_id],
        )

    def buyer_partner_id(self):
        row = self.fetchone(
            "SELECT res_id FROM ir_model_data WHERE module = %s AND name = %s",
            BUYER_XMLID.split("."),
        )
        return row[0] if row else None


def check_our_order(database, po_number, size, from_cart):
    row = database.order_by_po(po_number)
    if not row:
        raise BenchmarkError(f"No sale order with PO number {po_number}.")
    _order_id, state, ref, session_id, lines = row
    if state != "sale" or ref != po_number or lines != size:
        raise BenchmarkError(
            f"PO {po_number}: order state {state}, reference {ref}, {lines} lines; "
            f"expected a confirmed order of {size} lines."
        )
    if from_cart and not session_id:
        raise BenchmarkError(f"PO {po_number} did not go to the transferred quotation.")


def check_odoo_order(database, order_id, po_number, size, buyer_id):
    row = database.order_by_id(order_id)
    if not row:
        raise BenchmarkError(f"Odoo's import made no order {order_id}.")
    state, ref, partner_id, lines, activities = row
    if state != "sale" or ref != po_number or lines != size or partner_id != buyer_id:
        raise BenchmarkError(
            f"UBL order {po_number}: state {state}, reference {ref}, {lines} product lines, "
            f"customer {partner_id}; expected a confirmed order of {size} lines for the buyer "
            f"{buyer_id}."
        )
    return activities


# ----------------------------------------------------------------------
# Measurements over HTTP
# ----------------------------------------------------------------------


class Bench:
    def __init__(self, args, database):
        self.args = args
        self.database = database
        self.client = Client(args.url, AccessLog(args.log))
        self.secret = os.environ.get("BENCH_CXML_SECRET") or BUYER_SECRET_DEFAULT
        self.sales_password = os.environ.get("BENCH_SALES_PASSWORD") or ""
        if not self.sales_password:
            raise BenchmarkError("BENCH_SALES_PASSWORD is not set (see scripts/benchmark.sh).")
        self.products = database.products(max(LINE_COUNTS) + PRODUCT_MARGIN)
        self.tax_percent = database.tax_percent(self.products)
        self.seller = database.seller()
        self.buyer_id = database.buyer_partner_id()
        self.run_id = f"{int(time.time())}-{os.getpid()}"
        self.sequence = 0
        self.odoo_activities = 0
        self.sales = requests.Session()
        self.context = self.sales_login()

    def close(self):
        self.sales.close()

    def po_number(self, kind, size):
        self.sequence += 1
        return f"BENCH-{kind}-{size}-{self.run_id}-{self.sequence}"

    # -- helpers -------------------------------------------------------------

    def rpc(self, session, route, params, what):
        """A JSON-RPC call as Odoo's web client makes it: (result, seconds, queries)."""
        response, elapsed, queries = self.client.request(
            session, "POST", route, json=jsonrpc(params)
        )
        expect(response, 200, what)
        answer = response.json()
        if answer.get("error"):
            error = answer["error"].get("data", {}).get("message") or answer["error"]
            raise BenchmarkError(f"{what}: {error}")
        return answer.get("result"), elapsed, queries

    def sales_login(self):
        """Log the sales user in (not measured); the web client's user context."""
        result, _t, _q = self.rpc(
            self.sales,
            "/web/session/authenticate",
            {"db": self.args.db, "login": SALES_LOGIN, "password": self.sales_password},
            "login of the sales user",
        )
        if not result or not result.get("uid"):
            raise BenchmarkError(f"The sales user {SALES_LOGIN} cannot log in.")
        context = dict(result.get("user_context") or {})
        company_id = (result.get("user_companies") or {}).get("current_company")
        if company_id:
            context["allowed_company_ids"] = [company_id]
        return context

    def post_cxml(self, session, body, what):
        response, elapsed, queries = self.client.request(
            session,
            "POST",
            "/punchout/cxml",
            data=body,
            headers={"Content-Type": "text/xml; charset=UTF-8"},
        )
        expect(response, 200, what)
        answer = cxml.parse_response(response.content)
        return answer, elapsed, queries

    # -- untimed: a transferred cart -----------------------------------------

    def prepare_cart(self, size):
        """Punch in, fill ``size`` lines, transfer: the PunchOutOrderMessage (not measured)."""
        with requests.Session() as session:
            setup = cxml.PunchOutSetupRequest(
                operation="create",
                buyer_cookie=f"bench-{self.run_id}-{self.sequence}",
                browser_form_post_url=RETURN_URL,
            )
            body = cxml.build_punchout_setup_request(
                buyer_header(self.secret), setup, deployment_mode="test"
            )
            answer, _t, _q = self.post_cxml(session, body, "PunchOutSetupRequest")
            if answer.status_code != 200 or not answer.start_url:
                raise BenchmarkError(
                    f"PunchOutSetupRequest: Status {answer.status_code} {answer.message}"
                )
            start = urlsplit(answer.start_url)
            response, _t, _q = self.client.request(
                session, "GET", start.path + (f"?{start.query}" if start.query else "")
            )
            redirect_target(response, "GET the StartPage")
            CartFiller(self.client, session, self.products).fill_to(size)
            response, _t, _q = self.client.request(session, "GET", "/shop/cart")
            expect(response, 200, "GET /shop/cart")
            form = find_form(response.text, "/punchout/transfer")
            if not form or not form.get("punchout_session_id") or not form.get("csrf_token"):
                raise BenchmarkError("The cart page has no transfer form.")
            response, _t, _q = self.client.request(
                session,
                "POST",
                "/punchout/transfer",
                data={
                    "csrf_token": form["csrf_token"],
                    "punchout_session_id": form["punchout_session_id"],
                },
            )
            expect(response, 200, "POST /punchout/transfer")
        fields_ = find_form(response.text, urlsplit(RETURN_URL).path) or {}
        value = next((v for k, v in fields_.items() if k.lower().startswith("cxml-")), None)
        if value is None:
            raise BenchmarkError("The transfer page has no cXML cart field.")
        cart = cxml.parse_punchout_order_message(cxml.decode_browser_form_value(value))
        if len(cart.items) != size:
            raise BenchmarkError(f"The cart message has {len(cart.items)} lines, not {size}.")
        return cart

    # -- timed: the three paths ----------------------------------------------

    def ours(self, body, po_number, size, from_cart):
        with requests.Session() as session:
            answer, elapsed, queries = self.post_cxml(session, body, "OrderRequest")
        if answer.status_code != 200:
            raise BenchmarkError(
                f"OrderRequest {po_number}: Status {answer.status_code} {answer.message}"
            )
        check_our_order(self.database, po_number, size, from_cart)
        return {"total": (elapsed, queries)}

    def odoo(self, document, po_number, size):
        """Odoo's "Upload" button of the sales list, then its Confirm button."""
        context = self.context
        ids, t_attach, q_attach = self.rpc(
            self.sales,
            "/web/dataset/call_kw/ir.attachment/create",
            {
                "model": "ir.attachment",
                "method": "create",
                "args": [
                    [
                        {
                            "name": f"{po_number}.xml",
                            "mimetype": "text/xml",
                            "datas": base64.b64encode(document).decode("ascii"),
                        }
                    ]
                ],
                "kwargs": {"context": context},
            },
            "ir.attachment create",
        )
        action, t_import, q_import = self.rpc(
            self.sales,
            "/web/dataset/call_kw/sale.order/create_document_from_attachment",
            {
                "model": "sale.order",
                "method": "create_document_from_attachment",
                "args": ["", ids],
                "kwargs": {"context": context},
            },
            "sale.order create_document_from_attachment",
        )
        order_id = (action or {}).get("res_id")
        if not order_id:
            raise BenchmarkError(f"Odoo's UBL import made no single order: {action!r}")
        _result, t_confirm, q_confirm = self.rpc(
            self.sales,
            "/web/dataset/call_button/sale.order/action_confirm",
            {
                "model": "sale.order",
                "method": "action_confirm",
                "args": [[order_id]],
                "kwargs": {"context": context},
            },
            "sale.order action_confirm",
        )
        self.odoo_activities += check_odoo_order(
            self.database, order_id, po_number, size, self.buyer_id
        )
        parts = {
            "attachment": (t_attach, q_attach),
            "import": (t_import, q_import),
            "confirm": (t_confirm, q_confirm),
        }
        return {
            **parts,
            "total": (
                sum(t for t, _q in parts.values()),
                sum_queries(q for _t, q in parts.values()),
            ),
        }

    def documents(self, cart, po):
        """The three purchase orders of a round: ours from the cart, ours plain, UBL."""
        lines = order_lines_of(cart)
        return {
            "ours_cart": cart_order_request(cart, po["ours_cart"], self.secret),
            "ours_plain": plain_order_request(cart, po["ours_plain"], self.secret),
            "odoo": ubl_order(lines, po["odoo"], self.seller, self.tax_percent),
        }

    def round(self, size, index, in_process=None):
        """One round for ``size`` lines: the three paths in a rotating order."""
        cart = self.prepare_cart(size)
        po = {which: self.po_number(PO_KINDS[which], size) for which in PATHS}
        bodies = self.documents(cart, po)
        shift = index % len(PATHS)
        result = {}
        for which in PATHS[shift:] + PATHS[:shift]:
            if which == "odoo":
                result[which] = self.odoo(bodies[which], po[which], size)
            else:
                result[which] = self.ours(
                    bodies[which], po[which], size, from_cart=which == "ours_cart"
                )
        if in_process is not None:
            # The same documents once more, in this process; a second cart for ours.
            cart = self.prepare_cart(size)
            po = {which: self.po_number(f"IP-{PO_KINDS[which]}", size) for which in PATHS}
            bodies = self.documents(cart, po)
            result["in_process"] = {}
            for which in PATHS[shift:] + PATHS[:shift]:
                result["in_process"][which] = in_process.measure(
                    which, bodies[which], po[which], size
                )
            result["secret_check"] = in_process.secret_check(self.secret)
        return result

    def rounds(self, in_process=None):
        samples = {}
        total = self.args.warmup + self.args.rounds
        for size in LINE_COUNTS:
            samples[size] = []
            for index in range(total):
                measured = index >= self.args.warmup
                label = "measured" if measured else "warm-up"
                print(
                    f"   {size} lines: round {index + 1}/{total} ({label})",
                    file=sys.stderr,
                    end="\r",
                )
                result = self.round(size, index, in_process)
                if measured:
                    samples[size].append(result)
            print(file=sys.stderr)
        return samples


# ----------------------------------------------------------------------
# Measurements in this process (--in-process)
# ----------------------------------------------------------------------


class InProcessBench:
    """The same calls without HTTP: each in a transaction of its own, committed.

    Ours: what ``/punchout/cxml`` does with an OrderRequest, in one transaction:
    ``punchout.message._cxml_store`` then ``punchout.cxml._handle_request``, as
    superuser. Odoo's: ``ir.attachment`` create, ``sale.order._create_order_from_attachment``,
    ``action_confirm``, as the sales user with the web client's context.
    Queries are counted by odoo.sql_db's per-thread counter (what the access log shows).
    """

    def __init__(self, args, database, bench):
        self.odoo = InProcess(args.db, args.addons_path)
        self.superuser_id = self.odoo.superuser_id
        self.database = database
        self.bench = bench
        self.sales_uid = self.odoo.run(
            lambda env: env["res.users"].search([("login", "=", SALES_LOGIN)]).id
        )
        self.activities = 0

    def _run(self, uid, context, function):
        return self.odoo.transaction(function, uid, context)

    def measure(self, which, body, po_number, size):
        if which == "odoo":
            order_id, elapsed, queries = self._run(
                self.sales_uid, self.bench.context, lambda env: self._odoo_import(env, body)
            )
            self.activities += check_odoo_order(
                self.database, order_id, po_number, size, self.bench.buyer_id
            )
        else:
            response, elapsed, queries = self._run(
                self.superuser_id, {}, lambda env: self._ours(env, body)
            )
            answer = cxml.parse_response(response)
            if answer.status_code != 200:
                raise BenchmarkError(
                    f"OrderRequest {po_number} (in-process): Status {answer.status_code} "
                    f"{answer.message}"
                )
            check_our_order(self.database, po_number, size, which == "ours_cart")
        return {"total": (elapsed, queries)}

    def secret_check(self, secret):
        """The SharedSecret verification alone (part of every cXML request): seconds."""

        def check(env):
            connection = env["punchout.connection"].search([("code", "=", CONNECTION_CODE)])
            start = time.perf_counter()
            env["punchout.cxml"]._check_secret(connection, secret)
            return time.perf_counter() - start

        elapsed, _total, _queries = self._run(self.superuser_id, {}, check)
        return elapsed

    @staticmethod
    def _ours(env, body):
        message = env["punchout.message"]._cxml_store(body, "127.0.0.1")
        return env["punchout.cxml"]._handle_request(cxml.parse_request(body), body, message)

    @staticmethod
    def _odoo_import(env, document):
        attachment = env["ir.attachment"].create(
            {
                "name": "order.xml",
                "mimetype": "text/xml",
                "datas": base64.b64encode(document),
            }
        )
        orders = env["sale.order"]._create_order_from_attachment(attachment.ids)
        orders.action_confirm()
        return orders.id


# ----------------------------------------------------------------------
# Statistics and report
# ----------------------------------------------------------------------


def summarize_paths(samples, key=None):
    """Per line count: time and query statistics of each path (and of Odoo's parts)."""
    result = {}
    for size, rounds in samples.items():
        entries = [entry[key] if key else entry for entry in rounds]
        sizes = {which: timed([entry[which]["total"] for entry in entries]) for which in PATHS}
        odoo_total = [entry["odoo"]["total"][0] for entry in entries]
        for which in ("ours_cart", "ours_plain"):
            ours_total = [entry[which]["total"][0] for entry in entries]
            sizes[f"ratio_{which}_odoo"] = {
                "median": ratio(ours_total, odoo_total, median),
                "p90": ratio(ours_total, odoo_total, p90),
            }
        if all(part in entries[0]["odoo"] for part in ODOO_PARTS):
            sizes["odoo_parts"] = {
                part: timed([entry["odoo"][part] for entry in entries]) for part in ODOO_PARTS
            }
        result[str(size)] = sizes
    return result


def per_extra_line(section, key, part=None):
    """SQL queries per extra line from the smallest to the largest line count (medians)."""
    small, large = str(min(LINE_COUNTS)), str(max(LINE_COUNTS))
    low, high = (
        (section[size]["odoo_parts"][part] if part else section[size][key])["queries"]["median"]
        for size in (small, large)
    )
    if low is None or high is None:
        return None
    return round((high - low) / (max(LINE_COUNTS) - min(LINE_COUNTS)), 2)


def summarize(samples, in_process):
    summary = {}
    for name, key in (("http", None), ("in_process", "in_process")):
        if key and not in_process:
            continue
        section = summarize_paths(samples, key)
        summary[name] = section
        scaling = {which: per_extra_line(section, which) for which in PATHS}
        if "odoo_parts" in section[str(min(LINE_COUNTS))]:
            for part in ODOO_PARTS:
                scaling[f"odoo.{part}"] = per_extra_line(section, "odoo", part)
        summary[f"{name}_queries_per_extra_line"] = scaling
    if in_process:
        summary["in_process_secret_check"] = time_stats(
            [entry["secret_check"] for rounds in samples.values() for entry in rounds]
        )
    return summary


LABEL_WIDTH = 40
COLUMN_WIDTH = 37


def _cells(entry):
    timing = entry["time"]
    return (
        f"{timing['median_ms']:>8.1f}ms{timing['p90_ms']:>8.1f}ms"
        f"  {fmt_queries(entry['queries']):>{COLUMN_WIDTH - 22}}"
    )


def _table(lines, title, section, scaling, rows):
    """One row per path: median, p90 and queries at each line count, queries per extra line."""
    sizes = list(section)
    lines += [
        "",
        title,
        " " * LABEL_WIDTH
        + "".join(f"{f'{size} lines':^{COLUMN_WIDTH}}" for size in sizes)
        + f"{'queries per':>14}",
        f"{'':<{LABEL_WIDTH}}"
        + f"{'median':>10}{'p90':>10}  {'queries':>{COLUMN_WIDTH - 22}}" * len(sizes)
        + f"{'extra line':>14}",
    ]
    for key, label, getter in rows:
        per_line = scaling.get(key)
        lines.append(
            f"{label:<{LABEL_WIDTH}}"
            + "".join(_cells(getter(section[size])) for size in sizes)
            + (f"{per_line:>14g}" if per_line is not None else f"{'-':>14}")
        )
    for which in ("ours_cart", "ours_plain"):
        ratios = [section[size][f"ratio_{which}_odoo"] for size in sizes]
        lines.append(
            f"{'ratio ' + RATIO_LABELS[which] + ' / Odoo':<{LABEL_WIDTH}}"
            + "".join(
                f"{r['median']:>9.2f}x{r['p90']:>9.2f}x{'':>{COLUMN_WIDTH - 20}}" for r in ratios
            ).rstrip()
        )


def _path_rows():
    return [(which, PATH_LABELS[which], lambda entry, w=which: entry[w]) for which in PATHS]


def print_report(summary, args):
    config = summary["config"]
    lines = [
        "",
        f"cXML OrderRequest benchmark: {args.url}, database {args.db}",
        f"  {args.rounds} rounds after {args.warmup} warm-up per line count, each with a fresh "
        "cart, purchase orders and UBL document;",
        "  time: wall time as the client sees it (HTTP) or of the call (in-process);",
        "  queries: SQL queries per request from the access log (Odoo: its three requests "
        "together) or per call",
    ]
    _table(
        lines,
        "1. Purchase order to confirmed sale order, over HTTP",
        summary["http"],
        summary["http_queries_per_extra_line"],
        _path_rows()
        + [
            (
                f"odoo.{part}",
                f"  of which {label}",
                lambda entry, p=part: entry["odoo_parts"][p],
            )
            for part, label in ODOO_PART_LABELS.items()
        ],
    )
    if "in_process" in summary:
        _table(
            lines,
            "2. The same, in-process (no HTTP, no JSON-RPC; one transaction each)",
            summary["in_process"],
            summary["in_process_queries_per_extra_line"],
            _path_rows(),
        )
        secret = summary["in_process_secret_check"]
        lines.append(
            f"{'ours: SharedSecret check alone':<{LABEL_WIDTH}}{secret['median_ms']:>8.1f}ms"
            f"{secret['p90_ms']:>8.1f}ms  (passlib verify of the hashed secret, every request)"
        )
    if config.get("odoo_import_activities"):
        lines += [
            "",
            f"Note: Odoo's import scheduled {config['odoo_import_activities']} 'some information "
            "could not be imported' activities: its documents were not fully understood.",
        ]
    lines.append(f"\nDuration: {config['duration_s']} s")
    print("\n".join(lines))


# ----------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------


def parse_args(argv=None):
    parser = argument_parser(__doc__, rounds=5, warmup=1)
    parser.add_argument("--url", help="Odoo server, e.g. http://127.0.0.1:8269")
    parser.add_argument("--log", help="the server's log file (access log with query counts)")
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="also measure the three paths inside this process (needs --addons-path)",
    )
    parser.add_argument(
        "--setup",
        action="store_true",
        help="prepare the database (sales user, products, currency) and exit; needs Odoo",
    )
    parser.add_argument("--addons-path", help="with --setup or --in-process: Odoo's addons path")
    args = parser.parse_args(argv)
    if (args.setup or args.in_process) and not args.addons_path:
        parser.error("--setup and --in-process need --addons-path")
    if not args.setup:
        if not (args.url and args.log):
            parser.error("--url and --log are required")
        if args.rounds < 1 or args.warmup < 0:
            parser.error("--rounds must be at least 1, --warmup at least 0")
        check_loopback(parser, args.url)
    return args


def main(argv=None):
    args = parse_args(argv)
    database = bench = None
    try:
        if args.setup:
            run_setup(args.db, args.addons_path, max(LINE_COUNTS) + PRODUCT_MARGIN)
            return 0
        started = time.monotonic()
        database = CxmlDatabase(args.db)
        bench = Bench(args, database)
        in_process = InProcessBench(args, database, bench) if args.in_process else None
        print(
            "== cXML OrderRequest vs. Odoo's UBL order import"
            + (" (HTTP and in-process)" if in_process else ""),
            file=sys.stderr,
        )
        samples = bench.rounds(in_process)
        summary = summarize(samples, in_process is not None)
        summary["config"] = {
            "url": args.url,
            "db": args.db,
            "connection": CONNECTION_CODE,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "line_counts": list(LINE_COUNTS),
            "in_process": in_process is not None,
            "odoo_import_activities": bench.odoo_activities
            + (in_process.activities if in_process else 0),
            "duration_s": round(time.monotonic() - started, 1),
        }
        print_report(summary, args)
        write_json(summary, args.json)
    except (BenchmarkError, requests.RequestException, psycopg2.Error) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    finally:
        if bench is not None:
            bench.close()
        if database is not None:
            database.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
