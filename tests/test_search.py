"""Full-text search: German and English stemming, sources and archived text,
ranking, highlighting, hostile queries, and the SQLite fallback."""

import os
import threading
import time
import uuid
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from claims import search, services
from claims.filters import ClaimFilter
from claims.models import Capture, Claim, Rating, Source
from claims.paginators import CappedPaginator, SearchPaginator
from claims.search import MARK_START
from claims.views import listed_claims
from tests.capture_servers import Server, respond
from tests.conftest import add_source, manage_py, wait_for

ROOT = Path(__file__).resolve().parent.parent
Status = Claim.Status

pytestmark = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search needs PostgreSQL"
)


def found(client, query):
    response = client.get("/", {"q": query})
    assert response.status_code == 200
    return [claim.slug for claim in response.context["object_list"]]


@pytest.fixture
def seed_claims(make_claim):
    return {
        "rubio": make_claim(
            statement="Rubio ist der erste US-Außenminister seit mehr als 20 Jahren, "
            "der nicht am Treffen der Nato-Außenminister teilnimmt.",
            status=Status.PUBLISHED,
            language="de",
        ),
        "putin": make_claim(
            statement="„Wir haben nicht vor, mit Europa zu kämpfen.“",
            status=Status.PUBLISHED,
            language="de",
            summary="Eine Absichtserklärung lässt sich nicht prüfen.",
        ),
        "talks": make_claim(
            statement="Die Verhandlungen in Moskau dauerten fünf Stunden.",
            status=Status.PUBLISHED,
            language="de",
        ),
        "trump": make_claim(
            statement="Donald Trump would end the war within a day of taking office.",
            status=Status.PUBLISHED,
            language="en",
            summary="The war continued.",
        ),
        "draft": make_claim(
            statement="Außenminister im Entwurf", status=Status.DRAFT, language="de"
        ),
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Außenminister", ["rubio"]),
        ("außenminister", ["rubio"]),
        ("kämpfen", ["putin"]),
        ("Verhandlung", ["talks"]),  # German stemming: Verhandlungen
        ("Stunde", ["talks"]),
        ("ending wars", ["trump"]),  # English stemming
        ("prüfen", ["putin"]),  # in the summary
        ('"fünf Stunden"', ["talks"]),
        ("Moskau -Verhandlungen", []),
        ("Rubio or Trump", ["rubio", "trump"]),
    ],
)
def test_search_finds_words_in_their_language(seed_claims, client, query, expected):
    assert sorted(found(client, query)) == sorted(seed_claims[k].slug for k in expected)


def test_drafts_are_never_found(seed_claims, client):
    assert seed_claims["draft"].slug not in found(client, "Entwurf")


def test_search_covers_source_titles_quotes_and_archived_text(make_claim, client):
    by_quote = make_claim(status=Status.PUBLISHED)
    add_source(by_quote, quote="Gerassimow meldete die Einnahme von Wowtschansk.")
    by_title = make_claim(status=Status.PUBLISHED)
    add_source(by_title, title="Lagekarte des Instituts zur Erforschung des Kriegs")

    assert found(client, "Wowtschansk") == [by_quote.slug]
    assert found(client, "Lagekarte") == [by_title.slug]


def test_archived_text_becomes_searchable_once_captured(
    celery_worker, make_claim, client
):
    page = (
        "<html><title>Lage</title><body><article><p>Satellitenbilder zeigen "
        "Zerstörungen im Zentrum von Pokrowsk, berichten Analysten.</p>"
        "</article></body></html>"
    ).encode()
    claim = make_claim(status=Status.PUBLISHED)
    with Server({"/page": respond(page)}) as server:
        add_source(claim, url=server.url("/page"))
        assert found(client, "Satellitenbild") == []
        wait_for(lambda: found(client, "Satellitenbild") == [claim.slug], timeout=30)


def links_to(client, query, claim):
    """the search page, perhaps from the page cache, lists the claim"""
    html = client.get("/", {"q": query}).content.decode()
    return f'href="{claim.get_absolute_url()}"' in html


def test_a_cached_search_shows_the_match_once_the_worker_has_refreshed(
    celery_worker, settings, make_claim, client
):
    """As in production: a source's words become searchable when a worker
    rebuilds the vector SEARCH_REFRESH_DELAY later, and a search cached in
    between must not keep the old answer."""
    from claims import caching

    settings.SEARCH_REFRESH_DELAY = 1
    settings.PUBLIC_CACHE_SECONDS = 600
    settings.PUBLIC_DATA_CACHE_SECONDS = 600
    caching.invalidate_public_pages()
    claim = make_claim(status=Status.PUBLISHED)
    add_source(claim, quote="Gerassimow meldete die Einnahme von Wowtschansk.")

    assert not links_to(client, "Wowtschansk", claim)  # not yet, and now cached
    assert not links_to(client, "Wowtschansk", claim)

    wait_for(lambda: links_to(client, "Wowtschansk", claim), timeout=20)


def article(words):
    page = f"<html><title>Lage</title><body><article><p>{words}</p></article>"
    return f"{page}</body></html>".encode()


def vector_of(claim):
    return Claim.objects.values_list("search_vector", flat=True).get(pk=claim.pk) or ""


@pytest.fixture
def held_and_quick_sources(celery_worker, settings, make_claim):
    """A published claim with two sources on a loopback server: one archived
    at once, one whose page the server holds back until `release` is set."""
    settings.SEARCH_REFRESH_DELAY = 1
    settings.CAPTURE_READ_TIMEOUT = 30
    # Keys of its own: the next run's new test database gives its claims the
    # same ids, and a refresh of this one's may still hold their keys then.
    prefix = f"test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": prefix}}
    release = threading.Event()

    def held(handler):
        release.wait(30)
        respond(article("Gerassimow meldete die Einnahme."))(handler)

    claim = make_claim(status=Status.PUBLISHED)
    routes = {
        "/quick": respond(article("Satellitenbilder aus Wowtschansk.")),
        "/held": held,
    }
    with Server(routes) as server:
        quick = add_source(claim, url=server.url("/quick"))
        held = add_source(claim, url=server.url("/held"))
        wait_for(lambda: Source.objects.get(pk=quick.pk).cited_capture_id)
        yield claim, held.captures.get(), release
        release.set()


def test_a_refresh_waits_while_the_claims_sources_are_being_archived(
    settings, held_and_quick_sources
):
    """Each refresh re-stems the archived text of all the claim's sources: the
    one the first copy queues waits for the claim's other first copies rather
    than run now and again a moment later."""
    settings.SEARCH_REFRESH_MAX_WAIT = 60
    claim, held_capture, release = held_and_quick_sources

    time.sleep(3 * settings.SEARCH_REFRESH_DELAY)
    assert "'wowtschansk'" not in vector_of(claim)
    held_capture.refresh_from_db()
    assert held_capture.state == Capture.State.RUNNING

    release.set()
    wait_for(lambda: "'gerassimow'" in vector_of(claim))
    assert "'wowtschansk'" in vector_of(claim)


def test_a_refresh_waits_no_longer_than_its_limit(settings, held_and_quick_sources):
    settings.SEARCH_REFRESH_MAX_WAIT = 3
    claim, held_capture, release = held_and_quick_sources

    wait_for(lambda: "'wowtschansk'" in vector_of(claim), timeout=15)
    held_capture.refresh_from_db()
    assert held_capture.state == Capture.State.RUNNING


def test_a_queued_refresh_that_cannot_reach_redis_refreshes_at_once(
    settings, make_claim, caplog
):
    """Waiting needs Redis (the claim's key, the next task): without it the
    refresh is done now rather than lost."""
    settings.SEARCH_REFRESH_DELAY = 5  # queued, never run: the test never commits
    claim = make_claim(status=Status.PUBLISHED)
    add_source(claim, quote="Kupjansk ist eingekesselt.")  # its first copy is due
    assert search.archiving_first_copies([claim.pk]) == {claim.pk}
    settings.CACHES = {
        "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}
    }

    assert search.refresh_queued([claim.pk], 5) == [claim.pk]
    assert "'kupjansk'" in vector_of(claim)
    assert "Redis unreachable" in caplog.text


def test_results_are_ranked_statement_first(make_claim, client):
    in_archive_text = make_claim(status=Status.PUBLISHED, statement="Etwas anderes.")
    add_source(in_archive_text, publisher="Bericht über Wowtschansk")
    in_statement = make_claim(
        status=Status.PUBLISHED, statement="Wowtschansk ist eingenommen."
    )

    assert found(client, "Wowtschansk") == [in_statement.slug, in_archive_text.slug]


def test_matches_are_highlighted_and_text_escaped(make_claim, client):
    make_claim(
        status=Status.PUBLISHED,
        statement="<b>Pokrowsk</b> ist gefallen & <script>x()</script>",
    )

    snippet = snippet_of(client, "Pokrowsk")
    assert "<mark>Pokrowsk</mark>" in snippet
    assert "ist gefallen &amp;" in snippet
    assert "<script>" not in snippet and "<b>" not in snippet


def test_search_vectors_follow_edits(make_claim, client):
    claim = make_claim(status=Status.PUBLISHED, statement="Alter Wortlaut.")
    assert found(client, "Wortlaut") == [claim.slug]

    claim.statement = "Neue Formulierung."
    claim.save()
    source = add_source(claim, quote="Zitat über Charkiw")

    assert found(client, "Wortlaut") == []
    assert found(client, "Formulierung") == [claim.slug]
    assert found(client, "Charkiw") == [claim.slug]

    source.delete()
    assert found(client, "Charkiw") == []


def test_renaming_a_party_updates_the_claims_it_made(make_claim, make_party, client):
    party = make_party("Generalstab")
    claim = make_claim(status=Status.PUBLISHED, claimant=party)
    party.name = "Verteidigungsministerium"
    party.save()
    assert found(client, "Verteidigungsministerium") == [claim.slug]


def test_status_and_verdict_changes_leave_the_vector_alone(make_claim, make_party):
    """Only the statement, summary, claimant and language are in it: a rebuild
    for a reviewer's change would stem every source's archived text again."""
    claim = make_claim(status=Status.IN_REVIEW, statement="Kupjansk fiel.")
    reviewer = User.objects.get(username="workflow-robot")
    Claim.objects.filter(pk=claim.pk).update(search_vector=None)

    services.set_verdict(
        claim=claim,
        reviewer=reviewer,
        rating=Rating.objects.get(slug="false"),
        note="Nein.",
    )
    services.change_status(claim=claim, user=reviewer, status=Status.PUBLISHED)
    assert vector_of(claim) == ""

    claim.refresh_from_db()
    claim.summary = "Satellitenbilder widersprechen."
    claim.save()
    assert "'satellitenbild'" in vector_of(claim)

    Claim.objects.filter(pk=claim.pk).update(search_vector=None)
    claim.claimant = make_party("Generalstab")
    claim.save()
    assert "'generalstab'" in vector_of(claim)

    Claim.objects.filter(pk=claim.pk).update(search_vector=None)
    claim.language = "en"
    claim.save()
    assert "'kupjansk'" in vector_of(claim)


def test_only_a_new_name_rebuilds_the_claims_of_a_party(make_claim, make_party):
    party = make_party("Generalstab")
    claim = make_claim(status=Status.PUBLISHED, claimant=party)
    Claim.objects.filter(pk=claim.pk).update(search_vector=None)

    party.description = "Spricht für die Streitkräfte."
    party.save()
    assert vector_of(claim) == ""  # not rebuilt: the name is all a vector holds

    party.name = "Verteidigungsministerium"
    party.save()
    assert "'verteidigungsministerium'" in vector_of(claim)


def test_a_renamed_partys_claims_are_rebuilt_in_background_batches(
    celery_worker, settings, make_claim, make_party
):
    """In the worker, after the rename commits: not in the editor's request."""
    settings.SEARCH_REFRESH_DELAY = 1
    settings.SEARCH_REFRESH_BATCH = 2
    party = make_party("Generalstab")
    claims = [make_claim(status=Status.PUBLISHED, claimant=party) for _ in range(3)]
    other = make_claim(status=Status.PUBLISHED)

    party.name = "Verteidigungsministerium"
    party.save()
    assert "'verteidigungsministerium'" not in vector_of(claims[0])

    def all_renamed():
        """the three claims' vectors hold the new name"""
        return all("'verteidigungsministerium'" in vector_of(c) for c in claims)

    wait_for(all_renamed, timeout=15)
    assert "'verteidigungsministerium'" not in vector_of(other)


@pytest.mark.parametrize(
    "query",
    [
        "'\"&|!:*()<>\\%_",
        "Pokrowsk & | !",
        "a:*",
        "(((",
        '"',
        "-",
        "or or or",
        "\x00",
        "Ünïcödé ✓ 🕊️",
    ],
)
def test_query_syntax_never_raises(seed_claims, client, query):
    response = client.get("/", {"q": query})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("-" * 40, []),
        ("Moskau " + "- " * 40, ["talks"]),
        ("Moskau " + "-" * 40 + "Verhandlungen", ["talks"]),
        ("Moskau " + "-" * 41 + "Verhandlungen", []),
        ("Moskau " + "-!" * 41 + "Verhandlungen", []),
        ('"Moskau"' + "-(" * 40 + "Verhandlungen", ["talks"]),
    ],
)
def test_a_line_of_dashes_means_what_fewer_would(seed_claims, client, query, expected):
    """PostgreSQL refuses more than 32 nested negations, and a pasted line
    of dashes is that many; two negations cancel out."""
    assert found(client, query) == [seed_claims[k].slug for k in expected]


def test_ten_kilobyte_query_gets_a_normal_page(seed_claims, client):
    response = client.get("/", {"q": "Pokrowsk " * 1200})
    assert response.status_code == 200
    assert "at most 200 characters" in response.content.decode()


SQLITE_QUERIES = {
    "Außenminister": ["rubio-erstmals-seit-20-jahren-nicht-beim-nato-treffen"],
    "Verhandlungen Moskau": ["verhandlungen-dauerten-fuenf-stunden"],
    '"drei Stunden" -Witkoff': ["putin-drei-stunden-zu-spaet"],
}


def test_sqlite_fallback_search_works(tmp_path):
    """Embedded mode has no full-text search; substring search of each word
    still works."""
    env = {**os.environ, "VAR_DIR": str(tmp_path), "DEBUG": "true"}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    script = (
        "from django.test import Client;"
        "from django.test.utils import setup_test_environment;"
        "setup_test_environment(); c = Client()\n"
        f"for q in {list(SQLITE_QUERIES)!r}:\n"
        "    r = c.get('/', {'q': q})\n"
        "    print('found', r.status_code, [x.slug for x in r.context['object_list']])"
    )
    manage_py(env, "migrate", "-v0")
    manage_py(env, "loaddemo")
    result = manage_py(env, "shell", "-c", script)
    found = [line for line in result.stdout.splitlines() if line.startswith("found")]
    assert found == [f"found 200 {slugs}" for slugs in SQLITE_QUERIES.values()]


def test_each_languages_branch_of_a_search_is_one_index_condition(
    make_claim, seed_claims
):
    """German, English and (unstemmed) Ukrainian claims: every branch is
    answered by the index with its language, so no match's vector is read
    again to check it (a TOAST read per match with the vector alone indexed)."""
    from claims import search

    make_claim(status=Status.PUBLISHED, language="uk", statement="Війна триває.")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        plan = Claim.objects.filter(search.matches("Außenminister")).explain()
        cursor.execute("SET enable_seqscan = on")
    index_conditions = [line for line in plan.splitlines() if "Index Cond" in line]
    assert len(index_conditions) == 3, plan
    for language in ("de", "en", "uk"):
        assert any(f"'{language}'" in line for line in index_conditions), plan
    assert f"Bitmap Index Scan on {search.INDEX}" in plan
    rechecked = [line for line in plan.splitlines() if "Filter:" in line]
    assert not any("search_vector" in line for line in rechecked), plan


def test_the_search_index_keeps_no_pending_list(db):
    """Words of changed claims go straight into the index: a pending list
    would be read through by every search until VACUUM merges it."""
    from claims import search

    assert "fastupdate=off" in index_options(search.INDEX)


def test_a_large_synthetic_load_rebuilds_the_search_index_as_migrated(db):
    from claims import search, synthetic

    migrated = index_options(search.INDEX)
    with synthetic.search_index_rebuilt_after(10 * synthetic.BATCH):
        assert index_options(search.INDEX) is None
    assert index_options(search.INDEX) == migrated


def index_options(name):
    """The index's storage options ([] for the defaults), None if there is no
    such index."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [name])
        row = cursor.fetchone()
    return (row[0] or []) if row else None


def test_source_sets_are_kept_with_stance(seed_claims):
    # guards the fixture: sources on other claims don't leak into the vector
    assert not Source.objects.exists()


def test_russian_is_stemmed_and_ukrainian_matched_word_for_word(make_claim, client):
    russian = make_claim(
        statement="Российские войска взяли Покровск.",
        status=Status.PUBLISHED,
        language="ru",
    )
    ukrainian = make_claim(
        statement="Сили оборони утримують Покровськ.",
        status=Status.PUBLISHED,
        language="uk",
    )
    # PostgreSQL's Russian stemmer takes the genitive to the same stem.
    assert found(client, "Покровска") == [russian.slug]
    # Ukrainian has no stemmer: "simple" matches the word as written only.
    assert found(client, "Покровськ") == [ukrainian.slug]
    assert found(client, "Покровська") == []


def snippet_of(client, query):
    html = client.get("/", {"q": query}).content.decode()
    if 'class="claim-card__snippet' not in html:
        return None
    snippet = html[html.index('class="claim-card__snippet') :]
    return snippet[: snippet.index("</p>")]


def test_matches_in_sources_and_claimant_are_marked_in_the_snippet(
    make_claim, make_party, client
):
    claim = make_claim(
        status=Status.PUBLISHED,
        statement="Etwas ganz anderes.",
        claimant=make_party(name="Dmitri Peskow"),
    )
    add_source(claim, quote="Die Stadt Myrnohrad ist <b>umstellt</b>.")

    snippet = snippet_of(client, "Myrnohrad")
    assert "Stadt <mark>Myrnohrad</mark> ist" in snippet
    assert "<b>" not in snippet
    assert "<mark>Peskow</mark>" in snippet_of(client, "Peskow")


def with_archived_copy(claim, text):
    """Give the claim a source whose cited copy holds `text`, and reindex."""
    source = add_source(claim)
    copy = source.captures.get()
    Capture.objects.filter(pk=copy.pk).update(state=Capture.State.SUCCEEDED, text=text)
    Source.objects.filter(pk=source.pk).update(cited_capture=copy)
    search.refresh([claim.pk])


def test_a_match_only_in_archived_text_says_so(make_claim, client):
    claim = make_claim(status=Status.PUBLISHED, statement="Etwas ganz anderes.")
    with_archived_copy(claim, "Im Archiv steht Kurachowe.")

    assert found(client, "Kurachowe") == [claim.slug]
    snippet = snippet_of(client, "Kurachowe")
    assert "Found in the archived copy of a cited source." in snippet
    assert "Etwas ganz anderes" not in snippet


def test_a_query_that_only_excludes_words_has_no_snippet(make_claim, client):
    make_claim(status=Status.PUBLISHED, statement="Pokrowsk ist gefallen.")

    assert found(client, "-Kurachowe") != []
    assert snippet_of(client, "-Kurachowe") is None
    assert search.wants_words('Pokrowsk -"Kurachowe Stadt"')
    assert not search.wants_words('-Pokrowsk -"Kurachowe Stadt" or')


def test_a_stop_word_beside_an_exclusion_is_not_taken_for_archived_text(
    make_claim, client
):
    """ "der -Kurachowe" asks for no word PostgreSQL keeps ("der" is a German
    stop word): the match is every claim without Kurachowe, archived text or
    not, and the list must not say the words were found in an archived copy."""
    claim = make_claim(status=Status.PUBLISHED, statement="Pokrowsk ist gefallen.")
    with_archived_copy(claim, "Im Archiv steht Myrnohrad.")

    assert found(client, "der -Kurachowe") == [claim.slug]
    assert snippet_of(client, "der -Kurachowe") is None
    assert "Found in the archived copy" in snippet_of(client, "der Myrnohrad")


def test_snippets_are_stemmed_in_each_claims_language(make_claim, client):
    make_claim(status=Status.PUBLISHED, language="de", statement="Die Kriege enden.")
    make_claim(status=Status.PUBLISHED, language="en", statement="The wars ended.")
    make_claim(status=Status.PUBLISHED, language="uk", statement="Війна триває.")

    assert "<mark>wars</mark>" in snippet_of(client, "war")  # English stemming
    assert "<mark>Kriege</mark>" in snippet_of(client, "Krieg")  # German stemming
    assert "<mark>Війна</mark>" in snippet_of(client, "Війна")  # word for word


def test_a_search_is_counted_and_paged_from_one_query_of_ranked_ids(
    make_claim, client, monkeypatch, django_assert_num_queries
):
    """The list's search results come from one query for the first `cap` + 1
    ids in their order, which gives the count and every page; a page then
    fetches its rows by id. The pages must be those that one query gives, in
    order, with their snippets, claimants and verdicts, and no draft."""
    for number in range(7):
        # Ranked by how often the word is in the statement, then by verdict.
        make_claim(
            status=Status.PUBLISHED,
            statement="Wuhledar " * (number % 3 + 1) + f"Meldung {number}.",
        )
    make_claim(status=Status.DRAFT, statement="Wuhledar Wuhledar Wuhledar Entwurf.")

    def searched():
        return ClaimFilter({"q": "Wuhledar"}, queryset=listed_claims()).qs

    in_one_query = [claim.slug for claim in searched()]
    assert len(in_one_query) == 7

    whole = CappedPaginator(searched(), 3)
    with django_assert_num_queries(1):
        assert (whole.count, whole.capped, whole.num_pages) == (7, False, 3)
    assert [len(whole.page(number)) for number in whole.page_range] == [3, 3, 1]

    monkeypatch.setattr(CappedPaginator, "cap", 5)
    paginator = CappedPaginator(searched(), 2)
    with django_assert_num_queries(1):  # the ranked ids, once for every page
        assert paginator.capped and paginator.count == 5
        assert paginator.num_pages == 3
    pages = []
    for number in paginator.page_range:
        with django_assert_num_queries(2):  # rows, their topics
            claims = list(paginator.page(number).object_list)
        with django_assert_num_queries(0):
            assert all(claim.claimant.name and claim.rating.label for claim in claims)
        assert all(MARK_START + "Wuhledar" in claim.snippet for claim in claims)
        pages += [claim.slug for claim in claims]
    assert pages == in_one_query[:5]
    assert found(client, "Wuhledar") == in_one_query[:5]
    assert "More than 5 claims" in client.get("/", {"q": "Wuhledar"}).text
    assert paginator.get_page(99).number == 3

    # The API counts every match, and pages them in two steps too.
    monkeypatch.setattr(SearchPaginator, "many", 5)
    with CaptureQueriesContext(connection) as queries:
        answer = client.get("/api/claims/", {"q": "Wuhledar"}).json()
    assert answer["count"] == 7
    assert [claim["slug"] for claim in answer["results"]] == in_one_query
    ids_only = 'SELECT "claims_claim"."id" AS "pk" FROM "claims_claim" WHERE'
    assert any(query["sql"].startswith(ids_only) for query in queries)


def test_one_refresh_stems_each_claim_in_its_own_language(make_claim):
    claims = [
        make_claim(status=Status.PUBLISHED, language="de", statement="Die Kriege."),
        make_claim(status=Status.PUBLISHED, language="en", statement="The wars."),
        make_claim(status=Status.PUBLISHED, language="uk", statement="Війни."),
    ]
    ids = [claim.pk for claim in claims]
    Claim.objects.filter(pk__in=ids).update(search_vector=None, rank_vector=None)

    search.refresh(ids)

    vectors = Claim.objects.filter(pk__in=ids).in_bulk()
    german, english, ukrainian = (vectors[pk] for pk in ids)
    assert "'krieg':2A" in german.rank_vector and "'krieg'" in german.search_vector
    assert "'war':2A" in english.rank_vector
    assert "'війни':1A" in ukrainian.rank_vector  # word for word


def number_table(start, characters):
    """Text that stems to as many words as it can: distinct numbers."""
    return " ".join(f"{n:06d}" for n in range(start, start + characters // 7))


def test_a_claim_whose_words_outgrow_a_search_vector_stays_searchable(
    make_claim, client, caplog
):
    """A tsvector holds 1 MB. Twenty archived tables of numbers stem to more:
    the refresh failed, and so did every later edit of the claim's text."""
    claim = make_claim(status=Status.PUBLISHED, statement="Die Zahlentabellen.")
    other = make_claim(status=Status.PUBLISHED, statement="Daneben Zahlentabellen.")
    for index in range(20):
        table = number_table(index * 20_000, 100_000)
        with_archived_copy(claim, f"Tabellenkopf{index} {table}")

    claim.statement = "Die Zahlentabellen der Heeresleitung."
    claim.save()
    search.refresh([claim.pk, other.pk])

    assert set(found(client, "Zahlentabellen")) == {claim.slug, other.slug}
    assert found(client, "Heeresleitung") == [claim.slug]
    assert found(client, "Tabellenkopf7") == [claim.slug]  # each copy's start
    assert "the first 10000 characters of each archived copy" in caplog.text


def test_a_huge_statement_or_quote_is_saved_and_searchable(make_claim, client):
    claim = make_claim(
        status=Status.PUBLISHED, statement="Riesenaussage " + number_table(0, 1_200_000)
    )
    add_source(claim, quote="Riesenzitat " + number_table(500_000, 1_200_000))

    claim.summary = "Neu begründet."
    claim.save()

    assert found(client, "Riesenaussage") == [claim.slug]
    assert found(client, "Riesenzitat") == [claim.slug]
    assert found(client, "begründet") == [claim.slug]
