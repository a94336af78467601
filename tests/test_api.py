"""The public JSON API: what it shows and hides, filters, pagination, bad input,
query counts, and a schema-driven run of schemathesis against its OpenAPI schema."""

import datetime
import json

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from claims import services
from claims.api import PageNumbers
from claims.models import Capture, Claim, Party, Source, Topic
from tests.conftest import add_source

Status = Claim.Status
CLAIMS = reverse("api:claim-list")
PARTIES = reverse("api:party-list")
TOPICS = reverse("api:topic-list")
SOURCES = reverse("api:source-list")
CAPTURES = reverse("api:capture-list")
RATINGS = reverse("api:rating-list")
LISTS = [CLAIMS, PARTIES, TOPICS, SOURCES, CAPTURES, RATINGS]
SECRET = "GEHEIM"  # in the texts of everything that must stay hidden


def archive(source, **fields):
    """Finish the source's pending capture as a worker would, and cite it."""
    capture = source.captures.get()
    fields = {
        "state": Capture.State.SUCCEEDED,
        "fetch_started_at": timezone.now(),
        "final_url": source.url,
        "http_status": 200,
        "content_type": "text/html; charset=utf-8",
        "ip_address": "192.0.2.10",
        "redirect_chain": [
            {"url": "http://x.example/", "status": 301, "location": source.url}
        ],
        "payload_sha256": "a" * 64,
        "warc_sha256": "b" * 64,
        "title": f"Archived: {source.title}",
        "text": f"The archived text of {source.title}.",
        "change": Capture.Change.FIRST,
        **fields,
    }
    Capture.objects.filter(pk=capture.pk).update(**fields)
    Source.objects.filter(pk=source.pk).update(cited_capture=capture)
    source.refresh_from_db()
    return source.cited_capture


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def slugs(response):
    return {claim["slug"] for claim in results(response)}


def everything(client, path):
    """Every result of a list, page by page."""
    found, url = [], path
    while url:
        page = client.get(url).json()
        found += page["results"]
        url = page["next"]
    return found


@pytest.fixture
def world(make_claim, make_party, make_topic):
    """Public claims with archived sources, and claims that must stay hidden."""
    war, secret_topic = make_topic("Krieg"), make_topic(f"{SECRET} topic")
    secret_party = make_party(f"{SECRET} party")
    published = make_claim(
        statement="Pokrowsk ist gefallen.",
        status=Status.PUBLISHED,
        topics=[war],
        first_made_on=datetime.date(2025, 12, 1),
        first_appearance_url="https://t.me/example/1",
    )
    cited = add_source(published, title="ISW map", quote="Not taken.")
    archive(cited)
    withdrawn = make_claim(statement="Putin kam zu spät.", status=Status.WITHDRAWN)
    add_source(withdrawn, title="Not archived yet", url="https://bücher.example/ä?q=ü")
    hidden = [
        make_claim(
            statement=f"{SECRET} {status}",
            status=status,
            claimant=secret_party,
            topics=[secret_topic],
            summary=f"{SECRET} summary",
        )
        for status in (Status.DRAFT, Status.IN_REVIEW, Status.PUBLISHED)
    ]
    # Published once, now back in review: it has a verdict and a history.
    Claim.objects.filter(pk=hidden[-1].pk).update(status=Status.IN_REVIEW)
    hidden_sources = [
        add_source(claim, party=secret_party, title=f"{SECRET} source")
        for claim in hidden
    ]
    hidden_captures = [archive(source) for source in hidden_sources]
    failed = cited.request_capture(Capture.Kind.RECHECK)
    Capture.objects.filter(pk=failed.pk).update(
        state=Capture.State.FAILED, title=f"{SECRET} failed"
    )
    sourceless = Capture.objects.create(
        url="https://example.org/manual",
        kind=Capture.Kind.MANUAL,
        state=Capture.State.SUCCEEDED,
        fetch_started_at=timezone.now(),
        title=f"{SECRET} manual",
    )
    return {
        "published": published,
        "withdrawn": withdrawn,
        "cited": cited,
        "hidden": hidden,
        "secret_party": secret_party,
        "secret_topic": secret_topic,
        "hidden_sources": hidden_sources,
        "hidden_captures": [*hidden_captures, failed, sourceless],
    }


# What the API shows


def test_claim_list_shows_public_claims_with_their_verdicts(world, client):
    body = client.get(CLAIMS).json()

    published = world["published"]
    assert body["count"] == 2
    assert [claim["slug"] for claim in body["results"]] == [
        world["withdrawn"].slug,
        published.slug,
    ]
    claim = body["results"][1]
    assert claim["statement"] == "Pokrowsk ist gefallen."
    assert claim["status"] == "published"
    assert claim["language"] == "de"
    assert claim["claimant"]["name"] == published.claimant.name
    assert [topic["name"] for topic in claim["topics"]] == ["Krieg"]
    assert claim["verdict"]["slug"] == "unproven"
    assert claim["verdict"]["label_en"] == "Unproven / still disputed"
    assert claim["verdict"]["colour"] == "#5f6b7a"
    assert claim["verdict"]["rating_value"] == 3
    assert claim["verdict"]["best_rating"] == 5
    assert claim["first_made_on"] == "2025-12-01"
    assert claim["first_appearance_url"] == "https://t.me/example/1"
    assert claim["url"] == f"http://testserver{published.get_absolute_url()}"
    assert "sources" not in claim
    assert body["results"][0]["first_appearance_url"] is None


def test_claim_detail_shows_sources_archived_copies_and_verdict_history(
    world, client, reviewer, rating
):
    claim = world["published"]
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="Satellitenbilder."
    )
    capture = world["cited"].cited_capture

    response = client.get(reverse("api:claim-detail", kwargs={"slug": claim.slug}))

    body = response.json()
    assert body["verdict"]["slug"] == "false"
    [source] = body["sources"]
    assert source["title"] == "ISW map"
    assert source["quote"] == "Not taken."
    assert source["stance"] == "asserts"
    assert source["publisher"] == "Example News"
    assert source["published_on"] == "2025-12-01"
    assert source["party"]["name"] == world["cited"].party.name
    assert source["live_status"] == "unchecked"
    assert source["archived_copy"]["id"] == capture.pk
    assert source["archived_copy"]["url"] == (
        f"http://testserver{capture.get_absolute_url()}"
    )
    assert [
        (change["previous_verdict"], change["verdict"], change["note"])
        for change in body["verdict_history"]
    ] == [
        (None, "unproven", "Erste Einschätzung."),
        ("unproven", "false", "Satellitenbilder."),
    ]
    assert body["verdict_history"][1]["reviewer"] == "Rita Review"


def test_answers_do_not_depend_on_the_readers_language(world, client):
    for params in ({}, {"verdict": "nonsense"}):
        german = client.get(CLAIMS, params, HTTP_ACCEPT_LANGUAGE="de")
        assert german.json() == client.get(CLAIMS, params).json()
    assert "/de/" not in german.content.decode()


def test_source_without_archived_copy_says_so(world, client):
    response = client.get(
        reverse("api:claim-detail", kwargs={"slug": world["withdrawn"].slug})
    )

    body = response.json()
    assert body["status"] == "withdrawn"
    [source] = body["sources"]
    assert source["archived_copy"] is None
    assert source["url"] == "https://bücher.example/ä?q=ü"


def test_capture_text_is_in_the_detail_only(world, client):
    capture = world["cited"].cited_capture

    listed = results(client.get(CAPTURES))
    detail = client.get(reverse("api:capture-detail", kwargs={"pk": capture.pk}))

    assert [item["id"] for item in listed] == [capture.pk]
    assert "text" not in listed[0]
    assert listed[0]["claim"] == world["published"].slug
    assert listed[0]["payload_sha256"] == "a" * 64
    body = detail.json()
    assert body["text"] == "The archived text of ISW map."
    assert body["redirect_chain"] == [
        {"url": "http://x.example/", "status": 301, "location": capture.url}
    ]
    assert body["ip_address"] == "192.0.2.10"
    assert body["warc_url"] == f"http://testserver/archive/{capture.pk}/warc/"


def test_sources_list_names_the_claim_and_filters_by_it(world, client):
    every = results(client.get(SOURCES))
    of_published = results(client.get(SOURCES, {"claim": world["published"].slug}))

    assert {source["claim"] for source in every} == {
        world["published"].slug,
        world["withdrawn"].slug,
    }
    assert [source["id"] for source in of_published] == [world["cited"].pk]


def test_captures_filter_by_source(world, client):
    cited = world["cited"]

    found = results(client.get(CAPTURES, {"source": cited.pk}))

    assert [capture["id"] for capture in found] == [cited.cited_capture_id]


def test_ratings_list_the_whole_scale_in_order(db, client):
    ratings = results(client.get(RATINGS))

    assert [rating["slug"] for rating in ratings] == [
        "true",
        "mostly-true",
        "mixed",
        "unproven",
        "mostly-false",
        "false",
    ]
    assert ratings[0]["label_de"] == "Richtig"
    assert ratings[0]["rating_value"] == 5


def test_parties_are_the_claimants_and_cited_parties_of_public_claims(world, client):
    names = {party["name"] for party in results(client.get(PARTIES))}

    assert names == {
        world["published"].claimant.name,
        world["withdrawn"].claimant.name,
        world["cited"].party.name,
        world["withdrawn"].sources.get().party.name,
    }


# Drafts never leak


def test_draft_claims_never_appear_in_the_api(world, client):
    """Drafts and claims in review, their sources, parties, topics and archived
    copies: in no list, in no nested object, not at their own URLs."""
    listed = [item for path in LISTS for item in everything(client, path)]
    details = [
        client.get(item["api_url"]).json() for item in listed if "api_url" in item
    ]

    assert len(details) > 5
    assert SECRET not in json.dumps(listed + details)
    hidden_urls = [
        reverse("api:party-detail", kwargs={"slug": world["secret_party"].slug}),
        reverse("api:topic-detail", kwargs={"slug": world["secret_topic"].slug}),
        *(
            reverse("api:claim-detail", kwargs={"slug": claim.slug})
            for claim in world["hidden"]
        ),
        *(
            reverse("api:source-detail", kwargs={"pk": source.pk})
            for source in world["hidden_sources"]
        ),
        *(
            reverse("api:capture-detail", kwargs={"pk": capture.pk})
            for capture in world["hidden_captures"]
        ),
    ]
    for url in hidden_urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert SECRET not in response.content.decode()


def test_filters_cannot_tell_hidden_objects_from_unknown_ones(world, client):
    """Naming a hidden claim, party, topic or source in a filter gets the very
    answer that a made-up one gets."""
    # The party filter is free text: a hidden party finds nothing, like a
    # made-up one.
    hidden_party = client.get(CLAIMS, {"party": world["secret_party"].slug})
    made_up_party = client.get(CLAIMS, {"party": "no-such-party"})
    assert hidden_party.status_code == made_up_party.status_code == 200
    assert hidden_party.json()["results"] == made_up_party.json()["results"] == []
    filters = [
        (CLAIMS, "topic", world["secret_topic"].slug, "no-such-topic"),
        (SOURCES, "claim", world["hidden"][0].slug, "no-such-claim"),
        (CAPTURES, "source", world["hidden_sources"][0].pk, 999_999_999),
    ]
    for path, name, hidden, unknown in filters:
        answer = client.get(path, {name: hidden})
        assert answer.status_code == 400
        assert answer.json() == client.get(path, {name: unknown}).json()
        assert list(answer.json()) == [name]


# Filters: the HTML list's, with the same results


@pytest.fixture
def catalogue(make_claim):
    """Four published claims that differ in every filterable way."""
    russia = Party.objects.create(name="Russland", slug="russland", kind="person")
    ukraine = Party.objects.create(name="Ukraine", slug="ukraine", kind="person")
    war = Topic.objects.create(name="Krieg", slug="krieg")
    nato = Topic.objects.create(name="Nato", slug="nato")
    claims = {
        "pokrowsk": make_claim(
            statement="Pokrowsk ist gefallen.",
            status=Status.PUBLISHED,
            claimant=russia,
            rating="unproven",
            topics=[war],
            language="de",
            first_made_on=datetime.date(2025, 12, 1),
        ),
        "rubio": make_claim(
            statement="Rubio skips the NATO meeting.",
            status=Status.PUBLISHED,
            rating="true",
            topics=[nato],
            language="en",
            first_made_on=datetime.date(2025, 12, 2),
        ),
        "trump": make_claim(
            statement="The war ends in a day.",
            status=Status.UPDATED,
            rating="false",
            language="en",
            first_made_on=datetime.date(2024, 5, 1),
        ),
        "withdrawn": make_claim(
            statement="Putin kam zu spät.",
            status=Status.WITHDRAWN,
            rating="mostly-true",
            language="de",
            first_made_on=datetime.date(2025, 12, 2),
        ),
    }
    add_source(claims["pokrowsk"], stance=Source.Stance.DISPUTES, party=ukraine)
    add_source(
        claims["rubio"], quote="völlig unrealistisch", publisher="State Department"
    )
    return claims


FILTERS = [
    ({}, {"pokrowsk", "rubio", "trump", "withdrawn"}),
    ({"verdict": "unproven"}, {"pokrowsk"}),
    ({"verdict": "false"}, {"trump"}),
    ({"status": "updated"}, {"trump"}),
    ({"status": "withdrawn"}, {"withdrawn"}),
    ({"topic": "nato"}, {"rubio"}),
    ({"party": "russland"}, {"pokrowsk"}),  # the claimant
    ({"party": "ukraine"}, {"pokrowsk"}),  # a source speaks for it
    ({"language": "en"}, {"rubio", "trump"}),
    ({"language": "de"}, {"pokrowsk", "withdrawn"}),
    ({"made_after": "2025-12-02"}, {"rubio", "withdrawn"}),
    ({"made_before": "2025-01-01"}, {"trump"}),
    ({"made_after": "2025-12-01", "made_before": "2025-12-01"}, {"pokrowsk"}),
    ({"q": "pokrowsk"}, {"pokrowsk"}),
    ({"q": "UNREALISTISCH"}, {"rubio"}),
    ({"q": "State Department"}, {"rubio"}),
    ({"q": "Russland"}, {"pokrowsk"}),
    ({"verdict": "true", "language": "de"}, set()),
]


def test_every_filter_of_the_html_list_gives_the_same_claims(
    catalogue, client, subtests
):
    for params, expected in FILTERS:
        with subtests.test(**params):
            found = slugs(client.get(CLAIMS, params))
            html = client.get(reverse("claims:claim_list"), params)

            assert found == {catalogue[name].slug for name in expected}
            assert found == {claim.slug for claim in html.context["object_list"]}


# Pagination and bad input


def test_lists_are_paginated(make_claim, client, monkeypatch):
    monkeypatch.setattr(PageNumbers, "page_size", 2)
    claims = [make_claim(status=Status.PUBLISHED) for _ in range(5)]

    first = client.get(CLAIMS).json()
    second = client.get(first["next"]).json()
    last = client.get(second["next"]).json()

    assert first["count"] == 5
    assert first["previous"] is None
    assert first["next"] == "http://testserver/api/claims/?page=2"
    assert [claim["slug"] for claim in first["results"]] == [
        claims[4].slug,
        claims[3].slug,
    ]
    assert [claim["slug"] for claim in last["results"]] == [claims[0].slug]
    assert last["next"] is None
    assert last["previous"] == "http://testserver/api/claims/?page=2"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"verdict": "nonsense"}, "verdict"),
        ({"status": "draft"}, "status"),
        ({"topic": "no-such-topic"}, "topic"),
        ({"language": "xx"}, "language"),
        ({"made_after": "yesterday"}, "made"),
        ({"made_before": "2025-02-30"}, "made"),
        ({"made_after": "2025-12-01\x00"}, "made"),
        ({"made_after": "12/03/2025"}, "made"),
        ({"made_before": "Dec 3 2025"}, "made"),
        ({"q": "x" * 10_000}, "q"),
        ({"q": "Pokrowsk\x00"}, "q"),
        ({"party": "nul\x00"}, "party"),
        ({"page": "999999"}, "page"),
        ({"page": "2"}, "page"),
        ({"page": "0"}, "page"),
        ({"page": "-1"}, "page"),
        ({"page": "abc"}, "page"),
        ({"page": "1e9"}, "page"),
        ({"page": "last"}, "page"),
        ({"page": "9" * 100}, "page"),
        ({"verdict": ["false", "true"]}, "verdict"),
        ({"page": ["1", "1"]}, "page"),
    ],
)
def test_bad_input_gets_a_400_naming_the_parameter(make_claim, client, params, field):
    make_claim(status=Status.PUBLISHED)

    response = client.get(CLAIMS, params)

    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert all(isinstance(message, str) for message in response.json()[field])


def test_too_many_query_parameters_get_a_json_400(db, client):
    query = "&".join(f"p{number}=1" for number in range(1001))

    response = client.get(f"{CLAIMS}?{query}")

    assert response.status_code == 400
    assert response.json() == {"query": ["More than 1000 query parameters."]}
    page = client.get(f"/?{query}")  # the site keeps its HTML page
    assert (page.status_code, page["Content-Type"]) == (400, "text/html; charset=utf-8")


def test_odd_but_harmless_input_gets_a_normal_page(catalogue, client, subtests):
    for params in [
        {"q": "'\"&|!:*()<>\\%_"},
        {"q": 'Pokrowsk OR -"the war" &'},
        {"q": "x" * 200},
        {"q": "  "},
        {"q": "Покровськ"},
        {"page": "1"},
        {"page": ""},
        {"verdict": ""},
        {"made_after": ""},
        {"unknown": "parameter"},
        {"format": "csv"},
        {"format": "json"},
    ]:
        with subtests.test(**params):
            assert isinstance(results(client.get(CLAIMS, params)), list)


def test_a_parameter_no_list_reads_may_come_twice(world, client, subtests):
    """Unknown parameters are ignored (docs/api.md), repeated ones too: a
    tracking tag given twice got 400 {"utm_source": ["Give this parameter
    once."]} on every list."""
    for path in LISTS:
        with subtests.test(path=path):
            response = client.get(path, {"utm_source": ["feed", "mail"]})
            assert response.status_code == 200, response.content
    made_twice = client.get(CLAIMS, {"made_after": ["2025-01-01", "2025-12-01"]})
    assert made_twice.json() == {"made_after": ["Give this parameter once."]}


def test_a_page_beyond_the_last_is_a_400_on_every_list(world, client):
    for path in LISTS:
        response = client.get(path, {"page": "999999"})
        assert response.status_code == 400, path
        assert response.json() == {
            "page": ["Invalid page: That page contains no results."]
        }


@pytest.mark.parametrize(
    "path",
    [
        "/api/claims/no-such-claim/",
        "/api/captures/abc/",
        "/api/captures/99999999999999999999999/",
        "/api/sources/-1/",
        "/api/claims/a.b/",
        "/api/claims/%00/",
        "/api/parties/nul%00/",
        "/api/ratings/new%0Aline/",
        "/api/no-such-endpoint/",
    ],
)
def test_unknown_urls_get_a_json_404(db, client, path):
    response = client.get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


def test_api_root_lists_the_endpoints(db, client):
    assert client.get("/api/").json() == {
        name: f"http://testserver/api/{name}/"
        for name in ("claims", "parties", "topics", "sources", "captures", "ratings")
    }


def test_api_is_read_only(world, client):
    claim = reverse("api:claim-detail", kwargs={"slug": world["published"].slug})
    for url in (CLAIMS, claim):
        for method in ("post", "put", "patch", "delete"):
            response = getattr(client, method)(url, {}, content_type="application/json")
            assert response.status_code == 405, (method, url)
        assert client.head(url).status_code == 200
        assert client.options(url).status_code == 200


# Query counts: constant however many claims, sources and captures there are.

LIST_QUERIES = {
    CLAIMS: 4,  # count, claims, their topics; the topic ids in use
    SOURCES: 2,  # count, sources with parties and archived copies
    CAPTURES: 2,  # count, captures
    PARTIES: 3,  # the ids in use, count, parties
    TOPICS: 3,  # the ids in use, count, topics
    RATINGS: 2,
}


def test_list_query_counts_stay_constant_as_data_grows(
    make_claim, make_topic, client, django_assert_num_queries, subtests
):
    topic = make_topic("Krieg")
    for size in (1, 30):
        while Claim.objects.count() < size:
            claim = make_claim(status=Status.PUBLISHED, sources=3, topics=[topic])
            for source in claim.sources.all():
                archive(source)
        for path, queries in LIST_QUERIES.items():
            with subtests.test(path=path, claims=size):
                with django_assert_num_queries(queries):
                    response = client.get(path)
                assert results(response)


def test_claim_detail_query_count_stays_constant(
    make_claim, client, django_assert_num_queries
):
    one = make_claim(status=Status.PUBLISHED, sources=1)
    thirty = make_claim(status=Status.PUBLISHED, sources=30)
    for source in thirty.sources.all():
        archive(source)

    # the claim, its topics, its sources with parties and copies, its history
    with django_assert_num_queries(4):
        client.get(reverse("api:claim-detail", kwargs={"slug": one.slug}))
    with django_assert_num_queries(4):
        response = client.get(reverse("api:claim-detail", kwargs={"slug": thirty.slug}))
    assert len(response.json()["sources"]) == 30


# The schema, and schema-driven checks against it


def test_schema_is_served_at_a_stable_url_and_validates(db, client, tmp_path):
    response = client.get("/api/schema/")

    schema = response.json()
    assert response.status_code == 200
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/claims/",
        "/api/claims/{slug}/",
        "/api/parties/",
        "/api/parties/{slug}/",
        "/api/topics/",
        "/api/topics/{slug}/",
        "/api/sources/",
        "/api/sources/{id}/",
        "/api/captures/",
        "/api/captures/{id}/",
        "/api/ratings/",
        "/api/ratings/{slug}/",
    }
    # Any warning of the schema generator fails the test.
    call_command(
        "spectacular", validate=True, fail_on_warn=True, file=tmp_path / "schema.yml"
    )


@pytest.fixture
def connection_kept():
    """Keep the connection open across requests, as Django's test client does:
    it holds the test's transaction, and with it the data."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


api = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@api.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_keeps_to_its_schema(case, world, connection_kept):
    """Generated requests, valid and invalid, to every operation: no 5xx, every
    status code, header and body as the schema says, invalid input rejected.

    Not checked: that every value the schema allows is accepted. Slugs are
    plain strings to the schema, and an unknown one is a 400 by design.
    """
    case.call_and_validate(excluded_checks=[positive_data_acceptance])


def test_every_public_object_matches_the_schema(world, connection_kept):
    """Generated requests rarely name real objects, so ask for each one."""
    published, cited = world["published"], world["cited"]
    calls = [
        *(
            ("/api/claims/{slug}/", {"slug": claim.slug}, {})
            for claim in Claim.objects.public()
        ),
        ("/api/parties/{slug}/", {"slug": cited.party.slug}, {}),
        ("/api/topics/{slug}/", {"slug": published.topics.get().slug}, {}),
        ("/api/sources/{id}/", {"id": cited.pk}, {}),
        ("/api/captures/{id}/", {"id": cited.cited_capture_id}, {}),
        ("/api/ratings/{slug}/", {"slug": "mostly-false"}, {}),
        ("/api/claims/", {}, {"party": cited.party.slug, "verdict": "unproven"}),
        ("/api/sources/", {}, {"claim": published.slug}),
        ("/api/captures/", {}, {"source": cited.pk}),
    ]
    for path, path_parameters, query in calls:
        case = api[path]["GET"].Case(path_parameters=path_parameters, query=query)
        response = case.call_and_validate()
        assert response.status_code == 200, path
