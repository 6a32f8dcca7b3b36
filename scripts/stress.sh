#!/usr/bin/env bash
# make stress: the checks a single-process test run cannot make. Ends with
# "stress: N checks, N failed" and a non-zero exit status when any failed.
#
#   scripts/stress.sh [--examples N] [--jobs N] [--seed N] [--buyers N] [--fuzz | --workers]
#
# 1. Fuzzing: every parser of the protocol package (scripts/stress_fuzz.py), at least 100,000
#    generated inputs each (--examples), each in a child process with a 1 GB address-space
#    limit, each input answered within 2 s.
# 2. Several workers (scripts/stress_workers.py): a fresh database (oci_punchout_stress, or
#    STRESS_DB), Odoo with --workers 4 and a cron worker on 127.0.0.1 (port 8369, or
#    STRESS_HTTP_PORT), 50 buyers (--buyers) punching in at once beside as many portal users,
#    then purchase orders, replays and copies while a second wave shops, orders by e-mail
#    delivered twice at once, a worker killed in the middle of an OrderRequest, the local
#    PostgreSQL cluster restarted during a burst of OrderRequests (other databases of that
#    cluster see the restart too), and the buyers' endpoint for confirmations down, failing,
#    slow and back.
# --fuzz or --workers runs only that stage.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo || exit 2
export PUNCHOUT_SHARED="${PUNCHOUT_SHARED:-$ROOT/../shared}"
FUZZ_ARGS=()
BUYERS=50
RUN_FUZZ=1
RUN_WORKERS=1
while [ $# -gt 0 ]; do
    case "$1" in
        --examples | --jobs | --seed)
            FUZZ_ARGS+=("$1" "$2")
            shift
            ;;
        --buyers)
            BUYERS="$2"
            shift
            ;;
        --fuzz) RUN_WORKERS=0 ;;
        --workers) RUN_FUZZ=0 ;;
        -h | --help)
            sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'
            exit 0
            ;;
        *) die "unknown option $1 (see --help)" ;;
    esac
    shift
done

checks=0
failed=0
# count_stage FILE PREFIX: add the "PREFIX: N checks, N failed" line of FILE to the totals.
count_stage() {
    local summary c f
    if summary="$(grep -E "^$2: [0-9]+ checks, [0-9]+ failed\$" "$1" | tail -1)"; then
        read -r c f <<<"$(echo "$summary" | grep -Eo '[0-9]+' | paste -sd' ')"
        checks=$((checks + c))
        failed=$((failed + f))
    else
        echo "$2: the stage ended without its summary line" >&2
        checks=$((checks + 1))
        failed=$((failed + 1))
    fi
}
WORK_DIR="$(mktemp -d -t oci_punchout_stress.XXXXXX)"
SERVER_PID=""
cleanup() {
    stop_server "$SERVER_PID"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [ "$RUN_FUZZ" = 1 ]; then
    echo "== fuzzing the protocol parsers"
    "$PYTHON" "$ROOT/scripts/stress_fuzz.py" "${FUZZ_ARGS[@]}" | tee "$WORK_DIR/fuzz.out" || true
    count_stage "$WORK_DIR/fuzz.out" fuzz
fi

if [ "$RUN_WORKERS" = 1 ]; then
    ensure_postgres
    DB="${STRESS_DB:-oci_punchout_stress}"
    PORT="${STRESS_HTTP_PORT:-8369}"
    LOG="$WORK_DIR/odoo.log"
    echo "== several workers: a fresh database $DB with the addon and demo data"
    dropdb --if-exists "$DB"
    "${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" -i oci_punchout \
        --stop-after-init --log-level=warn --max-cron-threads=0
    "$PYTHON" "$ROOT/scripts/stress_workers.py" --setup --db "$DB" \
        --addons-path "$ADDONS_PATH" --buyers "$BUYERS" --state "$WORK_DIR/state.json" \
        --buyer-port "$((PORT + 30))"
    echo "== Odoo with 4 workers and a cron worker on http://127.0.0.1:$PORT (log: $LOG)"
    "${ODOO_CMD[@]}" -d "$DB" --db-filter="^$DB\$" --addons-path="$ADDONS_PATH" \
        --http-interface=127.0.0.1 --http-port="$PORT" --gevent-port="$((PORT + 1))" \
        --workers=4 --max-cron-threads=1 --limit-time-real=600 --db_maxconn=64 \
        --log-level=info --logfile="$LOG" &
    SERVER_PID=$!
    for _ in $(seq 1 120); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        curl -s -o /dev/null --max-time 5 "http://127.0.0.1:$PORT/web/login" && break
        sleep 1
    done
    "$PYTHON" "$ROOT/scripts/stress_workers.py" --url "http://127.0.0.1:$PORT" --db "$DB" \
        --state "$WORK_DIR/state.json" --server-pid "$SERVER_PID" \
        --restart-db "$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')" | tee "$WORK_DIR/workers.out" || true
    count_stage "$WORK_DIR/workers.out" workers
    cleanup
    SERVER_PID=""
fi

echo "stress: $checks checks, $failed failed"
[ "$failed" = 0 ]
