"""Operations: /healthz, structured logs with request and task ids, the queue."""

import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Capture, Heartbeat
from tests.capture_servers import Server, respond
from tests.conftest import add_source, wait_for

ROOT = Path(__file__).resolve().parent.parent


def beat_and_worker(seconds_ago=0, search_seconds_ago=None):
    now = timezone.now()
    moment = now - datetime.timedelta(seconds=seconds_ago)
    Heartbeat.objects.update_or_create(name="beat", defaults={"seen_at": moment})
    Heartbeat.objects.update_or_create(
        name="worker:w1@host", defaults={"seen_at": moment}
    )
    if search_seconds_ago is not None:
        moment = now - datetime.timedelta(seconds=search_seconds_ago)
    Heartbeat.objects.update_or_create(
        name="search-worker:search@host", defaults={"seen_at": moment}
    )


def test_healthz_is_200_when_everything_is_up(db, client):
    beat_and_worker()

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    parts = ("database", "redis", "worker", "search_worker", "beat")
    assert {body[part]["ok"] for part in parts} == {True}
    assert "no-cache" in response["Cache-Control"]


def test_healthz_is_503_when_worker_and_beat_are_silent(db, client, settings):
    beat_and_worker(seconds_ago=settings.HEARTBEAT_STALE_AFTER + 5)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "down"
    assert body["worker"]["ok"] is False and body["beat"]["ok"] is False
    assert body["worker"]["seconds_ago"] > settings.HEARTBEAT_STALE_AFTER


def test_healthz_is_503_when_no_worker_takes_search_rebuilds(db, client, settings):
    beat_and_worker(search_seconds_ago=settings.HEARTBEAT_STALE_AFTER + 5)

    response = client.get("/healthz")

    assert response.status_code == 503
    body = response.json()
    assert body["worker"]["ok"] is True and body["beat"]["ok"] is True
    assert body["search_worker"]["ok"] is False


def test_healthz_is_503_when_redis_is_down(db, client, settings):
    beat_and_worker()
    settings.REDIS_URL = "redis://127.0.0.1:1/0"

    body = client.get("/healthz").json()

    assert body["status"] == "down"
    assert body["redis"] == {"ok": False, "error": "ConnectionError"}
    assert body["database"]["ok"] is True


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
def test_healthz_says_soon_that_a_silent_redis_is_down(
    db, client, settings, silent_redis
):
    """A load balancer's probe gives up after a few seconds: a Redis that
    stops answering must show as down, not as a probe that timed out."""
    beat_and_worker()
    settings.REDIS_URL = silent_redis

    started = time.monotonic()
    response = client.get("/healthz")
    took = time.monotonic() - started

    assert response.status_code == 503
    assert response.json()["redis"] == {"ok": False, "error": "TimeoutError"}
    assert took < 2


def test_healthz_never_seen_is_down(db, client):
    body = client.get("/healthz").json()
    assert body["worker"] == {"ok": False, "error": "never seen"}


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens there once it is closed


@pytest.mark.slow
def test_healthz_is_503_when_the_database_is_down(tmp_path, settings):
    """gunicorn with production settings and a DATABASE_URL nobody answers."""
    port, dead_database = closed_port(), closed_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "healthz-test-secret-" + "x" * 40,
        "ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead_database}/factcheck",
        "REDIS_URL": settings.REDIS_URL,
        "VAR_DIR": str(tmp_path),
        "LOG_FORMAT": "json",
    }
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        web = subprocess.Popen(
            [Path(sys.executable).with_name("gunicorn"), "factcheck.wsgi"]
            + ["--bind", f"127.0.0.1:{port}", "--workers", "1"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        status, body = wait_for(lambda: get_healthz(port, web), timeout=60)
    finally:
        web.terminate()
        web.wait(timeout=30)

    assert status == 503, log.read_text()
    assert body["status"] == "down"
    assert body["database"] == {"ok": False, "error": "OperationalError"}
    assert body["redis"] == {"ok": True}
    assert body["worker"]["ok"] is False and body["beat"]["ok"] is False


def get_healthz(port, web):
    """gunicorn answers /healthz"""
    assert web.poll() is None, "gunicorn exited"
    url = f"http://127.0.0.1:{port}/healthz"
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())
    except OSError:
        return None  # not listening yet


def test_worker_and_beat_check_in(celery_worker):
    from claims.tasks import heartbeat, search_heartbeat

    heartbeat.delay()  # publishing is what beat does; running it, a worker
    search_heartbeat.delay()  # on the search queue

    wait_for(lambda: Heartbeat.objects.filter(name__startswith="worker:").exists())
    searching = Heartbeat.objects.filter(name__startswith="search-worker:")
    wait_for(searching.exists)
    assert Heartbeat.objects.filter(name="beat").exists()
    checks = services.health()["checks"]
    assert checks["worker"]["ok"] is True and checks["search_worker"]["ok"] is True


def test_a_worker_with_a_backlog_still_checks_in(
    celery_worker, make_claim, capture_settings
):
    """The heartbeat goes ahead of the jobs already queued, so /healthz does
    not call a worker stale (and an orchestrator restart web) while it works
    through thousands of captures."""
    from claims.tasks import heartbeat

    capture_settings.CAPTURE_PER_HOST_CONCURRENCY = 4  # none postponed

    def slow_article(handler):
        time.sleep(0.5)
        page = b"<html><title>Kurachowe</title><body><p>Lage unklar.</p></body>"
        respond(page, headers=[("Content-Type", "text/html")])(handler)

    with Server({"/article": slow_article}) as server:
        claim = make_claim()
        for number in range(24):  # 4 at once: 3 s of work
            add_source(claim, url=server.url(f"/article?{number}"))
        heartbeat.delay()

        def backlog_done():
            """every capture finished"""
            done = [Capture.State.SUCCEEDED, Capture.State.FAILED]
            return not Capture.objects.exclude(state__in=done).exists()

        wait_for(backlog_done, timeout=60)
    seen_at = Heartbeat.objects.get(name__startswith="worker:").seen_at
    captures = Capture.objects.all()
    assert {capture.state for capture in captures} == {Capture.State.SUCCEEDED}
    # In the order queued, the heartbeat would wait for 20 captures to start.
    assert captures.filter(finished_at__gt=seen_at).count() >= 12


# Structured logs


def test_web_logs_are_json_lines_with_a_request_id(tmp_path):
    """A request's log lines share its id."""
    code = """
from django.test import Client
from django.test.utils import setup_test_environment
from django.core.management import call_command
call_command("migrate", verbosity=0)
setup_test_environment()
response = Client().get("/no-such-page/")
print("STATUS", response.status_code)
"""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "LOG_FORMAT": "json"}
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django, os;"
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'factcheck.settings');"
            "django.setup()\n" + code,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    lines = [
        json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")
    ]
    requests = [line for line in lines if line.get("request") == "GET /no-such-page/"]
    assert {line["event"] for line in requests} >= {
        "request_started",
        "request_finished",
    }
    assert len({line["request_id"] for line in requests}) == 1
    assert all("timestamp" in line and "level" in line for line in lines)


@pytest.mark.slow
def test_worker_logs_are_json_lines_with_the_task_id(transactional_db, tmp_path):
    from claims.tasks import heartbeat
    from tests.test_worker_faults import start_worker, stop

    worker = start_worker(tmp_path, "logger", LOG_FORMAT="json")
    try:
        task_id = heartbeat.delay().id
        log = tmp_path / "logger.log"

        def logged():
            """the worker logged the task's end"""
            lines = [
                json.loads(line)
                for line in log.read_text().splitlines()
                if line.startswith("{") and task_id in line
            ]
            done = any(line.get("event") == "task_succeeded" for line in lines)
            return done and [line for line in lines if "task_id" in line]

        lines = wait_for(logged, timeout=30)
    finally:
        stop(worker)
    assert {line["task_id"] for line in lines} == {task_id}
    assert {"task_started", "task_succeeded"} <= {line["event"] for line in lines}


# The capture queue in the admin


def test_admin_front_page_shows_the_capture_queue(editor_client, make_claim):
    claim = make_claim()
    waiting = add_source(claim, url="https://example.org/a").captures.get()
    add_source(claim, url="https://example.org/b")
    failed = add_source(claim, url="https://example.org/c").captures.get()
    running = add_source(claim, url="https://example.org/d").captures.get()
    failed_yesterday = add_source(claim, url="https://example.org/e").captures.get()
    archived = add_source(claim, url="https://example.org/f").captures.get()
    archived_yesterday = add_source(claim, url="https://example.org/g").captures.get()
    day_and_hour_ago = timezone.now() - datetime.timedelta(hours=25)
    Capture.objects.filter(pk=failed.pk).update(
        state="failed", finished_at=timezone.now()
    )
    Capture.objects.filter(pk=failed_yesterday.pk).update(
        state="failed", finished_at=day_and_hour_ago
    )
    Capture.objects.filter(pk=archived.pk).update(
        state="succeeded", finished_at=timezone.now()
    )
    Capture.objects.filter(pk=archived_yesterday.pk).update(
        state="succeeded", finished_at=day_and_hour_ago
    )
    Capture.objects.filter(pk=running.pk).update(state="running")
    old = timezone.now() - datetime.timedelta(hours=5)
    Capture.objects.filter(pk=waiting.pk).update(created_at=old)

    html = editor_client.get(reverse("admin:index")).content.decode()

    queue = html[html.index('id="capture-queue"') :]
    queue = queue[: queue.index("</div>")]
    numbers = [int(n) for n in __import__("re").findall(r"<td>(\d+)</td>", queue)]
    # waiting, capturing, failed and archived in the last 24 h: not those 25 h old
    assert numbers == [2, 1, 1, 1]
    assert "5\xa0hours" in queue


def test_capture_queue_is_hidden_from_outsiders(outsider):
    from tests.conftest import client_for

    html = client_for(outsider).get(reverse("admin:index")).content.decode()
    assert 'id="capture-queue"' not in html
