"""
Make sure the PostgreSQL and Redis that the suite needs are up.

A local server that is installed but stopped gets started; a missing one gets
a message saying what to install. Usage: ensure_services.py DATABASE_URL REDIS_URL
"""

import glob
import shutil
import socket
import subprocess
import sys
import time
from urllib.parse import urlsplit

LOCAL = {"localhost", "127.0.0.1", "::1"}


def is_listening(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def wait_for(host, port, seconds=20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if is_listening(host, port):
            return True
        time.sleep(0.25)
    return False


def start_postgres(port):
    if shutil.which("pg_ctlcluster"):
        for version in sorted(glob.glob("/etc/postgresql/*")):
            subprocess.run(
                [
                    "pg_ctlcluster",
                    "--skip-systemctl-redirect",
                    version.rsplit("/")[-1],
                    "main",
                    "start",
                ],
                check=False,
            )
        return True
    return False


def start_redis(port):
    if shutil.which("redis-server"):
        subprocess.run(
            ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1"]
            + ["--port", str(port), "--save", "", "--appendonly", "no"],
            check=False,
        )
        return True
    return False


def ensure(name, url, default_port, start, install_hint):
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    if is_listening(host, port):
        return True
    if host not in LOCAL:
        print(f"error: {name} at {host}:{port} does not answer.", file=sys.stderr)
        return False
    print(f"{name} is not running on {host}:{port}; starting it.")
    if not start(port):
        print(f"error: {name} is not installed. {install_hint}", file=sys.stderr)
        return False
    if not wait_for(host, port):
        print(f"error: {name} did not start on {host}:{port}.", file=sys.stderr)
        return False
    return True


def main(database_url, redis_url):
    ok = ensure(
        "PostgreSQL",
        database_url,
        5432,
        start_postgres,
        "Install it with: sudo apt-get install postgresql (or set TEST_DATABASE_URL).",
    )
    ok &= ensure(
        "Redis",
        redis_url,
        6379,
        start_redis,
        "Install it with: sudo apt-get install redis-server (or set TEST_REDIS_URL).",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
