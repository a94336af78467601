"""Two people at the desk on one claim, and mistakes the form must name."""

import threading

import pytest
from django.db import connection

from claims import services
from claims.models import Claim, Source
from tests.conftest import add_source, client_for, make_user
from tests.test_admin import (
    QUEUE,
    change_url,
    claim_form,
    existing_sources,
    source_form,
    source_page,
)

Status = Claim.Status


def opened(client, claim, **changes):
    """The POST a browser sends for the change form as `client` opened it now."""
    form = client.get(change_url(claim)).context["adminform"].form
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug=claim.slug,
            statement=claim.statement,
            summary=claim.summary,
            first_made_on="",
            first_appearance_url="",
            version=form["version"].value() if "version" in form.fields else "",
        ),
    )
    data.update(changes)
    return data


def form_errors(response):
    assert response.status_code == 200
    return " ".join(str(error) for error in response.context["errors"])


def test_a_save_over_someone_elses_newer_save_is_refused(editor, make_claim):
    claim = make_claim(statement="Erste Fassung.", summary="Alt.")
    first, second = client_for(editor), client_for(editor)
    by_first = opened(first, claim, summary="Sorgfältig neu geschrieben.")
    by_second = opened(second, claim, statement="Tippfehler behoben.")

    assert first.post(change_url(claim), by_first).status_code == 302
    response = second.post(change_url(claim), by_second)

    assert "Someone else saved this claim after you opened it" in form_errors(response)
    claim.refresh_from_db()
    assert (claim.statement, claim.summary) == (
        "Erste Fassung.",
        "Sorgfältig neu geschrieben.",
    )


def test_an_editor_is_told_when_the_claim_was_submitted_meanwhile(
    editor_client, editor, make_claim
):
    claim = make_claim(statement="Entwurf.")
    data = opened(editor_client, claim, statement="Entwurf, verbessert.")
    services.change_status(claim=claim, user=editor, status=Status.IN_REVIEW)

    response = editor_client.post(change_url(claim), data)

    # The statement is read-only now; it used to be dropped with "changed
    # successfully".
    assert "Someone else saved this claim" in form_errors(response)
    claim.refresh_from_db()
    assert claim.statement == "Entwurf."


def test_a_second_reviewer_cannot_undo_a_publication_unseen(
    reviewer, make_claim, rating
):
    claim = make_claim(status=Status.IN_REVIEW, summary="")
    first, second = client_for(reviewer), client_for(reviewer)
    publishing = opened(
        first,
        claim,
        summary="Belegt durch drei Quellen.",
        new_rating=rating("true").pk,
        verdict_note="Stimmt.",
        new_status=Status.PUBLISHED,
    )
    stale = opened(second, claim, new_rating=rating("false").pk, verdict_note="Falsch.")

    assert first.post(change_url(claim), publishing).status_code == 302
    response = second.post(change_url(claim), stale)

    assert "Someone else saved this claim" in form_errors(response)
    claim.refresh_from_db()
    assert claim.summary == "Belegt durch drei Quellen."
    assert claim.rating == rating("true")
    assert claim.verdict_changes.count() == 1


def test_a_source_edited_meanwhile_on_its_own_page_is_not_put_back(editor, make_claim):
    """The claim form posts every source as it was opened; saved over an edit
    made on the source's own page, it put the old quote back."""
    claim = make_claim()
    source = add_source(claim, quote="Altes Zitat.")
    by_claim, by_source = client_for(editor), client_for(editor)
    stale = opened(
        by_claim, claim, summary="Neu begründet.", **{"sources-0-quote": source.quote}
    )
    edit = source_form(source, quote="Korrigiertes Zitat.")

    assert by_source.post(source_page(source), edit).status_code == 302
    response = by_claim.post(change_url(claim), stale)

    assert "Someone else saved this claim" in form_errors(response)
    assert Source.objects.get(pk=source.pk).quote == "Korrigiertes Zitat."
    assert Claim.objects.get(pk=claim.pk).summary != "Neu begründet."


def test_a_source_removed_meanwhile_is_named_on_the_form(editor_client, make_claim):
    claim = make_claim(sources=1)
    source = claim.sources.get()
    data = opened(editor_client, claim, **{"sources-0-quote": "Neu getippt."})
    source.delete()

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    errors = " ".join(formset.non_form_errors())
    assert "Someone else removed" in errors and source.url in errors
    # Shown on the page, not only on a hidden field.
    assert "Someone else removed" in response.content.decode()


def test_a_source_removed_meanwhile_and_here_is_no_error(editor_client, make_claim):
    claim = make_claim(sources=2)
    gone = claim.sources.order_by("id").first()
    data = opened(editor_client, claim, **{"sources-0-DELETE": "on"})
    gone.delete()

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 302, response.context["errors"]
    assert claim.sources.count() == 1


def test_a_published_claims_summary_cannot_be_cleared(reviewer_client, make_claim):
    claim = make_claim(status=Status.PUBLISHED, summary="Begründung.")

    response = reviewer_client.post(
        change_url(claim), opened(reviewer_client, claim, summary="  ")
    )

    assert "A published claim needs a public summary" in form_errors(response)
    claim.refresh_from_db()
    assert claim.summary == "Begründung."


def test_a_withdrawn_claim_may_go_without_summary(reviewer_client, make_claim):
    claim = make_claim(status=Status.WITHDRAWN, summary="Begründung.")

    response = reviewer_client.post(
        change_url(claim), opened(reviewer_client, claim, summary="")
    )

    assert response.status_code == 302, response.context["errors"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search")
@pytest.mark.parametrize(
    "query",
    ["Außenminister", "AUSSENMINISTER", "Aussenministers", "außenminister nato"],
)
def test_review_queue_search_finds_umlauts_and_sharp_s_as_the_claim_list_does(
    reviewer_client, make_claim, query
):
    claim = make_claim(
        "Rubio ist der erste US-Außenminister, der nicht zur Nato reist.",
        status=Status.IN_REVIEW,
    )
    make_claim("Etwas anderes.", status=Status.IN_REVIEW)

    queue = reviewer_client.get(QUEUE, {"q": query})
    claims = reviewer_client.get(
        "/admin/claims/claim/", {"q": query, "status__exact": "in_review"}
    )

    assert list(queue.context["cl"].result_list) == [claim]
    assert list(claims.context["cl"].result_list) == [claim]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full-text search")
def test_review_queue_search_takes_a_line_of_dashes(reviewer_client, make_claim):
    claim = make_claim("Witkoff reiste nach Moskau.", status=Status.IN_REVIEW)

    response = reviewer_client.get(QUEUE, {"q": "Moskau " + "-" * 40})

    assert list(response.context["cl"].result_list) == [claim]


@pytest.mark.django_db(transaction=True)
def test_two_saves_of_one_claim_at_once_give_no_server_error(
    transactional_db, make_claim, make_party
):
    """Both add the same link at the same moment: one is saved, the other is
    told; neither gets a 500 (an IntegrityError on the unique source URL)."""
    editor = make_user("racer", "Editors", is_staff=True)
    claim = make_claim()
    party = make_party()
    clients = [client_for(editor) for _ in range(4)]
    posts = [
        opened(
            client,
            claim,
            **{
                "sources-TOTAL_FORMS": "1",
                "sources-0-url": "https://isw.example/same",
                "sources-0-party": party.pk,
                "sources-0-stance": "disputes",
            },
        )
        for client in clients
    ]
    start = threading.Barrier(len(clients))
    answers, failures = [], []

    def save(client, data):
        start.wait()
        try:
            answers.append(client.post(change_url(claim), data).status_code)
        except Exception as error:  # the test client re-raises a 500's error
            failures.append(error)
        finally:
            connection.close()

    pairs = zip(clients, posts, strict=True)
    threads = [threading.Thread(target=save, args=pair) for pair in pairs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert sorted(answers) == [200, 200, 200, 302]
    assert Source.objects.filter(claim=claim).count() == 1
