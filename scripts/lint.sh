#!/usr/bin/env bash
# Lint: ruff (checks and format), pylint-odoo, and the README's generated parts, with the tools of
# the project's environment (scripts/setup.sh).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo || exit 2
cd "$ROOT"
"$PYTHON" -m ruff check .
"$PYTHON" -m ruff format --check .
"$PYTHON" -m pylint --rcfile=.pylintrc oci_punchout oci_punchout_stock
"$PYTHON" scripts/gen_readme.py --check
"$PYTHON" scripts/gen_readme.py --check --addon-dir oci_punchout_stock
