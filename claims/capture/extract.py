"""Title and main text of a captured payload, for search and for reading."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import lxml.html
import trafilatura
from w3lib.encoding import html_to_unicode

logger = logging.getLogger(__name__)

# Extraction reads at most this much of an HTML or text payload, so a huge page
# costs bounded memory and time; the WARC still holds the whole payload.
MAX_MARKUP_BYTES = 5 * 1024 * 1024
# PDFs must be parsed whole, so larger ones are archived without text.
MAX_PDF_BYTES = 50 * 1024 * 1024
MAX_PDF_PAGES = 200

_SNIFF_BYTES = 1024
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_INVISIBLE = ("script", "style", "noscript", "template", "head")
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def extract(path: Path, content_type: str | None) -> tuple[str, str]:
    """Return (title, text); empty strings when nothing can be extracted."""
    with path.open("rb") as handle:
        kind = _kind(content_type, handle.read(_SNIFF_BYTES))
        handle.seek(0)
        if kind == "html":
            return _html(handle.read(MAX_MARKUP_BYTES), content_type)
        if kind == "text":
            return "", html_to_unicode(content_type, handle.read(MAX_MARKUP_BYTES))[1]
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


def _html(data: bytes, content_type: str | None) -> tuple[str, str]:
    # w3lib picks the charset like a browser: BOM, then header, then <meta>.
    markup = html_to_unicode(content_type, data)[1]
    document = trafilatura.bare_extraction(
        markup, with_metadata=True, include_comments=False
    )
    title = (document.title or "") if document else ""
    text = (document.text or "") if document else ""
    if title and text:
        return title.strip(), text.strip()
    fallback_title, fallback_text = _visible_text(markup)
    return (title or fallback_title).strip(), (text or fallback_text).strip()


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
    # Imported on first use: pypdf loads the `cryptography` bindings, about
    # 13 MB of resident memory that a worker needs only once it meets a PDF.
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
