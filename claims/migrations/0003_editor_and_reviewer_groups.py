"""Create the "Editors" and "Reviewers" groups with their permissions."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITOR_PERMISSIONS = [
    "view_claim", "add_claim", "change_claim",
    "view_source", "add_source", "change_source", "delete_source",
    "view_party", "add_party", "change_party",
    "view_topic", "add_topic", "change_topic",
    "view_rating",
    "view_verdictchange",
]
REVIEWER_PERMISSIONS = EDITOR_PERMISSIONS + ["review_claim"]


def create_groups(apps, schema_editor):
    # Permissions are normally created after all migrations have run; create
    # them now so that a fresh database gets complete groups.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in [
        ("Editors", EDITOR_PERMISSIONS),
        ("Reviewers", REVIEWER_PERMISSIONS),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(
            Permission.objects.filter(
                content_type__app_label="claims", codename__in=codenames
            )
        )


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Editors", "Reviewers"]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0002_default_rating_scale"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, remove_groups)]
