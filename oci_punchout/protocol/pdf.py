"""PDF purchase orders read within bounds: bytes, pages, decompressed bytes, memory and time.

A PDF is a container of compressed streams: ten megabytes can inflate to gigabytes (a PDF
bomb), and a page tree or a content stream can keep a parser busy for minutes. PyPDF2 decodes
every stream whole and has no limits of its own, so the PDF is read in a child Python process
that limits itself (address space, CPU seconds, each decompressed stream) and is killed after
a wall-clock timeout: whatever the PDF does, the worker that asked only waits, bounded.
"""

import base64
import io
import json
import os
import subprocess
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .errors import HostileDocument, MalformedDocument, PayloadTooLarge
from .xml import looks_like_xml

MAX_PDF_BYTES = 10 * 1024 * 1024
MAX_PDF_PAGES = 50
MAX_STREAM_BYTES = 16 * 1024 * 1024  # one decompressed stream
MAX_TEXT_CHARS = 2_000_000
CHILD_MEMORY_BYTES = 1024 * 1024 * 1024  # address space of the child process
CHILD_CPU_SECONDS = 15
TIMEOUT_SECONDS = 30

_PACKAGE_PARENT = Path(__file__).resolve().parents[1]


@dataclass
class PdfContent:
    text: str = ""
    # (file name, bytes) of the embedded files that look like XML (a ZUGFeRD-style order)
    xml_attachments: list[tuple[str, bytes]] = field(default_factory=list)


class _TooLarge(Exception):
    pass


def read_pdf(
    data,
    max_bytes=MAX_PDF_BYTES,
    max_pages=MAX_PDF_PAGES,
    timeout=TIMEOUT_SECONDS,
    memory_bytes=CHILD_MEMORY_BYTES,
):
    """The text and the embedded XML files of a PDF, read in a bounded child process.

    :raises PayloadTooLarge: more than ``max_bytes``
    :raises MalformedDocument: not a readable PDF, password-protected, more than ``max_pages``
    :raises HostileDocument: a stream inflates beyond the limit, or reading it needs more memory
        or time than allowed
    """
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"The PDF has {len(data)} bytes; at most {max_bytes} bytes are accepted."
        )
    request = {
        "pdf": base64.b64encode(data).decode("ascii"),
        "max_pages": max_pages,
        "memory_bytes": memory_bytes,
    }
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "protocol.pdf"],
            input=json.dumps(request).encode(),
            capture_output=True,
            timeout=timeout,
            cwd=_PACKAGE_PARENT,
            env={**os.environ, "PYTHONPATH": str(_PACKAGE_PARENT)},
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise HostileDocument(
            f"Reading the PDF took more than {timeout} seconds: it was given up."
        ) from None
    try:
        answer = json.loads(completed.stdout)
    except ValueError:
        # Killed by its limits (CPU seconds, memory) or crashed.
        raise HostileDocument(
            "Reading the PDF needed more memory or time than a purchase order may "
            f"(exit code {completed.returncode})."
        ) from None
    if "too_large" in answer:
        raise HostileDocument(answer["too_large"])
    if "error" in answer:
        raise MalformedDocument(answer["error"])
    return PdfContent(
        text=answer["text"],
        xml_attachments=[
            (name, base64.b64decode(content)) for name, content in answer["attachments"]
        ],
    )


# --- the child process -------------------------------------------------------------------------


def _limit_child(memory_bytes):
    import resource  # POSIX only, in the child only

    for limit, value in (
        (resource.RLIMIT_AS, memory_bytes),
        (resource.RLIMIT_CPU, CHILD_CPU_SECONDS),
    ):
        _soft, hard = resource.getrlimit(limit)
        if hard != resource.RLIM_INFINITY:
            value = min(value, hard)
        resource.setrlimit(limit, (value, hard))


def _bounded_decompress(data):
    """PyPDF2's ``filters.decompress`` (zlib, with its byte-by-byte fallback for damaged
    streams) that stops at MAX_STREAM_BYTES instead of inflating without end."""
    try:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        result = inflater.decompress(data, MAX_STREAM_BYTES + 1)
    except zlib.error:
        inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)
        parts, size = [], 0
        for index in range(len(data)):
            try:
                part = inflater.decompress(data[index : index + 1], MAX_STREAM_BYTES + 1 - size)
            except zlib.error:
                continue
            parts.append(part)
            size += len(part)
            if size > MAX_STREAM_BYTES:
                break
        result = b"".join(parts)
    if len(result) > MAX_STREAM_BYTES:
        raise _TooLarge(
            f"A stream of the PDF inflates to more than {MAX_STREAM_BYTES} bytes: refused."
        )
    return result


def _embedded_xml_files(reader):
    names = reader.trailer["/Root"].get("/Names", {}).get("/EmbeddedFiles", {}).get("/Names")
    files = []
    for spec in (names or [])[1::2]:
        spec = spec.get_object()
        content = spec["/EF"]["/F"].get_object().get_data()
        if looks_like_xml(content):
            files.append((str(spec.get("/F", "")), content))
    return files


def _read(data, max_pages):
    from PyPDF2 import PdfReader, filters  # the child only

    filters.decompress = _bounded_decompress  # this process reads one PDF, then ends
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            return {"error": "The PDF is password-protected: it cannot be read."}
        pages = len(reader.pages)
        if pages > max_pages:
            return {"error": f"The PDF has {pages} pages; a purchase order may have {max_pages}."}
        try:
            attachments = _embedded_xml_files(reader)
        except _TooLarge:
            raise
        except Exception:  # a damaged attachment tree: read the text instead
            attachments = []
        text, size = [], 0
        for page in reader.pages:
            page_text = page.extract_text() or ""
            text.append(page_text)
            size += len(page_text)
            if size > MAX_TEXT_CHARS:
                break
    except _TooLarge as exc:
        return {"too_large": str(exc)}
    except MemoryError:
        return {"too_large": "Reading the PDF needed more memory than a purchase order may."}
    except Exception as exc:  # PyPDF2 raises many kinds on broken files
        return {"error": f"This is not a readable PDF: {exc}"}
    return {
        "text": "\n".join(text)[:MAX_TEXT_CHARS],
        "attachments": [
            (name, base64.b64encode(content).decode("ascii")) for name, content in attachments
        ],
    }


def _serve(stdin, stdout):
    request = json.load(stdin)
    _limit_child(request["memory_bytes"])
    answer = _read(base64.b64decode(request["pdf"]), request["max_pages"])
    json.dump(answer, stdout)


if __name__ == "__main__":
    _serve(sys.stdin, sys.stdout)
