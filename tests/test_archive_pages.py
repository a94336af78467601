"""Looking at the evidence: archived copy pages, WARC downloads, sandboxed playback."""

import gzip
import hashlib
import html
import re
import time

import pytest
from django.core.management import call_command
from django.urls import reverse

from claims import services
from claims.models import Capture, Claim, Source
from tests.capture_servers import Server, respond
from tests.conftest import add_source, client_for

Status = Claim.Status
HOSTILE = (
    b"<html><head><title>Feindliche Seite</title></head><body>"
    b"<script>fetch('/steal?c=' + document.cookie)</script>"
    b"<p>Der Text dieser Seite ist das Beweisst\xc3\xbcck.</p></body></html>"
)
HTML = (("Content-Type", "text/html; charset=utf-8"),)


@pytest.fixture
def archived(transactional_db, capture_settings, make_claim):
    """A published claim with one archived source, and a draft with another."""

    def archive(status, body=HOSTILE, headers=HTML, path="/page", claim=None):
        with Server({path: respond(body, headers=headers)}) as server:
            claim = claim or make_claim(status=status)
            source = add_source(claim, url=server.url(path))
            services.run_capture(capture_id=source.captures.get().pk)
        capture = source.captures.get()
        assert capture.state == Capture.State.SUCCEEDED, capture.error
        return capture

    return archive


def urls(capture):
    return [
        reverse(name, kwargs={"pk": capture.pk})
        for name in (
            "claims:capture_detail",
            "claims:capture_warc",
            "claims:capture_raw",
        )
    ]


def test_claim_page_links_each_source_to_its_archived_copy(archived, client):
    capture = archived(Status.PUBLISHED)

    html = client.get(capture.source.claim.get_absolute_url()).content.decode()

    assert capture.get_absolute_url() in html
    assert "Archived copy (" in html


def test_archived_copy_page_shows_the_evidence(archived, client):
    capture = archived(Status.PUBLISHED)

    response = client.get(capture.get_absolute_url())

    html = response.content.decode()
    assert response.status_code == 200
    assert capture.payload_sha256 in html
    assert capture.warc_sha256 in html
    assert capture.final_url in html
    assert "<dd>200</dd>" in html
    assert "Der Text dieser Seite ist das Beweisstück." in html
    assert reverse("claims:capture_warc", kwargs={"pk": capture.pk}) in html
    assert f'src="{reverse("claims:capture_raw", kwargs={"pk": capture.pk})}"' in html
    assert " sandbox " in html  # the iframe carries the sandbox attribute too


def test_archived_copy_page_says_the_cited_claims_language(archived, client):
    """The German statement on the English page had no lang: screen readers
    read it with English sounds (axe-core's audit of the page)."""
    capture = archived(Status.PUBLISHED)
    claim = capture.source.claim

    html = client.get(capture.get_absolute_url()).content.decode()

    assert f'<a href="{claim.get_absolute_url()}" lang="de">' in html
    # axe-core: an aria-label on a plain span is not read out; a group's is.
    assert '<span class="language-switch" role="group" aria-label="Language">' in html


def test_warc_download_is_the_stored_file(archived, client):
    capture = archived(Status.PUBLISHED)

    response = client.get(reverse("claims:capture_warc", kwargs={"pk": capture.pk}))

    body = b"".join(response.streaming_content)
    assert response["Content-Type"] == "application/warc"
    assert "attachment" in response["Content-Disposition"]
    assert hashlib.sha256(body).hexdigest() == capture.warc_sha256


def test_archived_html_is_served_in_a_sandbox(archived, client):
    capture = archived(Status.PUBLISHED)

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": capture.pk}))

    policy = response["Content-Security-Policy"]
    directives = [part.strip() for part in policy.split(";")]
    assert directives[0] == "sandbox"  # no allow-scripts, no allow-same-origin
    assert "default-src 'none'" in directives
    assert "allow-" not in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"
    assert "X-Frame-Options" not in response
    assert b"".join(response.streaming_content) == HOSTILE
    assert response["Content-Type"] == "text/html; charset=utf-8"


def test_page_declaring_an_unusable_charset_plays_back_as_utf8(archived, client):
    body = HOSTILE.replace(b"<head>", b'<head><meta charset="rot13">')
    capture = archived(
        Status.PUBLISHED, body=body, headers=(("Content-Type", "text/html"),)
    )
    assert capture.title == "Feindliche Seite"

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": capture.pk}))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert b"".join(response.streaming_content) == body


def test_page_declaring_no_charset_reads_as_a_browser_reads_it(archived, client):
    """Not UTF-8 and no charset anywhere: browsers fall back to windows-1252
    for such (old, Western) pages, and so do the copy and its text."""
    text = "Grüße aus Köln, 5 €"
    body = f"<html><head><title>Straße</title></head><body><p>{text}</p>"
    capture = archived(
        Status.PUBLISHED,
        body=body.encode("cp1252"),
        headers=(("Content-Type", "text/html"),),
    )

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": capture.pk}))

    assert (capture.title, capture.text) == ("Straße", text)
    assert response["Content-Type"] == "text/html; charset=cp1252"


def test_page_declaring_no_charset_plays_back_as_its_text_was_read(archived, client):
    """Its first umlaut 88 kB in, past the 64 kB that playback looked at: the
    text read "Grüße aus Köln" and the copy "Gr\ufffd\ufffde aus K\ufffdln"."""
    style = "p{margin:0}" * 8000
    body = f"<html><head><style>{style}</style></head><body><p>Grüße aus Köln</p>"
    capture = archived(
        Status.PUBLISHED,
        body=body.encode("cp1252"),
        headers=(("Content-Type", "text/html"),),
    )

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": capture.pk}))

    assert capture.text == "Grüße aus Köln"
    assert response["Content-Type"] == "text/html; charset=cp1252"
    assert b"".join(response.streaming_content) == body.encode("cp1252")


def test_archived_file_that_is_not_a_page_is_a_download(archived, client):
    pdf_ish = b"%PDF-1.4 not really a pdf"
    capture = archived(
        Status.PUBLISHED, body=pdf_ish, headers=(("Content-Type", "application/pdf"),)
    )

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": capture.pk}))

    disposition = f'attachment; filename="capture-{capture.pk}.pdf"'
    assert response["Content-Disposition"] == disposition
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Security-Policy"].startswith("sandbox")
    assert b"".join(response.streaming_content) == pdf_ish


def test_identical_copy_plays_back_from_the_original(archived, client):
    first = archived(Status.PUBLISHED, path="/a")
    second = archived(Status.PUBLISHED, path="/b", claim=first.source.claim)
    assert second.revisit_of == first

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": second.pk}))
    page = client.get(second.get_absolute_url()).content.decode()

    assert b"".join(response.streaming_content) == HOSTILE
    assert f'href="{first.get_absolute_url()}"' in page
    assert client.get(f"/api/captures/{second.pk}/").json()["revisit_of"] == first.pk


def test_a_public_copy_is_never_stored_with_a_drafts(archived, client):
    """A revisit record names its original's URL and date: a public copy
    stored with a draft's would give away what the draft cites, and its WARC
    download would lack the page."""
    draft = archived(Status.DRAFT, path="/entwurf-quelle")
    public = archived(Status.PUBLISHED, path="/b")
    other = archived(Status.PUBLISHED, path="/c")

    warc = client.get(reverse("claims:capture_warc", kwargs={"pk": public.pk}))
    api = client.get(f"/api/captures/{public.pk}/").json()

    assert draft.payload_sha256 == public.payload_sha256 == other.payload_sha256
    assert (public.revisit_of, other.revisit_of) == (None, None)
    stored = gzip.decompress(b"".join(warc.streaming_content))
    assert b"entwurf-quelle" not in stored
    assert HOSTILE in stored
    assert api["revisit_of"] is None


@pytest.mark.parametrize("status", [Status.DRAFT, Status.IN_REVIEW])
def test_archived_copies_of_drafts_are_404_for_the_public(archived, client, status):
    capture = archived(status)
    for url in urls(capture):
        assert client.get(url).status_code == 404


def test_editors_see_archived_copies_of_drafts(archived, editor_client, outsider):
    from tests.conftest import client_for

    capture = archived(Status.DRAFT)
    for url in urls(capture):
        assert editor_client.get(url).status_code == 200
        assert client_for(outsider).get(url).status_code == 404


def test_the_desks_view_of_a_drafts_copy_is_not_for_shared_caches(
    archived, editor_client, client
):
    capture = archived(Status.DRAFT)

    desk = editor_client.get(capture.get_absolute_url())
    public = archived(Status.PUBLISHED, path="/public")
    reader = client.get(public.get_absolute_url())

    assert desk.status_code == 200
    policy = {part.strip() for part in desk["Cache-Control"].split(",")}
    assert "private" in policy
    assert "public" not in policy
    assert "public" in reader["Cache-Control"]


def test_failed_or_unknown_captures_are_404(transactional_db, make_claim, client):
    source = add_source(
        make_claim(status=Status.PUBLISHED), url="https://example.org/x"
    )
    pending = source.captures.get()
    for url in urls(pending) + ["/archive/999999/"]:
        assert client.get(url).status_code == 404


def test_claim_page_says_when_no_copy_could_be_made(
    transactional_db, capture_settings, make_claim, client
):
    """A refused or oversized page is not "not yet available": the desk sees
    the capture failed, tried again only by the next re-check or by hand."""
    claim = make_claim(status=Status.PUBLISHED)
    source = add_source(claim, url="http://192.168.1.1/intranet")
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "Archived copy: not yet available." in html

    services.run_capture(capture_id=source.captures.get().pk)

    assert source.captures.get().state == Capture.State.FAILED
    html = client.get(claim.get_absolute_url()).content.decode()
    assert "not yet available" not in html
    assert "No archived copy could be made." in html
    german = client.get("/de" + claim.get_absolute_url()).content.decode()
    assert "Es konnte keine archivierte Kopie erstellt werden." in german


def test_playback_from_a_separate_origin(archived, client, settings):
    settings.ARCHIVE_PLAYBACK_ORIGIN = "http://archive.example"
    settings.ALLOWED_HOSTS = ["testserver", "archive.example"]
    capture = archived(Status.PUBLISHED)
    raw = reverse("claims:capture_raw", kwargs={"pk": capture.pk})

    page = client.get(capture.get_absolute_url()).content.decode()
    on_app_origin = client.get(raw)
    on_archive_origin = client.get(raw, HTTP_HOST="archive.example")

    assert f'src="http://archive.example{raw}"' in page
    assert on_app_origin.status_code == 302
    assert on_app_origin["Location"] == f"http://archive.example{raw}"
    assert on_archive_origin.status_code == 200
    assert on_archive_origin["Content-Security-Policy"].startswith("sandbox")


@pytest.fixture
def playback_origin(settings):
    settings.ARCHIVE_PLAYBACK_ORIGIN = "http://archive.example"
    settings.ALLOWED_HOSTS = ["testserver", "archive.example"]
    return "http://archive.example"


def played_back(client, url):
    """GET an iframe's src on the playback origin, where nobody is logged in."""
    origin, _, path = url.partition("://")[2].partition("/")
    return client.get(f"/{path}", HTTP_HOST=origin)


def iframe_src(page):
    return html.unescape(re.search(r'<iframe[^>]* src="([^"]+)"', page)[1])


def test_the_desk_plays_a_drafts_copy_on_the_playback_origin_with_a_grant(
    archived, editor_client, client, playback_origin
):
    """Nobody is logged in on the playback origin: the archive page the desk
    may see gives its iframe a signed grant for that one capture."""
    draft, other = archived(Status.DRAFT), archived(Status.DRAFT, path="/other")
    src = iframe_src(editor_client.get(draft.get_absolute_url()).content.decode())
    raw = reverse("claims:capture_raw", kwargs={"pk": draft.pk})
    grant = src.partition("?grant=")[2]

    assert src.startswith(f"{playback_origin}{raw}?grant=")
    answer = played_back(client, src)
    assert answer.status_code == 200
    assert b"Beweisst\xc3\xbcck" in b"".join(answer.streaming_content)
    assert answer["Content-Security-Policy"].startswith("sandbox")
    # Without it, with another capture's, or with a forged one: nothing.
    other_raw = reverse("claims:capture_raw", kwargs={"pk": other.pk})
    assert client.get(raw, HTTP_HOST="archive.example").status_code == 404
    wrong = f"{other_raw}?grant={grant}"
    assert client.get(wrong, HTTP_HOST="archive.example").status_code == 404
    forged = f"{raw}?grant={grant[:-1]}x"
    assert client.get(forged, HTTP_HOST="archive.example").status_code == 404
    # On the application's origin the link goes to the playback origin, grant
    # and all.
    moved = editor_client.get(f"{raw}?grant={grant}")
    assert moved.status_code == 302
    assert moved["Location"] == src


def test_a_playback_grant_expires(
    archived, editor_client, client, playback_origin, settings, monkeypatch
):
    settings.PLAYBACK_GRANT_SECONDS = 60
    draft = archived(Status.DRAFT)
    issued_at = time.time() - 61
    monkeypatch.setattr(time, "time", lambda: issued_at)
    src = iframe_src(editor_client.get(draft.get_absolute_url()).content.decode())
    monkeypatch.undo()

    assert played_back(client, src).status_code == 404


def test_a_public_copy_plays_without_a_grant(archived, client, playback_origin):
    capture = archived(Status.PUBLISHED)
    src = iframe_src(client.get(capture.get_absolute_url()).content.decode())

    assert "grant" not in src
    assert played_back(client, src).status_code == 200


def test_claim_page_shows_a_changed_or_offline_source(archived, client):
    capture = archived(Status.PUBLISHED)
    Source.objects.filter(pk=capture.source_id).update(live_status="gone")
    html = client.get(capture.source.claim.get_absolute_url()).content.decode()
    assert "Offline; archived copy available" in html

    Source.objects.filter(pk=capture.source_id).update(live_status="changed")
    html = client.get(capture.source.claim.get_absolute_url()).content.decode()
    assert "Changed since cited" in html


def test_claim_page_links_a_changed_source_to_its_differences(
    transactional_db, capture_settings, make_claim, client
):
    routes = {"/page": respond(b"<p>Die Zahl war 12.</p>", headers=HTML)}
    with Server(routes) as server:
        claim = make_claim(status=Status.PUBLISHED)
        source = add_source(claim, url=server.url("/page"))
        services.run_capture(capture_id=source.captures.get().pk)
        routes["/page"] = respond(b"<p>Die Zahl war 21.</p>", headers=HTML)
        recheck = source.request_capture(Capture.Kind.RECHECK)
        services.run_capture(capture_id=recheck.pk)

    html = client.get(claim.get_absolute_url()).content.decode()
    changed = re.search(r'live--changed"><a href="([^"]+)">Changed since cited', html)
    assert changed, html
    assert changed[1] == recheck.get_absolute_url()
    page = client.get(changed[1]).content.decode()
    assert "Changes since the page was cited" in page
    assert "-Die Zahl war 12." in page
    assert "+Die Zahl war 21." in page
    german_link = f'<a href="/de{changed[1]}">Seit der Zitierung geändert</a>'
    german = client.get("/de" + claim.get_absolute_url()).content.decode()
    assert german_link in german
    # The diff's header too: it named the copies in English on /de/.
    german_page = client.get("/de" + changed[1]).content.decode()
    assert re.search(r"--- wie zitiert, \d+\. \w+ 20\d\d \d\d:\d\d\n", german_page)
    assert re.search(r"\+\+\+ Live-Seite, \d+\. \w+ 20\d\d \d\d:\d\d\n", german_page)
    assert "as cited" not in german_page
    assert "+Die Zahl war 21." in german_page
    assert re.search(r"--- as cited, \w+\.? \d+, 20\d\d", page), page


def test_archived_copy_page_says_whether_the_page_changed_since_the_previous_capture(
    transactional_db, capture_settings, make_claim, client
):
    with Server({"/page": respond(HOSTILE, headers=HTML)}) as server:
        claim = make_claim(status=Status.PUBLISHED)
        source = add_source(claim, url=server.url("/page"))
        first = source.captures.get()
        services.run_capture(capture_id=first.pk)
        repeat = source.request_capture(Capture.Kind.RECHECK)
        services.run_capture(capture_id=repeat.pk)

    first_page = client.get(first.get_absolute_url()).content.decode()
    repeat_page = client.get(repeat.get_absolute_url()).content.decode()
    assert "None: this is the first capture of this link" in first_page
    assert "Unchanged since the previous capture (same SHA-256)" in repeat_page


def delete_through_the_admin(obj, superuser):
    meta = obj._meta
    url = reverse(f"admin:claims_{meta.model_name}_delete", args=[obj.pk])
    client = client_for(superuser)
    confirmation = client.get(url)
    assert confirmation.status_code == 200
    assert "protected" not in confirmation.content.decode()
    assert client.post(url, {"post": "yes"}).status_code == 302


@pytest.mark.parametrize("how", ["orm", "admin"])
def test_deleting_the_original_of_another_sources_copy_keeps_its_payload(
    archived, client, superuser, how
):
    original = archived(Status.PUBLISHED, path="/a")
    copy = archived(Status.PUBLISHED, path="/b", claim=original.source.claim)
    assert copy.revisit_of == original

    if how == "orm":
        original.source.delete()
    else:
        delete_through_the_admin(original.source, superuser)

    assert not Source.objects.filter(pk=original.source_id).exists()
    original.refresh_from_db()
    assert original.source is None  # kept, detached: it holds the payload
    copy.refresh_from_db()
    assert copy.revisit_of == original
    call_command("verifyarchive")  # raises if anything is missing or altered
    raw = client.get(reverse("claims:capture_raw", kwargs={"pk": copy.pk}))
    assert b"".join(raw.streaming_content) == HOSTILE
    # Outside any claim, the kept copy is for the desk only, and no link to
    # it is shown to the public.
    assert client.get(original.get_absolute_url()).status_code == 404
    page = client.get(copy.get_absolute_url()).content.decode()
    assert "stored once" in page
    assert f'href="{original.get_absolute_url()}"' not in page
    assert client.get(f"/api/captures/{copy.pk}/").json()["revisit_of"] is None


@pytest.mark.parametrize("how", ["orm", "admin"])
def test_deleting_a_claim_deletes_the_copies_its_sources_share(
    archived, superuser, how
):
    # A draft: the admin lets nobody delete a verdict history.
    original = archived(Status.DRAFT, path="/a")
    claim = original.source.claim
    copy = archived(Status.DRAFT, path="/b", claim=claim)
    assert copy.revisit_of == original

    if how == "orm":
        claim.delete()
    else:
        delete_through_the_admin(claim, superuser)

    assert not Capture.objects.exists()


def test_a_page_archived_after_being_offline_is_no_longer_offline(
    transactional_db, capture_settings, make_claim, client
):
    """Cited before the site put it up (or while it was down): once the page
    is archived, it is the copy as cited, and the live page is not offline."""
    routes = {"/later": respond(b"", status=404)}
    with Server(routes) as server:
        claim = make_claim(status=Status.PUBLISHED)
        source = add_source(claim, url=server.url("/later"))
        services.run_capture(capture_id=source.captures.get().pk)
        html = client.get(claim.get_absolute_url()).content.decode()
        assert "Offline, and no archived copy could be made" in html

        routes["/later"] = respond(HOSTILE, headers=HTML)
        retry = source.request_capture(Capture.Kind.MANUAL)
        services.run_capture(capture_id=retry.pk)

    html = client.get(claim.get_absolute_url()).content.decode()
    assert f'<a href="{retry.get_absolute_url()}">Archived copy (' in html
    assert "Offline" not in html
    source.refresh_from_db()
    assert source.live_status == Source.LiveStatus.UNCHECKED
    api = client.get(f"/api/claims/{claim.slug}/").json()
    assert api["sources"][0]["live_status"] == "unchecked"


def test_a_copy_of_a_corrected_link_says_it_is_no_longer_cited(
    transactional_db, capture_settings, make_claim, client
):
    with Server({"/typo": respond(HOSTILE, headers=HTML)}) as server:
        claim = make_claim(status=Status.PUBLISHED)
        source = add_source(claim, url=server.url("/typo"))
        old_copy = source.captures.get()
        services.run_capture(capture_id=old_copy.pk)
    notice = "The claim now cites another link for this source"
    assert notice not in client.get(old_copy.get_absolute_url()).content.decode()

    source = Source.objects.get(pk=source.pk)
    source.url = "https://example.org/the-right-article"
    source.save()

    page = client.get(old_copy.get_absolute_url()).content.decode()
    assert notice in page
    german = client.get("/de" + old_copy.get_absolute_url()).content.decode()
    assert "zitiert für diese Quelle inzwischen einen anderen Link" in german


def test_a_copy_whose_warc_file_is_lost_says_so(archived, client, caplog):
    """The row is there, its file is not (deleted by hand, a disk not mounted):
    the WARC download and the archived page were a 500 (FileNotFoundError)."""
    capture = archived(Status.PUBLISHED)
    stored = capture.warc.name
    capture.warc.storage.delete(stored)
    warc_url = reverse("claims:capture_warc", kwargs={"pk": capture.pk})
    raw_url = reverse("claims:capture_raw", kwargs={"pk": capture.pk})
    client.raise_request_exception = False

    for url in (warc_url, raw_url, "/de" + warc_url):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "no-store" in response["Cache-Control"]
        page = response.content.decode()
        if url.startswith("/de/"):
            assert "Die gespeicherte Datei dieser archivierten Kopie fehlt" in page
        else:
            assert "The stored file of this archived copy is missing" in page
            assert capture.get_absolute_url() in page
    assert client.get(raw_url)["Content-Security-Policy"].startswith("sandbox")
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 4
    assert all(str(capture.pk) in r.getMessage() for r in errors)
    assert all(stored in r.getMessage() for r in errors)
    assert client.get(capture.get_absolute_url()).status_code == 200
    assert client.get(capture.source.claim.get_absolute_url()).status_code == 200


def test_a_copy_whose_originals_warc_file_is_lost_says_so(archived, client, caplog):
    first = archived(Status.PUBLISHED, path="/a")
    second = archived(Status.PUBLISHED, path="/b", claim=first.source.claim)
    first.warc.storage.delete(first.warc.name)
    client.raise_request_exception = False

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": second.pk}))

    assert response.status_code == 404
    [error] = [r for r in caplog.records if r.levelname == "ERROR"]
    assert f"capture {first.pk}" in error.getMessage()
    assert first.warc.name in error.getMessage()


@pytest.mark.parametrize(
    "content_type, extension",
    [
        ("application/xml", ".xml"),  # mimetypes says .xsl
        ("application/rss+xml; charset=utf-8", ".rss"),  # mimetypes knows none
        ("application/pdf", ".pdf"),
    ],
)
def test_a_downloaded_file_is_named_after_its_usual_extension(
    archived, client, content_type, extension
):
    capture = archived(
        Status.PUBLISHED, body=b"<a/>", headers=(("Content-Type", content_type),)
    )

    response = client.get(reverse("claims:capture_raw", kwargs={"pk": capture.pk}))

    disposition = f'attachment; filename="capture-{capture.pk}{extension}"'
    assert response["Content-Disposition"] == disposition
