"""What readers and machines get: feeds that stay well-formed and say what they
mean, ClaimReview dates as the page shows them, headings, labels, contrast,
error pages, and the desk's language names."""

import datetime
import html
import re
import xml.etree.ElementTree as ET

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

from claims.models import Claim, Rating
from tests.test_admin import change_url
from tests.test_publishing import ld_json

Status = Claim.Status
ATOM = "{http://www.w3.org/2005/Atom}"

FEEDS = [
    "claims:verdict_feed",
    "claims:verdict_feed_atom",
]


def parse(response):
    assert response.status_code == 200, response.status_code
    return ET.fromstring(response.content)  # noqa: S314 -- our own feed


def test_a_control_character_in_a_statement_leaves_every_feed_well_formed(
    make_claim, client
):
    # A vertical tab: the line break a word processor pastes.
    claim = make_claim(status=Status.PUBLISHED, statement="Zeile eins\x0bZeile zwei")
    client.raise_request_exception = False
    urls = [reverse(name) for name in FEEDS] + [
        reverse("claims:claim_feed", args=[claim.slug]),
        reverse("claims:claim_feed_atom", args=[claim.slug]),
        reverse("claims:party_feed", args=[claim.claimant.slug]),
    ]

    for url in urls:
        root = parse(client.get(url))
        # Saved before the forms turned it into a newline, as feeds now do.
        assert "Zeile eins\nZeile zwei" in ET.tostring(root, encoding="unicode")


def test_feed_descriptions_are_html_with_the_text_escaped(
    make_claim, make_party, client
):
    claimant = make_party('Acme <Co> & "Partner"')
    make_claim(
        status=Status.PUBLISHED,
        claimant=claimant,
        statement="Er sagte: </script><script>alert(1)</script> x < y",
    )

    rss = parse(client.get(reverse("claims:verdict_feed")))
    [description] = [item.findtext("description") for item in rss.iter("item")]
    atom = parse(client.get(reverse("claims:verdict_feed_atom")))
    [summary] = list(atom.iter(f"{ATOM}summary"))

    # Read as HTML, as feed readers do: no tags but line breaks, and the text.
    assert summary.get("type") == "html"
    assert summary.text == description
    assert re.findall(r"<(\w+)", description) == ["br", "br"]
    text = html.unescape(description.replace("<br>", "\n"))
    assert text.startswith(
        'Acme <Co> & "Partner" claims: Er sagte: '
        "</script><script>alert(1)</script> x < y\nVerdict: "
    )


def test_atom_feeds_name_an_author_and_date_every_entry(make_claim, client, settings):
    settings.PUBLISHER_NAME = "Faktencheck-Desk"
    make_claim(status=Status.PUBLISHED)

    root = parse(client.get(reverse("claims:verdict_feed_atom")))

    assert root.find(f"{ATOM}author/{ATOM}name").text == "Faktencheck-Desk"
    entries = root.findall(f"{ATOM}entry")
    assert entries
    for entry in entries:
        assert len(entry.findall(f"{ATOM}updated")) == 1


def test_claimreview_dates_are_the_days_the_page_shows(make_claim, client, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    claim = make_claim(status=Status.PUBLISHED)
    late = datetime.datetime(2025, 12, 2, 23, 30, tzinfo=datetime.UTC)  # 00:30 here
    Claim.objects.filter(pk=claim.pk).update(
        published_at=late - datetime.timedelta(days=1), verdict_at=late
    )

    page = client.get(claim.get_absolute_url()).content.decode()
    [review] = ld_json(page)

    assert review["datePublished"] == "2025-12-02"
    assert review["dateModified"] == "2025-12-03"
    assert "Dec. 2, 2025" in page  # "Fact-check published"


def test_a_claim_page_has_one_h1_the_statement(make_claim, client):
    claim = make_claim(status=Status.PUBLISHED, statement="Pokrowsk ist gefallen.")

    page = client.get(claim.get_absolute_url()).content.decode()

    assert re.findall(r"<h1[^>]*>(.*?)</h1>", page) == ["Pokrowsk ist gefallen."]


def contrast(one, other):
    from claims.models import relative_luminance

    light, dark = sorted([relative_luminance(one), relative_luminance(other)])[::-1]
    return (light + 0.05) / (dark + 0.05)


def test_every_verdict_badge_meets_wcag_aa_contrast(db, client):
    css = client.get("/ratings.css").content.decode()
    badges = re.findall(r"\.badge--([\w-]+).*?background: (#\w+); color: (#\w+)", css)

    assert len(badges) == Rating.objects.count()
    ratios = {slug: round(contrast(bg, fg), 2) for slug, bg, fg in badges}
    assert all(ratio >= 4.5 for ratio in ratios.values()), ratios


@pytest.mark.parametrize("prefix", ["", "/de"])
def test_both_date_inputs_of_the_list_filter_have_a_name(db, client, prefix):
    page = client.get(f"{prefix}/").content.decode()

    inputs = re.findall(r'<input type="date"[^>]*>', page)
    assert len(inputs) == 2
    # No label points at an element that is not there ("id_made").
    ids = set(re.findall(r' id="([^"]+)"', page))
    assert set(re.findall(r'<label for="([^"]+)"', page)) <= ids
    assert all("aria-label=" in tag for tag in inputs)
    if prefix:
        assert 'aria-label="Behauptung aufgestellt am oder vor dem"' in page


def test_a_missing_page_is_the_sites_own_in_the_readers_language(db, client):
    response = client.get("/de/claims/gibt-es-nicht/")

    assert response.status_code == 404
    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "<h1>Seite nicht gefunden</h1>" in page
    assert 'class="site-header"' in page


def test_a_server_error_page_needs_no_request_context(db):
    with translation.override("de"):
        response = server_error(RequestFactory().get("/de/"))

    assert response.status_code == 500
    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "<h1>Serverfehler</h1>" in page


def test_the_desk_sees_language_names_in_its_own_language(reviewer_client, make_claim):
    claim = make_claim(status=Status.DRAFT)

    page = reviewer_client.get(f"/de{change_url(claim)}").content.decode()

    assert '<option value="de" selected>Deutsch</option>' in page
    assert '<option value="en">Englisch</option>' in page


def test_feed_titles_cut_long_statements_with_an_ellipsis(make_claim, client):
    make_claim(status=Status.PUBLISHED, statement="Wort " * 60)

    rss = parse(client.get(reverse("claims:verdict_feed")))
    [title] = [item.findtext("title") for item in rss.iter("item")]

    assert title.endswith("…")
    assert len(title) <= len("Unproven / still disputed: ") + 120
