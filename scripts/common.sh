# Shared by the quick-start scripts: find Odoo 18 and make sure PostgreSQL is running.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

die() {
    echo "ERROR: $*" >&2
    exit 2
}

# Sets PYTHON to an interpreter with Odoo 18: PYTHON as given, else the project's .venv, built by
# scripts/setup.sh from ODOO_SOURCE or the shared Odoo source when needed (see that script).
find_odoo() {
    local line
    line="$("$ROOT/scripts/setup.sh" | tail -n 1)" || return 1
    case "$line" in
        PYTHON=*) PYTHON="${line#PYTHON=}" ;;
        *)
            echo "ERROR: scripts/setup.sh gave no interpreter." >&2
            return 1
            ;;
    esac
    export PYTHON
    # The project's environment carries the test and lint tools too.
    PATH="$(dirname "$PYTHON"):$PATH"
    export PATH
    ODOO_ROOT="$("$PYTHON" -c 'import odoo, os; print(os.path.dirname(os.path.dirname(os.path.abspath(odoo.__file__))))')"
    if [ -f "$ODOO_ROOT/odoo-bin" ]; then
        ODOO_CMD=("$PYTHON" "$ODOO_ROOT/odoo-bin")
    elif command -v odoo >/dev/null 2>&1; then
        ODOO_CMD=(odoo)
    else
        ODOO_CMD=("$PYTHON" -m odoo)
    fi
    ADDONS_PATH="$ROOT"
    if [ -d "$ODOO_ROOT/addons" ]; then
        ADDONS_PATH="$ODOO_ROOT/addons,$ROOT"
    fi
    export ODOO_ROOT ADDONS_PATH
}

ensure_postgres() {
    if pg_isready -q 2>/dev/null; then
        :
    elif command -v pg_ctlcluster >/dev/null 2>&1; then
        local cluster
        cluster="$(pg_lsclusters -h 2>/dev/null | awk 'NR==1 {print $1" "$2}')"
        [ -n "$cluster" ] || die "no PostgreSQL cluster found (pg_lsclusters lists none)."
        # shellcheck disable=SC2086
        pg_ctlcluster $cluster start || die "could not start PostgreSQL ($cluster)."
        for _ in $(seq 1 30); do pg_isready -q && break; sleep 1; done
    else
        die "PostgreSQL is not running and pg_ctlcluster is not available to start it."
    fi
    pg_isready -q || die "PostgreSQL does not answer."
    # Odoo refuses to connect as 'postgres': use a role named after the current user.
    local role
    role="$(id -un)"
    if ! psql -d postgres -tAc 'select 1' >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ] && command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- psql -q -c "CREATE ROLE \"$role\" LOGIN CREATEDB" \
                || die "could not create the PostgreSQL role '$role'."
        else
            die "cannot connect to PostgreSQL as '$role'; create that role (LOGIN CREATEDB)."
        fi
    fi
}

# stop_server PID: stop an Odoo server this script started (TERM, then KILL after 15 s).
stop_server() {
    local pid="$1"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        for _ in $(seq 1 30); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -9 "$pid" 2>/dev/null || true
    fi
}
