"""`manage.py capture URL [--json]` and `manage.py verifyarchive`."""

import gzip
import hashlib
import json
import os
import subprocess
import sys
import time
import uuid
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from claims import services
from claims.models import Capture
from tests.capture_servers import Server, respond
from tests.conftest import add_source, manage_py

ROOT = Path(__file__).resolve().parent.parent
PAGE = (
    "<html><head><title>Kremlin: „Pokrowsk eingenommen“</title></head><body>"
    "<article><p>Armeegeneral Gerassimow meldete die Einnahme der Stadt. "
    "Unabhängige Bestätigungen fehlen bisher.</p></article></body></html>"
).encode()
KEYS = {
    "status",
    "error",
    "http_status",
    "final_url",
    "title",
    "sha256",
    "warc_path",
    "text_chars",
}


def command_env(tmp_path, **env):
    """The environment of an operator's shell, with a migrated SQLite database
    of its own."""
    environment = {
        **os.environ,
        "VAR_DIR": str(tmp_path / "var"),
        "ARCHIVE_ROOT": str(tmp_path / "archive"),
        **env,
    }
    environment.pop("DATABASE_URL", None)
    manage_py(environment, "migrate", "-v0")
    return environment


def run_command(*args, tmp_path, **env):
    """Run manage.py in its own process, as an operator's script would."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=command_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_capture_command_prints_one_json_object_and_exits_0(tmp_path):
    with Server(
        {
            "/report": respond(
                PAGE, headers=(("Content-Type", "text/html; charset=utf-8"),)
            )
        }
    ) as server:
        result = run_command(
            "capture",
            server.url("/report"),
            "--json",
            tmp_path=tmp_path,
            CAPTURE_ALLOW_NETWORKS="127.0.0.1/32",
        )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert set(outcome) == KEYS
    assert outcome["status"] == "succeeded"
    assert outcome["error"] is None
    assert outcome["http_status"] == 200
    assert outcome["final_url"] == server.url("/report")
    assert outcome["title"] == "Kremlin: „Pokrowsk eingenommen“"
    assert outcome["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert outcome["text_chars"] > 50
    warc = Path(outcome["warc_path"])
    assert warc.is_file() and warc.is_relative_to(tmp_path / "archive")
    assert b"Gerassimow" in gzip.decompress(warc.read_bytes())


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("http://10.1.2.3/", "Refused: 10.1.2.3 is a private address"),
        ("http://127.0.0.1:9/", "Refused: 127.0.0.1 is a loopback address"),
        ("file:///etc/passwd", "Refused"),
        ("nicht einmal eine URL", "Refused"),
    ],
)
def test_capture_command_fails_with_a_reason_and_exit_1(tmp_path, url, error):
    result = run_command("capture", url, "--json", tmp_path=tmp_path)

    assert result.returncode == 1
    outcome = json.loads(result.stdout)
    assert set(outcome) == KEYS
    assert outcome["status"] == "failed"
    assert outcome["error"].startswith(error)
    assert outcome["warc_path"] is None


def test_capture_command_does_not_retry_transient_errors(
    transactional_db, capture_settings, capsys
):
    with (
        Server({"/": respond(b"down", status=503)}) as server,
        pytest.raises(CommandError) as error,
    ):
        call_command("capture", server.url("/"), "--json")

    assert error.value.returncode == 1
    assert json.loads(capsys.readouterr().out)["error"].endswith(
        "503 Service Unavailable"
    )
    capture = Capture.objects.get()
    assert capture.state == Capture.State.FAILED
    assert server.requests == ["/"]


@pytest.mark.skipif(not settings.REDIS_URL, reason="politeness shared through Redis")
def test_two_captures_of_one_host_back_to_back_both_succeed(tmp_path):
    """The second waits for the host's interval in its own process; it is not
    handed to a worker (there is none)."""
    fetched = []

    def page(handler):
        fetched.append(time.monotonic())
        respond(PAGE, headers=(("Content-Type", "text/html"),))(handler)

    env = command_env(
        tmp_path,
        CAPTURE_ALLOW_NETWORKS="127.0.0.1/32",
        CAPTURE_PER_HOST_INTERVAL="3",
        CACHE_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
    )
    with Server({"/a": page, "/b": page}) as server:
        runs = [
            subprocess.Popen(
                [sys.executable, "manage.py", "capture", server.url(path), "--json"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for path in ("/a", "/b")
        ]
        outputs = [run.communicate(timeout=120) for run in runs]

    for run, (out, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
        assert json.loads(out)["status"] == "succeeded"
    assert len(fetched) == 2
    assert fetched[1] - fetched[0] >= 2.9  # the host's interval was kept


def test_capture_command_captures_with_redis_unreachable(tmp_path):
    with Server({"/report": respond(PAGE)}) as server:
        result = run_command(
            "capture",
            server.url("/report"),
            "--json",
            tmp_path=tmp_path,
            CAPTURE_ALLOW_NETWORKS="127.0.0.1/32",
            REDIS_URL="redis://127.0.0.1:1/0",
        )

    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    assert outcome["status"] == "succeeded"
    assert outcome["sha256"] == hashlib.sha256(PAGE).hexdigest()
    assert "Redis is unreachable" in result.stderr
    assert "Traceback" not in result.stderr
    assert server.requests == ["/report"]


@pytest.fixture
def stored(transactional_db, capture_settings, make_claim):
    """Two archived pages: one original, one identical copy stored as a revisit."""
    routes = {"/a": respond(PAGE), "/b": respond(PAGE)}
    claim = make_claim()
    with Server(routes) as server:
        for path in routes:
            source = add_source(claim, url=server.url(path))
            services.run_capture(capture_id=source.captures.get().pk)
    return list(Capture.objects.order_by("pk"))


def verify():
    try:
        call_command("verifyarchive")
    except CommandError as error:
        return error.returncode
    return 0


def test_verifyarchive_passes_an_intact_archive(stored, capsys):
    assert [capture.state for capture in stored] == ["succeeded", "succeeded"]
    assert verify() == 0
    assert "2 captures checked, 0 missing or altered." in capsys.readouterr().out


def test_verifyarchive_reports_an_altered_warc(stored, capsys):
    path = Path(stored[1].warc.path)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0xFF
    path.write_bytes(bytes(data))

    assert verify() == 1
    err = capsys.readouterr().err
    assert f"capture {stored[1].pk}" in err and "has been altered" in err
    assert f"capture {stored[0].pk}" not in err


def test_verifyarchive_reports_a_missing_warc(stored, capsys):
    Path(stored[0].warc.path).unlink()

    assert verify() == 1
    assert (
        f"capture {stored[0].pk} ({stored[0].url}): WARC file"
        in capsys.readouterr().err
    )


def test_verifyarchive_reports_a_payload_altered_with_a_matching_file_hash(
    stored, capsys
):
    """Someone rewrote the page inside the WARC and updated the file's hash too."""
    original = stored[0]
    path = Path(original.warc.path)
    members = gzip_members(path.read_bytes())
    tampered = b"".join(
        gzip.compress(member.replace(b"Gerassimow", b"Gerasimoff"))
        for member in members
    )
    path.write_bytes(tampered)
    Capture.objects.filter(pk=original.pk).update(
        warc_sha256=hashlib.sha256(tampered).hexdigest()
    )

    assert verify() == 1
    assert "the archived page" in capsys.readouterr().err


def gzip_members(data):
    """The records of a WARC.gz, one gzip member each, decompressed."""
    while data:
        member = zlib.decompressobj(wbits=31)
        yield member.decompress(data)
        data = member.unused_data
