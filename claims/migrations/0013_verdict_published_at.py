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

    Send-back periods that ended before this migration cannot be told apart:
    when a claim was republished is not recorded, so verdicts given while it
    was back in review count as public from the moment they were given.
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


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0012_search_index_with_language"),
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
