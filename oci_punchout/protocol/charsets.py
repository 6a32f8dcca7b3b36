"""Charsets a browser can be told to use: the WHATWG Encoding Standard's encodings and labels.

A page must declare an encoding the browser knows under that exact label, otherwise the browser
decodes it as windows-1252 and bytes of another encoding can turn into quotes and tags (a stateful
encoding such as ISO-2022-JP lets buyer-chosen text break out of an attribute). Only encodings
that encode ASCII as ASCII are listed; left out on purpose: ISO-2022-JP (stateful), UTF-16BE/LE
(ASCII is two bytes), "replacement" (decodes to U+FFFD only) and x-user-defined (no Python codec).
See https://encoding.spec.whatwg.org/#names-and-labels.
"""

import codecs
import unicodedata

# WHATWG encoding name -> (Python codec, labels). The name is what a page declares.
WHATWG_ENCODINGS = {
    "UTF-8": (
        "utf-8",
        (
            "unicode-1-1-utf-8",
            "unicode11utf8",
            "unicode20utf8",
            "utf-8",
            "utf8",
            "x-unicode20utf8",
        ),
    ),
    "IBM866": ("cp866", ("866", "cp866", "csibm866", "ibm866")),
    "ISO-8859-2": (
        "iso8859-2",
        (
            "csisolatin2",
            "iso-8859-2",
            "iso-ir-101",
            "iso8859-2",
            "iso88592",
            "iso_8859-2",
            "iso_8859-2:1987",
            "l2",
            "latin2",
        ),
    ),
    "ISO-8859-3": (
        "iso8859-3",
        (
            "csisolatin3",
            "iso-8859-3",
            "iso-ir-109",
            "iso8859-3",
            "iso88593",
            "iso_8859-3",
            "iso_8859-3:1988",
            "l3",
            "latin3",
        ),
    ),
    "ISO-8859-4": (
        "iso8859-4",
        (
            "csisolatin4",
            "iso-8859-4",
            "iso-ir-110",
            "iso8859-4",
            "iso88594",
            "iso_8859-4",
            "iso_8859-4:1988",
            "l4",
            "latin4",
        ),
    ),
    "ISO-8859-5": (
        "iso8859-5",
        (
            "csisolatincyrillic",
            "cyrillic",
            "iso-8859-5",
            "iso-ir-144",
            "iso8859-5",
            "iso88595",
            "iso_8859-5",
            "iso_8859-5:1988",
        ),
    ),
    "ISO-8859-6": (
        "iso8859-6",
        (
            "arabic",
            "asmo-708",
            "csiso88596e",
            "csiso88596i",
            "csisolatinarabic",
            "ecma-114",
            "iso-8859-6",
            "iso-8859-6-e",
            "iso-8859-6-i",
            "iso-ir-127",
            "iso8859-6",
            "iso88596",
            "iso_8859-6",
            "iso_8859-6:1987",
        ),
    ),
    "ISO-8859-7": (
        "iso8859-7",
        (
            "csisolatingreek",
            "ecma-118",
            "elot_928",
            "greek",
            "greek8",
            "iso-8859-7",
            "iso-ir-126",
            "iso8859-7",
            "iso88597",
            "iso_8859-7",
            "iso_8859-7:1987",
            "sun_eu_greek",
        ),
    ),
    "ISO-8859-8": (
        "iso8859-8",
        (
            "csiso88598e",
            "csisolatinhebrew",
            "hebrew",
            "iso-8859-8",
            "iso-8859-8-e",
            "iso-ir-138",
            "iso8859-8",
            "iso88598",
            "iso_8859-8",
            "iso_8859-8:1988",
            "visual",
        ),
    ),
    "ISO-8859-8-I": ("iso8859-8", ("csiso88598i", "iso-8859-8-i", "logical")),
    "ISO-8859-10": (
        "iso8859-10",
        ("csisolatin6", "iso-8859-10", "iso-ir-157", "iso8859-10", "iso885910", "l6", "latin6"),
    ),
    "ISO-8859-13": ("iso8859-13", ("iso-8859-13", "iso8859-13", "iso885913")),
    "ISO-8859-14": ("iso8859-14", ("iso-8859-14", "iso8859-14", "iso885914")),
    "ISO-8859-15": (
        "iso8859-15",
        ("csisolatin9", "iso-8859-15", "iso8859-15", "iso885915", "iso_8859-15", "l9"),
    ),
    "ISO-8859-16": ("iso8859-16", ("iso-8859-16",)),
    "KOI8-R": ("koi8-r", ("cskoi8r", "koi", "koi8", "koi8-r", "koi8_r")),
    "KOI8-U": ("koi8-u", ("koi8-ru", "koi8-u")),
    "macintosh": ("mac-roman", ("csmacintosh", "mac", "macintosh", "x-mac-roman")),
    "windows-874": (
        "cp874",
        ("dos-874", "iso-8859-11", "iso8859-11", "iso885911", "tis-620", "windows-874"),
    ),
    "windows-1250": ("cp1250", ("cp1250", "windows-1250", "x-cp1250")),
    "windows-1251": ("cp1251", ("cp1251", "windows-1251", "x-cp1251")),
    # Browsers decode ISO-8859-1 and US-ASCII pages as windows-1252, and post forms in it.
    "windows-1252": (
        "cp1252",
        (
            "ansi_x3.4-1968",
            "ascii",
            "cp1252",
            "cp819",
            "csisolatin1",
            "ibm819",
            "iso-8859-1",
            "iso-ir-100",
            "iso8859-1",
            "iso88591",
            "iso_8859-1",
            "iso_8859-1:1987",
            "l1",
            "latin1",
            "us-ascii",
            "windows-1252",
            "x-cp1252",
        ),
    ),
    "windows-1253": ("cp1253", ("cp1253", "windows-1253", "x-cp1253")),
    "windows-1254": (
        "cp1254",
        (
            "cp1254",
            "csisolatin5",
            "iso-8859-9",
            "iso-ir-148",
            "iso8859-9",
            "iso88599",
            "iso_8859-9",
            "iso_8859-9:1989",
            "l5",
            "latin5",
            "windows-1254",
            "x-cp1254",
        ),
    ),
    "windows-1255": ("cp1255", ("cp1255", "windows-1255", "x-cp1255")),
    "windows-1256": ("cp1256", ("cp1256", "windows-1256", "x-cp1256")),
    "windows-1257": ("cp1257", ("cp1257", "windows-1257", "x-cp1257")),
    "windows-1258": ("cp1258", ("cp1258", "windows-1258", "x-cp1258")),
    "x-mac-cyrillic": ("mac-cyrillic", ("x-mac-cyrillic", "x-mac-ukrainian")),
    "GBK": (
        "gbk",
        (
            "chinese",
            "csgb2312",
            "csiso58gb231280",
            "gb2312",
            "gb_2312",
            "gb_2312-80",
            "gbk",
            "iso-ir-58",
            "x-gbk",
        ),
    ),
    "gb18030": ("gb18030", ("gb18030",)),
    "Big5": ("big5hkscs", ("big5", "big5-hkscs", "cn-big5", "csbig5", "x-x-big5")),
    "EUC-JP": ("euc_jp", ("cseucpkdfmtjapanese", "euc-jp", "x-euc-jp")),
    "Shift_JIS": (
        "cp932",
        (
            "csshiftjis",
            "ms932",
            "ms_kanji",
            "shift-jis",
            "shift_jis",
            "sjis",
            "windows-31j",
            "x-sjis",
        ),
    ),
    "EUC-KR": (
        "cp949",
        (
            "cseuckr",
            "csksc56011987",
            "euc-kr",
            "iso-ir-149",
            "korean",
            "ks_c_5601-1987",
            "ks_c_5601-1989",
            "ksc5601",
            "ksc_5601",
            "windows-949",
        ),
    ),
}

# WHATWG labels whose encodings are refused (not ASCII-compatible, stateful or without a codec).
REFUSED_LABELS = (
    "csiso2022jp",
    "iso-2022-jp",
    "csiso2022kr",
    "hz-gb-2312",
    "iso-2022-cn",
    "iso-2022-cn-ext",
    "iso-2022-kr",
    "replacement",
    "unicodefffe",
    "utf-16be",
    "csunicode",
    "iso-10646-ucs-2",
    "ucs-2",
    "unicode",
    "unicodefeff",
    "utf-16",
    "utf-16le",
    "x-user-defined",
)

# Codecs a buyer's label may name that the browser's encoding is a superset of: the page is
# encoded in the buyer's codec (what it cannot hold transliterated) and the browser posts the same
# bytes back, so an ISO-8859-1 system never receives windows-1252's extra characters.
SUBSET_CODECS = {"windows-1252": ("iso8859-1", "ascii"), "windows-1254": ("iso8859-9",)}

_BY_LABEL = {
    label: name for name, (_codec, labels) in WHATWG_ENCODINGS.items() for label in labels
}
# The Python codec names this module hands out (stored on sessions) are accepted back.
_BY_CODEC = {
    codecs.lookup(codec).name: name for name, (codec, _labels) in WHATWG_ENCODINGS.items()
}
# ISO-8859-8 and ISO-8859-8-I share a codec: the codec name means the visual one.
_BY_CODEC[codecs.lookup("iso8859-8").name] = "ISO-8859-8"
_BY_CODEC.update(
    {codec: name for name, subset_codecs in SUBSET_CODECS.items() for codec in subset_codecs}
)


def whatwg_encoding(label):
    """The WHATWG encoding name for a label (or one of our Python codec names), else None.

    Labels are matched as browsers match them: ASCII whitespace stripped, case ignored.
    """
    label = (label or "").strip("\t\n\f\r ").lower()
    return _BY_LABEL.get(label) or _BY_CODEC.get(label)


def python_codec(label):
    """The Python codec to encode a page in for a label ``whatwg_encoding`` knows."""
    encoding = whatwg_encoding(label)
    try:
        codec = codecs.lookup(label.strip("\t\n\f\r ")).name
    except LookupError:
        codec = None
    if codec in SUBSET_CODECS.get(encoding, ()):
        return codec
    return codecs.lookup(WHATWG_ENCODINGS[encoding][0]).name


# Characters a single-byte charset cannot hold, written readably instead of as '?' (OCI carts of
# buyers whose SAP system runs in ISO-8859-1 and the like). Used only for what the charset lacks.
TRANSLITERATIONS = {
    "\u20ac": "EUR",
    "\u00a3": "GBP",
    "\u00a5": "JPY",
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": ",",
    "\u201b": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2039": "<",
    "\u203a": ">",
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u2026": "...",
    "\u2022": "*",
    "\u00b7": ".",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u00d7": "x",
    "\u00f7": "/",
    "\u2122": "(TM)",
    "\u00a9": "(C)",
    "\u00ae": "(R)",
    "\u00b0": "deg",
    "\u00b5": "u",
    "\u00df": "ss",
    "\u00c6": "AE",
    "\u00e6": "ae",
    "\u0152": "OE",
    "\u0153": "oe",
    "\u00d8": "O",
    "\u00f8": "o",
    "\u0141": "L",
    "\u0142": "l",
    "\u0110": "D",
    "\u0111": "d",
    "\u00d0": "D",
    "\u00f0": "d",
    "\u00de": "Th",
    "\u00fe": "th",
}
TRANSLITERATE = "oci-transliterate"


def _transliterated(char):
    """ASCII for one character: from the table, else its base letter (accents dropped), else
    '?'. ASCII, so that every charset listed here holds it."""
    text = TRANSLITERATIONS.get(char)
    if text is None:
        decomposed = unicodedata.normalize("NFKD", char)
        text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return text if text and text.isascii() else "?"


def _transliterate_error(exc):
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    return "".join(_transliterated(c) for c in exc.object[exc.start : exc.end]), exc.end


codecs.register_error(TRANSLITERATE, _transliterate_error)


def transliterate(text, codec):
    """``text`` as ``codec`` holds it: what the codec lacks transliterated readably (the euro
    sign as EUR, typographic quotes and dashes as ASCII, accented letters as their base letter),
    '?' only where nothing fits."""
    return text.encode(codec, errors=TRANSLITERATE).decode(codec)
