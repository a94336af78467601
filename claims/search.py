"""
Full-text search on PostgreSQL: one search vector per claim, built from the
statement (weight A), the summary and claimant (B), the sources' titles,
quotes and publishers (C) and the text of their archived copies (D), each
stemmed in the claim's own language. Matches are ranked on a second, small
vector of the statement, summary and claimant alone. SQLite has no full-text
search here; the filter falls back to substring matching there.
"""

import logging
import re

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchRank,
    SearchVector,
)
from django.core.cache import cache
from django.db import OperationalError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    F,
    Func,
    OuterRef,
    Q,
    StringAgg,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Left
from django.utils.html import escape
from django.utils.safestring import mark_safe

logger = logging.getLogger(__name__)

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
# How much archived text of each source goes into a claim's vector, and how
# much of each of the claim's own texts (statement, summary, the sources'
# titles, quotes and publishers). A tsvector holds at most 1 MB: a claim
# whose words stem to more is refreshed with less archived text (`refresh`).
ARCHIVED_TEXT_LIMIT = 100_000
OWN_TEXT_LIMIT = 100_000
TSVECTOR_TOO_LONG = "54000"  # PostgreSQL's program_limit_exceeded
# The search index (migration 0012): the language beside the vector, so that
# each language's branch of a search is one index condition and no match's
# vector is read again to check it. Without a pending list (migration 0011).
INDEX = "claim_language_search_gin"
INDEX_DEFINITION = (
    f"CREATE INDEX IF NOT EXISTS {INDEX} ON claims_claim "
    "USING gin (language, search_vector) WITH (fastupdate = off)"
)
MARK_START, MARK_STOP = "\x02", "\x03"


def enabled():
    return connection.vendor == "postgresql"


def claim_config(configs=None):
    """The claim's search configuration, as an SQL expression. Given
    `configs_in_use()`, only for the languages claims are in: a search builds
    it several times, and compiling all of CONFIGS each time costs more than
    the query's own index scan."""
    if configs is None:
        configs = configs_of(CONFIGS)
    whens = [
        When(language__in=codes, then=Value(name))
        for name, codes in configs.items()
        if name != "simple"
    ]
    return Case(*whens, default=Value("simple"))


class JoinedText(Func):
    """PostgreSQL's concat_ws(separator, text, …): the texts that are not NULL,
    joined. One function where Concat nests a COALESCE pair for each part,
    which took longer to build and compile in Python than a search's own
    index scan (docs/benchmarks.md)."""

    function = "CONCAT_WS"
    output_field = TextField()

    def __init__(self, separator, *texts):
        super().__init__(Value(separator), *texts)


def text_of(queryset, *fields):
    """All rows' `fields` joined into one text, as a subquery per claim."""
    joined = queryset.values("claim").annotate(
        text=StringAgg(JoinedText(" ", *fields), Value(" "))
    )
    return Coalesce(
        Subquery(joined.values("text")[:1]), Value(""), output_field=TextField()
    )


def sources_of_claim():
    """The sources of the claim of the outer query, for a subquery."""
    from .models import Source

    return Source.objects.filter(claim=OuterRef("pk")).order_by()


def claimant_name(party_model):
    """The name of the claim's claimant, as a subquery: no join, which would
    be made for every match of a search."""
    claimant = party_model.objects.filter(pk=OuterRef("claimant_id"))
    return Subquery(claimant.values("name")[:1])


def ranking_vector(party_model, config=None):
    """The statement (A) and the summary and claimant (B), as an expression."""
    config = config or claim_config()
    statement, summary = (
        Left(name, OWN_TEXT_LIMIT) for name in ("statement", "summary")
    )
    return SearchVector(statement, weight="A", config=config) + SearchVector(
        summary, claimant_name(party_model), weight="B", config=config
    )


def refresh(claim_ids):
    """Rebuild the search vectors of these claims in one UPDATE."""
    from .models import Claim

    if not enabled() or not claim_ids:
        return
    try:
        with transaction.atomic():
            update_vectors(Claim.objects.filter(pk__in=claim_ids))
    except OperationalError as error:
        if not too_long(error):
            raise
        for claim_id in claim_ids:
            refresh_with_less_archived_text(claim_id)


def refresh_with_less_archived_text(claim_id):
    """One claim of a refresh that went past a tsvector's 1 MB (tables of
    numbers, say, archived from 20 sources): with a tenth of each archived
    copy's text, then a hundredth, then none, rather than an error on every
    later edit of the claim. Its own texts always fit (OWN_TEXT_LIMIT)."""
    from .models import Claim

    claims = Claim.objects.filter(pk=claim_id)
    for limit in (ARCHIVED_TEXT_LIMIT, ARCHIVED_TEXT_LIMIT // 10, 1_000, 0):
        try:
            with transaction.atomic():
                update_vectors(claims, limit)
            break
        except OperationalError as error:
            if not limit or not too_long(error):
                raise
    if limit < ARCHIVED_TEXT_LIMIT:
        logger.warning(
            "Claim %s: its words are more than a search vector holds; the first "
            "%d characters of each archived copy are searchable.",
            claim_id,
            limit,
        )


def too_long(error):
    return getattr(error.__cause__, "sqlstate", None) == TSVECTOR_TOO_LONG


def update_vectors(claims, archived_text_limit=ARCHIVED_TEXT_LIMIT):
    from .models import Party

    # Only the branches these claims need: compiling one for every language
    # PostgreSQL can stem took longer than the UPDATE itself.
    languages = claims.order_by().values_list("language", flat=True).distinct()
    config = claim_config(configs_of(languages))
    sources = sources_of_claim()
    ranked = ranking_vector(Party, config)
    vector = ranked + SearchVector(
        Left(text_of(sources, "title", "quote", "publisher"), OWN_TEXT_LIMIT),
        weight="C",
        config=config,
    )
    if archived_text_limit:
        archived = Left("cited_capture__text", archived_text_limit)
        vector += SearchVector(text_of(sources, archived), weight="D", config=config)
    claims.update(search_vector=vector, rank_vector=ranked)


def refresh_soon(claim_id):
    """Refresh the claim's vector shortly, in a task, once the change commits.

    Sources come in bursts (a claim's evidence is entered together, and then
    archived), and each refresh re-stems the archived text of all the claim's
    sources: the first change queues one refresh SEARCH_REFRESH_DELAY seconds
    later, and the changes until it runs ride along with it. It waits again
    while some of the claim's sources are still being archived for the first
    time (`refresh_queued`). A delay of 0 refreshes at once, in the current
    transaction.
    """
    from django.conf import settings

    from .tasks import refresh_search

    def queue():
        delay = settings.SEARCH_REFRESH_DELAY
        if cache.add(refresh_key(claim_id), 1, timeout=refresh_key_seconds()):
            refresh_search.apply_async(([claim_id], delay), countdown=delay)

    refresh_after_commit([claim_id], queue)


def refresh_in_batches(claim_ids):
    """Refresh many claims' vectors in background tasks, SEARCH_REFRESH_BATCH
    claims to a task, once the change commits: the claims of a renamed claimant.
    In the editor's request, the one UPDATE re-stemmed the archived text of
    every source of every claim and held all their rows (docs/decisions.md)."""
    from django.conf import settings

    from .tasks import refresh_search

    claim_ids = list(claim_ids)

    def queue():
        size = settings.SEARCH_REFRESH_BATCH
        for start in range(0, len(claim_ids), size):
            # No waiting for archived copies: the rename is what changed.
            batch = claim_ids[start : start + size]
            refresh_search.delay(batch, settings.SEARCH_REFRESH_MAX_WAIT)

    refresh_after_commit(claim_ids, queue)


def refresh_after_commit(claim_ids, queue):
    """Call `queue()` to hand the claims' refresh to the workers once the change
    commits; refresh at once, in the current transaction, when
    SEARCH_REFRESH_DELAY is 0, and after the commit when Redis is unreachable."""
    from django.conf import settings

    if not settings.SEARCH_REFRESH_DELAY:
        refresh(claim_ids)
        return

    def queue_or_refresh():
        try:
            queue()
        except Exception:
            logger.warning(
                "Broker unreachable; %d claims searchable at once.", len(claim_ids)
            )
            refresh(claim_ids)

    if enabled() and claim_ids:
        transaction.on_commit(queue_or_refresh)


def refresh_queued(claim_ids, waited=0):
    """Run the refresh that `refresh_soon` queued (tasks.refresh_search), for
    the claims whose sources have all been archived once, and return them.

    A claim with a source whose first copy is still to come waits
    SEARCH_REFRESH_DELAY seconds more, in a task queued again, until the
    refresh has `waited` SEARCH_REFRESH_MAX_WAIT seconds in all: that copy
    would need another refresh of the whole claim a moment later. Changes
    meanwhile ride along.
    """
    from django.conf import settings

    from .tasks import refresh_search

    delay = settings.SEARCH_REFRESH_DELAY
    waiting = set()
    if waited + delay <= settings.SEARCH_REFRESH_MAX_WAIT:
        waiting = archiving_first_copies(claim_ids)
    ready = [claim_id for claim_id in claim_ids if claim_id not in waiting]
    try:
        if waiting:
            keys = {refresh_key(claim_id): 1 for claim_id in waiting}
            cache.set_many(keys, timeout=refresh_key_seconds())
            later = (sorted(waiting), waited + delay)
            refresh_search.apply_async(later, countdown=delay)
        # Changes from now on queue a refresh of their own: this one may have
        # read the claim before they commit.
        cache.delete_many([refresh_key(claim_id) for claim_id in ready])
    except Exception:
        logger.warning("Redis unreachable; claims %s searchable at once.", claim_ids)
        waiting, ready = set(), claim_ids
    refresh(ready)
    logger.info(
        "Search vectors rebuilt for %d claims; %d wait for archived copies.",
        len(ready),
        len(waiting),
    )
    return ready


def archiving_first_copies(claim_ids):
    """Those of the claims with a source whose first copy is being taken."""
    from .models import Capture

    pending = Capture.objects.filter(
        source__claim__in=claim_ids,
        source__cited_capture=None,
        state__in=[Capture.State.PENDING, Capture.State.RUNNING],
    )
    return set(pending.values_list("source__claim_id", flat=True).distinct())


def refresh_key(claim_id):
    return f"search-refresh:{claim_id}"


def refresh_key_seconds():
    """How long a queued refresh holds its claims' keys: until it runs, with
    time to spare for a busy worker. Should it be lost, changes after that
    queue a new one."""
    from django.conf import settings

    return 2 * settings.SEARCH_REFRESH_DELAY + 30


def matches(text, configs=None):
    """Claims whose vector matches `text` stemmed in the claim's own language.

    One branch per configuration in use, so that each is a scan of INDEX with
    a constant query and the branch's languages, and negation ("-word") keeps
    its meaning in every language.
    """
    condition = Q(pk__in=[])
    for config, languages in (configs or configs_in_use()).items():
        query = websearch(text, config)
        condition |= Q(language__in=languages, search_vector=query)
    return condition


# A run of "-" where a term may start (with spaces or the operators that
# websearch_to_tsquery skips between them) is as many negations to it, and it
# fails past 32 ("tsquery stack too small"): a line of dashes pasted into the
# search box was a 500. Two cancel out.
NEGATIONS = re.compile(r'(?<![^\s!&|()<"])-(?:[\s!&|()<]*-)+', re.ASCII)


def websearch(text, config):
    """`text` as a websearch query, with each run of negations cut to one or
    none, which means the same."""
    text = NEGATIONS.sub(lambda run: "-" if run[0].count("-") % 2 else " ", text)
    return SearchQuery(text, search_type="websearch", config=config)


def configs_in_use():
    """{configuration: [language codes]} for the languages claims are in: a
    search needs no branch for languages nobody writes in."""
    return configs_of(languages_of_claims())


def configs_of(languages):
    """{configuration: [language codes]} for these languages."""
    configs = {}
    for code in languages:
        configs.setdefault(CONFIGS.get(code, "simple"), []).append(code)
    return configs


def languages_of_claims():
    """The languages that claims, drafts too, are in; looked up once per change
    of the claims (DISTINCT reads every claim: 64 ms at 100,000)."""
    from . import caching

    return caching.remembered("languages-in-use", languages_in_use)


def languages_in_use():
    from .models import Claim

    return list(Claim.objects.order_by().values_list("language", flat=True).distinct())


def any_language_query(text, configs):
    """The words in every configuration in use, OR-ed: one constant query to
    rank with, however many languages the matches are in."""
    queries = [websearch(text, config) for config in configs]
    combined = queries[0]
    for query in queries[1:]:
        combined |= query
    return combined


def search(queryset, text):
    """Claims matching `text`, best match first, each with a highlighted snippet
    (none if the query only excludes words: then nothing is there to mark)."""
    configs = configs_in_use()
    if not configs:
        return queryset.none()
    ranking = any_language_query(text, configs)
    snippet = Value(None, output_field=TextField())
    only_in_archive = Value(False)
    if wants_words(text):
        config = claim_config(configs)
        query = websearch(text, config)
        snippet = headline(query, config)
        only_in_archive = OnlyInArchive(query)
    return (
        queryset.filter(matches(text, configs))
        .annotate(
            rank=SearchRank(F("rank_vector"), ranking),
            snippet=snippet,
            only_in_archive=only_in_archive,
        )
        .order_by("-rank", "-verdict_at", "-id")
    )


class OnlyInArchive(Func):
    """Whether the claim matches `query` only through the archived text of its
    sources (weight D): its vector without that text does not match. A
    snippet without marked words cannot tell: the query may have asked only
    for stop words besides its exclusions ("the -Wagner")."""

    output_field = BooleanField()

    def __init__(self, query):
        super().__init__(F("search_vector"), query)

    def as_sql(self, compiler, connection, **extra_context):
        vector, query = self.get_source_expressions()
        vector_sql, vector_params = compiler.compile(vector)
        query_sql, query_params = compiler.compile(query)
        sql = f"NOT (ts_filter({vector_sql}, '{{a,b,c}}') @@ {query_sql})"
        return sql, (*vector_params, *query_params)


def headline(query, config):
    """The best two passages with the matches marked: from the statement,
    summary and claimant if they match (the ranking vector holds just those),
    else from the sources' titles, quotes and publishers. The archived text is
    left out, a long read for every result; a match there shows as a note
    (see `OnlyInArchive`)."""
    from .models import Party

    own_text = JoinedText(" — ", "statement", "summary", claimant_name(Party))
    sources_text = text_of(sources_of_claim(), "title", "quote", "publisher")
    passage_text = Case(When(rank_vector=query, then=own_text), default=sources_text)
    return SearchHeadline(
        passage_text,
        query,
        config=config,
        start_sel=MARK_START,
        stop_sel=MARK_STOP,
        max_words=35,
        min_words=15,
        max_fragments=2,
    )


# A websearch query's terms: words and "quoted phrases", "-" excluding one.
QUERY_TERM = re.compile(r'-?"[^"]*"?|\S+')


def wants_words(text):
    """Whether the query asks for any word, rather than only excluding some."""
    terms = QUERY_TERM.findall(text)
    return any(not term.startswith("-") and term.lower() != "or" for term in terms)


def highlight(snippet):
    """The snippet as safe HTML: the text escaped, the matches in <mark>
    (PostgreSQL's headline already drops anything that looks like a tag).
    Empty if nothing in it matched (see OnlyInArchive)."""
    if MARK_START not in snippet:
        return ""
    html = escape(snippet).replace(MARK_START, "<mark>").replace(MARK_STOP, "</mark>")
    return mark_safe(html)  # noqa: S308 -- everything but our markers is escaped
