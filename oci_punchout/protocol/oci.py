"""SAP Open Catalog Interface (OCI 4.0/5.0): punch-in parameters, return URLs and the cart form.

Punch-in: the buyer's browser posts a login form (``USERNAME``, ``PASSWORD``, ``HOOK_URL``, ...);
``parse_punch_in`` turns it into an ``OciPunchIn``. Cart return: ``build_cart_fields`` turns
``OciItem`` lines into ``NEW_ITEM-<FIELD>[n]`` pairs and ``render_return_page`` wraps them in an
auto-submitted HTML form posted to the ``HOOK_URL``. ``parse_cart_fields`` and
``validate_cart_fields`` read such a form the way the buyer's system does, for tests and for the
connection's self-check.
"""

import html
import itertools
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext
from urllib.parse import parse_qsl, unquote, unquote_to_bytes, urlsplit, urlunsplit

from .charsets import python_codec, whatwg_encoding
from .errors import InvalidReturnUrl, MalformedDocument, PayloadTooLarge, UnsupportedRequest

SUPPORTED_FUNCTIONS = {"DETAIL", "VALIDATE", "SOURCING", "BACKGROUND_SEARCH"}
PRODUCT_FUNCTIONS = {"DETAIL", "VALIDATE", "DETAILADD"}
ECHO_PARAMS = ("~OkCode", "~TARGET", "~CALLER")
DEFAULT_TARGET = "_top"
DEFAULT_CHARSET = "utf-8"

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

_FIELD_RE = re.compile(r"^NEW_ITEM-([A-Z0-9_]+)\[(\d+)\]$", re.IGNORECASE)
_LONGTEXT_RE = re.compile(r"^NEW_ITEM-LONGTEXT_(\d+):132\[\]$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")
_QUANTITY_IN_RE = re.compile(r"^\+?\d{1,15}([.,]\d+)?$")
_DEFAULT_PORTS = {"http": 80, "https": 443}


# --------------------------------------------------------------------------------------------
# Punch-in


@dataclass
class OciPunchIn:
    """A parsed OCI punch-in (login) request."""

    params: dict
    username: str | None
    password: str | None
    hook_url: str
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


def normalize_charset(name):
    """Return ``(python_codec_name, fallback)`` for a buyer's ``http_content_charset``.

    Only WHATWG labels of encodings that keep ASCII as ASCII are accepted (see ``charsets``);
    anything else (ISO-2022-JP, UTF-16, unknown names) gives ``('utf-8', True)``. An absent or
    empty name gives ``('utf-8', False)``.
    """
    if not (name or "").strip():
        return DEFAULT_CHARSET, False
    if not whatwg_encoding(name):
        return DEFAULT_CHARSET, True
    return python_codec(name), False


def html_charset_label(codec):
    """The WHATWG name, lower case, to declare in ``<meta charset>`` for a charset (iso8859-1 ->
    windows-1252, euc_jp -> euc-jp); utf-8 for anything else."""
    return (whatwg_encoding(codec) or DEFAULT_CHARSET).lower()


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

    hook_url = get("HOOK_URL")
    if not hook_url:
        raise MalformedDocument(
            "The punch-in request has no HOOK_URL: the buyer's system must send the URL "
            "the cart is returned to."
        )
    function = (get("FUNCTION") or "").upper() or None
    if function and function not in supported_functions:
        raise UnsupportedRequest(f"The OCI function {function!r} is not supported.")
    product_id = get("PRODUCTID")
    if function in PRODUCT_FUNCTIONS and not product_id:
        raise MalformedDocument(f"The OCI function {function} needs a PRODUCTID parameter.")
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


# --------------------------------------------------------------------------------------------
# Return URLs


def check_return_url(url, allowed_prefixes, allow_http=False):
    """Raise ``InvalidReturnUrl`` unless ``url`` is an allowed return URL.

    ``SAPEVENT:`` URLs need an allowed prefix that starts with ``SAPEVENT:`` and that the URL
    starts with (case-insensitive). Other URLs must be https (or http with ``allow_http``),
    without user-info, and match an allowed prefix by scheme, host, port and path (the prefix's
    path on a segment boundary).
    """
    if not isinstance(url, str) or not url.strip():
        raise InvalidReturnUrl("The return URL is empty.")
    url = url.strip()
    for char in url:
        if unicodedata.category(char) in ("Cc", "Cf") or char == "\\":
            raise InvalidReturnUrl(
                f"The return URL contains a forbidden character ({char!r}): {url[:200]!r}."
            )
    prefixes = [p.strip() for p in (allowed_prefixes or []) if p and p.strip()]
    if not prefixes:
        raise InvalidReturnUrl(
            f"The return URL {url[:200]!r} is refused: no return URL prefixes are allowed "
            "for this connection."
        )
    if url.upper().startswith("SAPEVENT:"):
        for prefix in prefixes:
            if prefix.upper().startswith("SAPEVENT:") and url.upper().startswith(prefix.upper()):
                return
        raise InvalidReturnUrl(
            f"The return URL {url[:200]!r} is a SAPEVENT URL, but SAPEVENT is not among the "
            "allowed return URL prefixes of this connection."
        )
    parts = _split_url(url)
    scheme = parts.scheme.lower()
    if scheme != "https" and not (scheme == "http" and allow_http):
        allowed = "https or http" if allow_http else "https"
        raise InvalidReturnUrl(
            f"The return URL {url[:200]!r} uses the scheme {scheme or '(none)'!r}; "
            f"only {allowed} return URLs are allowed."
        )
    if "@" in parts.netloc:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} contains user information (@).")
    host, port = _host_port(parts)
    if not host:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} has no host.")
    segments = unquote(parts.path).split("/")
    if "." in segments or ".." in segments:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} contains '.' or '..' segments.")
    for prefix in prefixes:
        if _matches_prefix(scheme, host, port, parts.path, prefix):
            return
    raise InvalidReturnUrl(
        f"The return URL {url[:200]!r} does not match any allowed return URL prefix of this "
        f"connection ({', '.join(prefixes)})."
    )


def _split_url(url):
    try:
        return urlsplit(url)
    except ValueError as exc:
        raise InvalidReturnUrl(f"The return URL {url[:200]!r} cannot be parsed: {exc}.") from exc


def _host_port(parts):
    """(lower-case host, port with the scheme's default filled in) of a split URL."""
    try:
        port = parts.port
    except ValueError as exc:
        raise InvalidReturnUrl(f"The URL {parts.geturl()[:200]!r} has an invalid port.") from exc
    return (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(parts.scheme.lower())


def _matches_prefix(scheme, host, port, path, prefix):
    """True when an absolute URL's components fall under an allowed prefix."""
    try:
        pre = urlsplit(prefix)
        pre_host, pre_port = _host_port(pre)
    except (ValueError, InvalidReturnUrl):
        return False
    if pre.scheme.lower() != scheme or not pre_host or "@" in pre.netloc:
        return False
    if pre_host != host or pre_port != port:
        return False
    pre_path = pre.path.rstrip("/")
    return not pre_path or path == pre_path or path.startswith(pre_path + "/")


# --------------------------------------------------------------------------------------------
# Cart items and numbers


@dataclass
class OciItem:
    """One cart line as OCI ``NEW_ITEM-*`` fields; attribute = field name in lower case."""

    description: str = ""
    quantity: Decimal = Decimal(0)
    unit: str = ""
    price: Decimal | None = None
    price_unit: int | None = None
    currency: str = ""
    leadtime: int | None = None
    longtext: str = ""
    matnr: str = ""
    vendor: str = ""
    vendormat: str = ""
    manufactcode: str = ""
    manufactmat: str = ""
    matgroup: str = ""
    service: bool = False
    contract: str = ""
    contract_item: str = ""
    ext_quote_id: str = ""
    ext_quote_item: str = ""
    ext_product_id: str = ""
    attachment: str = ""
    attachment_title: str = ""
    attachment_purpose: str = ""
    ext_schema_type: str = ""
    ext_category_id: str = ""
    ext_category: str = ""
    sld_sys_name: str = ""
    cust_field1: str = ""
    cust_field2: str = ""
    cust_field3: str = ""
    cust_field4: str = ""
    cust_field5: str = ""
    parent_id: str = ""
    item_type: str = ""
    extra: dict = field(default_factory=dict)


def _to_decimal(value):
    """``value`` as a finite Decimal; floats are cut to 12 significant digits, which drops their
    binary noise (0.1 + 0.2 -> 0.3, an Odoo price 12.499999999999998 -> 12.5)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a number.")
    if isinstance(value, float):
        value = format(value, ".12g")
    try:
        number = Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"{value!r} is not a number.") from exc
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number.")
    return number


def _round(number, max_decimals):
    """``number`` rounded half-up to ``max_decimals`` decimals (wide precision, no overflow)."""
    with localcontext() as ctx:
        ctx.prec = 60
        return number.quantize(Decimal(1).scaleb(-max_decimals), rounding=ROUND_HALF_UP)


def format_number(value, max_decimals=MAX_DECIMALS):
    """Format a number the OCI way: '.' decimal point, no thousands separator, no exponent,
    trailing zeros stripped, rounded half-up to ``max_decimals``.

    :raises ValueError: not a finite number, or more than 11 integer digits
    """
    number = _to_decimal(value)
    too_big = ValueError(
        f"{value} has more than {MAX_INTEGER_DIGITS} integer digits, the OCI maximum."
    )
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise too_big
    number = _round(number, max_decimals)
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise too_big
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def choose_price_unit(price, max_decimals=PRICE_DECIMALS, max_error=Decimal("0.0005")):
    """Return ``(price_per_unit, unit)``: the smallest PRICEUNIT of 1, 10, 100, 1000, 10000 at
    which ``price * unit`` has at most ``max_decimals`` decimals (0.0125 -> (1.25, 100)).
    ``max_decimals`` defaults to 2, see ``PRICE_DECIMALS``.

    When no unit is exact: the smallest unit at which rounding half-up changes the price by at
    most ``max_error`` (relative, 0.05 %), else 10000.
    """
    price = _to_decimal(price)
    for unit in PRICE_UNITS:
        scaled = price * unit
        if scaled == _round(scaled, max_decimals):
            return _strip_zeros(scaled), unit
    for unit in PRICE_UNITS:
        scaled = price * unit
        rounded = _round(scaled, max_decimals)
        if abs(rounded - scaled) <= abs(scaled) * max_error:
            return _strip_zeros(rounded), unit
    return _strip_zeros(_round(price * PRICE_UNITS[-1], max_decimals)), PRICE_UNITS[-1]


def _strip_zeros(number):
    """The same value without trailing zeros, never in exponent form."""
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


def cut_text(text, max_length, word_boundary=False):
    """Cut ``text`` to ``max_length`` characters; with ``word_boundary`` at the last space when
    that keeps at least half of the allowed length."""
    if len(text) <= max_length:
        return text
    cut = text[:max_length]
    if word_boundary:
        if text[max_length].isspace():
            return cut.rstrip()
        space = cut.rfind(" ")
        if space >= max_length // 2:
            return cut[:space].rstrip()
    return cut


# --------------------------------------------------------------------------------------------
# Cart return: building


def _field_name(name, index):
    return f"NEW_ITEM-{name}[{index}]"


def _longtext_name(index):
    return f"NEW_ITEM-LONGTEXT_{index}:132[]"


def _item_values(item, send_empty, price_decimals):
    """({OCI field: text} in FIELD_SPECS order, empty values included; long text) of an item."""
    values = dict.fromkeys(FIELD_SPECS, "")
    for name, (max_length, kind) in FIELD_SPECS.items():
        if kind == "text":
            values[name] = cut_text(str(getattr(item, FIELD_ATTRIBUTES[name]) or ""), max_length)
    values["QUANTITY"] = format_number(item.quantity or 0)
    if item.price is not None:
        if item.price_unit is None:
            price, unit = choose_price_unit(item.price, price_decimals)
        else:
            price, unit = item.price, int(item.price_unit)
        values["PRICE"] = format_number(price)
        values["PRICEUNIT"] = str(unit) if unit != 1 or send_empty else ""
    if item.leadtime is not None:
        values["LEADTIME"] = str(int(item.leadtime))
    values["SERVICE"] = "X" if item.service else ""
    longtext = str(item.longtext or "")
    if item.matnr:
        del values["DESCRIPTION"]
    else:
        description = " ".join(str(item.description or "").split())
        values["DESCRIPTION"] = cut_text(
            description, FIELD_SPECS["DESCRIPTION"][0], word_boundary=True
        )
        if values["DESCRIPTION"] != description:
            longtext = f"{description}\n\n{longtext}" if longtext else description
    return values, longtext


def build_cart_fields(items, index_base=1, send_empty=False, price_decimals=PRICE_DECIMALS):
    """The ``NEW_ITEM-<FIELD>[n]`` (name, value) pairs of a cart, item by item in FIELD_SPECS
    order, then the long text (``NEW_ITEM-LONGTEXT_<n>:132[]``), then the item's extra fields.

    DESCRIPTION is cut to 40 characters on a word boundary and the full text is put before the
    long text; other texts are cut to their maximum length. A price without ``price_unit`` gets
    one from ``choose_price_unit(price, price_decimals)``; PRICEUNIT 1 is left empty ('1' with
    ``send_empty``). Empty fields are left out unless ``send_empty``; with MATNR there is no
    DESCRIPTION field. Extra fields are always sent.

    :raises ValueError: a number with more than 11 integer digits, or an extra field that
        repeats a standard one
    """
    pairs = []
    for position, item in enumerate(items):
        index = index_base + position
        values, longtext = _item_values(item, send_empty, price_decimals)
        for name, value in values.items():
            if value or send_empty:
                pairs.append((_field_name(name, index), value))
        if longtext or send_empty:
            pairs.append((_longtext_name(index), longtext))
        for name, value in (item.extra or {}).items():
            name = str(name).upper()
            if name in FIELD_SPECS or name == LONGTEXT_FIELD:
                raise ValueError(f"The extra field {name} repeats a standard OCI field.")
            pairs.append((_field_name(name, index), "" if value is None else str(value)))
    return pairs


def render_return_page(
    hook_url,
    fields,
    target=DEFAULT_TARGET,
    charset=DEFAULT_CHARSET,
    echo_params=None,
    auto_submit=True,
    title="Returning to your purchasing system",
    message=None,
    button_label="Continue",
    script_nonce=None,
    keep_query=False,
):
    """A complete HTML page whose one form posts ``fields`` to ``hook_url``, as bytes.

    The form's action is the hook URL without its query string (``SAPEVENT:`` URLs as they are);
    each query parameter of the hook URL becomes a hidden input, then the ``echo_params`` the
    query does not already hold, then ``fields``. The page is encoded in ``charset`` (characters
    it cannot hold become '?') and declares it. ``auto_submit`` adds an inline script that
    submits the form; a visible submit button is always there. With ``keep_query`` (cXML's
    BrowserFormPost) the action is the URL as given, query string included.

    :raises InvalidReturnUrl: a hook URL that is not http(s) or SAPEVENT
    """
    codec = normalize_charset(charset)[0]
    hook_url = (hook_url or "").strip()
    inputs = []
    if hook_url.upper().startswith("SAPEVENT:"):
        action = hook_url
    else:
        parts = _split_url(hook_url)
        if parts.scheme.lower() not in _DEFAULT_PORTS or not parts.netloc:
            raise InvalidReturnUrl(f"The return URL {hook_url[:200]!r} is not an http(s) URL.")
        if keep_query:
            action = hook_url
        else:
            action = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
            inputs += parse_qsl(
                parts.query, keep_blank_values=True, encoding=codec, errors="replace"
            )
    present = {name.upper() for name, _value in inputs}
    for name, value in (echo_params or {}).items():
        if name.upper() not in present:
            inputs.append((name, value))
    inputs += list(fields.items() if isinstance(fields, Mapping) else fields)
    if message is None:
        message = (
            "Your cart is being transferred to your purchasing system."
            if auto_submit
            else "Press the button to transfer the results to your purchasing system."
        )

    def esc(value):
        return html.escape("" if value is None else str(value), quote=True)

    lines = [
        "<!DOCTYPE html>",
        "<html>",
        "<head>",
        f'<meta charset="{esc(html_charset_label(codec))}">',
        '<meta name="robots" content="noindex">',
        f"<title>{esc(title)}</title>",
        "</head>",
        "<body>",
        f'<form id="oci_return_form" method="post" action="{esc(action)}" target="{esc(target)}">',
    ]
    for name, value in inputs:
        lines.append(f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">')
    lines += [
        f"<p>{esc(message)}</p>",
        f'<button type="submit">{esc(button_label)}</button>',
        "</form>",
    ]
    if auto_submit:
        nonce = f' nonce="{esc(script_nonce)}"' if script_nonce else ""
        # The prototype call still works when a hidden input is named "submit".
        lines.append(
            f"<script{nonce}>HTMLFormElement.prototype.submit.call("
            "document.getElementById('oci_return_form'));</script>"
        )
    lines += ["</body>", "</html>", ""]
    return "\n".join(lines).encode(codec, errors="replace")


# --------------------------------------------------------------------------------------------
# Cart return: reading (what the buyer's system receives)


def _pairs(pairs):
    """(name, value) pairs from a mapping (str -> str or list of str) or an iterable of pairs."""
    if isinstance(pairs, Mapping):
        pairs = pairs.items()
    for name, value in pairs:
        for one in value if isinstance(value, list | tuple) else [value]:
            yield str(name), "" if one is None else str(one)


def _split_field(name):
    """``(FIELD, index)`` of a NEW_ITEM name (LONGTEXT for long texts), else None."""
    match = _LONGTEXT_RE.match(name)
    if match:
        return LONGTEXT_FIELD, int(match.group(1))
    match = _FIELD_RE.match(name)
    if match:
        return match.group(1).upper(), int(match.group(2))
    return None


def _group_lines(pairs):
    """({index: {FIELD: [values]}} of the NEW_ITEM fields, [NEW_ITEM names not understood])."""
    lines, bad_names = {}, []
    for name, value in _pairs(pairs):
        split = _split_field(name)
        if split is None:
            if name.upper().startswith("NEW_ITEM-"):
                bad_names.append(name)
            continue
        field_name, index = split
        lines.setdefault(index, {}).setdefault(field_name, []).append(value)
    return lines, bad_names


def _read_value(text, kind):
    """A field's text as its Python value (Decimal, int, bool or str); ValueError if unreadable."""
    text = text.strip() if kind != "text" else text
    if kind == "number":
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            raise ValueError("is not a number")
        return number
    if kind == "integer":
        if not (text.isascii() and text.isdigit()):
            raise ValueError("is not a whole number")
        return int(text)
    if kind == "flag":
        return text.upper() == "X"
    return text


def parse_cart_fields(pairs, rejoin_description=False, strict=False):
    """Read a returned OCI form back into ``OciItem`` lines, ordered by index (base 0 or 1).

    Long texts (``NEW_ITEM-LONGTEXT_<n>:132[]``, repeated values joined) go to ``longtext``;
    unknown ``NEW_ITEM-*`` fields to ``extra``. Empty PRICE/PRICEUNIT/LEADTIME give None. A
    number that cannot be read is kept as text in ``extra`` under its field name
    (``validate_cart_fields`` explains it), or raises with ``strict``. With
    ``rejoin_description``, a description that ``build_cart_fields`` cut is made whole again from
    the start of the long text.

    :raises MalformedDocument: with ``strict``, a number or integer field that cannot be read
    """
    lines, _bad_names = _group_lines(pairs)
    items = []
    for index in sorted(lines):
        kwargs = {"extra": {}}
        for name, vals in lines[index].items():
            value, spec = vals[0], FIELD_SPECS.get(name)
            if name == LONGTEXT_FIELD:
                kwargs["longtext"] = "".join(vals)
            elif spec is None:
                kwargs["extra"][name] = value
            elif value.strip() or spec[1] == "text":
                try:
                    kwargs[FIELD_ATTRIBUTES[name]] = _read_value(value, spec[1])
                except ValueError as exc:
                    if strict:
                        raise MalformedDocument(
                            f"Line {index}: {name} {value[:40]!r} {exc}."
                        ) from exc
                    kwargs["extra"][name] = value
        item = OciItem(**kwargs)
        if rejoin_description:
            _rejoin_description(item)
        items.append(item)
    return items


def _rejoin_description(item):
    """Undo the cut of ``build_cart_fields``: the full description leads the long text."""
    head, _sep, rest = item.longtext.replace("\r\n", "\n").partition("\n\n")
    max_length = FIELD_SPECS["DESCRIPTION"][0]
    if (
        item.description
        and head != item.description
        and len(head) > max_length
        and cut_text(head, max_length, word_boundary=True) == item.description
    ):
        item.description, item.longtext = head, rest


@dataclass
class OciViolation:
    """One thing a strict SAP system would refuse in a returned cart (``line``: the form index)."""

    line: int | None
    field: str
    message: str

    def __str__(self):
        return self.message


def _number_problem(value, field_name):
    """A sentence explaining why ``value`` is not an OCI number, or None if it is one."""
    text = value
    if _NUMBER_RE.match(text):
        integer, _sep, decimals = text.lstrip("-").partition(".")
        if len(integer.lstrip("0")) > MAX_INTEGER_DIGITS:
            return f"has more than {MAX_INTEGER_DIGITS} digits before the decimal point"
        if len(decimals) > MAX_DECIMALS:
            return f"has more than {MAX_DECIMALS} decimals"
        if text.startswith("-") and field_name == "QUANTITY":
            return "is negative"
        return None
    if text != text.strip() or not text:
        return "contains spaces" if text else "is empty"
    if "e" in text.lower() and re.fullmatch(r"-?[\d.]+[eE][-+]?\d+", text):
        return "uses an exponent"
    if re.search(r"\d[ '\u00a0\u202f]\d", text) or text.count(".") > 1 or text.count(",") > 1:
        return "uses a thousands separator"
    if "," in text and "." in text:
        return "uses a thousands separator"
    if "," in text:
        return "uses a comma as decimal point"
    if text.startswith("+"):
        return "has a plus sign"
    return "is not a number"


def _check_value(index, name, value):
    """The violations of one standard field's value."""
    max_length, kind = FIELD_SPECS[name]
    found = []
    if len(value) > max_length:
        found.append(
            f"Line {index}: {name} has {len(value)} characters; at most {max_length} are allowed."
        )
    if not value:
        return found
    if kind == "number":
        problem = _number_problem(value, name)
        if problem:
            found.append(
                f"Line {index}: {name} {value!r} {problem}; OCI numbers use '.' as decimal point, "
                f"no thousands separator, at most {MAX_INTEGER_DIGITS} digits and "
                f"{MAX_DECIMALS} decimals."
            )
    elif kind == "integer":
        if not value.isascii() or not value.isdigit():
            found.append(f"Line {index}: {name} {value!r} is not a whole number.")
        elif name == "PRICEUNIT" and int(value) == 0:
            found.append(f"Line {index}: PRICEUNIT is 0; it must be at least 1.")
    elif kind == "flag" and value != "X":
        found.append(f"Line {index}: {name} is {value!r}; it must be 'X' or empty.")
    return found


_REQUIRED_TOGETHER = (
    # (field that needs the other, the other, message tail)
    ("PRICE", "CURRENCY", "CURRENCY is required when PRICE is given"),
    ("EXT_QUOTE_ITEM", "EXT_QUOTE_ID", "EXT_QUOTE_ID is required when EXT_QUOTE_ITEM is given"),
    ("EXT_QUOTE_ID", "EXT_QUOTE_ITEM", "EXT_QUOTE_ITEM is required when EXT_QUOTE_ID is given"),
    ("CONTRACT_ITEM", "CONTRACT", "CONTRACT is required when CONTRACT_ITEM is given"),
    ("EXT_CATEGORY_ID", "EXT_SCHEMA_TYPE", "EXT_SCHEMA_TYPE is required with EXT_CATEGORY_ID"),
    ("EXT_CATEGORY", "EXT_SCHEMA_TYPE", "EXT_SCHEMA_TYPE is required with EXT_CATEGORY"),
)


def _check_line(index, values):
    """The violations of one cart line: {FIELD: [values]} -> [OciViolation]."""
    found = []

    def add(name, message):
        found.append(OciViolation(index, name, message))

    first = {name: vals[0] for name, vals in values.items()}
    for name, vals in values.items():
        if len(vals) > 1 and name != LONGTEXT_FIELD:
            add(name, f"Line {index}: {name} is sent {len(vals)} times; it must be sent once.")
        if name in FIELD_SPECS:
            for message in _check_value(index, name, vals[0]):
                add(name, message)
    description, matnr = first.get("DESCRIPTION", ""), first.get("MATNR", "")
    if not description and not matnr:
        add("DESCRIPTION", f"Line {index}: DESCRIPTION (or MATNR) is required.")
    if description and matnr:
        add("MATNR", f"Line {index}: MATNR and DESCRIPTION must not be sent together.")
    if not first.get("QUANTITY"):
        add("QUANTITY", f"Line {index}: QUANTITY is required.")
    if not matnr and not first.get("UNIT"):
        add("UNIT", f"Line {index}: UNIT is required when there is no MATNR.")
    for given, required, tail in _REQUIRED_TOGETHER:
        if first.get(given) and not first.get(required):
            add(required, f"Line {index}: {tail}.")
    return found


def _check_indexes(indexes):
    """Violations for a cart whose line numbers do not start at 0 or 1 or have gaps."""
    if not indexes:
        return []
    found = []
    start = min(indexes)
    if start > 1:
        found.append(
            OciViolation(
                start, "", f"The line numbers start at {start}; they must start at 1 (or 0)."
            )
        )
    # One violation per gap, not per missing number: a form may name line 10**30.
    numbers = sorted(set(indexes))
    for previous, current in itertools.pairwise(numbers):
        first, last = previous + 1, current - 1
        if first == last:
            text = f"Line {first} is missing"
        elif first < last:
            text = f"Lines {first} to {last} are missing"
        else:
            continue
        found.append(OciViolation(first, "", f"{text}: the line numbers have a gap."))
    return found


def _check_body_charset(raw_body, codec, label):
    """Violations for values of a raw urlencoded body that are not valid in ``codec``."""
    found = []
    if isinstance(raw_body, str):
        raw_body = raw_body.encode("latin-1", errors="replace")
    for chunk in raw_body.split(b"&"):
        if not chunk:
            continue
        raw_name, _sep, raw_value = chunk.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" ")).decode("latin-1")
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        split = _split_field(name)
        line, field_name = split[1] if split else None, split[0] if split else name
        try:
            value.decode(codec)
        except UnicodeDecodeError:
            found.append(
                OciViolation(
                    line,
                    field_name,
                    f"The value of {name} is not valid {label}: the form was sent in another "
                    "charset than the buyer's system expects.",
                )
            )
            continue
        if codec != "utf-8" and not value.isascii() and _is_utf8(value):
            found.append(
                OciViolation(
                    line,
                    field_name,
                    f"The value of {name} looks UTF-8 encoded although the buyer's system "
                    f"expects {label}.",
                )
            )
    return found


def _is_utf8(data):
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def validate_cart_fields(pairs, charset=DEFAULT_CHARSET, raw_body=None):
    """List what a strict SAP system would complain about in a returned OCI form.

    Checks required fields and pairs, maximum lengths, number/integer/flag formats, duplicate
    fields, malformed NEW_ITEM names, line number gaps and, with ``raw_body`` (the raw
    urlencoded POST body), bytes that are not valid in ``charset``. An empty form (a cancelled
    cart) has no violations.
    """
    lines, bad_names = _group_lines(pairs)
    found = [
        OciViolation(
            None, name, f"The field name {name!r} is not of the form NEW_ITEM-<FIELD>[n]."
        )
        for name in bad_names
    ]
    found += _check_indexes(list(lines))
    for index in sorted(lines):
        found += _check_line(index, lines[index])
    codec, fallback = normalize_charset(charset)
    if fallback:
        found.append(
            OciViolation(None, "http_content_charset", f"The charset {charset!r} is unknown.")
        )
    elif raw_body:
        found += _check_body_charset(raw_body, codec, html_charset_label(codec))
    return found
