"""Measurements that run inside the project (bench.web starts this with the
benchmark database in the environment). Prints one JSON object.

    python -m bench.measure queries|search|admin|search-pages|search-parts
    python -m bench.measure uncached-page <slug>   (with PUBLIC_CACHE_SECONDS=0)
"""

import json
import math
import random
import statistics
import sys
import time

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils.functional import cached_property  # noqa: E402

from claims import search, synthetic  # noqa: E402
from claims.filters import ClaimFilter  # noqa: E402
from claims.models import Claim  # noqa: E402
from claims.paginators import CappedPaginator, SearchPaginator  # noqa: E402
from claims.views import listed_claims  # noqa: E402

PAGE = 20


def reviewer_client():
    user, _ = User.objects.get_or_create(
        username="bench-reviewer", defaults={"is_staff": True}
    )
    user.groups.set([Group.objects.get(name="Reviewers")])
    client = Client()
    client.force_login(user)
    return client


def count_queries(client, url):
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(context.captured_queries)


def queries():
    """Queries per page at 10 and at 1,000 claims (in a database of its own)."""
    setup_test_environment()
    reviewer, public = reviewer_client(), Client()
    counts = {}
    for size in (10, 1000):
        synthetic.load_synthetic(size - Claim.objects.count() + 2, seed=size)
        in_review = Claim.objects.public().order_by("pk").values("pk")[: size // 10]
        Claim.objects.filter(pk__in=in_review).update(status=Claim.Status.IN_REVIEW)
        biggest = max(Claim.objects.public()[:200], key=lambda c: c.sources.count())
        pages = {
            "claim list": (public, reverse("claims:claim_list")),
            "claim page": (public, biggest.get_absolute_url()),
            "admin claim list": (reviewer, reverse("admin:claims_claim_changelist")),
            "review queue": (
                reviewer,
                reverse("admin:claims_claiminreview_changelist"),
            ),
            "API claim list": (public, "/api/claims/"),
        }
        counts[str(size)] = {
            name: count_queries(client, url) for name, (client, url) in pages.items()
        }
    return counts


def search_queries():
    """200 queries a reader might type: a place, a name or a subject, alone or
    two together, German and English, common ones more often (as the archive
    mentions them)."""
    rng = random.Random(7)
    pools = [
        synthetic.PLACES,
        synthetic.LAST_NAMES,
        synthetic.SUBJECTS_DE,
        synthetic.SUBJECTS_EN,
    ]
    queries = []
    for _ in range(200):
        words = [synthetic.zipf_choice(rng, rng.choice(pools))]
        if rng.random() < 0.3:
            words.append(synthetic.zipf_choice(rng, rng.choice(pools)))
        queries.append(" ".join(words))
    return queries


def timed(run, clock=time.perf_counter):
    """Milliseconds that `run` takes by `clock` (wall time by default)."""
    started = clock()
    run()
    return (clock() - started) * 1000


def first_page(queryset):
    """What the list page asks of a search: the count (capped, as the list's
    paginator does) and the first 20 rows."""
    paginator = CappedPaginator(queryset, PAGE)
    list(paginator.page(1).object_list)


def warm_up(queries):
    """The caches of PostgreSQL and of the project, before anything is timed."""
    for text in queries[:10]:
        first_page(search.search(listed_claims(), text))


def substring(text):
    return listed_claims().filter(
        Q(statement__icontains=text) | Q(summary__icontains=text)
    )


def figures(timings):
    ordered = sorted(timings)
    return {
        "p50": statistics.median(ordered),
        "p95": ordered[int(len(ordered) * 0.95) - 1],
        "max": ordered[-1],
    }


def search_latency():
    queries = search_queries()
    english = set(synthetic.SUBJECTS_EN)
    german = sum(1 for q in queries if not any(s in q for s in english))
    warm_up(queries)
    full_text = [
        timed(
            lambda t=t: first_page(ClaimFilter({"q": t}, queryset=listed_claims()).qs)
        )
        for t in queries
    ]
    icontains = [timed(lambda t=t: first_page(substring(t))) for t in queries]
    explained = "Pokrowsk"
    plan = search.search(listed_claims(), explained)[:PAGE].explain(analyze=True)
    matches = [
        ClaimFilter({"q": t}, queryset=listed_claims()).qs.count() for t in queries
    ]
    return {
        "queries": len(queries),
        "german": german,
        "matches": {"median": statistics.median(matches), "max": max(matches)},
        "full_text": figures(full_text),
        "icontains": figures(icontains),
        "explained": explained,
        "plan": plan.splitlines(),
    }


def search_pages():
    """Each query's first page, best of 3 each, alternately, by how many claims
    the query matches, fetched four ways:
    - the API's paginator, counting exactly, then the page in one query or in
      two (ids, then rows): the measurement behind SearchPaginator.many;
    - the list's paginator, a capped count and then the page as the API's
      (the list's way until 2026-12-02), or the first 1,001 ranked ids and
      then the page's rows (CappedPaginator).
    Not part of `make bench`."""

    class OneQuery(SearchPaginator):
        many = math.inf

    class TwoQueries(SearchPaginator):
        many = 0

    class CountedApart(SearchPaginator):
        @cached_property
        def count(self):
            matches = self.object_list.order_by().values("pk")
            return min(matches[: CappedPaginator.cap + 1].count(), CappedPaginator.cap)

    ways = {
        "one query": OneQuery,
        "two queries": TwoQueries,
        "capped count apart": CountedApart,
        "ranked ids": CappedPaginator,
    }

    def first_page_by(paginator, text):
        searched = ClaimFilter({"q": text}, queryset=listed_claims()).qs
        return timed(lambda: list(paginator(searched, PAGE).page(1).object_list))

    def bucket(text):
        # Capped at 1,000, where the last bucket starts.
        matches = CappedPaginator(search.search(listed_claims(), text), PAGE).count
        if matches < 100:
            return "under 100"
        return "100 to 999" if matches < 1000 else "1,000 or more"

    queries = search_queries()
    warm_up(queries)
    buckets = {"under 100": [], "100 to 999": [], "1,000 or more": []}
    for text in queries:
        best = {way: math.inf for way in ways}
        for _ in range(3):
            for way, paginator in ways.items():
                best[way] = min(best[way], first_page_by(paginator, text))
        buckets[bucket(text)].append(best)
    return {
        name: {
            "queries": len(timings),
            **{
                way: round(statistics.median(t[way] for t in timings), 1)
                for way in ways
            },
        }
        for name, timings in buckets.items()
        if timings
    }


def search_parts():
    """Where a search's first page goes, per query of the 200, in this
    process: CPU for the filter's form, for building the search's queryset
    and for the whole first page, and the time its queries waited on
    PostgreSQL. Medians. Not part of `make bench`."""
    waited = []

    def timing_queries(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            waited[-1] += (time.perf_counter() - started) * 1000

    def cpu(run):
        return timed(run, clock=time.process_time)

    def searched(text):
        return ClaimFilter({"q": text}, queryset=listed_claims())

    queries = search_queries()
    warm_up(queries)
    form = [cpu(lambda t=t: searched(t).form.is_valid()) for t in queries]
    queryset = [cpu(lambda t=t: searched(t).qs) for t in queries]
    page = []
    with connection.execute_wrapper(timing_queries):
        for text in queries:
            waited.append(0.0)
            page.append(cpu(lambda t=text: first_page(searched(t).qs)))
    return {
        name: round(statistics.median(values), 1)
        for name, values in (
            ("form CPU", form),
            ("queryset CPU", queryset),
            ("first page CPU", page),
            ("first page in PostgreSQL", waited),
        )
    }


def admin_pages():
    setup_test_environment()
    in_review = Claim.objects.filter(status=Claim.Status.IN_REVIEW).count()
    if in_review < 500:
        waiting = Claim.objects.public().order_by("-pk").values("pk")[: 500 - in_review]
        Claim.objects.filter(pk__in=waiting).update(status=Claim.Status.IN_REVIEW)
    client = reviewer_client()
    pages = {
        "claim changelist": reverse("admin:claims_claim_changelist"),
        "claim changelist, filtered and searched": reverse(
            "admin:claims_claim_changelist"
        )
        + "?status__exact=published&q=Pokrowsk",
        "review queue": reverse("admin:claims_claiminreview_changelist"),
        "source changelist": reverse("admin:claims_source_changelist"),
        "capture changelist": reverse("admin:claims_capture_changelist"),
    }
    runs = 5
    results = {}
    for name, url in pages.items():
        client.get(url)
        timings = [timed(lambda url=url: client.get(url)) for _ in range(runs)]
        results[name] = {
            "median": statistics.median(timings),
            "max": max(timings),
            "queries": count_queries(client, url),
        }
    return {"runs": runs, "pages": results}


def uncached_page(slug, requests=300):
    """Where an uncached claim page's CPU time goes, in this process: /ping and
    the page through the WSGI handler, the page's parts (bench.profile), and
    its source list done by hand (bench.floor)."""
    from django.core.wsgi import get_wsgi_application

    from bench import floor, profile

    app = get_wsgi_application()
    return {
        "ping": profile.per_request(app, "/ping", requests)[2],
        "page": profile.per_request(app, f"/claims/{slug}/", requests)[2],
        "split": profile.split_claim_page(slug, requests),
        "floor": floor.figures(slug, requests),
    }


if __name__ == "__main__":
    what, *arguments = sys.argv[1:]
    result = {
        "queries": queries,
        "search": search_latency,
        "admin": admin_pages,
        "search-pages": search_pages,
        "search-parts": search_parts,
        "uncached-page": uncached_page,
    }[what](*arguments)
    print(json.dumps(result))
