from django.db import migrations
from django.db.models import OuterRef, Subquery


def date_verdicts_when_public(apps, schema_editor):
    """A claim's verdict date (`verdict_at`) is when the public could first see
    the verdict in force: a verdict given in review is dated by its claim's
    publication, as `make_verdict_public` now does."""
    Claim = apps.get_model("claims", "Claim")
    VerdictChange = apps.get_model("claims", "VerdictChange")
    in_force = VerdictChange.objects.filter(claim=OuterRef("pk")).order_by(
        "-changed_at", "-id"
    )
    public_since = Subquery(in_force.values("published_at")[:1])
    Claim.objects.filter(verdict_at__lt=public_since).update(verdict_at=public_since)


class Migration(migrations.Migration):
    dependencies = [("claims", "0013_verdict_published_at")]

    operations = [
        migrations.RunPython(date_verdicts_when_public, migrations.RunPython.noop),
    ]
