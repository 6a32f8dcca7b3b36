"""OCI constants: supported functions, number limits and the ``NEW_ITEM-*`` field table."""

SUPPORTED_FUNCTIONS = {
    "DETAIL",
    "DETAILADD",
    "VALIDATE",
    "SOURCING",
    "BACKGROUND_SEARCH",
    "QUANTITYCHECK",
    "DOWNLOADJSON",
}
PRODUCT_FUNCTIONS = {"DETAIL", "VALIDATE", "DETAILADD"}
# OCI 5.0 calls of the buyer's server, not its browser: no return URL, a JSON answer.
SERVER_FUNCTIONS = {"QUANTITYCHECK", "DOWNLOADJSON"}
ECHO_PARAMS = ("~OkCode", "~TARGET", "~CALLER")
MAX_INTEGER_DIGITS = 11
MAX_DECIMALS = 3
PRICE_UNITS = (1, 10, 100, 1000, 10000)
# SAP keeps prices in currency amount fields (2 decimals for most currencies): a price with more
# decimals is sent per 10, 100... (PRICEUNIT) rather than rounded by the buyer's system.
PRICE_DECIMALS = 2
LONGTEXT_FIELD = "LONGTEXT"

# OCI field -> (max length in characters, kind); kind is 'text', 'number', 'integer' or 'flag'.
# The order is the order of ``build_cart_fields``. LONGTEXT has no limit and is not listed.
FIELD_SPECS = {
    "DESCRIPTION": (40, "text"),
    "MATNR": (40, "text"),
    "QUANTITY": (15, "number"),
    "UNIT": (3, "text"),
    "PRICE": (15, "number"),
    "PRICEUNIT": (5, "integer"),
    "CURRENCY": (5, "text"),
    "LEADTIME": (5, "integer"),
    "VENDOR": (10, "text"),
    "VENDORMAT": (40, "text"),
    "MANUFACTCODE": (10, "text"),
    "MANUFACTMAT": (40, "text"),
    "MATGROUP": (10, "text"),
    "SERVICE": (1, "flag"),
    "CONTRACT": (10, "text"),
    "CONTRACT_ITEM": (5, "text"),
    "EXT_QUOTE_ID": (35, "text"),
    "EXT_QUOTE_ITEM": (10, "text"),
    "EXT_PRODUCT_ID": (40, "text"),
    "ATTACHMENT": (255, "text"),
    "ATTACHMENT_TITLE": (255, "text"),
    "ATTACHMENT_PURPOSE": (1, "text"),
    "EXT_SCHEMA_TYPE": (10, "text"),
    "EXT_CATEGORY_ID": (60, "text"),
    "EXT_CATEGORY": (40, "text"),
    "SLD_SYS_NAME": (60, "text"),
    "CUST_FIELD1": (10, "text"),
    "CUST_FIELD2": (10, "text"),
    "CUST_FIELD3": (10, "text"),
    "CUST_FIELD4": (20, "text"),
    "CUST_FIELD5": (50, "text"),
    "PARENT_ID": (5, "text"),
    "ITEM_TYPE": (1, "text"),
}

# OCI field -> OciItem attribute
FIELD_ATTRIBUTES = {name: name.lower() for name in FIELD_SPECS} | {"PRICEUNIT": "price_unit"}
