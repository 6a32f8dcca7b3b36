#!/usr/bin/env bash
# Quick start: a demo database with the addon and its demo data, Odoo on http://127.0.0.1:8069.
set -euo pipefail
# shellcheck source=scripts/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

find_odoo || exit 2
ensure_postgres

DB="${DEMO_DB:-oci_punchout_demo}"
PORT="${DEMO_HTTP_PORT:-8069}"
BASE_URL="http://127.0.0.1:$PORT"

# The addon and its bridge to stock and delivery (ship notices), with their demo data.
if ! psql -d "$DB" -tAc "select 1 from ir_module_module where name='oci_punchout' and state='installed'" 2>/dev/null | grep -q 1; then
    echo "Creating database $DB with oci_punchout and demo data (a few minutes)..."
    dropdb --if-exists "$DB"
    "${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" -i oci_punchout,oci_punchout_stock \
        --stop-after-init --log-level=warn
    # Links the demo builds (catalogue URL, simulator) point at this server.
    psql -q -d "$DB" -c "UPDATE ir_config_parameter SET value='$BASE_URL' WHERE key='web.base.url'"
    psql -q -d "$DB" -c "INSERT INTO ir_config_parameter (key, value) VALUES ('web.base.url.freeze', 'True') ON CONFLICT (key) DO NOTHING"
else
    echo "Updating oci_punchout in the existing database $DB..."
    "${ODOO_CMD[@]}" -d "$DB" --addons-path="$ADDONS_PATH" -u oci_punchout -i oci_punchout_stock \
        --stop-after-init --log-level=warn
fi
# Connections whose invoices and ship notices go to the buyer simulator post them to this server.
psql -q -d "$DB" -c "UPDATE punchout_connection SET cxml_invoice_url = regexp_replace(cxml_invoice_url, '^https?://[^/]+', '$BASE_URL') WHERE cxml_invoice_url LIKE '%/punchout/simulator/%'"
psql -q -d "$DB" -c "UPDATE punchout_connection SET cxml_ship_notice_url = regexp_replace(cxml_ship_notice_url, '^https?://[^/]+', '$BASE_URL') WHERE cxml_ship_notice_url LIKE '%/punchout/simulator/%'"
CONNECTION_ID="$(psql -d "$DB" -tAc "select res_id from ir_model_data where module='oci_punchout' and name='demo_connection_oci'")"
CXML_CONNECTION_ID="$(psql -d "$DB" -tAc "select res_id from ir_model_data where module='oci_punchout' and name='demo_connection_cxml'")"

cat <<MSG

  Odoo:             $BASE_URL/odoo        (login: admin / password: admin)
  Buyer simulator:  $BASE_URL/punchout/simulator/$CONNECTION_ID
                    (log in as admin; punch in with USERNAME demo-buyer, PASSWORD demo-secret;
                    after the cart, approve it there: SAP's purchase order is e-mailed to
                    orders-demo-buyer@demo-supplier.example through Odoo's mail gateway)
  OCI catalogue:    $BASE_URL/punchout/oci/demo-oci
  cXML simulator:   $BASE_URL/punchout/simulator/$CXML_CONNECTION_ID
                    (SharedSecret demo-secret; cXML endpoint $BASE_URL/punchout/cxml)

  Stop with Ctrl+C.
MSG
exec "${ODOO_CMD[@]}" -d "$DB" --db-filter="^$DB\$" --addons-path="$ADDONS_PATH" \
    --http-interface=127.0.0.1 --http-port="$PORT" --log-level=info
