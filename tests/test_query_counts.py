"""The number of SQL queries per page does not grow with the data: the same
at 10 claims and at 1,000 (each with 3 to 30 archived sources)."""

import string

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import search
from claims.models import Claim
from claims.synthetic import load_synthetic

pytestmark = pytest.mark.slow


def queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def pages(reviewer_client, client):
    """(name, client, url) of every page whose query count is locked."""
    biggest = max(Claim.objects.public(), key=lambda claim: claim.sources.count())
    # Its longest word: found at any size, and no stop word that matches nothing
    # (a search without results runs fewer queries, which would hide a change).
    word = max(biggest.statement.split(), key=len).strip(string.punctuation)
    assert search.search(Claim.objects.public(), word).exists()
    return [
        ("claim list", client, reverse("claims:claim_list")),
        ("claim list, page 2", client, reverse("claims:claim_list") + "?page=2"),
        ("claim list, searched", client, reverse("claims:claim_list") + f"?q={word}"),
        ("claim page", client, biggest.get_absolute_url()),
        ("admin claim list", reviewer_client, reverse("admin:claims_claim_changelist")),
        (
            "review queue",
            reviewer_client,
            reverse("admin:claims_claiminreview_changelist"),
        ),
        ("API claim list", client, "/api/claims/"),
        ("API source list", client, "/api/sources/"),
        ("feed", client, reverse("claims:verdict_feed")),
        ("ClaimReview feed", client, reverse("claims:claimreview_feed")),
    ]


def send_to_review(count):
    """Move `count` claims into the review queue, which lists their sources."""
    waiting = Claim.objects.public().order_by("pk").values("pk")[:count]
    Claim.objects.filter(pk__in=waiting).update(status=Claim.Status.IN_REVIEW)


def test_query_counts_are_the_same_at_10_and_1000_claims(db, reviewer_client, client):
    load_synthetic(12, seed=3)
    send_to_review(2)
    small = {name: queries(c, url) for name, c, url in pages(reviewer_client, client)}

    load_synthetic(1088, seed=4)
    send_to_review(98)  # 100 in review in all
    assert Claim.objects.public().count() == 1000
    large = {name: queries(c, url) for name, c, url in pages(reviewer_client, client)}

    assert large == small
