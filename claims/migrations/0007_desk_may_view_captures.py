"""Editors and reviewers may look at captures (the queue and every attempt)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view_capture = Permission.objects.get(
        content_type__app_label="claims", codename="view_capture"
    )
    for group in Group.objects.filter(name__in=["Editors", "Reviewers"]):
        group.permissions.add(view_capture)


class Migration(migrations.Migration):
    dependencies = [("claims", "0006_heartbeat")]
    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
