"""Verdicts given while a claim is not public are the desk's draft: the public
sees only the verdicts it could see, from the moment it could see them."""

import datetime
import importlib
import re
import xml.etree.ElementTree as ET

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import formats, timezone

from claims import charts, services
from claims.models import Claim, Rating, VerdictChange
from tests.test_publishing import ld_json

Status = Claim.Status
INTERIM = "INTERN: vorläufig, Rechtsabteilung fragen"


def given(claim, reviewer, slug, note):
    return services.set_verdict(
        claim=claim, reviewer=reviewer, rating=Rating.objects.get(slug=slug), note=note
    )


def move(claim, reviewer, status):
    services.change_status(claim=claim, user=reviewer, status=status)


@pytest.fixture
def reviewed_in_private(make_claim, reviewer):
    """Rated "false" in review (backdated to 2025), then "true", then published."""
    claim = make_claim(status=Status.IN_REVIEW)
    interim = given(claim, reviewer, "false", INTERIM)
    VerdictChange.objects.filter(pk=interim.pk).update(
        changed_at=datetime.datetime(2025, 1, 1, 12, tzinfo=datetime.UTC)
    )
    given(claim, reviewer, "true", "Final.")
    move(claim, reviewer, Status.PUBLISHED)
    claim.refresh_from_db()
    return claim


def history(html):
    return re.findall(r'<p class="timeline__change">(.*?)</p>', html, re.DOTALL)


def test_claim_page_leaves_out_verdicts_given_before_publication(
    reviewed_in_private, anonymous_client
):
    html = anonymous_client.get(reviewed_in_private.get_absolute_url()).content.decode()

    assert INTERIM not in html
    assert "Final." in html
    [change] = history(html)
    assert change.strip() == '<span class="badge badge--true">True</span>'
    assert "fill--false" not in html  # the timeline


def test_as_of_before_publication_says_the_fact_check_was_not_yet_published(
    reviewed_in_private, anonymous_client
):
    url = reviewed_in_private.get_absolute_url()

    before = anonymous_client.get(url, {"as_of": "2025-01-15"}).content.decode()
    german = anonymous_client.get(f"/de{url}", {"as_of": "2025-01-15"})
    today = timezone.localdate().isoformat()
    after = anonymous_client.get(url, {"as_of": today}).content.decode()

    assert "This fact-check was not yet published on Jan. 15, 2025." in before
    assert "Verdict in force" not in before and "badge--false" not in before
    assert "war am 15. Januar 2025 noch nicht veröffentlicht" in german.text
    assert re.search(
        r'Verdict in force on [^:]+:\s*<span class="badge badge--true">', after
    )


def feed(client, url):
    root = ET.fromstring(client.get(url).content)  # noqa: S314 -- our own feed
    return [
        (item.findtext("title"), item.findtext("description"))
        for item in root.iter("item")
    ]


def test_feeds_leave_out_verdicts_given_before_publication(
    reviewed_in_private, anonymous_client
):
    slug = reviewed_in_private.slug
    for url in [
        reverse("claims:verdict_feed"),
        reverse("claims:claim_feed", args=[slug]),
        reverse("claims:claim_feed_atom", args=[slug]),
    ]:
        assert INTERIM not in anonymous_client.get(url).content.decode()
    [(title, description)] = feed(anonymous_client, reverse("claims:verdict_feed"))
    assert title.startswith("True: ")
    assert "Verdict: True (was: none)" in description


def test_api_history_leaves_out_verdicts_given_before_publication(
    reviewed_in_private, anonymous_client
):
    url = reverse("api:claim-detail", kwargs={"slug": reviewed_in_private.slug})

    [change] = anonymous_client.get(url).json()["verdict_history"]

    assert change["previous_verdict"] is None
    assert change["verdict"] == "true"
    assert change["note"] == "Final."
    published = datetime.datetime.fromisoformat(change["changed_at"])
    assert published == reviewed_in_private.published_at


def test_monthly_chart_counts_only_verdicts_the_public_saw(
    make_claim, reviewer, anonymous_client
):
    claim = make_claim(status=Status.IN_REVIEW)
    given(claim, reviewer, "false", INTERIM)
    given(claim, reviewer, "true", "Final.")
    move(claim, reviewer, Status.PUBLISHED)

    moves = charts.verdict_moves(list(Rating.objects.all()))
    html = anonymous_client.get(reverse("claims:claim_list")).content.decode()

    blocks = [block for column in moves["columns"] for block in column["blocks"]]
    assert [(block["rating"].slug, block["total"]) for block in blocks] == [("true", 1)]
    assert "× False" not in html and "1 × True" in html


@pytest.fixture
def sent_back(make_claim, reviewer):
    """Published as "mostly-true", sent back, rated "false" then "true" in
    review, and published again."""
    claim = make_claim(status=Status.PUBLISHED, rating="mostly-true")
    move(claim, reviewer, Status.IN_REVIEW)
    given(claim, reviewer, "false", "Zwischenstand, nicht veröffentlichen.")
    given(claim, reviewer, "true", "Neue Belege.")
    move(claim, reviewer, Status.PUBLISHED)
    return claim


def test_verdicts_given_while_sent_back_to_review_stay_with_the_desk(
    sent_back, anonymous_client
):
    page = anonymous_client.get(sent_back.get_absolute_url()).content.decode()
    api = anonymous_client.get(
        reverse("api:claim-detail", kwargs={"slug": sent_back.slug})
    ).json()
    items = feed(anonymous_client, reverse("claims:claim_feed", args=[sent_back.slug]))

    assert [re.findall(r"badge--([\w-]+)", change) for change in history(page)] == [
        ["mostly-true"],
        ["mostly-true", "true"],
    ]
    assert [
        (change["previous_verdict"], change["verdict"])
        for change in api["verdict_history"]
    ] == [(None, "mostly-true"), ("mostly-true", "true")]
    assert [title.split(":")[0] for title, _ in items] == ["True", "Mostly true"]
    assert "(was: Mostly true)" in items[0][1]
    for text in (page, str(api), str(items)):
        assert "Zwischenstand" not in text and "badge--false" not in text


def test_a_verdict_given_in_review_is_dated_when_readers_first_saw_it(
    make_claim, reviewer, reviewed_in_private, anonymous_client
):
    """Given in review weeks before it went public, it is news to readers on
    the day they can first see it: "Verdict given", ClaimReview's
    dateModified and the list's newest-first order."""
    claim = make_claim(status=Status.PUBLISHED, rating="mostly-true")
    Claim.objects.filter(pk=claim.pk).update(published_at=at(0), verdict_at=at(0))
    claim.verdict_changes.update(changed_at=at(0), published_at=at(0))
    move(claim, reviewer, Status.IN_REVIEW)
    change = given(claim, reviewer, "true", "Neue Belege.")
    VerdictChange.objects.filter(pk=change.pk).update(changed_at=at(10))
    Claim.objects.filter(pk=claim.pk).update(verdict_at=at(10))
    move(claim, reviewer, Status.PUBLISHED)
    claim.refresh_from_db()
    change.refresh_from_db()

    page = anonymous_client.get(claim.get_absolute_url()).content.decode()
    [review] = ld_json(page)

    assert claim.verdict_at == change.published_at > at(10)
    assert review["dateModified"] == timezone.localdate().isoformat()
    today = formats.date_format(timezone.localtime(), "DATE_FORMAT")
    assert re.search(rf"Verdict given {re.escape(today)}", page)
    first = reviewed_in_private
    assert first.verdict_at == first.published_at
    assert first.verdict_at == first.verdict_changes.last().published_at


def published_with(make_claim, rating, *, published, given, made_public):
    """A claim first published on day `published`, whose verdict in force was
    given on day `given` and made public on day `made_public`."""
    claim = make_claim(status=Status.DRAFT)
    Claim.objects.filter(pk=claim.pk).update(
        status=Status.PUBLISHED, published_at=at(published), verdict_at=at(given)
    )
    VerdictChange.objects.create(
        claim=claim,
        rating=rating("true"),
        note="n",
        changed_at=at(given),
        published_at=at(made_public),
    )
    return claim


def test_migration_dates_a_verdict_given_in_review_by_its_publication(
    make_claim, rating
):
    claim = published_with(make_claim, rating, published=5, given=1, made_public=5)
    later = published_with(make_claim, rating, published=0, given=3, made_public=3)

    migration = importlib.import_module("claims.migrations.0014_verdict_at_when_public")
    migration.date_verdicts_when_public(apps, None)

    assert Claim.objects.get(pk=claim.pk).verdict_at == at(5)
    assert Claim.objects.get(pk=later.pk).verdict_at == at(3)


def test_a_verdict_given_while_published_is_public_at_once(
    make_claim, reviewer, anonymous_client
):
    claim = make_claim(status=Status.PUBLISHED)

    change = given(claim, reviewer, "false", "Neue Satellitenbilder.")

    assert change.published_at == change.changed_at
    assert (
        "Neue Satellitenbilder."
        in anonymous_client.get(claim.get_absolute_url()).content.decode()
    )


def test_the_desk_sees_the_whole_history_and_what_was_never_made_public(
    reviewed_in_private, reviewer_client
):
    url = reverse("admin:claims_claim_change", args=[reviewed_in_private.pk])

    html = reviewer_client.get(url).content.decode()

    cells = re.findall(r'<td class="field-published_at">\s*<p>(.*?)</p>', html)
    assert INTERIM in html and "Final." in html
    assert "Made public at" in html
    assert cells[0] == "—"  # the interim verdict, oldest first
    assert cells[1] != "—"


def backfill():
    migration = importlib.import_module("claims.migrations.0013_verdict_published_at")
    migration.backfill(apps, None)


def at(days):
    return datetime.datetime(2025, 6, 1, 12, tzinfo=datetime.UTC) + (
        datetime.timedelta(days=days)
    )


def test_migration_dates_the_history_as_far_as_it_can_be_told(make_claim, rating):
    published = make_claim(status=Status.DRAFT)
    sent_back = make_claim(status=Status.DRAFT)
    never = make_claim(status=Status.DRAFT)
    Claim.objects.filter(pk=published.pk).update(
        status=Status.UPDATED, published_at=at(0), submitted_at=at(-3)
    )
    Claim.objects.filter(pk=sent_back.pk).update(
        status=Status.IN_REVIEW, published_at=at(0), submitted_at=at(2)
    )
    Claim.objects.filter(pk=never.pk).update(
        status=Status.IN_REVIEW, submitted_at=at(-3)
    )
    days = {published: [-2, -1, 1], sent_back: [-1, 1, 3], never: [-2, -1]}
    changes = {
        (claim, day): VerdictChange.objects.create(
            claim=claim, rating=rating("true"), note="n", changed_at=at(day)
        )
        for claim, claim_days in days.items()
        for day in claim_days
    }

    backfill()

    made_public = {
        key: VerdictChange.objects.get(pk=change.pk).published_at
        for key, change in changes.items()
    }
    assert made_public == {
        (published, -2): None,  # superseded before publication
        (published, -1): at(0),  # in force at publication
        (published, 1): at(1),
        (sent_back, -1): at(0),
        (sent_back, 1): at(1),
        (sent_back, 3): None,  # given since it was sent back
        (never, -2): None,
        (never, -1): None,
    }


def test_migration_dates_send_backs_from_the_audit_log(make_claim, reviewer):
    """Sent back, given an interim verdict, back to draft and resubmitted: the
    last submission is after the interim verdict, so only the audit log's
    status moves tell that it was never public."""
    republished = make_claim(status=Status.PUBLISHED)
    in_review = make_claim(status=Status.PUBLISHED)
    for claim in (republished, in_review):
        move(claim, reviewer, Status.IN_REVIEW)
        given(claim, reviewer, "false", "Zwischenstand, intern.")
        move(claim, reviewer, Status.DRAFT)
        move(claim, reviewer, Status.IN_REVIEW)
    given(republished, reviewer, "true", "Geklärt.")
    move(republished, reviewer, Status.PUBLISHED)
    made_public = dict(VerdictChange.objects.values_list("pk", "published_at"))
    VerdictChange.objects.update(published_at=None)

    backfill()

    for claim in (republished, in_review):
        history = list(claim.verdict_changes.order_by("changed_at", "id"))
        dated = [VerdictChange.objects.get(pk=c.pk).published_at for c in history]
        assert dated[1] is None  # the interim verdict
        for change, when in zip(history, dated, strict=True):
            expected = made_public[change.pk]
            assert (when is None) == (expected is None)
            if when:  # the audit log's moment, a moment after the workflow's
                assert abs(when - expected) < datetime.timedelta(seconds=1)
    assert len(dated) == 2 and dated[0] is not None
