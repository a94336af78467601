"""Seed the default verdict scale. Reviewers' superusers may edit it in the admin."""

from django.db import migrations

# slug, English, German, description (en), description (de), colour, ratingValue
SCALE = [
    ("true", "True", "Richtig",
     "The claim is accurate and nothing significant is missing.",
     "Die Behauptung stimmt, und es fehlt nichts Wesentliches.",
     "#1a7f37", 5),
    ("mostly-true", "Mostly true", "Überwiegend richtig",
     "The claim is accurate but needs clarification or additional context.",
     "Die Behauptung stimmt im Kern, braucht aber Klarstellung oder Kontext.",
     "#5b9a2f", 4),
    ("mixed", "Half true", "Teilweise richtig",
     "The claim is partly accurate and partly wrong or misleading.",
     "Die Behauptung ist teils richtig, teils falsch oder irreführend.",
     "#b7791f", 3),
    ("unproven", "Unproven / still disputed", "Unbelegt / weiter umstritten",
     "The available evidence neither confirms nor refutes the claim; the parties "
     "still dispute it. The verdict will change as evidence arrives.",
     "Die verfügbaren Belege bestätigen die Behauptung weder, noch widerlegen sie "
     "sie; die Beteiligten bestreiten sie weiterhin. Das Urteil ändert sich, sobald "
     "neue Belege vorliegen.",
     "#5f6b7a", 3),
    ("mostly-false", "Mostly false", "Überwiegend falsch",
     "The claim contains an element of truth but ignores facts that would give a "
     "different impression.",
     "Die Behauptung enthält einen wahren Kern, lässt aber Fakten weg, die ein "
     "anderes Bild ergeben.",
     "#d9622b", 2),
    ("false", "False", "Falsch",
     "The claim is not accurate.",
     "Die Behauptung stimmt nicht.",
     "#c62828", 1),
]


def seed_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    for order, (slug, en, de, desc_en, desc_de, colour, value) in enumerate(SCALE):
        Rating.objects.update_or_create(
            slug=slug,
            defaults={
                "label_en": en,
                "label_de": de,
                "description_en": desc_en,
                "description_de": desc_de,
                "colour": colour,
                "order": (order + 1) * 10,
                "rating_value": value,
                "best_rating": 5,
                "worst_rating": 1,
            },
        )


def remove_scale(apps, schema_editor):
    Rating = apps.get_model("claims", "Rating")
    Rating.objects.filter(slug__in=[row[0] for row in SCALE]).delete()


class Migration(migrations.Migration):
    dependencies = [("claims", "0001_initial")]
    operations = [migrations.RunPython(seed_scale, remove_scale)]
