"""Faults: a worker killed mid-capture, a broker down when a source is saved
or a party renamed, and a broker restarted under a running worker.

These run real `celery worker` processes against the test database and Redis.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection

from claims import search, services, tasks
from claims.models import Capture, Claim, Source
from factcheck.celery import app
from tests.capture_servers import Server, drip, respond
from tests.conftest import SEARCH_QUEUE, TEST_QUEUE, add_source, wait_for

ROOT = Path(__file__).resolve().parent.parent
PAGE = b"<html><title>Wowtschansk</title><body><p>Lagebericht.</p></body></html>"

pytestmark = pytest.mark.slow


def database_url():
    db = connection.settings_dict
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{db['USER']}@{host}:{port}/{db['NAME']}"


def project_env(tmp_path, **overrides):
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "ARCHIVE_ROOT": str(tmp_path / "archive"),
        "VAR_DIR": str(tmp_path / "var"),
        "CAPTURE_ALLOW_NETWORKS": "127.0.0.0/8",
        "CELERY_QUEUE": TEST_QUEUE,
        "DEBUG": "true",
        "ALLOWED_HOSTS": "localhost",
    }
    env.update(overrides)
    return env


def start_worker(tmp_path, name, *extra, queues=(TEST_QUEUE, SEARCH_QUEUE), **env):
    """A real worker in its own process group, so that kill -9 takes all of it.
    With no `queues`, it is started without --queues."""
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "factcheck",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            f"--hostname={name}@%h",
            *([f"--queues={','.join(queues)}"] if queues else []),
            "--without-mingle",
            "--without-gossip",
            "--loglevel=INFO",
            *extra,
        ],
        cwd=ROOT,
        env=project_env(tmp_path, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        os.killpg(process.pid, sig)
        process.wait(timeout=30)


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs the real Redis broker")
def test_capture_completes_exactly_once_after_its_worker_is_killed(
    transactional_db, make_claim, tmp_path
):
    requests = []

    def slow_then_fast(handler):
        requests.append(time.monotonic())
        route = drip(0.01, length=600) if len(requests) == 1 else respond(PAGE)
        route(handler)

    # Short deadline and processing time make the lease (and the test) short.
    spool = tmp_path / "spool"
    spool.mkdir()
    timing = {
        "CAPTURE_DEADLINE": "6",
        "CAPTURE_PROCESSING_SECONDS": "4",
        "TMPDIR": str(spool),
    }
    with Server({"/report": slow_then_fast}) as server:
        first = start_worker(tmp_path, "doomed", **timing)
        try:
            source = add_source(make_claim(), url=server.url("/report"))
            capture = source.captures.get()
            wait_for(
                lambda: (
                    requests and Capture.objects.get(pk=capture.pk).state == "running"
                )
            )
            stop(first, signal.SIGKILL)
        finally:
            stop(first, signal.SIGKILL)
        assert Capture.objects.get(pk=capture.pk).state == Capture.State.RUNNING
        # The killed capture's files are left behind; older than a lease, the
        # next pool process removes them, and leaves a live capture's alone.
        [killed] = spool.glob("capture-*")
        assert any(killed.iterdir())
        an_hour_ago = time.time() - 3600
        os.utime(killed, (an_hour_ago, an_hour_ago))
        (spool / "capture-live").mkdir()

        second = start_worker(
            tmp_path,
            "rescuer",
            "--beat",
            f"--schedule={tmp_path / 'beat'}",
            CAPTURE_SWEEP_SECONDS="1",
            **timing,
        )
        try:
            wait_for(
                lambda: (
                    Capture.objects.get(pk=capture.pk).state in ("succeeded", "failed")
                ),
                timeout=60,
            )
        finally:
            stop(second)

    capture.refresh_from_db()
    assert capture.state == Capture.State.SUCCEEDED, (
        tmp_path / "rescuer.log"
    ).read_text()
    assert capture.attempts == 2
    assert capture.worker.startswith("rescuer@")
    assert capture.title == "Wowtschansk"
    assert Capture.objects.filter(source=source).count() == 1
    warcs = list((tmp_path / "archive").rglob("*.warc.gz"))
    assert [path.relative_to(tmp_path / "archive").as_posix() for path in warcs] == [
        capture.warc.name
    ]
    assert len(requests) == 2
    assert [path.name for path in spool.glob("capture-*")] == ["capture-live"]
    assert (
        "Removed the work directory of a killed capture"
        in (tmp_path / "rescuer.log").read_text()
    )


def test_source_saved_while_the_broker_is_down_is_captured_by_the_sweep(
    celery_worker, make_claim, tmp_path
):
    claim = make_claim()
    with Server({"/later": respond(PAGE)}) as server:
        started = time.monotonic()
        saved = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "shell",
                "-c",
                "from claims.models import Claim, Source;"
                f"c = Claim.objects.get(pk={claim.pk});"
                "Source.objects.create(claim=c, party=c.claimant, stance='asserts',"
                f" url='{server.url('/later')}', quote='Kupjansk encircled')",
            ],
            cwd=ROOT,
            env=project_env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0"),
            capture_output=True,
            text=True,
            timeout=60,
        )
        took = time.monotonic() - started
        assert saved.returncode == 0, saved.stderr
        assert "Broker unreachable" in saved.stderr
        assert took < 15
        source = Source.objects.get(claim=claim)
        capture = source.captures.get()
        assert capture.state == Capture.State.PENDING
        assert capture.queued_at is None
        # The search refresh could not be queued either, so it ran at once.
        assert "searchable at once" in saved.stderr
        assert Claim.objects.filter(search.matches("Kupjansk"), pk=claim.pk).exists()

        assert services.requeue_stalled_captures() == 1
        wait_for(lambda: Capture.objects.get(pk=capture.pk).state == "succeeded")

    capture.refresh_from_db()
    assert capture.attempts == 1
    assert capture.title == "Wowtschansk"


def test_party_renamed_while_the_broker_is_down_is_searchable_at_once(
    transactional_db, make_claim, make_party, tmp_path
):
    party = make_party("Generalstab")
    claim = make_claim(claimant=party)
    renamed = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from claims.models import Party;"
            f"p = Party.objects.get(pk={party.pk});"
            "p.name = 'Verteidigungsministerium'; p.save()",
        ],
        cwd=ROOT,
        env=project_env(tmp_path, REDIS_URL="redis://127.0.0.1:1/0"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert renamed.returncode == 0, renamed.stderr
    assert "Broker unreachable; 1 claims searchable at once." in renamed.stderr
    found = Claim.objects.filter(search.matches("Verteidigungsministerium"))
    assert list(found.values_list("pk", flat=True)) == [claim.pk]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own, to stop and start again."""

    def __init__(self, tmp_path):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.folder = tmp_path

    def start(self):
        subprocess.run(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1"]
            + ["--save", "", "--appendonly", "no", "--dir", str(self.folder)]
            + ["--daemonize", "yes"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wait_for(self.answers, timeout=10)

    def answers(self):
        try:
            return self.client().ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        # Without a save: what the broker held is gone, as after a crash.
        with contextlib.suppress(redis.ConnectionError):
            self.client().shutdown(nosave=True)

    def client(self):
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)


def queue_on(broker_url, capture):
    with app.connection_for_write(broker_url) as connection:
        tasks.capture_source.apply_async((capture.pk,), connection=connection)


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_worker_reconnects_when_redis_restarts_during_a_capture(
    transactional_db, make_claim, tmp_path
):
    broker = OwnRedis(tmp_path)
    broker.start()
    fetching = threading.Event()

    def slow(handler):
        fetching.set()
        drip(0.01, length=400)(handler)

    routes = {"/slow": slow, "/quick": respond(PAGE)}
    with Server(routes) as server:
        # A free slot: the worker is waiting on Redis for more work (BRPOP)
        # when the connection drops.
        worker = start_worker(
            tmp_path, "survivor", "--concurrency=2", REDIS_URL=broker.url
        )
        try:
            claim = make_claim()
            first = add_source(claim, url=server.url("/slow")).captures.get()
            queue_on(broker.url, first)
            wait_for(fetching.is_set, timeout=30)
            broker.stop()
            time.sleep(1)
            broker.start()
            wait_for(
                lambda: Capture.objects.get(pk=first.pk).state == "succeeded",
                timeout=30,
            )
            time.sleep(3)  # the worker reconnects, or stops
            log = (tmp_path / "survivor.log").read_text()
            assert worker.poll() is None, log
            assert "Unrecoverable error" not in log
            # Its politeness slot went with Redis; the capture did not fail.
            assert "raised unexpected" not in log

            quick = add_source(claim, url=server.url("/quick")).captures.get()
            queue_on(broker.url, quick)
            wait_for(
                lambda: Capture.objects.get(pk=quick.pk).state == "succeeded",
                timeout=30,
            )
        finally:
            stop(worker)
            broker.stop()


def test_capture_whose_database_connection_is_cut_is_retried_at_once(
    transactional_db, make_claim, tmp_path
):
    """As when PostgreSQL restarts while a worker fetches a page: the worker's
    connection is terminated under it."""
    fetches = []

    def slow_then_fast(handler):
        fetches.append(time.monotonic())
        route = drip(0.01, length=300) if len(fetches) == 1 else respond(PAGE)
        route(handler)

    with Server({"/report": slow_then_fast}) as server:
        # No beat: the sweep must not be what rescues the job.
        worker = start_worker(tmp_path, "cut", CAPTURE_RETRY_BASE="0.5")
        try:
            capture = add_source(make_claim(), url=server.url("/report")).captures.get()
            wait_for(lambda: fetches, timeout=30)
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            wait_for(
                lambda: Capture.objects.get(pk=capture.pk).state == "succeeded",
                timeout=30,
            )
        finally:
            stop(worker)
    capture.refresh_from_db()
    assert capture.attempts == 2
    assert len(fetches) == 2


def test_beat_schedule_names_real_tasks():
    app.loader.import_default_modules()
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in app.tasks
