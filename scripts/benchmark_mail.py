"""Benchmark purchase orders received by e-mail against the cXML OrderRequest, in the same run.

Run through ``scripts/benchmark.sh --mail`` (which builds the database like the other
benchmarks), or directly: ``python3 scripts/benchmark_mail.py --db oci_punchout_bench
--addons-path <Odoo's addons>,<this repository>``. Everything is measured inside this process
(Odoo imported, cursors of its own on the database, as ``benchmark_cxml.py --in-process``): each
measured call runs in a transaction of its own, committed, as the mail gateway and the cXML
endpoint commit theirs. Figures are ratios against the cXML OrderRequest measured in the same
run, plus SQL query counts per call (odoo.sql_db's per-thread counter, the figure the server's
access log shows for a request).

Each round starts from fresh quotations, prepared untimed: a punch-in session, its cart filled
with 50 distinct benchmark products, transferred (the session's own transfer, which makes the
cart a sent quotation). Then, timed:

1. Mail, XML: a MIME mail (Python's ``email`` package) from the buyer's purchasing system to the
   order inbox of the ``demo-oci`` connection (its mail alias), carrying the cXML OrderRequest
   the buyer's system makes from that transferred cart (50 lines, our line references), fed to
   Odoo's mail gateway: ``mail.thread.message_process``. Checked: the mail is logged done and
   the quotation is a confirmed sale order of 50 lines with the PO number, no activity.
2. Reference, cXML: the same OrderRequest, from an equivalent quotation transferred by the
   ``demo-cxml`` connection, through what ``/punchout/cxml`` does with it
   (``punchout.message._cxml_store``, then ``punchout.cxml._handle_request``). Same
   check. Its SharedSecret check (a passlib verify, part of every cXML request, none for a
   mail) is timed inside the call, and the call is also reported without it.
3. Mail, PDF: a mail carrying a PDF purchase order laid out like SAP's standard PO print
   (header block with the PO number and our quotation on every page, item table, "Your material
   number" and our quotation item under each row, item texts), the same 50 lines spread over
   1, 5 and 20 pages. Checked: what the addon does with a PO print whose lines, prices and
   references it can all read: the quotation confirmed with its 50 lines, no activity.

The first step (untimed) makes the database ready: an alias domain for the company when it has
none (mails are routed to an alias by its full address), the demo buyer's currency active,
benchmark products, and what an aborted run left open on the two connections cancelled.
"""

import io
import os
import sys
import time
from datetime import datetime, timezone
from decimal import Decimal
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import benchmark_cxml as bcx
import psycopg2
from bench import (
    BenchmarkError,
    InProcess,
    argument_parser,
    bench_product_domain,
    create_bench_products,
    fmt_queries,
    median,
    p90,
    ratio,
    time_method,
    time_stats,
    timed,
    write_json,
)
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

cxml = bcx.cxml

MAIL_CONNECTION_CODE = "demo-oci"  # the demo connection with an order inbox (mail alias)
CXML_CONNECTION_CODE = bcx.CONNECTION_CODE
RETURN_URLS = {
    "oci": "https://srm.demo-buyer.example/sap/bc/gui/sap/its/bbpcatalog",
    "cxml": bcx.RETURN_URL,
    "s4": "https://s4.demo-buyer.example/sap/bc/gui/sap/its/bbpcatalog",  # punch-in by OCI
}
ALIAS_DOMAIN = "supplier-bench.example"  # only when the company has no alias domain
# Our receiving mail server's name in Authentication-Results, set when the database has none.
AUTHSERV_ID = "mx.supplier-bench.example"
LINES = 50
PAGE_COUNTS = (1, 5, 20)
PRODUCT_MARGIN = 10
PATHS = ("mail_xml", "cxml")
PDF_EXPECTED = f"confirmed, {LINES} lines, no activity"
PATH_LABELS = {
    "mail_xml": "mail  cXML OrderRequest attached",
    "cxml": "cXML  OrderRequest (endpoint's path)",
}

# The PDF: SAP's PO print in a monospaced font; a page holds PAGE_ROWS text lines.
PDF_FONT_SIZE = 6
PDF_LEADING = 6.8
PDF_MARGIN = 36
PAGE_ROWS = int((A4[1] - 2 * PDF_MARGIN) // PDF_LEADING)
ITEM_TEXT = (
    "Supply according to the technical specification agreed with our engineering department.",
    "Pack on returnable pallets; every carton labelled with the item and the buyer's reference.",
    "Goods receipt Monday to Friday between seven and fifteen o'clock, gate north.",
    "Certificates of conformity and safety data sheets accompany every shipment.",
    "Partial shipments only after written agreement of the purchasing department.",
    "Invoices quote the item of this document; collective invoices are not accepted.",
)

TERMS = (
    "Terms of purchase: our general terms of purchase apply exclusively; other terms are",
    "not accepted, even when we accept goods without reservation. Quality, packaging and",
    "labelling as agreed; hazardous goods with their safety data sheets. Goods are received",
    "on working days only. Invoices in one copy to our accounts payable department, quoting",
    "the item of this document; collective invoices are not accepted. Place of performance",
    "is the receiving plant. Please confirm this document with the delivery times by return.",
    "",
)

# ----------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------


def mime_mail(
    sender, to, attachments, subject, body="Please find our order attached.", authserv_id=None
):
    """A real MIME mail: ``attachments`` [(file name, bytes, 'type/subtype')], as our mail
    server (``authserv_id``) delivers it: with its verdict that the sender's domain passed
    DMARC."""
    message = EmailMessage()
    message["Authentication-Results"] = (
        f"{authserv_id or AUTHSERV_ID}; dmarc=pass header.from={sender.rpartition('@')[2]}"
    )
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message["Message-Id"] = make_msgid(domain="demo-buyer.example")
    message.set_content(body)
    for name, data, mimetype in attachments:
        maintype, subtype = mimetype.split("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message.as_bytes()


def _quantity(value):
    return f"{Decimal(value).normalize():f}"


def _page_header(supplier, po_number, quotation, order_date, page, pages, currency):
    date = order_date.strftime("%d.%m.%Y")
    pad = " " * 47
    return [
        f"{bcx.BUYER_ADDRESS['name']} - {bcx.BUYER_ADDRESS['street']} - "
        f"{bcx.BUYER_ADDRESS['postal_code']} {bcx.BUYER_ADDRESS['city']}",
        f"{supplier:<47}Purchase Order",
        f"{pad}Purchase order no./Date",
        f"{pad}{po_number} / {date}",
        f"{pad}Contact person/Telephone",
        f"{pad}Mr. Weber/+31 30 555-0100",
        f"{pad}Your quotation",
        f"{pad}{quotation} dated {date}",
        f"{pad}Page {page} of {pages}",
        f"Currency {currency}",
        "",
        "Item  Material   Description              Order Qty.  Unit   Price per unit"
        "      Net value",
    ]


def sap_po_pdf(po_number, quotation, rows, pages, supplier, currency, order_date):
    """A PDF laid out like SAP's standard PO print (ME9F), ``rows`` [(our line reference, our
    code, quantity, price)] spread evenly over ``pages`` pages; each item with its material
    line, our quotation item and item texts, each page filled (SAP prints a page per block)."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=1)
    pdf.setTitle(f"Purchase order {po_number}")
    total = sum((Decimal(qty) * Decimal(price) for _r, _c, qty, price in rows), Decimal(0))
    number = 0
    for page in range(pages):
        chunk = rows[page * len(rows) // pages : (page + 1) * len(rows) // pages]
        text = _page_header(supplier, po_number, quotation, order_date, page + 1, pages, currency)
        footer = []
        if page == pages - 1:
            footer.append(f"{'':23}Total net value excl. tax {currency}        {total:,.2f}")
        footer.append("Please confirm this purchase order by return.")
        free = PAGE_ROWS - len(text) - len(footer) - 2 * len(chunk)
        for index, (reference, code, qty, price) in enumerate(chunk):
            number += 1
            net = f"{Decimal(qty) * Decimal(price):,.2f}"
            text += [
                f"{number * 10:05d} M-{number:04d}     {code:<24} {_quantity(qty):>10}  PC"
                f"   {Decimal(price):>8.2f} / 1 PC   {net:>12}",
                f"      Your material number: {code}   Your quotation item: {reference}",
            ]
            # Item texts fill the page (at most 6 a row, as the continuation is read).
            share = free // len(chunk) + (1 if index < free % len(chunk) else 0)
            text += [f"      {ITEM_TEXT[n % len(ITEM_TEXT)]}" for n in range(min(share, 6))]
        # The rest of the page: the buyer's terms, as SAP prints them below the items.
        text += [TERMS[n % len(TERMS)] for n in range(PAGE_ROWS - len(text) - len(footer))]
        text += footer
        pdf.setFont("Courier", PDF_FONT_SIZE)
        y = A4[1] - PDF_MARGIN
        for line in text:
            pdf.drawString(PDF_MARGIN, y, line)
            y -= PDF_LEADING
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


# ----------------------------------------------------------------------
# Odoo, in this process
# ----------------------------------------------------------------------


class Odoo(InProcess):
    """The database through Odoo's registry: setup, quotations, measured calls, checks."""

    def __init__(self, args):
        super().__init__(args.db, args.addons_path)

    # -- setup (untimed) -----------------------------------------------------

    def setup(self, min_products):
        return self.run(lambda env: _setup(env, min_products))

    # -- fresh quotations (untimed) ------------------------------------------

    def transferred_quotation(self, code, product_ids, tag):
        """A punch-in of connection ``code``, its cart of one unit of each product, transferred
        (a sent quotation): (quotation id, name, the cart as a PunchOutOrderMessage). An S/4HANA
        connection's buyers punch in by OCI."""

        def prepare(env):
            connection = _connection(env, code)
            session, _token = connection._open_session(
                "cxml" if connection.protocol == "cxml" else "oci",
                connection.user_id,
                return_url=RETURN_URLS[connection.protocol],
                buyer_cookie=tag,
            )
            order = session.order_id.sudo()
            env["sale.order.line"].sudo().create(
                [
                    {"order_id": order.id, "product_id": product_id, "product_uom_qty": 1}
                    for product_id in product_ids
                ]
            )
            _page, transferred = session._transfer()
            # cXML: the PunchOutOrderMessage transferred; OCI: the same cart as cXML would
            # return it (our line references and net prices).
            document = (
                transferred
                if connection.protocol == "cxml"
                else env["punchout.cxml"]._cart_message(session)
            )
            if order.state != "sent":
                raise BenchmarkError(f"The transferred cart {order.name} is {order.state}.")
            return order.id, order.name, document

        order_id, name, document = self.run(prepare)
        cart = cxml.parse_punchout_order_message(document)
        if len(cart.items) != len(product_ids):
            raise BenchmarkError(f"The cart of {name} has {len(cart.items)} lines.")
        return order_id, name, cart

    # -- measured calls ------------------------------------------------------

    def mail(self, raw):
        """The mail gateway: (punchout.message id, seconds, queries)."""
        return self.transaction(lambda env: env["mail.thread"].message_process(None, raw))

    def cxml(self, body):
        """What /punchout/cxml does with a document: ((Response bytes, seconds spent in its
        SharedSecret check), seconds, queries). The check (a passlib verify) is timed inside
        the call by a wrapper around ``punchout.cxml._verify_secret``, removed afterwards."""
        spent = []

        def call(env):
            with time_method(type(env["punchout.cxml"]), "_verify_secret", spent):
                message = env["punchout.message"]._cxml_store(body, "127.0.0.1")
                envelope = cxml.parse_request(body)
                return env["punchout.cxml"]._handle_request(envelope, body, message)

        response, elapsed, queries = self.transaction(call)
        return (response, sum(spent)), elapsed, queries

    # -- checks (untimed) ----------------------------------------------------

    def outcome(self, quotation_id, po_number, mail_id=None):
        """What became of the quotation (and of the mail): a dict."""

        def read(env):
            order = env["sale.order"].browse(quotation_id)
            ordered = env["sale.order"].search(
                [("punchout_po_number", "=", po_number), ("state", "!=", "cancel")]
            )
            result = {
                "state": order.state,
                "po_number": order.punchout_po_number or "",
                "client_order_ref": order.client_order_ref or "",
                "lines": len(
                    order.order_line.filtered(lambda ol: ol.product_id and not ol.display_type)
                ),
                "activities": order.activity_ids.mapped("summary"),
                "orders_with_po": ordered.mapped("name"),
            }
            if mail_id is not None:
                mail = env["punchout.message"].browse(mail_id).exists()
                result["mail"] = {
                    "kind": mail.kind,
                    "state": mail.state,
                    "order": mail.order_id.name or "",
                    "error": mail.error or "",
                    "attachments": [
                        (child.state, child.error or "", child.response_payload or "")
                        for child in mail.child_ids
                    ],
                    "activities": (mail.activity_ids | mail.child_ids.activity_ids).mapped(
                        "summary"
                    ),
                }
            return result

        return self.run(read)

    def mail_context(self):
        """(order inbox address, the purchasing system's address, our company's name, our mail
        server's name)."""

        def read(env):
            connection = _connection(env, MAIL_CONNECTION_CODE)
            senders = (connection.order_mail_senders or "").replace(";", ",").split(",")
            sender = senders[0].strip() or bcx.BUYER_ADDRESS["email"]
            authserv_id = (
                env["ir.config_parameter"].sudo().get_param("oci_punchout.mail_authserv_id")
            )
            return (
                connection.alias_id.alias_full_name,
                sender,
                connection.company_id.name,
                authserv_id,
            )

        return self.run(read)


def _connection(env, code):
    connection = env["punchout.connection"].search([("code", "=", code)])
    if len(connection) != 1:
        raise BenchmarkError(f"No punchout connection with code {code!r}.")
    return connection


def _setup(env, min_products):
    notes = []
    mail_connection = _connection(env, MAIL_CONNECTION_CODE)
    cxml_connection = _connection(env, CXML_CONNECTION_CODE)
    alias = mail_connection.alias_id
    if not alias.alias_name:
        raise BenchmarkError(f"The connection {MAIL_CONNECTION_CODE} has no order inbox.")
    company = mail_connection.company_id
    if not company.alias_domain_id:
        domain = env["mail.alias.domain"].search([("name", "=", ALIAS_DOMAIN)], limit=1)
        if not domain:
            domain = env["mail.alias.domain"].create({"name": ALIAS_DOMAIN})
        company.alias_domain_id = domain
        notes.append(f"alias domain {domain.name} set on {company.name}")
    if not alias.alias_domain_id:
        alias.alias_domain_id = company.alias_domain_id
        notes.append(f"order inbox {alias.alias_full_name}")
    # The measured mails are authenticated ones: a listed sender verified by our mail server.
    parameters = env["ir.config_parameter"].sudo()
    if not parameters.get_param("oci_punchout.mail_authserv_id"):
        parameters.set_param("oci_punchout.mail_authserv_id", AUTHSERV_ID)
        notes.append(f"mail server name {AUTHSERV_ID}")
    if not mail_connection.order_mail_trust_verified:
        mail_connection.order_mail_trust_verified = True
        notes.append(f"{MAIL_CONNECTION_CODE} trusts verified senders")
    return notes + prepare_connections(env, mail_connection | cxml_connection, min_products)


def prepare_connections(env, connections, min_products):
    """The connections' buyers can order: their currency active, nothing an aborted run left
    open, ``min_products`` benchmark products. What was done: a list of notes."""
    notes = []
    for inactive in connections.pricelist_id.currency_id.filtered(lambda c: not c.active):
        inactive.active = True
        notes.append(f"currency {inactive.name} activated")
    # Nothing an aborted run left may be matched: no open punch-in, no transferred quotation.
    env["punchout.session"].search(
        [("connection_id", "in", connections.ids), ("state", "=", "open")]
    )._expire()
    leftovers = env["sale.order"].search(
        [
            ("punchout_connection_id", "in", connections.ids),
            ("state", "in", ("draft", "sent")),
            ("punchout_po_number", "=", False),
        ]
    )
    leftovers._action_cancel()
    if leftovers:
        notes.append(f"{len(leftovers)} leftover quotation(s) cancelled")
    # Published benchmark products with internal references (shared with the other benchmarks).
    count = env["product.template"].search_count(bench_product_domain())
    if count < min_products:
        missing = min_products - count
        create_bench_products(env, missing)
        notes.append(f"{missing} published benchmark products created")
    return notes


# ----------------------------------------------------------------------
# Rounds
# ----------------------------------------------------------------------


class Bench:
    def __init__(self, args, odoo):
        self.args = args
        self.odoo = odoo
        database = bcx.CxmlDatabase(args.db)
        try:
            self.products = database.products(LINES + PRODUCT_MARGIN)[:LINES]
        finally:
            database.close()
        self.inbox, self.sender, self.supplier, self.authserv_id = odoo.mail_context()
        if not self.inbox or "@" not in self.inbox:
            raise BenchmarkError(f"The order inbox of {MAIL_CONNECTION_CODE} has no address.")
        self.secret = bcx.BUYER_SECRET_DEFAULT
        self.stamp = int(time.time())
        self.run_id = f"{self.stamp}-{os.getpid()}"
        self.sequence = 0
        self.pdf_outcomes = {}
        self.pdf_sizes = {}

    def next_po(self, kind):
        self.sequence += 1
        if kind == "PDF":  # SAP-like: 45 and eight digits
            return f"45{self.stamp % 1_000_000:06d}{self.sequence % 100:02d}"
        return f"BENCH-{kind}-{LINES}-{self.run_id}-{self.sequence}"

    def quotation(self, code):
        return self.odoo.transferred_quotation(
            code, self.products, f"bench-mail-{self.run_id}-{self.sequence}"
        )

    # -- the three paths -----------------------------------------------------

    def mail_xml(self):
        quotation_id, name, cart = self.quotation(MAIL_CONNECTION_CODE)
        po_number = self.next_po("MAILXML")
        document = bcx.cart_order_request(cart, po_number, self.secret)
        raw = mime_mail(
            self.sender,
            self.inbox,
            [(f"PO_{po_number}.xml", document, "application/xml")],
            subject=f"Purchase order {po_number}",
            authserv_id=self.authserv_id,
        )
        mail_id, elapsed, queries = self.odoo.mail(raw)
        outcome = self.odoo.outcome(quotation_id, po_number, mail_id)
        check_confirmed(outcome, name, po_number, f"Mail with the XML order {po_number}")
        if outcome["mail"]["state"] != "done" or outcome["mail"]["order"] != name:
            raise BenchmarkError(f"Mail {po_number}: {outcome['mail']}")
        return {"total": (elapsed, queries), "mail_bytes": len(raw)}

    def cxml(self):
        quotation_id, name, cart = self.quotation(CXML_CONNECTION_CODE)
        po_number = self.next_po("CXML")
        body = bcx.cart_order_request(cart, po_number, self.secret)
        (response, secret), elapsed, queries = self.odoo.cxml(body)
        answer = cxml.parse_response(response)
        if answer.status_code != 200:
            raise BenchmarkError(
                f"OrderRequest {po_number}: Status {answer.status_code} {answer.message}"
            )
        check_confirmed(self.odoo.outcome(quotation_id, po_number), name, po_number, po_number)
        return {"total": (elapsed, queries), "secret": secret}

    def mail_pdf(self, pages):
        quotation_id, name, cart = self.quotation(MAIL_CONNECTION_CODE)
        po_number = self.next_po("PDF")
        rows = [
            (
                item.supplier_part_auxiliary_id,
                item.supplier_part_id,
                item.quantity,
                item.unit_price.amount,
            )
            for item in cart.items
        ]
        pdf = sap_po_pdf(
            po_number,
            name,
            rows,
            pages,
            self.supplier,
            cart.total.currency,
            datetime.now(timezone.utc),
        )
        self.pdf_sizes[pages] = len(pdf)
        raw = mime_mail(
            self.sender,
            self.inbox,
            [(f"PO_{po_number}.pdf", pdf, "application/pdf")],
            subject=f"Purchase order {po_number}",
            authserv_id=self.authserv_id,
        )
        mail_id, elapsed, queries = self.odoo.mail(raw)
        outcome = self.odoo.outcome(quotation_id, po_number, mail_id)
        # What the addon does with an SAP print whose lines, prices and references can all be
        # read (tests/test_order_mail.py, test_sap_po_print): the quotation confirmed as is.
        summary = pdf_outcome(outcome, name, po_number)
        if summary != PDF_EXPECTED:
            raise BenchmarkError(
                f"PDF of {pages} page(s), PO {po_number}: {summary}; expected {PDF_EXPECTED}."
            )
        self.pdf_outcomes[pages] = summary
        return {"total": (elapsed, queries)}

    # -- rounds --------------------------------------------------------------

    def rounds(self):
        total = self.args.warmup + self.args.rounds
        samples = {"mail_xml": [], "cxml": [], "cxml_without_secret": [], "secret_check": []}
        samples.update({f"pdf_{pages}": [] for pages in PAGE_COUNTS})
        for index in range(total):
            measured = index >= self.args.warmup
            label = "measured" if measured else "warm-up"
            print(f"   round {index + 1}/{total} ({label})", file=sys.stderr, end="\r")
            order = PATHS if index % 2 == 0 else PATHS[::-1]
            results = {which: getattr(self, which)() for which in order}
            shift = index % len(PAGE_COUNTS)
            for pages in PAGE_COUNTS[shift:] + PAGE_COUNTS[:shift]:
                results[f"pdf_{pages}"] = self.mail_pdf(pages)
            if measured:
                for key, value in results.items():
                    samples[key].append(value["total"])
                elapsed, queries = results["cxml"]["total"]
                secret = results["cxml"]["secret"]
                samples["secret_check"].append(secret)
                samples["cxml_without_secret"].append((elapsed - secret, queries))
        print(file=sys.stderr)
        return samples


def check_confirmed(outcome, name, po_number, what):
    """The quotation confirmed as ordered: its lines, the PO number, nothing to review."""
    if (
        outcome["state"] != "sale"
        or outcome["lines"] != LINES
        or outcome["client_order_ref"] != po_number
        or outcome["orders_with_po"] != [name]
        or outcome["activities"]
    ):
        raise BenchmarkError(
            f"{what}: quotation {name} is {outcome['state']} with {outcome['lines']} lines, "
            f"reference {outcome['client_order_ref']!r}, orders with the PO "
            f"{outcome['orders_with_po']}, activities {outcome['activities']}; expected {name} "
            f"confirmed with {LINES} lines and no activity."
        )


def pdf_outcome(outcome, name, po_number):
    """A PDF mail's result in words; raises when it was not applied to our quotation."""
    mail = outcome["mail"]
    if mail["state"] != "done" or mail["order"] != name or outcome["po_number"] != po_number:
        raise BenchmarkError(
            f"PDF PO {po_number}: mail {mail['state']} ({mail['error'] or mail['attachments']}), "
            f"order {mail['order']!r}, quotation {name} {outcome['state']} with PO "
            f"{outcome['po_number']!r}."
        )
    if outcome["lines"] != LINES:
        raise BenchmarkError(f"PDF PO {po_number}: {name} has {outcome['lines']} lines.")
    state = {"sale": "confirmed", "sent": "kept as a quotation"}.get(
        outcome["state"], outcome["state"]
    )
    activities = sorted(set(outcome["activities"] + mail["activities"]))
    return f"{state}, {LINES} lines" + (
        f", activities: {'; '.join(activities)}" if activities else ", no activity"
    )


# ----------------------------------------------------------------------
# Statistics and report
# ----------------------------------------------------------------------


def summarize(samples):
    reference = [elapsed for elapsed, _q in samples["cxml"]]
    xml_mail = [elapsed for elapsed, _q in samples["mail_xml"]]
    without_secret = [elapsed for elapsed, _q in samples["cxml_without_secret"]]
    ref_queries = median([q for _t, q in samples["cxml"]])
    summary = {}
    for key in (
        "mail_xml",
        "cxml",
        "cxml_without_secret",
        *(f"pdf_{pages}" for pages in PAGE_COUNTS),
    ):
        entry = timed(samples[key])
        times = [elapsed for elapsed, _q in samples[key]]
        entry["ratio_cxml"] = {
            "median": ratio(times, reference, median),
            "p90": ratio(times, reference, p90),
            "queries": round(entry["queries"]["median"] / ref_queries, 2),
        }
        if key.startswith("pdf_"):
            entry["ratio_cxml_without_secret"] = {
                "median": ratio(times, without_secret, median),
                "p90": ratio(times, without_secret, p90),
            }
            entry["ratio_mail_xml"] = {
                "median": ratio(times, xml_mail, median),
                "p90": ratio(times, xml_mail, p90),
            }
        summary[key] = entry
    summary["secret_check"] = time_stats(samples["secret_check"])
    first, last = (summary[f"pdf_{pages}"] for pages in (PAGE_COUNTS[0], PAGE_COUNTS[-1]))
    extra_pages = PAGE_COUNTS[-1] - PAGE_COUNTS[0]
    summary["pdf_ms_per_extra_page"] = round(
        (last["time"]["median_ms"] - first["time"]["median_ms"]) / extra_pages, 2
    )
    summary["pdf_queries_per_extra_page"] = round(
        (last["queries"]["median"] - first["queries"]["median"]) / extra_pages, 2
    )
    summary["ratio_mail_xml_cxml_without_secret"] = {
        "median": ratio(xml_mail, without_secret, median),
        "p90": ratio(xml_mail, without_secret, p90),
    }
    return summary


LABEL_WIDTH = 44


def _cells(entry):
    timing = entry["time"]
    return (
        f"{timing['median_ms']:>9.1f}ms{timing['p90_ms']:>9.1f}ms"
        f"  {fmt_queries(entry['queries']):>16}"
    )


def _ratio(ratio):
    return f"{ratio['median']:>9.2f}x{ratio['p90']:>9.2f}x"


def print_report(summary, args, bench):
    config = summary["config"]
    header = f"{'':<{LABEL_WIDTH}}{'median':>11}{'p90':>11}  {'queries':>16}"
    lines = [
        "",
        f"Purchase orders by e-mail against the cXML OrderRequest: database {args.db}, in-process",
        f"  {args.rounds} rounds after {args.warmup} warm-up, each with fresh transferred "
        f"quotations of {LINES} lines (one unit each);",
        "  every call in a transaction of its own, committed. Time: the call and its commit; "
        "queries: the",
        "  call's SQL queries (odoo.sql_db's per-thread counter, as in the server's access log).",
        f"  Mail: message_process of a MIME mail to {bench.inbox} ({MAIL_CONNECTION_CODE});",
        f"  cXML: _cxml_store + punchout.cxml._handle_request ({CXML_CONNECTION_CODE}), as "
        "/punchout/cxml does.",
        "",
        f"1. A {LINES}-line purchase order to a confirmed sale order",
        header,
    ]
    for key in PATHS:
        lines.append(f"{PATH_LABELS[key]:<{LABEL_WIDTH}}{_cells(summary[key])}")
    secret = summary["secret_check"]
    lines.append(
        f"{'  of which its SharedSecret check':<{LABEL_WIDTH}}"
        f"{secret['median_ms']:>9.1f}ms{secret['p90_ms']:>9.1f}ms"
        "  (passlib verify, every cXML request)"
    )
    lines.append(f"{'  without it':<{LABEL_WIDTH}}{_cells(summary['cxml_without_secret'])}")
    xml_ratio = summary["mail_xml"]["ratio_cxml"]
    lines.append(
        f"{'ratio mail / cXML':<{LABEL_WIDTH}}{_ratio(xml_ratio)}  {xml_ratio['queries']:>15.2f}x"
    )
    lines.append(
        f"{'ratio mail / cXML without its secret check':<{LABEL_WIDTH}}"
        f"{_ratio(summary['ratio_mail_xml_cxml_without_secret'])}"
        "  (a mailed order is admitted by its alias, no secret)"
    )
    lines += [
        "",
        f"2. PDF purchase order by e-mail, the same {LINES} lines spread over the pages "
        "(SAP-like PO print)",
        header + f"{'PDF bytes':>10}{'/ cXML':>9}{'/ no secr.':>12}{'/ XML mail':>12}",
    ]
    for pages in PAGE_COUNTS:
        entry = summary[f"pdf_{pages}"]
        label = f"mail  PDF, {pages} page{'s' if pages > 1 else ''}"
        lines.append(
            f"{label:<{LABEL_WIDTH}}{_cells(entry)}{config['pdf_bytes'][str(pages)]:>10}"
            f"{entry['ratio_cxml']['median']:>8.2f}x"
            f"{entry['ratio_cxml_without_secret']['median']:>11.2f}x"
            f"{entry['ratio_mail_xml']['median']:>11.2f}x"
        )
    lines.append(
        "  (ratios of the medians: to cXML, to cXML without its secret check, to the XML mail;"
    )
    lines.append("  queries / cXML:")
    lines[-1] += (
        " "
        + ", ".join(
            f"{pages} p. {summary[f'pdf_{pages}']['ratio_cxml']['queries']:.2f}x"
            for pages in PAGE_COUNTS
        )
        + ")"
    )
    per_page = summary["pdf_ms_per_extra_page"]
    queries_per_page = summary["pdf_queries_per_extra_page"]
    lines.append(
        f"  time per extra page: {per_page:.1f} ms (medians, {PAGE_COUNTS[0]} to "
        f"{PAGE_COUNTS[-1]} pages); queries per extra page: {queries_per_page:g}"
    )
    lines += ["", "Outcome (checked after every call):"]
    for pages in PAGE_COUNTS:
        lines.append(f"  PDF, {pages:>2} page(s): {config['pdf_outcomes'][str(pages)]}")
    lines.append(
        f"  XML mail, cXML: {PDF_EXPECTED} (the quotation, with the PO number as its reference)"
    )
    lines.append(f"\nDuration: {config['duration_s']} s")
    print("\n".join(lines))


# ----------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------


def parse_args(argv=None):
    parser = argument_parser(__doc__, rounds=10, warmup=1)
    parser.add_argument("--addons-path", required=True, help="Odoo's addons path")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.warmup < 0:
        parser.error("--rounds must be at least 1, --warmup at least 0")
    return args


def main(argv=None):
    args = parse_args(argv)
    try:
        started = time.monotonic()
        odoo = Odoo(args)
        for note in odoo.setup(LINES + PRODUCT_MARGIN):
            print(f"   {note}", file=sys.stderr)
        bench = Bench(args, odoo)
        print(
            f"== Purchase orders by e-mail (XML, PDF of {', '.join(map(str, PAGE_COUNTS))} "
            "pages) vs. the cXML OrderRequest, in-process",
            file=sys.stderr,
        )
        samples = bench.rounds()
        summary = summarize(samples)
        summary["config"] = {
            "db": args.db,
            "mail_connection": MAIL_CONNECTION_CODE,
            "cxml_connection": CXML_CONNECTION_CODE,
            "inbox": bench.inbox,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "lines": LINES,
            "page_counts": list(PAGE_COUNTS),
            "pdf_bytes": {str(pages): bench.pdf_sizes[pages] for pages in PAGE_COUNTS},
            "pdf_outcomes": {str(pages): bench.pdf_outcomes[pages] for pages in PAGE_COUNTS},
            "duration_s": round(time.monotonic() - started, 1),
        }
        print_report(summary, args, bench)
        write_json(summary, args.json)
    except (BenchmarkError, psycopg2.Error) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
