"""The text of a PDF purchase order (SAP's PO print and others) searched for the PO number, our
references, the date, currency, total and the line table.
"""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ..cxml import (
    MAX_NUMBER_DIGITS,
    Item,
    Money,
    OrderRequest,
)
from ..errors import MalformedDocument
from .common import DEFAULT_QUOTATION_PATTERN, _divide, unit_to_unece
from .references import _References

MAX_PDF_TEXT = 2_000_000


@dataclass
class PdfReferences:
    """What the text of a PDF purchase order tells us.

    ``quotation_refs``: our quotation names found (in order, once each); ``line_refs``:
    ``'<quotation>/<line>'`` references found; ``lines``: the order lines where a line table
    could be read (``supplier_part_auxiliary_id`` set from a reference in the line, or from the
    document's only quotation).
    """

    po_number: str = ""
    quotation_refs: list[str] = field(default_factory=list)
    line_refs: list[str] = field(default_factory=list)
    lines: list[Item] = field(default_factory=list)
    currency: str = ""
    order_date: datetime | None = None
    total: Money | None = None

    def to_order_request(self):
        """The lines read as an ``OrderRequest`` for the matcher.

        :raises MalformedDocument: no PO number, or no line could be read (then the caller
            decides, e.g. from ``quotation_refs``, what was ordered)
        """
        if not self.po_number:
            raise MalformedDocument("No purchase order number was found in the PDF.")
        if not self.lines:
            raise MalformedDocument(
                f"No order line could be read from the PDF of purchase order {self.po_number}."
            )
        return OrderRequest(
            order_id=self.po_number,
            order_date=self.order_date,
            total=self.total,
            items=list(self.lines),
        )


_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"))
_LETTER_SPACED = re.compile(r"(?<!\S)\S(?: \S){3,}(?!\S)")
_DATE = (
    r"(?:\d{4}-\d{1,2}-\d{1,2}"
    r"|\d{1,2}\.\s?\d{1,2}\.\s?(?:\d{4}|\d{2})(?!\d)"
    r"|\d{1,2}/\d{1,2}/(?:\d{4}|\d{2})(?!\d))"
)
_DATE_RE = re.compile(_DATE)
_PO_LABEL = re.compile(
    r"(?<![\w-])(?:"
    r"(?P<strong>purchase\s*order(?:\s*(?:no\b\.?|number|nr\b\.?|num\b\.?|\#|id\b))?"
    r"|bestell(?:ung(?:s?\s*-?\s*(?:nummer|nr\b\.?|no\b\.?))?|\s*-?\s*(?:nummer|nr\b\.?|no\b\.?))"
    r"|order\s*(?:no\b\.?|number|nr\b\.?|\#))"
    r"|(?P<weak>p\.?\s?o\b\.?(?:\s*-?\s*(?:no\b\.?|number|nr\b\.?|nummer|\#))?)"
    r")(?:\s*/\s*(?:date|datum)\b)?",
    re.IGNORECASE,
)
_NOT_OURS_BEFORE_LABEL = re.compile(
    r"(?:sales|your|ihre?|vendor|supplier|lieferanten|kunden|customer)\s*$", re.IGNORECASE
)
_PO_TOKEN = re.compile(
    r"[ \t]*[:#.\-\u2013]*[ \t]*(?:\n[ \t]*[:#]?[ \t]*){0,2}([A-Za-z0-9][\w\-/.]*)"
)
_PO_NEARBY = re.compile(r"(?<![\w.,/+\-])(\d{6,12})(?![\w]|[.,/\-]\d)")
_SAP_PO = re.compile(r"(?<![\w.,/+\-])(45\d{8})(?![\w]|[.,/\-]\d)")
_FOREIGN_LABEL = re.compile(
    r"\b(?:tel|phone|fax|fon|mobil|iban|bic|swift|konto|account|acct|vat|ust|steuer|tax|kunden|"
    r"customer|vendor|supplier|lieferant|plz|zip|postfach|box|page|seite|invoice|rechnung|"
    r"contract|vertrag|quotation|angebot|lieferschein|material|artikel|article)",
    re.IGNORECASE,
)
_PHONE_BEFORE = re.compile(r"(?:\+\d{1,3}|\(0\)|\d{2,6})[\s]*$")
_SAP_LIKE = re.compile(r"4\d{9}")
_ORDER_DATE_AFTER_PO = re.compile(
    rf"[ \t]*(?:/|,|vom|dated|of|from|date[d:]?|datum:?)?[ \t]*(?:\n[ \t]*)?({_DATE})",
    re.IGNORECASE,
)
_ORDER_DATE_LABEL = re.compile(
    rf"\b(?:order\s*date|po\s*date|bestelldatum|date|datum)\b\s*:?\s*({_DATE})", re.IGNORECASE
)
_CURRENCY_LABEL = re.compile(r"\b(?:currency|w\u00e4hrung|waehrung)\b\s*:?\s*([A-Z]{3})\b")
_CURRENCY_CODES = re.compile(
    r"\b(EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|CZK|HUF|RON|JPY|CNY|CAD|AUD|NZD|SGD|HKD|ZAR)\b"
)
_CURRENCY_SYMBOLS = {"\u20ac": "EUR", "\u00a3": "GBP", "$": "USD"}
_TOTAL_LABEL = re.compile(
    r"\b(?:total\s+net\s+value|net\s+value\s+total|total\s+amount|total\s+value|order\s+total|"
    r"grand\s+total|total|gesamtnettowert|gesamtwert|gesamtbetrag|gesamtsumme|nettowert\s+gesamt|"
    r"summe)\b",
    re.IGNORECASE,
)
_AMOUNT = r"\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2,5}|\d+[.,]\d{2,5}"
_AMOUNT_RE = re.compile(rf"(?<![\d.,])(?:{_AMOUNT})(?![\d])")
_UNIT = r"[A-Za-z\u00c4\u00d6\u00dc\u00e4\u00f6\u00fc]{1,5}\d?\.?"
_QUANTITY = r"\d{1,3}(?:[.,']\d{3})+(?:[.,]\d{1,3})?|\d+(?:[.,]\d{1,3})?"
_TAIL = (
    rf"(?P<qty>{_QUANTITY})\s+(?P<unit>{_UNIT})\s+(?:(?P<cur1>[A-Z]{{3}})\s+)?"
    rf"(?P<price>{_AMOUNT})(?:\s+(?P<cur2>[A-Z]{{3}}))?"
    rf"(?:\s*(?:/|per|pro|je)?\s*(?P<per>\d{{1,5}})\s*(?P<per_unit>{_UNIT}))?"
    rf"(?:\s+(?:[A-Z]{{3}}\s+)?(?P<net>{_AMOUNT})(?:\s+[A-Z]{{3}})?)?"
)
_ROW = re.compile(rf"(?P<pos>\d{{1,6}})\s+(?P<head>.*?)\s*(?<!\S){_TAIL}")
_ROW_HEAD = re.compile(r"(?P<pos>\d{1,5})\s+(?P<head>\S.*[A-Za-z].*)")
_ROW_TAIL = re.compile(_TAIL)
_MAX_ROW_LENGTH = 300
_SUPPLIER_MATERIAL = re.compile(
    r"\b(?:your\s+material\s+(?:no\.?|number)|vendor\s+material(?:\s+(?:no\.?|number))?|"
    r"supplier\s+part(?:\s+(?:no\.?|number))?|ihre\s+mat(?:erial)?\.?\s*-?\s*(?:nr\.?|nummer)|"
    r"ihre\s+materialnummer|lieferantenmaterial(?:nummer)?)\s*:?\s*(?P<value>\S+)",
    re.IGNORECASE,
)
_DELIVERY_DATE = re.compile(
    rf"\b(?:delivery\s+date|deliver\s+by|liefertermin|lieferdatum)\b\s*:?\s*"
    rf"(?:(?:day|tag)\s+)?({_DATE})",
    re.IGNORECASE,
)
_CONTINUATION_STOP = re.compile(
    rf"^(?:(?:page|seite)\s+\d+|{_TOTAL_LABEL.pattern}|item\b|pos\b\.?)", re.IGNORECASE
)
_MATERIAL_CODE = re.compile(r"[A-Za-z0-9][\w\-./]*\d[\w\-./]*|\d[\w\-./]*")


def compile_po_pattern(pattern):
    """A per-connection PO number pattern, compiled case-insensitively and multi-line. The PO
    number is its group ``po``, else its first group, else the whole match.

    :raises ValueError: not a valid regular expression
    """
    try:
        return re.compile(pattern, re.IGNORECASE | re.MULTILINE)
    except re.error as exc:
        raise ValueError(f"The PO number pattern {pattern!r} is not valid: {exc}") from None


def normalize_pdf_text(text):
    """Text extracted from a PDF, made regular: compatibility characters folded (ligatures,
    non-breaking spaces), soft hyphens dropped, letter-spaced words joined ('B e s t e l l u n g'),
    runs of spaces collapsed, one line per line."""
    text = unicodedata.normalize("NFKC", text or "")[:MAX_PDF_TEXT].translate(_INVISIBLE)
    text = re.sub(r"\r\n?|\f|\v", "\n", text).replace("\t", " ")
    lines = []
    for line in text.split("\n"):
        line = _LETTER_SPACED.sub(lambda m: m.group().replace(" ", ""), line)
        lines.append(re.sub(r" {2,}", " ", line).strip())
    return "\n".join(lines)


def slash_date_order(text):
    """'dmy' or 'mdy' when the text's slashed dates show one order (a day above 12 in the
    first or the second place, never both), else None."""
    orders = set()
    for match in re.finditer(
        r"(?<![\d/])(\d{1,2})/(\d{1,2})/(?:\d{4}|\d{2})(?![\d/])", text or ""
    ):
        first, second = int(match.group(1)), int(match.group(2))
        if first > 12 >= second:
            orders.add("dmy")
        elif second > 12 >= first:
            orders.add("mdy")
    return orders.pop() if len(orders) == 1 else None


def parse_text_date(value, slash_order=None):
    """A date as printed (28.03.2024, 2024-03-28, 03/28/2024, 28/03/2024) as a naive datetime;
    None when unreadable. Slashed dates whose day and month cannot be told apart (03/04/2024)
    follow ``slash_order`` ('dmy' or 'mdy', see ``slash_date_order``), else give None."""
    value = (value or "").strip().replace(" ", "")
    if match := re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value):
        year, month, day = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})", value):
        day, month, year = map(int, match.groups())
    elif match := re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})", value):
        first, second, year = map(int, match.groups())
        if first > 12 >= second or (first <= 12 and second <= 12 and slash_order == "dmy"):
            day, month = first, second
        elif second > 12 >= first or (first <= 12 and second <= 12 and slash_order == "mdy"):
            month, day = first, second
        elif first == second:
            day = month = first
        else:
            return None
    else:
        return None
    if year < 100:
        year += 2000
    try:
        return datetime(year, month, day)
    except ValueError:
        return None


def _decimal_comma(text):
    """True when the document writes decimals with a comma (1.250,00), judged by its amounts."""
    text = _DATE_RE.sub(" ", text)
    commas = len(re.findall(r"\d,\d{2}(?!\d)", text))
    points = len(re.findall(r"\d\.\d{2}(?!\d)", text))
    return commas > points


def _pdf_number(value, decimal_comma):
    value = value.strip().replace(" ", "").replace("'", "")
    negative = value.endswith("-")
    value = value.rstrip("-")
    value = value.replace(".", "").replace(",", ".") if decimal_comma else value.replace(",", "")
    try:
        number = Decimal(value)
    except InvalidOperation:
        return None
    if not number.is_finite() or (number and number.adjusted() >= MAX_NUMBER_DIGITS):
        return None
    return -number if negative else number


def _line_start(text, position):
    return text.rfind("\n", 0, position) + 1


def _foreign_context(text, position):
    """True when the number at ``position`` is a phone number or follows another label on its
    line (customer number, fax, IBAN...)."""
    before = text[max(_line_start(text, position), position - 40) : position]
    return bool(_FOREIGN_LABEL.search(before) or _PHONE_BEFORE.search(before))


def _clean_po_token(token):
    token = re.sub(rf"/\s*{_DATE}.*$", "", token)
    return token.rstrip(".,;:/-_")


def _po_candidates(text, quotation_re):
    """``[(score, position, po number, end)]``: after a strong label 3 (the SAP print's
    'Purchase order no./Date', 'Bestellnummer'), after 'PO' 2, a number near a strong label 1,
    a lone SAP-like number (45xxxxxxxx) 0.5; SAP-like numbers get half a point more."""
    candidates = []

    def add(score, position, value, end):
        if _SAP_LIKE.fullmatch(value):
            score += 0.5
        candidates.append((score, position, value, end))

    for label in _PO_LABEL.finditer(text):
        before = text[max(_line_start(text, label.start()), label.start() - 15) : label.start()]
        if _NOT_OURS_BEFORE_LABEL.search(before):
            continue
        token_match = _PO_TOKEN.match(text, label.end())
        token = _clean_po_token(token_match.group(1)) if token_match else ""
        if (
            3 <= len(token) <= 35
            and sum(c.isdigit() for c in token) >= 3
            and token.strip("0")
            and not _DATE_RE.fullmatch(token)
            and not quotation_re.fullmatch(token)
        ):
            start = token_match.start(1)
            add(3 if label.group("strong") else 2, start, token, start + len(token))
            continue
        if label.group("strong"):
            window_end = label.end() + 160
            for match in _PO_NEARBY.finditer(text, label.end(), window_end):
                if not _foreign_context(text, match.start()):
                    add(1, match.start(), match.group(1), match.end())
                    break
    numbers = {
        m.group(1): m for m in _SAP_PO.finditer(text) if not _foreign_context(text, m.start())
    }
    if len(numbers) == 1:
        match = next(iter(numbers.values()))
        add(0.5, match.start(), match.group(1), match.end())
    return candidates


def _find_po_number(text, po_pattern, quotation_re):
    """``(po number, end position)``, or ``('', None)``."""
    if po_pattern:
        regex = (
            po_pattern if isinstance(po_pattern, re.Pattern) else compile_po_pattern(po_pattern)
        )
        for match in regex.finditer(text):
            group = "po" if "po" in regex.groupindex else 1 if regex.groups else 0
            value = (match.group(group) or "").strip()
            if value:
                return value, match.end(group)
        return "", None
    candidates = _po_candidates(text, quotation_re)
    if not candidates:
        return "", None
    _score, _position, value, end = max(candidates, key=lambda c: (c[0], -c[1]))
    return value, end


def _find_order_date(text, po_end, slash_order):
    if po_end is not None:
        match = _ORDER_DATE_AFTER_PO.match(text, po_end)
        if match and parse_text_date(match.group(1), slash_order):
            return parse_text_date(match.group(1), slash_order)
    for match in _ORDER_DATE_LABEL.finditer(text):
        before = text[max(0, match.start() - 12) : match.start()].lower()
        if "deliver" in before or "liefer" in before:
            continue
        value = parse_text_date(match.group(1), slash_order)
        if value:
            return value
    return None


def _find_currency(text):
    label = _CURRENCY_LABEL.search(text)
    if label:
        return label.group(1)
    codes = Counter(_CURRENCY_CODES.findall(text))
    if codes:
        return codes.most_common(1)[0][0]
    for symbol, code in _CURRENCY_SYMBOLS.items():
        if symbol in text:
            return code
    return ""


def _find_total(lines, decimal_comma, currency):
    for line in reversed(lines):
        if _TOTAL_LABEL.search(line):
            amounts = _AMOUNT_RE.findall(line)
            if amounts:
                amount = _pdf_number(amounts[-1], decimal_comma)
                if amount is not None:
                    return Money(amount, currency)
    return None


def _table_rows(lines):
    """``[(row match, index of its last line)]``: one-line rows (position ... quantity unit
    price [per n unit] [net value]) and rows whose figures are on the next line."""
    rows = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if len(line) <= _MAX_ROW_LENGTH:
            match = _ROW.fullmatch(line)
            if match:
                rows.append((match.groupdict(), index, index))
                index += 1
                continue
            head = _ROW_HEAD.fullmatch(line)
            following = lines[index + 1] if index + 1 < len(lines) else ""
            tail = _ROW_TAIL.fullmatch(following) if len(following) <= _MAX_ROW_LENGTH else None
            if head and tail:
                rows.append(({**head.groupdict(), **tail.groupdict()}, index, index + 1))
                index += 2
                continue
        index += 1
    return rows


def _read_lines(lines, refs, decimal_comma, slash_order, currency, single_quotation):
    rows = _table_rows(lines)
    items = []
    for n, (row, first, last) in enumerate(rows):
        next_first = rows[n + 1][1] if n + 1 < len(rows) else len(lines)
        continuation = []
        for line in lines[last + 1 : min(next_first, last + 9)]:
            if _CONTINUATION_STOP.match(line):
                break
            if line:
                continuation.append(line)
        quantity = _pdf_number(row["qty"], decimal_comma)
        price = _pdf_number(row["price"], decimal_comma)
        if quantity is None or price is None:
            continue
        per = int(row["per"]) if row.get("per") else 1
        head = row["head"].strip()
        first_word, _sep, rest = head.partition(" ")
        if _MATERIAL_CODE.fullmatch(first_word) and not (
            refs.quotation_re.fullmatch(first_word) or refs.lines([first_word])
        ):
            material, description = first_word, rest.strip()
        else:
            material, description = "", head
        supplier_part, delivery_date = "", None
        for line in continuation:
            if found := _SUPPLIER_MATERIAL.search(line):
                supplier_part = supplier_part or found.group("value").rstrip(".,;")
            elif found := _DELIVERY_DATE.search(line):
                delivery_date = delivery_date or parse_text_date(found.group(1), slash_order)
            elif not description and not refs.lines([line]) and not refs.quotations([line]):
                description = line
        row_texts = [" ".join(lines[first : last + 1]), *continuation]
        line_refs = refs.lines(row_texts)
        items.append(
            Item(
                quantity=quantity,
                supplier_part_id=supplier_part or material,
                unit_price=Money(
                    _divide(price, per), row.get("cur1") or row.get("cur2") or currency
                ),
                line_number=int(row["pos"]),
                supplier_part_auxiliary_id=line_refs[0] if line_refs else single_quotation,
                buyer_part_id=material if supplier_part else "",
                description=description,
                unit_of_measure=unit_to_unece(row["unit"]),
                requested_delivery_date=delivery_date,
            )
        )
    return items


def _unique(values):
    return list(dict.fromkeys(values))


def find_pdf_references(text, po_pattern=None, quotation_pattern=DEFAULT_QUOTATION_PATTERN):
    """Our references, the buyer's PO number and, where a line table can be read, the lines of
    the text of a PDF purchase order.

    ``po_pattern`` (a regex, or compiled by ``compile_po_pattern``) replaces the default PO
    number search, which fits SAP's standard PO print in English and German ('Purchase order
    no./Date 4500012345 / 28.03.2024', 'Bestellnummer', 'Bestell-Nr.', 'PO number: ...') and
    takes neither dates, phone numbers nor numbers behind other labels (customer number, fax).
    ``quotation_pattern`` matches our quotation names (``S00042``). The text is first made
    regular by ``normalize_pdf_text``; a custom PO pattern sees that text.
    """
    text = normalize_pdf_text(text)
    refs = _References(quotation_pattern)
    po_number, po_end = _find_po_number(text, po_pattern, refs.quotation_re)
    lines = text.split("\n")
    quotation_refs = _unique(m.group() for m in refs.quotation_re.finditer(text))
    line_refs = _unique(refs.lines([text]))
    currency = _find_currency(text)
    decimal_comma = _decimal_comma(text)
    single_quotation = quotation_refs[0] if len(quotation_refs) == 1 else ""
    slash_order = slash_date_order(text)
    return PdfReferences(
        po_number=po_number,
        quotation_refs=quotation_refs,
        line_refs=line_refs,
        lines=_read_lines(lines, refs, decimal_comma, slash_order, currency, single_quotation),
        currency=currency,
        order_date=_find_order_date(text, po_end, slash_order),
        total=_find_total(lines, decimal_comma, currency),
    )
