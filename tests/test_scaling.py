"""More than one worker machine: a shared queue and politeness limits through
Redis, jobs that survive a dead worker, and archives on S3-compatible storage."""

import hashlib
import itertools
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from django.conf import settings
from django.core.management import call_command

from claims import services
from claims.models import Capture, Claim
from tests.capture_servers import Server, respond
from tests.conftest import add_source, wait_for
from tests.test_worker_faults import start_worker, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not settings.REDIS_URL, reason="needs the real Redis"),
]
PAGE = "<html><title>Lage {n}</title><body><p>Bericht Nummer {n}.</p></body></html>"
# A short deadline and processing time keep the lease, and so the test, short.
TIMING = {"CAPTURE_DEADLINE": "6", "CAPTURE_PROCESSING_SECONDS": "4"}


class SlowPages:
    """Pages that take `delay` seconds each; records when each request came,
    and how many were in flight."""

    def __init__(self, delay):
        self.delay = delay
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most_in_flight = 0
        self.started = []  # time.monotonic() of every request
        self.served = []

    def route(self, number):
        def answer(handler):
            with self.lock:
                self.started.append(time.monotonic())
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                time.sleep(self.delay)
                respond(PAGE.format(n=number).encode())(handler)
                self.served.append(number)
            finally:
                with self.lock:
                    self.in_flight -= 1

        return answer


def finished():
    """every capture finished"""
    return not Capture.objects.exclude(state__in=["succeeded", "failed"]).exists()


def test_a_killed_workers_jobs_are_finished_by_the_other_exactly_once(
    transactional_db, make_claim, tmp_path
):
    pages = SlowPages(delay=1.5)
    # One host per page (127.0.0.x), so that politeness does not serialise them.
    servers = [
        Server({"/page": pages.route(n)}, host=f"127.0.0.{n + 1}") for n in range(6)
    ]
    for server in servers:
        server.__enter__()
    # Two worker machines: the later --hostname replaces start_worker's name@%h.
    workers = [
        start_worker(
            tmp_path, "alpha", "--hostname=alpha@hostA", HOSTNAME="hostA", **TIMING
        ),
        start_worker(
            tmp_path,
            "beta",
            "--hostname=beta@hostB",
            "--beat",
            f"--schedule={tmp_path / 'beat'}",
            CAPTURE_SWEEP_SECONDS="1",
            HOSTNAME="hostB",
            **TIMING,
        ),
    ]
    try:
        claim = make_claim(status=Claim.Status.PUBLISHED)
        sources = [add_source(claim, url=server.url("/page")) for server in servers]
        wait_for(
            lambda: Capture.objects.filter(
                state="running", worker="alpha@hostA"
            ).exists(),
            timeout=30,
        )
        victim = Capture.objects.get(state="running", worker="alpha@hostA")
        stop(workers[0], signal.SIGKILL)
        wait_for(finished, timeout=90)
    finally:
        for worker in workers:
            stop(worker, signal.SIGKILL)
        for server in servers:
            server.__exit__(None, None, None)

    captures = list(Capture.objects.order_by("pk"))
    assert [c.state for c in captures] == ["succeeded"] * 6
    assert sorted(c.source_id for c in captures) == sorted(s.pk for s in sources)
    victim.refresh_from_db()
    assert victim.attempts == 2
    assert victim.worker == "beta@hostB"
    others = [c for c in captures if c.pk != victim.pk]
    assert [c.attempts for c in others] == [1] * 5
    assert {c.worker for c in others} <= {"alpha@hostA", "beta@hostB"}
    fetches = {
        s.pk: len(server.requests) for s, server in zip(sources, servers, strict=True)
    }
    assert 1 <= fetches.pop(victim.source_id) <= 2  # a second time after the kill
    assert list(fetches.values()) == [1] * 5
    warcs = sorted(
        p.relative_to(tmp_path / "archive").as_posix()
        for p in (tmp_path / "archive").rglob("*.warc.gz")
    )
    assert warcs == sorted(c.warc.name for c in captures)  # no stray or double copy
    for capture in captures:
        data = (tmp_path / "archive" / capture.warc.name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == capture.warc_sha256


def worker_ready(tmp_path, name):
    """whether the worker says it is ready"""
    return " ready." in (tmp_path / f"{name}.log").read_text()


def capture_with_two_workers(make_claim, tmp_path, pages, count, **politeness):
    """Cite `count` of `pages` on one host and let two worker processes capture
    them; return the names of the workers that did."""
    routes = {f"/page{n}": pages.route(n) for n in range(count)}
    politeness["CACHE_KEY_PREFIX"] = f"politeness-test-{time.monotonic_ns()}"
    names = ("left", "right")
    with Server(routes) as server:
        workers = [
            # One capture at a time each: two fetches at once, or a worker idle
            # while jobs wait, can only come from both working side by side.
            start_worker(tmp_path, name, "--concurrency=1", **politeness)
            for name in names
        ]
        try:
            # Both consuming before the jobs come: else the first one up may
            # take them all, and the test would show nothing about sharing.
            wait_for(lambda: all(worker_ready(tmp_path, n) for n in names), timeout=60)
            claim = make_claim()
            for path in routes:
                add_source(claim, url=server.url(path))
            wait_for(finished, timeout=120)
        finally:
            for worker in workers:
                stop(worker)
    states = list(Capture.objects.values_list("state", flat=True))
    assert states == ["succeeded"] * count
    return {w.split("@")[0] for w in Capture.objects.values_list("worker", flat=True)}


@pytest.mark.parametrize("per_host", [1, 2])
def test_politeness_holds_across_workers(
    transactional_db, make_claim, tmp_path, per_host
):
    pages = SlowPages(delay=0.6)
    used = capture_with_two_workers(
        make_claim,
        tmp_path,
        pages,
        6,
        CAPTURE_PER_HOST_CONCURRENCY=str(per_host),
        CAPTURE_PER_HOST_INTERVAL="0",
    )
    assert pages.most_in_flight == per_host
    assert used == {"left", "right"}


def test_spacing_between_fetches_holds_across_workers(
    transactional_db, make_claim, tmp_path
):
    """Two worker processes, one host: fetch starts at least the interval apart."""
    interval, per_host = 0.5, 2
    pages = SlowPages(delay=1.2)  # longer than the interval: fetches overlap
    used = capture_with_two_workers(
        make_claim,
        tmp_path,
        pages,
        8,
        CAPTURE_PER_HOST_CONCURRENCY=str(per_host),
        CAPTURE_PER_HOST_INTERVAL=str(interval),
    )
    starts = sorted(pages.started)
    assert len(starts) == 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    # The tolerance (125 ms) covers the time between taking the slot and the
    # request reaching the server, which differs from one fetch to the next on
    # a loaded machine. Without the limit the gaps are a few tens of ms.
    assert min(gaps) >= interval * 0.75, gaps
    assert pages.most_in_flight == per_host
    assert used == {"left", "right"}


# S3-compatible storage


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    """A local S3-compatible server (moto)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: listening(port), timeout=30)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def listening(port):
    """the S3 server listens"""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return False
    return True


S3_KEYS = {"access_key": "testing", "secret_key": "testing", "region_name": "us-east-1"}


@pytest.fixture
def s3_archive(s3_endpoint, capture_settings):
    import boto3

    bucket = f"archive-{time.monotonic_ns()}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    capture_settings.STORAGES = {
        **capture_settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"bucket_name": bucket, "endpoint_url": s3_endpoint, **S3_KEYS},
        },
    }
    return client, bucket


def test_archives_go_to_s3_compatible_storage(
    transactional_db, s3_archive, make_claim, client, capsys
):
    s3, bucket = s3_archive
    body = PAGE.format(n=7).encode()
    with Server({"/page": respond(body)}) as server:
        source = add_source(
            make_claim(status=Claim.Status.PUBLISHED), url=server.url("/page")
        )
        services.run_capture(capture_id=source.captures.get().pk)

    capture = source.captures.get()
    assert capture.state == "succeeded", capture.error
    stored = s3.get_object(Bucket=bucket, Key=capture.warc.name)["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == capture.warc_sha256
    raw = client.get(f"/archive/{capture.pk}/raw/")
    assert b"".join(raw.streaming_content) == body
    call_command("verifyarchive")
    assert "1 captures checked, 0 missing or altered." in capsys.readouterr().out

    s3.delete_object(Bucket=bucket, Key=capture.warc.name)
    with pytest.raises(Exception, match="1 missing or altered"):
        call_command("verifyarchive")


def test_s3_storage_is_a_settings_change_only(tmp_path):
    code = (
        "import django, os, json;"
        "os.environ['DJANGO_SETTINGS_MODULE'] = 'factcheck.settings';"
        "django.setup(); from django.conf import settings;"
        "print(json.dumps(settings.STORAGES['default']))"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "VAR_DIR": str(tmp_path),
        "ARCHIVE_S3_BUCKET": "newsroom-archive",
        "ARCHIVE_S3_ENDPOINT_URL": "https://s3.example.net",
        "ARCHIVE_S3_REGION": "eu-central-1",
        "ARCHIVE_S3_ACCESS_KEY_ID": "key",
        "ARCHIVE_S3_SECRET_ACCESS_KEY": "secret",
        "ARCHIVE_S3_PREFIX": "factcheck",
    }
    import json

    result = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        cwd=settings.BASE_DIR,
        timeout=60,
    )
    storage = json.loads(result.stdout.strip().splitlines()[-1])
    assert storage["BACKEND"] == "storages.backends.s3.S3Storage"
    assert storage["OPTIONS"]["bucket_name"] == "newsroom-archive"
    assert storage["OPTIONS"]["endpoint_url"] == "https://s3.example.net"
    assert storage["OPTIONS"]["location"] == "factcheck"
    assert storage["OPTIONS"]["file_overwrite"] is False
