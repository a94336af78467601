"""Title and text extraction from captured HTML, plain text and PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
import trafilatura

from claims.capture import capture
from claims.capture.extract import MAX_MARKUP_BYTES
from tests.capture_servers import (
    Server,
    block_outside_network,
    local_policy,
    pdf_of,
    respond,
)

SAMPLES = {
    "utf-8": "Zürich, Київ and 東京 — «quoted» ✓",
    "windows-1251": "Съешь же ещё этих мягких французских булок, да выпей чаю.",
    "windows-1252": "„Grüße aus Köln“, sagte der Bürgermeister – Öl für 5 €.",
    "iso-8859-1": "Ça a été déjà très naïf, señor; Größe ½ © 1999.",
}
DECLARATIONS = {
    "header": ("text/html; charset={charset}", ""),
    "meta-charset": ("text/html", '<meta charset="{charset}">'),
    "meta-http-equiv": (
        "text/html",
        '<meta http-equiv="Content-Type" content="text/html; charset={charset}">',
    ),
}


@pytest.fixture(autouse=True)
def _stay_on_this_machine(monkeypatch: pytest.MonkeyPatch) -> None:
    block_outside_network(monkeypatch)


def page(title: str, paragraph: str, head: str = "") -> str:
    return (
        f"<!doctype html><html><head>{head}<title>{title}</title></head><body>"
        f"<article><h1>{title}</h1><p>{paragraph}</p><p>{paragraph}</p></article>"
        "</body></html>"
    )


def fetch_one(tmp_path: Path, body: bytes, content_type: str) -> tuple[str, str]:
    route = respond(body, headers=(("Content-Type", content_type),))
    with Server({"/": route}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)
    return artifact.title, artifact.text


@pytest.mark.parametrize("charset", SAMPLES)
@pytest.mark.parametrize("declared_in", DECLARATIONS)
def test_declared_charset_decodes_text_exactly(
    tmp_path: Path, charset: str, declared_in: str
) -> None:
    content_type, meta = DECLARATIONS[declared_in]
    sample = SAMPLES[charset]
    title = sample.split(",")[0]
    body = page(title, sample, meta.format(charset=charset)).encode(charset)

    got_title, text = fetch_one(tmp_path, body, content_type.format(charset=charset))

    assert sample in text
    assert got_title == title


def test_header_charset_wins_over_a_wrong_meta_tag(tmp_path: Path) -> None:
    sample = SAMPLES["windows-1251"]
    body = page("Заголовок", sample, '<meta charset="iso-8859-1">').encode("cp1251")
    _, text = fetch_one(tmp_path, body, "text/html; charset=windows-1251")
    assert sample in text


# Python has codecs by these names, but they cannot decode text.
UNUSABLE_CHARSETS = ["rot13", "base64", "idna", "undefined"]


@pytest.mark.parametrize("charset", UNUSABLE_CHARSETS)
@pytest.mark.parametrize("declared_in", ["header", "meta-charset"])
def test_unusable_charset_label_is_ignored_like_a_browser_does(
    tmp_path: Path, charset: str, declared_in: str
) -> None:
    content_type, meta = DECLARATIONS[declared_in]
    sample = SAMPLES["utf-8"]
    body = page("Titel", sample, meta.format(charset=charset)).encode()
    title, text = fetch_one(tmp_path, body, content_type.format(charset=charset))
    assert title == "Titel"
    assert sample in text
    _, text = fetch_one(tmp_path, sample.encode(), f"text/plain; charset={charset}")
    assert text == sample


def test_plain_text_is_taken_as_is_in_its_charset(tmp_path: Path) -> None:
    sample = SAMPLES["windows-1252"] + "\nSecond line."
    _, text = fetch_one(
        tmp_path, sample.encode("cp1252"), "text/plain; charset=windows-1252"
    )
    assert text == sample


def test_page_without_main_content_falls_back_to_title_and_visible_text(
    tmp_path: Path,
) -> None:
    body = (
        b"<html><head><title>Tiny page</title><script>var hidden = 1;</script>"
        b"</head><body><footer>Only footer text here</footer></body></html>"
    )
    title, text = fetch_one(tmp_path, body, "text/html")
    assert title == "Tiny page"
    assert text == "Only footer text here"


TITLE_SOURCES = {
    "og:title": (
        '<meta property="og:title" content="From the meta tag">',
        "From the meta tag",
    ),
    "JSON-LD": (
        '<script type="application/ld+json">'
        '{"@context": "https://schema.org", "@type": "NewsArticle",'
        ' "headline": "From the JSON-LD"}</script>',
        "From the JSON-LD",
    ),
    "title tag": ("", "Page title"),
}


@pytest.mark.parametrize("source", TITLE_SOURCES)
def test_title_is_found_where_trafilatura_metadata_finds_it(
    tmp_path: Path, source: str
) -> None:
    head, expected = TITLE_SOURCES[source]
    body = page("Page title", "Ein Absatz mit genug Text. " * 20, head)
    title, text = fetch_one(tmp_path, body.encode(), "text/html; charset=utf-8")
    full = trafilatura.bare_extraction(body, with_metadata=True, include_comments=False)
    assert title == expected == full.title
    assert text == full.text


def test_extraction_reads_only_the_first_part_of_a_huge_page(tmp_path: Path) -> None:
    padding = "<!-- " + "x" * MAX_MARKUP_BYTES + " -->"
    body = page("Huge", f"Early words. {padding} Late words.").encode()
    _, text = fetch_one(tmp_path, body, "text/html; charset=utf-8")
    assert "Early words." in text
    assert "Late words." not in text


def minimal_pdf(text: str, title: str) -> bytes:
    """A one-page PDF with a Helvetica text object and an /Info title."""
    content = f"BT /F1 24 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(content), content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Title ({title}) >>".encode(),
    ]
    return pdf_of(objects, trailer=b"/Root 1 0 R /Info 6 0 R")


@pytest.mark.parametrize(
    "content_type", ["application/pdf", "application/octet-stream"]
)
def test_pdf_text_and_title_are_extracted(tmp_path: Path, content_type: str) -> None:
    pdf = minimal_pdf("Hello from a PDF document", "Annual Report 2024")
    title, text = fetch_one(tmp_path, pdf, content_type)
    assert title == "Annual Report 2024"
    assert text == "Hello from a PDF document"


def test_damaged_pdf_is_archived_without_text(tmp_path: Path) -> None:
    route = respond(
        b"%PDF-1.4\nnot really a pdf", headers=(("Content-Type", "application/pdf"),)
    )
    with Server({"/": route}) as server:
        artifact = capture(server.url(), local_policy(), workdir=tmp_path)
    assert (artifact.title, artifact.text) == ("", "")
    assert artifact.warc_path.exists()
