"""The public side and the review desk in a real browser (Debian's Chromium).

Every test fails on a console error, an uncaught page error or a failed
response in any page it opened, and leaves a screenshot of each page in
test-artifacts/.
"""

import itertools
import re
from urllib.parse import urlsplit

import pytest
from django.core.management import call_command

from claims import services
from claims.models import Claim, Source
from tests.capture_servers import Server, respond
from tests.conftest import ARTIFACTS

pytestmark = pytest.mark.browser

RUBIO = "rubio-erstmals-seit-20-jahren-nicht-beim-nato-treffen"
POKROWSK = "pokrowsk-und-wowtschansk-eingenommen"
TRUMP = "trump-krieg-an-einem-tag-beenden"
ARTICLE = (
    "<html><head><title>ISW-Lagebericht</title></head><body><article>"
    "<p>Das Institut zur Erforschung des Kriegs bestreitet die Einnahme von "
    "Pokrowsk; russische Militärblogger widersprechen sich.</p></article></body></html>"
).encode()


@pytest.fixture
def demo(transactional_db, capture_settings, live_server):
    """The seed article's demo data, with the ISW source of Pokrowsk archived."""
    call_command("loaddemo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    source = Source.objects.get(claim__slug=POKROWSK, party__slug="isw")
    with Server({"/isw": respond(ARTICLE)}) as server:
        source.url = server.url("/isw")
        source.save()
        services.run_capture(capture_id=source.latest_capture_id)
    return live_server.url


@pytest.fixture
def console(browser_errors):
    """Errors any page of the test reports (conftest's `new_page` listens on
    every one); each test ends by asserting there were none."""
    yield browser_errors
    assert browser_errors == []


def titles(page):
    return page.locator(".claim-card__statement a").all_inner_texts()


def test_reader_opens_the_list(demo, page, console):
    page.goto(demo + "/")

    assert page.locator("h1").inner_text() == "Fact-checked claims"
    statements = titles(page)
    assert len(statements) == Claim.objects.public().count() == 7
    assert any("Pokrowsk" in text for text in statements)
    assert page.locator(".badge").first.is_visible()
    assert page.locator(".charts .bars__row").count() == 6


def test_the_verdicts_chart_names_each_verdict_in_full(demo, new_page, console):
    """The chart's labels were cut to one 144-pixel line with an ellipsis:
    "Unbelegt / weiter u…", on a phone and on a desktop alike."""
    for width in (360, 1440):
        page = new_page(viewport={"width": width, "height": 900})
        page.goto(f"{demo}/de/")
        labels = page.locator(".bars__label")
        assert "Unbelegt / weiter umstritten" in labels.all_inner_texts()
        assert labels.evaluate_all(
            "labels => labels.every(label => label.scrollWidth <= label.clientWidth)"
        )


def test_reader_filters_by_verdict(demo, page, console):
    page.goto(demo + "/")
    page.locator("summary", has_text="Filters").click()
    page.select_option("#id_verdict", "false")
    page.click("button[type=submit]")

    page.wait_for_url(re.compile(r"verdict=false"))
    assert titles(page) == [
        "Donald Trump would end the war in Ukraine within a day of taking office."
    ]
    assert page.locator(".claim-card .badge").all_inner_texts() == ["False"]


def test_reader_searches_a_german_word_with_an_umlaut(demo, page, console):
    page.goto(demo + "/")
    page.fill("#id_q", "Außenminister")
    page.press("#id_q", "Enter")

    page.wait_for_url(re.compile(r"q=Au%C3%9Fenminister"))
    assert len(titles(page)) == 1
    assert "Rubio" in titles(page)[0]
    marks = page.locator(".claim-card__snippet mark").all_inner_texts()
    assert marks == ["Außenminister", "Außenminister"]  # "US-…", "Nato-…"


def test_reader_reads_a_claim_its_timeline_and_an_archived_copy(demo, page, console):
    page.goto(demo + "/")
    page.get_by_role(
        "link", name=re.compile("Russische Truppen haben die Stadt Pokrowsk")
    ).click()
    page.wait_for_url(re.compile(POKROWSK))

    assert page.locator(".badge--large").inner_text() == "Unproven / still disputed"
    assert page.locator(".timeline__item").count() == 1
    assert page.locator(".timeline-chart svg rect").count() == 1
    assert_band_spans_its_axis_with_readable_labels(page)
    assert "Russia claims both towns" in page.locator(".timeline").inner_text()
    assert page.locator(".sources__stance").all_inner_texts() == ["Asserts", "Disputes"]

    page.get_by_role("link", name=re.compile(r"Archived copy \(")).click()
    page.wait_for_url(re.compile(r"/archive/\d+/$"))
    assert page.locator(".capture__title").inner_text() == "ISW-Lagebericht"
    assert (
        "bestreitet die Einnahme von Pokrowsk"
        in page.locator(".capture__text").inner_text()
    )
    assert len(page.locator(".capture__hash code").first.inner_text()) == 64
    frame = page.frame_locator("iframe.capture__frame")
    assert "Militärblogger" in frame.locator("article").inner_text()


def assert_band_spans_its_axis_with_readable_labels(page):
    """The band of a claim's one verdict spans its axis (its stroke a pixel
    past each end), and its label is 14-pixel type, 16 pixels tall. A drawing
    scaled to the screen drew it 8 pixels tall on a phone and 24 on a desktop,
    where the band, kept to its proportions, also stopped short of its axis."""
    band = page.locator(".timeline-chart rect").bounding_box()
    axis = page.locator(".timeline-chart__axis").bounding_box()
    assert band["x"] == pytest.approx(axis["x"], abs=1.5)
    assert band["width"] == pytest.approx(axis["width"], abs=2.5)
    assert page.locator(".timeline-chart text").bounding_box()["height"] == 16


def test_reader_switches_the_language(demo, page, console):
    page.goto(f"{demo}/claims/{RUBIO}/")
    assert page.locator(".badge--large").inner_text() == "True"

    page.locator(".language-switch").get_by_role("link", name="DE").click()

    page.wait_for_url(re.compile(f"/de/claims/{RUBIO}/"))
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator(".badge--large").inner_text() == "Richtig"
    assert page.locator("#verdict-heading").inner_text() == "Bewertung"
    assert "Dezember 2025" in page.locator(".claim__facts").inner_text()


def log_in(page, demo, username):
    """Log the demo's `username` in to the admin on `page`."""
    from django.contrib.auth.models import User

    user = User.objects.get(username=username)
    user.set_password("a long demo password")
    user.save()
    page.goto(demo + "/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "a long demo password")
    page.click("input[type=submit]")
    page.wait_for_url(re.compile(r"/admin/$"))


def test_reviewer_changes_a_verdict_and_the_public_page_and_feed_follow(
    demo, page, new_page, console, settings
):
    settings.PUBLIC_CACHE_SECONDS = 600  # as in production: the cache must keep up
    claim = Claim.objects.get(slug=POKROWSK)
    page.goto(f"{demo}/claims/{POKROWSK}/")
    page.goto(f"{demo}/claims/{POKROWSK}/feed.rss")

    log_in(page, demo, "reviewer")
    page.goto(f"{demo}/admin/claims/claim/{claim.pk}/change/")
    page.select_option("#id_new_rating", label="False")
    page.fill(
        "#id_verdict_note",
        "Geolokalisierte Videos zeigen ukrainische Truppen im Zentrum.",
    )
    page.click("input[name=_save]")
    page.wait_for_url(re.compile(r"/admin/claims/claim/$"))
    assert "was changed successfully" in page.locator(".messagelist").inner_text()

    anonymous = new_page()  # logged out, and watched like the reviewer's page
    anonymous.goto(f"{demo}/claims/{POKROWSK}/")
    assert anonymous.locator(".badge--large").inner_text() == "False"
    assert "Geolokalisierte Videos" in anonymous.locator(".timeline").inner_text()
    anonymous.goto(f"{demo}/claims/{POKROWSK}/feed.rss")
    feed = anonymous.content()
    assert feed.index("False: Russische Truppen") < feed.index(
        "Unproven / still disputed: "
    )


PHONE = {
    "viewport": {"width": 375, "height": 812},
    "is_mobile": True,
    "has_touch": True,
}


def scrolls_sideways(page):
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


def test_on_a_phone_the_list_and_a_claim_fit_the_screen(demo, new_page, console):
    phone = new_page(**PHONE)
    phone.goto(demo + "/")
    assert phone.evaluate("document.documentElement.clientWidth") == 375
    assert not scrolls_sideways(phone)
    # The months of the verdicts chart: 11-pixel type (13 pixels tall; the
    # drawing scaled to the phone drew it at 5), side by side, not overlapping.
    months = [
        box.bounding_box()
        for box in phone.locator('.chart__columns text[y="136"]').all()
    ]
    assert len(months) == 12
    assert {round(month["height"]) for month in months} == {13}
    assert all(
        left["x"] + left["width"] < right["x"]
        for left, right in zip(months, months[1:], strict=False)
    )
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=ARTIFACTS / "phone-claim-list.png", full_page=True)

    phone.goto(f"{demo}/claims/{POKROWSK}/")
    assert phone.locator(".timeline__item").count() == 1
    assert_band_spans_its_axis_with_readable_labels(phone)
    assert not scrolls_sideways(phone)
    phone.screenshot(path=ARTIFACTS / "phone-claim-page.png", full_page=True)

    # The measure notices a page that is too wide (set through the CSSOM: the
    # Content-Security-Policy refuses inline style attributes).
    phone.evaluate(
        "const wide = document.createElement('div');"
        "wide.style.width = '600px'; wide.style.height = '1px';"
        "document.body.append(wide);"
    )
    assert scrolls_sideways(phone)


def test_on_a_phone_a_long_verdict_stays_inside_its_section(demo, new_page, console):
    """Badges kept their label on one line: on a 360-pixel phone the large one
    of "Unbelegt / weiter umstritten" ran 24 pixels past the verdict's section
    and out of the claim's frame."""
    phone = new_page(**{**PHONE, "viewport": {"width": 360, "height": 740}})
    phone.goto(f"{demo}/de/claims/{POKROWSK}/")
    overhangs = phone.evaluate(
        "[...document.querySelectorAll('.claim .badge')].map(badge =>"
        " badge.getBoundingClientRect().right"
        " - badge.closest('section').getBoundingClientRect().right)"
    )
    assert len(overhangs) == 2  # the verdict's, and the timeline's
    assert max(overhangs) <= 0


def test_on_a_phone_an_archived_copys_long_links_wrap(demo, new_page, console):
    """Its text kept a long link on one line, cut off at the box's edge (742
    pixels of text in a 292-pixel box) unless scrolled sideways."""
    link = "https://understandingwar.org/backgrounder/" + "-".join(["assessment"] * 8)
    source = Source.objects.get(claim__slug=TRUMP, party__slug="isw")
    page = f"<html><body><article><p>Quelle: {link}</p></article></body></html>"
    with Server({"/isw": respond(page.encode())}) as server:
        source.url = server.url("/isw")
        source.save()
        capture_id = Source.objects.get(pk=source.pk).latest_capture_id
        services.run_capture(capture_id=capture_id)
    phone = new_page(**{**PHONE, "viewport": {"width": 360, "height": 740}})
    phone.goto(f"{demo}/de/archive/{capture_id}/")

    text = phone.locator(".capture__text")
    assert link in text.inner_text().replace("\n", "")
    assert text.evaluate("box => box.scrollWidth <= box.clientWidth")


DESK_LISTS = ["claim", "claiminreview", "source", "capture", "verdictchange"]
SOURCE_FIELDS = [
    "url",
    "party",
    "stance",
    "title",
    "publisher",
    "published_on",
    "quote",
    "archive",
    "added_by",
]


def test_on_a_laptop_the_desks_lists_and_a_claims_sources_fit_the_screen(
    demo, new_page, console
):
    """Django keeps headers, foreign keys (a claim's whole statement) and dates
    on one line, which made the lists wider than a laptop's screen leaves them
    beside the sidebar and filters (admin.css lets them wrap, and drops the
    sidebar below 1440 pixels); and the sources' table hid four of its nine
    columns (they are stacked now). In German, the claims' list kept a verdict
    badge on one line and the captures' list gave a URL and an error 10em
    each: both hid their last column behind the filters at 1440 pixels."""
    claim = Claim.objects.get(slug=POKROWSK)
    wider, out_of_sight = {}, {}
    for width in (1280, 1440):
        page = new_page(viewport={"width": width, "height": 900})
        log_in(page, demo, "reviewer")
        for prefix, model in itertools.product(["", "/de"], DESK_LISTS):
            page.goto(f"{demo}{prefix}/admin/claims/{model}/")
            assert page.locator("#result_list tbody tr").count() > 0, model
            assert page.locator("#nav-sidebar").is_visible() == (width >= 1440)
            assert page.locator("#changelist-filter").is_visible()
            scroll, shown = page.evaluate(
                "const r = document.querySelector('#changelist .results');"
                "[r.scrollWidth, r.clientWidth]"
            )
            if scroll > shown:
                wider[width, f"{prefix}/{model}"] = (scroll, shown)

        page.goto(f"{demo}/admin/claims/claim/{claim.pk}/change/")
        assert not scrolls_sideways(page)
        for name in SOURCE_FIELDS:
            box = page.locator(f"#sources-0 .field-{name}").last.bounding_box()
            if box["x"] + box["width"] > width:
                out_of_sight[width, name] = box["x"]
    assert wider == {}
    assert out_of_sight == {}


def test_on_a_phone_a_claims_sources_fields_fit_their_frame(demo, new_page, console):
    """Django sizes a form's rows on phones to the screen less the page's
    margins, wider than a stacked source's frame: the URL, party, title,
    publisher and quote ran 12 to 22 pixels past it, cut off at the right."""
    claim = Claim.objects.get(slug=POKROWSK)
    phone = new_page(**{**PHONE, "viewport": {"width": 360, "height": 740}})
    log_in(phone, demo, "editor")
    phone.goto(f"{demo}/de/admin/claims/claim/{claim.pk}/change/")
    overhangs = phone.evaluate(
        "[...document.querySelectorAll('#sources-0 .form-row')].flatMap(row =>"
        " [...row.querySelectorAll('input:not([type=hidden]), select, textarea,"
        " .select2')].map(field => field.getBoundingClientRect().right"
        " - row.getBoundingClientRect().right))"
    )
    assert len(overhangs) >= 7
    assert max(overhangs) <= 0


def test_editor_sees_a_capture_finish_without_reloading(demo, page, console):
    # The progress script loads in the admin's <head>: it must wait for the
    # sources' rows (it used to look for them at once, find none and stop).
    source = Source.objects.get(claim__slug=TRUMP, party__slug="isw")
    with Server({"/isw": respond(ARTICLE)}) as server:
        source.url = server.url("/isw")
        source.save()  # a new pending capture
        log_in(page, demo, "editor")
        page.goto(f"{demo}/admin/claims/claim/{source.claim_id}/change/")
        cell = page.locator(f'.fc-capture[data-source="{source.pk}"]')
        assert cell.inner_text() == "Waiting"
        page.evaluate("window.notReloaded = true")

        services.run_capture(
            capture_id=Source.objects.get(pk=source.pk).latest_capture_id
        )

        page.wait_for_selector(
            f'.fc-capture--succeeded[data-source="{source.pk}"]', timeout=10_000
        )
    assert cell.inner_text() == "Archived"
    assert page.evaluate("window.notReloaded") is True


def test_the_capture_progress_stops_asking_once_the_session_ends(demo, page, console):
    """A logged-out page got the login page instead of JSON: an error in the
    console every two seconds, for as long as the tab stayed open."""
    claim = Claim.objects.get(slug=TRUMP)
    assert claim.sources.filter(latest_capture__state="pending").exists()

    def progress(request):
        return urlsplit(request.url).path.endswith("/capture-progress/")

    asked = []
    page.on("request", lambda request: progress(request) and asked.append(request))
    log_in(page, demo, "editor")
    page.goto(f"{demo}/admin/claims/claim/{claim.pk}/change/")
    with page.expect_request(progress, timeout=10_000):
        pass
    page.context.clear_cookies()  # the session ends
    before = len(asked)

    page.wait_for_timeout(5_000)  # two and a half polling intervals

    assert len(asked) - before <= 1
