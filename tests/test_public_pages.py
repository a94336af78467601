"""The public claim list and claim page: visibility, filters, escaping, query counts."""

import datetime

import pytest
from django.urls import reverse

from claims.models import Claim, Source
from tests.conftest import add_source

Status = Claim.Status
LIST = reverse("claims:claim_list")


def listed_slugs(response):
    return [claim.slug for claim in response.context["object_list"]]


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_draft_is_404_for_public(make_claim, anonymous_client, status):
    claim = make_claim(status=status)

    response = anonymous_client.get(claim.get_absolute_url())

    assert response.status_code == 404
    assert claim.slug not in listed_slugs(anonymous_client.get(LIST))


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_draft_is_404_even_for_staff_on_public_pages(
    make_claim, reviewer_client, status
):
    claim = make_claim(status=status)
    assert reviewer_client.get(claim.get_absolute_url()).status_code == 404


def test_list_shows_published_claims_newest_verdict_first(
    make_claim, anonymous_client, reviewer, rating
):
    from claims import services

    older = make_claim(status=Status.PUBLISHED)
    newer = make_claim(status=Status.UPDATED)
    make_claim(status=Status.DRAFT)
    assert listed_slugs(anonymous_client.get(LIST)) == [newer.slug, older.slug]

    services.set_verdict(
        claim=older, reviewer=reviewer, rating=rating("false"), note="n"
    )

    assert listed_slugs(anonymous_client.get(LIST)) == [older.slug, newer.slug]


def test_claim_page_shows_statement_claimant_verdict_and_sources_by_stance(
    make_claim, make_party, anonymous_client
):
    claimant = make_party("Russischer Generalstab")
    claim = make_claim(
        statement="Russische Truppen haben Pokrowsk eingenommen.",
        status=Status.PUBLISHED,
        claimant=claimant,
        summary="Die Ukraine und das ISW bestreiten das.",
    )
    add_source(claim, stance=Source.Stance.DISPUTES, publisher="ISW", title="ISW map")
    add_source(claim, stance=Source.Stance.ASSERTS, publisher="Kreml", title="Peskow")

    response = anonymous_client.get(claim.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert "Russische Truppen haben Pokrowsk eingenommen." in html
    assert "Russischer Generalstab" in html
    assert "Unproven / still disputed" in html
    assert 'class="badge badge--unproven badge--large"' in html
    assert "Die Ukraine und das ISW bestreiten das." in html
    assert html.index("Asserts") < html.index("Peskow") < html.index("Disputes")
    assert html.index("Disputes") < html.index("ISW map")
    assert "Archived copy" in html


def test_claim_page_shows_the_verdict_timeline(
    make_claim, anonymous_client, reviewer, rating
):
    from claims import services

    claim = make_claim(status=Status.PUBLISHED, rating="unproven")
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="Satellitenbilder."
    )

    html = anonymous_client.get(claim.get_absolute_url()).content.decode()

    timeline = html[html.index('class="timeline"') :]
    assert timeline.index("Erste Einschätzung.") < timeline.index("Satellitenbilder.")
    assert "Reviewed by Rita Review" in timeline
    assert timeline.count('class="timeline__item"') == 2


def test_claim_page_shows_the_verdict_as_of_a_date(
    make_claim, anonymous_client, rating
):
    from claims.models import VerdictChange

    claim = make_claim(status=Status.PUBLISHED, rating="unproven")
    VerdictChange.objects.filter(claim=claim).update(
        changed_at=datetime.datetime(2025, 12, 2, 18, tzinfo=datetime.UTC)
    )

    before = anonymous_client.get(claim.get_absolute_url(), {"as_of": "2025-12-01"})
    after = anonymous_client.get(claim.get_absolute_url(), {"as_of": "2025-12-03"})
    malformed = anonymous_client.get(claim.get_absolute_url(), {"as_of": "2025-13-45"})

    assert before.context["rating_as_of"] is None
    assert after.context["rating_as_of"] == rating("unproven")
    assert malformed.status_code == 200
    assert "rating_as_of" not in malformed.context
    assert "Enter a valid date." in malformed.content.decode()


def test_withdrawn_claim_stays_readable_with_a_notice(make_claim, anonymous_client):
    claim = make_claim(status=Status.WITHDRAWN)

    response = anonymous_client.get(claim.get_absolute_url())

    assert response.status_code == 200
    assert "has been withdrawn" in response.content.decode()


def test_html_in_text_fields_is_escaped(make_claim, make_party, anonymous_client):
    party = make_party("<b>Bold party</b>")
    claim = make_claim(
        statement='<script>alert("statement")</script>',
        summary="<img src=x onerror=alert(1)>",
        status=Status.PUBLISHED,
        claimant=party,
    )
    add_source(
        claim, title="<i>title</i>", quote="<script>quote()</script>", party=party
    )

    detail = anonymous_client.get(claim.get_absolute_url()).content.decode()
    listing = anonymous_client.get(LIST).content.decode()

    for html in (detail, listing):
        assert "<script>alert" not in html
        assert "<b>Bold party</b>" not in html
        assert "&lt;b&gt;Bold party&lt;/b&gt;" in html
    assert "&lt;script&gt;alert(&quot;statement&quot;)&lt;/script&gt;" in detail
    assert "<img src=x" not in detail
    assert "&lt;script&gt;quote()&lt;/script&gt;" in detail


def test_public_has_no_write_endpoint(make_claim, anonymous_client):
    claim = make_claim(status=Status.PUBLISHED)
    for url in (LIST, claim.get_absolute_url()):
        for method in ("post", "put", "patch", "delete"):
            assert getattr(anonymous_client, method)(url).status_code == 405


# Filters


@pytest.fixture
def catalogue(make_claim, make_party, make_topic):
    """Four published claims that differ in every filterable way."""
    russia, ukraine = make_party("Russland"), make_party("Ukraine")
    war, nato = make_topic("Krieg"), make_topic("Nato")
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


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"verdict": "unproven"}, {"pokrowsk"}),
        ({"verdict": "false"}, {"trump"}),
        ({"status": "updated"}, {"trump"}),
        ({"status": "withdrawn"}, {"withdrawn"}),
        ({"topic": "NATO-TOPIC"}, {"rubio"}),
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
    ],
)
def test_every_filter(catalogue, anonymous_client, params, expected):
    if params.get("topic") == "NATO-TOPIC":
        params = {"topic": catalogue["rubio"].topics.get().slug}

    response = anonymous_client.get(LIST, params)

    assert response.status_code == 200
    slugs = set(listed_slugs(response))
    assert slugs == {catalogue[name].slug for name in expected}


def test_party_filter_matches_claimant_and_cited_parties(catalogue, anonymous_client):
    russia = catalogue["pokrowsk"].claimant
    ukraine = catalogue["pokrowsk"].sources.get().party

    by_claimant = set(listed_slugs(anonymous_client.get(LIST, {"party": russia.slug})))
    by_source = set(listed_slugs(anonymous_client.get(LIST, {"party": ukraine.slug})))
    by_name = set(listed_slugs(anonymous_client.get(LIST, {"party": "RUSSL"})))
    assert by_name == {catalogue["pokrowsk"].slug}

    assert by_claimant == by_source == {catalogue["pokrowsk"].slug}


def test_language_filter_offers_only_languages_in_use(catalogue, anonymous_client):
    form = anonymous_client.get(LIST).context["filter"].form
    offered = [code for code, _ in form.fields["language"].choices if code]
    assert offered == ["en", "de"]  # by name: English, German


@pytest.mark.parametrize(
    "params",
    [
        {"verdict": "nonsense"},
        {"status": "draft"},
        {"party": "no-such-party"},
        {"language": "xx"},
        {"made_after": "yesterday"},
        {"made_before": "2025-02-30"},
        {"q": "x" * 10_000},
        {"q": "'\"&|!:*()<>\\%_"},
        {"page": "999999"},
        {"page": "-1"},
        {"page": "last"},
        {"page": "1e9"},
    ],
)
def test_bad_filter_input_gets_a_normal_page(catalogue, anonymous_client, params):
    response = anonymous_client.get(LIST, params)

    assert response.status_code == 200
    assert response.context["paginator"] is not None


def test_unknown_filter_value_is_reported_and_ignored(catalogue, anonymous_client):
    response = anonymous_client.get(LIST, {"verdict": "nonsense", "language": "en"})

    html = response.content.decode()
    assert "Some filters were not understood" in html
    assert set(listed_slugs(response)) == {
        catalogue["rubio"].slug,
        catalogue["trump"].slug,
    }


def test_draft_status_filter_does_not_reveal_drafts(make_claim, anonymous_client):
    draft = make_claim(status=Status.DRAFT)
    response = anonymous_client.get(LIST, {"status": "draft"})
    assert draft.slug not in listed_slugs(response)


def test_list_is_paginated_and_absurd_pages_clamp(make_claim, anonymous_client):
    for _ in range(23):
        make_claim(status=Status.PUBLISHED)

    first = anonymous_client.get(LIST)
    last = anonymous_client.get(LIST, {"page": "999999"})

    assert len(first.context["object_list"]) == 20
    assert first.context["paginator"].num_pages == 2
    assert last.context["page_obj"].number == 2
    assert len(last.context["object_list"]) == 3
    assert "Page 2 of 2" in last.content.decode()


# Query counts: constant however many sources and claims there are.


def test_claim_page_query_count_is_constant(
    make_claim, anonymous_client, django_assert_num_queries
):
    one = make_claim(status=Status.PUBLISHED, sources=1)
    thirty = make_claim(status=Status.PUBLISHED, sources=30)

    with django_assert_num_queries(4):
        anonymous_client.get(one.get_absolute_url())
    with django_assert_num_queries(4):
        response = anonymous_client.get(thirty.get_absolute_url())
    assert response.content.decode().count('class="source source--') == 30


def test_claim_list_query_count_is_constant(
    make_claim, make_topic, anonymous_client, django_assert_num_queries
):
    topic = make_topic("Krieg")
    make_claim(status=Status.PUBLISHED, sources=1, topics=[topic])
    # count, page, topics, the filter form's choice lists (ratings; topics: the
    # ids in use then the rows), the languages in use, and the two charts
    # (ratings, counts, months). With the public cache on, the choice lists and
    # charts are computed once per change instead.
    with django_assert_num_queries(10):
        anonymous_client.get(LIST)

    for _ in range(30):
        make_claim(status=Status.PUBLISHED, sources=30, topics=[topic])
    with django_assert_num_queries(10):
        response = anonymous_client.get(LIST)
    assert len(response.context["object_list"]) == 20


def test_filter_choices_never_name_what_only_drafts_mention(
    make_claim, make_party, make_topic, anonymous_client
):
    secret_party = make_party("GEHEIM Partei")
    secret_topic = make_topic("GEHEIM Thema")
    draft = make_claim(claimant=secret_party, topics=[secret_topic], language="uk")
    add_source(draft, party=make_party("GEHEIM Quelle"))
    make_claim(status=Status.PUBLISHED, language="de")

    html = anonymous_client.get(LIST).content.decode()

    assert "GEHEIM" not in html
    assert "Ukrainian" not in html
    by_draft_party = anonymous_client.get(LIST, {"party": secret_party.slug})
    by_made_up_party = anonymous_client.get(LIST, {"party": "nobody-at-all"})
    assert listed_slugs(by_draft_party) == listed_slugs(by_made_up_party) == []
