"""
Demo data built from the seed article (../shared/seeds): a German news report
of 2 December 2025 on the Witkoff–Putin talks. Loading it twice changes nothing
but the demo passwords.

The seed carries no links, so sources point at the home pages of the parties
they speak for. Verdicts are illustrations, not real fact-checks; every summary
says so.
"""

import datetime
import secrets

from django.contrib.auth.models import Group, User
from django.db import transaction
from django.db.models import F

from . import services
from .models import Claim, Party, Rating, Source, Topic, VerdictChange

DEMO_NOTICE = (
    "Demo entry: the verdict illustrates the workbench; it is not a real fact-check."
)

TOPICS = {
    "ukraine-war": "War in Ukraine",
    "peace-talks": "Peace talks",
    "nato": "NATO",
}

PARTIES = {
    "russian-general-staff": (
        "Russian General Staff",
        "organisation",
        "https://mil.ru/",
    ),
    "valery-gerasimov": ("Valery Gerasimov", "person", ""),
    "dmitri-peskov": ("Dmitri Peskov", "person", "http://en.kremlin.ru/"),
    "vladimir-putin": ("Vladimir Putin", "person", "http://en.kremlin.ru/"),
    "kirill-dmitriev": ("Kirill Dmitriev", "person", "https://x.com/kadmitriev"),
    "yuri-ushakov": ("Yuri Ushakov", "person", ""),
    "ukrainian-general-staff": (
        "Ukrainian General Staff",
        "organisation",
        "https://www.zsu.gov.ua/",
    ),
    "isw": (
        "Institute for the Study of War",
        "organisation",
        "https://understandingwar.org/",
    ),
    "us-state-department": (
        "US State Department",
        "organisation",
        "https://www.state.gov/",
    ),
    "donald-trump": ("Donald Trump", "person", "https://www.whitehouse.gov/"),
    "mark-rutte": ("Mark Rutte", "person", "https://www.nato.int/"),
    "seed-article": ("German news report of 2 December 2025", "organisation", ""),
}


def day(text, hour=12):
    date = datetime.date.fromisoformat(text)
    return datetime.datetime.combine(date, datetime.time(hour), tzinfo=datetime.UTC)


# Each claim: content, sources (party, stance, url, publisher, date, quote),
# verdict history (rating, note, when) and the workflow status it ends in.
CLAIMS = [
    {
        "slug": "pokrowsk-und-wowtschansk-eingenommen",
        "statement": (
            "Russische Truppen haben die Stadt Pokrowsk in der Region Donezk und "
            "Wowtschansk in der Region Charkiw eingenommen."
        ),
        "language": "de",
        "claimant": "russian-general-staff",
        "first_made_on": "2025-12-01",
        "first_appearance_url": "http://en.kremlin.ru/",
        "topics": ["ukraine-war"],
        "summary": (
            "Kremlin spokesman Dmitri Peskov relayed a report by Chief of the General "
            "Staff Valery Gerasimov that Russian forces had taken Pokrowsk and "
            "Wowtschansk. Ukraine's General Staff and the Institute for the Study of "
            "War dispute it. No independent source confirms control of either town, so "
            "the claim stays unproven until evidence arrives."
        ),
        "sources": [
            (
                "dmitri-peskov",
                "asserts",
                "http://en.kremlin.ru/",
                "Kremlin press service",
                "2025-12-01",
                "Armeegeneral Waleri Gerassimow habe Präsident Putin über die Einnahme von "
                "Pokrowsk in der Region Donezk und Wowtschansk in der Region Charkiw "
                "berichtet.",
            ),
            (
                "valery-gerasimov",
                "asserts",
                "https://mil.ru/",
                "Russian Ministry of Defence",
                "2025-12-01",
                "",
            ),
            (
                "ukrainian-general-staff",
                "disputes",
                "https://www.zsu.gov.ua/",
                "Armed Forces of Ukraine",
                "2025-12-01",
                "",
            ),
            (
                "isw",
                "disputes",
                "https://understandingwar.org/",
                "Institute for the Study of War",
                "2025-12-01",
                "Die Ukraine selbst und unabhängige Beobachter wie das Institut zur "
                "Erforschung des Kriegs (ISW) bestreiten diese Darstellungen Moskaus.",
            ),
        ],
        "history": [
            (
                "unproven",
                "Russia claims both towns; Ukraine and the ISW deny it. "
                "No independent confirmation yet.",
                "2025-12-01",
            ),
        ],
        "status": "published",
        "published": "2025-12-02",
    },
    {
        "slug": "verhandlungen-dauerten-fuenf-stunden",
        "statement": "Die Verhandlungen in Moskau dauerten fünf Stunden.",
        "language": "de",
        "claimant": "seed-article",
        "first_made_on": "2025-12-02",
        "topics": ["peace-talks"],
        "summary": (
            "The talks between Steve Witkoff, Jared Kushner and Vladimir Putin began "
            "three hours late and ran for about five hours, according to the report "
            "and to Kremlin adviser Yuri Ushakov's briefing afterwards."
        ),
        "sources": [
            (
                "yuri-ushakov",
                "assesses",
                "http://en.kremlin.ru/",
                "Kremlin press service",
                "2025-12-03",
                "Es gebe noch viel Arbeit, sagte Putins außenpolitischer Berater Juri "
                "Uschakow nach den Verhandlungen.",
            ),
        ],
        "history": [
            ("unproven", "Only one report so far.", "2025-12-02"),
            (
                "true",
                "Confirmed by the Kremlin's own account of the meeting.",
                "2025-12-03",
            ),
        ],
        "status": "updated",
        "published": "2025-12-02",
    },
    {
        "slug": "dmitriev-gespraeche-produktiv",
        "statement": "Productive 🕊️",
        "language": "en",
        "claimant": "kirill-dmitriev",
        "first_made_on": "2025-12-02",
        "first_appearance_url": "https://x.com/kadmitriev",
        "topics": ["peace-talks"],
        "summary": (
            "Russian negotiator Kirill Dmitriev called the Moscow talks "
            "„produktiv“ on X. Ushakov said afterwards that there was no compromise "
            "on territory yet. Whether talks were productive cannot be established."
        ),
        "sources": [
            (
                "kirill-dmitriev",
                "asserts",
                "https://x.com/kadmitriev",
                "X",
                "2025-12-02",
                "Productive 🕊️",
            ),
            (
                "yuri-ushakov",
                "context",
                "https://en.kremlin.ru/events/president",
                "Kremlin press service",
                "2025-12-03",
                "So gebe es noch keinen Kompromiss zur Frage der von Russland geforderten "
                "Abtretung ukrainischer Gebiete.",
            ),
        ],
        "history": [
            (
                "unproven",
                "An assessment, not a checkable fact; no outcome announced.",
                "2025-12-03",
            ),
        ],
        "status": "published",
        "published": "2025-12-03",
    },
    {
        "slug": "putin-nicht-gegen-europa-kaempfen",
        "statement": (
            "„Wir haben nicht vor, mit Europa zu kämpfen, das habe ich schon hundertmal "
            "gesagt. Aber wenn Europa wiederum kämpfen will und anfängt, dann sind wir "
            "dazu sofort bereit.“"
        ),
        "language": "de",
        "claimant": "vladimir-putin",
        "first_made_on": "2025-12-02",
        "topics": ["ukraine-war", "nato"],
        "summary": (
            "Putin made the remark at an economic forum before the talks. A statement "
            "of intent cannot be verified; the record of Russian assurances before "
            "February 2022 is relevant context."
        ),
        "sources": [
            (
                "vladimir-putin",
                "asserts",
                "http://en.kremlin.ru/events/president/news",
                "Kremlin press service",
                "2025-12-02",
                "",
            ),
            (
                "mark-rutte",
                "context",
                "https://www.nato.int/",
                "NATO",
                "2025-12-02",
                "",
            ),
        ],
        "history": [
            (
                "unproven",
                "A statement of intent; it cannot be checked against facts.",
                "2025-12-02",
            ),
        ],
        "status": "published",
        "published": "2025-12-02",
    },
    {
        "slug": "rubio-erstmals-seit-20-jahren-nicht-beim-nato-treffen",
        "statement": (
            "Rubio ist der erste US-Außenminister seit mehr als 20 Jahren, der nicht "
            "am Treffen der Nato-Außenminister teilnimmt."
        ),
        "language": "de",
        "claimant": "seed-article",
        "first_made_on": "2025-12-02",
        "topics": ["nato"],
        "summary": (
            "The State Department confirmed that Secretary Rubio would skip the "
            "meeting and called it „völlig unrealistisch“ to expect him at every "
            "meeting. Attendance records of past ministerials support the "
            "'first time in more than 20 years' part."
        ),
        "sources": [
            (
                "us-state-department",
                "context",
                "https://www.state.gov/",
                "US State Department",
                "2025-12-02",
                "Rubio habe schon „Dutzende Treffen“ mit Nato-Verbündeten absolviert, und "
                "es sei „völlig unrealistisch“, ihn bei jedem Treffen zu erwarten.",
            ),
            (
                "mark-rutte",
                "context",
                "https://www.nato.int/cps/en/natohq/events.htm",
                "NATO",
                "2025-12-03",
                "",
            ),
        ],
        "history": [
            (
                "mostly-true",
                "Absence confirmed; the 20-year record is being checked.",
                "2025-12-02",
            ),
            ("true", "Past attendance records confirm the record.", "2025-12-05"),
        ],
        "status": "published",
        "published": "2025-12-02",
    },
    {
        "slug": "trump-krieg-an-einem-tag-beenden",
        "statement": (
            "Donald Trump would end the war in Ukraine within a day of taking office."
        ),
        "language": "en",
        "claimant": "donald-trump",
        "first_made_on": "2024-05-01",
        "topics": ["ukraine-war", "peace-talks"],
        "summary": (
            "Trump promised during the campaign to end the war within a day of taking "
            "office on 20 January 2025. The war continued through December 2025, with "
            "negotiations on a 28-point plan still under way."
        ),
        "sources": [
            (
                "donald-trump",
                "asserts",
                "https://www.whitehouse.gov/",
                "The White House",
                None,
                "",
            ),
            (
                "isw",
                "assesses",
                "https://understandingwar.org/backgrounder/",
                "Institute for the Study of War",
                "2025-12-02",
                "",
            ),
        ],
        "history": [
            (
                "false",
                "The war did not end within a day of the inauguration.",
                "2025-01-21",
            ),
        ],
        "status": "published",
        "published": "2025-01-21",
    },
    {
        "slug": "putin-drei-stunden-zu-spaet",
        "statement": "Putin kam drei Stunden zu spät zu den Verhandlungen.",
        "language": "de",
        "claimant": "seed-article",
        "first_made_on": "2025-12-02",
        "topics": ["peace-talks"],
        "summary": (
            "The delay was reported by the seed article. This check was withdrawn "
            "because the timing is not a matter of public dispute."
        ),
        "sources": [
            (
                "vladimir-putin",
                "context",
                "http://en.kremlin.ru/events/president/transcripts",
                "Kremlin press service",
                "2025-12-02",
                "",
            ),
        ],
        "history": [
            (
                "mostly-true",
                "Reported consistently; exact times unclear.",
                "2025-12-02",
            ),
        ],
        "status": "withdrawn",
        "published": "2025-12-02",
    },
    {
        "slug": "witkoff-sechste-russlandreise",
        "statement": "Witkoff war in diesem Jahr bereits zum sechsten Mal nach Russland gereist.",
        "language": "de",
        "claimant": "seed-article",
        "first_made_on": "2025-12-02",
        "topics": ["peace-talks"],
        "summary": "",
        "sources": [
            (
                "us-state-department",
                "context",
                "https://www.state.gov/travel-reports/",
                "US State Department",
                None,
                "",
            ),
        ],
        "history": [],
        "status": "in_review",
    },
    {
        "slug": "28-punkte-plan-donbass-krim",
        "statement": (
            "Nach dem ursprünglichen 28-Punkte-Plan sollte die Ukraine den kompletten "
            "Donbass und die Krim abtreten, durfte nicht der Nato beitreten und musste "
            "abrüsten."
        ),
        "language": "de",
        "claimant": "seed-article",
        "first_made_on": "2025-12-02",
        "topics": ["peace-talks", "nato"],
        "summary": "",
        "sources": [],
        "history": [],
        "status": "draft",
    },
]

DEMO_USERS = [
    ("editor", "Editors", False),
    ("reviewer", "Reviewers", False),
    ("admin", None, True),
]


def load_demo():
    """Load the demo claims and users; return {username: password}."""
    with transaction.atomic():
        topics = {
            slug: Topic.objects.update_or_create(slug=slug, defaults={"name": name})[0]
            for slug, name in TOPICS.items()
        }
        parties = {
            slug: Party.objects.update_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "url": url}
            )[0]
            for slug, (name, kind, url) in PARTIES.items()
        }
        logins = create_demo_users()
        reviewer = User.objects.get(username="reviewer")
        for data in CLAIMS:
            load_claim(data, topics=topics, parties=parties, reviewer=reviewer)
    return logins


def create_demo_users():
    logins = {}
    for username, group, is_superuser in DEMO_USERS:
        user, _ = User.objects.get_or_create(username=username)
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.is_staff = True
        user.is_superuser = is_superuser
        user.email = f"{username}@example.org"
        user.first_name = username.capitalize()
        user.last_name = "Demo"
        user.save()
        if group:
            user.groups.set([Group.objects.get(name=group)])
        logins[username] = password
    return logins


def load_claim(data, *, topics, parties, reviewer):
    claim, created = Claim.objects.update_or_create(
        slug=data["slug"],
        defaults={
            "statement": data["statement"],
            "language": data["language"],
            "claimant": parties[data["claimant"]],
            "first_made_on": datetime.date.fromisoformat(data["first_made_on"]),
            "first_appearance_url": data.get("first_appearance_url", ""),
            "summary": f"{data['summary']}\n\n{DEMO_NOTICE}" if data["summary"] else "",
        },
    )
    claim.topics.set([topics[slug] for slug in data["topics"]])
    for party, stance, url, publisher, published_on, quote in data["sources"]:
        Source.objects.get_or_create(
            claim=claim,
            url=url,
            defaults={
                "party": parties[party],
                "stance": stance,
                "publisher": publisher,
                "published_on": published_on
                and datetime.date.fromisoformat(published_on),
                "quote": quote,
                "added_by": reviewer,
            },
        )
    if created:
        run_workflow(claim, data, reviewer=reviewer)


def run_workflow(claim, data, *, reviewer):
    """Give a new demo claim its verdict history and status, dated as in the story."""
    services.change_status(claim=claim, user=reviewer, status=Claim.Status.IN_REVIEW)
    if data["history"]:
        submitted = day(data["history"][0][2], 9)
        Claim.objects.filter(pk=claim.pk).update(submitted_at=submitted)
    for slug, note, when in data["history"]:
        change = services.set_verdict(
            claim=claim,
            reviewer=reviewer,
            rating=Rating.objects.get(slug=slug),
            note=note,
        )
        VerdictChange.objects.filter(pk=change.pk).update(changed_at=day(when, 18))
        Claim.objects.filter(pk=claim.pk).update(verdict_at=day(when, 18))
    if data["status"] == "draft":
        services.change_status(claim=claim, user=reviewer, status=Claim.Status.DRAFT)
    elif data["status"] != "in_review":
        services.change_status(
            claim=claim, user=reviewer, status=Claim.Status.PUBLISHED
        )
        if data["status"] != "published":
            services.change_status(claim=claim, user=reviewer, status=data["status"])
        published = day(data["published"], 19)
        Claim.objects.filter(pk=claim.pk).update(published_at=published)
        date_public_history(claim, published)


def date_public_history(claim, published):
    """Date when the public saw each verdict, as in the story: the one in force
    at publication with the claim, the later ones when given."""
    changes = claim.verdict_changes.all()
    changes.filter(changed_at__gte=published).update(published_at=F("changed_at"))
    in_force = changes.filter(changed_at__lt=published).last()
    if in_force:
        changes.filter(pk=in_force.pk).update(published_at=published)
    latest = changes.last()
    if latest:
        Claim.objects.filter(pk=claim.pk).update(verdict_at=latest.published_at)
