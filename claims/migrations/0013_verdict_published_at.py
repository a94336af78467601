from collections import defaultdict

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

PUBLIC_STATUSES = ["published", "updated", "withdrawn"]  # Claim.PUBLIC_STATUSES


def backfill(apps, schema_editor):
    """Date when the public first saw each verdict given so far.

    1. Of a claim ever published (`Claim.published_at`, its first publication),
       a verdict given at or after that moment was public at once.
    2. The last verdict given before it became public with the claim.
    3. Earlier verdicts, and every verdict of a claim never published, stay
       NULL: the public never saw them.
    4. A claim now back in review (or a draft) is in its send-back period since
       its last submission: verdicts given since are the desk's draft again.

    5. A claim the audit log saw leave public view (sent back) has its
       public periods in the log's status changes: its history is dated from
       those instead (`replay_send_backs`).

    A send-back the audit log did not record (rows changed outside the ORM)
    cannot be told apart: verdicts given then count as public from the moment
    they were given.
    """
    Claim = apps.get_model("claims", "Claim")
    VerdictChange = apps.get_model("claims", "VerdictChange")
    published = VerdictChange.objects.filter(claim__published_at__isnull=False)
    published.filter(changed_at__gte=F("claim__published_at")).update(
        published_at=F("changed_at")
    )
    in_force = (
        VerdictChange.objects.filter(
            claim=OuterRef("claim"), changed_at__lt=OuterRef("claim__published_at")
        )
        .order_by("-changed_at", "-id")
        .values("pk")[:1]
    )
    first_publication = Claim.objects.filter(pk=OuterRef("claim")).values(
        "published_at"
    )
    published.filter(pk=Subquery(in_force)).update(
        published_at=Subquery(first_publication)
    )
    published.exclude(claim__status__in=PUBLIC_STATUSES).filter(
        changed_at__gte=F("claim__submitted_at")
    ).update(published_at=None)
    replay_send_backs(apps)


def replay_send_backs(apps):
    Claim = apps.get_model("claims", "Claim")
    LogEntry = apps.get_model("auditlog", "LogEntry")
    VerdictChange = apps.get_model("claims", "VerdictChange")
    moves = defaultdict(list)
    logged = LogEntry.objects.filter(
        content_type__app_label="claims",
        content_type__model="claim",
        changes__has_key="status",
    ).order_by("timestamp", "pk")
    for claim_id, timestamp, changes in logged.values_list(
        "object_pk", "timestamp", "changes"
    ):
        old, new = changes["status"]
        moves[int(claim_id)].append((timestamp, old, new))
    sent_back = [
        claim_id
        for claim_id, claim_moves in moves.items()
        if any(
            old in PUBLIC_STATUSES and new not in PUBLIC_STATUSES
            for _, old, new in claim_moves
        )
    ]
    first_published = dict(
        Claim.objects.filter(pk__in=sent_back).values_list("pk", "published_at")
    )
    for claim_id in sent_back:
        periods = public_periods(moves[claim_id], first_published.get(claim_id))
        history = list(
            VerdictChange.objects.filter(claim_id=claim_id).order_by("changed_at", "pk")
        )
        following = [change.changed_at for change in history[1:]] + [None]
        for change, next_at in zip(history, following, strict=True):
            change.published_at = made_public_at(change.changed_at, next_at, periods)
        VerdictChange.objects.bulk_update(history, ["published_at"])


def public_periods(moves, first_published):
    """(start, end) of each time the claim was public, from its status moves;
    end None for a period still running. A log that starts with the claim
    already public (it began later) has it public since its first publication."""
    periods, start = [], None
    if moves and moves[0][1] in PUBLIC_STATUSES:
        start = first_published or moves[0][0]
    for when, old, new in moves:
        if new in PUBLIC_STATUSES and old not in PUBLIC_STATUSES:
            start = when
        elif old in PUBLIC_STATUSES and new not in PUBLIC_STATUSES and start:
            periods.append((start, when))
            start = None
    if start:
        periods.append((start, None))
    return periods


def made_public_at(changed_at, next_at, periods):
    """When the public first saw a verdict given at `changed_at` and in force
    until `next_at`: at once if given while public, else at the start of the
    first public period while it was still in force; None if never."""
    for start, end in periods:
        if start <= changed_at and (end is None or changed_at < end):
            return changed_at
        if changed_at < start and (next_at is None or next_at > start):
            return start
    return None


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_search_index_with_language"),
        ("auditlog", "0015_alter_logentry_changes"),
    ]

    operations = [
        migrations.AddField(
            model_name="verdictchange",
            name="published_at",
            field=models.DateTimeField(
                blank=True, null=True, verbose_name="made public at"
            ),
        ),
        migrations.AddIndex(
            model_name="verdictchange",
            index=models.Index(
                fields=["claim", "published_at"], name="verdict_claim_published"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
