"""Search rebuilds have a queue of their own: a worker for captures only
leaves them alone, and a worker started without --queues takes both."""

import time

import pytest
from django.conf import settings
from django.db import connection

from claims import search
from claims.models import Claim
from factcheck.celery import route
from tests.conftest import SEARCH_QUEUE, TEST_QUEUE, wait_for
from tests.test_worker_faults import start_worker, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and the real Redis broker",
    ),
]


def vector_of(claim):
    return Claim.objects.values_list("search_vector", flat=True).get(pk=claim.pk) or ""


def wait_until_ready(tmp_path, name):
    log = tmp_path / f"{name}.log"
    wait_for(lambda: " ready." in log.read_text(), timeout=60)
    return log.read_text()


def test_search_rebuilds_are_routed_to_the_search_queue():
    assert route("claims.tasks.refresh_search", [], {}, {})["queue"] == SEARCH_QUEUE
    assert route("claims.tasks.capture_source", [], {}, {})["queue"] == TEST_QUEUE


def test_each_queues_heartbeat_goes_ahead_of_its_jobs():
    """With Redis, 0 is the highest priority (test_operations has a worker
    check in ahead of a backlog of captures)."""
    for heartbeat, job in [
        ("claims.tasks.heartbeat", "claims.tasks.capture_source"),
        ("claims.tasks.search_heartbeat", "claims.tasks.refresh_search"),
    ]:
        ahead, behind = route(heartbeat, [], {}, {}), route(job, [], {}, {})
        assert ahead["queue"] == behind["queue"]
        assert ahead["priority"] < behind["priority"]


def test_only_a_worker_for_the_search_queue_rebuilds_vectors(
    transactional_db, settings, make_claim, tmp_path
):
    settings.SEARCH_REFRESH_DELAY = 1  # queued, not done in this process
    claim = make_claim(status=Claim.Status.PUBLISHED, statement="Kupjansk fiel.")
    Claim.objects.filter(pk=claim.pk).update(search_vector=None)

    captures_only = start_worker(tmp_path, "captures", queues=[TEST_QUEUE])
    try:
        banner = wait_until_ready(tmp_path, "captures")
        search.refresh_in_batches([claim.pk])
        time.sleep(3)
        assert vector_of(claim) == ""
    finally:
        stop(captures_only)
    assert SEARCH_QUEUE not in banner

    everything = start_worker(tmp_path, "everything", queues=())
    try:
        banner = wait_until_ready(tmp_path, "everything")
        wait_for(lambda: "'kupjansk'" in vector_of(claim), timeout=20)
    finally:
        stop(everything)
    assert f".> {SEARCH_QUEUE} " in banner
    assert f".> {TEST_QUEUE} " in banner
