"""A prefork worker keeps its database connection from task to task, as the
web process does from request to request, and replaces one that broke."""

import pytest
from django.conf import settings
from django.db import connection

from claims.models import Claim
from claims.tasks import refresh_search
from tests.conftest import wait_for
from tests.test_worker_faults import start_worker, stop

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        connection.vendor != "postgresql" or not settings.REDIS_URL,
        reason="needs PostgreSQL and the real Redis broker",
    ),
]


def worker_backends():
    """PostgreSQL backends on the test database other than this process's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return {pid for (pid,) in cursor.fetchall()}


def refreshed(claim):
    """Run a search refresh of `claim` in the worker and wait for it."""
    Claim.objects.filter(pk=claim.pk).update(search_vector=None)
    refresh_search.delay([claim.pk])
    wait_for(
        lambda: Claim.objects.filter(pk=claim.pk, search_vector__isnull=False).exists()
    )


def test_worker_reuses_its_connection_and_replaces_a_broken_one(
    transactional_db, make_claim, tmp_path
):
    claim = make_claim(statement="Pokrowsk ist gefallen.")
    worker = start_worker(tmp_path, "reuser", CONN_MAX_AGE="60")
    try:
        seen = []
        for _ in range(3):
            refreshed(claim)
            seen.append(worker_backends())
        assert len(seen[0]) == 1  # the pool child's, still open
        assert seen[0] == seen[1] == seen[2]

        (backend,) = seen[0]
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
        refreshed(claim)  # on a new connection: the dead one was noticed
        assert worker_backends() - {backend}
    finally:
        stop(worker)
