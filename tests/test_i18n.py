"""German and English: the UI language, the switch, dates, and the catalogue."""

import io
import os
import re
import subprocess
import sys
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract
from babel.messages.pofile import read_po
from django.utils.translation.template import templatize

from claims.models import Claim

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale/de/LC_MESSAGES/django.po"
Status = Claim.Status
# What `make messages` leaves out (Makefile), and what is not the project's.
NOT_EXTRACTED = {
    ".venv",
    ".git",
    "tests",
    "bench",
    "staticfiles",
    "var",
    "test-artifacts",
    "locale",
}
# Django's markers besides the ones xgettext (and Babel) know by default.
KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "gettext_lazy": None,
    "gettext_noop": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


def test_german_pages_are_in_german(make_claim, client):
    import datetime

    claim = make_claim(
        status=Status.PUBLISHED,
        rating="false",
        first_made_on=datetime.date(2025, 12, 2),
    )

    html = client.get(f"/de{claim.get_absolute_url()}").content.decode()

    assert '<html lang="de">' in html
    assert ">Falsch<" in html
    assert "Bewertungsverlauf" in html or "Bewertung" in html
    assert "2. Dezember 2025" in html
    assert "Sources" not in html and "Verdict timeline" not in html


def test_english_is_the_default(make_claim, client):
    claim = make_claim(status=Status.PUBLISHED, rating="false")
    html = client.get(
        claim.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="de"
    ).content.decode()
    assert '<html lang="en">' in html and ">False<" in html


def test_language_switch_links_to_the_same_page(make_claim, client):
    claim = make_claim(status=Status.PUBLISHED)

    english = client.get(
        claim.get_absolute_url(), {"as_of": "2025-12-03"}
    ).content.decode()
    german = client.get(f"/de{claim.get_absolute_url()}").content.decode()

    assert (
        f'<a href="/de/claims/{claim.slug}/?as_of=2025-12-03" hreflang="de"' in english
    )
    assert f'<a href="/claims/{claim.slug}/" hreflang="en"' in german


def test_the_claims_own_language_is_kept_apart_from_the_ui(make_claim, client):
    claim = make_claim(
        status=Status.PUBLISHED, language="ru", statement="Покровск взят."
    )
    html = client.get(f"/de{claim.get_absolute_url()}").content.decode()
    assert '<h1 class="claim__statement" lang="ru">Покровск взят.</h1>' in html
    assert '<html lang="de">' in html


def test_the_claims_language_is_named_in_the_readers_language(make_claim, client):
    claim = make_claim(status=Status.PUBLISHED, language="ru")
    make_claim(status=Status.PUBLISHED, language="uk")

    url = claim.get_absolute_url()
    german = client.get(f"/de{url}").content.decode()
    english = client.get(url).content.decode()
    listing = client.get("/de/").context["filter"].form

    assert "<dd>Russisch</dd>" in german
    assert "<dd>Russian</dd>" in english
    assert list(listing.fields["language"].choices)[1:] == [
        ("ru", "Russisch"),
        ("uk", "Ukrainisch"),
    ]


def test_admin_speaks_german_under_de(editor_client):
    html = editor_client.get("/de/admin/").content.decode()
    assert "Behauptungen" in html


def test_the_german_desk_has_no_english_left_from_django(make_claim, editor_client):
    """Django 6.1's German catalogues lack some of its new messages: the
    actions' "Run" button, the empty choice of every select and the
    date-time fields' time-zone note showed in English under /de/admin/."""
    make_claim()
    listing = editor_client.get("/de/admin/claims/claim/").content.decode()
    form = editor_client.get("/de/admin/claims/claim/add/").content.decode()
    script = editor_client.get("/de/admin/jsi18n/").content.decode()

    assert ">Ausführen</button>" in listing
    assert "- Select an option -" not in listing + form
    assert "- Bitte auswählen -" in form
    assert "Zeitzone %(timezone)s" in script


def test_every_message_is_translated_with_the_same_placeholders():
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{.*?\}\}|<[^>]+>")
    problems = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated: {ids[0]!r}")
            continue
        expected = sorted(placeholder.findall(ids[-1]))
        for string in strings:
            if sorted(placeholder.findall(string)) != expected:
                problems.append(f"placeholders differ: {ids[0]!r} -> {string!r}")
    assert problems == []
    assert len(catalog) > 200


def test_compiletranslations_needs_no_gettext(tmp_path):
    """The project's own command compiles the catalogue with Babel."""
    mo = CATALOGUE.with_suffix(".mo")
    result = subprocess.run(
        [sys.executable, "manage.py", "compiletranslations"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/nonexistent", "VAR_DIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr
    assert mo.stat().st_size > 1000


def project_files():
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_EXTRACTED]
        for name in files:
            yield Path(folder, name)


def marked_messages():
    """Every (msgid, context, where) marked for translation in templates and
    Python, extracted as `makemessages` does, without GNU gettext:

    1. templates go through Django's templatize, which turns the i18n tags into
       gettext calls; their indentation is dropped, because Python's tokenizer
       rejects the unbalanced indentation of HTML;
    2. both are then read by Babel's Python extractor with Django's keywords.
    """
    for path in sorted(project_files()):
        if "templates" in path.relative_to(ROOT).parts:
            code = templatize(path.read_text(), origin=str(path))
            code = "\n".join(line.lstrip() for line in code.splitlines())
        elif path.suffix == ".py":
            code = path.read_text()
        else:
            continue
        source = io.BytesIO(code.encode())
        for line, message, _, context in extract("python", source, KEYWORDS):
            msgid = message[0] if isinstance(message, tuple) else message
            yield msgid, context, f"{path.relative_to(ROOT)}:{line}"


def test_marked_messages_are_found_in_templates_and_python():
    found = {(msgid, where.split(":")[0]) for msgid, _, where in marked_messages()}
    assert ("More than %(count)s claims", "templates/claims/claim_list.html") in found
    assert ("Name of a person or body", "claims/filters.py") in found
    assert ("%(name)s claims", "templates/claims/claim_detail.html") in found


def test_every_marked_message_is_in_the_german_catalogue():
    with CATALOGUE.open("rb") as po:
        catalog = read_po(po)
    missing = []
    for msgid, context, where in marked_messages():
        entry = catalog.get(msgid, context)
        strings = entry and (
            entry.string if isinstance(entry.string, tuple) else (entry.string,)
        )
        if not entry or entry.fuzzy or not all(strings):
            missing.append(f"{where}: {msgid!r}")
    assert not missing, "translate these (`make messages` adds them):\n" + "\n".join(
        missing
    )


def test_the_german_desk_has_no_english_left_from_django_6(make_claim, editor_client):
    """More of Django 6's new messages that its German catalogues lack: the
    search box's and pagination's labels, the filters', the delete
    confirmation and the calendar's labels (seen walking /de/admin/)."""
    claim = make_claim()
    listing = editor_client.get("/de/admin/claims/claim/").content.decode()
    delete = editor_client.get(f"/de/admin/claims/claim/{claim.pk}/delete/")
    script = editor_client.get("/de/admin/jsi18n/").content.decode()

    assert "Search Behauptungen" not in listing
    assert "Behauptungen durchsuchen" in listing
    assert "Seitennavigation Behauptungen" in listing
    assert "Sind Sie sicher" in delete.content.decode() or delete.status_code == 403
    assert "Heute (%(date)s)" in script
    assert "%(day)s. %(month)s %(year)s" in script
