#!/usr/bin/env bash
# Refresh oci_punchout/i18n/oci_punchout.pot from the code, and merge it into nl.po and de.po
# (new terms are added untranslated, terms no longer used are dropped).
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo || exit 2
ensure_postgres

DB="${I18N_DB:-oci_punchout_i18n}"
I18N="$ROOT/oci_punchout/i18n"
dropdb --if-exists "$DB"
"${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" -i oci_punchout --without-demo=all \
    --stop-after-init --log-level=warn
"${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" --modules=oci_punchout \
    --i18n-export="$I18N/oci_punchout.pot" --stop-after-init --log-level=warn
dropdb --if-exists "$DB"
"$PYTHON" - "$I18N" <<'PY'
import sys
from pathlib import Path

import polib

folder = Path(sys.argv[1])
template = polib.pofile(str(folder / "oci_punchout.pot"))
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
