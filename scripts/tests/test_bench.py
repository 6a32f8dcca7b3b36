"""The benchmark harness (scripts/bench.py) and the scenarios' command lines; no Odoo, no
server: the statistics, the access-log reading, the form finder, and every scenario's options
parsed as benchmark.sh passes them."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import bench


def test_statistics():
    assert bench.median([3, 1, 2]) == 2
    assert bench.p90([1.0]) == 1.0
    assert bench.p90([float(n) for n in range(1, 11)]) == pytest.approx(9.1)
    assert bench.time_stats([0.1, 0.3]) == {"median_ms": 200.0, "p90_ms": 280.0, "n": 2}
    assert bench.query_stats([5, None, 7]) == {"median": 6, "min": 5, "max": 7}
    assert bench.query_stats([None]) == {"median": None, "min": None, "max": None}
    assert bench.ratio([1.0, 3.0], [4.0], bench.median) == 0.5
    assert bench.sum_queries([1, 2]) == 3
    assert bench.sum_queries([1, None]) is None
    assert bench.fmt_queries({"median": 68, "min": 68, "max": 68}) == "68"
    assert bench.fmt_queries({"median": 154, "min": 154, "max": 156}) == "154 (154-156)"


def test_access_log_gives_each_request_its_query_count(tmp_path):
    log = tmp_path / "odoo.log"
    log.write_text('x werkzeug: 127.0.0.1 "GET /shop HTTP/1.1" 200 - 49 0.010 0.080\n')
    access = bench.AccessLog(str(log))
    offset = access.offset()
    with log.open("a") as file:
        file.write('x werkzeug: 127.0.0.1 "GET /shop?page=2 HTTP/1.1" 200 - 53 0.020 0.090\n')
        file.write('x werkzeug: 127.0.0.1 "POST /punchout/transfer HTTP/1.1" 200 - 45 - -\n')
    assert access.find(offset, "GET", "/shop")["queries"] == 53
    entry = access.find(offset, "POST", "/punchout/transfer")
    assert (entry["status"], entry["queries"], entry["query_time"]) == (200, 45, None)


def test_find_form():
    page = (
        '<form action="/web/login"><input name="login" value="a"/></form>'
        '<form action="https://x.example/punchout/transfer?x=1">'
        '<input name="csrf_token" value="t"/><input name="csrf_token" value="u"/></form>'
    )
    assert bench.find_form(page, "/punchout/transfer") == {"csrf_token": "t"}
    assert bench.find_form(page, "/nowhere") is None


@pytest.mark.parametrize(
    ("scenario", "argv"),
    [
        ("benchmark_oci", ["--db", "d", "--url", "http://127.0.0.1:1", "--log", "l"]),
        ("benchmark_cxml", ["--db", "d", "--url", "http://127.0.0.1:1", "--log", "l"]),
        ("benchmark_mail", ["--db", "d", "--addons-path", "a"]),
        ("benchmark_invoice", ["--db", "d", "--addons-path", "a"]),
    ],
)
def test_each_scenario_takes_the_common_options(scenario, argv):
    module = __import__(scenario)
    args = module.parse_args([*argv, "--rounds", "2", "--warmup", "0", "--json", "out.json"])
    assert (args.db, args.rounds, args.warmup, args.json) == ("d", 2, 0, "out.json")


def test_servers_off_this_machine_are_refused():
    import benchmark_oci

    with pytest.raises(SystemExit):
        benchmark_oci.parse_args(["--db", "d", "--url", "http://192.0.2.1:8069", "--log", "l"])
