"""Text extraction in a forked child: same result, flat memory, bounded time.

Each case runs in a fresh single-threaded interpreter, as a Celery prefork
child is; the test process itself may have threads.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


def test_extraction_that_runs_too_long_is_stopped(big_page):
    stopped = run(
        "title, text = extract_isolated(path, 'text/html', timeout=0.05)", big_page
    )
    assert stopped["title"] == "" and stopped["chars"] == 0
