"""PDF purchase orders read within bounds (protocol/pdf.py); pytest, no Odoo.

The hostile PDFs are written by hand (testdata.make_pdf).
"""

import time
import zlib

import pytest
from protocol.errors import HostileDocument, MalformedDocument, PayloadTooLarge
from protocol.pdf import MAX_STREAM_BYTES, read_pdf
from testdata import deflated_zeros, make_pdf

TEXT = b"BT /F1 12 Tf 72 720 Td (Purchase order PO-4711 for S00042) Tj ET"


def test_text_and_embedded_xml_are_read():
    order = '<?xml version="1.0" encoding="UTF-16"?><Order>Größe</Order>'.encode("utf-16")
    data = make_pdf([(b"", TEXT)], embedded=(b"order.xml", order))
    content = read_pdf(data)
    assert "PO-4711" in content.text
    assert content.xml_attachments == [("order.xml", order)]


def test_compressed_text_is_read():
    data = make_pdf([(b"/Filter /FlateDecode", zlib.compress(TEXT))])
    assert "PO-4711" in read_pdf(data).text


def test_a_stream_inflating_beyond_the_limit_is_refused():
    bomb = deflated_zeros(MAX_STREAM_BYTES * 4)
    assert len(bomb) < 100_000
    start = time.monotonic()
    with pytest.raises(HostileDocument) as info:
        read_pdf(make_pdf([(b"/Filter /FlateDecode", bomb)]))
    assert "inflates" in info.value.message
    assert time.monotonic() - start < 20


def test_an_embedded_file_inflating_beyond_the_limit_is_refused():
    bomb = deflated_zeros(MAX_STREAM_BYTES * 2)
    data = make_pdf([(b"", TEXT)], embedded=(b"order.xml", bomb, b"/Filter /FlateDecode"))
    with pytest.raises(HostileDocument) as info:
        read_pdf(data)
    assert "inflates" in info.value.message


def test_many_streams_within_the_limit_each_hit_the_memory_limit():
    # One 15 MB stream shown 30 times: 450 MB when the page's contents are joined.
    stream = (b"/Filter /FlateDecode", deflated_zeros(15 * 1024 * 1024))
    data = make_pdf([stream] * 30)
    assert len(data) < 1_000_000
    with pytest.raises(HostileDocument) as info:
        read_pdf(data, memory_bytes=256 * 1024 * 1024)
    assert "memory" in info.value.message


def test_too_many_pages_are_refused():
    with pytest.raises(MalformedDocument) as info:
        read_pdf(make_pdf([(b"", TEXT)], pages=51))
    assert "51 pages" in info.value.message
    assert "PO-4711" in read_pdf(make_pdf([(b"", TEXT)], pages=50)).text


def test_size_limit():
    data = make_pdf([(b"", TEXT)])
    with pytest.raises(PayloadTooLarge):
        read_pdf(data, max_bytes=len(data) - 1)


def test_time_limit():
    with pytest.raises(HostileDocument) as info:
        read_pdf(make_pdf([(b"", TEXT)]), timeout=0.01)
    assert "seconds" in info.value.message


@pytest.mark.parametrize("data", [b"%PDF-1.7\nnothing else", b"not a pdf"])
def test_unreadable_pdfs(data):
    with pytest.raises(MalformedDocument) as info:
        read_pdf(data)
    assert "not a readable PDF" in info.value.message
