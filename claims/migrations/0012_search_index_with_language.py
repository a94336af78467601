from django.contrib.postgres.operations import BtreeGinExtension
from django.db import migrations


def index_with_language(apps, schema_editor):
    # Each language's branch of a search (language = 'de' AND vector @@ the
    # German query, OR …) becomes one index condition. With the vector alone
    # indexed, PostgreSQL re-checked the whole condition on every match,
    # reading each one's vector out of TOAST: 29 ms of the 31 that ranking
    # "Wagner" took at 100,000 claims, 15 ms with this index
    # (docs/benchmarks.md).
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS claim_language_search_gin ON claims_claim "
            "USING gin (language, search_vector) WITH (fastupdate = off)"
        )
        schema_editor.execute("DROP INDEX IF EXISTS claim_search_vector_gin")


def vector_alone(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "CREATE INDEX IF NOT EXISTS claim_search_vector_gin ON claims_claim "
            "USING gin (search_vector) WITH (fastupdate = off)"
        )
        schema_editor.execute("DROP INDEX IF EXISTS claim_language_search_gin")


class Migration(migrations.Migration):
    dependencies = [
        ("claims", "0011_search_index_without_pending_list"),
    ]

    operations = [
        # The language column in a GIN index (contrib's btree_gin, a trusted
        # extension: the database's owner may create it).
        BtreeGinExtension(),
        migrations.RunPython(index_with_language, vector_alone),
    ]
