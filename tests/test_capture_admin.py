"""Capture state in the admin: progress, errors, attempts, "capture again now"."""

import datetime

from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Capture, Source
from tests.capture_servers import Server, respond
from tests.conftest import add_source, client_for

SOURCES = reverse("admin:claims_source_changelist")


def progress_url(claim):
    return reverse("admin:claims_claim_capture_progress", args=[claim.pk])


def test_claim_form_shows_each_sources_capture_state(editor_client, make_claim):
    claim = make_claim()
    waiting = add_source(claim, url="https://example.org/waiting")
    failed = add_source(claim, url="https://example.org/failed")
    Capture.objects.filter(source=failed).update(
        state="failed",
        attempts=5,
        error="The page did not finish loading within 120 seconds",
    )

    html = editor_client.get(
        reverse("admin:claims_claim_change", args=[claim.pk])
    ).content.decode()

    assert (
        f'class="fc-capture fc-capture--pending" data-source="{waiting.pk}">Waiting<'
        in html
    )
    assert f'data-source="{failed.pk}">Failed · 5 attempts<' in html
    assert "The page did not finish loading within 120 seconds" in html
    assert "claims/capture_progress.js" in html


def test_progress_endpoint_reports_every_source(editor_client, make_claim):
    claim = make_claim()
    running = add_source(claim, url="https://example.org/running")
    Capture.objects.filter(source=running).update(state="running", attempts=2)

    states = editor_client.get(progress_url(claim)).json()

    assert set(states) == {str(running.pk)}
    assert "fc-capture--running" in states[str(running.pk)]
    assert "Capturing · 2 attempts" in states[str(running.pk)]


def test_progress_endpoint_is_for_the_desk_only(make_claim, outsider, client):
    claim = make_claim()
    assert client_for(outsider).get(progress_url(claim)).status_code == 403
    assert client.get(progress_url(claim)).status_code == 302  # to the login page


def test_capture_again_now_queues_a_new_capture(
    editor_client, make_claim, django_capture_on_commit_callbacks
):
    source = add_source(make_claim(), url="https://example.org/again")
    first = source.captures.get()
    Capture.objects.filter(pk=first.pk).update(state=Capture.State.FAILED)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = editor_client.post(
            SOURCES, {"action": "capture_again", "_selected_action": [source.pk]}
        )

    assert response.status_code == 302
    newest = source.captures.exclude(pk=first.pk).get()
    assert newest.kind == Capture.Kind.MANUAL
    assert newest.state == Capture.State.PENDING
    assert Source.objects.get(pk=source.pk).latest_capture == newest
    assert len(queued) == 1


def test_capture_again_brings_a_waiting_capture_forward_instead_of_doubling_it(
    editor_client, make_claim, django_capture_on_commit_callbacks
):
    source = add_source(make_claim(), url="https://example.org/waiting")
    waiting = source.captures.get()
    later = timezone.now() + datetime.timedelta(minutes=30)  # a retry's backoff
    Capture.objects.filter(pk=waiting.pk).update(attempts=1, next_attempt_at=later)
    action = {"action": "capture_again", "_selected_action": [source.pk]}

    with django_capture_on_commit_callbacks(execute=False) as queued:
        for _click in range(3):
            response = editor_client.post(SOURCES, action, follow=True)

    assert list(source.captures.all()) == [waiting]
    assert Capture.objects.get(pk=waiting.pk).next_attempt_at < later
    assert len(queued) == 3  # the worker takes it at most once (run_capture)
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["1 source was still being captured; that capture goes first."]


def test_outsider_cannot_request_captures(outsider, make_claim):
    source = add_source(make_claim(), url="https://example.org/x")
    response = client_for(outsider).post(
        SOURCES, {"action": "capture_again", "_selected_action": [source.pk]}
    )
    assert response.status_code == 403
    assert source.captures.count() == 1


def test_reviewers_filter_sources_that_changed_or_vanished(reviewer_client, make_claim):
    claim = make_claim()
    changed = add_source(claim, url="https://example.org/changed")
    gone = add_source(claim, url="https://example.org/gone")
    add_source(claim, url="https://example.org/fine")
    Source.objects.filter(pk=changed.pk).update(live_status="changed")
    Source.objects.filter(pk=gone.pk).update(live_status="gone")

    for status, expected in [("changed", changed), ("gone", gone)]:
        response = reviewer_client.get(SOURCES, {"live_status__exact": status})
        assert list(response.context["cl"].result_list) == [expected]


def test_source_list_names_the_live_page_in_the_claim_pages_words(
    reviewer_client, make_claim
):
    claim = make_claim()
    changed = add_source(claim, url="https://example.org/changed")
    gone = add_source(claim, url="https://example.org/gone")
    never_archived = add_source(claim, url="https://example.org/never")
    for source, status in [(changed, "changed"), (gone, "gone")]:
        Source.objects.filter(pk=source.pk).update(
            live_status=status, cited_capture=source.captures.get()
        )
    Source.objects.filter(pk=never_archived.pk).update(live_status="gone")

    html = reviewer_client.get(SOURCES).content.decode()

    assert "<em>Changed since cited</em>" in html
    assert "<em>Offline; archived copy available</em>" in html
    assert "<em>Offline, and no archived copy could be made</em>" in html
    assert "<em>Offline</em>" not in html


def test_capture_list_shows_whether_each_is_unchanged_since_the_previous(
    transactional_db, capture_settings, make_claim, superuser
):
    with Server({"/": respond(b"<title>t</title>")}) as server:
        source = add_source(make_claim(), url=server.url("/"))
        services.run_capture(capture_id=source.captures.get().pk)
        services.run_capture(
            capture_id=services.capture_again(source=source, user=superuser)[0].pk
        )

    listing = client_for(superuser).get(reverse("admin:claims_capture_changelist"))

    html = listing.content.decode()
    assert "Unchanged since the previous capture" in html  # the column
    assert 'alt="True"' in html and 'alt="None"' in html  # repeat, and first


def test_source_list_query_count_is_constant(
    editor_client, make_claim, django_assert_max_num_queries
):
    from tests.test_admin import count_queries

    claim = make_claim()
    add_source(claim)
    queries = count_queries(editor_client, SOURCES)
    for _ in range(30):
        add_source(claim)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        editor_client.get(SOURCES)
    assert len(context.captured_queries) == queries


def test_admin_changelist_of_captures_is_read_only(
    transactional_db, capture_settings, make_claim, superuser
):
    with Server({"/": respond(b"<title>t</title>")}) as server:
        source = add_source(make_claim(), url=server.url("/"))
        services.run_capture(capture_id=source.captures.get().pk)
    client = client_for(superuser)
    capture = source.captures.get()

    listing = client.get(reverse("admin:claims_capture_changelist"))
    change = client.post(
        reverse("admin:claims_capture_change", args=[capture.pk]), {"url": "http://x"}
    )

    assert capture in listing.context["cl"].result_list
    assert change.status_code == 403
    assert Capture.objects.get(pk=capture.pk).url == server.url("/")


def test_capture_again_after_the_link_was_corrected_captures_the_new_link(
    editor_client, make_claim
):
    """A capture of the mistyped link, still waiting to retry, is no capture
    of the link the source cites now."""
    source = add_source(make_claim(), url="https://old.example/tippfehler")
    typo = source.captures.get()
    later = timezone.now() + datetime.timedelta(minutes=30)
    Capture.objects.filter(pk=typo.pk).update(attempts=1, next_attempt_at=later)
    source = Source.objects.get(pk=source.pk)
    source.url = "https://news.example/richtig"
    source.save()
    source.captures.exclude(pk=typo.pk).update(state=Capture.State.SUCCEEDED)
    action = {"action": "capture_again", "_selected_action": [source.pk]}

    response = editor_client.post(SOURCES, action, follow=True)

    newest = source.captures.order_by("-pk").first()
    assert newest.url == "https://news.example/richtig"
    assert newest.state == Capture.State.PENDING
    assert Capture.objects.get(pk=typo.pk).next_attempt_at == later
    messages = [str(message) for message in response.context["messages"]]
    assert messages == ["A new capture of 1 source is on its way."]
