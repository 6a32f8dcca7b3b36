"""OCI cart items, number formatting and building the ``NEW_ITEM-*`` fields of a cart return."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from ..browser import normalize_charset
from ..charsets import transliterate
from .fields import (
    FIELD_ATTRIBUTES,
    FIELD_SPECS,
    LONGTEXT_FIELD,
    MAX_DECIMALS,
    MAX_INTEGER_DIGITS,
    PRICE_DECIMALS,
    PRICE_UNITS,
)

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


def _item_values(item, send_empty, price_decimals, text):
    """({OCI field: text} in FIELD_SPECS order, empty values included; long text) of an item;
    ``text`` turns a value into what the buyer's charset holds."""
    values = dict.fromkeys(FIELD_SPECS, "")
    for name, (max_length, kind) in FIELD_SPECS.items():
        if kind == "text":
            values[name] = cut_text(text(getattr(item, FIELD_ATTRIBUTES[name])), max_length)
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
    longtext = text(item.longtext)
    if item.matnr:
        del values["DESCRIPTION"]
    else:
        description = " ".join(text(item.description).split())
        values["DESCRIPTION"] = cut_text(
            description, FIELD_SPECS["DESCRIPTION"][0], word_boundary=True
        )
        if values["DESCRIPTION"] != description:
            longtext = f"{description}\n\n{longtext}" if longtext else description
    return values, longtext


def build_cart_fields(
    items, index_base=1, send_empty=False, price_decimals=PRICE_DECIMALS, charset=None
):
    """The ``NEW_ITEM-<FIELD>[n]`` (name, value) pairs of a cart, item by item in FIELD_SPECS
    order, then the long text (``NEW_ITEM-LONGTEXT_<n>:132[]``), then the item's extra fields.

    DESCRIPTION is cut to 40 characters on a word boundary and the full text is put before the
    long text; other texts are cut to their maximum length. A price without ``price_unit`` gets
    one from ``choose_price_unit(price, price_decimals)``; PRICEUNIT 1 is left empty ('1' with
    ``send_empty``). Empty fields are left out unless ``send_empty``; with MATNR there is no
    DESCRIPTION field. Extra fields are always sent. With ``charset`` (the buyer's
    HTTP_CONTENT_CHARSET), texts are first transliterated to what it holds (``charsets.
    transliterate``: the euro sign as EUR, not '?'), so that cut lengths hold once encoded.

    :raises ValueError: a number with more than 11 integer digits, or an extra field that
        repeats a standard one
    """
    codec = normalize_charset(charset)[0] if charset else None

    def text(value):
        value = "" if value is None else str(value)
        return transliterate(value, codec) if codec else value

    pairs = []
    for position, item in enumerate(items):
        index = index_base + position
        values, longtext = _item_values(item, send_empty, price_decimals, text)
        for name, value in values.items():
            if value or send_empty:
                pairs.append((_field_name(name, index), value))
        if longtext or send_empty:
            pairs.append((_longtext_name(index), longtext))
        for name, value in (item.extra or {}).items():
            name = str(name).upper()
            if name in FIELD_SPECS or name == LONGTEXT_FIELD:
                raise ValueError(f"The extra field {name} repeats a standard OCI field.")
            pairs.append((_field_name(name, index), text(value)))
    return pairs
