#!/usr/bin/env bash
# Refresh each addon's i18n/<addon>.pot from the code (oci_punchout, oci_punchout_stock), and
# merge it into its nl.po and de.po (new terms are added untranslated, terms no longer used are
# dropped).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo || exit 2
ensure_postgres

DB="${I18N_DB:-oci_punchout_i18n}"
ADDONS=(oci_punchout oci_punchout_stock)
dropdb --if-exists "$DB"
"${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" -i "$(IFS=,; echo "${ADDONS[*]}")" \
    --without-demo=all --stop-after-init --log-level=warn
for addon in "${ADDONS[@]}"; do
    mkdir -p "$ROOT/$addon/i18n"
    "${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" --modules="$addon" \
        --i18n-export="$ROOT/$addon/i18n/$addon.pot" --stop-after-init --log-level=warn
done
dropdb --if-exists "$DB"
for addon in "${ADDONS[@]}"; do
"$PYTHON" - "$ROOT/$addon/i18n" "$addon" <<'PY'
import sys
from pathlib import Path

import polib

folder = Path(sys.argv[1])
template = polib.pofile(str(folder / f"{sys.argv[2]}.pot"))
for lang in ("nl", "de"):
    path = folder / f"{lang}.po"
    catalog = polib.pofile(str(path)) if path.exists() else polib.POFile()
    catalog.merge(template)
    for entry in catalog.obsolete_entries():
        catalog.remove(entry)
    catalog.metadata.update({"Language": lang, "Content-Type": "text/plain; charset=UTF-8"})
    catalog.save(str(path))
    print(f"{path.name}: {catalog.percent_translated()}% translated, "
          f"{len(catalog.untranslated_entries())} to do")
PY
done
