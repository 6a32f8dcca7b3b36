"""SAP Open Catalog Interface (OCI 4.0/5.0): punch-in parameters, return URLs and the cart form.

Punch-in: the buyer's browser posts a login form (``USERNAME``, ``PASSWORD``, ``HOOK_URL``, ...);
``parse_punch_in`` turns it into an ``OciPunchIn``. Cart return: ``build_cart_fields`` turns
``OciItem`` lines into ``NEW_ITEM-<FIELD>[n]`` pairs and ``render_return_page`` wraps them in an
auto-submitted HTML form posted to the ``HOOK_URL``. ``parse_cart_fields`` and
``validate_cart_fields`` read such a form the way the buyer's system does, for tests and for the
connection's self-check.

The return page and return-URL checks live in ``protocol.browser`` (shared with cXML) and are
re-exported here.
"""

from ..browser import (
    DEFAULT_CHARSET,
    DEFAULT_TARGET,
    check_return_url,
    html_charset_label,
    normalize_charset,
    render_return_page,
)
from .cart import OciItem, build_cart_fields, choose_price_unit, cut_text, format_number
from .fields import (
    ECHO_PARAMS,
    FIELD_ATTRIBUTES,
    FIELD_SPECS,
    LONGTEXT_FIELD,
    MAX_DECIMALS,
    MAX_INTEGER_DIGITS,
    PRICE_DECIMALS,
    PRICE_UNITS,
    PRODUCT_FUNCTIONS,
    SERVER_FUNCTIONS,
    SUPPORTED_FUNCTIONS,
)
from .punch_in import (
    OciPunchIn,
    parse_punch_in,
    quantity_check_answer,
    server_call_error,
)
from .reading import OciViolation, parse_cart_fields, validate_cart_fields

__all__ = [
    "DEFAULT_CHARSET",
    "DEFAULT_TARGET",
    "ECHO_PARAMS",
    "FIELD_ATTRIBUTES",
    "FIELD_SPECS",
    "LONGTEXT_FIELD",
    "MAX_DECIMALS",
    "MAX_INTEGER_DIGITS",
    "PRICE_DECIMALS",
    "PRICE_UNITS",
    "PRODUCT_FUNCTIONS",
    "SERVER_FUNCTIONS",
    "SUPPORTED_FUNCTIONS",
    "OciItem",
    "OciPunchIn",
    "OciViolation",
    "build_cart_fields",
    "check_return_url",
    "choose_price_unit",
    "cut_text",
    "format_number",
    "html_charset_label",
    "normalize_charset",
    "parse_cart_fields",
    "parse_punch_in",
    "quantity_check_answer",
    "render_return_page",
    "server_call_error",
    "validate_cart_fields",
]
