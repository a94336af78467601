"""Archiving cited links: capture jobs, the real worker, retries, dedup, re-checks."""

import datetime
import gzip
import hashlib
import os
import socket
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import services
from claims.capture import read_payload
from claims.models import Capture, Source
from claims.templatetags.claims import source_archive
from tests.capture_servers import (
    Server,
    block_outside_network,
    read_records,
    redirect,
    respond,
    warcio_check,
)
from tests.conftest import TEST_QUEUE, add_source, wait_for
from tests.test_capture_fetch import ResettingServer

ARTICLE = (
    "<html><head><title>Pokrowsk: Lage unklar</title></head><body><article>"
    "<p>Russland meldet die Einnahme von Pokrowsk. Die Ukraine und das ISW "
    "bestreiten diese Darstellung; unabhängige Belege gibt es bislang nicht.</p>"
    "<p>Der Generalstab in Kiew spricht von andauernden Kämpfen im Stadtgebiet.</p>"
    "</article></body></html>"
).encode()
EDITED = ARTICLE.replace(
    b"andauernden K\xc3\xa4mpfen", b"einem geordneten R\xc3\xbcckzug"
)
HTML = (("Content-Type", "text/html; charset=utf-8"),)

Done = (Capture.State.SUCCEEDED, Capture.State.FAILED)


def sequence(*routes):
    """A route that answers with each of `routes` in turn, then keeps the last."""
    remaining = list(routes)

    def route(handler):
        (remaining.pop(0) if len(remaining) > 1 else remaining[0])(handler)

    return route


def finished(capture):
    def check():
        """capture finished"""
        capture.refresh_from_db()
        return capture.state in Done

    wait_for(check)
    return capture


@pytest.fixture
def server():
    with Server({"/article": respond(ARTICLE, headers=HTML)}) as running:
        yield running


def test_saving_a_source_archives_it_through_the_worker(
    celery_worker, server, make_claim, capture_settings
):
    claim = make_claim()
    source = add_source(claim, url=server.url("/article"))

    capture = finished(source.captures.get())

    assert capture.state == Capture.State.SUCCEEDED, capture.error
    assert capture.kind == Capture.Kind.CITED
    assert capture.attempts == 1
    assert capture.http_status == 200
    assert capture.final_url == server.url("/article")
    assert capture.ip_address == "127.0.0.1"
    assert capture.title == "Pokrowsk: Lage unklar"
    assert "unabhängige Belege" in capture.text
    assert capture.payload_sha256 == hashlib.sha256(ARTICLE).hexdigest()
    assert "FactcheckWorkbench" in capture.user_agent
    assert {"python", "warcio"} <= set(capture.tool_versions)
    warc_path = capture.warc.path
    assert str(capture_settings.MEDIA_ROOT) in warc_path
    with open(warc_path, "rb") as warc:
        assert hashlib.sha256(warc.read()).hexdigest() == capture.warc_sha256
    assert warcio_check(capture.warc.path).returncode == 0
    types = [record.type for record in read_records(Path(capture.warc.path))]
    assert types == ["warcinfo", "request", "response", "metadata"]
    source.refresh_from_db()
    assert source.cited_capture == capture == source.latest_capture
    assert server.requests == ["/article"]


def test_capture_job_is_created_in_the_same_transaction(
    db, make_claim, django_capture_on_commit_callbacks
):
    claim = make_claim()
    with pytest.raises(RuntimeError), transaction.atomic():
        add_source(claim, url="https://example.org/rolled-back")
        raise RuntimeError("the form failed after the source was saved")
    assert not Capture.objects.exists()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        source = add_source(claim, url="https://example.org/kept")
        capture = Capture.objects.get()
        assert capture.source == source
    assert capture.queued_at is None  # nothing is queued before the commit
    for callback in callbacks:
        callback()
    capture.refresh_from_db()
    assert capture.queued_at is not None


def test_changing_the_url_captures_again_and_keeps_the_old_copy(
    celery_worker, server, make_claim
):
    source = add_source(make_claim(), url=server.url("/article"))
    first = finished(source.captures.get())
    first_file = first.warc.path

    source.url = server.url("/article?v=2")
    source.save()
    source.title = "Nur der Titel"
    source.save()

    second = finished(source.captures.exclude(pk=first.pk).get())
    assert source.captures.count() == 2
    assert second.state == Capture.State.SUCCEEDED
    assert second.url.endswith("?v=2")
    first.refresh_from_db()
    assert first.warc.path == first_file
    with open(first_file, "rb") as warc:
        assert hashlib.sha256(warc.read()).hexdigest() == first.warc_sha256


def test_identical_payload_is_stored_once(celery_worker, make_claim):
    routes = {
        "/a": respond(ARTICLE, headers=HTML),
        "/b": respond(ARTICLE, headers=HTML),
    }
    with Server(routes) as server:
        claim = make_claim()
        first = finished(add_source(claim, url=server.url("/a")).captures.get())
        second = finished(add_source(claim, url=server.url("/b")).captures.get())

    assert second.state == Capture.State.SUCCEEDED
    assert second.revisit_of == first
    assert second.payload_sha256 == first.payload_sha256
    records = read_records(Path(second.warc.path))
    assert [r.type for r in records] == ["warcinfo", "request", "revisit", "metadata"]
    assert ARTICLE not in b"".join(r.content for r in records)
    assert warcio_check(second.warc.path).returncode == 0
    with second.payload_capture.warc.open("rb") as stored:
        _, chunks = read_payload(stored)
        assert b"".join(chunks) == ARTICLE
    assert copies_on_disk(ARTICLE) == 1


def copies_on_disk(payload):
    """How often `payload` occurs in all the WARC files in the archive."""
    root = Path(django_settings.MEDIA_ROOT)
    return sum(
        gzip.decompress(path.read_bytes()).count(payload)
        for path in root.rglob("*.warc.gz")
    )


def test_redelivered_message_does_no_harm(
    transactional_db, capture_settings, make_claim
):
    hits = []

    def slow(handler):
        hits.append(time.monotonic())
        time.sleep(0.3)
        respond(ARTICLE, headers=HTML)(handler)

    with Server({"/slow": slow}) as server:
        source = Source.objects.create(
            claim=make_claim(),
            url=server.url("/slow"),
            party=make_claim().claimant,
            stance="asserts",
        )
        capture = source.captures.get()
        threads = [
            threading.Thread(
                target=services.run_capture, kwargs={"capture_id": capture.pk}
            )
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    assert capture.state == Capture.State.SUCCEEDED
    assert capture.attempts == 1
    assert len(hits) == 1


def test_warc_reaches_the_disk_before_its_row_commits(
    transactional_db, capture_settings, make_claim, server, monkeypatch
):
    """fsync is the operating system's; spying on it patches nothing of ours."""
    flushed = []
    fsync = os.fsync

    def record(descriptor):
        path = Path(os.readlink(f"/proc/self/fd/{descriptor}"))
        committed = Capture.objects.filter(
            warc__endswith=path.name, state=Capture.State.SUCCEEDED
        ).exists()
        flushed.append((path, committed))
        fsync(descriptor)

    monkeypatch.setattr(os, "fsync", record)
    capture = add_source(make_claim(), url=server.url("/article")).captures.get()
    services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    warc = Path(capture.warc.path)
    assert capture.state == Capture.State.SUCCEEDED
    assert (warc, False) in flushed
    assert (warc.parent, False) in flushed


def test_server_error_then_success_is_retried(celery_worker, make_claim):
    route = sequence(respond(b"oops", status=500), respond(ARTICLE, headers=HTML))
    with Server({"/flaky": route}) as server:
        source = add_source(make_claim(), url=server.url("/flaky"))
        capture = finished(source.captures.get())

    assert capture.state == Capture.State.SUCCEEDED
    assert capture.attempts == 2
    assert [entry["attempt"] for entry in capture.attempt_log] == [1]
    assert "500 Internal Server Error" in capture.attempt_log[0]["error"]
    assert capture.error == ""
    assert server.requests == ["/flaky", "/flaky"]


def test_transient_errors_stop_after_the_attempt_limit(
    celery_worker, make_claim, settings
):
    settings.CAPTURE_MAX_ATTEMPTS = 3
    with Server({"/down": respond(b"down", status=503)}) as server:
        capture = finished(
            add_source(make_claim(), url=server.url("/down")).captures.get()
        )

    assert capture.state == Capture.State.FAILED
    assert capture.attempts == 3
    assert len(capture.attempt_log) == 3
    assert capture.error == "The site answered with an error: 503 Service Unavailable"
    assert len(server.requests) == 3


def test_not_found_is_not_retried(celery_worker, make_claim):
    with Server({}) as server:
        capture = finished(
            add_source(make_claim(), url=server.url("/gone")).captures.get()
        )

    assert capture.state == Capture.State.FAILED
    assert capture.attempts == 1
    assert capture.error == "The site answered with an error: 404 Not Found"
    assert capture.change == Capture.Change.GONE
    assert (
        Source.objects.get(pk=capture.source_id).live_status == Source.LiveStatus.GONE
    )
    assert server.requests == ["/gone"]


def test_connection_reset_is_retried(transactional_db, capture_settings, make_claim):
    with ResettingServer(resets=1) as server:
        capture = add_source(make_claim(), url=server.url("/")).captures.get()
        services.run_capture(capture_id=capture.pk)
        capture.refresh_from_db()
        assert capture.state == Capture.State.PENDING
        assert capture.error == "127.0.0.1 closed the connection unexpectedly"
        Capture.objects.filter(pk=capture.pk).update(next_attempt_at=timezone.now())
        services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    assert capture.state == Capture.State.SUCCEEDED
    assert capture.attempts == 2
    assert server.connections == 2


def queued_messages():
    """Messages waiting in this test run's broker queue."""
    client = redis.Redis.from_url(django_settings.REDIS_URL)
    return sum(client.llen(key) for key in client.scan_iter(f"{TEST_QUEUE}*"))


@pytest.mark.skipif(not django_settings.REDIS_URL, reason="needs the real Redis")
@pytest.mark.parametrize(("retry_after", "queued"), [(5, 1), (3600, 0)])
def test_retry_waiting_past_the_visibility_timeout_is_left_to_the_sweep(
    transactional_db, capture_settings, make_claim, retry_after, queued
):
    """Redis hands a message that waited unacknowledged longer than its
    visibility timeout to another worker, so a long wait is not queued."""
    route = respond(b"", status=429, headers=(("Retry-After", str(retry_after)),))
    assert 5 < django_settings.CAPTURE_MAX_COUNTDOWN < 3600
    with Server({"/busy": route}) as server:
        capture = add_source(make_claim(), url=server.url("/busy")).captures.get()
        before = queued_messages()
        services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    assert capture.state == Capture.State.PENDING
    assert queued_messages() == before + queued
    assert (capture.queued_at is None) == (not queued)

    Capture.objects.filter(pk=capture.pk).update(
        next_attempt_at=timezone.now(), queued_at=None
    )
    assert services.requeue_stalled_captures() == 1  # due: the sweep queues it
    assert queued_messages() == before + queued + 1


def test_too_many_requests_waits_for_retry_after(
    transactional_db, capture_settings, make_claim
):
    route = respond(b"slow down", status=429, headers=(("Retry-After", "120"),))
    with Server({"/busy": route}) as server:
        source = add_source(make_claim(), url=server.url("/busy"))
        capture = source.captures.get()
        before = timezone.now()
        services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    assert capture.state == Capture.State.PENDING
    assert capture.attempts == 1
    assert capture.next_attempt_at >= before + datetime.timedelta(seconds=120)
    assert "429 Too Many Requests" in capture.error
    assert services.run_capture(capture_id=capture.pk) is None  # not due yet


def test_private_address_is_refused_and_not_retried(
    transactional_db, make_claim, settings
):
    settings.CAPTURE_ALLOW_NETWORKS = []
    with Server({"/": respond(ARTICLE)}) as server:
        source = add_source(make_claim(), url=server.url("/"))
        services.run_capture(capture_id=source.captures.get().pk)

    capture = source.captures.get()
    assert capture.state == Capture.State.FAILED
    assert capture.attempts == 1
    assert capture.error == "Refused: 127.0.0.1 is a loopback address"
    assert server.requests == []


def test_retry_delay_grows_with_jitter_and_honours_retry_after(settings):
    settings.CAPTURE_RETRY_BASE = 10
    settings.CAPTURE_RETRY_MAX = 100
    first = [services.retry_delay(1) for _ in range(200)]
    third = [services.retry_delay(3) for _ in range(200)]

    assert 5 <= min(first) < max(first) <= 15
    assert min(third) >= 20 and max(third) <= 60
    assert len(set(first)) > 100
    assert services.retry_delay(10) <= 150
    assert services.retry_delay(1, retry_after=90) >= 90
    assert services.retry_delay(1, retry_after=10_000) <= 150


# Watching the live page


def recheck(source):
    capture = source.request_capture(Capture.Kind.RECHECK)
    services.run_capture(capture_id=capture.pk)
    capture.refresh_from_db()
    source.refresh_from_db()
    return capture


@pytest.fixture
def cited(transactional_db, capture_settings, make_claim):
    """A source whose page has been captured as cited; its server can change."""
    routes = {"/page": respond(ARTICLE, headers=HTML)}
    with Server(routes) as server:
        source = add_source(make_claim(), url=server.url("/page"))
        services.run_capture(capture_id=source.captures.get().pk)
        source.refresh_from_db()
        assert source.cited_capture.state == Capture.State.SUCCEEDED
        yield source, routes


def test_recheck_of_an_unchanged_page(cited):
    source, _ = cited
    capture = recheck(source)
    assert capture.change == Capture.Change.UNCHANGED
    assert capture.revisit_of == source.cited_capture
    assert source.live_status == Source.LiveStatus.UNCHANGED
    assert source.live_checked_at >= capture.fetch_started_at


def test_only_the_cited_copy_rebuilds_the_claims_search_vector(
    transactional_db, capture_settings, make_claim
):
    """A recheck reports on the live page; searches read the cited copy, so a
    recheck has nothing to re-read (a claim's vector re-stems the archived
    text of all its sources)."""

    def vector_updates(run):
        with CaptureQueriesContext(connection) as queries:
            run()
        return [q for q in queries if 'SET "search_vector"' in q["sql"]]

    routes = {"/page": respond(ARTICLE, headers=HTML)}
    with Server(routes) as server:
        source = add_source(make_claim(), url=server.url("/page"))
        first = source.captures.get()
        assert vector_updates(lambda: services.run_capture(capture_id=first.pk))
        routes["/page"] = respond(EDITED, headers=HTML)
        assert vector_updates(lambda: recheck(source)) == []

    assert source.live_status == Source.LiveStatus.CHANGED
    assert source.cited_capture == first


def test_recheck_of_an_edited_page_records_a_readable_diff(cited):
    source, routes = cited
    routes["/page"] = respond(EDITED, headers=HTML)

    capture = recheck(source)

    assert capture.change == Capture.Change.CHANGED
    assert source.live_status == Source.LiveStatus.CHANGED
    assert "-Der Generalstab in Kiew spricht von andauernden Kämpfen" in capture.diff
    assert (
        "+Der Generalstab in Kiew spricht von einem geordneten Rückzug" in capture.diff
    )
    assert source.cited_capture.text != capture.text  # the cited copy is untouched


@pytest.mark.parametrize(
    "route", [respond(b"", status=404), respond(b"", status=410), redirect("/")]
)
def test_recheck_of_a_vanished_page(cited, route):
    source, routes = cited
    routes["/page"] = route
    routes["/"] = respond(b"<html><title>Home</title></html>", headers=HTML)

    capture = recheck(source)

    assert capture.change == Capture.Change.GONE
    assert source.live_status == Source.LiveStatus.GONE
    assert source.cited_capture.state == Capture.State.SUCCEEDED


def test_rechecks_are_scheduled_when_the_interval_has_passed(cited, settings):
    source, _ = cited
    settings.CAPTURE_RECHECK_INTERVAL = 3600
    assert services.schedule_rechecks() == 0

    Source.objects.filter(pk=source.pk).update(
        live_checked_at=timezone.now() - datetime.timedelta(hours=2)
    )
    assert services.schedule_rechecks() == 1
    assert services.schedule_rechecks() == 0  # one is already pending
    assert source.captures.filter(kind=Capture.Kind.RECHECK).count() == 1


# The sweep


def test_sweep_requeues_due_and_abandoned_jobs_only(transactional_db, make_claim):
    claim = make_claim()
    now = timezone.now()
    due = add_source(claim, url="https://example.org/due").captures.get()
    later = add_source(claim, url="https://example.org/later").captures.get()
    abandoned = add_source(claim, url="https://example.org/abandoned").captures.get()
    alive = add_source(claim, url="https://example.org/alive").captures.get()
    Capture.objects.filter(pk=due.pk).update(queued_at=None)
    Capture.objects.filter(pk=later.pk).update(
        queued_at=None, next_attempt_at=now + datetime.timedelta(minutes=5)
    )
    Capture.objects.filter(pk=abandoned.pk).update(
        state="running", lease_expires_at=now - datetime.timedelta(seconds=1)
    )
    Capture.objects.filter(pk=alive.pk).update(
        state="running", lease_expires_at=now + datetime.timedelta(minutes=5)
    )

    swept = timezone.now()
    assert services.requeue_stalled_captures() == 2
    queued = set(
        Capture.objects.filter(queued_at__gte=swept).values_list("pk", flat=True)
    )
    assert {due.pk, abandoned.pk} <= queued
    assert later.pk not in queued and alive.pk not in queued


def test_job_that_took_its_worker_down_every_time_is_given_up(
    transactional_db, capture_settings, make_claim, settings
):
    settings.CAPTURE_MAX_ATTEMPTS = 3
    expired = timezone.now() - datetime.timedelta(seconds=1)
    with Server({"/": respond(ARTICLE, headers=HTML)}) as server:
        claim = make_claim()
        doomed = add_source(claim, url=server.url("/?doomed")).captures.get()
        again = add_source(claim, url=server.url("/?again")).captures.get()
        Capture.objects.filter(pk=doomed.pk).update(
            state="running", attempts=3, lease_expires_at=expired
        )
        Capture.objects.filter(pk=again.pk).update(
            state="running", attempts=2, lease_expires_at=expired
        )

        assert services.run_capture(capture_id=doomed.pk) is None
        assert services.run_capture(capture_id=again.pk).state == "succeeded"
        assert services.requeue_stalled_captures() == 0

    doomed.refresh_from_db()
    assert doomed.state == Capture.State.FAILED
    assert doomed.attempts == 3
    assert doomed.error == (
        "The capture was stopped 3 times before it could finish (its worker was "
        "killed or ran out of memory or time), so it was given up."
    )
    assert doomed.attempt_log[-1]["error"] == doomed.error
    assert doomed.finished_at is not None
    assert server.requests == ["/?again"]


# Changing a source's URL, and what each capture says about the previous one


def test_changing_the_url_forgets_the_old_urls_copy_and_live_status(cited):
    source, routes = cited
    routes["/page"] = respond(EDITED, headers=HTML)
    recheck(source)
    old_copy = source.cited_capture
    assert source.live_status == Source.LiveStatus.CHANGED

    routes["/moved"] = respond(EDITED, headers=HTML)
    source.url = source.url.replace("/page", "/moved")
    source.save()

    source.refresh_from_db()
    assert source.cited_capture is None
    assert source.live_status == Source.LiveStatus.UNCHECKED
    assert source.live_checked_at is None
    assert old_copy.get_absolute_url() not in source_archive(source)
    assert "Changed since cited" not in source_archive(source)
    assert source.captures.filter(pk=old_copy.pk).exists()  # kept, not shown

    services.run_capture(capture_id=source.latest_capture_id)
    source.refresh_from_db()
    assert source.cited_capture == source.latest_capture
    assert source.cited_capture.url.endswith("/moved")
    assert source.cited_capture.change == Capture.Change.FIRST


def test_each_capture_records_whether_the_page_is_unchanged_since_the_previous(
    cited,
):
    """The page goes A, B, B, A: "unchanged since the previous capture" is
    about the capture just before; "change" about the copy as cited."""
    source, routes = cited
    first = source.cited_capture
    routes["/page"] = respond(EDITED, headers=HTML)
    edited, edited_again = recheck(source), recheck(source)
    routes["/page"] = respond(ARTICLE, headers=HTML)
    restored = recheck(source)

    captures = [first, edited, edited_again, restored]
    assert [c.unchanged_since_previous for c in captures] == [None, False, True, False]
    assert [c.change for c in captures] == ["first", "changed", "changed", "unchanged"]


def test_a_failed_capture_is_not_the_previous_one(cited):
    source, routes = cited
    routes["/page"] = respond(b"", status=503)
    failed = recheck(source)
    routes["/page"] = respond(ARTICLE, headers=HTML)
    again = recheck(source)

    assert failed.state == Capture.State.PENDING
    assert failed.unchanged_since_previous is None
    assert again.unchanged_since_previous is True


def test_spellings_of_one_host_share_its_politeness_interval(
    transactional_db, capture_settings, make_claim, settings
):
    settings.CAPTURE_PER_HOST_INTERVAL = 30
    settings.CACHE_KEY_PREFIX = f"test-{uuid.uuid4().hex}"
    with Server({"/a": respond(ARTICLE, headers=HTML)}) as server:
        first = add_source(make_claim(), url=server.url("/a")).captures.get()
        second = add_source(
            make_claim(), url=server.url("/a", host="2130706433")
        ).captures.get()
        services.run_capture(capture_id=first.pk)
        services.run_capture(capture_id=second.pk)

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == Capture.State.SUCCEEDED
    assert (second.state, second.attempts) == (Capture.State.PENDING, 0)
    assert second.next_attempt_at > timezone.now() + datetime.timedelta(seconds=20)
    assert server.requests == ["/a"]


# Deleting a source whose captures revisit one another


def test_deleting_a_source_whose_rechecks_revisit_its_cited_copy(cited):
    source, _ = cited
    assert recheck(source).revisit_of == source.cited_capture

    source.delete()

    assert not Capture.objects.exists()


# A name that stopped existing


@pytest.fixture
def name_server(monkeypatch):
    """Names under .invalid, answered here. The system resolver would send the
    question to the configured name server, off this machine; every other
    lookup must stay on it."""
    block_outside_network(monkeypatch)
    local_lookup = socket.getaddrinfo
    zone = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if isinstance(host, str) and host.endswith(".invalid"):
            if host not in zone:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            host = zone[host]
        return local_lookup(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return zone


def test_name_that_no_longer_exists_marks_the_page_gone(
    transactional_db, capture_settings, make_claim, name_server
):
    name_server["news.invalid"] = "127.0.0.1"
    with Server({"/report": respond(ARTICLE, headers=HTML)}) as server:
        url = server.url("/report", host="news.invalid")
        source = add_source(make_claim(), url=url)
        services.run_capture(capture_id=source.captures.get().pk)
        del name_server["news.invalid"]
        capture = recheck(source)

    assert capture.state == Capture.State.FAILED
    assert capture.attempts == 1  # not retried
    assert capture.error == "The site name news.invalid does not exist"
    assert capture.change == Capture.Change.GONE
    assert source.live_status == Source.LiveStatus.GONE
    assert source.cited_capture.state == Capture.State.SUCCEEDED
    assert "Offline; archived copy available" in source_archive(source)
    assert server.requests == ["/report"]


def stored_files():
    root = Path(django_settings.MEDIA_ROOT)
    return [path for path in root.rglob("*") if path.is_file()]


def test_text_with_nul_characters_is_archived(
    transactional_db, capture_settings, make_claim
):
    """PostgreSQL text cannot hold NUL; plain text (and PDFs) may contain it."""
    body = b"Bericht\x00 aus Kiew, Zeile eins.\x00\n"
    route = respond(body, headers=(("Content-Type", "text/plain; charset=utf-8"),))
    with Server({"/report.txt": route}) as server:
        source = add_source(make_claim(), url=server.url("/report.txt"))
        services.run_capture(capture_id=source.captures.get().pk)

    capture = source.captures.get()
    assert capture.state == Capture.State.SUCCEEDED, capture.error
    assert capture.text == "Bericht aus Kiew, Zeile eins.\n"
    assert capture.payload_sha256 == hashlib.sha256(body).hexdigest()


def test_final_url_longer_than_its_field_is_archived(
    transactional_db, capture_settings, make_claim
):
    final = "/article?" + "utm=" + "x" * 2500
    routes = {"/short": redirect(final), "/article": respond(ARTICLE, headers=HTML)}
    with Server(routes) as server:
        source = add_source(make_claim(), url=server.url("/short"))
        services.run_capture(capture_id=source.captures.get().pk)

    capture = source.captures.get()
    assert capture.state == Capture.State.SUCCEEDED, capture.error
    assert server.url(final).startswith(capture.final_url)
    assert len(capture.final_url) == 2000
    with capture.warc.open("rb") as warc:
        assert server.url(final) in read_records_of(warc)


def read_records_of(warc):
    from warcio.archiveiterator import ArchiveIterator

    uris = (r.rec_headers.get_header("WARC-Target-URI") for r in ArchiveIterator(warc))
    return list(uris)


@pytest.fixture
def failing_success_update(transactional_db):
    """The database refuses to record a capture as succeeded (as it would a
    value it cannot store): a real PostgreSQL trigger, not a mock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION h2_refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
            " BEGIN IF NEW.state = 'succeeded' THEN"
            " RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;"
            "CREATE TRIGGER h2_refuse BEFORE UPDATE ON claims_capture"
            " FOR EACH ROW EXECUTE FUNCTION h2_refuse();"
        )
    yield
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TRIGGER h2_refuse ON claims_capture; DROP FUNCTION h2_refuse();"
        )


def test_a_success_the_database_refuses_is_recorded_as_a_failure_without_a_file(
    failing_success_update, capture_settings, make_claim
):
    with Server({"/article": respond(ARTICLE, headers=HTML)}) as server:
        source = add_source(make_claim(), url=server.url("/article"))
        capture = source.captures.get()
        with pytest.raises(Exception, match="refused by the test"):
            services.run_capture(capture_id=capture.pk)

    capture.refresh_from_db()
    assert capture.state == Capture.State.PENDING  # to be retried, not left running
    assert capture.lease_expires_at is None
    assert "refused by the test" in capture.error
    assert not capture.warc
    assert stored_files() == []
