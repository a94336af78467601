"""CPU time of a claim page's source list in Django's template language and in
Jinja2 (same markup, same helpers), and of the helpers alone: would a faster
template engine help the uncached claim page?

    DATABASE_URL=… .venv/bin/python -m bench.engines <slug>

Run it with the benchmark database's environment (bench.web's, DEBUG off).
Jinja2 comes with the dev requirements; the project itself does not use it.
"""

import re
import sys

import django

django.setup()

import jinja2  # noqa: E402
from django.template.defaultfilters import date, linebreaksbr, truncatechars  # noqa: E402
from django.template.loader import get_template  # noqa: E402
from django.utils import translation  # noqa: E402
from django.utils.translation import gettext, ngettext  # noqa: E402

from bench.profile import cpu_ms  # noqa: E402
from claims.templatetags.claims import source_archive  # noqa: E402
from claims.views import reviewed_claims  # noqa: E402

# templates/claims/_source_list.html (what the claim page includes), in Jinja2:
# the same markup and helpers. main() checks that both render the same.
JINJA_SOURCES = """{% for stance, sources in claim.sources_by_stance() %}
<h3 class="sources__stance">{{ stance }}</h3><ul class="source-list">{% for source in sources %}
<li class="source source--{{ source.stance }}">
  <p class="source__party">{{ source.party.name }}</p>
  <p class="source__link"><a href="{{ source.url }}" rel="nofollow noopener noreferrer">{{ (source.title or source.url)|truncatechars(100) }}</a></p>
  <p class="source__meta">{{ source.publisher or _("Publisher unknown") }}{% if source.published_on %} · {{ source.published_on|date("DATE_FORMAT") }}{% endif %}</p>
  {% if source.quote %}<blockquote class="source__quote">{{ source.quote|linebreaksbr }}</blockquote>{% endif %}
  <p class="source__archive">{{ source_archive(source) }}</p>
</li>{% endfor %}</ul>
{% else %}<p class="muted">{{ _("No sources are cited yet.") }}</p>{% endfor %}"""


def jinja_template():
    environment = jinja2.Environment(autoescape=True, extensions=["jinja2.ext.i18n"])
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)
    environment.filters.update(
        date=date, truncatechars=truncatechars, linebreaksbr=linebreaksbr
    )
    environment.globals["source_archive"] = source_archive
    return environment.from_string(JINJA_SOURCES)


def squeezed(html):
    """The markup without the whitespace the two copies lay out differently."""
    return re.sub(r">\s+<", "><", " ".join(html.split()))


def main(slug):
    translation.activate("en")
    claim = reviewed_claims().get(slug=slug)
    sources = list(claim.sources.all())
    django_template = get_template("claims/_source_list.html")
    jinja = jinja_template()
    django_html = django_template.render({"claim": claim})
    assert squeezed(django_html) == squeezed(jinja.render(claim=claim)), "copies differ"
    print(f"{slug}: {len(sources)} sources")
    figures = {
        "Django templates": lambda: django_template.render({"claim": claim}),
        "Jinja2": lambda: jinja.render(claim=claim),
        "helpers alone (archive link, date, truncation)": lambda: [
            (
                source_archive(source),
                date(source.published_on, "DATE_FORMAT"),
                truncatechars(source.title or source.url, 100),
            )
            for source in sources
        ],
    }
    for name, function in figures.items():
        print(f"{name}: CPU {cpu_ms(function, 300):.2f} ms")


if __name__ == "__main__":
    main(sys.argv[1])
