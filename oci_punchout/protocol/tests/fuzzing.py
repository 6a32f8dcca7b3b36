"""Fuzz targets: every parser of the protocol package that reads what a stranger sends.

Each target takes one generated input and either returns or raises a ``PunchoutProtocolError``
(which the endpoints answer as a clear error); anything else, or an input that takes longer than
``TIME_BOUND`` seconds, is a finding. Inputs are the shared samples and the test documents,
mutated at byte level (flips, splices, truncation, tokens that XML parsers find hard, other
encodings) and at element level (an element's text replaced), plus plain random bytes.

Used by ``test_fuzz.py`` (a small seeded run in ``make test``) and by ``scripts/stress.py``
(``make stress``: at least 100,000 inputs per target, in child processes with a memory limit).
"""

import base64
import resource
import signal
import time
import urllib.parse
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from lxml import etree
from protocol import catalog, cxml, mail, oci, orders, pdf, s4
from protocol.errors import HostileDocument, PunchoutProtocolError
from testdata import CXML_SAMPLES, TESTDATA, make_pdf

# Seconds one input may take (the largest seed is a few kilobytes; the size limits of the
# parsers keep every input small).
TIME_BOUND = 2.0

XML_TOKENS = [
    b"<",
    b"</",
    b">",
    b"/>",
    b"&",
    b"&amp;",
    b"&lt;",
    b"&#0;",
    b"&#x110000;",
    b"&#xFFFE;",
    b"&undefined;",
    b"<![CDATA[",
    b"]]>",
    b"<!--",
    b"-->",
    b"<?pi x?>",
    b'<!DOCTYPE cXML [<!ENTITY e "xxxxxxxxxx">]>',
    b'<!DOCTYPE x SYSTEM "http://127.0.0.1/x.dtd">',
    b'<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;',
    b'<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" href="/etc/passwd"/>',
    b'<?xml version="1.0" encoding="UTF-16"?>',
    b'<?xml version="1.1" encoding="ISO-2022-JP"?>',
    b'xmlns="urn:x"',
    b'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"',
    b'payloadID="',
    b'operation="',
    b'quantity="',
    b"\x00",
    b"\xff\xfe",
    b"\xfe\xff",
    b"\xef\xbb\xbf",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"-1",
    b"0",
    b"1e308",
    b"NaN",
    b"Infinity",
    b"99999999999999999999999999999",
    b"0.0000000000000000000001",
    b"2024-02-30T25:61:00+99:00",
    b"9999-12-31",
    b"\xe2\x80\xae",
    b"%s%n",
    b"'\"><script>",
]
TEXT_VALUES = [
    "",
    " ",
    "-1",
    "0",
    "1,5",
    "1.000,50",
    "1e400",
    "NaN",
    "inf",
    "9" * 40,
    "2024-13-45",
    "x" * 300,
    "\x00",
    "\ud7ff",
    "\u202e",
    "<b>",
    "&amp;",
    "https://127.0.0.1/",
    "javascript:alert(1)",
]
ENCODINGS = ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "latin-1", "cp1252", "iso-8859-15"]


# --- seeds -----------------------------------------------------------------------------------


def _files(folder, pattern="*.xml"):
    return [path.read_bytes() for path in sorted(folder.glob(pattern))]


def cxml_seeds():
    """The shared cXML samples and documents this package builds (every kind it reads)."""
    import cxml_common

    seeds = _files(CXML_SAMPLES)
    seeds += [
        value
        for value in vars(cxml_common).values()
        if isinstance(value, bytes) and value.lstrip().startswith(b"<")
    ]
    return seeds


def oci_json_seeds():
    """DOWNLOADJSON pages as this package writes them: one item with quantity breaks, and an
    empty last page."""
    import io
    from decimal import Decimal

    item = catalog.catalog_item(
        oci.OciItem(
            description="Office chair, black mesh",
            quantity=Decimal(1),
            unit="PCE",
            price=Decimal("129.9"),
            currency="EUR",
            vendormat="CHAIR-1",
            ext_product_id="7",
            longtext="Ergonomic.",
        ),
        price_scales=[(Decimal(1), Decimal("129.9")), (Decimal(10), Decimal("119"))],
    )
    seeds = []
    for items, header in (
        ([item], {"TRANSACTIONID": "Zq3x_8kP-2vN0aLmT4bY", "REQUESTEDPAGE": 1, "PAGESIZE": 1}),
        ([], {"REQUESTEDPAGE": 1, "PAGESIZE": 100, "TOTALPAGES": 1, "TOTALITEMS": 0}),
    ):
        out = io.BytesIO()
        catalog.write_catalog_json(out, items, header)
        seeds.append(out.getvalue())
    return seeds


def s4_seeds():
    """SOAP envelopes of SAP's EDI channel: OrderRequests (SOAP 1.1 and 1.2, with a
    WS-Addressing id), a fault, a CreateSequence."""
    from decimal import Decimal

    order = s4.S4Order(
        purchase_order_id="4500000123",
        currency="EUR",
        buyer_id="1010",
        items=[
            s4.S4OrderItem(
                item_id=10,
                quantity=Decimal(5),
                unit="EA",
                seller_product_id="PEN-BLUE",
                net_price=Decimal("1800"),
                base_quantity=Decimal(100),
                delivery_date="2026-12-10",
                quotation_id="S00042",
                quotation_item_id="123",
            )
        ],
    )
    return [
        s4.build_order_request(order, "M1", "2026-12-05T09:30:00Z"),
        s4.build_order_request(
            order, "M2", "2026-12-05T09:30:00Z", version="1.2", wsa_message_id="urn:uuid:1"
        ),
        s4.build_fault("1.1", True, "Unknown product"),
        (
            f'<s:Envelope xmlns:s="{s4.SOAP12_NS}"><s:Body><r:CreateSequence '
            'xmlns:r="http://docs.oasis-open.org/ws-rx/wsrm/200702"/></s:Body></s:Envelope>'
        ).encode(),
    ]


def _s4_order_request(data):
    return s4.parse_order_request(s4.parse_envelope(data).body)


def _s4_document(data):
    return s4.read_document(s4.parse_envelope(data).body)


def order_seeds():
    """Purchase orders in every format read by e-mail: UBL, Peppol, openTRANS, IDoc, cXML."""
    import order_samples
    import order_samples_sap

    seeds = [(TESTDATA / "ubl-2.1" / "UBL-Order-2.1-Example.xml").read_bytes()]
    seeds.append(
        (TESTDATA / "einvoice-examples" / "peppol-bis3" / "sales-order-example.xml").read_bytes()
    )
    seeds += [
        value
        for module in (order_samples, order_samples_sap)
        for value in vars(module).values()
        if isinstance(value, bytes) and value.lstrip().startswith(b"<")
    ]
    return seeds + _files(CXML_SAMPLES, "*OrderRequest*.xml")


def pdf_text_seeds():
    import order_samples_sap

    return [
        value
        for name, value in vars(order_samples_sap).items()
        if name.startswith("PDF_TEXT") and isinstance(value, str)
    ]


# --- mutations -------------------------------------------------------------------------------


@st.composite
def mutated_bytes(draw, seeds):
    """A seed document with a few byte- and element-level mutations, or random bytes."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=512))
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(0, 6))):
        size = max(len(data), 1)
        kind = draw(st.integers(0, 9))
        at = draw(st.integers(0, size - 1))
        if kind == 0:
            data[at : at + 1] = bytes([draw(st.integers(0, 255))])
        elif kind == 1:
            data[at:at] = draw(st.sampled_from(XML_TOKENS))
        elif kind == 2:
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        elif kind == 3:
            del data[at : at + draw(st.integers(1, 64))]
        elif kind == 4:
            length = draw(st.integers(1, 256))
            data[at:at] = data[at : at + length] * draw(st.integers(1, 8))
        elif kind == 5:
            data = data[:at]
        elif kind == 6:
            data = bytearray(_replace_element_text(bytes(data), draw))
        elif kind == 7:
            data = bytearray(_reencode(bytes(data), draw(st.sampled_from(ENCODINGS))))
        elif kind == 8:
            other = draw(st.sampled_from(seeds))
            cut = draw(st.integers(0, max(len(other) - 1, 0)))
            data = data[:at] + other[cut:]
        else:
            data[at:at] = draw(st.sampled_from(XML_TOKENS)) * draw(st.integers(2, 64))
    return bytes(data)


def _replace_element_text(data, draw):
    try:
        root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return data
    elements = [element for element in root.iter() if isinstance(element.tag, str)]
    element = draw(st.sampled_from(elements))
    if element.attrib and draw(st.booleans()):
        name = draw(st.sampled_from(sorted(element.attrib)))
        element.set(name, _xml_safe(draw(st.sampled_from(TEXT_VALUES))))
    else:
        element.text = _xml_safe(
            draw(st.one_of(st.sampled_from(TEXT_VALUES), st.text(max_size=40)))
        )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _xml_safe(text):
    return "".join(char for char in text if char in "\t\n\r" or (" " <= char <= "\ud7ff"))


def _reencode(data, encoding):
    """The document in another encoding, its declaration saying so."""
    text = data.decode("utf-8", errors="replace")
    if text.startswith("<?xml"):
        text = text.split("?>", 1)[-1]
    declaration = f'<?xml version="1.0" encoding="{encoding.upper()}"?>'
    return (declaration + text).encode(encoding, errors="replace")


# --- OCI inputs ------------------------------------------------------------------------------

OCI_LOGIN_NAMES = [
    "USERNAME",
    "PASSWORD",
    "HOOK_URL",
    "~OkCode",
    "~TARGET",
    "~CALLER",
    "FUNCTION",
    "PRODUCTID",
    "QUANTITY",
    "SEARCHSTRING",
    "VENDOR",
    "http_content_charset",
    "returntarget",
    "username",
]
OCI_FUNCTIONS = [
    "",
    "DETAIL",
    "VALIDATE",
    "SOURCING",
    "BACKGROUND_SEARCH",
    "DETAILADD",
    "QUANTITYCHECK",
    "DOWNLOADJSON",
    "x",
]
# DOWNLOADJSON's paging parameters, with values of their shapes.
OCI_DOWNLOAD_NAMES = ["PAGESIZE", "REQUESTEDPAGE", "TRANSACTIONID", "LASTUPDATED", "pagesize"]
OCI_DOWNLOAD_VALUES = [
    "1",
    "100",
    "1000",
    "1001",
    "0",
    "-5",
    "Zq3x_8kP-2vN0aLmT4bY",
    "20261201083000",
    "20261201",
    "2026-12-01T09:30:00+01:00",
    "2026-12-01T09:30:00Z",
    "99991231235959",
]
CHARSETS = [
    "utf-8",
    "UTF8",
    "iso-8859-1",
    "latin1",
    "windows-1252",
    "ISO-2022-JP",
    "utf-16",
    "UTF-7",
    "idna",
    "rot13",
    "x-user-defined",
    "shift_jis",
    "",
    "\x00",
]
CART_FIELDS = [
    "DESCRIPTION",
    "MATNR",
    "QUANTITY",
    "UNIT",
    "PRICE",
    "PRICEUNIT",
    "CURRENCY",
    "LEADTIME",
    "VENDOR",
    "VENDORMAT",
    "MATGROUP",
    "EXT_PRODUCT_ID",
    "CUST_FIELD1",
    "LONGTEXT_1:132",
    "X",
]


def _fuzz_text():
    return st.one_of(st.sampled_from(TEXT_VALUES), st.text(max_size=80))


def oci_login_params():
    names = st.one_of(st.sampled_from(OCI_LOGIN_NAMES), st.text(max_size=20))
    values = st.one_of(
        _fuzz_text(),
        st.sampled_from(OCI_FUNCTIONS + CHARSETS),
        st.builds(lambda path: "https://buyer.example.com/sap/" + path, st.text(max_size=40)),
    )
    return st.dictionaries(names, st.one_of(values, st.lists(values, max_size=3)), max_size=24)


def oci_cart_pairs():
    index = st.one_of(st.integers(-2, 12).map(str), st.sampled_from(["", "01", "x", "9" * 30]))
    name = st.one_of(
        st.builds(lambda field, i: f"NEW_ITEM-{field}[{i}]", st.sampled_from(CART_FIELDS), index),
        st.text(max_size=20),
    )
    return st.lists(st.tuples(name, _fuzz_text()), max_size=60)


# --- targets ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    name: str
    call: Callable
    inputs: Callable  # () -> a hypothesis strategy
    time_bound: float = TIME_BOUND
    # Share of the inputs of a seeded run (make test) for the slow targets.
    test_share: float = 1.0
    # What the bound is measured with: wall-clock seconds, or the process's CPU seconds where
    # the real code's own bound is a CPU limit (a busy machine stretches wall time alone).
    clock: Callable = time.perf_counter
    # The real code, for the inputs the in-process emulation cannot bound: only what the
    # kernel enforces (the PDF reader child's CPU limit) stops a single long C call. Such an
    # input is read again by the real code, which must answer within ``real_bound`` seconds.
    real_call: Callable | None = None
    real_bound: float = 0.0


def pdf_seeds():
    """Small PDFs as the reader meets them: text, compressed text, several pages, an
    embedded XML order."""
    text = b"BT /F1 12 Tf 72 720 Td (Purchase order PO-4711 for S00042) Tj ET"
    order = b'<?xml version="1.0"?><Order><ID>PO-4711</ID></Order>'
    return [
        make_pdf([(b"", text)]),
        make_pdf([(b"/Filter /FlateDecode", zlib.compress(text))]),
        make_pdf([(b"", text)], pages=3),
        make_pdf([(b"", text)], embedded=(b"order.xml", order)),
    ]


class _CpuSecondsUsed(BaseException):  # not caught by the reader's own error handling
    pass


def _cpu_seconds_used(_signum, _frame):
    raise _CpuSecondsUsed


def _clear_cpu_timer():
    """Clear the CPU timer; a signal delivered just before runs its handler here, at the call
    after the clearing, and is dropped."""
    try:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.getitimer(signal.ITIMER_PROF)
    except _CpuSecondsUsed:
        pass


def read_pdf_in_process(data):
    """What the PDF reader's child process does with a PDF (``pdf.read_pdf`` runs it in a
    child with CPU, memory and time limits; here the parsing itself is fuzzed, under the same
    memory limit: without it one mutated PDF made PyPDF2 take 24 GB). A PDF that needs more
    than the child's CPU seconds is given up as the child's limit gives it up: HostileDocument.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    in_use = int(Path("/proc/self/statm").read_text().split()[0]) * resource.getpagesize()
    limit = in_use + pdf.CHILD_MEMORY_BYTES
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    previous = signal.signal(signal.SIGPROF, _cpu_seconds_used)
    try:
        # The one-shot timer's signal may land anywhere until the timer is cleared: in the
        # reader, between the reader and the clean-up (both given up as the child's limit gives
        # them up), or in the clean-up itself (then the reading had finished: its answer
        # stands). It can land only once.
        signal.setitimer(signal.ITIMER_PROF, pdf.CHILD_CPU_SECONDS)
        try:
            answer = pdf._read(data, pdf.MAX_PDF_PAGES)
        finally:
            _clear_cpu_timer()
    except _CpuSecondsUsed:
        raise HostileDocument(
            f"Reading the PDF needed more than {pdf.CHILD_CPU_SECONDS} CPU seconds."
        ) from None
    finally:
        signal.signal(signal.SIGPROF, previous)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))
    if not isinstance(answer, dict) or not {"text", "error", "too_large"} & set(answer):
        raise TypeError(f"unexpected answer {answer!r:.200}")
    return answer


FROM_VALUES = [
    "sap-orders@buyer.example",
    '"purchasing@buyer.example" <x@attacker.example>',
    "=?utf-8?q?purchasing=40buyer.example?= <x@attacker.example>",
    "purchasing@buyer.example <x@attacker.example>",
    "Buyer <a@buyer.example>, b@buyer.example",
    "<>",
    "(comment) a@b.example (another)",
]
AUTH_RESULTS = [
    "mx.supplier.example 1; spf=pass smtp.mailfrom=bounce@buyer.example",
    "mx.supplier.example; dkim=pass header.d=buyer.example header.s=sel; dmarc=pass "
    "header.from=buyer.example",
    "mx.supplier.example; dmarc=fail (p=reject) header.from=buyer.example",
    "other.example; dkim=pass header.d=buyer.example",
    "mx.supplier.example; ((nested (comment)) dkim=pass header.i=@buyer.example",
]


def _header_text(values):
    return st.one_of(
        st.sampled_from(values).flatmap(_mutated_text),
        st.text(max_size=200),
    )


def _encoded_form_value():
    @st.composite
    def strategy(draw):
        data = draw(mutated_bytes(cxml_seeds()))
        # The encoding is the connection's setting, not the sender's choice.
        encoding = draw(st.sampled_from(["base64", "urlencoded"]))
        text = draw(
            st.sampled_from(
                [
                    base64.b64encode(data).decode(),
                    urllib.parse.quote_from_bytes(data),
                    data.decode("latin-1"),
                    base64.b64encode(data).decode()[:-3] + "!",
                ]
            )
        )
        return text, encoding

    return strategy()


def _return_url():
    prefixes = st.lists(
        st.sampled_from(
            ["https://buyer.example.com/sap/", "https://*.example.com/", "", "http://x"]
        ),
        max_size=3,
    )
    url = st.one_of(
        _fuzz_text(),
        st.builds(lambda tail: "https://buyer.example.com/sap/" + tail, st.text(max_size=40)),
        st.sampled_from(
            [
                "https://buyer.example.com@evil.example/sap/",
                "https://buyer.example.com.evil.example/sap/",
                "https://buyer.example.com/sap/../../x",
                "https://[::1]/sap/",
                "https://xn--80ak6aa92e.com/",
                "https://\u0430pple.com/",
                "//buyer.example.com/sap/",
                "https://buyer.example.com:99999/sap/",
            ]
        ),
    )
    return st.tuples(url, prefixes, st.booleans())


TARGETS = {
    target.name: target
    for target in [
        Target("oci.parse_punch_in", oci.parse_punch_in, oci_login_params),
        Target(
            "catalog.parse_download_request",
            catalog.parse_download_request,
            lambda: st.dictionaries(
                st.one_of(st.sampled_from(OCI_DOWNLOAD_NAMES), st.text(max_size=20)),
                st.one_of(st.sampled_from(OCI_DOWNLOAD_VALUES), _fuzz_text()),
                max_size=8,
            ),
        ),
        Target(
            "catalog.validate_catalog_json",
            catalog.validate_catalog_json,
            lambda: mutated_bytes(oci_json_seeds()),
        ),
        Target("s4.parse_envelope", s4.parse_envelope, lambda: mutated_bytes(s4_seeds())),
        Target("s4.parse_order_request", _s4_order_request, lambda: mutated_bytes(s4_seeds())),
        Target("s4.read_document", _s4_document, lambda: mutated_bytes(s4_seeds())),
        Target("s4.parse_fault", s4.parse_fault, lambda: mutated_bytes(s4_seeds())),
        Target(
            "oci.normalize_charset",
            oci.normalize_charset,
            lambda: st.sampled_from(CHARSETS) | st.text(max_size=30),
        ),
        Target(
            "oci.check_return_url",
            lambda args: oci.check_return_url(args[0], args[1], allow_http=args[2]),
            _return_url,
        ),
        Target("oci.parse_cart_fields", oci.parse_cart_fields, oci_cart_pairs),
        Target(
            "oci.validate_cart_fields",
            lambda args: oci.validate_cart_fields(args[0], charset=args[1], raw_body=args[2]),
            lambda: st.tuples(
                oci_cart_pairs(), st.sampled_from(CHARSETS), st.binary(max_size=200)
            ),
        ),
        Target("cxml.parse_request", cxml.parse_request, lambda: mutated_bytes(cxml_seeds())),
        Target(
            "cxml.parse_punchout_order_message",
            cxml.parse_punchout_order_message,
            lambda: mutated_bytes(cxml_seeds()),
        ),
        Target("cxml.parse_response", cxml.parse_response, lambda: mutated_bytes(cxml_seeds())),
        Target(
            "cxml.parse_invoice_detail_request",
            cxml.parse_invoice_detail_request,
            lambda: mutated_bytes(cxml_seeds()),
        ),
        Target(
            "cxml.parse_ship_notice_request",
            cxml.parse_ship_notice_request,
            lambda: mutated_bytes(cxml_seeds()),
        ),
        Target(
            "cxml.decode_browser_form_value",
            lambda args: cxml.decode_browser_form_value(*args),
            _encoded_form_value,
        ),
        Target("cxml.redact_secrets", cxml.redact_secrets, lambda: mutated_bytes(cxml_seeds())),
        Target("cxml.payload_id_of", cxml.payload_id_of, lambda: mutated_bytes(cxml_seeds())),
        Target("orders.read_order", orders.read_order, lambda: mutated_bytes(order_seeds())),
        Target(
            "mail.sender_address",
            mail.sender_address,
            lambda: st.lists(_header_text(FROM_VALUES), min_size=1, max_size=2),
        ),
        Target(
            "mail.sender_verified",
            lambda args: mail.sender_verified(*args),
            lambda: st.tuples(
                st.lists(_header_text(AUTH_RESULTS), max_size=3),
                st.sampled_from(["sap-orders@buyer.example", "", "x@"]) | st.text(max_size=30),
                st.sampled_from(["mx.supplier.example", ""]),
            ),
        ),
        Target(
            "pdf.read (child process reader)",
            read_pdf_in_process,
            lambda: mutated_bytes(pdf_seeds()),
            # read_pdf's child gets 15 CPU seconds (the kernel's limit) and 30 s of wall clock
            # (the parent kills it). In-process the CPU limit is emulated with a CPU timer, so
            # the bound is checked in CPU seconds: one more for the timer's signal to land.
            time_bound=pdf.CHILD_CPU_SECONDS + 1,
            clock=time.process_time,
            # A long C call the CPU timer cannot interrupt (seen: 31 CPU s): the real reader,
            # whose child the kernel stops at 15 CPU s and the parent kills at 30 s.
            real_call=pdf.read_pdf,
            real_bound=pdf.TIMEOUT_SECONDS + 5,
            test_share=0.2,
        ),
        Target(
            "orders.find_pdf_references",
            orders.find_pdf_references,
            lambda: st.one_of(
                st.sampled_from(pdf_text_seeds()).flatmap(_mutated_text), st.text(max_size=400)
            ),
        ),
    ]
}


def _mutated_text(text):
    @st.composite
    def strategy(draw):
        result = text
        for _ in range(draw(st.integers(0, 6))):
            at = draw(st.integers(0, len(result)))
            insert = draw(st.one_of(st.sampled_from(TEXT_VALUES), st.text(max_size=20)))
            cut = draw(st.integers(0, 30))
            result = result[:at] + insert + result[at + cut :]
        return result

    return strategy()


def fuzz_settings(examples, **extra):
    """Hypothesis settings of a fuzz run: ``examples`` inputs, no example database, no
    deadline (``check`` holds the time bound), shrinking kept for a readable finding."""
    return settings(
        max_examples=examples,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
        **extra,
    )


class Finding(AssertionError):
    """An input the target answered with an unexpected exception, or too slowly."""


def check(target, value):
    """Run one input through ``target``: only a protocol error may come out, within the bound."""
    start = target.clock()
    try:
        target.call(value)
    except PunchoutProtocolError:
        pass
    except Exception as exc:
        raise Finding(
            f"{target.name}: {type(exc).__name__}: {exc} (input {_shown(value)})"
        ) from exc
    elapsed = target.clock() - start
    if elapsed > target.time_bound and target.real_call is not None:
        return _check_real(target, value)
    if elapsed > target.time_bound:
        cpu = " CPU" if target.clock is time.process_time else ""
        raise Finding(
            f"{target.name}: one input took {elapsed:.2f}{cpu} s (bound {target.time_bound} s, "
            f"input {_shown(value)})"
        )
    return elapsed


def _check_real(target, value):
    """``value`` read by the real code (``target.real_call``), bounded by ``real_bound``."""
    start = time.perf_counter()
    try:
        target.real_call(value)
    except PunchoutProtocolError:
        pass
    except Exception as exc:
        raise Finding(
            f"{target.name} (the real reader): {type(exc).__name__}: {exc} (input {_shown(value)})"
        ) from exc
    elapsed = time.perf_counter() - start
    if elapsed > target.real_bound:
        raise Finding(
            f"{target.name} (the real reader): one input took {elapsed:.2f} s (bound "
            f"{target.real_bound} s, input {_shown(value)})"
        )
    return elapsed


def _shown(value, limit=300):
    """The start of a failing input, for the report (the whole one may be megabytes)."""
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
