"""schema.org ClaimReview for published claims, as Google's fact-check
guidelines describe it."""

import json

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from .models import Source

JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def absolute(path):
    return settings.SITE_URL + path


def canonical_url(claim):
    """The claim's page in the default language: one URL per claim, for
    exports that serve every language."""
    with translation.override(settings.LANGUAGE_CODE):
        return absolute(claim.get_absolute_url())


def claim_review(claim):
    """The ClaimReview of a published claim, in the active language: its `url`
    is the claim's page in that language, the canonical URL of the page it is
    embedded in. Needs the claim's claimant, rating and sources (with their
    cited captures) loaded."""
    rating = claim.rating
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": absolute(claim.get_absolute_url()),
        "claimReviewed": claim.statement,
        "datePublished": local_day(claim.published_at),
        "author": {
            "@type": "Organization",
            "name": settings.PUBLISHER_NAME,
            "url": settings.PUBLISHER_URL,
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": rating.rating_value,
            "bestRating": rating.best_rating,
            "worstRating": rating.worst_rating,
            "alternateName": rating.label,
        },
        "itemReviewed": item_reviewed(claim),
    }
    if claim.verdict_at and claim.verdict_at > claim.published_at:
        review["dateModified"] = local_day(claim.verdict_at)
    return review


def local_day(moment):
    """The day in TIME_ZONE, as the page shows it: 23:30 UTC is already the
    next day in Berlin."""
    return timezone.localdate(moment).isoformat()


def item_reviewed(claim):
    claimant = claim.claimant
    item = {
        "@type": "Claim",
        "author": {
            "@type": "Person" if claimant.kind == "person" else "Organization",
            "name": claimant.name,
        },
        "appearance": [
            appearance(source)
            for source in claim.sources.all()
            if source.stance == Source.Stance.ASSERTS
        ],
    }
    if claimant.url:
        item["author"]["sameAs"] = claimant.url
    if claim.first_made_on:
        item["datePublished"] = claim.first_made_on.isoformat()
    if claim.first_appearance_url:
        item["firstAppearance"] = {
            "@type": "CreativeWork",
            "url": claim.first_appearance_url,
        }
    return item


def appearance(source):
    work = {"@type": "CreativeWork", "url": source.url}
    if source.cited_capture_id:
        path = reverse("claims:capture_detail", kwargs={"pk": source.cited_capture_id})
        work["archivedAt"] = absolute(path)
    if source.published_on:
        work["datePublished"] = source.published_on.isoformat()
    if source.publisher:
        work["publisher"] = {"@type": "Organization", "name": source.publisher}
    return work


def has_review(claim):
    """Withdrawn fact-checks stay readable but are no longer offered as reviews."""
    return claim.status in (claim.Status.PUBLISHED, claim.Status.UPDATED)


def json_ld(data):
    """JSON for a <script type="application/ld+json"> block; user text can't
    close the element."""
    return mark_safe(json.dumps(data, ensure_ascii=False).translate(JSON_ESCAPES))  # noqa: S308
