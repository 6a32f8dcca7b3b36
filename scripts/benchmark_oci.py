"""Benchmark the OCI punchout paths against Odoo's own equivalents, measured in the same run.

Run through ``scripts/benchmark.sh`` (``make benchmark``), which creates the database, runs the
``--setup`` step below, starts an Odoo server on 127.0.0.1 with its access log in a file and
calls this script against it. Figures are ratios against Odoo's own equivalent measured in the
same run (so they hardly depend on the machine) plus SQL query counts per request, read from the
server's werkzeug access log (``"GET /shop HTTP/1.1" 200 - <queries> <query time> <rest>``).

1. Punch-in to rendered /shop (POST /punchout/oci/<code>, then GET /shop) against Odoo's portal
   login to rendered /shop (GET /web/login, POST /web/login, GET /shop), each in a fresh browser
   session, interleaved round by round.
2. Cart transfer: carts of 10 and 100 lines filled through the shop's own
   /shop/cart/update_json, then GET /shop/cart (Odoo's rendering of that cart) against
   POST /punchout/transfer (our OCI cart return), one transfer per punch-in. As a reference,
   a plain portal session (Odoo without punchout) holds a cart of the same lines whose page is
   rendered next to ours in every cycle: the addon's cost on Odoo's own cart page.

The ``--setup`` step (run before the server starts, never measured) gives the demo portal user
a known password (from the environment variable BENCH_PORTAL_PASSWORD) and creates published
benchmark products until a 100-line cart can be filled with distinct products.
"""

import os
import re
import sys
import time
from urllib.parse import urlsplit

import psycopg2
import requests
from bench import (
    BENCH_PRODUCT_PREFIX,
    AccessLog,
    BenchmarkError,
    CartFiller,
    Client,
    argument_parser,
    candidate_product_domain,
    check_loopback,
    create_bench_products,
    expect,
    find_form,
    fmt_queries,
    jsonrpc,
    median,
    odoo_registry,
    p90,
    query_stats,
    redirect_target,
    run,
    time_stats,
    timed,
    write_json,
)

CONNECTION_CODE = "demo-oci"
OCI_USERNAME = "demo-buyer"
OCI_PASSWORD_DEFAULT = "demo-secret"  # noqa: S105 (the demo connection's published password)
PORTAL_LOGIN = "punchout@demo-buyer.example"
PORTAL_USER_XMLID = "oci_punchout.demo_buyer_user"
CART_SIZES = (10, 100)
PRODUCT_MARGIN = 15  # spare candidates, in case some product cannot be added as is


# ----------------------------------------------------------------------
# Setup (imports Odoo; runs before the server starts)
# ----------------------------------------------------------------------


def run_setup(db, addons_path, min_products):
    # Only the setup step needs Odoo itself.
    from odoo import SUPERUSER_ID, api

    password = os.environ.get("BENCH_PORTAL_PASSWORD")
    if not password:
        raise BenchmarkError("BENCH_PORTAL_PASSWORD is not set.")
    with odoo_registry(db, addons_path).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        user = env.ref(PORTAL_USER_XMLID)
        user.password = password
        # Start from the same state every run: no open punch-in (an aborted run's) and no
        # draft shop cart of the portal user (the reference carts of the previous run).
        env["punchout.session"].search(
            [("user_id", "=", user.id), ("state", "=", "open")]
        )._expire()
        env["sale.order"].search(
            [
                ("partner_id", "=", user.partner_id.id),
                ("website_id", "!=", False),
                ("state", "=", "draft"),
            ]
        )._action_cancel()
        connection = env["punchout.connection"].search([("code", "=", CONNECTION_CODE)])
        if not connection:
            raise BenchmarkError(f"No punchout connection with code {CONNECTION_CODE!r}.")
        website = connection.website_id
        domain = candidate_product_domain(website.id)
        count = env["product.product"].search_count(domain)
        missing = min_products - count
        if missing > 0:
            create_bench_products(env, missing)
            print(f"   created {missing} published benchmark products")
        cr.commit()
    print(f"   portal user {PORTAL_LOGIN}: password set; {max(count, min_products)} products")


# ----------------------------------------------------------------------
# Measurement helpers
# ----------------------------------------------------------------------


class Bench:
    def __init__(self, args):
        self.args = args
        self.client = Client(args.url, AccessLog(args.log))
        self.hook_url = f"{args.url.rstrip('/')}/punchout/benchmark-hook"
        self.portal_password = os.environ.get("BENCH_PORTAL_PASSWORD") or ""
        self.oci_password = os.environ.get("BENCH_OCI_PASSWORD") or OCI_PASSWORD_DEFAULT
        if not self.portal_password:
            raise BenchmarkError("BENCH_PORTAL_PASSWORD is not set (see scripts/benchmark.sh).")

    # -- the two paths to a rendered /shop ---------------------------------

    def punch_in(self, session):
        """Our path: OCI punch-in, follow its redirect to the rendered shop."""
        response, t_post, q_post = self.client.request(
            session,
            "POST",
            f"/punchout/oci/{self.args.connection}",
            data={
                "USERNAME": OCI_USERNAME,
                "PASSWORD": self.oci_password,
                "HOOK_URL": self.hook_url,
                "~OkCode": "ADDI",
                "~TARGET": "_top",
                "~CALLER": "CTLG",
            },
        )
        location = redirect_target(response, "OCI punch-in")
        response, t_shop, q_shop = self.client.request(session, "GET", location)
        expect(response, 200, f"GET {location} after the punch-in")
        if "o_punchout_banner" not in response.text:
            raise BenchmarkError("The shop after the punch-in shows no punchout banner.")
        return response, {
            "punch_in": (t_post, q_post),
            "shop": (t_shop, q_shop),
            "total": t_post + t_shop,
        }

    def portal_login(self, session):
        """Odoo's path: the login page, the login form, the shop."""
        response, t_page, q_page = self.client.request(session, "GET", "/web/login")
        expect(response, 200, "GET /web/login")
        form = find_form(response.text, "/web/login")
        if not form or not form.get("csrf_token"):
            raise BenchmarkError("The login page has no login form with a csrf_token.")
        response, t_post, q_post = self.client.request(
            session,
            "POST",
            "/web/login",
            data={
                "csrf_token": form["csrf_token"],
                "login": self.args.portal_login,
                "password": self.portal_password,
                "redirect": "/shop",
            },
        )
        if response.status_code == 200:
            raise BenchmarkError("The portal login failed (login page shown again).")
        location = redirect_target(response, "POST /web/login")
        if urlsplit(location).path != "/shop":
            raise BenchmarkError(f"The portal login redirects to {location}, not /shop.")
        response, t_shop, q_shop = self.client.request(session, "GET", location)
        expect(response, 200, "GET /shop after the portal login")
        if "/web/session/logout" not in response.text:
            raise BenchmarkError("The shop after the portal login shows no logged-in user.")
        return response, {
            "login_page": (t_page, q_page),
            "login": (t_post, q_post),
            "shop": (t_shop, q_shop),
            "total": t_page + t_post + t_shop,
        }

    def cancel_punch_in(self, session, page):
        """Return an empty cart (not measured): leaves no open session and draft cart behind."""
        form = find_form(page.text, "/punchout/cancel")
        if not form:
            raise BenchmarkError("The punchout page has no cancel form.")
        response, _t, _q = self.client.request(session, "POST", "/punchout/cancel", data=form)
        expect(response, 200, "POST /punchout/cancel")

    def login_rounds(self):
        samples = {"ours": [], "odoo": []}
        total_rounds = self.args.warmup + self.args.rounds
        for index in range(total_rounds):
            measured = index >= self.args.warmup
            # Alternate which path goes first, so neither always runs right after the other.
            order = ("ours", "odoo") if index % 2 == 0 else ("odoo", "ours")
            for which in order:
                with requests.Session() as session:
                    if which == "ours":
                        page, result = self.punch_in(session)
                        self.cancel_punch_in(session, page)
                    else:
                        _page, result = self.portal_login(session)
                if measured:
                    samples[which].append(result)
            label = "measured" if measured else "warm-up"
            print(f"   round {index + 1}/{total_rounds} ({label})", file=sys.stderr, end="\r")
        print(file=sys.stderr)
        return samples

    # -- carts --------------------------------------------------------------

    def candidate_products(self):
        """Published saleable variants, demo products first, then the benchmark products."""
        with psycopg2.connect(dbname=self.args.db) as conn, conn.cursor() as cr:
            cr.execute(
                """
                SELECT pp.id
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  JOIN punchout_connection pc ON pc.code = %s
                 WHERE pp.active AND pt.active AND pt.sale_ok AND pt.is_published
                   AND pt.type IN ('consu', 'service')
                   AND (pt.website_id IS NULL OR pt.website_id = pc.website_id)
                   AND (pt.company_id IS NULL OR pt.company_id = pc.company_id)
              ORDER BY (pt.default_code LIKE %s) IS TRUE, pt.id, pp.id
                """,
                [self.args.connection, BENCH_PRODUCT_PREFIX + "%"],
            )
            products = [row[0] for row in cr.fetchall()]
        if len(products) < max(CART_SIZES):
            raise BenchmarkError(
                f"{len(products)} published saleable products, {max(CART_SIZES)} needed: run "
                "the setup step first (scripts/benchmark.sh does)."
            )
        return products

    def cart_cycle(self, size, products, reference=None, reference_first=False):
        """Punch in, fill ``size`` lines, render the cart page, transfer the cart.

        ``reference``: a plain portal session holding a cart of the same lines; its cart page
        is rendered right before or after ours, so both are measured under the same load.
        """
        with requests.Session() as session:
            _page, punch = self.punch_in(session)
            fill = CartFiller(self.client, session, products).fill_to(size)
            portal_cart = None
            if reference is not None and reference_first:
                portal_cart = self.reference_cart_page(reference)
            response, t_cart, q_cart = self.client.request(session, "GET", "/shop/cart")
            expect(response, 200, "GET /shop/cart")
            if reference is not None and not reference_first:
                portal_cart = self.reference_cart_page(reference)
            form = find_form(response.text, "/punchout/transfer")
            if not form or not form.get("punchout_session_id") or not form.get("csrf_token"):
                raise BenchmarkError("The cart page has no transfer form.")
            data = {
                "csrf_token": form["csrf_token"],
                "punchout_session_id": form["punchout_session_id"],
            }
            response, t_transfer, q_transfer = self.client.request(
                session, "POST", "/punchout/transfer", data=data
            )
            expect(response, 200, "POST /punchout/transfer")
            items = len(set(re.findall(r"NEW_ITEM-DESCRIPTION\[(\d+)\]", response.text)))
            if items != size:
                raise BenchmarkError(f"The transfer returned {items} items instead of {size}.")
        return {
            "punch_in": punch,
            "fill": fill,
            "cart": (t_cart, q_cart),
            "transfer": (t_transfer, q_transfer),
            "portal_cart": portal_cart,
        }

    def reference_cart_page(self, session):
        response, elapsed, queries = self.client.request(session, "GET", "/shop/cart")
        expect(response, 200, "GET /shop/cart (portal session)")
        if "o_punchout_banner" in response.text:
            raise BenchmarkError("The plain portal session shows a punchout banner.")
        return elapsed, queries

    def cart_rounds(self, products):
        """Punchout carts of each size, and as reference the same cart in a portal session.

        The reference is one cart, filled to each size in turn (Odoo's own way, without
        punchout), emptied at the end; the setup step cancels it before the next run.
        """
        results = {}
        reference = {}
        with requests.Session() as portal_session:
            self.portal_login(portal_session)
            filler = CartFiller(self.client, portal_session, products)
            # One untimed cycle first: the first cart of a run loads code and caches.
            self.cart_cycle(min(CART_SIZES), products)
            for size in CART_SIZES:
                reference_fill = filler.fill_to(size)
                self.reference_cart_page(portal_session)  # untimed: first render after filling
                results[size] = []
                for index in range(self.args.cycles):
                    print(
                        f"   {size}-line cart {index + 1}/{self.args.cycles}",
                        file=sys.stderr,
                        end="\r",
                    )
                    cycle = self.cart_cycle(
                        size, products, reference=portal_session, reference_first=index % 2 == 1
                    )
                    results[size].append(cycle)
                print(file=sys.stderr)
                reference[size] = {
                    "fill": reference_fill,
                    "cart": [cycle["portal_cart"] for cycle in results[size]],
                }
            self.client.request(portal_session, "POST", "/shop/cart/clear", json=jsonrpc({}))
        return results, reference


# ----------------------------------------------------------------------
# Statistics and report
# ----------------------------------------------------------------------


def summarize(login_samples, cart_samples, portal_samples):
    ours = login_samples["ours"]
    odoo = login_samples["odoo"]
    ours_total = [sample["total"] for sample in ours]
    odoo_total = [sample["total"] for sample in odoo]
    login = {
        "ours_total": time_stats(ours_total),
        "odoo_total": time_stats(odoo_total),
        "ratio_median": round(median(ours_total) / median(odoo_total), 2),
        "ratio_p90": round(p90(ours_total) / p90(odoo_total), 2),
        "requests": {},
    }
    parts = {"ours": ("punch_in", "shop"), "odoo": ("login_page", "login", "shop")}
    for which, samples in (("ours", ours), ("odoo", odoo)):
        for part in parts[which]:
            login["requests"][f"{which}.{part}"] = timed([sample[part] for sample in samples])
    carts = {}
    for size, cycles in cart_samples.items():
        cart_page = [cycle["cart"] for cycle in cycles]
        transfer = [cycle["transfer"] for cycle in cycles]
        portal = portal_samples[size]
        carts[str(size)] = {
            "cart_page": timed(cart_page),
            "transfer": timed(transfer),
            "ratio_transfer_cart_page": round(
                median([t for t, _q in transfer]) / median([t for t, _q in cart_page]), 2
            ),
            # update_json: time over every added line, queries of the call adding the last one
            "update_json": {
                "time": time_stats([t for cycle in cycles for t, _q in cycle["fill"]]),
                "queries_last_line": query_stats([cycle["fill"][-1][1] for cycle in cycles]),
            },
            "portal_cart_page": timed(portal["cart"]),
            "portal_update_json": {
                "time": time_stats([t for t, _q in portal["fill"]]),
                "queries_last_line": query_stats([portal["fill"][-1][1]]),
            },
            "ratio_cart_page_punchout_portal": round(
                median([t for t, _q in cart_page]) / median([t for t, _q in portal["cart"]]), 2
            ),
        }
    sizes = sorted(cart_samples)
    scaling = {}
    if len(sizes) >= 2:
        small, large = str(sizes[0]), str(sizes[-1])
        extra = sizes[-1] - sizes[0]
        for key, stat in (
            ("cart_page", "queries"),
            ("transfer", "queries"),
            ("update_json", "queries_last_line"),
            ("portal_cart_page", "queries"),
            ("portal_update_json", "queries_last_line"),
        ):
            low = carts[small][key][stat]["median"]
            high = carts[large][key][stat]["median"]
            if low is not None and high is not None:
                scaling[key] = round((high - low) / extra, 2)
    return {"login": login, "carts": carts, "queries_per_extra_line": scaling}


def _row(label, timing, queries=None):
    row = f"{label:<50}{timing['median_ms']:>8.1f}ms{timing['p90_ms']:>8.1f}ms"
    if queries is not None:
        row += f"  {fmt_queries(queries):>12}"
    return row


def _row_of(label, entry):
    return _row(label, entry["time"], entry["queries"])


def _header(title):
    return f"{title:<50}{'median':>10}{'p90':>10}  {'queries':>12}"


def print_report(summary, args):
    login = summary["login"]
    requests_ = login["requests"]
    lines = [
        "",
        f"OCI punchout benchmark: {args.url}, database {args.db}",
        f"  {args.rounds} rounds after {args.warmup} warm-up; {args.cycles} carts per size; wall "
        "time as the client sees it; SQL queries per request from the server's access log",
        "",
        _header("1. Punch-in to rendered /shop"),
    ]
    for key, label in (
        ("ours.punch_in", f"  ours  POST /punchout/oci/{args.connection}"),
        ("ours.shop", "  ours  GET /shop (punchout session)"),
        ("odoo.login_page", "  Odoo  GET /web/login"),
        ("odoo.login", "  Odoo  POST /web/login (portal user)"),
        ("odoo.shop", "  Odoo  GET /shop (portal user)"),
    ):
        lines.append(_row(label, requests_[key]["time"], requests_[key]["queries"]))
    lines += [
        _row("  ours  punch-in + /shop", login["ours_total"]),
        _row("  Odoo  login page + login + /shop", login["odoo_total"]),
        f"{'  ratio ours / Odoo':<50}{login['ratio_median']:>9.2f}x{login['ratio_p90']:>9.2f}x",
        "",
        _header("2. Cart transfer against the cart page"),
    ]
    for size, cart in summary["carts"].items():
        lines += [
            _row_of(f"  {size:>3} lines  GET /shop/cart (punchout)", cart["cart_page"]),
            _row_of(f"  {size:>3} lines  POST /punchout/transfer", cart["transfer"]),
            f"  {size:>3} lines  {'ratio transfer / cart page':<38}"
            f"{cart['ratio_transfer_cart_page']:>9.2f}x",
        ]
    lines += ["", _header("3. Reference: the same carts without punchout")]
    for size, cart in summary["carts"].items():
        lines += [
            _row_of(
                f"  {size:>3} lines  GET /shop/cart (portal session)", cart["portal_cart_page"]
            ),
            f"  {size:>3} lines  {'ratio cart page punchout / portal':<38}"
            f"{cart['ratio_cart_page_punchout_portal']:>9.2f}x",
        ]
    lines += ["", _header("4. Cart fill, update_json (last line's queries)")]
    for size, cart in summary["carts"].items():
        for key, label in (("update_json", "punchout"), ("portal_update_json", "portal")):
            lines.append(
                _row(
                    f"  {size:>3} lines  POST /shop/cart/update_json, {label}",
                    cart[key]["time"],
                    cart[key]["queries_last_line"],
                )
            )
    scaling = summary["queries_per_extra_line"]
    if scaling:
        sizes = list(summary["carts"])
        lines += ["", f"5. SQL queries per extra cart line ({sizes[0]} to {sizes[-1]} lines)"]
        labels = {
            "cart_page": "GET /shop/cart, punchout",
            "transfer": "POST /punchout/transfer",
            "update_json": "POST /shop/cart/update_json, punchout",
            "portal_cart_page": "GET /shop/cart, portal",
            "portal_update_json": "POST /shop/cart/update_json, portal",
        }
        lines += [f"  {labels[key]:<48}{value:>10g}" for key, value in scaling.items()]
    print("\n".join(lines))


# ----------------------------------------------------------------------
# Entry point
# ----------------------------------------------------------------------


def parse_args(argv=None):
    parser = argument_parser(__doc__, rounds=20, warmup=3)
    parser.add_argument("--url", help="Odoo server, e.g. http://127.0.0.1:8269")
    parser.add_argument("--log", help="the server's log file (access log with query counts)")
    parser.add_argument("--cycles", type=int, default=5, help="transfers per cart size")
    parser.add_argument("--connection", default=CONNECTION_CODE, help="OCI connection code")
    parser.add_argument("--portal-login", default=PORTAL_LOGIN, help="portal user's login")
    parser.add_argument(
        "--setup",
        action="store_true",
        help="prepare the database (portal password, products) and exit; needs Odoo importable",
    )
    parser.add_argument("--addons-path", help="with --setup: Odoo's addons path")
    args = parser.parse_args(argv)
    if args.setup:
        if not args.addons_path:
            parser.error("--setup needs --addons-path")
    else:
        if not (args.url and args.log):
            parser.error("--url and --log are required")
        if args.rounds < 1 or args.cycles < 1 or args.warmup < 0:
            parser.error("--rounds and --cycles must be at least 1, --warmup at least 0")
        check_loopback(parser, args.url)
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.setup:
        return run(lambda: run_setup(args.db, args.addons_path, max(CART_SIZES) + PRODUCT_MARGIN))
    return run(lambda: measure(args), errors=(requests.RequestException,))


def measure(args):
    bench = Bench(args)
    started = time.monotonic()
    print("== 1. punch-in vs. portal login", file=sys.stderr)
    login_samples = bench.login_rounds()
    print(
        "== 2. cart transfer vs. cart page (and the same cart without punchout)", file=sys.stderr
    )
    products = bench.candidate_products()
    cart_samples, portal_samples = bench.cart_rounds(products)
    summary = summarize(login_samples, cart_samples, portal_samples)
    summary["config"] = {
        "url": args.url,
        "db": args.db,
        "connection": args.connection,
        "rounds": args.rounds,
        "warmup": args.warmup,
        "cycles": args.cycles,
        "cart_sizes": list(CART_SIZES),
        "duration_s": round(time.monotonic() - started, 1),
    }
    print_report(summary, args)
    write_json(summary, args.json)


if __name__ == "__main__":
    sys.exit(main())
