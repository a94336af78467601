"""The public claim list and claim page: visibility, filters, escaping, query counts."""

import datetime
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import reverse

from claims import services
from claims.models import Capture, Claim, Rating, Source
from tests.capture_servers import Server, respond
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
    add_source(
        claim,
        stance=Source.Stance.DISPUTES,
        publisher="ISW",
        title="ISW map",
        published_on=datetime.date(2025, 12, 3),
    )
    add_source(
        claim,
        stance=Source.Stance.ASSERTS,
        publisher="Kreml",
        title="Peskow",
        published_on=datetime.date(2025, 11, 30),
    )
    add_source(claim, stance=Source.Stance.CONTEXT, publisher="", published_on=None)

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
    assert re.findall(r'<p class="source__meta">(.*?)</p>', html) == [
        "Kreml · Nov. 30, 2025",
        "ISW · Dec. 3, 2025",
        "Publisher unknown",
    ]


def test_a_reviewer_without_a_full_name_is_not_shown_by_login(
    make_claim, anonymous_client
):
    claim = make_claim(status=Status.PUBLISHED)  # by "workflow-robot", no name

    html = anonymous_client.get(claim.get_absolute_url()).content.decode()
    api = anonymous_client.get(f"/api/claims/{claim.slug}/").json()

    assert "workflow-robot" not in html
    assert "Reviewed by a member of the desk" in html
    assert api["verdict_history"][0]["reviewer"] == "a member of the desk"


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
    changes = [
        " ".join(change.split())
        for change in re.findall(
            r'<p class="timeline__change">(.*?)</p>', timeline, re.DOTALL
        )
    ]
    assert changes == [
        '<span class="badge badge--unproven">Unproven / still disputed</span>',
        '<span class="badge badge--unproven">Unproven / still disputed</span> → '
        '<span class="badge badge--false">False</span>',
    ]


def test_claim_page_shows_the_verdict_as_of_a_date(
    make_claim, anonymous_client, rating
):
    from claims.models import VerdictChange

    claim = make_claim(status=Status.PUBLISHED, rating="unproven")
    published = datetime.datetime(2025, 12, 2, 18, tzinfo=datetime.UTC)
    VerdictChange.objects.filter(claim=claim).update(
        changed_at=published, published_at=published
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


def test_html_in_text_fields_is_escaped(
    make_claim, make_party, make_topic, anonymous_client, reviewer, rating
):
    party = make_party("<b>Bold party</b>")
    Rating.objects.filter(slug="false").update(label_en="<u>Rating label</u>")
    claim = make_claim(
        statement='<script>alert("statement")</script>',
        summary="<img src=x onerror=alert(1)>",
        status=Status.PUBLISHED,
        claimant=party,
        topics=[make_topic("<s>Topic</s>")],
    )
    services.set_verdict(
        claim=claim,
        reviewer=reviewer,
        rating=rating("false"),
        note="<script>note()</script>",
    )
    add_source(
        claim,
        title="<i>title</i>",
        quote="<script>quote()</script>",
        publisher="<em>Publisher</em>",
        party=party,
    )

    detail = anonymous_client.get(claim.get_absolute_url()).content.decode()
    listing = anonymous_client.get(LIST).content.decode()

    for html in (detail, listing):
        assert "<script>alert" not in html
        for raw in ("<b>Bold party</b>", "<s>Topic</s>", "<u>Rating label</u>"):
            assert raw not in html
        assert "&lt;b&gt;Bold party&lt;/b&gt;" in html
        assert "&lt;s&gt;Topic&lt;/s&gt;" in html
        assert "&lt;u&gt;Rating label&lt;/u&gt;" in html
    assert "&lt;script&gt;alert(&quot;statement&quot;)&lt;/script&gt;" in detail
    assert "<img src=x" not in detail
    assert "&lt;script&gt;quote()&lt;/script&gt;" in detail
    assert "<script>note()" not in detail
    assert "&lt;script&gt;note()&lt;/script&gt;" in detail
    assert "<em>Publisher</em>" not in detail
    assert "&lt;em&gt;Publisher&lt;/em&gt;" in detail


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
        (
            {"made_after": "2025-12-01", "made_before": "2024-05-01"},
            {"pokrowsk", "trump"},
        ),
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


def test_a_nul_in_the_filters_is_dropped_not_shown_back(catalogue, anonymous_client):
    """Invisible, and invalid in HTML: the search box showed it back with
    "Null characters are not allowed"."""
    params = {"q": "Pokrowsk\x00", "party": "Russ\x00l", "made_after": "2025\x00-12-01"}

    response = anonymous_client.get(LIST, params)

    html = response.content.decode()
    assert "\x00" not in html
    assert 'value="Pokrowsk"' in html
    assert "Some filters were not understood" not in html
    assert listed_slugs(response) == [catalogue["pokrowsk"].slug]


def test_an_empty_list_says_why_and_what_to_try(catalogue, anonymous_client):
    """It said "match these filters" for a search with none, and offered no
    way out."""
    filtered = anonymous_client.get(LIST, {"q": "Pokrowsk", "verdict": "true"})
    searched = anonymous_client.get(LIST, {"q": "Xylophonorchester"})
    german = anonymous_client.get(f"/de{LIST}", {"q": "Xylophonorchester"})

    html = filtered.content.decode()
    [clear] = re.findall(r'<a href="([^"]*)">Clear the filters</a>', html)
    assert "No published claims match these filters." in html
    assert clear == "?q=Pokrowsk"
    assert listed_slugs(anonymous_client.get(LIST + clear)) == [
        catalogue["pokrowsk"].slug
    ]
    assert "No published claim matches this search. Check the spelling" in (
        searched.content.decode()
    )
    assert "Keine veröffentlichte Behauptung passt zu dieser Suche." in german.text


def test_an_empty_catalogue_says_nothing_is_published_yet(db, anonymous_client):
    html = anonymous_client.get(LIST).content.decode()

    assert "No claims are published yet." in html
    assert "match" not in html


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
    make_claim,
    make_topic,
    anonymous_client,
    reviewer,
    rating,
    django_assert_num_queries,
):
    topics = [make_topic(f"Thema {number}") for number in range(5)]
    small = make_claim(status=Status.PUBLISHED, sources=1, topics=topics[:1])
    large = make_claim(status=Status.PUBLISHED, sources=30, topics=topics)
    for number in range(9):
        verdict = rating("false" if number % 2 else "mostly-false")
        services.set_verdict(
            claim=large, reviewer=reviewer, rating=verdict, note=f"Stand {number}"
        )

    with django_assert_num_queries(4):
        anonymous_client.get(small.get_absolute_url())
    with django_assert_num_queries(4):
        response = anonymous_client.get(large.get_absolute_url())
    html = response.content.decode()
    assert html.count('class="source source--') == 30
    assert html.count('class="timeline__item"') == 10
    assert html.count('class="tag"') == 5


def test_claim_list_query_count_is_constant(
    make_claim, make_topic, anonymous_client, django_assert_num_queries
):
    topic = make_topic("Krieg")
    make_claim(status=Status.PUBLISHED, sources=1, topics=[topic])
    # count, page, topics, the filter form's choice lists (ratings; topics: the
    # ids in use then the rows), the languages in use, and the two charts
    # (ratings, counts, newest verdict, months). With the public cache on, the
    # count, choice lists and charts are computed once per change instead.
    with django_assert_num_queries(11):
        anonymous_client.get(LIST)

    # More claims than a page holds, with several sources each (the claim
    # page's 30 sources are locked in test_query_counts).
    for _ in range(30):
        make_claim(status=Status.PUBLISHED, sources=4, topics=[topic])
    with django_assert_num_queries(11):
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


# No CDN: every asset a public page loads comes from the site itself.

URL_ATTRIBUTES = {"src", "href", "action", "srcset", "poster", "data", "formaction"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)|@import\s+['"]([^'"]+)""")


class PageLinks(HTMLParser):
    """The URLs in a page's attributes, as (tag, attribute, url, rel), and the
    URLs its inline CSS refers to."""

    def __init__(self):
        super().__init__()
        self.links, self.css_urls, self.in_style = [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.in_style = tag == "style"
        for name in URL_ATTRIBUTES & set(attrs):
            self.links.append((tag, name, attrs[name], attrs.get("rel") or ""))
        self.css_urls += css_urls(attrs.get("style") or "")

    def handle_data(self, data):
        if self.in_style:
            self.css_urls += css_urls(data)


def css_urls(css):
    return [url or imported for url, imported in CSS_URL.findall(css)]


def is_same_origin(url):
    parts = urlsplit(url)
    if not parts.scheme and not parts.netloc:
        return True
    allowed = {settings.SITE_URL.rstrip("/"), settings.ARCHIVE_PLAYBACK_ORIGIN}
    return f"{parts.scheme}://{parts.netloc}" in allowed - {""}


def foreign_urls(client, url):
    """What the page at `url` and its stylesheets load from elsewhere. Links
    out to cited pages are fine: readers follow them, browsers do not load them."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = PageLinks()
    page.feed(response.content.decode())
    foreign = [
        f"<{tag} {name}={link}>"
        for tag, name, link, rel in page.links
        if not is_same_origin(link) and not (tag == "a" and "nofollow" in rel)
    ]
    stylesheets = [
        stylesheet_text(client, link)
        for tag, _, link, rel in page.links
        if tag == "link" and "stylesheet" in rel and is_same_origin(link)
    ]
    assert stylesheets, url
    foreign += [
        f"css url({link})"
        for link in page.css_urls + css_urls("".join(stylesheets))
        if not is_same_origin(link)
    ]
    return [f"{url}: {entry}" for entry in foreign]


def stylesheet_text(client, url):
    """A stylesheet of the site: a static file, or a view's (ratings.css)."""
    static = urlsplit(settings.STATIC_URL).path
    path = urlsplit(url).path
    if path.startswith(static):
        with open(finders.find(path.removeprefix(static))) as css:
            return css.read()
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


@pytest.fixture
def archived_claim(transactional_db, capture_settings, make_claim, make_topic):
    """A published claim with one archived source, as a reader finds it."""
    page = b"<html><head><title>Bericht</title></head><body><p>Text</p></body></html>"
    claim = make_claim(
        status=Status.PUBLISHED,
        topics=[make_topic("Krieg")],
        first_appearance_url="https://kremlin.example/statement",
    )
    with Server({"/page": respond(page)}) as server:
        source = add_source(claim, url=server.url("/page"))
        services.run_capture(capture_id=source.latest_capture_id)
    capture = Capture.objects.get(source=source)
    assert capture.state == Capture.State.SUCCEEDED, capture.error
    return claim, capture


def test_public_pages_load_nothing_from_other_sites(archived_claim, client):
    claim, capture = archived_claim
    add_source(claim, url="https://isw.example/map")  # not archived: a plain link
    pages = [LIST, claim.get_absolute_url(), capture.get_absolute_url()]

    foreign = [entry for url in pages for entry in foreign_urls(client, url)]

    assert foreign == []


def test_the_no_cdn_check_notices_a_foreign_asset(client, make_claim, settings):
    claim = make_claim(status=Status.PUBLISHED)
    settings.STATIC_URL = "https://cdn.example/static/"

    foreign = foreign_urls(client, claim.get_absolute_url())

    assert any("<link href=https://cdn.example/static/" in entry for entry in foreign)
