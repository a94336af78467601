"""`make run`'s embedded mode end to end: no DATABASE_URL and no REDIS_URL, so
SQLite and the filesystem broker, with the worker `make run` starts, in a
process of its own. A source saved in another process is captured."""

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.capture_servers import Server, read_records, respond
from tests.conftest import manage_py, wait_for

ROOT = Path(__file__).resolve().parent.parent
PAGE = (
    b"<html><title>Lagebericht</title><body><p>Pokrowsk, 1. Dezember.</p></body></html>"
)
ADD_SOURCE = """
from claims.models import Claim, Party, Source
party = Party.objects.create(name="Stadtrat", slug="stadtrat", kind="organisation")
claim = Claim.objects.create(
    statement="Die Stadt ist eingenommen.", slug="eingenommen", claimant=party
)
Source.objects.create(claim=claim, party=party, stance="asserts", url="{url}")
"""

pytestmark = pytest.mark.slow


def embedded_env(var_dir):
    """This machine's environment without the suite's PostgreSQL and Redis."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env |= {"VAR_DIR": str(var_dir), "CAPTURE_ALLOW_NETWORKS": "127.0.0.0/8"}
    return env


def test_make_runs_worker_captures_with_sqlite_and_the_filesystem_broker(tmp_path):
    var_dir = tmp_path / "var"
    env = embedded_env(var_dir)
    # What `make setup` does before `make run` starts the worker.
    (var_dir / "broker").mkdir(parents=True)
    (var_dir / "broker-control").mkdir()
    manage_py(env, "migrate", "--noinput")
    log = tmp_path / "worker.log"
    with Server({"/lage": respond(PAGE)}) as server, log.open("w") as output:
        worker = subprocess.Popen(
            [Path(sys.executable).with_name("celery"), "-A", "factcheck", "worker"]
            + ["--beat", "--schedule", str(var_dir / "celerybeat-schedule")],
            cwd=ROOT,
            env={**env, "LOG_LEVEL": "WARNING"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            manage_py(env, "shell", "-c", ADD_SOURCE.format(url=server.url("/lage")))
            database = contextlib.closing(sqlite3.connect(var_dir / "db.sqlite3"))

            def finished():
                """the capture left the queue"""
                assert worker.poll() is None, log.read_text()
                rows = database.thing.execute(
                    "SELECT state, error, http_status, warc FROM claims_capture"
                ).fetchall()
                return rows if rows and rows[0][0] not in ("pending", "running") else []

            with database:
                rows = wait_for(finished, timeout=90, interval=0.5)
        finally:
            worker.terminate()
            worker.wait(timeout=60)

    [(state, error, status, warc)] = rows
    assert (state, error, status) == ("succeeded", "", 200)
    records = read_records(var_dir / "archive" / warc)
    assert [r.content for r in records if r.type == "response"] == [PAGE]
    # LOG_LEVEL=WARNING, as `make run` sets it: a newcomer's console shows
    # Celery's banner and only what needs their attention. Here nothing does
    # (kombu's "No hostname was supplied" was a warning for nothing).
    logged = [line for line in log.read_text().splitlines() if line[:4].isdigit()]
    assert logged == []


def test_make_refuses_a_python_older_than_the_projects(tmp_path):
    """`.python-version` asks for 3.13; given a 3.12, make says so and makes
    no virtualenv. The interpreter here is this one, told it is 3.12."""
    (tmp_path / "sitecustomize.py").write_text(
        "import sys\nsys.version_info = (3, 12, 9, 'final', 0)\n"
    )
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "--no-print-directory", f"{venv}/.python-ok", f"VENV={venv}"]
        + [f"PYTHON=env PYTHONPATH={tmp_path} {sys.executable}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "error: Python 3.13 or newer is needed" in result.stdout
    assert "make PYTHON=python3.13 run" in result.stdout
    assert not venv.exists()
    assert (ROOT / ".python-version").read_text().strip() == "3.13"


def test_make_says_when_the_python_it_was_given_is_missing(tmp_path):
    """It printed "'python3.13' is /bin/sh: 3: python3.13: not found" and
    "missing." on a line of its own."""
    venv = tmp_path / "venv"
    result = subprocess.run(
        ["make", "--no-print-directory", f"{venv}/.python-ok", f"VENV={venv}"]
        + ["PYTHON=no-such-python3.13"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "'no-such-python3.13' is missing." in result.stdout
    assert "not found" not in result.stdout
    assert not venv.exists()


def test_make_run_keeps_its_files_in_var_dir(tmp_path):
    """With VAR_DIR set, the broker's folders went to ./var while the settings
    looked in VAR_DIR: the worker died ("Unrecoverable error:
    FileNotFoundError") and every capture waited for a broker."""
    var_dir = tmp_path / "elsewhere"
    result = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", "run", f"VAR_DIR={var_dir}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert f"mkdir -p {var_dir}/broker {var_dir}/broker-control" in result.stdout
    assert f"--schedule {var_dir}/celerybeat-schedule" in result.stdout
    assert f"loaddemo > {var_dir}/demo-logins.txt" in result.stdout
    assert " var/" not in result.stdout


def test_make_run_on_another_port_links_to_that_port():
    """On PORT=8793 the feeds, CSV, sitemap and ClaimReview linked to
    http://localhost:8000/, where nothing was served."""
    result = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", "run", "PORT=8793"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "SITE_URL=${SITE_URL:-http://localhost:8793}" in result.stdout


def stand_in_venv(tmp_path, *, python, celery="exit 0"):
    """A venv whose python and celery are these shell scripts, set up as far
    as make is concerned."""
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    for name, script in (("python", python), ("celery", celery)):
        (venv / "bin" / name).write_text(f"#!/bin/sh\n{script}\n")
        (venv / "bin" / name).chmod(0o755)
    for stamp in (".python-ok", ".runtime"):
        (venv / stamp).touch()
    return venv


def make_run(venv, var_dir):
    return subprocess.run(
        ["make", "--no-print-directory", "run", f"VENV={venv}", f"VAR_DIR={var_dir}"],
        cwd=ROOT,
        # As a newcomer runs it: make run's own default log level.
        env={name: value for name, value in os.environ.items() if name != "LOG_LEVEL"},
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=lambda: os.umask(0o022),
    )


def test_make_run_keeps_the_demo_logins_and_its_data_private(tmp_path):
    """The logins file was 0644 under the usual umask, and the folder with the
    SQLite database (password hashes, live sessions) and the archive 0755:
    any local user could read the admin's password or a session and log in to
    the desk on 127.0.0.1. Python, Celery and the server are stand-ins here
    that print a login and exit."""
    venv = stand_in_venv(
        tmp_path,
        python="[ \"$2\" = loaddemo ] && echo '  admin     s3cret'"
        ' && echo "loaddemo logs at $LOG_LEVEL" >&2\nexit 0',
    )
    var_dir = tmp_path / "var"
    var_dir.mkdir(mode=0o755)
    logins = var_dir / "demo-logins.txt"
    logins.write_text("old\n")
    logins.chmod(0o644)

    result = make_run(venv, var_dir)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "  admin     s3cret" in result.stdout
    assert logins.read_text() == "  admin     s3cret\n"
    assert logins.stat().st_mode & 0o777 == 0o600
    assert var_dir.stat().st_mode & 0o777 == 0o700
    # Not a log line per queued capture ahead of the logins: loaddemo ran at
    # INFO, before the worker's LOG_LEVEL=WARNING was exported.
    assert "loaddemo logs at WARNING" in result.stderr


def test_make_run_stops_when_the_demo_data_cannot_be_loaded(tmp_path):
    """Piped through tee, a failed loaddemo went unnoticed: the server started
    on a database without the demo, and with no logins to show."""
    served = tmp_path / "served"
    venv = stand_in_venv(
        tmp_path,
        python=f'[ "$2" = loaddemo ] && exit 3\n[ "$2" = runserver ] && touch {served}'
        "\nexit 0",
    )

    result = make_run(venv, tmp_path / "var")

    assert result.returncode != 0
    assert not served.exists()


def session_processes(session):
    """The ids of the processes still running in `session` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            # After the command's name in parentheses: state, parent, group, session.
            fields = stat.read_text().rpartition(")")[2].split()
            if int(fields[3]) == session and fields[0] != "Z":
                found.append(int(stat.parent.name))
    return found


def test_make_run_stops_with_its_worker_when_its_whole_group_is_signalled(tmp_path):
    """What an IDE's stop button, `timeout` or `kill -- -PGID` do. The pool
    processes got the SIGTERM too, and the worker's shutdown hung for good
    on a lock a stopped child held. The demo data is a stand-in here: its
    cited links are on the internet."""
    real = Path(sys.executable)
    venv = stand_in_venv(
        tmp_path,
        python=f'[ "$2" = loaddemo ] && exit 0\nexec {real} "$@"',
        celery=f'exec {real.with_name("celery")} "$@"',
    )
    var_dir = tmp_path / "var"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make = subprocess.Popen(
        ["make", "--no-print-directory", "run", f"VENV={venv}"]
        + [f"VAR_DIR={var_dir}", f"PORT={port}"],
        cwd=ROOT,
        env=embedded_env(var_dir),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:

        def serving_with_a_worker_pool():
            """runserver answers and the worker has started its pool"""
            celery = [
                pid
                for pid in session_processes(make.pid)
                if b"celery" in Path(f"/proc/{pid}/cmdline").read_bytes()
            ]
            with socket.socket() as probe:
                listening = probe.connect_ex(("127.0.0.1", port)) == 0
            return listening and len(celery) >= 3

        wait_for(serving_with_a_worker_pool, timeout=120, interval=0.5)
        os.killpg(make.pid, signal.SIGTERM)

        def all_stopped():
            """every process of make run has exited"""
            make.poll()
            return not session_processes(make.pid)

        wait_for(all_stopped, timeout=60, interval=0.5)
    finally:
        for pid in session_processes(make.pid):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        make.wait(timeout=10)
