#!/usr/bin/env bash
# The whole test suite: the pure protocol package and the project's scripts (pytest), then the
# addon installed in a fresh database with every Python, HttpCase and tour test. Ends with
# "N passed, N failed". Odoo comes from scripts/setup.sh (PYTHON, or the project's .venv).
set -uo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if ! find_odoo; then
    echo "0 passed, 1 failed"
    exit 2
fi
# Tours drive Chromium through websocket-client: without both, Odoo would skip them silently.
if ! command -v chromium >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1 \
    && ! command -v google-chrome >/dev/null 2>&1; then
    echo "ERROR: Chromium is missing (Debian package 'chromium'); the tours need it."
    echo "0 passed, 1 failed"
    exit 2
fi
if ! "$PYTHON" -c 'import websocket' 2>/dev/null; then
    echo "ERROR: the Python package websocket-client is missing; Odoo needs it to run tours."
    echo "0 passed, 1 failed"
    exit 2
fi
ensure_postgres

DB="${TEST_DB:-oci_punchout_test}"
PORT="${TEST_HTTP_PORT:-8169}"
export PUNCHOUT_SHARED="${PUNCHOUT_SHARED:-$ROOT/../shared}"

# Counts "N passed" and failures/errors of a pytest run's output; nothing collected is a failure.
pytest_counts() {
    local out="$1" passed failed
    passed="$(grep -Eo '[0-9]+ passed' "$out" | tail -1 | grep -Eo '[0-9]+' || echo 0)"
    failed="$(tail -n 3 "$out" | grep -Eo '[0-9]+ (failed|errors?)' | awk '{s += $1} END {print s + 0}')"
    if [ "$passed" = 0 ] && [ "$failed" = 0 ]; then
        failed=1  # pytest collected nothing or crashed: never pass silently
    fi
    echo "$passed $failed"
}

echo "== protocol package (pytest)"
PROTO_OUT="$(mktemp)"
(cd "$ROOT/oci_punchout" && "$PYTHON" -m pytest -q -p no:cacheprovider protocol/tests) | tee "$PROTO_OUT"
read -r proto_passed proto_failed <<<"$(pytest_counts "$PROTO_OUT")"

echo "== project scripts (pytest)"
SCRIPTS_OUT="$(mktemp)"
(cd "$ROOT" && "$PYTHON" -m pytest -q -p no:cacheprovider scripts/tests) | tee "$SCRIPTS_OUT"
read -r scripts_passed scripts_failed <<<"$(pytest_counts "$SCRIPTS_OUT")"
proto_passed=$((proto_passed + scripts_passed))
proto_failed=$((proto_failed + scripts_failed))

# Runs the Odoo tests tagged $3 in a fresh database $1 with the modules $2 installed; prints
# "passed failed" as its last line.
odoo_tests() {
    local db="$1" modules="$2" tags="$3" log rc summary f_count e_count run failed passed skipped
    log="$(mktemp -t oci_punchout_test.XXXXXX.log)"
    dropdb --if-exists "$db" >/dev/null 2>&1
    "${ODOO_CMD[@]}" -d "$db" --addons-path="$ADDONS_PATH" -i "$modules" \
        --test-enable --test-tags="$tags" --stop-after-init \
        --http-port="$PORT" --log-level=test --max-cron-threads=0 \
        >"$log" 2>&1
    rc=$?
    grep -E "(ERROR|FAIL|CRITICAL|odoo.tests.stats|tests when loading|Ran [0-9]+ test)" "$log" \
        | grep -v "^$" | tail -n 60 >&2
    summary="$(grep -Eo '[0-9]+ failed, [0-9]+ error\(s\) of [0-9]+ tests' "$log" | tail -1)"
    if [ -z "$summary" ]; then
        echo "Odoo ran no test or crashed (exit code $rc); last lines of $log:" >&2
        tail -n 40 "$log" >&2
        failed=1
        run=0
    else
        read -r f_count e_count run <<<"$(echo "$summary" | grep -Eo '[0-9]+' | paste -sd' ')"
        failed=$((f_count + e_count))
    fi
    passed=$((run - failed))
    skipped="$(grep -cE "INFO [^ ]+ odoo\.addons\.[^ ]+: skipped " "$log" || true)"
    if [ "$skipped" != 0 ]; then
        # A skipped test (e.g. a tour without a browser) counts as failed: nothing passes unseen.
        grep -E "INFO [^ ]+ odoo\.addons\.[^ ]+: skipped " "$log" >&2
        passed=$((passed - skipped))
        failed=$((failed + skipped))
    fi
    if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then
        echo "Odoo exited with code $rc (see $log)" >&2
        failed=1
    fi
    [ -n "${KEEP_TEST_DB:-}" ] || dropdb --if-exists "$db" >/dev/null 2>&1
    echo "(log: $log)" >&2
    echo "$passed $failed"
}

echo "== addon in Odoo (database $DB)"
# sale_edi_ubl too: the tests check that Peppol orders without our references are left to
# Odoo's own UBL import (the addon itself does not depend on it). l10n_nl: the e-invoice tests
# invoice as a Dutch supplier with the Dutch chart, taxes and fiscal positions (without it
# AccountTestInvoicingCommon skips them, which counts as failed). Stock stays out: the addon
# works without it.
read -r odoo_passed odoo_failed <<<"$(odoo_tests "$DB" oci_punchout,sale_edi_ubl,l10n_nl /oci_punchout | tail -1)"

echo "== stock bridge module in Odoo (database ${DB}_stock)"
read -r stock_passed stock_failed <<<"$(odoo_tests "${DB}_stock" oci_punchout_stock /oci_punchout_stock | tail -1)"
odoo_passed=$((odoo_passed + stock_passed))
odoo_failed=$((odoo_failed + stock_failed))

passed=$((proto_passed + odoo_passed))
failed=$((proto_failed + odoo_failed))
echo "pytest: $proto_passed passed, $proto_failed failed; odoo: $odoo_passed passed, $odoo_failed failed"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$passed" -gt 0 ]
