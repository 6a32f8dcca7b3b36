"""Reading a returned OCI cart form the way the buyer's system does, and checking it.

Used by tests and by the connection's self-check.
"""

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import unquote_to_bytes

from ..browser import DEFAULT_CHARSET, html_charset_label, normalize_charset
from ..errors import MalformedDocument
from .cart import OciItem, cut_text
from .fields import FIELD_ATTRIBUTES, FIELD_SPECS, LONGTEXT_FIELD, MAX_DECIMALS, MAX_INTEGER_DIGITS

_FIELD_RE = re.compile(r"^NEW_ITEM-([A-Z0-9_]+)\[(\d+)\]$", re.IGNORECASE)
_LONGTEXT_RE = re.compile(r"^NEW_ITEM-LONGTEXT_(\d+):132\[\]$", re.IGNORECASE)
_NUMBER_RE = re.compile(r"^-?\d+(\.\d+)?$")


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


# OCI 5.0 item hierarchies: SAP's documents name the types R/O/L and R/O/F.
ITEM_TYPES = ("R", "O", "L", "F")


def _check_hierarchy(lines):
    """Violations of the item hierarchy (OCI 5.0): a known ITEM_TYPE; a PARENT_ID naming
    another line of the cart, one that is not itself a sub-item."""
    found = []
    for index in sorted(lines):
        values = lines[index]
        item_type = (values.get("ITEM_TYPE") or [""])[0]
        parent = (values.get("PARENT_ID") or [""])[0]
        if item_type and item_type not in ITEM_TYPES:
            found.append(
                OciViolation(
                    index,
                    "ITEM_TYPE",
                    f"Line {index}: ITEM_TYPE {item_type!r} is not one of "
                    f"{', '.join(ITEM_TYPES)}.",
                )
            )
        if not parent:
            continue
        if not parent.isascii() or not parent.isdigit() or int(parent) not in lines:
            message = f"Line {index}: PARENT_ID {parent!r} names no line of this cart."
        elif int(parent) == index:
            message = f"Line {index}: PARENT_ID names the line itself."
        elif (lines[int(parent)].get("PARENT_ID") or [""])[0]:
            message = f"Line {index}: PARENT_ID {parent} is itself a sub-item."
        else:
            continue
        found.append(OciViolation(index, "PARENT_ID", message))
    return found


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
    found += _check_hierarchy(lines)
    codec, fallback = normalize_charset(charset)
    if fallback:
        found.append(
            OciViolation(None, "http_content_charset", f"The charset {charset!r} is unknown.")
        )
    elif raw_body:
        found += _check_body_charset(raw_body, codec, html_charset_label(codec))
    return found
