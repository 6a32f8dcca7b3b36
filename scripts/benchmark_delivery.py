"""Benchmark the ship notice: validating the delivery of a 50-line cXML order with it against
the same validation without it (Odoo's own), in the same run.

Run through ``scripts/benchmark.sh --delivery`` (which builds a database with the stock bridge
module, ``oci_punchout_stock``), or directly: ``python3 scripts/benchmark_delivery.py --db
oci_punchout_bench_delivery --addons-path <Odoo's addons>,<this repository>``. Measured in this
process (Odoo imported, cursors of its own), each validation in a transaction of its own,
committed, as a user's click commits it; queries by odoo.sql_db's per-thread counter.

Each round prepares, untimed, two confirmed sale orders of the ``demo-cxml`` connection with 50
storable benchmark products in stock, as an OrderRequest leaves them (PO number, payloadID, PO
line numbers), and then validates, timed, the delivery of each: one while the connection has a
ship notice URL (the validation queues a DTD-valid ShipNoticeRequest: built, stored, the send
job woken), one while it has none (nothing but Odoo's validation). Checked after each round: the
first delivery has exactly one queued ship notice naming the 50 lines, the second none. The
ship notices are not posted (the send job is not run): what the user waits for is measured.
"""

import sys
import time

from bench import (
    BenchmarkError,
    InProcess,
    argument_parser,
    bench_product_domain,
    create_bench_products,
    fmt_queries,
    median,
    ratio,
    run,
    timed,
    write_json,
)

CONNECTION_CODE = "demo-cxml"
SHIP_NOTICE_URL = "https://buyer.example/cxml/ship-notice"
LINES = 50
PATHS = ("with_notice", "without_notice")
PATH_LABELS = {
    "with_notice": "validation + ship notice (queued)",
    "without_notice": "validation only (Odoo's own)",
}


def setup(bench):
    """The connection, 50 storable benchmark products with stock."""

    def prepare(env):
        connection = env["punchout.connection"].search([("code", "=", CONNECTION_CODE)])
        if not connection:
            raise BenchmarkError(f"No connection {CONNECTION_CODE}: the demo data is missing.")
        products = env["product.product"].search(bench_product_domain(), limit=LINES)
        if len(products) < LINES:
            create_bench_products(env, LINES - len(products))
            products = env["product.product"].search(bench_product_domain(), limit=LINES)
        products.product_tmpl_id.write({"is_storable": True})
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", connection.company_id.id)], limit=1
        )
        for product in products:
            if product.qty_available < 1000:
                env["stock.quant"]._update_available_quantity(
                    product, warehouse.lot_stock_id, 100000
                )
        return connection.id, products.ids

    return bench.run(prepare)


def confirmed_order(env, connection_id, product_ids, number):
    """A confirmed 50-line order as a cXML OrderRequest leaves it: its delivery's id."""
    connection = env["punchout.connection"].browse(connection_id)
    stamp = f"{time.time_ns()}-{number}"
    order = env["sale.order"].create(
        {
            "partner_id": connection.partner_id.id,
            "pricelist_id": connection.pricelist_id.id,
            "punchout_connection_id": connection.id,
            "punchout_po_number": f"BENCH-PO-{stamp}",
            "punchout_po_payload_id": f"bench-{stamp}@buyer.example",
            "order_line": [
                (
                    0,
                    0,
                    {
                        "product_id": product_id,
                        "product_uom_qty": 2,
                        "punchout_po_line_number": index,
                        "punchout_ordered_qty": 2,
                    },
                )
                for index, product_id in enumerate(product_ids, 1)
            ],
        }
    )
    order.action_confirm()
    return order.picking_ids.id


def validate(picking_id):
    def call(env):
        picking = env["stock.picking"].browse(picking_id)
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        result = picking.button_validate()
        if result is not True or picking.state != "done":
            raise BenchmarkError(f"Delivery {picking.name} was not validated: {result!r}")

    return call


def notices(env, picking_id):
    return env["punchout.message"].search(
        [("kind", "=", "cxml_ship_notice"), ("picking_id", "=", picking_id)]
    )


def measure_round(bench, connection_id, product_ids, number):
    def set_url(url):
        def call(env):
            env["punchout.connection"].browse(connection_id).cxml_ship_notice_url = url

        return call

    samples = {}
    for path, url in (("with_notice", SHIP_NOTICE_URL), ("without_notice", False)):
        bench.run(set_url(url))
        picking_id = bench.run(
            lambda env, number=number: confirmed_order(env, connection_id, product_ids, number)
        )
        _result, elapsed, queries = bench.transaction(validate(picking_id))
        sent = bench.run(
            lambda env, picking_id=picking_id: notices(env, picking_id).mapped("payload")
        )
        expected = 1 if path == "with_notice" else 0
        if len(sent) != expected:
            raise BenchmarkError(f"{path}: {len(sent)} ship notices queued, {expected} expected.")
        if expected and sent[0].count("<ShipNoticeItem ") != LINES:
            raise BenchmarkError("The ship notice does not name the 50 lines.")
        samples[path] = (elapsed, queries)
    return samples


def main(argv=None):
    parser = argument_parser(__doc__, rounds=10, warmup=1)
    parser.add_argument("--addons-path", required=True)
    args = parser.parse_args(argv)
    bench = InProcess(args.db, args.addons_path)

    def measure():
        connection_id, product_ids = setup(bench)
        print(
            f"== Delivery of a {LINES}-line cXML order validated, with and without the ship "
            "notice, in-process",
            file=sys.stderr,
        )
        samples = {path: [] for path in PATHS}
        for number in range(args.warmup + args.rounds):
            measured = measure_round(bench, connection_id, product_ids, number)
            if number >= args.warmup:
                for path in PATHS:
                    samples[path].append(measured[path])
        bench.run(
            lambda env: setattr(
                env["punchout.connection"].browse(connection_id), "cxml_ship_notice_url", False
            )
        )
        summary = {path: timed(samples[path]) for path in PATHS}
        times = {path: [elapsed for elapsed, _q in samples[path]] for path in PATHS}
        summary["ratio_median"] = ratio(times["with_notice"], times["without_notice"], median)
        summary["added_ms_median"] = round(
            (median(times["with_notice"]) - median(times["without_notice"])) * 1000, 1
        )
        summary["config"] = {"lines": LINES, "rounds": args.rounds, "warmup": args.warmup}
        print(f"{'':36}{'median ms':>10}{'p90 ms':>9}  queries")
        for path in PATHS:
            stats = summary[path]
            print(
                f"{PATH_LABELS[path]:<36}{stats['time']['median_ms']:>10}"
                f"{stats['time']['p90_ms']:>9}  {fmt_queries(stats['queries'])}"
            )
        print(
            f"ship notice: x{summary['ratio_median']} the validation's median time "
            f"(+{summary['added_ms_median']} ms)"
        )
        write_json(summary, args.json)

    return run(measure)


if __name__ == "__main__":
    sys.exit(main())
