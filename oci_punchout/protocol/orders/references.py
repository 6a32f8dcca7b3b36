"""Our references in a buyer's order: quotation names (``S00042``) and quotation lines
(``S00042/123``) found in structured fields and in free text.
"""

import re

from .common import DEFAULT_QUOTATION_PATTERN


def compile_quotation_pattern(pattern=DEFAULT_QUOTATION_PATTERN):
    """``(quotation regex, line reference regex)`` for a pattern of our quotation names.

    :raises ValueError: not a valid regular expression
    """
    pattern = pattern or DEFAULT_QUOTATION_PATTERN
    try:
        quotation = re.compile(rf"(?<!\w)(?:{pattern})(?!\w)", re.IGNORECASE)
        line = re.compile(
            rf"(?<!\w)(?P<quotation>{pattern})"
            r"(?:[ \t]*/[ \t]*|[ \t]*[,;]?[ \t]*(?:item|line|pos\.?|position|posten|zeile)[ \t]*"
            r"(?:no\.?|nr\.?)?[ \t]*[:#]?[ \t]*)"
            r"(?P<line>\d{1,10})(?!\d|[.,/]\d|\w)",
            re.IGNORECASE,
        )
    except re.error as exc:
        raise ValueError(f"The quotation pattern {pattern!r} is not valid: {exc}") from None
    return quotation, line


def _line_id(value):
    value = (value or "").strip()
    return str(int(value)) if value.isdigit() else value


def _reference(quotation, line=""):
    quotation, line = (quotation or "").strip(), _line_id(line)
    return f"{quotation}/{line}" if quotation and line else quotation


class _References:
    """Finds our quotation and quotation-line references in structured fields and free text."""

    def __init__(self, pattern):
        self.quotation_re, self.line_re = compile_quotation_pattern(pattern)

    def quotations(self, texts):
        return [m.group() for text in texts if text for m in self.quotation_re.finditer(text)]

    def lines(self, texts):
        return [
            _reference(m.group("quotation"), m.group("line"))
            for text in texts
            if text
            for m in self.line_re.finditer(text)
        ]

    def choose(self, structured, texts=()):
        """The header's quotation: a structured value that looks like ours, else the first
        structured value, else one found in ``texts``."""
        structured = [v for v in structured if v]
        for value in structured:
            if self.quotation_re.fullmatch(value):
                return value
        if structured:
            return structured[0]
        found = self.quotations(texts)
        return found[0] if found else ""

    def auxiliary_id(self, header_quotation, line_quotation="", line_id="", texts=()):
        """``'<quotation>/<line>'`` or ``'<quotation>'`` for one order line, from (best first):
        a structured line reference, a structured value already in that form, a reference
        found in the line's texts, a quotation alone."""
        quotation = line_quotation or header_quotation
        if _line_id(line_id) and quotation:
            return _reference(quotation, line_id)
        if re.search(r"/\d+$", line_quotation or ""):
            return line_quotation
        found = self.lines(texts)
        if found:
            return found[0]
        return quotation or next(iter(self.quotations(texts)), "")
