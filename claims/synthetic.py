"""
Synthetic published claims for benchmarks: `manage.py loaddemo --synthetic N`.

Each claim has 3 to 30 sources with archived text, topics, and a verdict
history of one to three entries, in German or English, built from the seed
article's vocabulary. Rows go in with bulk inserts, a batch at a time, and the
search vectors of each batch are built with one UPDATE.
"""

import datetime
import hashlib
import random

from django.db import connection, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from . import caching, search
from .models import Capture, Claim, Party, Rating, Source, Topic, VerdictChange

BATCH = 1000

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
]
PEOPLE = [
    "Gerassimow",
    "Peskow",
    "Putin",
    "Selenskyj",
    "Rubio",
    "Witkoff",
    "Kushner",
    "Dmitrijew",
    "Uschakow",
    "Rutte",
    "Wadephul",
    "Trump",
]
GERMAN = [
    "Russische Truppen haben {place} eingenommen.",
    "Die Verhandlungen in {city} dauerten {n} Stunden.",
    "{person} kam {n} Stunden zu spät zu den Gesprächen.",
    "Die Ukraine hat in {place} keine Gebiete verloren.",
    "{person} reiste in diesem Jahr zum {n}. Mal nach Russland.",
    "Der Friedensplan sieht vor, dass die Ukraine {place} abtritt.",
    "Kein Außenminister der USA hat seit {n} Jahren ein Nato-Treffen verpasst.",
    "Die Sicherheitsgarantien für die Ukraine sind verbindlich.",
]
ENGLISH = [
    "Russian forces have captured {place}.",
    "The talks in {city} lasted {n} hours.",
    "{person} arrived {n} hours late to the negotiations.",
    "Ukraine has lost no territory near {place}.",
    "{person} has travelled to Russia {n} times this year.",
    "The peace plan requires Ukraine to give up {place}.",
    "No US secretary of state has missed a NATO meeting in {n} years.",
    "The security guarantees for Ukraine are binding.",
]
CITIES = ["Moskau", "Genf", "Miami", "Washington", "Berlin", "Brüssel", "Kiew"]
REPORT_GERMAN = [
    "Nach Angaben des Generalstabs dauern die Kämpfe um {place} an.",
    "Unabhängige Beobachter wie das ISW bestreiten diese Darstellung.",
    "Satellitenbilder zeigen Zerstörungen im Zentrum von {place}.",
    "{person} sagte, man sei zu Verhandlungen bereit.",
    "Militärblogger berichten von schweren Verlusten bei {place}.",
    "Die Regierung in Kiew spricht von gezielter Desinformation.",
    "Die Gespräche sollen in der kommenden Woche fortgesetzt werden.",
]
REPORT_ENGLISH = [
    "According to the general staff, fighting around {place} continues.",
    "Independent observers such as the ISW dispute this account.",
    "Satellite images show destruction in the centre of {place}.",
    "{person} said the side was ready to negotiate.",
    "Military bloggers report heavy losses near {place}.",
    "Officials in Kyiv call it deliberate disinformation.",
    "The talks are expected to resume next week.",
]
PUBLISHERS = ["Reuters", "dpa", "AFP", "Kyiv Independent", "TASS", "ISW", "BBC"]


def fill(template, rng):
    return template.format(
        place=rng.choice(PLACES),
        city=rng.choice(CITIES),
        person=rng.choice(PEOPLE),
        n=rng.randint(2, 25),
    )


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
    for first in range(start, start + count, BATCH):
        size = min(BATCH, start + count - first)
        with transaction.atomic():
            claims = insert_batch(first, size, rng, ratings, topics, parties)
            search.refresh([claim.pk for claim in claims])
        if progress:
            progress(first + size - start)
    caching.invalidate_public_pages()
    return count


def ensure_parties(rng):
    existing = list(Party.objects.filter(slug__startswith="synthetic-"))
    if existing:
        return existing
    kinds = [Party.Kind.PERSON, Party.Kind.ORGANISATION]
    return Party.objects.bulk_create(
        Party(
            name=f"{rng.choice(PEOPLE)} ({n})" if n % 2 else f"Ministerium {n}",
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
        verdict_at = now - datetime.timedelta(
            minutes=rng.randint(60, 3 * 365 * 24 * 60)
        )
        claims.append(
            Claim(
                statement=fill(rng.choice(GERMAN if german else ENGLISH), rng),
                slug=f"synthetic-{number}",
                language="de" if german else "en",
                claimant=rng.choice(parties),
                first_made_on=(
                    verdict_at - datetime.timedelta(days=rng.randint(0, 30))
                ).date(),
                summary=" ".join(
                    fill(t, rng)
                    for t in rng.sample(REPORT_GERMAN if german else REPORT_ENGLISH, 2)
                ),
                status=Claim.Status.PUBLISHED,
                rating=rng.choice(ratings),
                verdict_at=verdict_at,
                submitted_at=verdict_at - datetime.timedelta(hours=2),
                published_at=verdict_at - datetime.timedelta(hours=1),
            )
        )
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
    changes = []
    for claim in claims:
        steps = rng.randint(1, 3)
        previous = None
        for step in range(steps):
            rating = claim.rating if step == steps - 1 else rng.choice(ratings)
            changes.append(
                VerdictChange(
                    claim=claim,
                    previous_rating=previous,
                    rating=rating,
                    note="Neue Belege." if claim.language == "de" else "New evidence.",
                    changed_at=claim.verdict_at
                    - datetime.timedelta(days=steps - 1 - step),
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
            title=fill(rng.choice(GERMAN if claim.language == "de" else ENGLISH), rng),
            quote=fill(
                rng.choice(REPORT_GERMAN if claim.language == "de" else REPORT_ENGLISH),
                rng,
            ),
        )
        for claim in claims
        for n in range(rng.randint(3, 30))
    ]
    sources = Source.objects.bulk_create(sources, batch_size=5000)
    languages = {claim.pk: claim.language for claim in claims}
    captures = []
    for source in sources:
        pool = REPORT_GERMAN if languages[source.claim_id] == "de" else REPORT_ENGLISH
        text = " ".join(fill(t, rng) for t in rng.sample(pool, 4))
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
