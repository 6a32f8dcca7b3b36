"""The benchmark harness: what every benchmark scenario of ``scripts/benchmark.sh`` shares.

``benchmark.sh`` builds the databases and starts the server; the scenarios
(``benchmark_oci.py``, ``benchmark_cxml.py``, ``benchmark_mail.py``, ``benchmark_invoice.py``,
``benchmark_s4.py``, ...) each measure one flow against Odoo's own equivalent (or our cXML
OrderRequest) in the same run, with what is here:

- timing and query counts: requests over HTTP (``Client``, query counts from the server's
  access log, ``AccessLog``) or calls in this process (``InProcess``, odoo.sql_db's per-thread
  counter; one method's share of a call: ``time_method``), and their statistics (``median``,
  ``p90``, ``timed``, ``ratio``);
- the database: Odoo's registry for setups and in-process calls, plain SQL for checks;
- the benchmark products every scenario shops or orders;
- the report: query counts as text, the JSON file, the command line every scenario takes.
"""

import argparse
import contextlib
import json
import os
import re
import statistics
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import psycopg2

ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = ROOT / "oci_punchout"
BENCH_PRODUCT_PREFIX = "BENCH-"
REQUEST_TIMEOUT = 120
LOG_WAIT_SECONDS = 10.0
# werkzeug access log line, with Odoo's perf info appended: queries, query time, other time.
ACCESS_RE = re.compile(
    r'"(?P<method>[A-Z]+) (?P<target>\S+) HTTP/[\d.]+" (?P<status>\d{3}) \S+ '
    r"(?P<queries>\d+|-) (?P<query_time>[\d.]+|-) (?P<other_time>[\d.]+|-)"
)


class BenchmarkError(Exception):
    pass


def load_protocol():
    """The addon's pure-Python ``protocol`` package (it never imports Odoo), with its cXML, OCI
    and SAP S/4HANA modules."""
    if str(ADDON_DIR) not in sys.path:
        sys.path.insert(0, str(ADDON_DIR))
    import protocol.cxml
    import protocol.oci
    import protocol.s4

    return protocol


# ----------------------------------------------------------------------
# Statistics
# ----------------------------------------------------------------------


def median(values):
    return statistics.median(values)


def p90(values):
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[-1]


def time_stats(values):
    return {
        "median_ms": round(median(values) * 1000, 1),
        "p90_ms": round(p90(values) * 1000, 1),
        "n": len(values),
    }


def query_stats(values):
    values = [value for value in values if value is not None]
    if not values:
        return {"median": None, "min": None, "max": None}
    return {"median": median(values), "min": min(values), "max": max(values)}


def timed(samples):
    """Time and query statistics of (seconds, queries) samples."""
    return {
        "time": time_stats([elapsed for elapsed, _queries in samples]),
        "queries": query_stats([queries for _elapsed, queries in samples]),
    }


def ratio(ours, theirs, function):
    return round(function(ours) / function(theirs), 2)


def sum_queries(values):
    values = list(values)
    return None if any(value is None for value in values) else sum(values)


def fmt_queries(stats):
    """Query statistics as text: the median, and the range when runs differed."""
    if stats["median"] is None:
        return "-"
    text = f"{stats['median']:g}"
    if stats["min"] != stats["max"]:
        text += f" ({stats['min']}-{stats['max']})"
    return text


# ----------------------------------------------------------------------
# Over HTTP: requests timed as the client sees them, queries from the access log
# ----------------------------------------------------------------------


class AccessLog:
    """The server's log file; finds the access-log line of each request after its offset."""

    def __init__(self, path):
        self.path = path

    def offset(self):
        return os.path.getsize(self.path)

    def find(self, offset, method, path):
        """The access-log entry of ``method path`` written after ``offset`` (waits briefly).

        The client is sequential, so the lines after the offset taken just before a request
        belong to that request; the method and path must match as well.
        """
        deadline = time.monotonic() + LOG_WAIT_SECONDS
        while True:
            with open(self.path, "rb") as log:
                log.seek(offset)
                data = log.read().decode("utf-8", "replace")
            for line in data.splitlines():
                match = ACCESS_RE.search(line)
                if not match or match["method"] != method:
                    continue
                if urlsplit(match["target"]).path != path:
                    continue
                queries = match["queries"]
                return {
                    "status": int(match["status"]),
                    "queries": int(queries) if queries != "-" else None,
                    "query_time": _float_or_none(match["query_time"]),
                    "other_time": _float_or_none(match["other_time"]),
                }
            if time.monotonic() > deadline:
                raise BenchmarkError(f"No access-log line for {method} {path} in {self.path}.")
            time.sleep(0.005)


def _float_or_none(value):
    return None if value == "-" else float(value)


class Client:
    """Times requests (wall time as the browser sees it) and reads their query counts."""

    def __init__(self, base_url, log):
        self.base_url = base_url.rstrip("/")
        self.log = log

    def request(self, session, method, url, **kwargs):
        url = urljoin(self.base_url + "/", url)
        path = urlsplit(url).path
        offset = self.log.offset()
        start = time.perf_counter()
        response = session.request(
            method, url, allow_redirects=False, timeout=REQUEST_TIMEOUT, **kwargs
        )
        _ = response.content
        elapsed = time.perf_counter() - start
        entry = self.log.find(offset, method, path)
        if entry["status"] != response.status_code:
            raise BenchmarkError(
                f"{method} {path}: access log says {entry['status']}, "
                f"response is {response.status_code}."
            )
        return response, elapsed, entry["queries"]


def expect(response, status, what):
    if response.status_code != status:
        snippet = re.sub(r"\s+", " ", response.text[:300])
        raise BenchmarkError(f"{what}: HTTP {response.status_code} instead of {status}: {snippet}")


def redirect_target(response, what):
    if response.status_code not in (302, 303):
        expect(response, 303, what)
    location = response.headers.get("Location")
    if not location:
        raise BenchmarkError(f"{what}: no Location header.")
    return location


class CartFiller:
    """Adds distinct products to a cart through the shop's own JSON route, as the shop does."""

    def __init__(self, client, session, products):
        self.client = client
        self.session = session
        self.products = iter(products)
        self.line_ids = set()

    def fill_to(self, size):
        """Add lines until the cart has ``size``; returns (time, queries) of each added line."""
        samples = []
        while len(self.line_ids) < size:
            product_id = next(self.products, None)
            if product_id is None:
                raise BenchmarkError(
                    f"Only {len(self.line_ids)} of {size} cart lines could be added: not "
                    "enough published saleable products (the setup step of "
                    "scripts/benchmark.sh creates them)."
                )
            response, elapsed, queries = self.client.request(
                self.session,
                "POST",
                "/shop/cart/update_json",
                json=jsonrpc({"product_id": product_id, "add_qty": 1}),
            )
            expect(response, 200, "POST /shop/cart/update_json")
            result = response.json().get("result") or {}
            if result.get("line_id") and result["line_id"] not in self.line_ids:
                self.line_ids.add(result["line_id"])
                samples.append((elapsed, queries))
                if result.get("cart_quantity") != len(self.line_ids):
                    raise BenchmarkError(
                        f"The cart holds {result.get('cart_quantity')} units after "
                        f"{len(self.line_ids)} lines of one unit: it was not empty."
                    )
        return samples


def jsonrpc(params):
    return {"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}


class FormParser(HTMLParser):
    """Collects the forms of a page: action and the values of their inputs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []
        self._form = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._form = {"action": attrs.get("action") or "", "inputs": {}}
            self.forms.append(self._form)
        elif tag == "input" and self._form is not None and attrs.get("name"):
            self._form["inputs"].setdefault(attrs["name"], attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None


def find_form(html_text, action):
    """The input values of the page's form posting to ``action`` (a path); None if none."""
    parser = FormParser()
    parser.feed(html_text)
    for form in parser.forms:
        if urlsplit(form["action"]).path == action:
            return form["inputs"]
    return None


# ----------------------------------------------------------------------
# In this process: Odoo's registry, calls timed in transactions of their own
# ----------------------------------------------------------------------


def odoo_registry(db, addons_path):
    """Odoo's registry of ``db`` (imports Odoo: for setups and in-process measurements)."""
    import odoo
    from odoo.modules.registry import Registry

    odoo.tools.config.parse_config(
        ["-d", db, f"--addons-path={addons_path}", "--log-level=warn", "--max-cron-threads=0"]
    )
    return Registry(db)


class InProcess:
    """Calls of Odoo's models in this process, each in a transaction of its own, committed:
    ``(result, seconds, queries)``, the queries by odoo.sql_db's per-thread counter (flush and
    commit included), what the server's access log shows for a request."""

    def __init__(self, db, addons_path):
        from odoo import SUPERUSER_ID, api

        self.api = api
        self.superuser_id = SUPERUSER_ID
        self.registry = odoo_registry(db, addons_path)

    def transaction(self, function, uid=None, context=None):
        thread = threading.current_thread()
        thread.query_count = 0
        thread.query_time = 0
        start = time.perf_counter()
        with self.registry.cursor() as cr:
            env = self.api.Environment(cr, uid or self.superuser_id, context or {})
            result = function(env)
            env.flush_all()
        elapsed = time.perf_counter() - start
        queries = thread.query_count
        del thread.query_count
        del thread.query_time
        return result, elapsed, queries

    def run(self, function, uid=None, context=None):
        """``function(env)`` in a transaction of its own, untimed: its result."""
        return self.transaction(function, uid, context)[0]


@contextlib.contextmanager
def time_method(model_class, name, spent):
    """Time every call of method ``name`` of ``model_class`` (a model's class in the registry:
    ``type(env[model])``, the same in every transaction) while in the block: each call's seconds
    appended to the list ``spent``. The method is restored afterwards."""
    own = name in vars(model_class)
    original = getattr(model_class, name)

    def timed_call(*args, **kwargs):
        start = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            spent.append(time.perf_counter() - start)

    setattr(model_class, name, timed_call)
    try:
        yield spent
    finally:
        if own:
            setattr(model_class, name, original)
        else:
            delattr(model_class, name)


class Database:
    """Plain SQL on the benchmark database (autocommit), for checks that must not go through
    the code measured."""

    def __init__(self, db):
        self.conn = psycopg2.connect(dbname=db)
        self.conn.autocommit = True

    def close(self):
        self.conn.close()

    def fetchone(self, query, params=()):
        with self.conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchone()

    def fetchall(self, query, params=()):
        with self.conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall()


# ----------------------------------------------------------------------
# The benchmark products
# ----------------------------------------------------------------------


def candidate_product_domain(website_id):
    return [
        ("sale_ok", "=", True),
        ("product_tmpl_id.is_published", "=", True),
        ("type", "in", ("consu", "service")),
        ("website_id", "in", (False, website_id)),
    ]


def bench_product_domain():
    """Published, sellable benchmark products (shared by every benchmark scenario)."""
    return [
        ("default_code", "=like", BENCH_PRODUCT_PREFIX + "%"),
        ("active", "=", True),
        ("sale_ok", "=", True),
        ("is_published", "=", True),
    ]


def create_bench_products(env, missing):
    """``missing`` more published benchmark products, numbered after the existing ones."""
    Template = env["product.template"].with_context(active_test=False)
    existing = Template.search_count([("default_code", "=like", BENCH_PRODUCT_PREFIX + "%")])
    Template.create(
        [
            {
                "name": f"Benchmark product {number:03d}",
                "default_code": f"{BENCH_PRODUCT_PREFIX}{number:03d}",
                "type": "consu",
                "sale_ok": True,
                "is_published": True,
                "list_price": 10.0 + number,
                "description_sale": f"Benchmark product number {number}.",
            }
            for number in range(existing + 1, existing + missing + 1)
        ]
    )


# ----------------------------------------------------------------------
# Command line and report
# ----------------------------------------------------------------------


def argument_parser(doc, rounds, warmup):
    """The options every scenario takes: --db, --rounds, --warmup, --json."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    parser.add_argument("--db", required=True, help="database name")
    parser.add_argument("--rounds", type=int, default=rounds, help="measured rounds")
    parser.add_argument("--warmup", type=int, default=warmup, help="warm-up rounds")
    parser.add_argument("--json", help="also write the results to this JSON file")
    return parser


def check_loopback(parser, url):
    """Benchmarks only talk to a server on this machine's loopback interface."""
    if urlsplit(url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("the benchmark only talks to a server on the loopback interface")


def write_json(summary, path):
    """The results, as JSON, to ``path`` (when given)."""
    if not path:
        return
    with open(path, "w", encoding="utf-8") as output:
        json.dump(summary, output, indent=2)
        output.write("\n")
    print(f"\nResults written to {path}")


def run(measure, errors=()):
    """``measure()``, with a benchmark's errors (and ``errors``) as a message and status 1."""
    try:
        measure()
    except (BenchmarkError, psycopg2.Error, *errors) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    return 0
