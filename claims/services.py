"""Actions that span models or have side effects. Views and the admin call these."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import permissions
from .models import Claim, Rating, VerdictChange


def check_verdict(*, rating: Rating | None, note: str) -> None:
    if rating is None:
        raise ValidationError({"new_rating": _("Choose a verdict.")})
    if not note.strip():
        raise ValidationError(
            {"verdict_note": _("Explain the verdict: a note is required.")}
        )


def check_status_change(
    *, claim: Claim, user, status: str, rating: Rating | None, summary: str
) -> None:
    """Raise unless `user` may move `claim` to `status` with `rating` in force."""
    if not permissions.can_move(user, claim, status):
        raise PermissionDenied(
            _("You may not move a claim from “%(old)s” to “%(new)s”.")
            % {"old": claim.get_status_display(), "new": Claim.Status(status).label}
        )
    if status in Claim.PUBLIC_STATUSES and status != Claim.Status.WITHDRAWN:
        missing = []
        if rating is None:
            missing.append(_("a verdict"))
        if not summary.strip():
            missing.append(_("a public summary"))
        if missing:
            raise ValidationError(
                _("A claim needs %(missing)s before it is published.")
                % {"missing": _(" and ").join(missing)}
            )


@transaction.atomic
def set_verdict(*, claim: Claim, reviewer, rating: Rating, note: str) -> VerdictChange:
    """Give `claim` a new verdict and record it in the verdict history."""
    if not permissions.can_review(reviewer):
        raise PermissionDenied(_("Only reviewers may set verdicts."))
    check_verdict(rating=rating, note=note)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    change = VerdictChange.objects.create(
        claim=claim,
        previous_rating=claim.rating,
        rating=rating,
        note=note.strip(),
        changed_by=reviewer,
    )
    claim.rating = rating
    claim.verdict_at = change.changed_at
    claim.save(update_fields=["rating", "verdict_at", "updated_at"])
    return change


@transaction.atomic
def change_status(*, claim: Claim, user, status: str) -> Claim:
    """Move `claim` along the workflow: submit, publish, mark updated, withdraw."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    check_status_change(
        claim=claim,
        user=user,
        status=status,
        rating=claim.rating,
        summary=claim.summary,
    )
    now = timezone.now()
    claim.status = status
    if status == Claim.Status.IN_REVIEW:
        claim.submitted_at = now
    if status == Claim.Status.PUBLISHED and claim.published_at is None:
        claim.published_at = now
    claim.save(update_fields=["status", "submitted_at", "published_at", "updated_at"])
    return claim
