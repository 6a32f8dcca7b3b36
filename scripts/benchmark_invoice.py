"""Benchmark e-invoices of punchout orders against Odoo's own Peppol BIS 3 export, in one run.

Run through ``scripts/benchmark.sh --invoice`` (which builds its database,
oci_punchout_bench_invoice, as it builds the other benchmarks' one, with l10n_nl added), or
directly: ``python3 scripts/benchmark_invoice.py --db oci_punchout_bench_invoice --addons-path
<Odoo's addons>,<this repository>``. Everything is measured
inside this process (Odoo imported, cursors of its own on the database, as
``benchmark_mail.py``): each invoice's export is a transaction of its own, committed, as the Send
wizard of one invoice is. Figures are ratios against Odoo's own export of the same invoices
measured in the same run, plus SQL query counts per invoice (odoo.sql_db's per-thread counter,
the figure the server's access log shows for a request).

Prepared once, untimed (kept in the database for later runs, see ``SETUP_KEY``): a Dutch
supplier company (NL chart of l10n_nl, VAT, KvK, IBAN, Peppol endpoint), a Dutch buyer with a
cXML punchout connection (buyer and supplier identities, invoice URL), 10 products at 21 %, 9 %
and 0 % VAT, then N (100) purchase orders of the buyer applied to transferred quotations by the
order matcher (10 lines each, PO line numbers, the buyer's material numbers, a cost centre, two
discounted lines), confirmed and invoiced (posted), and N twin invoices: the same lines sold to
the same buyer by ordinary sale orders (a customer reference, no punchout).

Each round, timed, the N invoices of each path, interleaved (invoice i of paths 1, 2 and 4 in
turn, their order rotating from round to round), so that both sides see the same machine:

1. Odoo: ``partner._get_edi_builder("ubl_bis3")._export_invoice(move)`` of the twin invoices;
   Odoo's own output (the addon leaves invoices of other orders untouched: checked).
2. Ours: the same call on the punchout invoices: OrderReference = the PO number, BuyerReference,
   OrderLineReference/LineID and BuyersItemIdentification on the lines (checked).
3. Ours, validation: the N documents of (2) through the official rules (Peppol BIS 3 with the UBL
   2.1 XSD) as the server runs them: ``einvoice_rules.validate_in_subprocess``, one child
   process for the whole batch, and one child process per document (as the Send wizard of one
   invoice does) for a sample, extrapolated to N. Fatal findings are counted and printed.
4. Ours, cXML: ``account.edi.xml.cxml._export_invoice`` (InvoiceDetailRequest) of the punchout
   invoices.

Controls, in the same rounds (before the paths in every other round, after them otherwise):
the twin and the punchout invoices, interleaved, exported with the addon's UBL changes switched
off (its three builder methods passed through, its line template archived, as the addon's test
``odoo_only`` does): Odoo's code alone. After the rounds, when this process has no address-space
limit, the rules once more inside this process (``load_rule_sets`` once, then the N documents),
for information.
"""

import json
import os
import resource
import statistics
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import psycopg2
from bench import (
    ROOT,
    BenchmarkError,
    InProcess,
    argument_parser,
    load_protocol,
    median,
    p90,
    ratio,
    write_json,
)
from lxml import etree

cxml = load_protocol().cxml


def load_einvoice_rules():
    """The addon's pure-Python rules module (``protocol`` never imports Odoo): the same code
    the server runs, its child process included."""
    load_protocol()  # puts the addon's folder on sys.path
    from protocol import einvoice_rules

    return einvoice_rules


einvoice_rules = load_einvoice_rules()

SHARED = Path(os.environ.get("PUNCHOUT_SHARED") or ROOT.parent / "shared")
RULES_DIR = SHARED / "testdata/einvoice-rules"
XSD_DIR = SHARED / "testdata/ubl-2.1/xsd"
EDI_FORMAT = "ubl_bis3"
RULE_SET = einvoice_rules.RULE_SET_BY_EDI_FORMAT[EDI_FORMAT]

# What the untimed setup makes; a new version makes new invoices (the old ones stay).
SETUP_KEY = "oci_punchout.benchmark_invoice_setup"
SETUP_VERSION = 1
COMPANY = {
    "name": "Benchmark Leverancier B.V.",
    "street": "Stationsweg 12",
    "zip": "3511 ED",
    "city": "Utrecht",
    "vat": "NL000099998B57",
    "company_registry": "77777677",  # KvK: NL-R-003 wants the KvK number as the endpoint
    "email": "facturen@leverancier-bench.example",
    "phone": "+31 30 123 4567",
}
COMPANY_IBAN = "NL91ABNA0417164300"
BUYER = {
    "name": "Bouwbedrijf Benchmark B.V.",
    "street": "Kunststraat 3",
    "zip": "1012 AB",
    "city": "Amsterdam",
    "vat": "NL004495445B01",
    "company_registry": "12345678",
    "ref": "BB-1001",
    "email": "crediteuren@bouwbedrijf-bench.example",
}
BUYER_IBAN = "NL20INGB0001234567"
CONNECTION_CODE = "bench-einvoice"
CXML_IDENTITIES = {
    "cxml_buyer_identity": "AN-BENCH-BUYER",
    "cxml_supplier_identity": "AN-BENCH-SUPPLIER",
    "cxml_invoice_url": "https://ariba.bench-buyer.example/cxml/invoice",  # never called
    "cxml_outbound_secret": "bench-outbound-secret",
}
PRODUCT_PREFIX = "EINV-BENCH-"  # not BENCH-: the other benchmarks' products are published ones
# Per product (= line): VAT (the NL chart's tax), line discount %, the buyer's material number.
LINE_LAYOUT = (
    ("btw_21", 0.0, "MAT-100001"),
    ("btw_21", 10.0, "MAT-100002"),
    ("btw_21", 0.0, "MAT-100003"),
    ("btw_21", 0.0, None),
    ("btw_21", 2.5, "MAT-100005"),
    ("btw_21", 0.0, "MAT-100006"),
    ("btw_9", 0.0, "MAT-100007"),
    ("btw_9", 0.0, "MAT-100008"),
    ("btw_9", 0.0, None),
    ("btw_0", 0.0, "MAT-100010"),
)
LINES = len(LINE_LAYOUT)
COST_CENTRE = "KST-4711"
SETUP_BATCH = 10  # orders (of each kind) per committed setup transaction
OUR_TEMPLATE = "oci_punchout.ubl_20_CommonLineType_punchout"
OUR_BUILDER_METHODS = (
    "_export_invoice_vals",
    "_get_invoice_line_vals",
    "_get_invoice_line_item_vals",
)

NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
PATHS = ("odoo", "ours", "cxml")
CONTROLS = ("odoo_only_twin", "odoo_only_ours")


# ----------------------------------------------------------------------
# Setup (untimed)
# ----------------------------------------------------------------------


def _company(env):
    """The Dutch supplier, created with the NL chart on the first run."""
    Company = env["res.company"]
    company = Company.search([("name", "=", COMPANY["name"])], limit=1)
    notes = []
    if not company:
        if env["ir.module.module"]._get("l10n_nl").state != "installed":
            raise BenchmarkError("l10n_nl is not installed: the benchmark needs its chart.")
        euro = env.ref("base.EUR")
        euro.active = True
        # chart_template_load: Odoo would otherwise install the country's modules (e.g.
        # account_peppol) on creating a Dutch company; the chart is loaded just below.
        values = {**COMPANY, "country_id": env.ref("base.nl").id, "currency_id": euro.id}
        if "iap_enrich_auto_done" in Company._fields:  # partner_autocomplete: no IAP call
            values["iap_enrich_auto_done"] = True
        company = Company.with_context(chart_template_load=True).create(values)
        env["account.chart.template"].try_loading("nl", company, install_demo=False)
        notes.append(f"company {company.name} created with the NL chart")
    partner = company.partner_id
    if (partner.peppol_eas, partner.peppol_endpoint) != ("0106", COMPANY["company_registry"]):
        partner.write({"peppol_eas": "0106", "peppol_endpoint": COMPANY["company_registry"]})
    if COMPANY_IBAN not in partner.bank_ids.mapped("sanitized_acc_number"):
        env["res.partner.bank"].create(
            {"acc_number": COMPANY_IBAN, "partner_id": partner.id, "allow_out_payment": True}
        )
    return company, notes


def _buyer_connection(env, company):
    """The Dutch buyer (KvK endpoint, as NL-R-005 wants) and its cXML connection."""
    Partner = env["res.partner"]
    buyer = Partner.search([("name", "=", BUYER["name"]), ("is_company", "=", True)], limit=1)
    if not buyer:
        buyer = Partner.create(
            {
                **BUYER,
                "is_company": True,
                "country_id": env.ref("base.nl").id,
                "peppol_eas": "0106",
                "peppol_endpoint": BUYER["company_registry"],
                "bank_ids": [(0, 0, {"acc_number": BUYER_IBAN})],
            }
        )
    Connection = env["punchout.connection"].with_context(active_test=False)
    connection = Connection.search([("code", "=", CONNECTION_CODE)])
    if not connection:
        # Last in order: never the default website of the other benchmarks.
        website = env["website"].create(
            {"name": "Benchmark e-invoicing", "company_id": company.id, "sequence": 1000}
        )
        pricelist = env["product.pricelist"].create(
            {"name": "Benchmark e-invoicing EUR", "currency_id": company.currency_id.id}
        )
        user = (
            env["res.users"]
            .with_context(no_reset_password=True)
            .create(
                {
                    "name": f"Punchout {buyer.name}",
                    "login": f"punchout@{CONNECTION_CODE}.example",
                    "parent_id": buyer.id,
                    "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                    "groups_id": [(6, 0, env.ref("base.group_portal").ids)],
                }
            )
        )
        connection = Connection.create(
            {
                "name": f"{buyer.name} Ariba",
                "code": CONNECTION_CODE,
                "protocol": "cxml",
                "partner_id": buyer.id,
                "user_id": user.id,
                "pricelist_id": pricelist.id,
                "website_id": website.id,
                "company_id": company.id,
                "test_mode": False,
                "invoice_edi_format": EDI_FORMAT,
                **CXML_IDENTITIES,
            }
        )
    connection.write({"active": True, **CXML_IDENTITIES})
    return buyer, connection


def _products(env, company):
    chart = env["account.chart.template"].with_company(company)
    Product = env["product.product"].with_context(active_test=False)
    products = Product.browse()
    for number, (tax, _discount, _part) in enumerate(LINE_LAYOUT, 1):
        code = f"{PRODUCT_PREFIX}{number:02d}"
        product = Product.search([("default_code", "=", code), ("company_id", "=", company.id)])
        if not product:
            product = Product.create(
                {
                    "name": f"E-invoicing benchmark article {number:02d}",
                    "default_code": code,
                    "type": "consu",
                    "invoice_policy": "order",
                    "company_id": company.id,
                    "list_price": round(9.95 + 7.5 * number, 2),
                    "taxes_id": [(6, 0, chart.ref(tax).ids)],
                }
            )
        products |= product
    return products


def _line_values(index, products):
    """(product, quantity, discount, PO line number, buyer's part) of invoice ``index``."""
    return [
        (product, 1 + (index + number) % 7, discount, 10 * number, part)
        for number, (product, (_tax, discount, part)) in enumerate(
            zip(products, LINE_LAYOUT, strict=True), 1
        )
    ]


def _punchout_invoice(env, connection, lines, po_number):
    """A transferred quotation, ordered by the buyer's purchase order through the order
    matcher (as a real purchase order), confirmed, invoiced and posted."""
    from odoo.addons.oci_punchout.protocol import cxml as odoo_cxml

    quotation = env["sale.order"].create(
        {
            "partner_id": connection.partner_id.id,
            "company_id": connection.company_id.id,
            "pricelist_id": connection.pricelist_id.id,
            "punchout_connection_id": connection.id,
            "order_line": [
                (0, 0, {"product_id": product.id, "product_uom_qty": qty, "discount": discount})
                for product, qty, discount, _number, _part in lines
            ],
        }
    )
    quotation.state = "sent"
    purchase_order = odoo_cxml.OrderRequest(
        order_id=po_number,
        order_date=datetime.now(timezone.utc),
        extrinsics={"Cost Center": COST_CENTRE},
        items=[
            odoo_cxml.Item(
                quantity=Decimal(qty),
                line_number=number,
                supplier_part_id=product.default_code,
                supplier_part_auxiliary_id=quotation._punchout_line_reference(line),
                buyer_part_id=part or "",
            )
            for line, (product, qty, _discount, number, part) in zip(
                quotation.order_line, lines, strict=True
            )
        ],
    )
    order, notes = env["punchout.order.matcher"]._process(
        connection, purchase_order, payload_id=f"{po_number}@bench-buyer.example"
    )
    if order != quotation or order.state != "sale" or notes:
        raise BenchmarkError(
            f"PO {po_number}: {order.name} is {order.state} (quotation {quotation.name}); {notes}"
        )
    return _invoice(order)


def _twin_invoice(env, connection, lines, reference):
    """The same lines sold to the same buyer by an ordinary sale order, invoiced."""
    order = env["sale.order"].create(
        {
            "partner_id": connection.partner_id.id,
            "company_id": connection.company_id.id,
            "pricelist_id": connection.pricelist_id.id,
            "client_order_ref": reference,
            "order_line": [
                (0, 0, {"product_id": product.id, "product_uom_qty": qty, "discount": discount})
                for product, qty, discount, _number, _part in lines
            ],
        }
    )
    order.action_confirm()
    return _invoice(order)


def _invoice(order):
    invoice = order._create_invoices()
    invoice.action_post()
    if invoice.state != "posted" or len(invoice.invoice_line_ids) != LINES:
        raise BenchmarkError(f"{order.name}: invoice {invoice.name} is {invoice.state}.")
    return invoice.id


class Setup:
    """The database made ready, untimed; the invoices are kept for later runs."""

    def __init__(self, odoo, count):
        self.odoo = odoo
        self.count = count

    def _env(self, env, company_id):
        return env(context={"allowed_company_ids": [company_id], "tracking_disable": True})

    def run(self):
        notes = []
        ids = self.odoo.run(self._base)
        notes += ids.pop("notes")
        kept = self.odoo.run(lambda env: self._kept(env, ids))
        if kept:
            ids.update(kept)
            notes.append(f"{self.count} + {self.count} invoices of an earlier run reused")
            return ids, notes
        batch = f"{int(time.time())}-{os.getpid()}"
        ours, twins = [], []
        started = time.monotonic()
        for start in range(0, self.count, SETUP_BATCH):
            indexes = range(start, min(start + SETUP_BATCH, self.count))
            made = self.odoo.run(lambda env, idx=indexes: self._make(env, ids, batch, idx))
            ours += made[0]
            twins += made[1]
            print(f"   invoices: {len(ours)}/{self.count} of each", file=sys.stderr, end="\r")
        print(file=sys.stderr)
        ids.update(ours=ours, twins=twins)
        self.odoo.run(lambda env: self._remember(env, ids))
        notes.append(
            f"{self.count} punchout invoices and {self.count} twins created "
            f"({time.monotonic() - started:.0f} s)"
        )
        return ids, notes

    def _base(self, env):
        company, notes = _company(env)
        env = self._env(env, company.id)
        buyer, connection = _buyer_connection(env, company)
        products = _products(env, company)
        template = env.ref(OUR_TEMPLATE, raise_if_not_found=False)
        if template and not template.active:  # an interrupted run left it archived
            template.active = True
            notes.append("our line template active again")
        return {
            "notes": notes,
            "company": company.id,
            "buyer": buyer.id,
            "connection": connection.id,
            "products": products.ids,
        }

    def _kept(self, env, ids):
        stored = json.loads(env["ir.config_parameter"].get_param(SETUP_KEY) or "{}")
        same = {key: stored.get(key) for key in ("version", "company", "connection", "products")}
        wanted = {"version": SETUP_VERSION, **{k: ids[k] for k in same if k != "version"}}
        if same != wanted or min(len(stored["ours"]), len(stored["twins"])) < self.count:
            return None
        ours, twins = stored["ours"][: self.count], stored["twins"][: self.count]
        moves = env["account.move"].browse(ours + twins).exists()
        if len(moves) != 2 * self.count or set(moves.mapped("state")) != {"posted"}:
            return None
        return {"ours": ours, "twins": twins}

    def _make(self, env, ids, batch, indexes):
        env = self._env(env, ids["company"])
        connection = env["punchout.connection"].browse(ids["connection"])
        products = env["product.product"].browse(ids["products"])
        ours, twins = [], []
        for index in indexes:
            lines = _line_values(index, products)
            ours.append(
                _punchout_invoice(env, connection, lines, f"PO-EINV-{batch}-{index + 1:03d}")
            )
            twins.append(
                _twin_invoice(env, connection, lines, f"REF-EINV-{batch}-{index + 1:03d}")
            )
        return ours, twins

    def _remember(self, env, ids):
        value = {"version": SETUP_VERSION, **{k: ids[k] for k in ids}}
        env["ir.config_parameter"].set_param(SETUP_KEY, json.dumps(value))


# ----------------------------------------------------------------------
# Measured calls and their checks
# ----------------------------------------------------------------------


class OdooOnly:
    """The addon's UBL changes switched off (its builder methods passed through, its line
    template archived, committed), as the addon's test ``odoo_only`` does; restored on exit."""

    def __init__(self, odoo):
        self.odoo = odoo
        self.patched = {}

    def __enter__(self):
        from odoo.addons.oci_punchout.models.account_edi_xml_ubl_bis3 import (
            AccountEdiXmlUblBis3,
        )

        for name in OUR_BUILDER_METHODS:
            if name not in vars(AccountEdiXmlUblBis3):
                continue

            def passthrough(builder, *args, _name=name, **kwargs):
                return getattr(super(AccountEdiXmlUblBis3, builder), _name)(*args, **kwargs)

            self.patched[name] = vars(AccountEdiXmlUblBis3)[name]
            setattr(AccountEdiXmlUblBis3, name, passthrough)
        self.cls = AccountEdiXmlUblBis3
        self.odoo.run(lambda env: self._template(env, False))
        return self

    def __exit__(self, *exc):
        for name, method in self.patched.items():
            setattr(self.cls, name, method)
        self.odoo.run(lambda env: self._template(env, True))

    @staticmethod
    def _template(env, active):
        template = env.ref(OUR_TEMPLATE, raise_if_not_found=False)
        if template:
            template.active = active


class Bench:
    def __init__(self, args, odoo, ids):
        self.args = args
        self.odoo = odoo
        self.ids = ids
        self.context = {"allowed_company_ids": [ids["company"]]}
        self.expected = odoo.run(self._expected)
        self.documents = {}
        self.sizes = {}
        self.unchanged = None  # the twins' XML the same with the addon's changes switched off

    def _expected(self, env):
        """What each document must say (read once, untimed): per invoice id."""
        expected = {}
        for move in env["account.move"].browse(self.ids["ours"] + self.ids["twins"]):
            orders = move.invoice_line_ids.sale_line_ids.order_id
            expected[move.id] = {
                "name": move.name,
                "po": orders.punchout_po_number or "",
                "ref": move.ref or "",
                "line_ids": [
                    str(number)
                    for number in move.invoice_line_ids.sale_line_ids.mapped(
                        "punchout_po_line_number"
                    )
                    if number
                ],
                "parts": len(
                    [
                        p
                        for p in move.invoice_line_ids.sale_line_ids.mapped(
                            "punchout_buyer_part_id"
                        )
                        if p
                    ]
                ),
            }
        return expected

    # -- one invoice, in a transaction of its own ---------------------------

    def _ubl(self, env, move_id):
        env = env(context=self.context)
        move = env["account.move"].browse(move_id)
        builder = move.partner_id.commercial_partner_id._get_edi_builder(EDI_FORMAT)
        return builder._export_invoice(move)

    def _cxml(self, env, move_id):
        env = env(context=self.context)
        move = env["account.move"].browse(move_id)
        return move.partner_id.commercial_partner_id._get_edi_builder("cxml")._export_invoice(move)

    def measure(self, paths):
        """The N invoices of each of ``paths``, interleaved (invoice i of every path, in the
        order given, then invoice i + 1), each call a transaction of its own: {path:
        (seconds, queries) in total}; the documents are kept and checked."""
        totals = {path: [0.0, 0] for path in paths}
        documents = {path: [] for path in paths}
        for index in range(len(self.ids["ours"])):
            for path in paths:
                move_id = self._moves(path)[index]
                call = self._cxml if path == "cxml" else self._ubl
                (document, errors), seconds, queries = self.odoo.transaction(
                    lambda env, m=move_id, c=call: c(env, m)
                )
                if errors:
                    raise BenchmarkError(
                        f"{self.expected[move_id]['name']} ({path}): Odoo's export checks: "
                        + "; ".join(sorted(errors))
                    )
                totals[path][0] += seconds
                totals[path][1] += queries
                documents[path].append(document)
        for path in paths:
            for move_id, document in zip(self._moves(path), documents[path], strict=True):
                self.check(path, move_id, document)
            self.documents[path] = documents[path]
            self.sizes[path] = round(statistics.mean(len(d) for d in documents[path]))
        return {path: tuple(total) for path, total in totals.items()}

    def _moves(self, path):
        return self.ids["twins"] if path in ("odoo", "odoo_only_twin") else self.ids["ours"]

    def check(self, path, move_id, document):
        expected = self.expected[move_id]
        what = f"{expected['name']} ({path})"
        if path == "cxml":
            invoice = cxml.parse_invoice_detail_request(document).request
            got = (invoice.order_id, len(invoice.items))
            if got != (expected["po"], LINES):
                raise BenchmarkError(f"{what}: order {got[0]!r} with {got[1]} items.")
            return
        root = etree.fromstring(document)
        order_ref = root.xpath("cac:OrderReference/cbc:ID/text()", namespaces=NS)
        line_ids = root.xpath(
            "cac:InvoiceLine/cac:OrderLineReference/cbc:LineID/text()", namespaces=NS
        )
        parts = root.xpath(
            "cac:InvoiceLine/cac:Item/cac:BuyersItemIdentification/cbc:ID", namespaces=NS
        )
        lines = root.xpath("cac:InvoiceLine", namespaces=NS)
        if path == "ours":
            wanted = ([expected["po"]], expected["line_ids"], expected["parts"])
        else:  # Odoo's own output: the customer reference, no line references
            wanted = ([expected["ref"]] if expected["ref"] else [], [], 0)
        got = (order_ref, line_ids, len(parts))
        if got != wanted or len(lines) != LINES:
            raise BenchmarkError(
                f"{what}: OrderReference {order_ref}, LineIDs {line_ids}, {len(parts)} buyer's "
                f"items, {len(lines)} lines; expected {wanted} and {LINES} lines."
            )

    # -- validation (no Odoo) ------------------------------------------------

    def validate_batch(self, documents):
        """All documents in one child process: (seconds, fatal findings per document)."""
        start = time.perf_counter()
        results = einvoice_rules.validate_in_subprocess(
            [(RULE_SET, document) for document in documents],
            self.args.rules_dir,
            self.args.xsd_dir,
        )
        return time.perf_counter() - start, [einvoice_rules.fatal(found) for found in results]

    def validate_each(self, documents):
        """One child process per document: (seconds in total, fatal findings per document)."""
        elapsed = 0.0
        fatal = []
        for document in documents:
            seconds, found = self.validate_batch([document])
            elapsed += seconds
            fatal += found
        return elapsed, fatal

    # -- rounds --------------------------------------------------------------

    def rounds(self):
        total = self.args.warmup + self.args.rounds
        samples = {key: [] for key in (*PATHS, *CONTROLS, "batch", "each")}
        findings = {}
        for index in range(total):
            measured = index >= self.args.warmup
            label = "measured" if measured else "warm-up"
            print(f"   round {index + 1}/{total} ({label})", file=sys.stderr, end="\r")
            shift = index % len(PATHS)
            results = {}
            # The controls before the three paths in every other round, after them otherwise.
            if index % 2:
                results.update(self.controls(index))
            results.update(self.measure(PATHS[shift:] + PATHS[:shift]))
            if not index % 2:
                results.update(self.controls(index))
            self.unchanged = self.documents["odoo_only_twin"] == self.documents["odoo"]
            ours = self.documents["ours"]
            seconds, fatal = self.validate_batch(ours)
            results["batch"] = (seconds, None)
            sample = ours[: self.args.sample]
            seconds_each, fatal_each = self.validate_each(sample)
            results["each"] = (seconds_each, None)
            findings = {"batch": fatal, "each": fatal_each}
            if measured:
                for key, value in results.items():
                    samples[key].append(value)
        print(file=sys.stderr)
        return samples, findings

    def controls(self, index):
        """The controls (the addon's UBL changes off); each switch recompiles the templates,
        so one untimed export follows each."""
        results = {}
        with OdooOnly(self.odoo):
            self.odoo.run(lambda env: self._ubl(env, self.ids["twins"][0]))
            results.update(self.measure(CONTROLS if index % 4 < 2 else CONTROLS[::-1]))
        self.odoo.run(lambda env: self._ubl(env, self.ids["ours"][0]))
        return results

    def in_process(self):
        """The rules inside this process: (compile seconds, [seconds of validating the N
        documents, per round], fatal findings per document), or None under an address-space
        limit (saxonche would abort the process)."""
        if resource.getrlimit(resource.RLIMIT_AS)[0] != resource.RLIM_INFINITY:
            return None
        start = time.perf_counter()
        rule_sets = einvoice_rules.load_rule_sets(self.args.rules_dir, self.args.xsd_dir)
        compiled = time.perf_counter() - start
        passes = []
        fatal = []
        for _ in range(self.args.warmup + self.args.rounds):
            start = time.perf_counter()
            fatal = [
                einvoice_rules.fatal(rule_sets[RULE_SET].validate(document))
                for document in self.documents["ours"]
            ]
            passes.append(time.perf_counter() - start)
        return compiled, passes[self.args.warmup :], sorted(rule_sets), fatal


# ----------------------------------------------------------------------
# Statistics and report
# ----------------------------------------------------------------------


def _stats(samples, count):
    times = [seconds for seconds, _q in samples]
    queries = [q for _s, q in samples]
    entry = {
        "seconds": {
            "median": round(median(times), 4),
            "p90": round(p90(times), 4),
            "n": len(times),
        },
        "ms_per_invoice": round(median(times) * 1000 / count, 2),
    }
    if None not in queries:
        entry["queries_per_invoice"] = round(median(queries) / count, 2)
    return entry


def summarize(samples, count, sample_size, in_process):
    summary = {}
    reference = [seconds for seconds, _q in samples["odoo"]]
    for key, values in samples.items():
        measured = None
        if key == "each":  # a sample, extrapolated to the N documents
            measured = _stats(values, sample_size)
            values = [(seconds * count / sample_size, q) for seconds, q in values]
        entry = _stats(values, count)
        if measured:
            entry["measured"] = {"documents": sample_size, **measured}
        times = [seconds for seconds, _q in values]
        entry["ratio_odoo"] = {
            "median": ratio(times, reference, median),
            "p90": ratio(times, reference, p90),
        }
        summary[key] = entry
    ours = [seconds for seconds, _q in samples["ours"]]
    added = [o - r for o, r in zip(ours, reference, strict=True)]
    summary["added_export"] = {
        "seconds_median": round(median(ours) - median(reference), 4),
        "seconds_median_of_rounds": round(median(added), 4),
        "ms_per_invoice": round((median(ours) - median(reference)) * 1000 / count, 2),
    }
    controls = [s for s, _q in samples["odoo_only_ours"]]
    summary["added_export_same_invoices"] = {
        "seconds_median": round(median(ours) - median(controls), 4),
        "ms_per_invoice": round((median(ours) - median(controls)) * 1000 / count, 2),
        "ratio": ratio(ours, controls, median),
    }
    built = [o + v for o, (v, _q) in zip(ours, samples["batch"], strict=True)]
    summary["export_and_validate_batch"] = {
        "seconds": round(median(built), 4),
        "ratio_odoo": ratio(built, reference, median),
    }
    if in_process is not None:
        compiled, passes, rule_sets, _fatal = in_process
        summary["in_process_rules"] = {
            "rule_sets_compiled": rule_sets,
            "compile_seconds": round(compiled, 4),
            "validate_seconds_median": round(median(passes), 4),
            "ms_per_document": round(median(passes) * 1000 / count, 2),
            "ratio_odoo": ratio(passes, reference, median),
        }
    return summary


LABEL_WIDTH = 50


def _row(label, entry):
    seconds = entry["seconds"]["median"]
    queries = entry.get("queries_per_invoice")
    return (
        f"{label:<{LABEL_WIDTH}}{seconds:>9.3f}{entry['seconds']['p90']:>9.3f}"
        f"{entry['ms_per_invoice']:>10.1f}{entry['ratio_odoo']['median']:>9.2f}x"
        f"{'-' if queries is None else f'{queries:g}':>10}"
    )


def _fmt_findings(label, fatal, names):
    count = sum(len(found) for found in fatal)
    failing = sum(1 for found in fatal if found)
    lines = [
        f"  {label}: {count} fatal finding(s); {failing} of {len(fatal)} document(s) with any"
    ]
    shown = 0
    for name, found in zip(names, fatal, strict=False):
        for finding in found:
            if shown < 20:
                lines.append(f"    {name}: {finding} at {finding.location}")
            shown += 1
    if shown > 20:
        lines.append(f"    ... and {shown - 20} more")
    return lines


def print_report(summary, args, bench, findings, in_process):
    config = summary["config"]
    n = config["invoices"]
    header = (
        f"{'':<{LABEL_WIDTH}}{'median s':>9}{'p90 s':>9}{'ms/inv.':>10}{'vs (1)':>10}"
        f"{'queries':>10}"
    )
    lines = [
        "",
        f"E-invoices of punchout orders: database {args.db}, in-process",
        f"  {args.rounds} rounds after {args.warmup} warm-up; per path {n} posted invoices of "
        f"{LINES} lines (VAT 21, 9, 0 %, two",
        "  discounted lines) of a Dutch supplier (NL chart); each invoice's call a transaction "
        "of its own,",
        "  committed; the paths interleaved invoice by invoice. Seconds: the "
        f"{n} invoices together, median",
        f"  and p90 over the rounds; ms/inv.: median / {n}; vs (1): ratio of the medians to "
        "Odoo's export;",
        "  queries: SQL queries per invoice (odoo.sql_db's per-thread counter, as the server's "
        "access log).",
        "",
        f"Building {n} invoices",
        header,
        _row(f"1. Odoo  {EDI_FORMAT} export, twin invoices", summary["odoo"]),
        _row(f"2. ours  {EDI_FORMAT} export, punchout invoices", summary["ours"]),
    ]
    added = summary["added_export"]
    lines.append(
        f"{'   our added time (2) - (1)':<{LABEL_WIDTH}}{added['seconds_median']:>9.3f}"
        f"{'':>9}{added['ms_per_invoice']:>10.1f}"
    )
    lines.append(_row("4. ours  cXML InvoiceDetailRequest, punchout inv.", summary["cxml"]))
    lines += [
        "   controls: the addon's UBL changes switched off (Odoo's code alone)",
        _row("   twin invoices", summary["odoo_only_twin"]),
        _row("   punchout invoices", summary["odoo_only_ours"]),
    ]
    same = summary["added_export_same_invoices"]
    lines.append(
        f"{'   our added time, same invoices: (2) - control':<{LABEL_WIDTH}}"
        f"{same['seconds_median']:>9.3f}{'':>9}{same['ms_per_invoice']:>10.1f}"
        f"  (2): {same['ratio']:.2f}x control"
    )
    batch, each = summary["batch"], summary["each"]
    lines += [
        "",
        f"Validating the {n} documents of (2): official rules {RULE_SET} + UBL 2.1 XSD, "
        "validate_in_subprocess",
        header,
        _row(f"3. ours  one child process, {n} documents", batch),
        _row("3. ours  a child process per document (*)", each),
        f"   (*) extrapolated to {n}: {each['measured']['seconds']['median']:.3f} s measured "
        f"for {args.sample} documents, x {n / args.sample:g}; as the Send wizard of one invoice",
    ]
    both = summary["export_and_validate_batch"]
    lines.append(
        f"{'2 + 3 (batch): build and validate':<{LABEL_WIDTH}}{both['seconds']:>9.3f}{'':>9}"
        f"{both['seconds'] * 1000 / n:>10.1f}{both['ratio_odoo']:>9.2f}x"
    )
    if in_process is not None:
        rules = summary["in_process_rules"]
        lines += [
            "In this process (informative: this process has no address-space limit, a server "
            "has one):",
            f"  load_rule_sets ({', '.join(rules['rule_sets_compiled'])}) once "
            f"{rules['compile_seconds']:.3f} s, then the {n} documents "
            f"{rules['validate_seconds_median']:.3f} s",
            f"  ({rules['ms_per_document']:.1f} ms each, {rules['ratio_odoo']:.2f}x (1))",
        ]
    else:
        lines.append("In this process: skipped (an address-space limit: saxonche would abort).")
    names = [bench.expected[move_id]["name"] for move_id in bench.ids["ours"]]
    lines += ["", "Official rules, last round:"]
    lines += _fmt_findings("one child process", findings["batch"], names)
    lines += _fmt_findings("a child process per document", findings["each"], names)
    if in_process is not None:
        lines += _fmt_findings("in this process", in_process[3], names)
    sizes = config["document_bytes"]
    unchanged = "yes" if config["odoo_output_unchanged"] else "NO, the addon changes it"
    lines += [
        "",
        f"Odoo's output of the twin invoices the same with the addon's changes off: {unchanged}",
        f"Document sizes (mean bytes): Odoo {sizes['odoo']}, ours {sizes['ours']}, "
        f"cXML {sizes['cxml']}",
        "Checked after every call: ours with the PO number as OrderReference, the PO line "
        "numbers and the",
        "  buyer's material numbers; Odoo's with the customer reference and no line "
        "references; the cXML",
        "  parsed back.",
        f"\nDuration: {config['duration_s']} s",
    ]
    print("\n".join(lines))


# ----------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------


def parse_args(argv=None):
    parser = argument_parser(__doc__, rounds=5, warmup=1)
    parser.add_argument("--addons-path", required=True, help="Odoo's addons path")
    parser.add_argument("--invoices", type=int, default=100, help="invoices per path")
    parser.add_argument(
        "--sample",
        type=int,
        default=10,
        help="documents validated one child process each (extrapolated to --invoices)",
    )
    parser.add_argument("--rules-dir", default=str(RULES_DIR), help="official rule files")
    parser.add_argument("--xsd-dir", default=str(XSD_DIR), help="UBL 2.1 xsd folder")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1, --warmup at least 0")
    if args.invoices < 1 or not 1 <= args.sample <= args.invoices:
        parser.error("--invoices must be at least 1, --sample between 1 and --invoices")
    for folder in (args.rules_dir, args.xsd_dir):
        if not Path(folder).is_dir():
            parser.error(f"{folder} is missing (set PUNCHOUT_SHARED, or --rules-dir/--xsd-dir)")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        started = time.monotonic()
        odoo = InProcess(args.db, args.addons_path)
        print("== E-invoices: setting up (untimed)", file=sys.stderr)
        ids, notes = Setup(odoo, args.invoices).run()
        for note in notes:
            print(f"   {note}", file=sys.stderr)
        bench = Bench(args, odoo, ids)
        print(
            f"== E-invoices: {EDI_FORMAT} export (ours, Odoo's), official rules, cXML, in-process",
            file=sys.stderr,
        )
        samples, findings = bench.rounds()
        in_process = bench.in_process()
        summary = summarize(samples, args.invoices, args.sample, in_process)
        summary["fatal_findings"] = {
            key: sum(len(found) for found in fatal) for key, fatal in findings.items()
        }
        if in_process is not None:
            summary["fatal_findings"]["in_process"] = sum(len(f) for f in in_process[3])
        summary["config"] = {
            "db": args.db,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "invoices": args.invoices,
            "lines": LINES,
            "sample": args.sample,
            "edi_format": EDI_FORMAT,
            "rule_set": RULE_SET,
            "rules_dir": args.rules_dir,
            "xsd_dir": args.xsd_dir,
            "document_bytes": bench.sizes,
            "odoo_output_unchanged": bench.unchanged,
            "duration_s": round(time.monotonic() - started, 1),
        }
        print_report(summary, args, bench, findings, in_process)
        write_json(summary, args.json)
    except (
        BenchmarkError,
        psycopg2.Error,
        einvoice_rules.RulesUnavailable,
        einvoice_rules.RuleExecutionError,
    ) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
