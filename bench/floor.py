"""How fast could the uncached claim page's biggest part be without Django's ORM
and templates? CPU time of the page's source list fetched and rendered the
project's way (the ORM with its prefetches, templates/claims/_source_list.html)
and by hand (one SQL join read as tuples, the markup written with str.format
and html.escape), same markup, checked; and PostgreSQL's own time for the
join, which comes on top on the same CPUs.

    DATABASE_URL=… .venv/bin/python -m bench.floor <slug>

Run it with the benchmark database's environment (bench.web's, DEBUG off).
This measures a floor; the project does not render pages this way
(docs/benchmarks.md says why).
"""

import html
import statistics
import sys

import django

django.setup()

from django.db import connection  # noqa: E402
from django.template.defaultfilters import truncatechars  # noqa: E402
from django.template.loader import get_template  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import dateformat, translation  # noqa: E402
from django.utils.formats import get_format  # noqa: E402
from django.utils.translation import gettext  # noqa: E402

from bench.engines import squeezed  # noqa: E402
from bench.profile import cpu_ms, fetch_claim  # noqa: E402
from claims.models import Source  # noqa: E402
from claims.templatetags.claims import GONE_WITHOUT_COPY, LIVE_STATUS  # noqa: E402

SOURCES_SQL = """
SELECT s.stance, p.name, s.url, s.title, s.publisher, s.published_on, s.quote,
       s.live_status, c.id, c.fetch_started_at
FROM claims_source s
JOIN claims_claim k ON k.id = s.claim_id
JOIN claims_party p ON p.id = s.party_id
LEFT JOIN claims_capture c ON c.id = s.cited_capture_id
WHERE k.slug = %s
ORDER BY s.published_on, s.id
"""

ITEM = """<li class="source source--{stance}">
<p class="source__party">{party}</p>
<p class="source__link"><a href="{url}" rel="nofollow noopener noreferrer">{title}</a></p>
<p class="source__meta">{meta}</p>
{quote}<p class="source__archive">{archive}</p>
</li>"""


def fetch_rows(slug):
    with connection.cursor() as cursor:
        cursor.execute(SOURCES_SQL, [slug])
        return cursor.fetchall()


def postgres_ms(slug, runs=7):
    """PostgreSQL's own time for the join, planning and execution, by
    EXPLAIN ANALYZE in this connection (warm: the median of `runs`)."""
    times = []
    with connection.cursor() as cursor:
        for _ in range(runs):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {SOURCES_SQL}", [slug])
            plan = cursor.fetchone()[0][0]
            times.append(plan["Planning Time"] + plan["Execution Time"])
    return statistics.median(times)


def by_hand(rows):
    """The source list's markup from the rows: what the template writes."""
    escape = html.escape
    date_format = get_format("DATE_FORMAT")
    capture_url = reverse("claims:capture_detail", kwargs={"pk": 0})[:-2] + "{}/"
    archived = gettext("Archived copy (%(date)s)")
    unknown = gettext("Publisher unknown")
    groups = {stance: [] for stance in Source.Stance}
    for row in rows:
        groups[row[0]].append(row)
    parts = []
    for stance, items in groups.items():
        if not items:
            continue
        parts.append(f'<h3 class="sources__stance">{escape(str(stance.label))}</h3>')
        parts.append('<ul class="source-list">')
        for (
            stance_value,
            party,
            url,
            title,
            publisher,
            published_on,
            quote,
            live,
            copy,
            fetched,
        ) in items:
            meta = escape(publisher or unknown)
            if published_on:
                meta += " · " + escape(dateformat.format(published_on, date_format))
            if copy is None and live == "gone":
                archive = f'<span class="live live--gone">{escape(str(GONE_WITHOUT_COPY))}</span>'
            elif copy is None:
                archive = '<span class="muted">{}</span>'.format(
                    escape(gettext("Archived copy: not yet available."))
                )
            else:
                label = archived % {"date": dateformat.format(fetched, date_format)}
                archive = f'<a href="{capture_url.format(copy)}">{escape(label)}</a>'
                if live in LIVE_STATUS:
                    css, text = LIVE_STATUS[live]
                    archive += f' <span class="live {css}">{escape(str(text))}</span>'
            lines = escape(quote).replace("\n", "<br>")
            parts.append(
                ITEM.format(
                    stance=escape(stance_value),
                    party=escape(party),
                    url=escape(url),
                    title=escape(truncatechars(title or url, 100)),
                    meta=meta,
                    quote=f'<blockquote class="source__quote">{lines}</blockquote>'
                    if quote
                    else "",
                    archive=archive,
                )
            )
        parts.append("</ul>")
    if not parts:
        parts.append(
            f'<p class="muted">{escape(gettext("No sources are cited yet."))}</p>'
        )
    return "\n".join(parts)


def figures(slug, requests=300):
    """CPU ms of the source list's fetch and markup, both ways, and
    PostgreSQL's ms for the join; raises if the two give different markup."""
    translation.activate("en")
    template = get_template("claims/_source_list.html")

    claim = fetch_claim(slug)
    rows = fetch_rows(slug)
    django_html = template.render({"claim": claim})
    if squeezed(django_html) != squeezed(by_hand(rows)):
        raise AssertionError("the two source lists differ")
    timed = {
        "orm": lambda: fetch_claim(slug),
        "join": lambda: fetch_rows(slug),
        "template": lambda: template.render({"claim": claim}),
        "by hand": lambda: by_hand(rows),
    }
    return {
        "sources": len(rows),
        **{name: cpu_ms(function, requests) for name, function in timed.items()},
        "join in postgresql": postgres_ms(slug),
    }


LABELS = {
    "orm": "fetch, ORM (the page's 4 queries, models): CPU",
    "join": "fetch, one SQL join (tuples): CPU",
    "template": "source list, Django template: CPU",
    "by hand": "source list, by hand: CPU",
    "join in postgresql": "the join in PostgreSQL (EXPLAIN ANALYZE)",
}


def main(slug):
    results = figures(slug)
    print(f"{slug}: {results.pop('sources')} sources, the same markup both ways")
    for name, milliseconds in results.items():
        print(f"{LABELS[name]}: {milliseconds:.2f} ms")


if __name__ == "__main__":
    main(sys.argv[1])
