"""tests/ensure_services.py, which `make test` runs first: it starts what is
installed but stopped, and says what to install when something is missing."""

import socket
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "ensure_services.py"


def unused_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_services(tmp_path, **env):
    """Run the script against ports nothing listens on, with a PATH that holds
    only tmp_path/bin."""
    (tmp_path / "bin").mkdir(exist_ok=True)
    database = f"postgres://postgres@127.0.0.1:{unused_port()}/factcheck"
    redis = f"redis://127.0.0.1:{unused_port()}/0"
    return subprocess.run(
        [sys.executable, str(SCRIPT), database, redis],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": str(tmp_path / "bin"), **env},
    )


def fake_tool(tmp_path, name):
    """A stand-in for a system tool that records that it was called."""
    tool = tmp_path / "bin" / name
    tool.parent.mkdir(exist_ok=True)
    tool.write_text(f'#!/bin/sh\necho "$@" >> {tmp_path / name}.log\n')
    tool.chmod(0o755)
    return tmp_path / f"{name}.log"


def test_missing_servers_get_an_install_hint_and_a_failure(tmp_path):
    result = ensure_services(tmp_path)

    assert result.returncode == 1
    assert "PostgreSQL is not installed. Install it with: sudo apt-get install " in (
        result.stderr
    )
    assert "Redis is not installed. Install it with: sudo apt-get install " in (
        result.stderr
    )


def test_debian_tools_without_a_cluster_are_reported_not_started(tmp_path):
    calls = fake_tool(tmp_path, "pg_ctlcluster")
    (tmp_path / "etc-postgresql").mkdir()

    result = ensure_services(
        tmp_path, PG_CLUSTER_CONF_ROOT=str(tmp_path / "etc-postgresql")
    )

    assert result.returncode == 1
    assert "PostgreSQL is installed but has no cluster" in result.stderr
    assert "pg_createcluster" in result.stderr
    assert not calls.exists()


def test_pg_ctl_without_pgdata_says_what_to_set(tmp_path):
    calls = fake_tool(tmp_path, "pg_ctl")

    result = ensure_services(tmp_path)

    assert result.returncode == 1
    assert "PGDATA does not name its data directory" in result.stderr
    assert not calls.exists()


def test_pg_ctl_starts_the_data_directory_in_pgdata(tmp_path):
    calls = fake_tool(tmp_path, "pg_ctl")

    result = ensure_services(tmp_path, PGDATA=str(tmp_path / "data"))

    # The fake starts nothing, so the wait for the port fails after asking.
    arguments = calls.read_text().split()
    assert arguments[:2] == ["-D", str(tmp_path / "data")]
    assert arguments[-3:-1] == ["-p", result.args[2].split(":")[2].split("/")[0]]
    assert arguments[-1] == "start"
    assert result.returncode == 1
    assert "PostgreSQL did not start on 127.0.0.1:" in result.stderr
