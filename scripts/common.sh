# Shared by the quick-start scripts: find Odoo 18 and make sure PostgreSQL is running.
# shellcheck shell=bash

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PYTHON="${PYTHON:-python3}"

die() {
    echo "ERROR: $*" >&2
    exit 2
}

find_odoo() {
    local version
    if ! version="$("$PYTHON" -c 'import odoo.release; print(odoo.release.serie)' 2>/dev/null)"; then
        cat >&2 <<MSG
ERROR: Odoo is missing: '$PYTHON' cannot import the 'odoo' package.
Install Odoo 18.0 outside this repository so that '$PYTHON -c "import odoo"' works
(e.g. its source tree on the Python path, with its requirements.txt installed),
or set PYTHON to an interpreter that has it. See README.md, "Requirements".
MSG
        return 1
    fi
    if [ "$version" != "18.0" ]; then
        echo "ERROR: Odoo $version found, but oci_punchout needs Odoo 18.0." >&2
        return 1
    fi
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
