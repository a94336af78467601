"""The public page cache and conditional GET: fast, and never stale."""

import contextlib
import os
import shutil
import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import caching, services
from claims.models import Claim
from tests.conftest import add_source

Status = Claim.Status


@pytest.fixture
def public_cache(settings, transactional_db):
    """Caching on, as in production; transactional so that commits happen."""
    from claims import caching

    settings.PUBLIC_CACHE_SECONDS = 600
    settings.PUBLIC_DATA_CACHE_SECONDS = 600
    caching.invalidate_public_pages()  # nothing from earlier tests
    return settings


def test_anonymous_pages_are_served_from_the_cache(
    public_cache, make_claim, client, django_assert_num_queries
):
    claim = make_claim(status=Status.PUBLISHED, sources=3)
    for url in ["/", claim.get_absolute_url(), reverse("claims:verdict_feed")]:
        first = client.get(url)
        with django_assert_num_queries(0):
            second = client.get(url)
        assert second.status_code == 200
        assert second.content == first.content


def test_a_new_verdict_shows_up_at_once(
    public_cache, make_claim, client, reviewer, rating
):
    claim = make_claim(status=Status.PUBLISHED, rating="unproven")
    feed = reverse("claims:claim_feed", args=[claim.slug])
    assert (
        "Unproven / still disputed"
        in client.get(claim.get_absolute_url()).content.decode()
    )
    client.get("/")
    client.get(feed)

    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="n"
    )

    page = client.get(claim.get_absolute_url()).content.decode()
    assert 'class="badge badge--false badge--large">False<' in page
    assert 'badge--false">False</span>' in client.get("/").content.decode()
    assert "<title>False: " in client.get(feed).content.decode()


def test_new_sources_and_edits_show_up_at_once(public_cache, make_claim, client):
    claim = make_claim(status=Status.PUBLISHED)
    client.get(claim.get_absolute_url())

    add_source(claim, publisher="Institut für Kriegsstudien")
    assert (
        "Institut für Kriegsstudien"
        in client.get(claim.get_absolute_url()).content.decode()
    )

    Claim.objects.get(pk=claim.pk).save()  # any save of the claim
    claim.summary = "Neue Begründung."
    claim.save()
    assert "Neue Begründung." in client.get(claim.get_absolute_url()).content.decode()


def test_a_finished_capture_shows_up_at_once(
    public_cache, capture_settings, make_claim, client
):
    from tests.capture_servers import Server, respond

    claim = make_claim(status=Status.PUBLISHED)
    with Server({"/page": respond(b"<title>Bericht</title><p>Text</p>")}) as server:
        source = add_source(claim, url=server.url("/page"))
        assert (
            "not yet available" in client.get(claim.get_absolute_url()).content.decode()
        )
        services.run_capture(capture_id=source.captures.get().pk)

    assert "Archived copy (" in client.get(claim.get_absolute_url()).content.decode()


def test_renamed_and_deleted_topics_show_up_at_once(
    public_cache, make_claim, make_topic, client
):
    topic = make_topic("Krieg")
    claim = make_claim(status=Status.PUBLISHED, topics=[topic])
    assert ">Krieg</a>" in client.get(claim.get_absolute_url()).content.decode()
    assert ">Krieg</a>" in client.get("/").content.decode()

    topic.name = "Waffenruhe"
    topic.save()
    assert ">Waffenruhe</a>" in client.get(claim.get_absolute_url()).content.decode()
    assert ">Waffenruhe</a>" in client.get("/").content.decode()

    topic.delete()
    assert "Waffenruhe" not in client.get(claim.get_absolute_url()).content.decode()
    assert "Waffenruhe" not in client.get("/").content.decode()


def test_a_change_to_one_claim_leaves_the_other_claims_pages_in_the_cache(
    public_cache, capture_settings, make_claim, client, django_assert_num_queries
):
    """A batch of captures changes one claim after another: the pages of the
    others stay cached; the claim's own page and the lists are fresh."""
    from tests.capture_servers import Server, respond

    changed = make_claim(status=Status.PUBLISHED)
    other = make_claim(status=Status.PUBLISHED, sources=2)
    others = [other.get_absolute_url(), f"/de{other.get_absolute_url()}"]
    for url in [changed.get_absolute_url(), *others, "/"]:
        client.get(url)
    with Server({"/page": respond(b"<title>Bericht</title><p>Text</p>")}) as server:
        source = add_source(changed, url=server.url("/page"), publisher="Neu AG")
        services.run_capture(capture_id=source.captures.get().pk)

    with django_assert_num_queries(0):
        for url in others:
            assert client.get(url).status_code == 200
    page = client.get(changed.get_absolute_url()).content.decode()
    assert "Neu AG" in page and "Archived copy (" in page
    with CaptureQueriesContext(connection) as listing:
        client.get("/")
    assert listing.captured_queries  # rendered afresh


def test_what_every_claim_page_shows_is_fresh_on_all_of_them(
    public_cache, make_claim, client, rating
):
    claim = make_claim(status=Status.PUBLISHED, rating="false")
    page = claim.get_absolute_url()
    assert claim.claimant.name in client.get(page).content.decode()

    claim.claimant.name = "Umbenannte Behörde"
    claim.claimant.save()
    assert "Umbenannte Behörde" in client.get(page).content.decode()

    false = rating("false")
    false.label_en = "Wrong"
    false.save()
    assert 'badge--false badge--large">Wrong<' in client.get(page).content.decode()


def test_a_claim_version_evicted_from_the_cache_does_not_revive_an_old_page(
    public_cache, make_claim, client
):
    """Redis may evict a version key; whoever needs it next starts it again,
    and no page stored before can have the version it starts at."""
    from django.core.cache import cache

    claim = make_claim(status=Status.PUBLISHED, summary="Erste Fassung.")
    url = claim.get_absolute_url()
    client.get(url)
    cache.delete(caching.claim_key(claim.slug))
    assert "Erste Fassung." in client.get(url).content.decode()  # started by a read

    cache.delete(caching.claim_key(claim.slug))
    claim.summary = "Zweite Fassung."
    claim.save()  # started by the change
    assert "Zweite Fassung." in client.get(url).content.decode()


def test_a_claims_old_address_is_not_served_from_the_cache(
    public_cache, make_claim, client
):
    claim = make_claim(status=Status.PUBLISHED)
    old = claim.get_absolute_url()
    assert client.get(old).status_code == 200

    claim.slug = f"{claim.slug}-neu"
    claim.save()
    assert client.get(old).status_code == 404
    assert client.get(claim.get_absolute_url()).status_code == 200

    claim.verdict_changes.all().delete()  # nothing left to cascade to
    assert client.get(claim.get_absolute_url()).status_code == 200
    claim.delete()
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_a_source_moved_to_another_claim_leaves_the_first_claims_page(
    public_cache, make_claim, client
):
    first = make_claim(status=Status.PUBLISHED)
    second = make_claim(status=Status.PUBLISHED)
    source = add_source(first, publisher="Wandernde Quelle")
    assert "Wandernde Quelle" in client.get(first.get_absolute_url()).content.decode()
    client.get(second.get_absolute_url())

    source.claim = second
    source.save()
    assert "Wandernde" not in client.get(first.get_absolute_url()).content.decode()
    assert "Wandernde" in client.get(second.get_absolute_url()).content.decode()


def test_logged_in_readers_get_fresh_pages(
    public_cache, make_claim, editor_client, django_assert_max_num_queries
):
    claim = make_claim(status=Status.PUBLISHED)
    editor_client.get(claim.get_absolute_url())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        editor_client.get(claim.get_absolute_url())
    assert len(queries) > 0


def test_unpublishing_removes_the_page_at_once(
    public_cache, make_claim, client, reviewer
):
    claim = make_claim(status=Status.PUBLISHED)
    assert client.get(claim.get_absolute_url()).status_code == 200

    services.change_status(claim=claim, user=reviewer, status=Status.IN_REVIEW)

    assert client.get(claim.get_absolute_url()).status_code == 404
    assert claim.slug not in client.get("/").content.decode()


def test_conditional_get_answers_304(public_cache, make_claim, client):
    claim = make_claim(status=Status.PUBLISHED)
    first = client.get(claim.get_absolute_url())
    etag = first["ETag"]

    again = client.get(claim.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)

    assert again.status_code == 304
    assert again.content == b""
    assert "no-cache" in first["Cache-Control"]


def test_conditional_get_sees_changes(
    public_cache, make_claim, client, reviewer, rating
):
    claim = make_claim(status=Status.PUBLISHED)
    etag = client.get(claim.get_absolute_url())["ETag"]
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("true"), note="n"
    )

    response = client.get(claim.get_absolute_url(), HTTP_IF_NONE_MATCH=etag)

    assert response.status_code == 200
    assert response["ETag"] != etag


def test_languages_are_cached_apart(public_cache, make_claim, client):
    claim = make_claim(status=Status.PUBLISHED, rating="false")
    english = client.get(claim.get_absolute_url()).content.decode()
    german = client.get(f"/de{claim.get_absolute_url()}").content.decode()
    assert ">False<" in english and ">Falsch<" in german


def test_the_cache_keeps_one_redis_client_which_a_forked_worker_can_use(db):
    """One client per pool, not one per call; its pool opens new connections
    in a forked child (a prefork worker, a gunicorn worker)."""
    from django.core.cache import cache

    cache.set("client-test", "parent", 30)
    client = cache._cache.get_client()
    assert cache._cache.get_client("other", write=True) is client
    parent_connection = client.connection_pool.get_connection()
    client.connection_pool.release(parent_connection)

    child = os.fork()
    if child == 0:
        code = 1
        try:
            if cache.get("client-test") == "parent":
                cache.set("client-test", "child", 30)
                code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(child, 0)

    assert os.waitstatus_to_exitcode(status) == 0
    assert cache.get("client-test") == "child"
    # The parent's connection is still its own, and still in use.
    assert client.connection_pool.get_connection() is parent_connection


def test_pages_and_edits_work_while_the_cache_is_down(
    public_cache, make_claim, client, reviewer, rating, caplog
):
    claim = make_claim(status=Status.PUBLISHED)
    public_cache.CACHES = {
        "default": {
            "BACKEND": "factcheck.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }

    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("true"), note="n"
    )
    response = client.get(claim.get_absolute_url())

    assert response.status_code == 200
    assert 'badge--true badge--large">True<' in response.content.decode()
    warnings = [r.getMessage() for r in caplog.records if r.name == "claims.caching"]
    assert "Cache unreachable; public pages expire on their own." in warnings
    assert (
        f"Cache unreachable; serving {claim.get_absolute_url()} uncached." in warnings
    )


@pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server")
@pytest.mark.skipif(not settings.REDIS_URL, reason="the Redis cache's settings")
def test_pages_are_served_soon_while_redis_does_not_answer(
    public_cache, make_claim, client, silent_redis
):
    make_claim(status=Status.PUBLISHED, sources=2)
    public_cache.CACHES = {
        "default": {**public_cache.CACHES["default"], "LOCATION": silent_redis}
    }

    started = time.monotonic()
    response = client.get("/")
    took = time.monotonic() - started

    assert response.status_code == 200
    assert took < 10


def test_cached_pages_carry_the_headers_of_a_fresh_page(
    public_cache, make_claim, client, django_assert_num_queries
):
    """Security headers depend on the request (HSTS is sent over https only),
    so a page cached for a plain-http reader must not reach others without
    them."""
    public_cache.SECURE_HSTS_SECONDS = 31_536_000
    url = make_claim(status=Status.PUBLISHED).get_absolute_url()
    client.get(url)
    with django_assert_num_queries(0):
        cached = client.get(url, secure=True)
    public_cache.PUBLIC_CACHE_SECONDS = 0

    fresh = client.get(url, secure=True)

    assert fresh["Strict-Transport-Security"].startswith("max-age=31536000")
    assert "Content-Security-Policy" in fresh and "X-Content-Type-Options" in fresh
    assert headers(cached) == headers(fresh)


def headers(response):
    """All but those that follow the body (the timeline moves with the clock)."""
    body = {"ETag", "Content-Length"}
    return {name: value for name, value in response.items() if name not in body}


def test_plain_http_to_a_cached_page_is_redirected_to_https(
    public_cache, make_claim, client
):
    public_cache.SECURE_SSL_REDIRECT = True
    url = make_claim(status=Status.PUBLISHED).get_absolute_url()
    assert client.get(url, secure=True).status_code == 200

    response = client.get(url)

    assert response.status_code == 301
    assert response["Location"] == f"https://testserver{url}"


def test_a_cached_page_is_refused_to_a_host_not_allowed(
    public_cache, make_claim, client
):
    url = make_claim(status=Status.PUBLISHED).get_absolute_url()
    assert client.get(url).status_code == 200

    assert client.get(url, HTTP_HOST="attacker.example").status_code == 400


def test_cached_pages_are_logged_with_a_request_id(
    public_cache, make_claim, client, caplog, django_assert_num_queries
):
    url = make_claim(status=Status.PUBLISHED).get_absolute_url()
    client.get(url)
    caplog.clear()

    with django_assert_num_queries(0):
        client.get(url)

    events = [record.msg for record in caplog.records if isinstance(record.msg, dict)]
    finished = [event for event in events if event["event"] == "request_finished"]
    assert [(event["code"], event["request"]) for event in finished] == [
        (200, f"GET {url}")
    ]
    assert finished[0]["request_id"]


def test_unfiltered_list_counts_once_per_change_and_stays_right(
    public_cache, make_claim, client, django_assert_num_queries
):
    """The unfiltered list remembers its count; a published claim renews it."""
    public_cache.PUBLIC_CACHE_SECONDS = 0  # pages rendered afresh, data remembered
    make_claim(status=Status.PUBLISHED)
    make_claim(status=Status.PUBLISHED)
    assert "2 claims" in client.get("/").content.decode()
    with django_assert_num_queries(3):  # the verdict menu, the rows, their topics
        assert "2 claims" in client.get("/?page=1").content.decode()

    make_claim(status=Status.PUBLISHED)
    assert "3 claims" in client.get("/").content.decode()
    make_claim()  # a draft counts for nobody
    assert "3 claims" in client.get("/").content.decode()


def test_the_desks_language_filter_is_looked_up_once_per_change(
    public_cache, make_claim, reviewer_client
):
    make_claim(language="de")
    reviewer_client.get("/admin/claims/claim/")  # looks the languages up

    with CaptureQueriesContext(connection) as queries:
        before = reviewer_client.get("/admin/claims/claim/").content.decode()
    asked = [query["sql"] for query in queries]
    make_claim(language="ru")  # a draft, saved: the claims changed
    after = reviewer_client.get("/admin/claims/claim/").content.decode()

    assert asked and not [sql for sql in asked if "DISTINCT" in sql]
    assert 'href="?language=de"' in before and "language=ru" not in before
    assert 'href="?language=ru"' in after


@contextlib.contextmanager
def a_render_held_up(url):
    """A reader's render of `url` started in another thread and held at its
    first query until the block ends, by a lock on the claims table: a slow
    render in another process, with nothing of ours patched. Yields the list
    that the responses of renders started by `render_in_thread` go to."""
    database = connection.settings_dict
    rendered = []
    with psycopg.connect(
        dbname=database["NAME"],
        host=database["HOST"],
        port=database["PORT"] or None,
        user=database["USER"],
    ) as other:
        other.execute("LOCK TABLE claims_claim IN ACCESS EXCLUSIVE MODE")
        renders = [render_in_thread(url, rendered)]
        wait_for_a_query_held_up_by(other)
        yield rendered, renders
    for thread in renders:
        thread.join(10)


def render_in_thread(url, responses):
    def get():
        try:
            responses.append(Client().get(url))
        finally:
            connection.close()

    thread = threading.Thread(target=get)
    thread.start()
    return thread


def wait_for_a_query_held_up_by(other):
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        other.execute("SELECT pg_stat_clear_snapshot()")  # else one per transaction
        found = other.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
        ).fetchone()[0]
        if found:
            return
        time.sleep(0.02)
    raise AssertionError("no render waited for the claims table")


postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="holds a PostgreSQL table lock"
)


@postgres_only
def test_while_one_render_runs_other_readers_get_the_copy_it_replaces(
    public_cache, make_claim, client, django_assert_num_queries
):
    claim = make_claim(status=Status.PUBLISHED, summary="Alte Begründung.")
    url = claim.get_absolute_url()
    client.get(url)
    claim.summary = "Neue Begründung."
    claim.save()

    with a_render_held_up(url) as (rendered, _):
        with connection.cursor() as cursor:  # a render here would fail, not hang
            cursor.execute("SET lock_timeout = '2s'")
        with django_assert_num_queries(0):
            meanwhile = client.get(url).content.decode()

    assert "Alte Begründung." in meanwhile
    assert "Neue Begründung." in rendered[0].content.decode()
    assert "Neue Begründung." in client.get(url).content.decode()


@postgres_only
def test_a_page_that_is_gone_takes_its_old_copy_with_it(
    public_cache, make_claim, client, reviewer
):
    claim = make_claim(status=Status.PUBLISHED, summary="Veröffentlicht.")
    url = claim.get_absolute_url()
    client.get(url)
    services.change_status(claim=claim, user=reviewer, status=Status.IN_REVIEW)
    assert client.get(url).status_code == 404

    caching.invalidate_public_pages()  # any later change
    with a_render_held_up(url) as (rendered, renders):
        renders.append(render_in_thread(url, rendered))  # no old copy: renders too
        time.sleep(0.2)

    assert [response.status_code for response in rendered] == [404, 404]
