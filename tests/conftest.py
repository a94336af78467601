import datetime
import itertools

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client
from django.utils import timezone

from claims import services
from claims.models import Claim, Party, Rating, Source, Topic

_counter = itertools.count(1)


def make_user(username, group=None, **extra):
    user = User.objects.create_user(
        username, f"{username}@example.org", "correct horse battery", **extra
    )
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(db):
    return make_user("edith", "Editors", is_staff=True)


@pytest.fixture
def reviewer(db):
    return make_user(
        "rita", "Reviewers", is_staff=True, first_name="Rita", last_name="Review"
    )


@pytest.fixture
def outsider(db):
    """Logged in, but in neither group."""
    return make_user("otto", is_staff=True)


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(
        "root", "root@example.org", "correct horse battery"
    )


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def reviewer_client(reviewer):
    return client_for(reviewer)


@pytest.fixture
def anonymous_client():
    return Client()


@pytest.fixture
def rating(db):
    return lambda slug: Rating.objects.get(slug=slug)


@pytest.fixture
def make_party(db):
    def make(name=None, kind=Party.Kind.ORGANISATION):
        number = next(_counter)
        name = name or f"Party {number}"
        return Party.objects.create(name=name, slug=f"party-{number}", kind=kind)

    return make


@pytest.fixture
def make_claim(db, make_party):
    """A claim with `sources` sources, in `status`, with a verdict if public."""

    def make(statement=None, status=Claim.Status.DRAFT, sources=0, **fields):
        number = next(_counter)
        fields.setdefault("claimant", make_party())
        fields.setdefault("language", "de")
        fields.setdefault("summary", "Warum: die Belege reichen nicht.")
        topics = fields.pop("topics", [])
        verdict = fields.pop("rating", "unproven")
        fields.setdefault("slug", f"claim-{number}")
        claim = Claim.objects.create(
            statement=statement or f"Behauptung Nummer {number}", **fields
        )
        claim.topics.set(topics)
        for index in range(sources):
            add_source(claim, stance=list(Source.Stance)[index % 4])
        if status != Claim.Status.DRAFT:
            publish(claim, status, verdict)
        claim.refresh_from_db()
        return claim

    return make


def add_source(claim, *, stance=Source.Stance.ASSERTS, party=None, **fields):
    number = next(_counter)
    party = party or Party.objects.create(
        name=f"Source party {number}", slug=f"source-party-{number}", kind="person"
    )
    fields.setdefault("url", f"https://news.example.org/article-{number}")
    fields.setdefault("publisher", "Example News")
    fields.setdefault("published_on", datetime.date(2025, 12, 1))
    return Source.objects.create(claim=claim, party=party, stance=stance, **fields)


def publish(claim, status, verdict):
    """Walk `claim` through the workflow to `status` as a throwaway reviewer."""
    robot, _ = User.objects.get_or_create(username="workflow-robot")
    robot.groups.add(Group.objects.get(name="Reviewers"))
    robot = User.objects.get(pk=robot.pk)  # drop the cached permissions
    services.change_status(claim=claim, user=robot, status=Claim.Status.IN_REVIEW)
    if status == Claim.Status.IN_REVIEW:
        return
    services.set_verdict(
        claim=claim,
        reviewer=robot,
        rating=Rating.objects.get(slug=verdict),
        note="Erste Einschätzung.",
    )
    services.change_status(claim=claim, user=robot, status=Claim.Status.PUBLISHED)
    if status != Claim.Status.PUBLISHED:
        services.change_status(claim=claim, user=robot, status=status)


@pytest.fixture
def make_topic(db):
    def make(name):
        number = next(_counter)
        return Topic.objects.create(name=name, slug=f"topic-{number}")

    return make


@pytest.fixture
def now():
    return timezone.now()
