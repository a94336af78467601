"""
Full-text search on PostgreSQL: one search vector per claim, built from the
statement (weight A), the summary and claimant (B), the sources' titles,
quotes and publishers (C) and the text of their archived copies (D), each
stemmed in the claim's own language. SQLite has no full-text search here; the
filter falls back to substring matching there.
"""

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.db import connection
from django.db.models import (
    Case,
    F,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Concat, Left
from django.utils.html import escape
from django.utils.safestring import mark_safe

# PostgreSQL's stemming configurations by ISO language code; any other
# language (Ukrainian, for one) is indexed word by word with "simple".
CONFIGS = {
    "da": "danish",
    "de": "german",
    "en": "english",
    "es": "spanish",
    "fi": "finnish",
    "fr": "french",
    "hu": "hungarian",
    "it": "italian",
    "nb": "norwegian",
    "nl": "dutch",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sv": "swedish",
    "tr": "turkish",
}
# How much archived text of each source goes into a claim's vector; a
# tsvector holds at most 1 MB.
ARCHIVED_TEXT_LIMIT = 100_000
MARK_START, MARK_STOP = "\x02", "\x03"


def enabled():
    return connection.vendor == "postgresql"


def claim_config():
    """The claim's search configuration, as an SQL expression."""
    whens = [When(language=code, then=Value(name)) for code, name in CONFIGS.items()]
    return Case(*whens, default=Value("simple"))


def text_of(queryset, *fields):
    """All rows' `fields` joined into one text, as a subquery per claim."""
    parts = []
    for field in fields:
        parts += [Coalesce(field, Value(""), output_field=TextField()), Value(" ")]
    joined = queryset.values("claim").annotate(
        text=StringAgg(Concat(*parts, output_field=TextField()), Value(" "))
    )
    return Coalesce(
        Subquery(joined.values("text")[:1]), Value(""), output_field=TextField()
    )


def refresh(claim_ids):
    """Rebuild the search vectors of these claims in one UPDATE."""
    from .models import Claim, Party, Source

    if not enabled() or not claim_ids:
        return
    sources = Source.objects.filter(claim=OuterRef("pk")).order_by()
    claimant = Party.objects.filter(pk=OuterRef("claimant_id")).values("name")[:1]
    config = claim_config()
    vector = (
        SearchVector("statement", weight="A", config=config)
        + SearchVector("summary", Subquery(claimant), weight="B", config=config)
        + SearchVector(
            text_of(sources, "title", "quote", "publisher"), weight="C", config=config
        )
        + SearchVector(
            text_of(sources, Left("cited_capture__text", ARCHIVED_TEXT_LIMIT)),
            weight="D",
            config=config,
        )
    )
    Claim.objects.filter(pk__in=claim_ids).update(search_vector=vector)


def matches(text):
    """Claims whose vector matches `text` stemmed in the claim's own language.

    One branch per configuration, so that each is a GIN index scan with a
    constant query, and negation ("-word") keeps its meaning in every language.
    """
    condition = Q(language__in=[], search_vector=None)  # matches nothing
    for config in sorted(set(CONFIGS.values())):
        languages = [code for code, name in CONFIGS.items() if name == config]
        query = SearchQuery(text, search_type="websearch", config=config)
        condition |= Q(language__in=languages, search_vector=query)
    query = SearchQuery(text, search_type="websearch", config="simple")
    return condition | (~Q(language__in=CONFIGS) & Q(search_vector=query))


def search(queryset, text):
    """Claims matching `text`, best match first, each with a highlighted snippet."""
    query = SearchQuery(text, search_type="websearch", config=claim_config())
    snippet = SearchHeadline(
        Concat("statement", Value(" — "), "summary", output_field=TextField()),
        query,
        config=claim_config(),
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=35,
        min_words=15,
        max_fragments=2,
    )
    return (
        queryset.filter(matches(text))
        .annotate(rank=SearchRank(F("search_vector"), query), snippet=snippet)
        .order_by("-rank", "-verdict_at", "-id")
    )


def highlight(snippet):
    """The snippet as safe HTML: the text escaped, the matches in <mark>.
    (PostgreSQL's headline already drops anything that looks like a tag.)"""
    html = escape(snippet).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 -- everything but our markers is escaped
