"""Text extraction in a forked child: same result, flat memory, bounded time.

Each case runs in a fresh single-threaded interpreter, as a Celery prefork
child is; the test process itself may have threads.
"""

import json
import subprocess
import sys
import time
import zlib
from pathlib import Path

import pytest

from tests.capture_servers import pdf_of

ROOT = Path(__file__).resolve().parent.parent
PARAGRAPH = "<p>{n}: Russische Truppen haben Pokrowsk eingenommen, sagte er. </p>\n"


@pytest.fixture(scope="module")
def big_page(tmp_path_factory):
    """About 4 MB of article markup, every paragraph different."""
    path = tmp_path_factory.mktemp("pages") / "big.html"
    body = "".join(PARAGRAPH.format(n=n) for n in range(60_000))
    path.write_text(
        f"<html><head><title>Lagebericht</title></head><body><article>{body}</article></body></html>"
    )
    return path


def run(code, path):
    # VmHWM, not ru_maxrss: the latter survives exec, so it would report the
    # size of the test process that started this one.
    script = (
        "import json, re, sys, threading; from pathlib import Path;"
        "from claims.capture.extract import extract, extract_isolated;"
        f"path = Path({str(path)!r});" + code + ";"
        "status = Path('/proc/self/status').read_text();"
        "usage = int(re.search(r'VmHWM:\\s+(\\d+)', status).group(1)) // 1024;"
        "print(json.dumps({'title': title, 'chars': len(text), 'rss': usage,"
        " 'threads': threading.active_count()}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_isolated_extraction_gives_the_same_text_and_keeps_memory_flat(big_page):
    inline = run("title, text = extract(path, 'text/html')", big_page)
    isolated = run("title, text = extract_isolated(path, 'text/html')", big_page)

    assert isolated["threads"] == 1, "a single-threaded process forks"
    assert isolated["title"] == inline["title"] == "Lagebericht"
    assert isolated["chars"] == inline["chars"] > 100_000
    # The parser's memory was spent, and given back, in the child.
    assert inline["rss"] - isolated["rss"] > 50


def test_small_pages_are_extracted_in_place_large_ones_in_a_child(big_page, tmp_path):
    """A fork costs as much CPU as parsing an article; only large pages get one."""
    small_page = tmp_path / "small.html"
    small_page.write_bytes(big_page.read_bytes()[:100_000] + b"</article></html>")
    count_forks = (
        "import os; forks = [];"
        "os.register_at_fork(after_in_parent=lambda: forks.append(1));"
        "title, text = extract_isolated(path, 'text/html');"
        "title = f'{title}:{len(forks)}'"
    )
    assert run(count_forks, small_page)["title"] == "Lagebericht:0"
    assert run(count_forks, big_page)["title"] == "Lagebericht:1"


def slow_small_pdf(path, pages=5):
    """A few kB of PDF whose pages share one content stream of 1 MB: seconds of
    parsing per page, however small the file."""
    operators = b"BT /F1 12 Tf 10 10 Td (a) Tj ET\n" * 32_768
    stream = zlib.compress(operators, 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>"
        % (b" ".join(b"%d 0 R" % (5 + n) for n in range(pages)), pages),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream"
        % (len(stream), stream),
    ] + [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 100 100]"
        b" /Resources << /Font << /F1 3 0 R >> >> /Contents 4 0 R >>"
    ] * pages
    path.write_bytes(pdf_of(objects))
    return path


def test_a_small_pdf_that_parses_too_long_is_stopped_too(tmp_path):
    pdf = slow_small_pdf(tmp_path / "slow.pdf")
    assert pdf.stat().st_size < 10_000
    started = time.monotonic()
    stopped = run(
        "title, text = extract_isolated(path, 'application/pdf', timeout=0.5)", pdf
    )
    assert stopped["chars"] == 0
    assert time.monotonic() - started < 5


def test_small_pdfs_are_extracted_in_a_child(tmp_path):
    from tests.test_capture_extract import minimal_pdf

    pdf = tmp_path / "small.pdf"
    pdf.write_bytes(minimal_pdf("Hello from a PDF document", "Annual Report 2024"))
    count_forks = (
        "import os; forks = [];"
        "os.register_at_fork(after_in_parent=lambda: forks.append(1));"
        "title, text = extract_isolated(path, 'application/pdf');"
        "title = f'{title}:{len(forks)}:{text}'"
    )
    result = run(count_forks, pdf)["title"]
    assert result == "Annual Report 2024:1:Hello from a PDF document"


def test_extraction_that_runs_too_long_is_stopped(big_page):
    stopped = run(
        "title, text = extract_isolated(path, 'text/html', timeout=0.05)", big_page
    )
    assert stopped["title"] == "" and stopped["chars"] == 0
