"""Title and main text of a captured payload, for search and for reading."""

from __future__ import annotations

import codecs
import json
import logging
import os
import re
import select
import signal
import threading
import time
from pathlib import Path

import lxml.html
import trafilatura
from trafilatura.metadata import examine_meta, extract_meta_json, extract_title
from w3lib.encoding import html_to_unicode

logger = logging.getLogger(__name__)

# Extraction reads at most this much of an HTML or text payload, so a huge page
# costs bounded memory and time; the WARC still holds the whole payload.
MAX_MARKUP_BYTES = 5 * 1024 * 1024
# The text kept for reading and search: enough for a long report, and a
# bound on what a capture holds in memory and writes to the database.
MAX_TEXT_CHARS = 1_000_000
# PDFs must be parsed whole, so larger ones are archived without text.
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 200

_SNIFF_BYTES = 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_INVISIBLE = ("script", "style", "noscript", "template", "head")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


# Parsing a large page takes a lot of memory (lxml and trafilatura: about
# 27 MiB per MB of markup), which CPython does not give back afterwards.
# Where this process is single-threaded (a Celery prefork child), extraction
# runs in a forked child that exits when done: the worker's memory stays flat
# whatever it archives, and a page that sends the parser astray costs a killed
# child, not a stuck worker.
EXTRACTION_TIMEOUT = 60.0
# A fork costs about 12 ms of CPU (mostly the kernel copying page tables and
# the pages the child writes to), as much as extracting a 100 kB article. A
# page up to this size is parsed in place: it costs the worker at most a few
# MiB, and a prefork child that grows anyway is replaced
# (CELERY_WORKER_MAX_MEMORY_PER_CHILD).
ISOLATE_ABOVE_BYTES = 512 * 1024


def extract_isolated(
    path: Path, content_type: str | None, timeout: float = EXTRACTION_TIMEOUT
) -> tuple[str, str]:
    """extract(), in a short-lived forked child where that is safe and the
    payload is large enough to be worth one."""
    if threading.active_count() > 1 or not hasattr(os, "fork"):
        # Forking a threaded process can deadlock the child (locks held by
        # other threads); the test suite's in-process workers are threaded.
        return extract(path, content_type)
    if path.stat().st_size <= ISOLATE_ABOVE_BYTES and not _is_pdf(path, content_type):
        # A PDF's cost is not its size: a few kB can hold pages that share one
        # content stream of megabytes, each taking seconds to parse.
        return extract(path, content_type)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        _extract_and_exit(path, content_type, write_end)
    os.close(write_end)
    return _receive(read_end, pid, timeout, path)


def _extract_and_exit(path: Path, content_type: str | None, write_end: int) -> None:
    status = 1
    try:
        result = json.dumps(extract(path, content_type), ensure_ascii=False).encode()
        with os.fdopen(write_end, "wb") as out:
            out.write(result)
        status = 0
    finally:
        os._exit(status)  # no cleanup: the parent's connections are not ours


def _is_pdf(path: Path, content_type: str | None) -> bool:
    with path.open("rb") as handle:
        return _kind(content_type, handle.read(_SNIFF_BYTES)) == "pdf"


def _receive(read_end: int, pid: int, timeout: float, path: Path) -> tuple[str, str]:
    chunks, deadline = [], time.monotonic() + timeout
    with os.fdopen(read_end, "rb", buffering=0) as pipe:
        while (left := deadline - time.monotonic()) > 0:
            if select.select([pipe], [], [], left)[0]:
                chunk = pipe.read(1 << 16)
                if not chunk:
                    break
                chunks.append(chunk)
        else:
            os.kill(pid, signal.SIGKILL)
    _, status, usage = os.wait4(pid, 0)
    logger.info("Text extraction child peaked at %d KiB", usage.ru_maxrss)
    if status != 0:
        logger.warning("Text extraction failed or timed out for %s", path)
        return "", ""
    title, text = json.loads(b"".join(chunks))
    return title, text


def extract(path: Path, content_type: str | None) -> tuple[str, str]:
    """Return (title, text); empty strings when nothing can be extracted. The
    text is cut at MAX_TEXT_CHARS."""
    title, text = _extract(path, content_type)
    return title[:1000], text[:MAX_TEXT_CHARS]


def _extract(path: Path, content_type: str | None) -> tuple[str, str]:
    with path.open("rb") as handle:
        kind = _kind(content_type, handle.read(_SNIFF_BYTES))
        handle.seek(0)
        if kind == "html":
            return _html(handle.read(MAX_MARKUP_BYTES), content_type)
        if kind == "text":
            return "", decode_markup(content_type, handle.read(MAX_MARKUP_BYTES))[1]
    if kind == "pdf":
        return _pdf(path)
    return "", ""


def _kind(content_type: str | None, start: bytes) -> str | None:
    mime = (content_type or "").split(";", 1)[0].strip().lower()
    if mime in _HTML_TYPES:
        return "html"
    if mime == "application/pdf":
        return "pdf"
    if mime.startswith("text/"):
        return "text"
    if mime and mime != "application/octet-stream":
        return None
    # No useful type declared: look at the bytes.
    if start.startswith(b"%PDF-"):
        return "pdf"
    head = start.lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")):
        return "html"
    return None


def decode_markup(content_type: str | None, data: bytes) -> tuple[str, str]:
    """(encoding, text) of HTML or text bytes, with the charset chosen like a
    browser by w3lib's html_to_unicode.

    w3lib takes any label Python has a codec for, and some of those cannot
    decode text at all ("rot13", "base64", "idna", "undefined"), so a page
    could declare one and make extraction and playback fail. Like a browser,
    ignore a label that does not work: the header's, then the page's own.
    """
    try:
        return html_to_unicode(content_type, data, auto_detect_fun=undeclared)
    except (LookupError, UnicodeError):
        pass
    try:
        return html_to_unicode(None, data, auto_detect_fun=undeclared)
    except (LookupError, UnicodeError):
        return "utf-8", data.decode("utf-8", "replace")


def undeclared(data: bytes) -> str:
    """The charset of a page that declares none: UTF-8 if it is valid UTF-8
    (up to a character cut off at the end), else windows-1252, which browsers
    fall back to for such pages in Western languages."""
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _html(data: bytes, content_type: str | None) -> tuple[str, str]:
    # w3lib picks the charset like a browser: BOM, then header, then <meta>.
    markup = decode_markup(content_type, data)[1]
    tree = trafilatura.load_html(markup)
    title = text = ""
    if tree is not None:
        title = _title(tree) or ""
        document = trafilatura.bare_extraction(tree, include_comments=False)
        text = (document.text or "") if document else ""
    if title and text:
        return title.strip(), text.strip()
    fallback_title, fallback_text = _visible_text(markup)
    return (title or fallback_title).strip(), (text or fallback_text).strip()


def _title(tree: lxml.html.HtmlElement) -> str | None:
    """The title as trafilatura's metadata finds it (meta tags, then JSON-LD,
    then <title> and headings). Its `with_metadata` also looks for the author,
    date, site name and categories, which we don't keep: 2.5 of the 17 ms
    it took to extract a 100 kB article (docs/benchmarks.md)."""
    metadata = examine_meta(tree)
    try:
        metadata = extract_meta_json(tree, metadata)
    except Exception:  # trafilatura guards this call the same way
        logger.debug("Unreadable JSON-LD metadata", exc_info=True)
    return metadata.title or extract_title(tree)


def _visible_text(markup: str) -> tuple[str, str]:
    """The <title> and all visible text, for pages trafilatura finds empty."""
    try:
        root = lxml.html.document_fromstring(markup)
    except (lxml.etree.ParserError, ValueError):
        return "", ""
    title = root.findtext(".//title") or ""
    for element in root.iter(*_INVISIBLE):
        element.drop_tree()
    text = _SPACES.sub(" ", root.text_content())
    return " ".join(title.split()), _BLANK_LINES.sub("\n\n", text).strip()


def _pdf(path: Path) -> tuple[str, str]:
    if path.stat().st_size > MAX_PDF_BYTES:
        return "", ""
    # Imported on first use: pypdf (with the `cryptography` bindings it loads)
    # added about 3 MB to every idle worker child, needed only for PDFs.
    import pypdf

    try:
        reader = pypdf.PdfReader(path)
        if reader.is_encrypted:
            reader.decrypt("")
        title = (reader.metadata.title if reader.metadata else None) or ""
        pages = [page.extract_text() for page in reader.pages[:MAX_PDF_PAGES]]
    # pypdf raises many exception types on malformed files; a PDF we cannot
    # read is still archived, just without text.
    except Exception:
        logger.warning("Could not extract text from PDF %s", path, exc_info=True)
        return "", ""
    return str(title).strip(), "\n\n".join(p.strip() for p in pages if p).strip()
