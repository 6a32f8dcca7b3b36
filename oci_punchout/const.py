"""Constants shared by the addon's models and controllers: limits, the throttle, and the
names of its system parameters (Settings > Technical > System Parameters)."""

import secrets

from passlib.context import CryptContext

# --- Limits
MAX_CXML_BYTES = 5 * 1024 * 1024  # a cXML request, an order attachment read as cXML
MAX_SEND_ATTEMPTS = 8  # deliveries of one outbound document before it is given up
REDACTED = "********"  # what the log shows instead of a secret

# --- Throttle: failed logins from one address within the window before HTTP 429
THROTTLE_MAX_FAILURES = 10
THROTTLE_WINDOW_MINUTES = 15
# Failed requests naming one cXML connection (any client address) before it answers 429.
CONNECTION_THROTTLE_MAX_FAILURES = 50

# --- Shared secrets of cXML connections, stored hashed. As Odoo's API keys: a generated
# secret is random, so a few thousand rounds are plenty and a correct secret costs
# milliseconds. Older hashes (Odoo's password rounds) are re-hashed at their next check.
SECRET_ROUNDS = 6000
SECRET_CRYPT_CONTEXT = CryptContext(
    ["pbkdf2_sha512"],
    pbkdf2_sha512__rounds=SECRET_ROUNDS,
    pbkdf2_sha512__min_rounds=SECRET_ROUNDS,
    pbkdf2_sha512__max_rounds=SECRET_ROUNDS,
)
# Checked when no connection matches, so that an unknown sender's answer takes as long.
DUMMY_SECRET_HASH = SECRET_CRYPT_CONTEXT.hash(secrets.token_urlsafe(32))
# Shorter secrets were probably chosen by a person: the connection says so.
STRONG_SECRET_LENGTH = 24

# --- System parameters
PROXY_HEADERS_PARAM = "oci_punchout.proxy_headers_seen"  # set when proxy headers were seen
AUTHSERV_ID_PARAM = "oci_punchout.mail_authserv_id"  # our mail server's authserv-id
MAX_ATTACHMENT_PARAM = "oci_punchout.order_mail_max_bytes"
DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
KEEP_DAYS_PARAM = "oci_punchout.message_keep_days"
DEFAULT_KEEP_DAYS = 90
DTD_PATH_PARAM = "oci_punchout.cxml_dtd_path"  # the simulator's cXML DTD
RULES_DIR_PARAM = "oci_punchout.einvoice_rules_dir"
XSD_DIR_PARAM = "oci_punchout.ubl_xsd_dir"
