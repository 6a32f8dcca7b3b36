"""OCI punch-in: the login form the buyer's browser posts (``USERNAME``, ``HOOK_URL``, ...)."""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from ..browser import DEFAULT_TARGET, normalize_charset
from ..errors import MalformedDocument, PayloadTooLarge, UnsupportedRequest
from .fields import ECHO_PARAMS, PRODUCT_FUNCTIONS, SERVER_FUNCTIONS, SUPPORTED_FUNCTIONS

_QUANTITY_IN_RE = re.compile(r"^\+?\d{1,15}([.,]\d+)?$")


@dataclass
class OciPunchIn:
    """A parsed OCI punch-in (login) request."""

    params: dict
    username: str | None
    password: str | None
    hook_url: str | None
    function: str | None
    product_id: str | None
    quantity: Decimal | None
    search_string: str | None
    vendor: str | None
    return_target: str
    charset: str
    charset_fallback: bool
    echo_params: dict
    end_user: str | None
    oci_version: str | None
    opi_version: str | None


def _param_pairs(params):
    """(name, first value as str) for a mapping (str -> str or list) or an iterable of pairs."""
    items = params.items() if isinstance(params, Mapping) else params
    for key, value in items:
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        if value is None:
            value = ""
        elif isinstance(value, bytes):
            value = value.decode("utf-8", errors="replace")
        yield str(key), str(value)


def parse_punch_in(
    params,
    username_param="USERNAME",
    password_param="PASSWORD",  # noqa: S107 (a parameter name, not a password)
    end_user_param=None,
    max_value_length=2048,
    max_params=200,
    supported_functions=None,
):
    """Parse the parameters of an OCI punch-in into an ``OciPunchIn``.

    ``params`` is a mapping of str -> str or str -> list of str (the first value wins).
    Parameter names are matched exactly first, then case-insensitively.

    :raises PayloadTooLarge: more than ``max_params`` parameters or a name/value longer than
        ``max_value_length`` characters
    :raises MalformedDocument: no HOOK_URL, an invalid QUANTITY, DETAIL/VALIDATE without PRODUCTID
    :raises UnsupportedRequest: a FUNCTION not in ``supported_functions`` (default
        ``SUPPORTED_FUNCTIONS``)
    """
    if supported_functions is None:
        supported_functions = SUPPORTED_FUNCTIONS
    values = {}
    for count, (key, value) in enumerate(_param_pairs(params), start=1):
        if count > max_params:
            raise PayloadTooLarge(
                f"The punch-in request has more than {max_params} parameters; "
                f"at most {max_params} are accepted."
            )
        if len(key) > max_value_length or len(value) > max_value_length:
            raise PayloadTooLarge(
                f"The punch-in parameter {key[:40]!r} is longer than {max_value_length} "
                "characters."
            )
        values.setdefault(key, value)
    upper = {}
    for key, value in values.items():
        upper.setdefault(key.upper(), (key, value))

    def get(name, strip=True):
        found = (name, values[name]) if name in values else upper.get(name.upper())
        value = found[1] if found else ""
        return (value.strip() if strip else value) or None

    function = (get("FUNCTION") or "").upper() or None
    if function and function not in supported_functions:
        raise UnsupportedRequest(f"The OCI function {function!r} is not supported.")
    hook_url = get("HOOK_URL")
    if not hook_url and function not in SERVER_FUNCTIONS:
        raise MalformedDocument(
            "The punch-in request has no HOOK_URL: the buyer's system must send the URL "
            "the cart is returned to."
        )
    product_id = get("PRODUCTID")
    if function in PRODUCT_FUNCTIONS and not product_id:
        raise MalformedDocument(f"The OCI function {function} needs a PRODUCTID parameter.")
    if function == "QUANTITYCHECK":
        product_id = get("EXT_PRODUCT_ID") or product_id
        if not product_id or not get("QUANTITY"):
            raise MalformedDocument("QUANTITYCHECK needs EXT_PRODUCT_ID and QUANTITY parameters.")
    charset, charset_fallback = normalize_charset(get("http_content_charset"))
    echo_params = {}
    for name in ECHO_PARAMS:
        found = upper.get(name.upper())
        if found:
            echo_params[found[0]] = found[1]
    return OciPunchIn(
        params=values,
        username=get(username_param, strip=False) if username_param else None,
        password=get(password_param, strip=False) if password_param else None,
        hook_url=hook_url,
        function=function,
        product_id=product_id,
        quantity=_parse_quantity(get("QUANTITY")),
        search_string=get("SEARCHSTRING"),
        vendor=get("VENDOR"),
        return_target=get("returntarget") or get("~TARGET") or DEFAULT_TARGET,
        charset=charset,
        charset_fallback=charset_fallback,
        echo_params=echo_params,
        end_user=get(end_user_param) if end_user_param else None,
        oci_version=get("OCI_VERSION"),
        opi_version=get("OPI_VERSION"),
    )


def _parse_quantity(text):
    """A punch-in QUANTITY as a Decimal; ',' is accepted as decimal point."""
    if text is None:
        return None
    if not _QUANTITY_IN_RE.match(text):
        raise MalformedDocument(f"The QUANTITY {text[:40]!r} is not a valid quantity.")
    return Decimal(text.replace(",", "."))


def quantity_check_answer(available, lead_days):
    """The JSON answer of FUNCTION=QUANTITYCHECK: ``{"AVAILABLE_QUANTITY": n, "LEADTIME":
    "d"}`` (a number of the product's unit, the days as text), UTF-8 bytes."""
    available = Decimal(str(available)).quantize(Decimal("0.001")).normalize()
    number = int(available) if available == available.to_integral() else float(available)
    return json.dumps(
        {"AVAILABLE_QUANTITY": number, "LEADTIME": str(int(lead_days or 0))}
    ).encode()


def server_call_error(message):
    """The JSON body of a refused server call (QUANTITYCHECK, DOWNLOADJSON): ``{"ERROR":
    message}``."""
    return json.dumps({"ERROR": str(message)}).encode()
