"""`manage.py loaddemo`: the seed article's claims, idempotent, with working logins."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db.models import F

from claims.models import Claim, Party, Source, VerdictChange
from claims.synthetic import load_synthetic


def load():
    out = StringIO()
    call_command("loaddemo", stdout=out)
    return out.getvalue()


def printed_logins(output):
    lines = [line.split() for line in output.splitlines() if line.startswith("  ")]
    return dict(lines)


@pytest.mark.django_db
def test_loaddemo_builds_the_seed_claims_and_prints_logins():
    output = load()

    pokrowsk = Claim.objects.get(slug="pokrowsk-und-wowtschansk-eingenommen")
    assert "Pokrowsk" in pokrowsk.statement and "Wowtschansk" in pokrowsk.statement
    assert pokrowsk.claimant.name == "Russian General Staff"
    assert pokrowsk.rating.slug == "unproven"
    stances = {(s.party.name, s.stance) for s in pokrowsk.sources.all()}
    assert ("Institute for the Study of War", "disputes") in stances
    assert ("Ukrainian General Staff", "disputes") in stances
    assert ("Dmitri Peskov", "asserts") in stances
    assert Claim.objects.public().count() >= 5
    assert set(Claim.objects.values_list("status", flat=True)) == set(Claim.Status)
    logins = printed_logins(output)
    assert set(logins) == {"editor", "reviewer", "admin"}
    for username, password in logins.items():
        user = User.objects.get(username=username)
        assert user.check_password(password) and user.is_staff
    assert User.objects.get(username="reviewer").has_perm("claims.review_claim")
    assert not User.objects.get(username="editor").has_perm("claims.review_claim")


@pytest.mark.django_db
def test_loaddemo_twice_changes_nothing_but_passwords():
    first = printed_logins(load())
    counts = [M.objects.count() for M in (Claim, Party, Source, VerdictChange)]
    statuses = dict(Claim.objects.values_list("slug", "status"))

    second = printed_logins(load())

    assert [M.objects.count() for M in (Claim, Party, Source, VerdictChange)] == counts
    assert dict(Claim.objects.values_list("slug", "status")) == statuses
    assert first["editor"] != second["editor"]
    assert User.objects.get(username="editor").check_password(second["editor"])


@pytest.mark.django_db
def test_demo_keeps_german_text_intact(client):
    load()
    claim = Claim.objects.get(slug="putin-nicht-gegen-europa-kaempfen")

    html = client.get(claim.get_absolute_url()).content.decode()

    assert "„Wir haben nicht vor, mit Europa zu kämpfen" in html
    assert "sofort bereit.“" in html
    assert 'lang="de"' in html


@pytest.mark.django_db
def test_demo_claims_show_their_whole_verdict_history(client):
    load()
    claim = Claim.objects.get(
        slug="rubio-erstmals-seit-20-jahren-nicht-beim-nato-treffen"
    )
    public = VerdictChange.objects.filter(claim__status__in=Claim.PUBLIC_STATUSES)

    html = client.get(claim.get_absolute_url()).content.decode()

    assert not public.filter(published_at=None).exists()
    assert html.count('class="timeline__item"') == 2
    for change in claim.verdict_changes.all():
        assert change.note in html


@pytest.mark.django_db
def test_synthetic_claims_show_their_whole_verdict_history():
    load_synthetic(20, seed=7)

    changes = VerdictChange.objects.filter(claim__slug__startswith="synthetic-")
    assert changes.count() > 20
    assert not changes.exclude(published_at=F("changed_at")).exists()
    assert not changes.filter(changed_at__lt=F("claim__published_at")).exists()
