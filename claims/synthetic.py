"""
Synthetic published claims for benchmarks: `manage.py loaddemo --synthetic N`.

Each claim has 3 to 30 sources with archived text, topics, and a verdict
history of one to three entries, in German or English. A claim is about a
place, a person and a subject drawn from wide lists, the first entries far
more often than the rest, so that words are as unevenly common as in a real
archive. Rows go in with bulk inserts, a batch at a time, and the
search vectors of each batch are built with one UPDATE.
"""

import contextlib
import datetime
import hashlib
import random

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import caching, search
from .models import Capture, Claim, Party, Rating, Source, Topic, VerdictChange

BATCH = 1000

# Entities a desk writes about, many and unevenly common (see `story`): a real
# archive's vocabulary is wide, so most searches match a small share of it.
PLACES = [
    "Pokrowsk",
    "Wowtschansk",
    "Charkiw",
    "Donezk",
    "Kupjansk",
    "Bachmut",
    "Awdijiwka",
    "Saporischschja",
    "Cherson",
    "Kramatorsk",
    "Slowjansk",
    "Sumy",
    "Odessa",
    "Mykolajiw",
    "Dnipro",
    "Poltawa",
    "Tschernihiw",
    "Schytomyr",
    "Lwiw",
    "Riwne",
    "Luzk",
    "Uschhorod",
    "Iwano-Frankiwsk",
    "Ternopil",
    "Winnyzja",
    "Tscherkassy",
    "Kropywnyzkyj",
    "Krywyj",
    "Rih",
    "Nikopol",
    "Enerhodar",
    "Melitopol",
    "Berdjansk",
    "Mariupol",
    "Wuhledar",
    "Torezk",
    "Tschassiw",
    "Jar",
    "Siwersk",
    "Lyman",
    "Isjum",
    "Balaklija",
    "Kurachowe",
    "Selydowe",
    "Myrnohrad",
    "Kostjantyniwka",
    "Druschkiwka",
    "Belgorod",
    "Kursk",
    "Brjansk",
    "Rostow",
    "Krasnodar",
    "Sewastopol",
    "Jalta",
    "Kertsch",
    "Simferopol",
    "Moskau",
    "Sankt",
    "Petersburg",
    "Minsk",
    "Warschau",
    "Berlin",
    "Hamburg",
    "München",
    "Köln",
    "Frankfurt",
    "Stuttgart",
    "Leipzig",
    "Dresden",
    "Hannover",
    "Bremen",
    "Nürnberg",
    "Essen",
    "Dortmund",
    "Düsseldorf",
    "Wien",
    "Zürich",
    "Brüssel",
    "Paris",
    "London",
    "Madrid",
    "Rom",
    "Mailand",
    "Lissabon",
    "Stockholm",
    "Oslo",
    "Helsinki",
    "Kopenhagen",
    "Tallinn",
    "Riga",
    "Vilnius",
    "Prag",
    "Budapest",
    "Bukarest",
    "Sofia",
    "Belgrad",
    "Zagreb",
    "Ljubljana",
    "Athen",
    "Ankara",
    "Istanbul",
    "Washington",
    "Genf",
    "Miami",
    "Peking",
    "Neu-Delhi",
    "Brasília",
    "Tokio",
    "Seoul",
    "Teheran",
    "Riad",
    "Doha",
    "Kairo",
    "Nairobi",
    "Lagos",
    "Pretoria",
]
FIRST_NAMES = [
    "Anna",
    "Boris",
    "Clara",
    "Dmitri",
    "Elena",
    "Felix",
    "Greta",
    "Hanna",
    "Igor",
    "Julia",
    "Kirill",
    "Lena",
    "Marco",
    "Natalia",
    "Oleg",
    "Petra",
    "Ruslan",
    "Sofia",
    "Taras",
    "Ursula",
    "Viktor",
    "Wolfgang",
    "Xenia",
    "Yulia",
    "Zoran",
    "Andrzej",
    "Beate",
    "Carsten",
    "Daria",
    "Emil",
    "Friedrich",
    "Gabriele",
    "Heinrich",
    "Ines",
    "Jakob",
    "Katarina",
]
LAST_NAMES = [
    "Petrenko",
    "Iwanow",
    "Schmidt",
    "Kowalenko",
    "Meyer",
    "Sokolow",
    "Fischer",
    "Bondarenko",
    "Wagner",
    "Popow",
    "Becker",
    "Tkatschenko",
    "Hoffmann",
    "Morosow",
    "Schulz",
    "Melnyk",
    "Koch",
    "Wolkow",
    "Richter",
    "Krawtschuk",
    "Klein",
    "Lebedew",
    "Wolf",
    "Schewtschenko",
    "Neumann",
    "Kusnezow",
    "Schwarz",
    "Lysenko",
    "Braun",
    "Orlow",
    "Zimmermann",
    "Rudenko",
    "Hartmann",
    "Nowikow",
    "Krüger",
    "Marchenko",
    "Lange",
    "Fedorow",
    "Werner",
    "Sydorenko",
]
SUBJECTS_DE = [
    "Getreideexport",
    "Gaspreise",
    "Stromnetz",
    "Munitionslieferung",
    "Flugabwehr",
    "Waffenruhe",
    "Gefangenenaustausch",
    "Evakuierung",
    "Wiederaufbau",
    "Sanktionen",
    "Ölpreisdeckel",
    "Haushalt",
    "Inflation",
    "Mindestlohn",
    "Rentenreform",
    "Heizkosten",
    "Impfstoff",
    "Klinikreform",
    "Migration",
    "Asylanträge",
    "Grenzkontrollen",
    "Wahlbeteiligung",
    "Briefwahl",
    "Koalitionsvertrag",
    "Schuldenbremse",
    "Bürgergeld",
    "Kindergrundsicherung",
    "Wärmepumpe",
    "Atomkraftwerk",
    "Kohleausstieg",
    "Windkraft",
    "Solarförderung",
    "Tempolimit",
    "Deutschlandticket",
    "Bahnstreik",
    "Lieferketten",
    "Chipfabrik",
    "Rüstungsexporte",
    "Bundeswehr",
    "Wehrpflicht",
    "Cyberangriff",
    "Desinformation",
    "Deepfake",
    "Wahlkampfspenden",
    "Lobbyregister",
    "Pressefreiheit",
    "Demonstration",
    "Hochwasser",
    "Dürre",
    "Waldbrand",
    "Ernteausfall",
    "Trinkwasser",
    "Pflegenotstand",
    "Lehrermangel",
    "Wohnungsbau",
    "Mietpreisbremse",
]
SUBJECTS_EN = [
    "grain exports",
    "gas prices",
    "the power grid",
    "ammunition deliveries",
    "air defence",
    "the ceasefire",
    "the prisoner exchange",
    "the evacuation",
    "reconstruction",
    "sanctions",
    "the oil price cap",
    "the budget",
    "inflation",
    "the minimum wage",
    "pension reform",
    "heating costs",
    "the vaccine",
    "hospital reform",
    "migration",
    "asylum applications",
    "border controls",
    "turnout",
    "postal voting",
    "the coalition deal",
    "the debt brake",
    "heat pumps",
    "the nuclear plant",
    "the coal exit",
    "wind power",
    "solar subsidies",
    "the speed limit",
    "the rail strike",
    "supply chains",
    "the chip factory",
    "arms exports",
    "conscription",
    "the cyberattack",
    "disinformation",
    "the deepfake",
    "campaign donations",
    "press freedom",
    "the protest",
    "flooding",
    "the drought",
    "the wildfire",
    "the harvest",
    "drinking water",
    "care workers",
    "the teacher shortage",
    "housing",
]
GERMAN = [
    "{person} sagt, {place} sei vollständig unter Kontrolle.",
    "In {place} sind seit Montag mehr als {n}000 Menschen ohne Strom.",
    "Die Regierung hat für {subject} {n} Milliarden Euro bereitgestellt.",
    "{person} behauptet, die {subject} seien um {n} Prozent gestiegen.",
    "Laut {person} wurde die {subject} in {place} gestoppt.",
    "{subject}: In {place} hat sich die Lage seit {n} Tagen nicht verändert.",
    "{person} war nach eigenen Angaben nie in {place}.",
    "Die Zahl der Fälle von {subject} hat sich in {n} Jahren verdoppelt.",
    "Ein Video zeigt angeblich {subject} in {place}.",
    "{person} hat angekündigt, die {subject} binnen {n} Monaten zu beenden.",
]
ENGLISH = [
    "{person} says {place} is fully under control.",
    "More than {n},000 people in {place} have been without power since Monday.",
    "The government has set aside {n} billion euros for {subject}.",
    "{person} claims {subject} rose by {n} percent.",
    "According to {person}, {subject} in {place} has been halted.",
    "{subject}: the situation in {place} has not changed for {n} days.",
    "{person} says they have never been to {place}.",
    "Cases of {subject} have doubled in {n} years.",
    "A video allegedly shows {subject} in {place}.",
    "{person} promised to end {subject} within {n} months.",
]
REPORT_GERMAN = [
    "Nach Angaben von {person} ist die Lage in {place} angespannt.",
    "Unabhängige Beobachter bestreiten diese Darstellung zur {subject}.",
    "Satellitenbilder aus {place} lassen keine eindeutigen Schlüsse zu.",
    "{person} sagte, man werde die Zahlen zur {subject} prüfen lassen.",
    "Die Behörden in {place} nannten keine Quelle für die Angaben.",
    "Fachleute halten die Zahl von {n} Prozent für übertrieben.",
    "Das Ministerium verwies auf einen Bericht aus dem Jahr 20{n}.",
]
REPORT_ENGLISH = [
    "According to {person}, the situation in {place} is tense.",
    "Independent observers dispute this account of {subject}.",
    "Satellite images from {place} are not conclusive.",
    "{person} said the figures on {subject} would be checked.",
    "Officials in {place} did not name a source for the figures.",
    "Experts consider the figure of {n} percent exaggerated.",
    "The ministry referred to a report from 20{n}.",
]
PUBLISHERS = [
    "Reuters",
    "dpa",
    "AFP",
    "AP",
    "Kyiv Independent",
    "TASS",
    "ISW",
    "BBC",
    "Deutsche Welle",
    "Der Spiegel",
    "Süddeutsche Zeitung",
    "FAZ",
    "taz",
    "Meduza",
    "Ukrainska Pravda",
    "Le Monde",
    "The Guardian",
    "NZZ",
    "ORF",
]


def zipf_choice(rng, items):
    """Pick from `items`, the first ones more often, as in real news: with
    weights 1 / (rank + 10), the most common place turns up in about 4 % of
    claims and the rarest in about 0.2 %."""
    weights = [1 / (rank + 10) for rank in range(len(items))]
    return rng.choices(items, weights=weights)[0]


def story(rng, language):
    """What one claim is about: a place, a person and a subject."""
    subjects = SUBJECTS_DE if language == "de" else SUBJECTS_EN
    person = f"{rng.choice(FIRST_NAMES)} {zipf_choice(rng, LAST_NAMES)}"
    return {
        "place": zipf_choice(rng, PLACES),
        "person": person,
        "subject": zipf_choice(rng, subjects),
    }


def fill(template, rng, about):
    return template.format(n=rng.randint(2, 95), **about)


def load_synthetic(count, *, seed=1, progress=None):
    """Add `count` published claims; return the number created."""
    rng = random.Random(seed)
    ratings = list(Rating.objects.all())
    topics = [
        Topic.objects.get_or_create(
            slug=f"synthetic-{n}", defaults={"name": f"Thema {n}"}
        )[0]
        for n in range(20)
    ]
    parties = ensure_parties(rng)
    start = Claim.objects.filter(slug__startswith="synthetic-").count()
    with search_index_rebuilt_after(count):
        for first in range(start, start + count, BATCH):
            size = min(BATCH, start + count - first)
            with transaction.atomic():
                claims = insert_batch(first, size, rng, ratings, topics, parties)
                search.refresh([claim.pk for claim in claims])
            if progress:
                progress(first + size - start)
    caching.invalidate_public_pages()
    return count


@contextlib.contextmanager
def search_index_rebuilt_after(count):
    """For a large load, drop the GIN index and build it once at the end: that
    is several times faster than updating it batch by batch."""
    if connection.vendor != "postgresql" or count < 10 * BATCH:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"DROP INDEX IF EXISTS {search.INDEX}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(search.INDEX_DEFINITION)


def ensure_parties(rng):
    existing = list(Party.objects.filter(slug__startswith="synthetic-"))
    if existing:
        return existing
    kinds = [Party.Kind.PERSON, Party.Kind.ORGANISATION]
    return Party.objects.bulk_create(
        Party(
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            if n % 2
            else f"Ministerium {n}",
            slug=f"synthetic-{n}",
            kind=kinds[n % 2],
        )
        for n in range(500)
    )


def insert_batch(first, size, rng, ratings, topics, parties):
    now = timezone.now()
    claims = []
    for number in range(first, first + size):
        german = rng.random() < 0.6
        about = story(rng, "de" if german else "en")
        verdict_at = now - datetime.timedelta(
            minutes=rng.randint(60, 3 * 365 * 24 * 60)
        )
        claim = Claim(
            statement=fill(rng.choice(GERMAN if german else ENGLISH), rng, about),
            slug=f"synthetic-{number}",
            language="de" if german else "en",
            claimant=rng.choice(parties),
            first_made_on=(
                verdict_at - datetime.timedelta(days=rng.randint(0, 30))
            ).date(),
            summary=" ".join(
                fill(t, rng, about)
                for t in rng.sample(REPORT_GERMAN if german else REPORT_ENGLISH, 2)
            ),
            status=Claim.Status.PUBLISHED,
            rating=rng.choice(ratings),
            verdict_at=verdict_at,
            submitted_at=verdict_at - datetime.timedelta(hours=2),
            published_at=verdict_at - datetime.timedelta(hours=1),
        )
        claim.about = about  # its sources write about the same things
        claims.append(claim)
    claims = Claim.objects.bulk_create(claims)
    Claim.topics.through.objects.bulk_create(
        Claim.topics.through(claim_id=claim.pk, topic_id=topic.pk)
        for claim in claims
        for topic in rng.sample(topics, rng.randint(1, 3))
    )
    insert_history(claims, rng, ratings)
    insert_sources(claims, rng, parties)
    return claims


def insert_history(claims, rng, ratings):
    """Verdicts half an hour apart, the last the claim's: all given from its
    publication on, an hour before the last, so the public saw every one."""
    changes = []
    for claim in claims:
        steps = rng.randint(1, 3)
        previous = None
        for step in range(steps):
            rating = claim.rating if step == steps - 1 else rng.choice(ratings)
            changed_at = claim.verdict_at - datetime.timedelta(
                minutes=30 * (steps - 1 - step)
            )
            changes.append(
                VerdictChange(
                    claim=claim,
                    previous_rating=previous,
                    rating=rating,
                    note="Neue Belege." if claim.language == "de" else "New evidence.",
                    changed_at=changed_at,
                    published_at=changed_at,
                )
            )
            previous = rating
    VerdictChange.objects.bulk_create(changes)


def insert_sources(claims, rng, parties):
    stances = list(Source.Stance)
    sources = [
        Source(
            claim=claim,
            url=f"https://news.example.org/{claim.slug}/{n}",
            party=rng.choice(parties),
            stance=rng.choice(stances),
            publisher=rng.choice(PUBLISHERS),
            published_on=claim.first_made_on,
            title=fill(
                rng.choice(GERMAN if claim.language == "de" else ENGLISH),
                rng,
                claim.about,
            ),
            quote=fill(
                rng.choice(REPORT_GERMAN if claim.language == "de" else REPORT_ENGLISH),
                rng,
                claim.about,
            ),
        )
        for claim in claims
        for n in range(rng.randint(3, 30))
    ]
    sources = Source.objects.bulk_create(sources, batch_size=5000)
    captures = []
    for source in sources:
        claim = source.claim
        pool = REPORT_GERMAN if claim.language == "de" else REPORT_ENGLISH
        text = " ".join(fill(t, rng, claim.about) for t in rng.sample(pool, 4))
        captures.append(
            Capture(
                source=source,
                url=source.url,
                kind=Capture.Kind.CITED,
                state=Capture.State.SUCCEEDED,
                attempts=1,
                final_url=source.url,
                http_status=200,
                content_type="text/html; charset=utf-8",
                fetch_started_at=source.claim.published_at,
                finished_at=source.claim.published_at,
                payload_sha256=hashlib.sha256(text.encode()).hexdigest(),
                payload_size=len(text),
                title=source.title,
                text=text,
                change=Capture.Change.FIRST,
            )
        )
    Capture.objects.bulk_create(captures, batch_size=5000)
    point_sources_at_captures([claim.pk for claim in claims])


def point_sources_at_captures(claim_ids):
    if connection.vendor != "postgresql":
        cited = Capture.objects.filter(source=OuterRef("pk")).values("pk")[:1]
        Source.objects.filter(claim_id__in=claim_ids).update(
            cited_capture=Subquery(cited), latest_capture=Subquery(cited)
        )
        return
    # One joined UPDATE; the ORM's per-row subquery takes several times longer.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_source SET cited_capture_id = claims_capture.id,"
            " latest_capture_id = claims_capture.id FROM claims_capture"
            " WHERE claims_capture.source_id = claims_source.id"
            " AND claims_source.claim_id = ANY(%s)",
            [claim_ids],
        )
