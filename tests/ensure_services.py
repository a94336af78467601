"""
Make sure the PostgreSQL and Redis that the suite needs are up.

A local server that is installed but stopped gets started; a missing one gets
a message saying what to install. Usage: ensure_services.py DATABASE_URL REDIS_URL
"""

import glob
import os
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
    """Start the local PostgreSQL; None once asked to, else what is wrong.

    1. Debian and Ubuntu: every cluster postgresql-common knows, with
       pg_ctlcluster (each on the port its configuration names).
    2. Elsewhere (Homebrew, Fedora, a source build): pg_ctl on the data
       directory in PGDATA, on the port asked for.
    """
    clusters = debian_clusters()
    data = os.environ.get("PGDATA")
    if shutil.which("pg_ctlcluster") and clusters:
        for version, cluster in clusters:
            subprocess.run(
                ["pg_ctlcluster", "--skip-systemctl-redirect", version, cluster]
                + ["start"],
                check=False,
            )
        return None
    if shutil.which("pg_ctl") and data:
        log = os.path.join(data, "ensure_services.log")
        subprocess.run(
            ["pg_ctl", "-D", data, "-l", log, "-o", f"-p {port}", "start"],
            check=False,
        )
        return None
    if shutil.which("pg_ctlcluster"):
        return (
            "PostgreSQL is installed but has no cluster. Create one with: "
            "sudo pg_createcluster --start <version> main (or set TEST_DATABASE_URL)."
        )
    if shutil.which("pg_ctl"):
        return (
            "PostgreSQL is installed but PGDATA does not name its data directory. "
            "Set PGDATA (a new one: initdb -D <dir>), start it yourself, or set "
            "TEST_DATABASE_URL."
        )
    return (
        "PostgreSQL is not installed. Install it with: sudo apt-get install "
        "postgresql (or your system's package), or set TEST_DATABASE_URL."
    )


def debian_clusters():
    """(version, name) of each cluster under postgresql-common's configuration
    root, which its own tools also read from PG_CLUSTER_CONF_ROOT."""
    root = os.environ.get("PG_CLUSTER_CONF_ROOT", "/etc/postgresql")
    configs = glob.glob(os.path.join(root, "*", "*", "postgresql.conf"))
    return [tuple(config.split(os.sep)[-3:-1]) for config in sorted(configs)]


def start_redis(port):
    if not shutil.which("redis-server"):
        return (
            "Redis is not installed. Install it with: sudo apt-get install "
            "redis-server (or your system's package), or set TEST_REDIS_URL."
        )
    subprocess.run(
        ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1"]
        + ["--port", str(port), "--save", "", "--appendonly", "no"],
        check=False,
    )
    return None


def ensure(name, url, default_port, start):
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or default_port
    if is_listening(host, port):
        return True
    if host not in LOCAL:
        print(f"error: {name} at {host}:{port} does not answer.", file=sys.stderr)
        return False
    print(f"{name} is not running on {host}:{port}; starting it.")
    problem = start(port)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return False
    if not wait_for(host, port):
        print(f"error: {name} did not start on {host}:{port}.", file=sys.stderr)
        return False
    return True


def main(database_url, redis_url):
    ok = ensure("PostgreSQL", database_url, 5432, start_postgres)
    ok &= ensure("Redis", redis_url, 6379, start_redis)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
