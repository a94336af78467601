from django.urls import path

from . import feeds, views
from .caching import cache_public_page

app_name = "claims"


def feed_paths(prefix, feed_class, name):
    """RSS and Atom versions of a feed, served from the public page cache."""
    return [
        path(f"{prefix}feed.rss", cache_public_page(feed_class()), name=name),
        path(
            f"{prefix}feed.atom",
            cache_public_page(feeds.atom(feed_class)()),
            name=f"{name}_atom",
        ),
    ]


urlpatterns = [
    path("", views.ClaimListView.as_view(), name="claim_list"),
    path("claims.csv", views.claim_list_csv, name="claim_list_csv"),
    path("claimreview.json", views.claimreview_feed, name="claimreview_feed"),
    path("claims/<slug:slug>/", views.ClaimDetailView.as_view(), name="claim_detail"),
    *feed_paths("claims/<slug:slug>/", feeds.ClaimVerdictFeed, "claim_feed"),
    *feed_paths("verdicts/", feeds.VerdictFeed, "verdict_feed"),
    *feed_paths("topics/<slug:slug>/", feeds.TopicVerdictFeed, "topic_feed"),
    *feed_paths("parties/<slug:slug>/", feeds.PartyVerdictFeed, "party_feed"),
    path("archive/<int:pk>/", views.capture_detail, name="capture_detail"),
    path("archive/<int:pk>/warc/", views.capture_warc, name="capture_warc"),
    path("archive/<int:pk>/raw/", views.capture_raw, name="capture_raw"),
]
