"""Editors and reviewers in the Django admin: forged requests and bad input too."""

import datetime
import re

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from claims.models import Capture, Claim, Party, Source, Topic, VerdictChange
from tests.conftest import add_source

Status = Claim.Status
ADD = reverse("admin:claims_claim_add")
QUEUE = reverse("admin:claims_claiminreview_changelist")


def change_url(claim):
    return reverse("admin:claims_claim_change", args=[claim.pk])


def claim_form(party, **overrides):
    """POST data for the claim add/change form with an empty source inline."""
    data = {
        "statement": "Russische Truppen haben Pokrowsk eingenommen.",
        "slug": "pokrowsk",
        "language": "de",
        "claimant": party.pk,
        "first_made_on": "2025-12-01",
        "first_appearance_url": "https://kremlin.example/peskov",
        "summary": "Umstritten: die Ukraine widerspricht.",
        "sources-TOTAL_FORMS": "0",
        "sources-INITIAL_FORMS": "0",
        "verdict_changes-TOTAL_FORMS": "0",
        "verdict_changes-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def with_source(data, index=0, **source):
    data = dict(data)
    data["sources-TOTAL_FORMS"] = str(index + 1)
    for key, value in source.items():
        data[f"sources-{index}-{key}"] = value
    return data


def existing_sources(claim, data):
    """Carry the claim's saved sources in the POST, as the browser would."""
    data = dict(data)
    sources = list(claim.sources.order_by("id"))
    data["sources-TOTAL_FORMS"] = data["sources-INITIAL_FORMS"] = str(len(sources))
    for index, source in enumerate(sources):
        data.update(
            {
                f"sources-{index}-id": source.pk,
                f"sources-{index}-claim": claim.pk,
                f"sources-{index}-url": source.url,
                f"sources-{index}-party": source.party_id,
                f"sources-{index}-stance": source.stance,
            }
        )
    history = claim.verdict_changes.count()
    data["verdict_changes-TOTAL_FORMS"] = data["verdict_changes-INITIAL_FORMS"] = str(
        history
    )
    for index, change in enumerate(claim.verdict_changes.order_by("changed_at", "id")):
        data[f"verdict_changes-{index}-id"] = change.pk
        data[f"verdict_changes-{index}-claim"] = claim.pk
    return data


def test_editor_adds_claim_with_sources_on_each_side(editor_client, editor, make_party):
    russia, isw = make_party("Russischer Generalstab"), make_party("ISW")
    data = with_source(
        claim_form(russia),
        0,
        url="https://kremlin.example/peskov",
        party=russia.pk,
        stance="asserts",
        publisher="Kreml",
        quote="Pokrowsk ist eingenommen.",
    )
    data = with_source(
        data, 1, url="https://isw.example/map", party=isw.pk, stance="disputes"
    )

    response = editor_client.post(ADD, data)

    assert response.status_code == 302, response.context["errors"]
    claim = Claim.objects.get(slug="pokrowsk")
    assert claim.created_by == editor
    assert claim.status == Status.DRAFT
    sides = {source.stance: source for source in claim.sources.all()}
    assert set(sides) == {"asserts", "disputes"}
    assert sides["asserts"].added_by == editor
    assert sides["asserts"].quote == "Pokrowsk ist eingenommen."


def test_editor_form_has_no_verdict_fields(editor_client, make_claim):
    claim = make_claim(status=Status.IN_REVIEW)

    form = editor_client.get(change_url(claim)).context["adminform"].form

    assert "new_rating" not in form.fields
    assert "verdict_note" not in form.fields
    assert [value for value, _ in form.fields["new_status"].choices] == ["", "draft"]


def test_editor_forging_a_verdict_changes_nothing(editor_client, make_claim, rating):
    claim = make_claim(statement="Vorher.")
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug=claim.slug,
            statement="Nachher.",
            new_rating=rating("true").pk,
            verdict_note="Ich bin Redakteurin.",
        ),
    )

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 302, response.context["errors"]
    claim.refresh_from_db()
    assert claim.statement == "Nachher."  # the rest of the form was accepted
    assert claim.rating is None
    assert not VerdictChange.objects.filter(claim=claim).exists()


@pytest.mark.parametrize(
    "status", [Status.IN_REVIEW, Status.PUBLISHED, Status.UPDATED, Status.WITHDRAWN]
)
def test_editor_cannot_change_a_claim_past_draft_but_adds_and_edits_sources(
    editor_client, editor, make_claim, make_party, status
):
    claim = make_claim(
        status=status, statement="Wie geprüft.", summary="Begründung.", sources=1
    )
    party = make_party()
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug="umbenannt",
            statement="Still geändert.",
            summary="Andere Begründung.",
            language="en",
        ),
    )
    data["sources-0-publisher"] = "Korrigierter Verlag"
    data = with_source(
        data, 1, url="https://isw.example/later", party=party.pk, stance="disputes"
    )

    form = editor_client.get(change_url(claim)).context["adminform"].form
    response = editor_client.post(change_url(claim), data)

    assert not {"statement", "summary", "slug", "language"} & set(form.fields)
    assert response.status_code == 302, response.context["errors"]
    saved = Claim.objects.get(pk=claim.pk)
    assert (saved.statement, saved.summary, saved.slug, saved.language) == (
        "Wie geprüft.",
        "Begründung.",
        claim.slug,
        "de",
    )
    assert saved.status == status
    added = saved.sources.get(url="https://isw.example/later")
    assert added.added_by == editor
    assert saved.sources.exclude(pk=added.pk).get().publisher == "Korrigierter Verlag"


def test_reviewer_may_change_a_published_claim(reviewer_client, make_claim):
    claim = make_claim(status=Status.PUBLISHED, statement="Vorher.")
    data = existing_sources(
        claim, claim_form(claim.claimant, slug=claim.slug, statement="Berichtigt.")
    )

    response = reviewer_client.post(change_url(claim), data)

    assert response.status_code == 302, response.context["errors"]
    assert Claim.objects.get(pk=claim.pk).statement == "Berichtigt."


def test_a_published_claims_address_is_permanent(reviewer_client, make_claim, client):
    published = make_claim(status=Status.PUBLISHED)
    draft = make_claim()
    for claim in (published, draft):
        data = existing_sources(claim, claim_form(claim.claimant, slug="neue-adresse"))
        data["slug"] = f"neu-{claim.pk}"
        response = reviewer_client.post(change_url(claim), data)
        assert response.status_code == 302, response.context["errors"]
    form = reviewer_client.get(change_url(published)).content.decode()

    assert Claim.objects.get(pk=published.pk).slug == published.slug
    assert client.get(published.get_absolute_url()).status_code == 200
    assert 'name="slug"' not in form
    assert Claim.objects.get(pk=draft.pk).slug == f"neu-{draft.pk}"


def test_editor_forging_publish_is_refused(editor_client, make_claim, reviewer, rating):
    from claims import services

    claim = make_claim(status=Status.IN_REVIEW)
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("true"), note="n"
    )
    data = existing_sources(
        claim, claim_form(claim.claimant, slug=claim.slug, new_status="published")
    )

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 200
    assert "Select a valid choice" in str(response.context["adminform"].form.errors)
    assert Claim.objects.get(pk=claim.pk).status == Status.IN_REVIEW


def test_reviewer_sets_verdict_and_publishes_from_the_admin(
    reviewer_client, reviewer, make_claim, rating
):
    claim = make_claim(status=Status.IN_REVIEW, sources=2)
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug=claim.slug,
            new_rating=rating("false").pk,
            verdict_note="Satellitenbilder zeigen ukrainische Kontrolle.",
            new_status="published",
        ),
    )

    response = reviewer_client.post(change_url(claim), data)

    assert response.status_code == 302, response.context["errors"]
    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED
    assert claim.rating == rating("false")
    change = claim.verdict_changes.get()
    assert change.changed_by == reviewer
    assert change.note == "Satellitenbilder zeigen ukrainische Kontrolle."
    assert change.published_at == claim.published_at
    assert claim.sources.count() == 2


def test_a_verdict_given_with_a_send_back_stays_with_the_desk(
    reviewer_client, make_claim, rating
):
    claim = make_claim(status=Status.PUBLISHED, sources=1)
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug=claim.slug,
            new_rating=rating("false").pk,
            verdict_note="Vorläufig, nicht veröffentlichen.",
            new_status="in_review",
        ),
    )

    response = reviewer_client.post(change_url(claim), data)

    assert response.status_code == 302, response.context["errors"]
    change = claim.verdict_changes.last()
    assert change.note == "Vorläufig, nicht veröffentlichen."
    assert change.published_at is None


def test_verdict_without_note_is_refused_in_the_form(
    reviewer_client, make_claim, rating
):
    claim = make_claim(status=Status.IN_REVIEW, statement="Alt.")
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug=claim.slug,
            statement="Neu.",
            new_rating=rating("true").pk,
            verdict_note="   ",
        ),
    )

    response = reviewer_client.post(change_url(claim), data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert "a note is required" in str(errors["verdict_note"])
    claim.refresh_from_db()
    assert claim.statement == "Alt."  # nothing half-saved
    assert claim.rating is None


def test_publishing_without_verdict_is_refused_in_the_form(reviewer_client, make_claim):
    claim = make_claim(status=Status.IN_REVIEW)
    data = existing_sources(
        claim, claim_form(claim.claimant, slug=claim.slug, new_status="published")
    )

    response = reviewer_client.post(change_url(claim), data)

    assert "needs a verdict before it is published" in str(
        response.context["adminform"].form.errors["new_status"]
    )
    assert Claim.objects.get(pk=claim.pk).status == Status.IN_REVIEW


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"statement": ""}, "statement", "This field is required."),
        ({"statement": "   "}, "statement", "This field is required."),
        (
            {"first_appearance_url": "not a url"},
            "first_appearance_url",
            "Enter a valid URL.",
        ),
        (
            {"first_appearance_url": "javascript:alert(1)"},
            "first_appearance_url",
            "valid URL",
        ),
        ({"slug": "taken"}, "slug", "Claim with this Slug already exists."),
        ({"slug": "hat leerzeichen"}, "slug", "valid “slug”"),
        ({"claimant": ""}, "claimant", "This field is required."),
        ({"first_made_on": "2025-02-30"}, "first_made_on", "Enter a valid date."),
    ],
)
def test_bad_claim_input_is_refused_and_nothing_saved(
    editor_client, make_claim, make_party, overrides, field, message
):
    make_claim(slug="taken")
    party = make_party()
    data = with_source(
        claim_form(party, **{"slug": "new-claim", **overrides}),
        url="https://example.org/a",
        party=party.pk,
        stance="asserts",
    )

    response = editor_client.post(ADD, data)

    assert response.status_code == 200
    assert message in str(response.context["adminform"].form.errors[field])
    assert Claim.objects.count() == 1
    assert not Source.objects.filter(url="https://example.org/a").exists()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (
            {"url": "https://example.org/a", "stance": "asserts"},
            "This field is required.",
        ),
        ({"url": "nicht-eine-url", "party": "PARTY", "stance": "asserts"}, "valid URL"),
        (
            {"url": "https://example.org/a", "party": "PARTY", "stance": "lies"},
            "valid choice",
        ),
    ],
)
def test_bad_source_is_refused_and_the_claim_not_saved(
    editor_client, make_party, source, message
):
    party = make_party()
    source = {
        key: party.pk if value == "PARTY" else value for key, value in source.items()
    }
    data = with_source(claim_form(party, slug="with-bad-source"), **source)

    response = editor_client.post(ADD, data)

    assert response.status_code == 200
    assert message in str(response.context["inline_admin_formsets"][0].formset.errors)
    assert not Claim.objects.filter(slug="with-bad-source").exists()


def test_duplicate_source_url_on_one_claim_is_refused(editor_client, make_party):
    party = make_party()
    data = with_source(
        claim_form(party, slug="dup"),
        0,
        url="https://e.org/x",
        party=party.pk,
        stance="asserts",
    )
    data = with_source(
        data, 1, url="https://e.org/x", party=party.pk, stance="disputes"
    )

    response = editor_client.post(ADD, data)

    assert response.status_code == 200
    assert "Please correct the duplicate data for url" in str(
        response.context["inline_admin_formsets"][0].formset.non_form_errors()
    )
    assert not Claim.objects.filter(slug="dup").exists()


def test_review_queue_lists_claims_in_review_oldest_first(
    reviewer_client, editor, make_claim
):
    from claims import services

    make_claim(status=Status.DRAFT)
    make_claim(status=Status.PUBLISHED)
    # Created in one order, submitted in the other: the queue follows submission.
    newest = make_claim(sources=1)
    oldest = make_claim(sources=2)
    for claim in (oldest, newest):
        services.change_status(claim=claim, user=editor, status=Status.IN_REVIEW)
    oldest.refresh_from_db()
    newest.refresh_from_db()
    assert oldest.submitted_at < newest.submitted_at and oldest.pk > newest.pk

    response = reviewer_client.get(QUEUE)

    queue = list(response.context["cl"].result_list)
    assert queue == [oldest, newest]
    html = response.content.decode()
    for source in oldest.sources.all():
        assert source.url in html
    assert html.index(oldest.statement) < html.index(newest.statement)


def test_review_queue_row_opens_the_review_form(reviewer_client, make_claim):
    claim = make_claim(status=Status.IN_REVIEW)
    url = reverse("admin:claims_claiminreview_change", args=[claim.pk])

    response = reviewer_client.get(url)

    assert response.status_code == 302
    assert response.url == change_url(claim)
    form = reviewer_client.get(response.url).context["adminform"].form
    assert {"new_rating", "verdict_note", "new_status"} <= set(form.fields)


@pytest.mark.parametrize("who", ["editor_client", "anonymous_client"])
def test_review_queue_is_closed_to_non_reviewers(request, make_claim, who):
    client = request.getfixturevalue(who)
    claim = make_claim(status=Status.IN_REVIEW)

    listing = client.get(QUEUE)
    row = client.get(reverse("admin:claims_claiminreview_change", args=[claim.pk]))

    if who == "anonymous_client":
        assert listing.status_code == row.status_code == 302
        assert "/admin/login/" in listing.url
    else:
        assert listing.status_code == row.status_code == 403


def test_a_closed_page_says_so_in_the_desks_language(editor_client):
    """Django's fallback was a bare English "403 Forbidden", without the
    site's layout or a way back, under /de/admin/ too."""
    response = editor_client.get("/de/admin/claims/claiminreview/")

    assert response.status_code == 403
    html = response.content.decode()
    assert "<h1>Zugriff verweigert</h1>" in html
    assert 'href="/de/admin/"' in html
    assert '<html lang="de">' in html


def test_outsider_cannot_use_the_claim_admin(outsider, make_claim):
    from tests.conftest import client_for

    claim = make_claim()
    client = client_for(outsider)

    assert client.get(reverse("admin:claims_claim_changelist")).status_code == 403
    assert client.get(change_url(claim)).status_code == 403
    assert client.post(ADD, {"statement": "x"}).status_code == 403


def test_editor_cannot_delete_claims_or_edit_the_rating_scale(
    editor_client, make_claim, rating, superuser
):
    from tests.conftest import client_for

    claim = make_claim()
    delete = reverse("admin:claims_claim_delete", args=[claim.pk])
    true = rating("true")
    rating_change = reverse("admin:claims_rating_change", args=[true.pk])
    form = {
        "slug": true.slug,
        "label_en": "Totally",
        "label_de": "Völlig",
        "description_en": true.description_en,
        "description_de": true.description_de,
        "order": true.order,
        "colour": "#123456",
        "rating_value": true.rating_value,
        "best_rating": true.best_rating,
        "worst_rating": true.worst_rating,
    }

    assert editor_client.post(delete, {"post": "yes"}).status_code == 403
    assert Claim.objects.filter(pk=claim.pk).exists()
    assert editor_client.post(rating_change, form).status_code == 403
    assert rating("true").label_en == "True"
    # The same form is valid: a superuser saves it.
    assert client_for(superuser).post(rating_change, form).status_code == 302
    assert rating("true").label_en == "Totally"


def test_claim_changelist_query_count_is_constant(
    editor_client, make_claim, django_assert_num_queries
):
    make_claim(status=Status.PUBLISHED, sources=1)
    url = reverse("admin:claims_claim_changelist")
    editor_client.get(url)
    with django_assert_num_queries(QUERIES := count_queries(editor_client, url)):
        editor_client.get(url)
    for _ in range(30):
        make_claim(status=Status.PUBLISHED, sources=3)
    with django_assert_num_queries(QUERIES):
        response = editor_client.get(url)
    assert len(response.context["cl"].result_list) == 31


def test_review_queue_query_count_is_constant(
    reviewer_client, make_claim, django_assert_num_queries
):
    make_claim(status=Status.IN_REVIEW, sources=1)
    queries = count_queries(reviewer_client, QUEUE)
    for _ in range(20):
        make_claim(status=Status.IN_REVIEW, sources=5)
    with django_assert_num_queries(queries):
        reviewer_client.get(QUEUE)


def count_queries(client, url):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as context:
        client.get(url)
    return len(context.captured_queries)


def test_admin_changes_leave_an_audit_trail_for_superusers(
    reviewer_client, make_claim, rating, superuser, reviewer
):
    from tests.conftest import client_for

    claim = make_claim(status=Status.IN_REVIEW, statement="Vorher.")
    add_source(claim, url="https://e.org/source")
    data = existing_sources(
        claim,
        claim_form(
            claim.claimant,
            slug=claim.slug,
            statement="Nachher.",
            new_rating=rating("false").pk,
            verdict_note="Belegt falsch.",
        ),
    )
    reviewer_client.post(change_url(claim), data)

    entries = LogEntry.objects.filter(actor=reviewer)
    claim_entry = entries.get(
        content_type__model="claim", changes__statement=["Vorher.", "Nachher."]
    )
    assert entries.filter(
        content_type__model="verdictchange", action=LogEntry.Action.CREATE
    )
    log = client_for(superuser).get(reverse("admin:auditlog_logentry_changelist"))
    assert claim_entry in log.context["cl"].result_list
    assert (
        reviewer_client.get(reverse("admin:auditlog_logentry_changelist")).status_code
        == 403
    )


def test_status_changes_are_audited(
    editor_client, editor, reviewer_client, reviewer, make_claim, rating
):
    from claims import services

    claim = make_claim()
    editor_client.post(
        reverse("admin:claims_claim_changelist"),
        {"action": "submit_for_review", "_selected_action": [claim.pk]},
    )
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="n"
    )
    data = existing_sources(
        claim, claim_form(claim.claimant, slug=claim.slug, new_status="published")
    )
    reviewer_client.post(change_url(claim), data)

    claim_entries = LogEntry.objects.filter(
        content_type__model="claim", object_pk=str(claim.pk)
    )
    submitted = claim_entries.get(changes__status=["draft", "in_review"])
    published = claim_entries.get(changes__status=["in_review", "published"])
    assert (submitted.actor, published.actor) == (editor, reviewer)


def test_sources_added_and_edited_are_audited(editor_client, editor, make_claim):
    claim = make_claim()
    party = claim.claimant
    data = claim_form(party, slug=claim.slug)
    added = with_source(data, url="https://e.org/new", party=party.pk, stance="asserts")
    added["sources-0-publisher"] = "Erst"
    editor_client.post(change_url(claim), added)
    source = claim.sources.get()
    edited = existing_sources(claim, data)
    edited["sources-0-publisher"] = "Dann"
    editor_client.post(change_url(claim), edited)

    entries = LogEntry.objects.filter(
        content_type__model="source", object_pk=str(source.pk), actor=editor
    )
    created = entries.get(action=LogEntry.Action.CREATE)
    assert created.changes["url"] == ["None", "https://e.org/new"]
    updated = entries.get(action=LogEntry.Action.UPDATE)
    assert updated.changes["publisher"] == ["Erst", "Dann"]


def test_source_deletion_is_audited(editor_client, editor, make_claim):
    claim = make_claim()
    source = add_source(claim, url="https://e.org/gone")
    data = existing_sources(claim, claim_form(claim.claimant, slug=claim.slug))
    data["sources-0-DELETE"] = "on"

    editor_client.post(change_url(claim), data)

    assert not Source.objects.filter(pk=source.pk).exists()
    entry = LogEntry.objects.get(
        content_type__model="source",
        object_pk=str(source.pk),
        action=LogEntry.Action.DELETE,
    )
    assert entry.actor == editor
    assert entry.changes["url"] == ["https://e.org/gone", "None"]


def test_a_source_must_be_a_web_link_published_on_a_day_that_has_come(
    editor_client, make_claim
):
    claim = make_claim()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    data = with_source(
        claim_form(claim.claimant, slug=claim.slug, first_made_on=tomorrow),
        url="ftp://files.example/lage.pdf",
        party=claim.claimant.pk,
        stance="asserts",
        published_on="2052-12-01",
    )

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 200
    formset = response.context["inline_admin_formsets"][0].formset
    source_errors = formset.forms[0].errors
    assert source_errors["url"] == [
        "Only web links (http:// or https://) can be archived."
    ]
    assert source_errors["published_on"] == ["This date is in the future."]
    errors = response.context["adminform"].form.errors
    assert errors["first_made_on"] == ["This date is in the future."]
    assert not claim.sources.exists()

    today = timezone.localdate().isoformat()
    data.update({"first_made_on": today, "sources-0-published_on": today})
    data["sources-0-url"] = "https://files.example/lage.pdf"
    response = editor_client.post(change_url(claim), data)
    assert response.status_code == 302, response.context["errors"]
    assert claim.sources.get().url == "https://files.example/lage.pdf"


def test_pasted_control_characters_are_left_out_and_line_breaks_kept(
    editor_client, make_claim
):
    claim = make_claim()
    data = with_source(
        claim_form(
            claim.claimant,
            slug=claim.slug,
            statement="Erste Zeile\x0bzweite Zeile\x01.",
            summary="Begr\x08ündet.",
        ),
        url="https://e.org/zitat",
        party=claim.claimant.pk,
        stance="asserts",
        quote="Zitat\x0cmit Umbruch",
    )

    response = editor_client.post(change_url(claim), data)

    assert response.status_code == 302, response.context["errors"]
    claim.refresh_from_db()
    assert claim.statement == "Erste Zeile\nzweite Zeile."
    assert claim.summary == "Begründet."
    assert claim.sources.get().quote == "Zitat\nmit Umbruch"


def test_party_and_topic_names_are_saved_as_plain_text(editor_client):
    """A party's or topic's name shows on every page of its claims."""
    party = {
        "name": "Generalstab\x0bder Ukraine\x01",
        "slug": "gs",
        "kind": "organisation",
    }
    topic = {"name": "Front\x07lage", "slug": "frontlage"}

    for model, data in (("party", party), ("topic", topic)):
        response = editor_client.post(reverse(f"admin:claims_{model}_add"), data)
        assert response.status_code == 302, response.context["errors"]

    assert Party.objects.get(slug="gs").name == "Generalstab\nder Ukraine"
    assert Topic.objects.get(slug="frontlage").name == "Frontlage"


def test_party_admin_needs_a_name_and_kind(editor_client):
    response = editor_client.post(reverse("admin:claims_party_add"), {"slug": "x"})
    form = response.context["adminform"].form
    assert set(form.errors) == {"name", "kind"}
    assert not Party.objects.filter(slug="x").exists()


def test_admin_language_filter_names_languages_in_the_desks_language(
    make_claim, reviewer_client
):
    make_claim(language="ru")

    german = reviewer_client.get("/de/admin/claims/claim/").content.decode()
    english = reviewer_client.get("/admin/claims/claim/").content.decode()

    assert re.search(r'href="\?language=ru"[^>]*>Russisch<', german)
    assert re.search(r'href="\?language=ru"[^>]*>Russian<', english)


def test_review_queue_cuts_long_source_links_short(reviewer_client, editor, make_claim):
    from claims import services

    claim = make_claim()
    long_url = "https://news.example.org/" + "a-very-long-slug-" * 12
    add_source(claim, url=long_url)
    services.change_status(claim=claim, user=editor, status=Status.IN_REVIEW)

    html = reviewer_client.get(QUEUE).content.decode()

    text = re.search(rf'href="{re.escape(long_url)}"[^>]*>([^<]+)</a>', html).group(1)
    assert text.startswith("news.example.org/a-very-long-slug-")
    assert len(text) <= 50


@pytest.mark.parametrize("how", ["delete page", "delete action"])
def test_editor_deletes_a_source_with_its_captures(editor_client, make_claim, how):
    # Nobody may delete a capture on its own, but a source's captures go
    # with it, as they do when the claim's inline deletes the source.
    claim = make_claim()
    doomed = add_source(claim)
    kept = add_source(claim)
    doomed.request_capture(Capture.Kind.RECHECK)
    assert doomed.captures.count() == 2

    if how == "delete page":
        url = reverse("admin:claims_source_delete", args=[doomed.pk])
        confirmation = editor_client.get(url).content.decode()
        assert "would require deleting the following protected" not in confirmation
        assert "doesn't have permission to delete" not in confirmation
        assert "Captures: 2" in confirmation
        response = editor_client.post(url, {"post": "yes"})
    else:
        url = reverse("admin:claims_source_changelist")
        form = {"action": "delete_selected", "_selected_action": [doomed.pk]}
        assert "Captures: 2" in editor_client.post(url, form).content.decode()
        response = editor_client.post(url, {**form, "post": "yes"})

    assert response.status_code == 302
    assert not Source.objects.filter(pk=doomed.pk).exists()
    assert not Capture.objects.filter(source_id=doomed.pk).exists()
    assert kept.captures.count() == 1


@pytest.mark.parametrize("status", [Status.IN_REVIEW, Status.PUBLISHED])
def test_only_a_reviewer_removes_evidence_from_a_claim_past_draft(
    editor_client, reviewer_client, make_claim, status
):
    claim = make_claim(status=status)
    cited = add_source(claim, url="https://e.org/beleg")
    data = existing_sources(claim, claim_form(claim.claimant, slug=claim.slug))
    data["sources-0-DELETE"] = "on"  # forged: the editor is shown no checkbox
    delete_page = reverse("admin:claims_source_delete", args=[cited.pk])
    changelist = reverse("admin:claims_source_changelist")
    action = {"action": "delete_selected", "_selected_action": [cited.pk]}

    form = editor_client.get(change_url(claim)).content.decode()
    inline = editor_client.post(change_url(claim), data)
    page = editor_client.post(delete_page, {"post": "yes"})
    confirmation = editor_client.post(changelist, action).content.decode()
    editor_client.post(changelist, {**action, "post": "yes"})

    assert 'name="sources-0-DELETE"' not in form
    assert (inline.status_code, page.status_code) == (302, 403)
    assert "a reviewer removes the sources of a claim in review or public" in (
        confirmation
    )
    assert Source.objects.filter(pk=cited.pk).exists()
    reviewer_client.post(change_url(claim), data)
    assert not Source.objects.filter(pk=cited.pk).exists()


def source_page(source):
    return reverse("admin:claims_source_change", args=[source.pk])


def source_form(source, **changes):
    """POST data for the source's own change form, as it was saved."""
    data = {
        "claim": source.claim_id,
        "url": source.url,
        "party": source.party_id,
        "stance": source.stance,
        "quote": source.quote,
    }
    return {**data, **changes}


@pytest.mark.parametrize("status", [Status.IN_REVIEW, Status.PUBLISHED])
def test_an_editor_cannot_move_evidence_off_a_claim_past_draft(
    editor_client, reviewer_client, make_claim, status
):
    """Moving a source to another claim removes it from its own."""
    claim, draft = make_claim(status=status), make_claim()
    cited = add_source(claim, url="https://e.org/beleg")
    url = source_page(cited)
    # Forged: the editor is shown no claim field.
    data = source_form(cited, claim=draft.pk)

    form = editor_client.get(url).content.decode()
    response = editor_client.post(url, data)

    assert 'name="claim"' not in form
    assert response.status_code == 302
    assert Source.objects.get(pk=cited.pk).claim == claim
    reviewer_client.post(url, data)
    assert Source.objects.get(pk=cited.pk).claim == draft


def stored_with(capture, original):
    """Mark `capture` as a revisit of `original`, as identical payloads are."""
    done = {"state": Capture.State.SUCCEEDED, "payload_sha256": "a" * 64}
    Capture.objects.filter(pk=original.pk).update(**done, warc="warcs/x.warc.gz")
    Capture.objects.filter(pk=capture.pk).update(**done, revisit_of=original)


def test_a_source_whose_copies_are_stored_with_another_sources_stays_on_its_claim(
    reviewer_client, make_claim
):
    """A revisit record names the other source's URL and date: on another
    claim's page it would point at a copy its readers may not see."""
    draft, published = make_claim(), make_claim(status=Status.PUBLISHED)
    first = add_source(draft, url="https://e.org/meldung")
    mirror = add_source(draft, url="https://mirror.example/meldung")
    stored_with(mirror.captures.get(), first.captures.get())

    for source in (mirror, first):
        response = reviewer_client.post(
            source_page(source), source_form(source, claim=published.pk)
        )

        assert response.status_code == 200
        assert "cannot move to another claim" in response.content.decode()
        assert Source.objects.get(pk=source.pk).claim == draft
    assert published.sources.count() == 0


def test_a_source_whose_copies_are_its_own_moves(reviewer_client, make_claim):
    draft, published = make_claim(), make_claim(status=Status.PUBLISHED)
    source = add_source(draft, url="https://e.org/meldung")
    first = source.captures.get()
    again = Capture.objects.create(source=source, url=source.url)
    stored_with(again, first)

    response = reviewer_client.post(
        source_page(source), source_form(source, claim=published.pk)
    )

    assert response.status_code == 302
    assert Source.objects.get(pk=source.pk).claim == published


def test_an_editor_moves_a_source_between_drafts(editor_client, make_claim):
    claim, other = make_claim(), make_claim()
    cited = add_source(claim, url="https://e.org/entwurf")
    data = source_form(cited, claim=other.pk)

    assert editor_client.post(source_page(cited), data).status_code == 302
    assert Source.objects.get(pk=cited.pk).claim == other


def test_nobody_deletes_a_capture_on_its_own(editor_client, superuser, make_claim):
    from tests.conftest import client_for

    capture = add_source(make_claim()).captures.get()
    url = reverse("admin:claims_capture_delete", args=[capture.pk])

    assert editor_client.post(url, {"post": "yes"}).status_code == 403
    assert client_for(superuser).post(url, {"post": "yes"}).status_code == 403
    assert capture.source.captures.filter(pk=capture.pk).exists()


def test_a_draft_claim_is_deleted_with_its_sources_and_their_captures(
    superuser, make_claim
):
    from tests.conftest import client_for

    claim = make_claim(sources=2)
    url = reverse("admin:claims_claim_delete", args=[claim.pk])
    client = client_for(superuser)

    assert "permission to delete" not in client.get(url).content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not Claim.objects.filter(pk=claim.pk).exists()
    assert not Source.objects.filter(claim_id=claim.pk).exists()
    assert not Capture.objects.exists()


def test_review_queue_rows_show_each_sources_stance_party_and_link(
    reviewer_client, editor, make_claim
):
    from claims import services

    claim = make_claim()
    disputing = Party.objects.create(name="Generalstab", slug="generalstab")
    add_source(claim, url="https://a.example.org/1")
    add_source(claim, url="https://b.example.org/2", party=disputing, stance="disputes")
    services.change_status(claim=claim, user=editor, status=Status.IN_REVIEW)

    english = reviewer_client.get(QUEUE).content.decode()
    german = reviewer_client.get("/de" + QUEUE).content.decode()

    row = (
        '<div><strong>{}</strong> · Generalstab · <a href="https://b.example.org/2" '
        'rel="noreferrer">b.example.org/2</a></div>'
    )
    assert row.format("Disputes") in english
    assert row.format("Bestreitet") in german
    assert "<strong>Asserts</strong> · Source party" in english
