"""The real stack a benchmark runs on: a database of its own, Redis under names
of its own, and `celery worker` processes started and stopped here."""

import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import redis

ROOT = Path(__file__).resolve().parent.parent
POLITENESS = ("CAPTURE_PER_HOST_CONCURRENCY", "CAPTURE_PER_HOST_INTERVAL")


def project_env(*, database_url, redis_url, name, workdir):
    """Environment for the harness and its workers: the project's settings with
    DEBUG off, as in production, and a database, queue, cache prefix and
    storage used by nobody else. BENCH_SETTINGS names another settings module
    (say, one that changes something for an experiment)."""
    env = {
        "DJANGO_SETTINGS_MODULE": os.environ.get("BENCH_SETTINGS", "bench.settings"),
        "BENCH_STATIC_ROOT": str(workdir / "static"),
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_QUEUE": name,
        "CACHE_KEY_PREFIX": name,
        "ARCHIVE_ROOT": str(workdir / "archive"),
        "VAR_DIR": str(workdir / "var"),
        "CAPTURE_ALLOW_NETWORKS": "127.0.0.0/8",
        "DEBUG": "false",
        "SECRET_KEY": "benchmark-only-not-a-secret",
        "ALLOWED_HOSTS": "localhost",
    }
    return env


def with_database(url, name):
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def create_database(server_url, name, env):
    """(Re)create database `name` on the server, migrate it, collect static files."""
    drop_database(server_url, name)
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    for command in (["collectstatic"], ["migrate"]):
        subprocess.run(
            [sys.executable, "manage.py", *command, "--noinput", "-v0"],
            cwd=ROOT,
            env={**os.environ, **env},
            check=True,
        )


def drop_database(server_url, name):
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def forget_redis_keys(redis_url, name):
    """Remove the queue, its bindings and the politeness keys of this run."""
    client = redis.Redis.from_url(redis_url)
    keys = [name, f"_kombu.binding.{name}", f"_kombu.binding_permanent.{name}"]
    keys += list(client.scan_iter(match=f"{name}:*"))
    keys += list(client.scan_iter(match=f"{name}\x06\x16*"))  # priority queues
    client.delete(*keys)


class Worker:
    """One `celery -A factcheck worker` (prefork pool) in its own process group,
    for `queues` (with none given, for all: captures and search rebuilds)."""

    def __init__(self, env, *, concurrency, name, log_path, queues=()):
        self.concurrency = concurrency
        self.log_path = log_path
        self.command = [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "factcheck",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            *([f"--queues={','.join(queues)}"] if queues else []),
            f"--hostname={name}@%h",
            "--without-mingle",
            "--without-gossip",
            "--without-heartbeat",
            "--loglevel=INFO",
        ]
        self.env = {**os.environ, **env}
        self.process = None

    def __enter__(self):
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            self.wait_until_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()

    def wait_until_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the worker exited; see {self.log_path}")
            ready = " ready." in self.log_path.read_text()
            if ready and len(self.children()) == self.concurrency:
                return
            time.sleep(0.1)
        raise RuntimeError(
            f"the worker did not start in {timeout} s; see {self.log_path}"
        )

    def children(self):
        """Process ids of the pool's child processes."""
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except FileNotFoundError:
            return []

    def cpu_seconds(self):
        """CPU time used so far by the worker: main process, live pool children
        and pool children that have already exited (replaced after
        CELERY_WORKER_MAX_TASKS_PER_CHILD tasks)."""
        own = cpu_seconds(self.process.pid, reaped=True)
        return own + sum(cpu_seconds(pid) for pid in self.children())

    def tasks_run(self):
        """Tasks the worker has finished, postponed ones included."""
        log = self.log_path.read_text()
        return len(re.findall(r"capture_source\[[^\]]+\] succeeded", log))

    def search_rebuilds(self):
        """Runs of refresh_search that rebuilt vectors (not those that only
        waited for archived copies), and the seconds all its runs took."""
        log = self.log_path.read_text()
        rebuilt = re.findall(r"Search vectors rebuilt for (\d+) claims", log)
        took = re.findall(r"refresh_search\[[^\]]+\] succeeded in ([\d.]+)s", log)
        return sum(int(count) > 0 for count in rebuilt), sum(map(float, took))

    def stop(self):
        """Warm shutdown (SIGTERM), then SIGKILL for anything left after 30 s."""
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()


def cpu_seconds(pid, reaped=False):
    """utime + stime of a process; with `reaped`, plus that of its waited-for
    children (cutime + cstime)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    # Fields 14 to 17 of the file (utime, stime, cutime, cstime) are at index
    # 11 to 14 once the name is cut off.
    ticks = fields[11:15] if reaped else fields[11:13]
    return sum(int(tick) for tick in ticks) / os.sysconf("SC_CLK_TCK")


def memory(pid):
    """VmRSS, VmHWM (peak RSS) and private memory (RssAnon) of a process, in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM", "RssAnon"):
            values[key] = int(value.split()[0]) * 1024
    return values


def machine():
    """What the figures were measured on."""
    model = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    meminfo = Path("/proc/meminfo").read_text()
    total = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1)) * 1024
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "memory": total,
        "cpu": model,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "load": os.getloadavg(),
    }


def service_versions(server_url, redis_url):
    with psycopg.connect(server_url) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
    info = redis.Redis.from_url(redis_url).info("server")
    return {"postgresql": postgres.split()[0], "redis": info["redis_version"]}


def cpu_times():
    """Machine-wide CPU seconds so far: busy (all but idle and iowait) and stolen
    by the hypervisor for other guests."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = fields
    tick = os.sysconf("SC_CLK_TCK")
    busy = user + nice + system + irq + softirq
    return {"busy": busy / tick, "steal": steal / tick}


class PostgresMeter:
    """CPU time of the PostgreSQL backends serving one database, sampled.

    Each backend is a process whose command line names its database. Django
    closes its connection after every Celery task, so backends are short-lived:
    a thread samples them every `interval` seconds and keeps the last figure
    seen for each, so CPU used after a backend's last sample is missed.
    """

    def __init__(self, database, interval=0.05):
        self.marker = f" {database} "
        self.interval = interval
        self.seen = {}
        self.postmaster = postmaster_pid()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stopping.set()
        self.thread.join()

    def sample(self):
        children = Path(f"/proc/{self.postmaster}/task/{self.postmaster}/children")
        while not self.stopping.wait(self.interval):
            for pid in children.read_text().split():
                try:
                    name = Path(f"/proc/{pid}/cmdline").read_text()
                except FileNotFoundError:
                    continue
                if self.marker in name:
                    self.seen[pid] = max(self.seen.get(pid, 0), cpu_seconds(pid))

    def seconds(self):
        return sum(self.seen.values())


def postmaster_pid():
    """The PostgreSQL server's main process: a postgres whose parent is not one."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(
                line.split(":", 1) for line in status.read_text().splitlines()
            )
            parent = Path(f"/proc/{int(fields['PPid'])}/comm").read_text().strip()
        except (FileNotFoundError, ValueError):
            continue
        if fields["Name"].strip() == "postgres" and parent != "postgres":
            return int(fields["Pid"])
    raise RuntimeError("no PostgreSQL server process found on this machine")
