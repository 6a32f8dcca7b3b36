#!/usr/bin/env python3
"""make stress, second stage: many buyers at once against Odoo with several workers.

Run by ``scripts/stress.sh``, which builds a fresh database, runs ``--setup`` (Odoo imported,
before the server starts), starts Odoo with ``--workers 4`` and a cron worker on 127.0.0.1, and
runs this script against it over real HTTP. Every check prints one line; the last line is
``workers: N checks, N failed``.

1. Concurrent buyers: ``--buyers`` buyers (OCI and cXML alternately, each a connection, company
   and portal user of its own) each punch in, add 10 products of their own to the cart and
   transfer it, while as many portal users do Odoo's own login, /shop, 10 cart adds and the cart
   page at the same time. Every returned cart must hold exactly its buyer's 10 products; p50 and
   p95 of the whole flow against Odoo's portal flow (goal: p95 <= 1.2x), no errors.
2. Purchase orders while buyers shop: a second wave of buyers shops while an OrderRequest for
   each cXML cart of the first wave and one OrderRequest without punchout history per cXML buyer
   arrive at once, and 10 identical copies of one more OrderRequest arrive together. Each PO
   number must give exactly one confirmed sale order; the copies are answered as replays (the
   first copy's answer) or as in progress (409), never as a second order.
3. Orders by e-mail delivered twice at the same moment: for each cXML cart of the second wave,
   a mail from the buyer's purchasing system to its connection's order inbox, with the
   OrderRequest (SharedSecret included) attached, handed to Odoo's mail gateway twice at once
   over XML-RPC as Odoo's mailgate script does: exactly one confirmed order per PO number.
4. A worker killed in the middle of an OrderRequest (a 50-line order; the busiest HTTP worker
   of the server gets SIGKILL while it works on it): the buyer's system, as Ariba does, sends
   the same document again until it is answered; exactly one confirmed order, and every stored
   copy of the document ends processed once (done, or marked a replay or interrupted).
5. PostgreSQL restarted in the middle of a burst of OrderRequests (with ``--restart-db``, the
   local cluster that ``scripts/stress.sh`` names): every buyer's system sends its document
   again until answered; one confirmed order per PO number, every stored copy processed once.
6. The buyers' endpoint for our order confirmations (a small cXML server of this script on
   127.0.0.1) is down during the burst, then answers errors, then too slowly, then comes back;
   the send cron runs after each change (the script moves the queued documents' next attempt to
   now instead of waiting for the back-off). In the end every confirmation is delivered: as
   many documents stored as sent, each payloadID accepted once.
"""

import argparse
import email.message
import email.utils
import gzip
import http.client
import http.server
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import xmlrpc.client
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import psutil
import psycopg2
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "oci_punchout"))
sys.path.insert(0, str(ROOT / "scripts"))

import bench  # noqa: E402 (the path above)
from protocol import cxml, oci  # noqa: E402
from protocol.errors import PunchoutProtocolError  # noqa: E402

PRODUCTS_PER_CART = 10
RETURN_URL = "https://buyer-system.stress.example/return"
REQUEST_TIMEOUT = 180
P95_GOAL = 1.2
HOSTILE_SECONDS = 10  # the bound for answering each hostile request
SUPPLIER_IDENTITY = "AN01000000002"
MAIL_DOMAIN = "supplier.stress.example"
# What the buyers' endpoint receives from us: order confirmations and invoices.
OUTBOUND_KINDS = ("cxml_confirmation", "cxml_invoice")


class StressError(Exception):
    pass


# --- setup (Odoo imported; before the server starts) ---------------------------------------------


def run_setup(db, addons_path, buyers, state_file, buyer_port):
    import odoo
    from odoo import SUPERUSER_ID, Command, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-d", db, f"--addons-path={addons_path}", "--log-level=warn", "--max-cron-threads=0"]
    )
    with Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        password = "stress-" + os.urandom(9).hex()
        needed = 2 * buyers * PRODUCTS_PER_CART
        count = env["product.template"].search_count(bench.bench_product_domain())
        if count < needed:
            bench.create_bench_products(env, needed - count)
        products = env["product.product"].search(
            bench.bench_product_domain(), order="default_code", limit=needed
        )
        products.product_tmpl_id.invoice_policy = "order"  # invoiced without a delivery
        portal_group = env.ref("base.group_portal")
        Users = env["res.users"].with_context(no_reset_password=True)
        demo = {
            "oci": env.ref("oci_punchout.demo_connection_oci"),
            "cxml": env.ref("oci_punchout.demo_connection_cxml"),
        }
        env.ref("base.user_admin").password = password
        alias_domain = env["mail.alias.domain"].create(
            {"name": MAIL_DOMAIN, "bounce_alias": "bounce", "catchall_alias": "catchall"}
        )
        env.company.alias_domain_id = alias_domain
        state = {"password": password, "buyers": [], "portal": [], "buyer_port": buyer_port}
        for index in range(buyers):
            kind = "oci" if index % 2 == 0 else "cxml"
            company = env["res.partner"].create(
                {
                    "name": f"Stress Buyer {index:02d}",
                    "is_company": True,
                    "country_id": False,
                    "vat": f"US{index + 100000000}",  # cXML invoices name the buyer's
                }
            )
            user = Users.create(
                {
                    "name": f"Stress Buyer {index:02d} Purchasing",
                    "login": f"stress-buyer-{index:02d}@stress.example",
                    "password": password,
                    "parent_id": company.id,
                    "groups_id": [Command.set(portal_group.ids)],
                }
            )
            user.partner_id.parent_id = company
            code = f"stress-{kind}-{index:02d}"
            values = {
                "name": f"Stress {kind} {index:02d}",
                "code": code,
                "partner_id": company.id,
                "user_id": user.id,
                "end_user_policy": "default",
                "allowed_return_urls": "https://buyer-system.stress.example/",
                "alias_name": False,
                "order_mail_senders": False,
            }
            if kind == "oci":
                values.update(oci_username=code, oci_password=password)
            else:
                values.update(
                    cxml_buyer_identity=code.upper(),
                    cxml_shared_secret=password,
                    cxml_confirmation_url=f"http://127.0.0.1:{buyer_port}/cxml",
                    cxml_invoice_url=f"http://127.0.0.1:{buyer_port}/cxml",
                    alias_name=f"orders-{code}",
                    alias_domain_id=alias_domain.id,
                    order_mail_senders=f"purchasing@{code}.example",
                )
            connection = demo[kind].copy(values)
            first = index * PRODUCTS_PER_CART
            second = (buyers + index) * PRODUCTS_PER_CART
            state["buyers"].append(
                {
                    "kind": kind,
                    "code": code,
                    "connection_id": connection.id,
                    "identity": code.upper(),
                    "products": products[first : first + PRODUCTS_PER_CART].ids,
                    "second_products": products[second : second + PRODUCTS_PER_CART].ids,
                    "codes": products[first : first + PRODUCTS_PER_CART].mapped("default_code"),
                    "second_codes": products[second : second + PRODUCTS_PER_CART].mapped(
                        "default_code"
                    ),
                }
            )
            login = f"stress-portal-{index:02d}@stress.example"
            Users.create(
                {
                    "name": f"Stress Portal {index:02d}",
                    "login": login,
                    "password": password,
                    "groups_id": [Command.set(portal_group.ids)],
                }
            )
            state["portal"].append(
                {"login": login, "products": products[first : first + PRODUCTS_PER_CART].ids}
            )
        cr.commit()
    Path(state_file).write_text(json.dumps(state))
    print(f"   {buyers} buyers, {buyers} portal users, {needed} products")


# --- HTTP flows ----------------------------------------------------------------------------------


class Flow:
    """One browser: a requests session, its requests timed as a whole."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.session = requests.Session()

    def request(self, method, url, expect=200, **kwargs):
        response = self.session.request(
            method,
            urljoin(self.base_url + "/", url),
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
            **kwargs,
        )
        if response.status_code != expect:
            snippet = re.sub(r"\s+", " ", response.text[:200])
            raise StressError(f"{method} {url}: HTTP {response.status_code}: {snippet}")
        return response

    def add_products(self, product_ids):
        for product_id in product_ids:
            answer = self.request(
                "POST",
                "/shop/cart/update_json",
                json=bench.jsonrpc({"product_id": product_id, "add_qty": 1}),
            ).json()
            if answer.get("error") or not (answer.get("result") or {}).get("line_id"):
                raise StressError(f"adding product {product_id}: {answer.get('error')}")

    def transfer(self):
        page = self.request("GET", "/shop/cart")
        form = bench.find_form(page.text, "/punchout/transfer")
        if not form or not form.get("punchout_session_id"):
            raise StressError("the cart page has no transfer form")
        return self.request(
            "POST",
            "/punchout/transfer",
            data={
                "csrf_token": form["csrf_token"],
                "punchout_session_id": form["punchout_session_id"],
            },
        )


def cxml_header(buyer, secret):
    return cxml.Header(
        from_credentials=[cxml.Credential("NetworkID", buyer["identity"])],
        to_credentials=[cxml.Credential("NetworkID", SUPPLIER_IDENTITY)],
        sender_credentials=[cxml.Credential("NetworkID", buyer["identity"], secret)],
        user_agent="oci_punchout stress",
    )


def post_cxml(base_url, body):
    response = requests.post(
        base_url.rstrip("/") + "/punchout/cxml",
        data=body,
        headers={"Content-Type": "text/xml; charset=UTF-8"},
        timeout=REQUEST_TIMEOUT,
    )
    return response, cxml.parse_response(response.content)


def buyer_flow(base_url, buyer, password, products, codes):
    """Punch in, add the buyer's products, transfer: (seconds, cart or None, error or None)."""
    start = time.perf_counter()
    flow = Flow(base_url)
    try:
        if buyer["kind"] == "oci":
            response = flow.request(
                "POST",
                f"/punchout/oci/{buyer['code']}",
                expect=303,
                data={"USERNAME": buyer["code"], "PASSWORD": password, "HOOK_URL": RETURN_URL},
            )
            flow.request("GET", response.headers["Location"])
        else:
            setup = cxml.PunchOutSetupRequest(
                operation="create",
                buyer_cookie=f"stress-{buyer['code']}-{time.monotonic_ns()}",
                browser_form_post_url=RETURN_URL,
            )
            body = cxml.build_punchout_setup_request(
                cxml_header(buyer, password), setup, deployment_mode="test"
            )
            _response, answer = post_cxml(base_url, body)
            if answer.status_code != 200 or not answer.start_url:
                raise StressError(f"PunchOutSetupRequest: {answer.status_code} {answer.message}")
            start_url = urlsplit(answer.start_url)
            target = start_url.path + (f"?{start_url.query}" if start_url.query else "")
            response = flow.request("GET", target, expect=303)
        flow.add_products(products)
        page = flow.transfer()
        fields = bench.find_form(page.text, urlsplit(RETURN_URL).path) or {}
        if buyer["kind"] == "oci":
            items = oci.parse_cart_fields(list(fields.items()))
            returned = sorted(item.vendormat for item in items)
            cart = None
        else:
            value = next((v for k, v in fields.items() if k.lower().startswith("cxml-")), None)
            if value is None:
                raise StressError("the transfer page has no cXML cart field")
            cart = cxml.parse_punchout_order_message(cxml.decode_browser_form_value(value))
            returned = sorted(item.supplier_part_id for item in cart.items)
        if returned != sorted(codes):
            raise StressError(f"the returned cart holds {returned}, not its own {sorted(codes)}")
        return time.perf_counter() - start, cart, None
    except (StressError, requests.RequestException, PunchoutProtocolError) as exc:
        return time.perf_counter() - start, None, f"{buyer['code']}: {exc}"
    finally:
        flow.session.close()


def portal_flow(base_url, portal, password):
    """Odoo's own: login page, login, /shop, 10 cart adds, the cart page."""
    start = time.perf_counter()
    flow = Flow(base_url)
    try:
        page = flow.request("GET", "/web/login")
        form = bench.find_form(page.text, "/web/login") or {}
        flow.request(
            "POST",
            "/web/login",
            expect=303,
            data={
                "csrf_token": form.get("csrf_token", ""),
                "login": portal["login"],
                "password": password,
                "redirect": "/shop",
            },
        )
        flow.request("GET", "/shop")
        flow.add_products(portal["products"])
        flow.request("GET", "/shop/cart")
        return time.perf_counter() - start, None
    except (StressError, requests.RequestException) as exc:
        return time.perf_counter() - start, f"{portal['login']}: {exc}"
    finally:
        flow.session.close()


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- checks --------------------------------------------------------------------------------------


class Checks:
    def __init__(self):
        self.count = 0
        self.failed = 0

    def check(self, ok, label, detail=""):
        self.count += 1
        if not ok:
            self.failed += 1
        print(f"workers {label}: {'ok' if ok else 'FAILED'}{': ' + detail if detail else ''}")
        sys.stdout.flush()


def concurrent_buyers(args, state, checks, wave="first"):
    """Phase 1: every buyer and every portal user at once."""
    password = state["password"]
    buyers = state["buyers"]
    key = "products" if wave == "first" else "second_products"
    code_key = "codes" if wave == "first" else "second_codes"
    with ThreadPoolExecutor(max_workers=2 * len(buyers)) as pool:
        buyer_futures = [
            pool.submit(buyer_flow, args.url, buyer, password, buyer[key], buyer[code_key])
            for buyer in buyers
        ]
        portal_futures = (
            [pool.submit(portal_flow, args.url, portal, password) for portal in state["portal"]]
            if wave == "first"
            else []
        )
        buyer_results = [future.result() for future in buyer_futures]
        portal_results = [future.result() for future in portal_futures]
    errors = [error for _t, _cart, error in buyer_results if error]
    carts = {
        buyer["code"]: cart
        for buyer, (_t, cart, error) in zip(buyers, buyer_results, strict=True)
        if cart is not None
    }
    return buyer_results, portal_results, errors, carts


def run(args):
    state = json.loads(Path(args.state).read_text())
    checks = Checks()
    buyer_system = BuyerSystem(state["buyer_port"])
    buyers = state["buyers"]
    n = len(buyers)

    # Untimed: the first requests of a new server build its asset bundles.
    for error in (portal_flow(args.url, state["portal"][0], state["password"])[1],):
        if error:
            print(f"workers warm-up: {error}")

    # 1. Concurrent buyers and portal users.
    started = time.perf_counter()
    buyer_results, portal_results, errors, carts = concurrent_buyers(args, state, checks)
    ours = [t for t, _cart, error in buyer_results if not error]
    odoo = [t for t, error in portal_results if not error]
    portal_errors = [error for _t, error in portal_results if error]
    print(
        f"workers: {n} buyers and {len(portal_results)} portal users at once in "
        f"{time.perf_counter() - started:.1f} s"
    )
    checks.check(not errors, f"{n} buyers punch in, fill and transfer", "; ".join(errors[:5]))
    checks.check(
        not portal_errors, f"{len(portal_results)} portal users shop", "; ".join(portal_errors[:5])
    )
    if ours and odoo:
        ratio = percentile(ours, 0.95) / percentile(odoo, 0.95)
        print(
            f"workers flow seconds: punchout p50 {statistics.median(ours):.2f} p95 "
            f"{percentile(ours, 0.95):.2f}; Odoo portal p50 {statistics.median(odoo):.2f} p95 "
            f"{percentile(odoo, 0.95):.2f}; p95 ratio {ratio:.2f}x (goal <= {P95_GOAL}x)"
        )
        checks.check(ratio <= P95_GOAL, f"p95 ratio {ratio:.2f}x <= {P95_GOAL}x")

    # 2. Purchase orders while a second wave shops; 10 copies of one order at once.
    run_id = f"{int(time.time())}"
    orders = []
    for buyer in buyers:
        if buyer["kind"] != "cxml":
            continue
        cart = carts.get(buyer["code"])
        header = cxml_header(buyer, state["password"])
        if cart is not None:
            po_number = f"STRESS-CART-{buyer['code']}-{run_id}"
            order = cxml.order_request_from_cart(
                cart, po_number, _address(buyer), ship_to=_address(buyer), order_date=_now()
            )
            orders.append(
                (po_number, cxml.build_order_request(header, order, deployment_mode="test"))
            )
        po_number = f"STRESS-PLAIN-{buyer['code']}-{run_id}"
        plain = _plain_order(buyer, po_number)
        orders.append((po_number, cxml.build_order_request(header, plain, deployment_mode="test")))
    copies_buyer = next(buyer for buyer in buyers if buyer["kind"] == "cxml")
    copies_po = f"STRESS-COPIES-{run_id}"
    copies_body = cxml.build_order_request(
        cxml_header(copies_buyer, state["password"]),
        _plain_order(copies_buyer, copies_po),
        deployment_mode="test",
    )
    answers = {}
    lock = threading.Lock()

    def send(po_number, body):
        try:
            response, answer = post_cxml(args.url, body)
            result = (response.status_code, answer.status_code, answer.message)
        except (requests.RequestException, PunchoutProtocolError) as exc:
            result = (None, None, str(exc))
        with lock:
            answers.setdefault(po_number, []).append(result)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(orders) + 10 + 1) as pool:
        wave = pool.submit(concurrent_buyers, args, state, checks, "second")
        futures = [pool.submit(send, po, body) for po, body in orders]
        futures += [pool.submit(send, copies_po, copies_body) for _ in range(10)]
        for future in futures:
            future.result()
        _results, _portal, wave_errors, wave_carts = wave.result()
    print(
        f"workers: {len(orders)} OrderRequests and 10 copies of one, while {n} buyers shop, "
        f"in {time.perf_counter() - started:.1f} s"
    )
    checks.check(not wave_errors, f"{n} buyers of the second wave", "; ".join(wave_errors[:5]))
    refused = {
        po: result for po, results in answers.items() for result in results if result[1] != 200
    }
    refused.pop(copies_po, None)
    checks.check(
        not refused,
        f"{len(orders)} OrderRequests answered 200",
        "; ".join(f"{po}: {r}" for po, r in list(refused.items())[:5]),
    )
    counts = confirmed_orders(args.db, [po for po, _body in orders] + [copies_po])
    wrong = {po: count for po, count in counts.items() if count != 1}
    checks.check(
        not wrong,
        f"exactly one confirmed order for each of {len(counts)} PO numbers",
        ", ".join(f"{po}: {count}" for po, count in list(wrong.items())[:5]),
    )
    copy_codes = sorted(str(result[1]) for result in answers.get(copies_po, []))
    checks.check(
        len(copy_codes) == 10 and all(code in ("200", "409") for code in copy_codes),
        "10 copies of one OrderRequest: one order, the others replays or in progress",
        f"answers {copy_codes}",
    )
    mail_twice(args, state, checks, wave_carts, run_id)
    if args.server_pid:
        killed_worker(args, state, checks, run_id)
        killed_mail_worker(args, state, checks, run_id)
    if args.restart_db:
        restarted_database(args, state, checks, run_id)
    invoice_orders(args, checks, run_id)
    outbound_faults(args, state, checks, buyer_system)
    # Last: its wrong credentials get this address throttled for a quarter of an hour.
    hostile_requests(args, state, checks)
    print(f"workers: {checks.count} checks, {checks.failed} failed")
    return 1 if checks.failed else 0


def order_mail(buyer, po_number, document, sender=None):
    """The mail a buyer's purchasing system sends to its connection's order inbox."""
    mail = email.message.EmailMessage()
    mail["From"] = sender or f"purchasing@{buyer['code']}.example"
    mail["To"] = f"orders-{buyer['code']}@{MAIL_DOMAIN}"
    mail["Subject"] = f"Purchase order {po_number}"
    mail["Date"] = email.utils.formatdate()
    mail["Message-Id"] = email.utils.make_msgid(domain=f"{buyer['code']}.example")
    mail.set_content("Please find our order attached.")
    mail.add_attachment(document, maintype="text", subtype="xml", filename=f"{po_number}.xml")
    return mail


def mail_gateway(args, state):
    """deliver(raw) -> 'accepted' or why not: Odoo's mailgate script's call (XML-RPC)."""
    common = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/common")
    uid = common.authenticate(args.db, "admin", state["password"], {})

    def deliver(raw):
        client = xmlrpc.client.ServerProxy(f"{args.url}/xmlrpc/2/object", allow_none=True)
        try:
            client.execute_kw(
                args.db, uid, state["password"], "mail.thread", "message_process", [False, raw]
            )
        except xmlrpc.client.Fault as fault:
            return f"refused: {fault.faultString.strip().splitlines()[-1][:120]}"
        except (OSError, xmlrpc.client.ProtocolError, http.client.HTTPException) as exc:
            return f"failed: {type(exc).__name__}: {str(exc)[:120]}"
        return "accepted"

    return deliver


def mail_twice(args, state, checks, carts, run_id):
    """Phase 3: each e-mailed order handed to the mail gateway twice at the same moment."""
    deliver = mail_gateway(args, state)
    mails = []
    for buyer in state["buyers"]:
        cart = carts.get(buyer["code"])
        if buyer["kind"] != "cxml" or cart is None:
            continue
        po_number = f"STRESS-MAIL-{buyer['code']}-{run_id}"
        order = cxml.order_request_from_cart(
            cart, po_number, _address(buyer), ship_to=_address(buyer), order_date=_now()
        )
        document = cxml.build_order_request(
            cxml_header(buyer, state["password"]), order, deployment_mode="test"
        )
        mails.append((po_number, order_mail(buyer, po_number, document).as_string()))

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=2 * len(mails) or 1) as pool:
        futures = [(raw, pool.submit(deliver, raw)) for _po, raw in mails for _copy in range(2)]
        outcomes = [(raw, future.result()) for raw, future in futures]
    # A mail server keeps a delivery the gateway refused (a temporary failure) and tries again.
    again = [deliver(raw) for raw, outcome in outcomes if outcome != "accepted"]
    refusals = sorted({outcome for _raw, outcome in outcomes if outcome != "accepted"})
    print(
        f"workers: {len(mails)} e-mailed orders delivered twice at once in "
        f"{time.perf_counter() - started:.1f} s: {len(outcomes) - len(again)} deliveries "
        f"accepted, {len(again)} refused and delivered again ({again.count('accepted')} "
        f"accepted then){': ' + '; '.join(refusals[:3]) if refusals else ''}"
    )
    counts = confirmed_orders(args.db, [po for po, _raw in mails])
    wrong = {po: count for po, count in counts.items() if count != 1}
    checks.check(
        bool(mails) and not wrong,
        f"exactly one confirmed order for each of {len(mails)} e-mailed PO numbers",
        ", ".join(f"{po}: {count}" for po, count in list(wrong.items())[:5]),
    )


def send_until_answered(base_url, body, tries=6, pause=2.0):
    """What a buyer's system does: the same document again while no Status came back."""
    answers = []
    for _try in range(tries):
        try:
            response = requests.post(
                base_url.rstrip("/") + "/punchout/cxml",
                data=body,
                headers={"Content-Type": "text/xml; charset=UTF-8"},
                timeout=REQUEST_TIMEOUT,
            )
            answer = cxml.parse_response(response.content)
        except requests.RequestException as exc:
            answers.append(type(exc).__name__)
            time.sleep(pause)
            continue
        except PunchoutProtocolError:
            # No cXML answer, e.g. the proxy's 502 page for a worker that died.
            answers.append(f"HTTP {response.status_code} without cXML")
            time.sleep(pause)
            continue
        answers.append(str(answer.status_code))
        if answer.status_code < 500:
            break
        time.sleep(pause)
    return answers


def wait_for_stored(db, payload_id, timeout=30):
    """Until the endpoint stored the document (before it processes it)."""
    deadline = time.monotonic() + timeout
    with psycopg2.connect(dbname=db) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    "SELECT 1 FROM punchout_message WHERE direction = 'in' AND payload LIKE %s",
                    [f"%{payload_id}%"],
                )
                if cr.fetchone():
                    return True
                time.sleep(0.02)
    return False


def busiest_worker(server_pid, seconds=0.3):
    """The server's child process that used the most CPU over ``seconds``."""
    children = psutil.Process(server_pid).children()
    before = {child.pid: sum(child.cpu_times()[:2]) for child in children}
    time.sleep(seconds)
    used = []
    for child in children:
        try:
            used.append((sum(child.cpu_times()[:2]) - before[child.pid], child.pid))
        except psutil.NoSuchProcess:
            continue
    return max(used)[1] if used else None


def killed_worker(args, state, checks, run_id):
    """Phase 4: SIGKILL for the worker busy with an OrderRequest; the buyer sends it again."""
    buyer = next(buyer for buyer in state["buyers"] if buyer["kind"] == "cxml")
    for attempt in range(1, 4):
        po_number = f"STRESS-KILLED-{run_id}-{attempt}"
        order = _plain_order(buyer, po_number, lines=200)
        body = cxml.build_order_request(
            cxml_header(buyer, state["password"]), order, deployment_mode="test"
        )
        payload_id = cxml.payload_id_of(body)
        with ThreadPoolExecutor(max_workers=1) as pool:
            future = pool.submit(send_until_answered, args.url, body)
            # The document is stored first, then processed: kill the busiest worker then.
            victim = None
            if wait_for_stored(args.db, payload_id):
                victim = busiest_worker(args.server_pid, seconds=0.2)
                if victim:
                    os.kill(victim, signal.SIGKILL)
            answers = future.result()
        print(f"workers killed worker {victim} during OrderRequest {po_number}: answers {answers}")
        if answers and answers[0] != "200":
            break
    checks.check(
        bool(answers) and answers[0] != "200" and answers[-1] == "200",
        "the interrupted OrderRequest is answered once the buyer sends it again",
        f"answers {answers}",
    )
    counts = confirmed_orders(args.db, [po_number])
    checks.check(counts.get(po_number) == 1, "exactly one confirmed order", f"{counts}")
    like = f"%{payload_id}%"
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        # The interrupted copy is recorded after 5 minutes: the script moves its arrival back
        # instead of waiting, then runs the job that records it.
        cr.execute(
            """UPDATE punchout_message SET create_date = create_date - interval '10 minutes'
                WHERE direction = 'in' AND state = 'received' AND payload LIKE %s""",
            [like],
        )
    run_cron(args.db, "ir_cron_punchout_close_interrupted")
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT state, count(*) FROM punchout_message
                WHERE direction = 'in' AND payload LIKE %s GROUP BY state""",
            [like],
        )
        stored = dict(cr.fetchall())
    print(f"workers stored copies of {po_number}: {stored}")
    checks.check(
        sum(stored.values()) == len(answers) and not stored.get("received"),
        f"each of the {len(answers)} stored copies processed once",
        f"{stored}",
    )


def wait_for_writer(db, table, timeout=30):
    """Until a server connection to ``db`` holds a write lock on ``table``: a transaction
    that wrote to it and is not finished (the lock is held until it ends)."""
    deadline = time.monotonic() + timeout
    with psycopg2.connect(dbname=db) as conn:
        conn.autocommit = True
        with conn.cursor() as cr:
            while time.monotonic() < deadline:
                cr.execute(
                    """SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
                        WHERE c.relname = %s AND l.mode = 'RowExclusiveLock'
                          AND l.pid != pg_backend_pid()""",
                    [table],
                )
                if cr.fetchone():
                    return True
                time.sleep(0.01)
    return False


def killed_mail_worker(args, state, checks, run_id):
    """Phase 4b: SIGKILL for the worker in the middle of an e-mailed order. Nothing of it was
    committed, so the mail server, which got no answer, delivers the mail again."""
    deliver = mail_gateway(args, state)
    buyer = next(buyer for buyer in state["buyers"] if buyer["kind"] == "cxml")
    for attempt in range(1, 4):
        po_number = f"STRESS-KILLED-MAIL-{run_id}-{attempt}"
        document = cxml.build_order_request(
            cxml_header(buyer, state["password"]),
            _plain_order(buyer, po_number, lines=200),
            deployment_mode="test",
        )
        mail = order_mail(buyer, po_number, document)
        raw = mail.as_string()
        with ThreadPoolExecutor(max_workers=1) as pool:
            first = pool.submit(deliver, raw)
            victim = None
            # The mail is stored before its order is read: kill the worker then.
            if wait_for_writer(args.db, "punchout_message"):
                victim = busiest_worker(args.server_pid, seconds=0.2)
                if victim:
                    os.kill(victim, signal.SIGKILL)
            outcomes = [first.result()]
        while outcomes[-1] != "accepted" and len(outcomes) < 6:
            time.sleep(2)  # a mail server retries a failed delivery later
            outcomes.append(deliver(raw))
        print(f"workers killed worker {victim} during e-mailed order {po_number}: {outcomes}")
        if outcomes[0] != "accepted":
            break
    checks.check(
        outcomes[0] != "accepted" and outcomes[-1] == "accepted",
        "the interrupted e-mailed order is taken once the mail is delivered again",
        f"deliveries {outcomes}",
    )
    # An e-mailed order without a punchout cart becomes a quotation to review.
    counts = confirmed_orders(args.db, [po_number], states=("draft", "sale"))
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT state, count(*) FROM punchout_message
                WHERE kind = 'order_mail' AND dedup_key = %s GROUP BY state""",
            [mail["Message-Id"].strip()],
        )
        stored = dict(cr.fetchall())
    print(f"workers stored copies of the e-mailed order {po_number}: {stored}")
    checks.check(
        counts.get(po_number) == 1 and stored == {"done": 1},
        "exactly one order (a quotation to review) and one stored mail, processed once",
        f"orders {counts}, stored {stored}",
    )


def restarted_database(args, state, checks, run_id):
    """Phase 5: PostgreSQL restarted while OrderRequests arrive; their senders try again."""
    documents = []
    for buyer in state["buyers"]:
        if buyer["kind"] != "cxml":
            continue
        for number in range(1, 4):
            po_number = f"STRESS-RESTART-{buyer['code']}-{run_id}-{number}"
            order = _plain_order(buyer, po_number, lines=20)
            header = cxml_header(buyer, state["password"])
            body = cxml.build_order_request(header, order, deployment_mode="test")
            documents.append((po_number, cxml.payload_id_of(body), body))
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(documents)) as pool:
        futures = [
            pool.submit(send_until_answered, args.url, body, tries=20, pause=3.0)
            for _po, _payload_id, body in documents
        ]
        time.sleep(1.0)
        restart = subprocess.run(
            ["pg_ctlcluster", *args.restart_db.split(), "restart"],
            capture_output=True,
            text=True,
            check=False,
        )
        answers = [future.result() for future in futures]
    retried = sum(1 for attempts in answers if len(attempts) > 1)
    print(
        f"workers PostgreSQL restarted (exit {restart.returncode}) during {len(documents)} "
        f"OrderRequests: {retried} sent again, in {time.perf_counter() - started:.1f} s"
    )
    checks.check(restart.returncode == 0, "PostgreSQL restarted", restart.stderr.strip()[-200:])
    unanswered = [
        po
        for (po, _p, _b), attempts in zip(documents, answers, strict=True)
        if attempts[-1] != "200"
    ]
    checks.check(
        not unanswered,
        f"{len(documents)} OrderRequests answered once their senders tried again",
        ", ".join(unanswered[:5]),
    )
    counts = confirmed_orders(args.db, [po for po, _p, _b in documents])
    wrong = {po: count for po, count in counts.items() if count != 1}
    checks.check(
        not wrong,
        f"exactly one confirmed order for each of {len(documents)} PO numbers",
        ", ".join(f"{po}: {count}" for po, count in list(wrong.items())[:5]),
    )
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        cr.execute(
            """UPDATE punchout_message SET create_date = create_date - interval '10 minutes'
                WHERE direction = 'in' AND state = 'received' AND payload LIKE %s""",
            [f"%STRESS-RESTART-%-{run_id}-%"],
        )
    run_cron(args.db, "ir_cron_punchout_close_interrupted")
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT state, count(*) FROM punchout_message
                WHERE direction = 'in' AND payload LIKE %s GROUP BY state""",
            [f"%STRESS-RESTART-%-{run_id}-%"],
        )
        stored = dict(cr.fetchall())
    sent = sum(len(attempts) for attempts in answers)
    print(f"workers stored copies of the restart burst: {stored}, {sent} sent")
    checks.check(
        not stored.get("received") and stored.get("done", 0) >= len(documents),
        "every stored copy of the restart burst processed once",
        f"{stored}",
    )


def hostile_cxml_bodies(buyer, password):
    """(label, body, headers, expected cXML Status or HTTP status) of the hardening issue's
    hostile documents, sent to the cXML endpoint."""
    setup = cxml.build_punchout_setup_request(
        cxml_header(buyer, password),
        cxml.PunchOutSetupRequest(
            operation="create", buyer_cookie="hostile", browser_form_post_url=RETURN_URL
        ),
        deployment_mode="test",
    )
    bomb = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<!DOCTYPE cXML [<!ENTITY a "{"A" * 2000}">]>'
        f'<cXML payloadID="{"&a;" * 500}" timestamp="{"&a;" * 500}"><Header/></cXML>'
    )
    utf16 = bomb.replace('encoding="UTF-8"', 'encoding="UTF-16"')
    external = (
        '<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<cXML payloadID="&x;" timestamp="2026-01-01T00:00:00Z"><Header/></cXML>'
    )
    deep = "<cXML>" + "<a>" * 100000 + "</a>" * 100000 + "</cXML>"
    zeros = gzip.compress(b"<" + b"0" * (64 * 2**20), compresslevel=9)
    unknown = setup.replace(buyer["identity"].encode(), b"NOBODY-WE-KNOW")
    xml = {"Content-Type": "text/xml; charset=UTF-8"}
    return [
        ("entity expansion (UTF-8)", bomb.encode(), xml, 400),
        (
            "entity expansion (UTF-16)",
            b"\xff\xfe" + utf16.encode("utf-16-le"),
            {"Content-Type": "text/xml; charset=UTF-16"},
            400,
        ),
        ("external entity", external.encode(), xml, 400),
        ("100,000 nested elements", deep.encode(), xml, 400),
        ("truncated document", setup[: len(setup) // 2], xml, 400),
        ("bytes not in their encoding", setup.replace(b"hostile", b"host\xff\xfe"), xml, 400),
        ("6 MB body", setup + b" " * (6 * 2**20), xml, 413),
        ("64 MB of gzip in 64 KB", zeros, {**xml, "Content-Encoding": "gzip"}, 400),
        ("unknown buyer", unknown, xml, 401),
    ]


def hostile_requests(args, state, checks):
    """Phase 7: the hardening issue's hostile requests, all at once against the workers: each
    answered with its error within HOSTILE_SECONDS, each logged, nothing created; then wrong
    secrets until the address is throttled; a spoofed e-mailed order; the server still serves."""
    buyer = next(buyer for buyer in state["buyers"] if buyer["kind"] == "cxml")
    oci_buyer = next(buyer for buyer in state["buyers"] if buyer["kind"] == "oci")
    url = args.url.rstrip("/")
    since = _db_now(args.db)

    def cxml_case(label, body, headers, expected):
        started = time.perf_counter()
        try:
            response = requests.post(
                f"{url}/punchout/cxml", data=body, headers=headers, timeout=REQUEST_TIMEOUT
            )
            try:
                code = cxml.parse_response(response.content).status_code
            except PunchoutProtocolError:
                code = response.status_code  # no cXML answer: the HTTP status counts
        except requests.RequestException as exc:
            code = type(exc).__name__
        return label, code, expected, time.perf_counter() - started

    def oci_case(label, data, expected):
        started = time.perf_counter()
        try:
            response = requests.post(
                f"{url}/punchout/oci/{oci_buyer['code']}",
                data=data,
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
            code = response.status_code
        except requests.RequestException as exc:
            code = type(exc).__name__
        return label, code, expected, time.perf_counter() - started

    login = {"USERNAME": oci_buyer["code"], "HOOK_URL": RETURN_URL}
    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [
            pool.submit(cxml_case, *case) for case in hostile_cxml_bodies(buyer, state["password"])
        ]
        futures += [
            pool.submit(oci_case, "OCI: wrong password", {**login, "PASSWORD": "wrong"}, 401),
            pool.submit(
                oci_case,
                "OCI: return URL not allowed",
                {**login, "PASSWORD": state["password"], "HOOK_URL": "https://evil.example/"},
                403,
            ),
            pool.submit(
                oci_case,
                "OCI: 2 MB of form fields",
                {**login, "PASSWORD": state["password"], "X": "x" * (2 * 2**20)},
                413,
            ),
        ]
        results = [future.result() for future in futures]
    for label, code, expected, seconds in results:
        print(f"workers hostile: {label}: {code} in {seconds:.2f} s (expected {expected})")
    wrong = [r for r in results if str(r[1]) != str(r[2]) or r[3] > HOSTILE_SECONDS]
    checks.check(
        not wrong,
        f"{len(results)} hostile requests at once each answered with its error within "
        f"{HOSTILE_SECONDS} s",
        "; ".join(f"{label}: {code} in {seconds:.1f} s" for label, code, _e, seconds in wrong),
    )

    # Wrong secrets, 12 at once and one more: the address gets throttled (429).
    bad = cxml.build_punchout_setup_request(
        cxml_header(buyer, "not-the-secret"),
        cxml.PunchOutSetupRequest(
            operation="create", buyer_cookie="x", browser_form_post_url=RETURN_URL
        ),
        deployment_mode="test",
    )
    xml = {"Content-Type": "text/xml; charset=UTF-8"}
    with ThreadPoolExecutor(max_workers=12) as pool:
        guesses = list(pool.map(lambda _n: cxml_case("wrong secret", bad, xml, 401), range(12)))
    last = cxml_case("wrong secret", bad, xml, 429)
    codes = sorted(str(code) for _l, code, _e, _s in guesses)
    print(f"workers hostile: 12 wrong secrets at once: {codes}; one more: {last[1]}")
    checks.check(
        set(codes) <= {"401", "429"} and str(last[1]) == "429",
        "wrong secrets answered 401 until the address is throttled (429)",
        f"{codes}, then {last[1]}",
    )

    # A mail whose display name is the buyer's address, sent from somewhere else.
    po_number = f"STRESS-SPOOFED-{int(time.time())}"
    document = cxml.build_order_request(
        cxml_header(buyer, "not-the-secret"),
        _plain_order(buyer, po_number),
        deployment_mode="test",
    )
    spoofed = order_mail(
        buyer, po_number, document, sender=f'"purchasing@{buyer["code"]}.example" <x@evil.example>'
    )
    outcome = mail_gateway(args, state)(spoofed.as_string())
    counts = confirmed_orders(args.db, [po_number], states=("draft", "sent", "sale"))
    print(f"workers hostile: spoofed e-mailed order {po_number}: {outcome}, orders {counts}")
    checks.check(
        counts.get(po_number) == 0, "a spoofed e-mailed order creates no order", f"{counts}"
    )

    sent = len(results) + len(guesses) + 1
    with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT count(*) FROM punchout_message
                WHERE direction = 'in' AND create_date >= %s AND protocol IN ('cxml', 'oci')""",
            [since],
        )
        logged = cr.fetchone()[0]
        cr.execute("""SELECT count(*) FROM punchout_session WHERE create_date >= %s""", [since])
        sessions = cr.fetchone()[0]
    print(f"workers hostile: {sent} requests, {logged} logged, {sessions} sessions opened")
    checks.check(
        logged == sent and sessions == 0,
        "each hostile request logged, no session opened",
        f"{logged} logged of {sent}, {sessions} sessions",
    )
    _seconds, error = portal_flow(args.url, state["portal"][0], state["password"])
    checks.check(not error, "the server still serves Odoo's own shop", error or "")


def _db_now(db):
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute("SELECT now() at time zone 'utc'")
        return cr.fetchone()[0]


def run_invoices(db, addons_path, pattern, count):
    """In a process of its own (Odoo imported, beside the running server): invoice up to
    ``count`` confirmed orders whose PO number is like ``pattern`` and send each invoice as
    an accountant does, through Odoo's Send wizard with the cXML sending method."""
    import odoo
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-d", db, f"--addons-path={addons_path}", "--log-level=warn", "--max-cron-threads=0"]
    )
    with Registry(db).cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        orders = env["sale.order"].search(
            [
                ("state", "=", "sale"),
                ("punchout_po_number", "=like", pattern),
                ("punchout_connection_id.protocol", "=", "cxml"),
            ],
            order="id",
            limit=count,
        )
        sent = 0
        for order in orders:
            invoice = order._create_invoices()
            invoice.action_post()
            wizard = (
                env["account.move.send.wizard"]
                .with_context(active_model="account.move", active_ids=invoice.ids)
                .create({"sending_methods": ["punchout_cxml"]})
            )
            wizard.action_send_and_print()
            cr.commit()
            sent += 1
    print(f"orders={len(orders)} invoiced={sent}")


def invoice_orders(args, checks, run_id, count=10):
    """Phase 6a: invoices sent while the buyers' endpoint is down (kept, to send again)."""
    started = time.perf_counter()
    result = subprocess.run(
        [
            sys.executable,
            __file__,
            "--invoices",
            str(count),
            "--db",
            args.db,
            "--addons-path",
            args.addons_path,
            "--state",
            args.state,
            "--po-like",
            f"STRESS-CART-%-{run_id}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    figures = re.search(r"orders=(\d+) invoiced=(\d+)", result.stdout)
    orders, sent = (int(figures.group(1)), int(figures.group(2))) if figures else (0, 0)
    print(
        f"workers {sent} invoices sent through Odoo's Send wizard with the buyers' endpoint "
        f"down, in {time.perf_counter() - started:.1f} s"
    )
    checks.check(
        result.returncode == 0 and sent and sent == orders,
        f"{sent} cXML invoices sent from the Send wizard while the endpoint is down",
        "" if figures else result.stderr.strip()[-400:],
    )


class BuyerSystem:
    """The buyers' cXML endpoint for our confirmations: 'down' (nothing listens), 'error'
    (HTTP 500, cXML Status 500), 'slow' (answers after our timeout) or 'up' (Status 200).
    Records the payloadID of every document it accepted."""

    SLOW_SECONDS = 35  # the addon's outbound timeout is 30 s

    def __init__(self, port):
        self.port = port
        self.mode = "down"
        self.accepted = []
        self.attempts = {"error": 0, "slow": 0, "up": 0}
        self.lock = threading.Lock()
        self.server = None

    def set_mode(self, mode):
        self.mode = mode
        if mode == "down" and self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        elif mode != "down" and not self.server:
            system = self

            class Handler(http.server.BaseHTTPRequestHandler):
                def do_POST(self):
                    body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                    mode = system.mode
                    with system.lock:
                        system.attempts[mode] += 1
                    if mode == "slow":
                        time.sleep(system.SLOW_SECONDS)
                    code, text = (500, "Internal Server Error") if mode == "error" else (200, "OK")
                    if mode != "error":
                        with system.lock:
                            system.accepted.append(cxml.payload_id_of(body))
                    answer = cxml.build_response(code, text)
                    try:
                        self.send_response(code)
                        self.send_header("Content-Type", "text/xml")
                        self.send_header("Content-Length", str(len(answer)))
                        self.end_headers()
                        self.wfile.write(answer)
                    except (BrokenPipeError, ConnectionResetError):
                        pass  # 'slow': our side stopped waiting, as it should

                def log_message(self, *_args):
                    pass

            http.server.ThreadingHTTPServer.allow_reuse_address = True
            self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
            threading.Thread(target=self.server.serve_forever, daemon=True).start()


def outbound_faults(args, state, checks, buyer_system):
    """Phase 6b: the confirmations and invoices kept while the buyers' endpoint was down get
    through once it is back, each accepted once."""
    stored = outbound_counts(args.db)
    by_kind = outbound_counts(args.db, by_kind=True)
    print(f"workers documents to send after the burst (endpoint down): {_by_kind(by_kind)}")

    def send_due(mode, limit=None):
        """Let the server's cron worker send what is due (at most ``limit`` documents)."""
        buyer_system.set_mode(mode)
        started = time.perf_counter()
        with psycopg2.connect(dbname=args.db) as conn, conn.cursor() as cr:
            # The back-off waits minutes: the script moves the next attempt to now instead.
            cr.execute(
                """UPDATE punchout_message SET next_attempt_at = now() at time zone 'utc'
                    WHERE id IN (SELECT id FROM punchout_message
                                  WHERE direction = 'out' AND state = 'pending'
                                    AND kind IN %s
                                  ORDER BY id LIMIT %s)""",
                [OUTBOUND_KINDS, limit or 1000000],
            )
        run_cron(args.db, "ir_cron_punchout_send")
        counts = outbound_counts(args.db)
        seconds = time.perf_counter() - started
        print(f"workers send cron, endpoint {mode}: {counts} after {seconds:.1f} s")
        return counts

    send_due("error")
    send_due("slow", limit=1)
    final = send_due("up")
    print(
        f"workers buyers' endpoint answered {buyer_system.attempts} (error, slow, up); "
        f"documents now: {_by_kind(outbound_counts(args.db, by_kind=True))}"
    )
    accepted = buyer_system.accepted
    total = sum(stored.values())
    kinds = sorted({kind for kind, _state in by_kind})
    checks.check(
        total > 0 and final.get("done", 0) == total and len(kinds) == len(OUTBOUND_KINDS),
        f"all {total} documents ({', '.join(kinds)}) delivered once the endpoint is back",
        f"{final}",
    )
    duplicates = len(accepted) - len(set(accepted))
    checks.check(
        len(set(accepted)) == total,
        f"{total} documents stored, {len(set(accepted))} distinct payloadIDs accepted",
        f"{duplicates} accepted twice (an answer later than our timeout is sent again; the "
        "buyer's system recognises its payloadID)"
        if duplicates
        else "",
    )
    buyer_system.set_mode("down")


def _by_kind(counts):
    return ", ".join(f"{kind} {state} {n}" for (kind, state), n in sorted(counts.items()))


def run_cron(db, xmlid, timeout=300):
    """Wake the server's cron worker for one of the addon's jobs, as Odoo's own triggers do,
    and wait until it ran."""
    query = """SELECT id, lastcall FROM ir_cron WHERE id = (SELECT res_id FROM ir_model_data
                WHERE module = 'oci_punchout' AND name = %s)"""
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(query, [xmlid])
        cron_id, before = cr.fetchone()
        cr.execute(
            "UPDATE ir_cron SET nextcall = now() at time zone 'utc' WHERE id = %s", [cron_id]
        )
        cr.execute("NOTIFY cron_trigger, %s", [db])
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(1)
        with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
            cr.execute(query, [xmlid])
            if cr.fetchone()[1] != before:
                return True
    return False


def outbound_counts(db, by_kind=False):
    """Our documents to the buyers' systems: {state: count}, or {(kind, state): count}."""
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT kind, state, count(*) FROM punchout_message
                WHERE direction = 'out' AND kind IN %s GROUP BY kind, state""",
            [OUTBOUND_KINDS],
        )
        counts = {}
        for kind, state, count in cr.fetchall():
            key = (kind, state) if by_kind else state
            counts[key] = counts.get(key, 0) + count
        return counts


def _address(buyer):
    return cxml.Address(
        name=f"Stress Buyer {buyer['code']}",
        street=["Stationsplein 1"],
        city="Utrecht",
        postal_code="3511 ED",
        country_code="NL",
    )


def _now():
    return datetime.now(timezone.utc)


def _plain_order(buyer, po_number, lines=None):
    """An OrderRequest of the buyer's products with no punchout history."""
    codes = buyer["codes"] + buyer["second_codes"]
    codes = (codes * ((lines or 10) // len(codes) + 1))[: lines or len(buyer["codes"])]
    items = [
        cxml.Item(
            quantity=Decimal(2),
            supplier_part_id=code,
            unit_price=cxml.Money(Decimal("10.00"), "EUR"),
            description=f"Product {code}",
            unit_of_measure="EA",
            classifications=[("UNSPSC", "56000000")],
            line_number=number,
        )
        for number, code in enumerate(codes, 1)
    ]
    return cxml.OrderRequest(
        order_id=po_number,
        order_date=_now(),
        total=cxml.Money(Decimal("10.00") * 2 * len(items), "EUR"),
        ship_to=_address(buyer),
        bill_to=_address(buyer),
        items=items,
    )


def confirmed_orders(db, po_numbers, states=("sale",)):
    """{PO number: how many sale orders in ``states`` carry it}."""
    with psycopg2.connect(dbname=db) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT po, count(so.id) FROM unnest(%s::varchar[]) po
               LEFT JOIN sale_order so ON so.punchout_po_number = po AND so.state IN %s
               GROUP BY po""",
            [po_numbers, tuple(states)],
        )
        return dict(cr.fetchall())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--state", required=True, help="JSON file the setup writes")
    parser.add_argument("--setup", action="store_true")
    parser.add_argument("--addons-path")
    parser.add_argument("--buyers", type=int, default=50)
    parser.add_argument("--url")
    parser.add_argument("--server-pid", type=int, help="the server's master process")
    parser.add_argument("--restart-db", help="restart this PostgreSQL cluster ('15 main')")
    parser.add_argument("--buyer-port", type=int, default=8399, help="the buyers' endpoint")
    parser.add_argument("--invoices", type=int, help="(internal) invoice and send N orders")
    parser.add_argument("--po-like", help="(internal) with --invoices: the PO numbers")
    args = parser.parse_args()
    if args.invoices:
        run_invoices(args.db, args.addons_path, args.po_like, args.invoices)
        return 0
    if args.setup:
        run_setup(args.db, args.addons_path, args.buyers, args.state, args.buyer_port)
        return 0
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
