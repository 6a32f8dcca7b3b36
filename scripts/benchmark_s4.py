"""Benchmark SAP S/4HANA purchase orders over SOAP against the cXML OrderRequest, in the same run.

Run through ``scripts/benchmark.sh --s4`` (which builds the database like the other benchmarks),
or directly: ``python3 scripts/benchmark_s4.py --db oci_punchout_bench --addons-path <Odoo's
addons>,<this repository>``. Everything is measured inside this process, as in
``benchmark_mail.py`` (whose helpers this scenario uses): Odoo imported, cursors of its own on
the database, each measured call committed as the endpoints commit theirs. Figures are ratios
against the cXML OrderRequest measured in the same run, plus SQL query counts per call
(odoo.sql_db's per-thread counter, the figure the server's access log shows for a request).

Each round starts from fresh quotations, prepared untimed: a punch-in session, its cart filled
with 50 distinct benchmark products, transferred (the session's own transfer, which makes the
cart a sent quotation). Then, timed:

1. S/4HANA: the OrderRequest the buyer's S/4HANA posts for that cart (SOAP 1.1, built untimed
   with ``protocol.s4.build_order_request``: items 10, 20, ... with our internal reference as
   SellerProductID, quantity and unit, net price, our quotation and line as
   QuotationReference), from a cart transferred by an OCI punch-in of the ``demo-s4``
   connection, given to what ``/punchout/s4/demo-s4`` does with it:
   ``punchout.s4._receive`` with the connection's Basic credentials, each of its steps (store,
   authenticate, process) in a transaction of its own, committed, by the endpoint's
   ``run_in_new_transaction``. Checked: HTTP 202, the quotation a confirmed sale order of 50
   lines with the PO number, no activity. Timed inside the call, and reported: the Basic-auth
   check (``punchout.s4._check_credentials``: a passlib verify of the OCI password, hashed with
   Odoo's password rounds, where the cXML SharedSecret has the few rounds of an API key) and
   the OrderConfRequest written by zeep and queued (``demo-s4`` sends confirmations to the
   buyer simulator; ``demo-cxml`` has no confirmation URL, so the cXML path writes none).
2. Reference, cXML: the same OrderRequest, from an equivalent quotation transferred by the
   ``demo-cxml`` connection, measured exactly as ``benchmark_mail.py`` measures it
   (``punchout.message._cxml_store``, then ``punchout.cxml._handle_request``, in one
   transaction); its SharedSecret check timed inside the call.

The first step (untimed) makes the database ready: the demo buyer's currency active, benchmark
products, and what an aborted run left open on the two connections cancelled.
"""

import base64
import os
import sys
import threading
import time
import uuid
from datetime import datetime, timezone

import benchmark_cxml as bcx
import benchmark_mail as bmail
import psycopg2
from bench import (
    BENCH_PRODUCT_PREFIX,
    BenchmarkError,
    argument_parser,
    fmt_queries,
    load_protocol,
    median,
    p90,
    ratio,
    time_method,
    time_stats,
    timed,
    write_json,
)

s4 = load_protocol().s4

S4_CONNECTION_CODE = "demo-s4"
S4_USER = "demo-s4"  # the demo connection's published OCI user and password
S4_PASSWORD = "demo-secret"  # noqa: S105
CXML_CONNECTION_CODE = bmail.CXML_CONNECTION_CODE
LINES = bmail.LINES
PRODUCT_MARGIN = bmail.PRODUCT_MARGIN
PATHS = ("s4", "cxml")
STEPS = ("store", "authenticate", "process")
STEP_LABELS = {
    "store": "step 1: stored (excerpt)",
    "authenticate": "step 2: Basic auth, kept whole",
    "process": "step 3: read, matched, confirmed",
}
PATH_LABELS = {
    "s4": "S/4  SOAP OrderRequest (endpoint's steps)",
    "cxml": "cXML OrderRequest (as benchmark_mail)",
}

# ----------------------------------------------------------------------
# Documents
# ----------------------------------------------------------------------


def s4_order_request(cart, quotation, po_number, message_id, created):
    """SAP's OrderRequest of a transferred cart (a PunchOutOrderMessage of our quotation
    ``quotation``), as the buyer's S/4HANA posts it: SOAP 1.1 bytes."""
    items = []
    for number, item in enumerate(cart.items, start=1):
        reference, _sep, line_id = (item.supplier_part_auxiliary_id or "").rpartition("/")
        if reference != quotation or not line_id.isdigit():
            raise BenchmarkError(
                f"Cart line {number} of {quotation}: reference "
                f"{item.supplier_part_auxiliary_id!r}, not {quotation}/<line>."
            )
        if not item.supplier_part_id.startswith(BENCH_PRODUCT_PREFIX):
            raise BenchmarkError(f"Cart line {number}: {item.supplier_part_id} is no product's.")
        items.append(
            s4.S4OrderItem(
                item_id=10 * number,
                quantity=item.quantity,
                unit=item.unit_of_measure or "C62",
                seller_product_id=item.supplier_part_id,  # our internal reference
                net_price=item.unit_price.amount,
                quotation_id=quotation,
                quotation_item_id=line_id,
            )
        )
    order = s4.S4Order(
        purchase_order_id=po_number,
        currency=cart.total.currency,
        items=items,
        order_date=created[:10],
    )
    return s4.build_order_request(order, message_id, created)


def basic_authorization(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ----------------------------------------------------------------------
# Odoo, in this process
# ----------------------------------------------------------------------


class Odoo(bmail.Odoo):
    """The mail benchmark's Odoo (quotations, its cXML call, outcomes), with the S/4HANA
    endpoint's call."""

    def __init__(self, args):
        super().__init__(args)
        from odoo.addons.oci_punchout.models.punchout_message import run_in_new_transaction

        self.run_in_new_transaction = run_in_new_transaction

    def setup(self, min_products):
        return self.run(lambda env: _setup(env, min_products))

    def s4(self, body, authorization, message_id):
        """What /punchout/s4/demo-s4 does with a request: ((HTTP status, answer, [(seconds,
        queries)] of each step, seconds in its Basic-auth check, seconds writing and queueing
        the OrderConfRequest), seconds, queries). Each step runs in a transaction of its own,
        committed (the endpoint's ``run_in_new_transaction``); the call's own cursor, as the
        request's, only lends its environment."""
        steps, check, confirmation = [], [], []

        def call(env):
            thread = threading.current_thread()

            def run(function):
                before = thread.query_count
                start = time.perf_counter()
                try:
                    return self.run_in_new_transaction(env.registry, function)
                finally:
                    steps.append((time.perf_counter() - start, thread.query_count - before))

            S4 = type(env["punchout.s4"])
            with (
                time_method(S4, "_check_credentials", check),
                time_method(S4, "_queue_confirmation", confirmation),
            ):
                return env["punchout.s4"]._receive(
                    S4_CONNECTION_CODE,
                    body,
                    authorization,
                    "127.0.0.1",
                    message_id=message_id,
                    run=run,
                )

        (status, answer, _version), elapsed, queries = self.transaction(call)
        return (status, answer, steps, sum(check), sum(confirmation)), elapsed, queries

    def hash_rounds(self):
        """The passlib rounds of the two credentials checked: (the demo-s4 OCI password's,
        the demo-cxml SharedSecret's)."""

        def read(env):
            s4_connection = bmail._connection(env, S4_CONNECTION_CODE).sudo()
            cxml_connection = bmail._connection(env, CXML_CONNECTION_CODE).sudo()
            return (
                _rounds(s4_connection.oci_password_hash),
                _rounds(cxml_connection.cxml_shared_secret_hash),
            )

        return self.run(read)

    def s4_outcome(self, quotation_id):
        """The S/4HANA messages of the quotation: ([states of its OrderRequests], the number
        of OrderConfRequests queued)."""

        def read(env):
            messages = env["punchout.message"].search(
                [("order_id", "=", quotation_id), ("kind", "in", ("s4_order", "s4_confirmation"))]
            )
            return (
                messages.filtered(lambda m: m.kind == "s4_order").mapped("state"),
                len(messages.filtered(lambda m: m.kind == "s4_confirmation")),
            )

        return self.run(read)


def _rounds(passlib_hash):
    """The rounds of a passlib pbkdf2 hash ($pbkdf2-sha512$<rounds>$...), 0 when unknown."""
    parts = (passlib_hash or "").split("$")
    return int(parts[2]) if len(parts) > 3 and parts[2].isdigit() else 0


def _setup(env, min_products):
    s4_connection = bmail._connection(env, S4_CONNECTION_CODE)
    cxml_connection = bmail._connection(env, CXML_CONNECTION_CODE)
    if s4_connection.protocol != "s4":
        raise BenchmarkError(
            f"The connection {S4_CONNECTION_CODE} has the protocol {s4_connection.protocol!r}, "
            "not 's4'."
        )
    if s4_connection.oci_username != S4_USER or not s4_connection.oci_password_hash:
        raise BenchmarkError(
            f"The connection {S4_CONNECTION_CODE} is not the demo's (OCI user {S4_USER})."
        )
    if not s4_connection.active:
        raise BenchmarkError(f"The connection {S4_CONNECTION_CODE} is archived.")
    return bmail.prepare_connections(env, s4_connection | cxml_connection, min_products)


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
        self.secret = bcx.BUYER_SECRET_DEFAULT
        self.authorization = basic_authorization(S4_USER, S4_PASSWORD)
        self.stamp = int(time.time())
        self.run_id = f"{self.stamp}-{os.getpid()}"
        self.sequence = 0
        self.confirmations = set()
        self.body_sizes = {}

    def next_po(self, kind):
        self.sequence += 1
        return f"BENCH-{kind}-{LINES}-{self.run_id}-{self.sequence}"

    def quotation(self, code):
        return self.odoo.transferred_quotation(
            code, self.products, f"bench-s4-{self.run_id}-{self.sequence}"
        )

    # -- the two paths -------------------------------------------------------

    def s4(self):
        quotation_id, name, cart = self.quotation(S4_CONNECTION_CODE)
        po_number = self.next_po("S4")
        message_id = uuid.uuid4().hex.upper()  # SAP's: 32 hex digits
        created = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        body = s4_order_request(cart, name, po_number, message_id, created)
        self.body_sizes["s4"] = len(body)
        (status, answer, steps, check, confirmation), elapsed, queries = self.odoo.s4(
            body, self.authorization, message_id
        )
        if status != 202:
            fault = s4.parse_fault(answer)[1] if answer else ""
            raise BenchmarkError(f"S/4HANA OrderRequest {po_number}: HTTP {status} {fault}")
        if len(steps) != len(STEPS):
            raise BenchmarkError(f"S/4HANA OrderRequest {po_number}: {len(steps)} steps.")
        outcome = self.odoo.outcome(quotation_id, po_number)
        bmail.check_confirmed(outcome, name, po_number, f"S/4HANA OrderRequest {po_number}")
        states, confirmations = self.odoo.s4_outcome(quotation_id)
        if states != ["done"]:
            raise BenchmarkError(f"S/4HANA OrderRequest {po_number}: logged {states}.")
        self.confirmations.add(confirmations)
        return {
            "total": (elapsed, queries),
            "steps": steps,
            "auth": check,
            "confirmation": confirmation,
        }

    # The reference: exactly the mail benchmark's (its quotation, document, call and checks).
    cxml = bmail.Bench.cxml

    # -- rounds --------------------------------------------------------------

    def rounds(self):
        total = self.args.warmup + self.args.rounds
        samples = {
            key: []
            for key in (
                *PATHS,
                *(f"s4_{step}" for step in STEPS),
                "s4_without_auth",
                "s4_without_auth_confirmation",
                "cxml_without_secret",
                "auth_check",
                "confirmation",
                "secret_check",
            )
        }
        for index in range(total):
            measured = index >= self.args.warmup
            label = "measured" if measured else "warm-up"
            print(f"   round {index + 1}/{total} ({label})", file=sys.stderr, end="\r")
            order = PATHS if index % 2 == 0 else PATHS[::-1]
            results = {which: getattr(self, which)() for which in order}
            if not measured:
                continue
            for which in PATHS:
                samples[which].append(results[which]["total"])
            s4_result = results["s4"]
            for step, sample in zip(STEPS, s4_result["steps"], strict=True):
                samples[f"s4_{step}"].append(sample)
            elapsed, queries = s4_result["total"]
            auth, confirmation = s4_result["auth"], s4_result["confirmation"]
            samples["auth_check"].append(auth)
            samples["confirmation"].append(confirmation)
            samples["s4_without_auth"].append((elapsed - auth, queries))
            samples["s4_without_auth_confirmation"].append(
                (elapsed - auth - confirmation, queries)
            )
            elapsed, queries = results["cxml"]["total"]
            secret = results["cxml"]["secret"]
            samples["secret_check"].append(secret)
            samples["cxml_without_secret"].append((elapsed - secret, queries))
        print(file=sys.stderr)
        return samples


# ----------------------------------------------------------------------
# Statistics and report
# ----------------------------------------------------------------------


def _times(samples):
    return [elapsed for elapsed, _q in samples]


def summarize(samples):
    summary = {
        key: timed(samples[key])
        for key in (
            *PATHS,
            *(f"s4_{step}" for step in STEPS),
            "s4_without_auth",
            "s4_without_auth_confirmation",
            "cxml_without_secret",
        )
    }
    for key in ("auth_check", "confirmation", "secret_check"):
        summary[key] = time_stats(samples[key])
    reference = _times(samples["cxml"])
    without_secret = _times(samples["cxml_without_secret"])
    ref_queries = summary["cxml"]["queries"]["median"]
    summary["ratio_s4_cxml"] = {
        "median": ratio(_times(samples["s4"]), reference, median),
        "p90": ratio(_times(samples["s4"]), reference, p90),
        "queries": round(summary["s4"]["queries"]["median"] / ref_queries, 2),
    }
    summary["ratio_s4_cxml_without_checks"] = {
        "median": ratio(_times(samples["s4_without_auth"]), without_secret, median),
        "p90": ratio(_times(samples["s4_without_auth"]), without_secret, p90),
    }
    summary["ratio_s4_cxml_without_checks_confirmation"] = {
        "median": ratio(_times(samples["s4_without_auth_confirmation"]), without_secret, median),
        "p90": ratio(_times(samples["s4_without_auth_confirmation"]), without_secret, p90),
    }
    return summary


LABEL_WIDTH = 46


def _cells(entry):
    timing = entry["time"]
    return (
        f"{timing['median_ms']:>9.1f}ms{timing['p90_ms']:>9.1f}ms"
        f"  {fmt_queries(entry['queries']):>16}"
    )


def _share(label, stats, note=""):
    text = f"{label:<{LABEL_WIDTH}}{stats['median_ms']:>9.1f}ms{stats['p90_ms']:>9.1f}ms"
    return f"{text}  {note}" if note else text


def _ratio(label, entry, note=""):
    queries = f"  {entry['queries']:>15.2f}x" if "queries" in entry else ""
    text = f"{label:<{LABEL_WIDTH}}{entry['median']:>9.2f}x{entry['p90']:>9.2f}x{queries}"
    return f"{text}  {note}" if note else text


def print_report(summary, args):
    config = summary["config"]
    header = f"{'':<{LABEL_WIDTH}}{'median':>11}{'p90':>11}  {'queries':>16}"
    lines = [
        "",
        "SAP S/4HANA purchase orders over SOAP against the cXML OrderRequest: database "
        f"{args.db}, in-process",
        f"  {args.rounds} rounds after {args.warmup} warm-up, each with fresh transferred "
        f"quotations of {LINES} lines (one unit each).",
        f"  S/4: punchout.s4._receive of a SOAP 1.1 OrderRequest ({config['s4_bytes']} bytes) "
        f"to {S4_CONNECTION_CODE}, its 3 steps",
        "  each in a transaction of its own, committed (run_in_new_transaction), as "
        "/punchout/s4/<code> does;",
        f"  cXML: _cxml_store + punchout.cxml._handle_request ({CXML_CONNECTION_CODE}) in one "
        "transaction, committed, as",
        "  benchmark_mail.py measures it. Time: the call and its commits; queries: the call's "
        "SQL queries",
        "  (odoo.sql_db's per-thread counter, as in the server's access log).",
        "",
        f"A {LINES}-line purchase order to a confirmed sale order",
        header,
        f"{PATH_LABELS['s4']:<{LABEL_WIDTH}}{_cells(summary['s4'])}",
    ]
    for step in STEPS:
        lines.append(f"{'  ' + STEP_LABELS[step]:<{LABEL_WIDTH}}{_cells(summary[f's4_{step}'])}")
    lines += [
        _share(
            "  of which its Basic-auth check",
            summary["auth_check"],
            f"(passlib, {config['s4_password_rounds']} rounds, every request)",
        ),
        _share(
            "  of which the OrderConfRequest (zeep)",
            summary["confirmation"],
            f"(written and queued: {S4_CONNECTION_CODE} sends confirmations)",
        ),
        f"{'  without its Basic-auth check':<{LABEL_WIDTH}}{_cells(summary['s4_without_auth'])}",
        f"{'  without it and the OrderConfRequest':<{LABEL_WIDTH}}"
        f"{_cells(summary['s4_without_auth_confirmation'])}",
        f"{PATH_LABELS['cxml']:<{LABEL_WIDTH}}{_cells(summary['cxml'])}",
        _share(
            "  of which its SharedSecret check",
            summary["secret_check"],
            f"(passlib, {config['cxml_secret_rounds']} rounds, every cXML request)",
        ),
        f"{'  without it':<{LABEL_WIDTH}}{_cells(summary['cxml_without_secret'])}",
        _ratio("ratio S/4 / cXML", summary["ratio_s4_cxml"]),
        _ratio("ratio without their credential checks", summary["ratio_s4_cxml_without_checks"]),
        _ratio(
            "  and without the OrderConfRequest",
            summary["ratio_s4_cxml_without_checks_confirmation"],
            f"({CXML_CONNECTION_CODE} has no confirmation URL: its path writes none)",
        ),
        "",
        "Outcome (checked after every call): HTTP 202 (S/4), Status 200 (cXML); the quotation "
        "confirmed with its",
        f"  {LINES} lines, the PO number as its reference, no activity; OrderConfRequests queued "
        f"per S/4 order: {', '.join(map(str, config['s4_confirmations_queued']))}.",
        f"\nDuration: {config['duration_s']} s",
    ]
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
            "== SAP S/4HANA purchase orders over SOAP vs. the cXML OrderRequest, in-process",
            file=sys.stderr,
        )
        samples = bench.rounds()
        password_rounds, secret_rounds = odoo.hash_rounds()  # as checked (after re-hashing)
        summary = summarize(samples)
        summary["config"] = {
            "db": args.db,
            "s4_connection": S4_CONNECTION_CODE,
            "cxml_connection": CXML_CONNECTION_CODE,
            "rounds": args.rounds,
            "warmup": args.warmup,
            "lines": LINES,
            "steps": list(STEPS),
            "s4_bytes": bench.body_sizes["s4"],
            "s4_confirmations_queued": sorted(bench.confirmations),
            "s4_password_rounds": password_rounds,
            "cxml_secret_rounds": secret_rounds,
            "duration_s": round(time.monotonic() - started, 1),
        }
        print_report(summary, args)
        write_json(summary, args.json)
    except (BenchmarkError, psycopg2.Error) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
