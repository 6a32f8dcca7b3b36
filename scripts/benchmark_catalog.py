"""Benchmark the catalogue export: a connection's catalogue in every format for 1,000 and 10,000
products (time, queries, peak memory) against the time Odoo renders the shop's product list
pages of the same products, in the same run.

Run through ``scripts/benchmark.sh --catalog`` (which builds a database of its own,
oci_punchout_bench_catalog, with oci_punchout and demo data), or directly: ``python3
scripts/benchmark_catalog.py --db oci_punchout_bench_catalog --addons-path <Odoo's
addons>,<this repository>``. Measured in this process (Odoo imported, cursors of its own, no
server), each export a transaction of its own, committed; queries by odoo.sql_db's per-thread
counter.

Prepared once, untimed, kept for later runs (found again by their internal reference,
``BENCHCAT-00001`` on): 10,000 published saleable products in Units, with a list price and a
product category classified in UNSPSC, created 1,000 at a time. The first 1,000 are in the
public category ``CATEGORY_SMALL``, the others in its parent ``CATEGORY_LARGE``: the products
of a category (sub-categories included) are the 1,000 or the 10,000.

For each size, the assortment of the demo OCI connection (``demo-oci``, its eCommerce
categories) is that size's category (the connection's own setting, restored afterwards), so
``punchout.catalog._export`` runs as it is and writes exactly those products (checked: the
count, none left out). Per round, timed, the catalogue in each format of ``CATALOG_FORMATS``
(any added later included) written to a sink that counts the bytes and keeps none: wall time,
queries, and the growth of the process's maximum resident set (``ru_maxrss``, a high-water
mark: 0 when the export stayed under an earlier peak). After the rounds, once per format, the
same export under tracemalloc: the peak of Python's allocations during it, over the level
before it (a run of its own, tracemalloc slows Python down).

The reference, in the same run: website_sale's product list of the same category,
``/shop/category/<category>/page/<n>`` (what the shop shows anyone: the same products,
``website.shop_ppg`` a page), every page rendered in this process through Odoo's WSGI
application (``odoo.http.root``, werkzeug's test client, the public user) and summed. Above
``--shop-pages`` pages, ``--shop-pages`` of them spread evenly are rendered a round, other ones
each round, and the sum extrapolated to every page, as the output says: a page rendered again
would find its products' values in Odoo's caches, which a walk through 500 pages has lost by the
time it comes back (checked once against every page: about 20 queries a page more). Each page
is checked (HTTP 200, the number of products it shows), and the last page, untimed, first: the
list holds the size's products. Warm-up rounds, untimed, before the timed ones: every export,
the list's pages. Ratios: the export's median time over the list's.
"""

import math
import re
import resource
import sys
import threading
import time
import tracemalloc

from bench import (
    BenchmarkError,
    InProcess,
    argument_parser,
    fmt_queries,
    median,
    query_stats,
    ratio,
    run,
    time_stats,
    timed,
    write_json,
)

CONNECTION_CODE = "demo-oci"
PRODUCT_PREFIX = "BENCHCAT-"
SIZES = (1000, 10000)
BATCH = 1000
CATEGORY_SMALL = "Benchmark catalogue: first 1,000"
CATEGORY_LARGE = "Benchmark catalogue: 10,000"
PRODUCT_CATEGORY = "Benchmark catalogue"
UNSPSC_CODE = "44120000"
SHOP_PAGES = 50
# One product of the shop's list: its form, marked up as a schema.org Product.
SHOP_ITEM = b'itemtype="http://schema.org/Product"'
# The pager: the page shown, the next page link disabled (on the last page).
ACTIVE_PAGE = re.compile(rb'page-item active">\s*<a href="[^"]*/page/(\d+)"')
LAST_PAGE = re.compile(
    rb'page-item disabled">\s*<a class="page-link ">\s*<span class="fa fa-chevron-right"'
)
MIB = 1024 * 1024


class CountingSink:
    """A binary file object that counts the bytes written to it and keeps none."""

    def __init__(self):
        self.size = 0

    def write(self, data):
        self.size += len(data)
        return len(data)

    def flush(self):
        pass


def setup(bench):
    """The products (made once), their categories; the connection and its assortment."""

    def prepare(env):
        connection = env["punchout.connection"].search([("code", "=", CONNECTION_CODE)])
        if not connection:
            raise BenchmarkError(f"No connection {CONNECTION_CODE}: the demo data is missing.")
        PublicCategory = env["product.public.category"]
        large = PublicCategory.search([("name", "=", CATEGORY_LARGE)], limit=1)
        if not large:
            large = PublicCategory.create({"name": CATEGORY_LARGE})
        small = PublicCategory.search([("name", "=", CATEGORY_SMALL)], limit=1)
        if not small:
            small = PublicCategory.create({"name": CATEGORY_SMALL, "parent_id": large.id})
        Category = env["product.category"]
        category = Category.search([("name", "=", PRODUCT_CATEGORY)], limit=1)
        if not category:
            category = Category.create(
                {
                    "name": PRODUCT_CATEGORY,
                    "punchout_classification_scheme": "UNSPSC",
                    "punchout_classification_code": UNSPSC_CODE,
                }
            )
        Template = env["product.template"].with_context(
            active_test=False, tracking_disable=True, mail_create_nolog=True
        )
        codes = set(
            Template.search([("default_code", "=like", PRODUCT_PREFIX + "%")]).mapped(
                "default_code"
            )
        )
        missing = [
            number
            for number in range(1, max(SIZES) + 1)
            if f"{PRODUCT_PREFIX}{number:05d}" not in codes
        ]
        if missing:
            print(
                f"== Creating {len(missing)} catalogue benchmark products, {BATCH} at a time "
                "(kept for later runs)...",
                file=sys.stderr,
            )
        unit = env.ref("uom.product_uom_unit")
        for start in range(0, len(missing), BATCH):
            Template.create(
                [
                    {
                        "name": f"Catalogue benchmark product {number:05d}",
                        "default_code": f"{PRODUCT_PREFIX}{number:05d}",
                        "type": "consu",
                        "sale_ok": True,
                        "is_published": True,
                        "list_price": 10.0 + number % 500,
                        "uom_id": unit.id,
                        "uom_po_id": unit.id,
                        "categ_id": category.id,
                        "public_categ_ids": [(6, 0, (small if number <= SIZES[0] else large).ids)],
                        "description_sale": f"Catalogue benchmark product number {number}.",
                    }
                    for number in missing[start : start + BATCH]
                ]
            )
            env.cr.commit()
        return {
            "connection_id": connection.id,
            "assortment_ids": connection.allowed_public_categ_ids.ids,
            "categories": {
                size: {
                    "id": (small if size <= SIZES[0] else large).id,
                    "slug": env["ir.http"]._slug(small if size <= SIZES[0] else large),
                }
                for size in SIZES
            },
            "ppg": env["website"].get_current_website().shop_ppg or 20,
        }

    return bench.run(prepare)


def set_assortment(bench, connection_id, category_ids):
    def call(env):
        connection = env["punchout.connection"].browse(connection_id)
        connection.allowed_public_categ_ids = [(6, 0, category_ids)]
        return len(env["punchout.catalog"]._products(connection))

    return bench.run(call)


def export(connection_id, catalog_format):
    def call(env):
        connection = env["punchout.connection"].browse(connection_id)
        sink = CountingSink()
        count, skipped = env["punchout.catalog"]._export(connection, catalog_format, sink)
        return count, skipped, sink.size

    return call


def max_rss():
    """The process's maximum resident set so far, in bytes (Linux gives KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure_export(bench, connection_id, catalog_format, size):
    """One timed export: (seconds, queries, bytes written, max RSS growth in bytes)."""
    rss = max_rss()
    (count, skipped, written), elapsed, queries = bench.transaction(
        export(connection_id, catalog_format)
    )
    grown = max_rss() - rss
    if skipped or count != size:
        raise BenchmarkError(
            f"{catalog_format}: {count} products written, {len(skipped)} left out "
            f"({skipped[:3]}), {size} expected."
        )
    return elapsed, queries, written, grown


def traced_peak(bench, connection_id, catalog_format):
    """The peak of Python's allocations during one export, over the level before it."""
    tracemalloc.start()
    try:
        baseline = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        bench.run(export(connection_id, catalog_format))
        return tracemalloc.get_traced_memory()[1] - baseline
    finally:
        tracemalloc.stop()


class Shop:
    """The shop's pages rendered in this process by Odoo's WSGI application, as the public
    user (werkzeug's test client: no server, no socket)."""

    def __init__(self):
        from werkzeug.test import Client

        import odoo.http

        self.client = Client(odoo.http.root)

    def render(self, url):
        """``(body, seconds, queries)`` of GET ``url``; queries by odoo.sql_db's per-thread
        counter, which Odoo's WSGI application sets to 0 at each request."""
        thread = threading.current_thread()
        start = time.perf_counter()
        response = self.client.get(url, environ_base={"REMOTE_ADDR": "127.0.0.1"})
        body = response.get_data()
        elapsed = time.perf_counter() - start
        queries = getattr(thread, "query_count", None)
        for name in ("query_count", "query_time", "perf_t0"):
            if hasattr(thread, name):
                delattr(thread, name)
        response.close()
        if response.status_code != 200:
            raise BenchmarkError(f"GET {url}: HTTP {response.status_code}.")
        return body, elapsed, queries


def page_url(slug, page):
    return f"/shop/category/{slug}" + (f"/page/{page}" if page > 1 else "")


def sample_pages(pages, limit, number):
    """Every page, or ``limit`` pages spread evenly over them, shifted by one page from round
    ``number`` to the next: a page is not rendered again (a walk through every page comes back
    to a page when what was cached for its products is gone), until the shifts run out."""
    if pages <= limit:
        return list(range(1, pages + 1))
    shift = number % (pages // limit)
    return sorted({1 + index * pages // limit + shift for index in range(limit)})


def render_list(shop, slug, size, ppg, rendered):
    """The shop's list of ``size`` products, the ``rendered`` pages of it: their samples."""
    pages = math.ceil(size / ppg)
    samples = []
    for page in rendered:
        url = page_url(slug, page)
        body, elapsed, queries = shop.render(url)
        check_page(url, body, ppg if page < pages else size - (pages - 1) * ppg)
        samples.append((elapsed, queries))
    return samples


def check_page(url, body, expected):
    shown = body.count(SHOP_ITEM)
    if shown != expected:
        raise BenchmarkError(f"{url} shows {shown} products, {expected} expected.")


def check_list(shop, slug, size, ppg):
    """The last page of the list, untimed: the page it names is the last (the next one
    disabled) and it shows what remains, so the list holds ``size`` products."""
    pages = math.ceil(size / ppg)
    url = page_url(slug, pages)
    body = shop.render(url)[0]
    active = ACTIVE_PAGE.search(body)
    if (pages > 1 and (not active or int(active[1]) != pages)) or not LAST_PAGE.search(body):
        raise BenchmarkError(f"{url} is not the last page of {pages}.")
    check_page(url, body, size - (pages - 1) * ppg)


def measure_size(bench, shop, context, size, args):
    """Exports in every format and the shop's list, for ``size`` products."""
    from odoo.addons.oci_punchout.models.punchout_catalog import CATALOG_FORMATS

    connection_id = context["connection_id"]
    category = context["categories"][size]
    found = set_assortment(bench, connection_id, [category["id"]])
    if found != size:
        raise BenchmarkError(
            f"The connection's assortment holds {found} products, {size} expected."
        )
    print(f"== {size} products: exports, then the shop's list", file=sys.stderr)
    exports = {name: [] for name in CATALOG_FORMATS}
    written = {}
    grown = dict.fromkeys(CATALOG_FORMATS, 0)
    for number in range(args.warmup + args.rounds):
        for name in CATALOG_FORMATS:
            elapsed, queries, written[name], growth = measure_export(
                bench, connection_id, name, size
            )
            grown[name] = max(grown[name], growth)
            if number >= args.warmup:
                exports[name].append((elapsed, queries))
    peaks = {name: traced_peak(bench, connection_id, name) for name in CATALOG_FORMATS}

    ppg = context["ppg"]
    pages = math.ceil(size / ppg)
    check_list(shop, category["slug"], size, ppg)
    totals, page_samples, rendered = [], [], set()
    for number in range(args.warmup + args.rounds):
        sample = sample_pages(pages, args.shop_pages, number)
        samples = render_list(shop, category["slug"], size, ppg, sample)
        if number < args.warmup:
            continue
        page_samples += samples
        rendered.update(sample)
        factor = pages / len(sample)
        totals.append(
            (
                sum(elapsed for elapsed, _q in samples) * factor,
                round(sum(queries for _e, queries in samples) * factor),
            )
        )
    list_times = [elapsed for elapsed, _q in totals]
    result = {"products": size, "formats": {}}
    for name, (label, _extension, _mimetype) in CATALOG_FORMATS.items():
        stats = timed(exports[name])
        stats.update(
            {
                "label": label,
                "bytes": written[name],
                "tracemalloc_peak_mib": round(peaks[name] / MIB, 1),
                "max_rss_growth_mib": round(grown[name] / MIB, 1),
                "ratio_to_shop_median": ratio(
                    [elapsed for elapsed, _q in exports[name]], list_times, median
                ),
            }
        )
        result["formats"][name] = stats
    result["shop"] = {
        "url": page_url(category["slug"], 1),
        "per_page": ppg,
        "pages": pages,
        "pages_rendered_per_round": min(pages, args.shop_pages),
        "pages_rendered": len(rendered),
        "extrapolated": args.shop_pages < pages,
        "time": time_stats(list_times),
        "queries": query_stats([queries for _elapsed, queries in totals]),
        "page": timed(page_samples),
    }
    return result


def report(summary):
    print(
        f"{'':28}{'median s':>9}{'p90 s':>8}{'MiB out':>9}{'traced MiB':>11}{'RSS +MiB':>9}"
        f"{'x shop':>8}  queries"
    )
    for size, result in summary["sizes"].items():
        shop = result["shop"]
        print(f"{size} products")
        for stats in result["formats"].values():
            print(
                f"  {stats['label']:<26}{stats['time']['median_ms'] / 1000:>9.2f}"
                f"{stats['time']['p90_ms'] / 1000:>8.2f}{stats['bytes'] / MIB:>9.1f}"
                f"{stats['tracemalloc_peak_mib']:>11}{stats['max_rss_growth_mib']:>9}"
                f"{stats['ratio_to_shop_median']:>8}  {fmt_queries(stats['queries'])}"
            )
        label = f"shop list, {shop['pages']} pages"
        print(
            f"  {label:<26}{shop['time']['median_ms'] / 1000:>9.2f}"
            f"{shop['time']['p90_ms'] / 1000:>8.2f}{'':45}{fmt_queries(shop['queries'])}"
        )
        page = shop["page"]
        note = (
            f"{shop['pages_rendered_per_round']} of {shop['pages']} pages rendered a round, "
            "other pages each round, the sum extrapolated to every page"
            if shop["extrapolated"]
            else "every page rendered"
        )
        print(
            f"    a page: median {page['time']['median_ms']} ms, {fmt_queries(page['queries'])} "
            f"queries ({note})"
        )
    largest = list(summary["sizes"].values())[-1]
    slowest = max(largest["formats"].values(), key=lambda stats: stats["time"]["median_ms"])
    print(
        f"{largest['products']} products: the slowest format, {slowest['label']}, in "
        f"{slowest['time']['median_ms'] / 1000:.1f} s (goal: well under a minute)"
    )
    scaling = summary.get("scaling")
    if scaling:
        print(f"{scaling['from']} -> {scaling['to']} products:")
        for stats in scaling["formats"].values():
            print(f"  {stats['label']:<26}time x{stats['time']}, traced peak x{stats['memory']}")


def scale(summary, sizes):
    """How time and traced memory grow from the smallest size to the largest."""
    if len(sizes) < 2:
        return None
    low, high = summary["sizes"][str(sizes[0])], summary["sizes"][str(sizes[-1])]
    formats = {}
    for name, stats in high["formats"].items():
        before = low["formats"][name]
        formats[name] = {
            "label": stats["label"],
            "time": round(stats["time"]["median_ms"] / before["time"]["median_ms"], 2),
            "memory": round(
                stats["tracemalloc_peak_mib"] / max(before["tracemalloc_peak_mib"], 0.1), 2
            ),
        }
    return {"from": sizes[0], "to": sizes[-1], "formats": formats}


def main(argv=None):
    parser = argument_parser(__doc__, rounds=3, warmup=1)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument(
        "--shop-pages",
        type=int,
        default=SHOP_PAGES,
        help="shop list pages rendered per size at most (more: a sample, extrapolated)",
    )
    args = parser.parse_args(argv)
    if args.shop_pages < 1:
        parser.error("--shop-pages must be at least 1")
    bench = InProcess(args.db, args.addons_path)

    def measure():
        context = setup(bench)
        shop = Shop()
        print(
            f"== Catalogue of {CONNECTION_CODE} exported in every format against the shop's "
            "product list, in-process",
            file=sys.stderr,
        )
        summary = {"sizes": {}}
        try:
            for size in SIZES:
                summary["sizes"][str(size)] = measure_size(bench, shop, context, size, args)
        finally:
            set_assortment(bench, context["connection_id"], context["assortment_ids"])
        summary["scaling"] = scale(summary, SIZES)
        summary["config"] = {
            "connection": CONNECTION_CODE,
            "sizes": list(SIZES),
            "rounds": args.rounds,
            "warmup": args.warmup,
            "shop_pages": args.shop_pages,
        }
        report(summary)
        write_json(summary, args.json)

    return run(measure)


if __name__ == "__main__":
    sys.exit(main())
