"""The review workflow and verdict history, enforced in the services for every role."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError

from claims import permissions, services
from claims.models import Claim, Rating, VerdictChange

Status = Claim.Status


def test_reviewer_sets_verdict_and_history_records_from_and_to(
    make_claim, reviewer, rating
):
    claim = make_claim(status=Status.IN_REVIEW)

    first = services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("unproven"), note="Umstritten."
    )
    second = services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="  ISW-Karte.  "
    )

    claim.refresh_from_db()
    assert claim.rating == rating("false")
    assert claim.verdict_at == second.changed_at
    history = list(claim.verdict_changes.all())
    assert [(c.previous_rating, c.rating) for c in history] == [
        (None, rating("unproven")),
        (rating("unproven"), rating("false")),
    ]
    assert [c.note for c in history] == ["Umstritten.", "ISW-Karte."]
    assert {c.changed_by for c in history} == {reviewer}
    assert first.changed_at <= second.changed_at


@pytest.mark.parametrize("who", ["editor", "outsider", "anonymous"])
def test_only_reviewers_set_verdicts(make_claim, request, who, rating):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    claim = make_claim(status=Status.IN_REVIEW)

    with pytest.raises(PermissionDenied):
        services.set_verdict(
            claim=claim, reviewer=user, rating=rating("true"), note="Ich darf das."
        )

    claim.refresh_from_db()
    assert claim.rating is None
    assert not VerdictChange.objects.filter(claim=claim).exists()


@pytest.mark.parametrize("who", ["editor", "outsider", "anonymous"])
def test_only_reviewers_publish(make_claim, request, who, rating):
    user = AnonymousUser() if who == "anonymous" else request.getfixturevalue(who)
    claim = make_claim(status=Status.IN_REVIEW)
    reviewer = request.getfixturevalue("reviewer")
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("true"), note="x"
    )

    with pytest.raises(PermissionDenied):
        services.change_status(claim=claim, user=user, status=Status.PUBLISHED)

    assert Claim.objects.get(pk=claim.pk).status == Status.IN_REVIEW


def test_verdict_without_note_is_refused(make_claim, reviewer, rating):
    claim = make_claim(status=Status.IN_REVIEW)

    with pytest.raises(ValidationError) as error:
        services.set_verdict(
            claim=claim, reviewer=reviewer, rating=rating("true"), note=" "
        )

    assert "note is required" in str(error.value)
    assert Claim.objects.get(pk=claim.pk).rating is None
    assert not VerdictChange.objects.exists()


def test_publishing_needs_a_verdict_and_a_summary(make_claim, reviewer):
    claim = make_claim(status=Status.IN_REVIEW, summary="")

    with pytest.raises(ValidationError) as error:
        services.change_status(claim=claim, user=reviewer, status=Status.PUBLISHED)

    assert "a verdict and a public summary" in str(error.value)
    assert Claim.objects.get(pk=claim.pk).status == Status.IN_REVIEW


def test_editor_submits_draft_for_review(make_claim, editor):
    claim = make_claim()

    services.change_status(claim=claim, user=editor, status=Status.IN_REVIEW)

    claim.refresh_from_db()
    assert claim.status == Status.IN_REVIEW
    assert claim.submitted_at is not None


def test_outsider_cannot_submit(make_claim, outsider):
    claim = make_claim()
    with pytest.raises(PermissionDenied):
        services.change_status(claim=claim, user=outsider, status=Status.IN_REVIEW)


def test_publish_sets_published_at_once(make_claim, reviewer):
    claim = make_claim(status=Status.PUBLISHED)
    first_published = claim.published_at
    assert first_published is not None

    services.change_status(claim=claim, user=reviewer, status=Status.WITHDRAWN)
    services.change_status(claim=claim, user=reviewer, status=Status.PUBLISHED)

    assert Claim.objects.get(pk=claim.pk).published_at == first_published


def test_status_moves_are_limited_to_the_workflow(make_claim, reviewer):
    claim = make_claim()
    with pytest.raises(PermissionDenied) as error:
        services.change_status(claim=claim, user=reviewer, status=Status.PUBLISHED)
    assert "“Draft” to “Published”" in str(error.value)


def test_verdict_and_status_are_separate(make_claim, reviewer, rating):
    claim = make_claim(status=Status.PUBLISHED, rating="unproven")

    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="n"
    )

    claim.refresh_from_db()
    assert claim.status == Status.PUBLISHED
    assert claim.rating == rating("false")


def test_allowed_statuses_per_role(make_claim, editor, reviewer, outsider):
    draft = make_claim()
    in_review = make_claim(status=Status.IN_REVIEW)
    published = make_claim(status=Status.PUBLISHED)

    assert permissions.allowed_statuses(editor, draft) == [Status.IN_REVIEW]
    assert permissions.allowed_statuses(editor, in_review) == [Status.DRAFT]
    assert permissions.allowed_statuses(editor, published) == []
    assert permissions.allowed_statuses(outsider, draft) == []
    assert set(permissions.allowed_statuses(reviewer, in_review)) == {
        Status.DRAFT,
        Status.PUBLISHED,
    }
    assert set(permissions.allowed_statuses(reviewer, published)) == {
        Status.UPDATED,
        Status.WITHDRAWN,
        Status.IN_REVIEW,
    }


def test_editors_change_claim_fields_only_in_drafts(
    make_claim, editor, reviewer, outsider
):
    claims = {status: make_claim(status=status) for status in Status}

    editable = {
        user.username: [s for s, c in claims.items() if can_edit_fields(user, c)]
        for user in (editor, reviewer, outsider)
    }

    assert editable == {
        "edith": [Status.DRAFT],
        "rita": list(Status),
        "otto": [],
    }


def can_edit_fields(user, claim):
    return permissions.can_edit_claim_fields(user, claim)


def test_inactive_reviewer_has_no_powers(make_claim, reviewer, rating):
    reviewer.is_active = False
    reviewer.save()
    claim = make_claim(status=Status.IN_REVIEW)
    with pytest.raises(PermissionDenied):
        services.set_verdict(
            claim=claim, reviewer=reviewer, rating=rating("true"), note="x"
        )


def test_rating_as_of_reads_the_public_history(make_claim, reviewer, rating):
    claim = make_claim(status=Status.PUBLISHED, rating="unproven")
    second = services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="b"
    )
    three_days_before = second.changed_at - datetime.timedelta(days=3)
    VerdictChange.objects.filter(claim=claim).exclude(pk=second.pk).update(
        changed_at=three_days_before, published_at=three_days_before
    )
    claim = Claim.objects.prefetch_related("verdict_changes").get(pk=claim.pk)

    before_any = second.changed_at - datetime.timedelta(days=4)
    between = second.changed_at - datetime.timedelta(days=1)
    assert claim.rating_as_of(before_any) is None
    assert claim.rating_as_of(between) == rating("unproven")
    assert claim.rating_as_of(second.changed_at) == rating("false")


def test_the_seeded_scale_is_complete_and_covers_unproven(db):
    scale = list(Rating.objects.all())

    assert len(scale) >= 5
    for rating in scale:
        rating.full_clean()  # the colour is #rrggbb, the value within the scale
        assert all(
            text.strip()
            for text in (
                rating.label_en,
                rating.label_de,
                rating.description_en,
                rating.description_de,
            )
        ), rating.slug
        assert rating.worst_rating <= rating.rating_value <= rating.best_rating
        assert rating.worst_rating < rating.best_rating
    assert (
        len({r.label_en for r in scale})
        == len({r.label_de for r in scale})
        == len(scale)
    )
    unproven = Rating.objects.get(slug="unproven")
    assert "Unproven" in unproven.label_en and "Unbelegt" in unproven.label_de
    # It asserts neither way, so it sits strictly inside the scale.
    assert unproven.worst_rating < unproven.rating_value < unproven.best_rating
