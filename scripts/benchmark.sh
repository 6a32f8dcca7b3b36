#!/usr/bin/env bash
# Benchmark: OCI punch-in and cart transfer (scripts/benchmark_oci.py), and the cXML OrderRequest
# to a confirmed order (scripts/benchmark_cxml.py), against Odoo's own equivalents measured in the
# same run (ratios), plus SQL query counts per request from the server's access log.
#
#   scripts/benchmark.sh [--oci | --cxml] [--mail] [--invoice] [--delivery] [--catalog] [--s4]
#                        [--fresh] [--rounds N] [--warmup N] [--cycles N] [--in-process]
#                        [--json FILE]
#
# Runs both benchmarks, or only the one named (--oci, --cxml). --rounds and --warmup go to each
# benchmark run (defaults: OCI 20 and 3, cXML 5 and 1, mail 10 and 1, invoice 5 and 1, delivery
# 10 and 1, catalogue 3 and 1, S/4HANA 10 and 1); --cycles to the OCI one; --in-process makes the
# cXML one also measure inside its own process. With both, --json FILE gets the OCI results and
# FILE's name with .cxml before its extension the cXML ones.
# --mail runs scripts/benchmark_mail.py (purchase orders by e-mail, XML and PDF, against the
# cXML OrderRequest, in-process, no server): alone, or with the one named (--oci, --cxml); its
# JSON then goes to FILE's name with .mail before its extension.
# --invoice runs scripts/benchmark_invoice.py (100 e-invoices of punchout orders: Peppol BIS 3
# export, the official rules, cXML invoice, against Odoo's own export of twin invoices,
# in-process, no server): alone, or with the others named; its JSON then goes to FILE's name
# with .invoice before its extension. Its rule files: $PUNCHOUT_SHARED/testdata (default: the
# shared folder beside the repository).
# --delivery runs scripts/benchmark_delivery.py (validating the delivery of a 50-line cXML order
# with the ship notice against the same validation without it, in-process, no server) on
# oci_punchout_bench_delivery (BENCH_DB's name with _delivery: the stock bridge module
# oci_punchout_stock and demo data): alone, or with the others named; its JSON then goes to
# FILE's name with .delivery before its extension.
# --catalog runs scripts/benchmark_catalog.py (the catalogue export of the demo OCI connection in
# every format for 1,000 and 10,000 products: time, queries, peak memory, against the shop's
# product list pages for the same products, in-process, no server) on oci_punchout_bench_catalog
# (BENCH_DB's name with _catalog: oci_punchout and demo data; its 10,000 products made once):
# alone, or with the others named; its JSON then goes to FILE's name with .catalog before its
# extension.
# --s4 runs scripts/benchmark_s4.py (a 50-line SAP S/4HANA OrderRequest over SOAP, from an OCI
# cart of the demo-s4 connection, to a confirmed order, against the cXML OrderRequest of the same
# order, in-process, no server) on oci_punchout_bench, like --mail: alone, or with the others
# named; its JSON then goes to FILE's name with .s4 before its extension.
# Uses the database oci_punchout_bench (created with oci_punchout, sale_edi_ubl (Odoo's UBL order
# import, the cXML benchmark's reference) and demo data when missing, or again with --fresh),
# starts Odoo on 127.0.0.1 (port 8269, or the next free one) for the run only, and stops it at
# the end. --invoice uses oci_punchout_bench_invoice (BENCH_DB's name with _invoice), created the
# same way with oci_punchout and l10n_nl (the Dutch chart of its supplier company). A database
# is built again when the addon's files changed (e.g. demo data a scenario needs, like demo-s4).
# Environment: BENCH_DB, BENCH_HTTP_PORT, PUNCHOUT_SHARED, PYTHON. The scenarios share their timing,
# query counts, statistics, products, options and JSON report through scripts/bench.py.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DB="${BENCH_DB:-oci_punchout_bench}"
PORT="${BENCH_HTTP_PORT:-8269}"
FRESH=0
RUN_OCI=1
RUN_CXML=1
RUN_MAIL=0
RUN_INVOICE=0
RUN_DELIVERY=0
RUN_CATALOG=0
RUN_S4=0
NAMED=0
JSON=""
BENCH_ARGS=()
OCI_ARGS=()
CXML_ARGS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --fresh) FRESH=1 ;;
        --oci)
            RUN_CXML=0
            NAMED=1
            ;;
        --cxml)
            RUN_OCI=0
            NAMED=1
            ;;
        --mail) RUN_MAIL=1 ;;
        --invoice) RUN_INVOICE=1 ;;
        --delivery) RUN_DELIVERY=1 ;;
        --catalog) RUN_CATALOG=1 ;;
        --s4) RUN_S4=1 ;;
        --in-process) CXML_ARGS+=("$1") ;;
        --rounds | --warmup)
            [ $# -ge 2 ] || die "$1 needs a value"
            BENCH_ARGS+=("$1" "$2")
            shift
            ;;
        --cycles)
            [ $# -ge 2 ] || die "$1 needs a value"
            OCI_ARGS+=("$1" "$2")
            shift
            ;;
        --json)
            [ $# -ge 2 ] || die "$1 needs a value"
            JSON="$2"
            shift
            ;;
        -h | --help)
            sed -n '2,45p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown argument: $1 (see --help)" ;;
    esac
    shift
done
[ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ] || die "--oci and --cxml exclude each other."
if { [ "$RUN_MAIL" = 1 ] || [ "$RUN_INVOICE" = 1 ] || [ "$RUN_DELIVERY" = 1 ] \
    || [ "$RUN_CATALOG" = 1 ] || [ "$RUN_S4" = 1 ]; } && [ "$NAMED" = 0 ]; then
    RUN_OCI=0
    RUN_CXML=0
fi
# FILE's name with .$1 before its extension (the JSON of a benchmark run beside another one).
json_beside() {
    case "$JSON" in
        *.json) echo "${JSON%.json}.$1.json" ;;
        *) echo "$JSON.$1" ;;
    esac
}
MAIL_ARGS=()
if [ -n "$JSON" ] && [ "$RUN_MAIL" = 1 ]; then
    if [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ]; then
        MAIL_ARGS+=(--json "$(json_beside mail)")
    else
        MAIL_ARGS+=(--json "$JSON")
    fi
fi
INVOICE_ARGS=()
if [ -n "$JSON" ] && [ "$RUN_INVOICE" = 1 ]; then
    if [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ] || [ "$RUN_MAIL" = 1 ]; then
        INVOICE_ARGS+=(--json "$(json_beside invoice)")
    else
        INVOICE_ARGS+=(--json "$JSON")
    fi
fi
DELIVERY_ARGS=()
if [ -n "$JSON" ] && [ "$RUN_DELIVERY" = 1 ]; then
    if [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ] || [ "$RUN_MAIL" = 1 ] \
        || [ "$RUN_INVOICE" = 1 ]; then
        DELIVERY_ARGS+=(--json "$(json_beside delivery)")
    else
        DELIVERY_ARGS+=(--json "$JSON")
    fi
fi
CATALOG_ARGS=()
if [ -n "$JSON" ] && [ "$RUN_CATALOG" = 1 ]; then
    if [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ] || [ "$RUN_MAIL" = 1 ] \
        || [ "$RUN_INVOICE" = 1 ] || [ "$RUN_DELIVERY" = 1 ]; then
        CATALOG_ARGS+=(--json "$(json_beside catalog)")
    else
        CATALOG_ARGS+=(--json "$JSON")
    fi
fi
S4_ARGS=()
if [ -n "$JSON" ] && [ "$RUN_S4" = 1 ]; then
    if [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ] || [ "$RUN_MAIL" = 1 ] \
        || [ "$RUN_INVOICE" = 1 ] || [ "$RUN_DELIVERY" = 1 ] || [ "$RUN_CATALOG" = 1 ]; then
        S4_ARGS+=(--json "$(json_beside s4)")
    else
        S4_ARGS+=(--json "$JSON")
    fi
fi
if [ -n "$JSON" ] && { [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ]; }; then
    if [ "$RUN_OCI" = 1 ]; then
        OCI_ARGS+=(--json "$JSON")
        if [ "$RUN_CXML" = 1 ]; then
            CXML_ARGS+=(--json "$(json_beside cxml)")
        fi
    else
        CXML_ARGS+=(--json "$JSON")
    fi
fi

find_odoo || exit 2
ensure_postgres

# sale_edi_ubl: Odoo's own UBL order import, the reference of the cXML benchmark (installed in
# the benchmark database only; the addon does not depend on it).
MODULES="oci_punchout,sale_edi_ubl"
# The invoice benchmark has a database of its own, with l10n_nl (the Dutch chart of its supplier
# company): in Odoo 18 a product created without a company gets the default sales tax of every
# company, so a second company with a chart would give the other benchmarks' products two VAT
# rates (the cXML benchmark's UBL orders carry one).
INVOICE_DB="${DB}_invoice"
INVOICE_MODULES="oci_punchout,l10n_nl"
# The delivery benchmark: the stock bridge module (stock and delivery) in a database of its own.
DELIVERY_DB="${DB}_delivery"
DELIVERY_MODULES="oci_punchout_stock"
# The catalogue benchmark: 10,000 products of its own, kept out of the other benchmarks' shops.
CATALOG_DB="${DB}_catalog"
CATALOG_MODULES="oci_punchout"

# modules_installed DB MODULES: all of MODULES (comma-separated) are installed in DB.
modules_installed() {
    local count
    count="$(psql -d "$1" -tAc "select count(*) from ir_module_module where state='installed' \
        and name = any(string_to_array('$2', ','))" 2>/dev/null || true)"
    [ "$count" = "$(awk -F, '{print NF}' <<<"$2")" ]
}
module_installed() {
    psql -d "$1" -tAc \
        "select 1 from ir_module_module where name='oci_punchout' and state='installed'" \
        2>/dev/null | grep -q 1
}

# Fingerprint of the addon's files: a database built from other code (another engineer's
# change since the last run) may lack columns or data, so it is built again.
addon_hash() {
    (cd "$ROOT" && find oci_punchout oci_punchout_stock -type f ! -path '*/__pycache__/*' \
        ! -name '*.pyc' -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64)
}
HASH_KEY="oci_punchout.benchmark_addon_hash"
ADDON_HASH="$(addon_hash)"
built_hash() {
    psql -d "$1" -tAc "select value from ir_config_parameter where key='$HASH_KEY'" 2>/dev/null || true
}

# build_db DB MODULES: (re)create DB with MODULES and demo data when missing, outdated or --fresh.
build_db() {
    local db="$1" modules="$2"
    if [ "$FRESH" = 1 ] || ! modules_installed "$db" "$modules" \
        || [ "$(built_hash "$db")" != "$ADDON_HASH" ]; then
        if [ "$FRESH" != 1 ] && modules_installed "$db" "$modules"; then
            echo "== The addon changed since $db was built: building it again."
        elif [ "$FRESH" != 1 ] && module_installed "$db"; then
            echo "== $db lacks one of $modules: building it again."
        fi
        echo "== Creating database $db with $modules and demo data (about 2 minutes)..."
        dropdb --if-exists "$db"
        "${ODOO_CMD[@]}" -d "$db" --addons-path="$ADDONS_PATH" -i "$modules" \
            --stop-after-init --log-level=warn --max-cron-threads=0
        modules_installed "$db" "$modules" \
            || die "$modules are not all installed in $db after the install run."
        psql -q -d "$db" -c \
            "INSERT INTO ir_config_parameter (key, value) VALUES ('$HASH_KEY', '$ADDON_HASH')"
    fi
}
if [ "$RUN_OCI" = 1 ] || [ "$RUN_CXML" = 1 ] || [ "$RUN_MAIL" = 1 ] || [ "$RUN_S4" = 1 ]; then
    build_db "$DB" "$MODULES"
fi
if [ "$RUN_INVOICE" = 1 ]; then
    build_db "$INVOICE_DB" "$INVOICE_MODULES"
fi
if [ "$RUN_DELIVERY" = 1 ]; then
    build_db "$DELIVERY_DB" "$DELIVERY_MODULES"
fi
if [ "$RUN_CATALOG" = 1 ]; then
    build_db "$CATALOG_DB" "$CATALOG_MODULES"
fi

# Orders by e-mail and e-invoices: in-process only (their own cursors on the database), before
# any server runs.
status=0
if [ "$RUN_MAIL" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_mail.py" --db "$DB" --addons-path "$ADDONS_PATH" \
        "${BENCH_ARGS[@]}" "${MAIL_ARGS[@]}" || status=$?
fi
if [ "$RUN_INVOICE" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_invoice.py" --db "$INVOICE_DB" \
        --addons-path "$ADDONS_PATH" "${BENCH_ARGS[@]}" "${INVOICE_ARGS[@]}" || status=$?
fi
if [ "$RUN_DELIVERY" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_delivery.py" --db "$DELIVERY_DB" \
        --addons-path "$ADDONS_PATH" "${BENCH_ARGS[@]}" "${DELIVERY_ARGS[@]}" || status=$?
fi
if [ "$RUN_CATALOG" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_catalog.py" --db "$CATALOG_DB" \
        --addons-path "$ADDONS_PATH" "${BENCH_ARGS[@]}" "${CATALOG_ARGS[@]}" || status=$?
fi
if [ "$RUN_S4" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_s4.py" --db "$DB" --addons-path "$ADDONS_PATH" \
        "${BENCH_ARGS[@]}" "${S4_ARGS[@]}" || status=$?
fi
if [ "$RUN_OCI" = 0 ] && [ "$RUN_CXML" = 0 ]; then
    exit "$status"
fi

# First free port from $PORT on (bounded), on the loopback interface only.
port_free() {
    "$PYTHON" - "$1" <<'PY'
import socket
import sys

s = socket.socket()
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}
for _ in $(seq 1 30); do
    port_free "$PORT" && break
    PORT=$((PORT + 1))
done
port_free "$PORT" || die "no free port found from ${BENCH_HTTP_PORT:-8269} on."

WORK_DIR="$(mktemp -d -t oci_punchout_bench.XXXXXX)"
LOG="$WORK_DIR/odoo.log"
SERVER_PID=""
cleanup() {
    stop_server "$SERVER_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Known password for the demo portal user (Odoo's own login is the baseline) and enough
# published products for a 100-line cart: set up before the server starts, never measured.
if [ "$RUN_OCI" = 1 ]; then
    BENCH_PORTAL_PASSWORD="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(18))')"
    export BENCH_PORTAL_PASSWORD
    echo "== Setting up $DB (portal user password, benchmark products)..."
    "$PYTHON" "$ROOT/scripts/benchmark_oci.py" --setup --db "$DB" --addons-path "$ADDONS_PATH"
fi
# cXML: a known password for the internal sales user who uploads Odoo's UBL orders, products.
if [ "$RUN_CXML" = 1 ]; then
    BENCH_SALES_PASSWORD="$("$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(18))')"
    export BENCH_SALES_PASSWORD
    echo "== Setting up $DB for cXML (sales user password, benchmark products)..."
    "$PYTHON" "$ROOT/scripts/benchmark_cxml.py" --setup --db "$DB" --addons-path "$ADDONS_PATH"
fi

echo "== Starting Odoo on http://127.0.0.1:$PORT (log: $LOG)"
"${ODOO_CMD[@]}" -d "$DB" --db-filter="^$DB\$" --addons-path="$ADDONS_PATH" \
    --http-interface=127.0.0.1 --http-port="$PORT" --workers=0 --max-cron-threads=0 \
    --log-level=info --logfile="$LOG" &
SERVER_PID=$!

ready=0
for _ in $(seq 1 120); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    if curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/web/login"; then
        ready=1
        break
    fi
    sleep 1
done
if [ "$ready" != 1 ]; then
    tail -n 40 "$LOG" >&2 || true
    die "Odoo did not answer on port $PORT."
fi

if [ "$RUN_OCI" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_oci.py" --url "http://127.0.0.1:$PORT" --db "$DB" \
        --log "$LOG" "${BENCH_ARGS[@]}" "${OCI_ARGS[@]}" || status=$?
fi
if [ "$RUN_CXML" = 1 ]; then
    "$PYTHON" "$ROOT/scripts/benchmark_cxml.py" --url "http://127.0.0.1:$PORT" --db "$DB" \
        --log "$LOG" --addons-path "$ADDONS_PATH" "${BENCH_ARGS[@]}" "${CXML_ARGS[@]}" \
        || status=$?
fi
exit "$status"
