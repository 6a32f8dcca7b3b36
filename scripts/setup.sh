#!/usr/bin/env bash
# Makes Odoo 18 and the test tools available to `make demo`, `make test`, `make benchmark` and CI.
#
#   scripts/setup.sh [--plan]
#
# Picks, in this order:
#   1. PYTHON when set: an interpreter that imports Odoo 18 (nothing is installed into it);
#   2. the project's virtual environment .venv/ when it was completed for the same Odoo source,
#      Python and requirements (its stamp, .venv/.oci_punchout-stamp, matches);
#   3. otherwise builds .venv/ anew from ODOO_SOURCE (an Odoo 18 source folder, or a .tar.gz /
#      .tar.xz / .tar.bz2 / .tar of one), or, when that is unset, from ../shared/odoo/odoo-18.0.tar.xz.
# An archive is unpacked under .venv/, a folder is used where it is. The stamp is written last,
# so an interrupted or failed build is never taken for a good environment: the next run builds
# again. Debian packages the tests need (chromium, wkhtmltopdf) and, for a build, the headers
# Odoo's requirements compile against are installed with apt-get when missing and we are root.
#
# --plan: print the decision (python, source, action) and check the source, install nothing.
# Prints the interpreter to use as its last line of standard output ("PYTHON=..."); progress and
# errors go to standard error. Environment: PYTHON, ODOO_SOURCE, PUNCHOUT_VENV (default .venv),
# BASE_PYTHON (the interpreter the environment is made from, default python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${PUNCHOUT_VENV:-$ROOT/.venv}"
STAMP="$VENV/.oci_punchout-stamp"
DEV_REQUIREMENTS="$ROOT/requirements-dev.txt"
DEFAULT_SOURCE="$ROOT/../shared/odoo/odoo-18.0.tar.xz"
BASE_PYTHON="${BASE_PYTHON:-python3}"
# Bump when the way the environment is built changes, so that existing ones are built again.
RECIPE=1
PLAN=0
[ "${1:-}" = "--plan" ] && PLAN=1

say() { echo "setup: $*" >&2; }
die() {
    echo "setup: ERROR: $*" >&2
    exit 2
}

# --- Debian packages --------------------------------------------------------------------------
missing_debs() {
    local pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || echo "$pkg"
    done
}

ensure_debs() {
    local why="$1"
    shift
    local missing
    missing="$(missing_debs "$@" | paste -sd' ')"
    [ -z "$missing" ] && return 0
    if [ "$PLAN" = 1 ]; then
        say "would install Debian packages: $missing ($why)"
        return 0
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "missing Debian packages: $missing ($why); this is no Debian system: install them by hand."
    if [ "$(id -u)" != 0 ]; then
        die "missing Debian packages: $missing ($why); as root: apt-get install $missing"
    fi
    say "installing Debian packages $missing ($why)"
    local log
    log="$(mktemp -t oci_punchout_apt.XXXXXX.log)"
    # shellcheck disable=SC2086
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing; } \
        >"$log" 2>&1; then
        tail -n 20 "$log" >&2
        die "apt-get could not install $missing (log: $log)."
    fi
    rm -f "$log"
}

# --- Odoo source --------------------------------------------------------------------------------
# Odoo's major.minor version of a source tree's odoo/release.py (read without importing Odoo).
release_series() {
    "$BASE_PYTHON" - "$1" <<'PY' 2>/dev/null
import runpy, sys
info = runpy.run_path(sys.argv[1]).get("version_info") or ()
print("%s.%s" % tuple(info[:2]))
PY
}

# The folder holding odoo/release.py: the given one or its single top-level folder.
odoo_root_in() {
    local dir="$1" sub
    if [ -f "$dir/odoo/release.py" ]; then
        echo "$dir"
        return 0
    fi
    for sub in "$dir"/*/; do
        if [ -f "$sub/odoo/release.py" ]; then
            echo "${sub%/}"
            return 0
        fi
    done
    return 1
}

check_series() {
    local series="$1" what="$2"
    [ -n "$series" ] || die "$what: odoo/release.py gives no version; not an Odoo source tree."
    [ "$series" = "18.0" ] || die "$what is Odoo $series; oci_punchout needs Odoo 18.0."
}

# What identifies a source in the stamp, cheaply (no unpacking): sets SOURCE_KIND and SOURCE_ID.
identify_source() {
    local src="$1" root head
    [ -e "$src" ] || die "ODOO_SOURCE=$src does not exist."
    if [ -d "$src" ]; then
        SOURCE_KIND=dir
        root="$(odoo_root_in "$src")" || die "ODOO_SOURCE=$src holds no Odoo source tree (no odoo/release.py)."
        head="$(git -C "$root" rev-parse HEAD 2>/dev/null || true)"
        SOURCE_ID="dir $(cd "$root" && pwd) $head $(cat "$root/odoo/release.py" "$root/requirements.txt" 2>/dev/null | sha256sum | cut -c1-16)"
    else
        SOURCE_KIND=archive
        SOURCE_ID="archive $(sha256sum "$src" | cut -d' ' -f1)"
    fi
}

# Checks SOURCE (folder or archive) is Odoo 18 with its requirements, without unpacking it.
inspect_source() {
    local src="$1" what="ODOO_SOURCE=$1"
    if [ -d "$src" ]; then
        local root
        root="$(odoo_root_in "$src")" || die "$what holds no Odoo source tree (no odoo/release.py)."
        check_series "$(release_series "$root/odoo/release.py")" "$what"
        [ -f "$root/requirements.txt" ] || die "$what has no requirements.txt."
        return 0
    fi
    case "$src" in
        *.tar.gz | *.tgz | *.tar.xz | *.txz | *.tar.bz2 | *.tar) ;;
        *) die "$what is neither a folder nor a .tar.gz/.tar.xz/.tar.bz2/.tar archive." ;;
    esac
    local listing release
    listing="$(mktemp)"
    if ! tar -tf "$src" >"$listing" 2>/dev/null; then
        rm -f "$listing"
        die "$what cannot be read: a corrupt or truncated archive."
    fi
    release="$(grep -E '^(\./)?([^/]+/)?odoo/release\.py$' "$listing" | head -n 1 || true)"
    if [ -z "$release" ]; then
        rm -f "$listing"
        die "$what holds no Odoo source tree (no odoo/release.py)."
    fi
    grep -qE "^${release%odoo/release.py}requirements\.txt$" "$listing" \
        || { rm -f "$listing"; die "$what has no requirements.txt beside odoo/."; }
    rm -f "$listing"
    local tmp
    tmp="$(mktemp -d)"
    tar -xf "$src" -C "$tmp" "$release" "${release%odoo/release.py}requirements.txt" 2>/dev/null \
        || { rm -rf "$tmp"; die "$what cannot be unpacked."; }
    check_series "$(release_series "$tmp/$release")" "$what"
    rm -rf "$tmp"
}

# --- the stamp ------------------------------------------------------------------------------------
expected_stamp() {
    local python_version
    python_version="$("$BASE_PYTHON" -c 'import sys; print(sys.version.split()[0])')" \
        || die "$BASE_PYTHON does not run; set BASE_PYTHON to a Python 3.10-3.12."
    {
        echo "python $python_version"
        echo "source $SOURCE_ID"
        echo "dev-requirements $(sha256sum "$DEV_REQUIREMENTS" | cut -d' ' -f1)"
        echo "recipe $RECIPE"
    } | sha256sum | cut -d' ' -f1
}

venv_is_ready() {
    [ -f "$STAMP" ] && [ -x "$VENV/bin/python" ]
}

# --- building .venv -------------------------------------------------------------------------------
pip_quiet() {
    # pip's own output goes to the log; a failure shows its end.
    if ! "$VENV/bin/python" -m pip --disable-pip-version-check "$@" >>"$VENV/setup.log" 2>&1; then
        tail -n 25 "$VENV/setup.log" >&2
        die "pip install failed (full log: $VENV/setup.log); the next run starts again."
    fi
}

build_venv() {
    local src="$1" stamp="$2"
    local python_ok
    python_ok="$("$BASE_PYTHON" -c 'import sys; print(int((3, 10) <= sys.version_info[:2] <= (3, 12)))' 2>/dev/null || echo 0)"
    [ "$python_ok" = 1 ] || die "$BASE_PYTHON is not Python 3.10-3.12, which Odoo 18 needs; set BASE_PYTHON."
    ensure_debs "to build Odoo's requirements" gcc libldap2-dev libsasl2-dev libpq-dev

    say "building $VENV with Odoo 18.0 from $src (once; about five minutes, mostly compiling Odoo's pinned requirements)"
    rm -rf "$VENV"
    "$BASE_PYTHON" -m venv "$VENV" || die "$BASE_PYTHON -m venv failed (Debian: apt-get install python3-venv)."
    : >"$VENV/setup.log"

    local odoo_root
    if [ "$SOURCE_KIND" = archive ]; then
        say "unpacking $(basename "$src")"
        mkdir -p "$VENV/src"
        tar -xf "$src" -C "$VENV/src" >>"$VENV/setup.log" 2>&1 || die "cannot unpack $src."
        odoo_root="$(odoo_root_in "$VENV/src")" || die "$src unpacked, but holds no odoo/release.py."
    else
        odoo_root="$(cd "$(odoo_root_in "$src")" && pwd)"
    fi

    # Some of Odoo's pinned requirements only build with setuptools < 70.
    local constraint="$VENV/build-constraints.txt"
    echo "setuptools<70" >"$constraint"
    local site
    site="$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    say "installing Odoo's requirements.txt into $VENV (log: $VENV/setup.log)"
    if "$VENV/bin/python" -m pip install --help 2>/dev/null | grep -q -- '--build-constraint'; then
        pip_quiet install --build-constraint "$constraint" -r "$odoo_root/requirements.txt"
    else
        PIP_CONSTRAINT="$constraint" pip_quiet install -r "$odoo_root/requirements.txt"
    fi
    say "installing the test and lint tools ($(basename "$DEV_REQUIREMENTS"))"
    pip_quiet install -r "$DEV_REQUIREMENTS"
    # Odoo itself from its source tree, without copying it: a .pth file puts it on the path.
    echo "$odoo_root" >"$site/odoo-source.pth"
    local series
    series="$("$VENV/bin/python" -c 'import odoo.release; print(odoo.release.serie)' 2>>"$VENV/setup.log")" \
        || die "the new environment cannot import odoo (log: $VENV/setup.log)."
    [ "$series" = "18.0" ] || die "the new environment imports Odoo $series, not 18.0."
    echo "$stamp" >"$STAMP"
    say "ready: $VENV (Odoo 18.0 from $odoo_root)"
}

# --- main -----------------------------------------------------------------------------------------
ensure_debs "browser tours and PDF reports" chromium wkhtmltopdf

if [ -n "${PYTHON:-}" ]; then
    series="$("$PYTHON" -c 'import odoo.release; print(odoo.release.serie)' 2>/dev/null)" \
        || die "PYTHON=$PYTHON cannot import the 'odoo' package; unset PYTHON to use the project's .venv."
    [ "$series" = "18.0" ] || die "PYTHON=$PYTHON has Odoo $series; oci_punchout needs Odoo 18.0."
    [ "$PLAN" = 1 ] && say "python: $PYTHON (from PYTHON); action: use"
    echo "PYTHON=$PYTHON"
    exit 0
fi

[ -f "$DEV_REQUIREMENTS" ] || die "$DEV_REQUIREMENTS is missing."
SOURCE="${ODOO_SOURCE:-}"
SOURCE_KIND=""
SOURCE_ID=""
if [ -z "$SOURCE" ] && [ -e "$DEFAULT_SOURCE" ]; then
    SOURCE="$(cd "$(dirname "$DEFAULT_SOURCE")" && pwd)/$(basename "$DEFAULT_SOURCE")"
fi
if [ -z "$SOURCE" ]; then
    if venv_is_ready; then
        [ "$PLAN" = 1 ] && say "python: $VENV/bin/python; source: none given, keeping the environment; action: use"
        echo "PYTHON=$VENV/bin/python"
        exit 0
    fi
    die "Odoo 18 is missing: set PYTHON to an interpreter that imports it, or ODOO_SOURCE to an Odoo 18 source folder or archive."
fi
identify_source "$SOURCE"
stamp="$(expected_stamp)"

mkdir -p "$(dirname "$VENV")"
if venv_is_ready && [ "$(cat "$STAMP")" = "$stamp" ]; then
    [ "$PLAN" = 1 ] && say "python: $VENV/bin/python; source: $SOURCE; action: use"
    echo "PYTHON=$VENV/bin/python"
    exit 0
fi
# Checked only when building: a good environment for the same source starts in seconds.
inspect_source "$SOURCE"
action=build
[ -e "$VENV" ] && action=rebuild
if [ "$PLAN" = 1 ]; then
    say "python: $VENV/bin/python; source: $SOURCE; action: $action"
    echo "PYTHON=$VENV/bin/python"
    exit 0
fi
# One build at a time: a second `make` waits for the first instead of racing it.
exec 9>"$VENV.lock"
if command -v flock >/dev/null 2>&1; then
    flock 9
fi
if venv_is_ready && [ "$(cat "$STAMP")" = "$stamp" ]; then
    echo "PYTHON=$VENV/bin/python"
    exit 0
fi
build_venv "$SOURCE" "$stamp"
echo "PYTHON=$VENV/bin/python"
