from django.db import migrations


def without_pending_list(apps, schema_editor):
    # With GIN's fast update, every changed claim's words wait in a pending
    # list that each search reads through until VACUUM merges it: 500 status
    # changes at 100,000 claims took the search p95 from about 60 to 95 ms
    # (docs/benchmarks.md). Searches matter more here than writes.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER INDEX claim_search_vector_gin SET (fastupdate = off)"
        )
        schema_editor.execute(
            "SELECT gin_clean_pending_list('claim_search_vector_gin'::regclass)"
        )


def with_pending_list(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER INDEX claim_search_vector_gin RESET (fastupdate)")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0010_capture_unchanged_since_previous"),
    ]

    operations = [
        migrations.RunPython(without_pending_list, with_pending_list),
    ]
