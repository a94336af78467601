import contextlib
import datetime
import importlib
import ipaddress
import itertools
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from claims import services
from claims.models import Claim, Party, Rating, Source, Topic

_counter = itertools.count(1)
ROOT = Path(__file__).resolve().parent.parent


def manage_py(env, *args):
    """manage.py in a process of its own with exactly `env`, as an operator
    runs it; a non-zero exit fails the test with what the command printed."""
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"manage.py {args[0]}: {result.stderr}"
    return result


@pytest.fixture(autouse=True)
def english_by_default():
    """A request leaves its language active in the thread; start each test in
    the default language so that reverse() gives unprefixed URLs."""
    from django.utils import translation

    translation.activate("en")


@pytest.fixture(autouse=True)
def search_refreshed_at_once(settings):
    """Tests read search results right after a change; test_search's
    test_a_cached_search_shows_the_match_once_the_worker_has_refreshed checks
    the delayed refresh by a real worker on its own."""
    settings.SEARCH_REFRESH_DELAY = 0


@pytest.fixture(autouse=True)
def no_public_page_cache(settings):
    """Most tests look at freshly rendered pages; test_caching turns it on."""
    settings.PUBLIC_CACHE_SECONDS = 0
    settings.PUBLIC_DATA_CACHE_SECONDS = 0


@pytest.fixture
def transactional_db(transactional_db):
    """Transactional tests end with every table emptied, which also removes what
    the migrations created: content types, permissions, the rating scale and
    the groups. Put them back before each such test."""
    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.sql import emit_post_migrate_signal

    ContentType.objects.clear_cache()
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    scale = importlib.import_module("claims.migrations.0002_default_rating_scale")
    groups = importlib.import_module(
        "claims.migrations.0003_editor_and_reviewer_groups"
    )
    captures = importlib.import_module("claims.migrations.0007_desk_may_view_captures")
    scale.seed_scale(apps, None)
    groups.create_groups(apps, None)
    captures.grant(apps, None)


def make_user(username, group=None, **extra):
    user = User.objects.create_user(
        username, f"{username}@example.org", "correct horse battery", **extra
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    return make_user("edith", "Editors", is_staff=True)


@pytest.fixture
def reviewer(db):
    return make_user(
        "rita", "Reviewers", is_staff=True, first_name="Rita", last_name="Review"
    )


@pytest.fixture
def outsider(db):
    """Logged in, but in neither group."""
    return make_user("otto", is_staff=True)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(
        "root", "root@example.org", "correct horse battery"
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def anonymous_client():
    return Client()


@pytest.fixture
def rating(db):
    return lambda slug: Rating.objects.get(slug=slug)


@pytest.fixture
def make_party(db):
    def make(name=None, kind=Party.Kind.ORGANISATION):
        number = next(_counter)
        name = name or f"Party {number}"
        return Party.objects.create(name=name, slug=f"party-{number}", kind=kind)

    return make


@pytest.fixture
def make_claim(db, make_party):
    """A claim with `sources` sources, in `status`, with a verdict if public."""

    def make(statement=None, status=Claim.Status.DRAFT, sources=0, **fields):
        number = next(_counter)
        fields.setdefault("claimant", make_party())
        fields.setdefault("language", "de")
        fields.setdefault("summary", "Warum: die Belege reichen nicht.")
        topics = fields.pop("topics", [])
        verdict = fields.pop("rating", "unproven")
        fields.setdefault("slug", f"claim-{number}")
        claim = Claim.objects.create(
            statement=statement or f"Behauptung Nummer {number}", **fields
        )
        claim.topics.set(topics)
        for index in range(sources):
            add_source(claim, stance=list(Source.Stance)[index % 4])
        if status != Claim.Status.DRAFT:
            publish(claim, status, verdict)
        claim.refresh_from_db()
        return claim

    return make


def add_source(claim, *, stance=Source.Stance.ASSERTS, party=None, **fields):
    number = next(_counter)
    party = party or Party.objects.create(
        name=f"Source party {number}", slug=f"source-party-{number}", kind="person"
    )
    fields.setdefault("url", f"https://news.example.org/article-{number}")
    fields.setdefault("publisher", "Example News")
    fields.setdefault("published_on", datetime.date(2025, 12, 1))
    return Source.objects.create(claim=claim, party=party, stance=stance, **fields)


def publish(claim, status, verdict):
    """Walk `claim` through the workflow to `status` as a throwaway reviewer."""
    robot, _ = User.objects.get_or_create(username="workflow-robot")
    robot.groups.add(Group.objects.get(name="Reviewers"))
    robot = User.objects.get(pk=robot.pk)  # drop the cached permissions
    services.change_status(claim=claim, user=robot, status=Claim.Status.IN_REVIEW)
    if status == Claim.Status.IN_REVIEW:
        return
    services.set_verdict(
        claim=claim,
        reviewer=robot,
        rating=Rating.objects.get(slug=verdict),
        note="Erste Einschätzung.",
    )
    services.change_status(claim=claim, user=robot, status=Claim.Status.PUBLISHED)
    if status != Claim.Status.PUBLISHED:
        services.change_status(claim=claim, user=robot, status=status)


@pytest.fixture
def make_topic(db):
    def make(name):
        number = next(_counter)
        return Topic.objects.create(name=name, slug=f"topic-{number}")

    return make


@pytest.fixture
def now():
    return timezone.now()


# Capture: settings, a real Celery worker on the real Redis, and polling.

LOOPBACK = [ipaddress.ip_network("127.0.0.0/8")]


def pytest_configure(config):
    """Give this test run a broker queue of its own, so that leftovers of other
    runs on the same Redis never reach this run's workers."""
    from factcheck.celery import app

    app.conf.task_default_queue = TEST_QUEUE


TEST_QUEUE = f"test-{uuid.uuid4().hex[:12]}"
SEARCH_QUEUE = f"{TEST_QUEUE}.search"  # factcheck.celery.search_queue()


@pytest.fixture
def capture_settings(settings, tmp_path):
    """Let captures reach the loopback servers the tests start; retry quickly."""
    settings.CAPTURE_ALLOW_NETWORKS = LOOPBACK
    settings.CAPTURE_RETRY_BASE = 0.2
    settings.CAPTURE_PER_HOST_INTERVAL = 0
    settings.CAPTURE_DEADLINE = 10
    settings.CAPTURE_CONNECT_TIMEOUT = 2
    settings.CAPTURE_READ_TIMEOUT = 2
    settings.MEDIA_ROOT = tmp_path / "archive"
    return settings


@pytest.fixture
def celery_worker(transactional_db, capture_settings):
    """A real Celery worker, in a thread of this process, on the real broker."""
    from celery.contrib.testing.worker import start_worker

    from factcheck.celery import app

    with start_worker(
        app,
        pool="threads",
        concurrency=4,
        perform_ping_check=False,
        shutdown_timeout=30,
        queues=[TEST_QUEUE, SEARCH_QUEUE],
    ) as worker:
        yield worker


def wait_for(condition, timeout=20.0, interval=0.05):
    """Poll `condition` until it returns something truthy; fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {condition.__doc__}")


@pytest.fixture
def silent_redis(tmp_path):
    """A redis-server of this test's own that stops answering (SIGSTOP), as
    an overloaded or cut-off Redis does."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", ""],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    try:
        wait_for(lambda: answers(url), timeout=10)
        server.send_signal(signal.SIGSTOP)
        yield url
    finally:
        server.send_signal(signal.SIGCONT)
        server.terminate()
        server.wait(timeout=10)


def answers(url):
    with contextlib.suppress(redis.ConnectionError):
        return redis.Redis.from_url(url).ping()


# A real browser: Debian's Chromium driven by Playwright, with no network.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]


@pytest.fixture(scope="session")
def browser():
    # Not importorskip: the browser tests are part of the suite, and a missing
    # Playwright must fail them rather than pass them by skipping.
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing; `make test` installs requirements-dev.txt")
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing; `make test` installs Debian's chromium")
    # Playwright's sync API keeps an event loop running in this thread from here
    # on; Django's ORM calls in tests are still plain synchronous code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def browser_errors():
    """Console errors, uncaught exceptions and failed responses of every page
    the test opened; test_browser fails on any."""
    return []


@pytest.fixture
def new_page(browser, request, browser_errors):
    """Open a page in a new browser context (a visitor of its own, no cookies).
    Every page of every context, popups too, reports to `browser_errors` and
    leaves a screenshot under test-artifacts/."""
    contexts = []

    def open_page(**options):
        context = browser.new_context(**{"locale": "en-GB", **options})
        context.on("page", lambda page: watch(page, browser_errors))
        contexts.append(context)
        return context.new_page()

    yield open_page
    ARTIFACTS.mkdir(exist_ok=True)
    pages = [page for context in contexts for page in context.pages]
    for number, page in enumerate(pages):
        suffix = f"-{number + 1}" if number else ""
        path = ARTIFACTS / f"{request.node.name}{suffix}.png"
        page.screenshot(path=path, full_page=True)
    for context in contexts:
        context.close()


def watch(page, errors):
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "response",
        lambda r: r.status >= 400 and errors.append(f"{r.status} {r.url}"),
    )


@pytest.fixture
def page(new_page):
    """A fresh browser page, as `new_page` opens them."""
    return new_page()


ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
