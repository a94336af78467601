"""
Who may do what. The admin, the review queue and the services all ask here,
so a rule is enforced on the server whatever the entry point.
"""

from django.contrib.auth.models import AnonymousUser

from .models import Claim

EDIT = "claims.change_claim"
REVIEW = "claims.review_claim"

Status = Claim.Status

# From each status, the statuses a claim may move to and the permission needed.
TRANSITIONS = {
    Status.DRAFT: {Status.IN_REVIEW: EDIT},
    Status.IN_REVIEW: {Status.DRAFT: EDIT, Status.PUBLISHED: REVIEW},
    Status.PUBLISHED: {
        Status.UPDATED: REVIEW,
        Status.WITHDRAWN: REVIEW,
        Status.IN_REVIEW: REVIEW,
    },
    Status.UPDATED: {Status.WITHDRAWN: REVIEW, Status.IN_REVIEW: REVIEW},
    Status.WITHDRAWN: {Status.PUBLISHED: REVIEW, Status.IN_REVIEW: REVIEW},
}


def can_edit(user):
    return user.is_active and user.has_perm(EDIT)


def can_review(user):
    return user.is_active and user.has_perm(REVIEW)


def can_edit_claim_fields(user, claim):
    """Whether `user` may change the claim's own fields (statement, summary…).

    Editors may only while it is a draft: once it is in review or public, a
    change to what readers see goes through a reviewer. Sources are not
    covered: editors add and edit them on any claim, because evidence arrives
    after publication and each source is attributed and archived; removing
    one is covered (`can_remove_sources`).
    """
    if can_review(user):
        return True
    return can_edit(user) and claim.status == Status.DRAFT


def can_remove_sources(user, claim):
    """Whether `user` may remove sources from the claim. Adding and editing
    evidence is open to editors on any claim; taking it away from what
    readers see, or are about to see, goes through a reviewer."""
    return can_edit_claim_fields(user, claim)


def can_move(user, claim, status):
    permission = TRANSITIONS[claim.status].get(status)
    return permission is not None and user.is_active and user.has_perm(permission)


def allowed_statuses(user, claim):
    return [
        status for status in TRANSITIONS[claim.status] if can_move(user, claim, status)
    ]


def can_view_capture(user, capture):
    """Archived copies of public claims are public; the rest is for the desk."""
    source = capture.source
    if source is not None and source.claim.is_public:
        return True
    return user.is_active and user.has_perm("claims.view_source")


def is_public_capture(capture):
    """Whether anyone, logged in or not, may see the archived copy."""
    return can_view_capture(AnonymousUser(), capture)
