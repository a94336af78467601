"""German and English: the UI language, the switch, dates, and the catalogue."""

import re
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from claims.models import Claim

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale/de/LC_MESSAGES/django.po"
Status = Claim.Status


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
    assert (
        '<blockquote class="claim__statement" lang="ru">Покровск взят.</blockquote>'
        in html
    )
    assert '<html lang="de">' in html


def test_admin_speaks_german_under_de(editor_client):
    html = editor_client.get("/de/admin/").content.decode()
    assert "Behauptungen" in html


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
