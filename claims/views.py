import csv
import datetime
import itertools
import logging
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.sitemaps import views as sitemap_views
from django.core import signing
from django.core.exceptions import TooManyFieldsSent
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.views import defaults
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import DetailView
from django_filters.views import FilterView

from . import caching, charts, claimreview, permissions, services, timeline
from .caching import cache_public_page
from .capture import read_payload
from .capture.extract import MAX_MARKUP_BYTES, decode_markup
from .filters import ClaimFilter, parameters_read_by, repeated_parameters
from .forms import AsOfForm
from .models import Capture, Claim, Rating, Source, VerdictChange, plain_text
from .paginators import CappedPaginator, RememberedCountPaginator
from .sitemaps import SITEMAPS

logger = logging.getLogger(__name__)


def reviewed_claims():
    """Public claims with everything a claim page or a ClaimReview shows."""
    sources = (
        Source.objects.select_related("party", "cited_capture", "latest_capture")
        .defer(*ARCHIVE_TEXT_FIELDS, *LATEST_CAPTURE_FIELDS)
        .order_by("published_on", "id")
    )
    # Only the verdicts the public saw (Claim.public_history): a draft's notes
    # stay in the database.
    history = VerdictChange.objects.filter(published_at__isnull=False).select_related(
        "rating", "changed_by"
    )
    return (
        Claim.objects.public()
        .select_related("claimant", "rating")
        .defer("search_vector", "rank_vector")
        .prefetch_related(
            "topics",
            Prefetch("sources", queryset=sources),
            Prefetch("verdict_changes", queryset=history),
        )
    )


# A source's archived copy shows as a link with its date; a capture's other
# three dozen columns (its text among them) stay in the database.
ARCHIVE_TEXT_FIELDS = [
    f"cited_capture__{field.name}"
    for field in Capture._meta.concrete_fields
    if field.name not in ("id", "fetch_started_at")
]
# Of its latest capture, only whether it failed (Source.copy_failed) or found
# the page changed (Source.change_found).
LATEST_CAPTURE_FIELDS = [
    f"latest_capture__{field.name}"
    for field in Capture._meta.concrete_fields
    if field.name not in ("id", "state", "change")
]


def listed_claims():
    """Public claims for lists, newest verdict first."""
    return (
        Claim.objects.public()
        .select_related("claimant", "rating")
        .prefetch_related("topics")
        .defer("search_vector", "rank_vector")
        .order_by("-verdict_at", "-id")
    )


@method_decorator(cache_public_page, name="dispatch")
class ClaimListView(FilterView):
    filterset_class = ClaimFilter
    template_name = "claims/claim_list.html"
    paginate_by = 20
    strict = False

    def get_queryset(self):
        return listed_claims()

    def get_filterset_kwargs(self, filterset_class):
        """As django-filter's, with the reader's values as plain text: the form
        shows a refused value back, and a NUL in it was refused, invisibly
        echoed and invalid HTML. The page's CSV does the same; the API still
        refuses it."""
        kwargs = super().get_filterset_kwargs(filterset_class)
        if kwargs["data"] is not None:
            kwargs["data"] = as_plain_text(kwargs["data"])
        return kwargs

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters_in_use"] = self.given_except("q", "page")
        if not self.request.GET:
            counts, moves = caching.remembered("charts", charts.figures)
            context["verdict_counts"], context["verdict_moves"] = counts, moves
        return context

    def given_except(self, *ignored):
        """Whether the query string sets anything but `ignored`."""
        return any(v for k, v in self.request.GET.items() if k not in ignored)

    def get_paginator(self, queryset, per_page, **kwargs):
        if self.request.GET.get("q", "").strip():
            return CappedPaginator(queryset, per_page, **kwargs)
        if not self.given_except("page"):
            return RememberedCountPaginator(
                queryset, per_page, remember_as="public-count", **kwargs
            )
        return super().get_paginator(queryset, per_page, **kwargs)

    def paginate_queryset(self, queryset, page_size):
        """Like Django's, but an absurd page number gives the nearest real page."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()


def as_plain_text(query):
    """A copy of the query string with its values as plain text."""
    plain = QueryDict(mutable=True)
    for key, values in query.lists():
        plain.setlist(key, [plain_text(value) for value in values])
    return plain


@method_decorator(cache_public_page, name="dispatch")
class ClaimDetailView(DetailView):
    template_name = "claims/claim_detail.html"

    def get_object(self, queryset=None):
        return get_object_or_404(reviewed_claims(), slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if claimreview.has_review(self.object):
            review = claimreview.claim_review(self.object)
            context["claim_review"] = claimreview.json_ld(review)
        context["timeline"] = timeline.draw(self.object)
        form = AsOfForm(self.request.GET if "as_of" in self.request.GET else None)
        context["as_of_form"] = form
        if form.is_valid():
            day = form.cleaned_data["as_of"]
            end_of_day = datetime.datetime.combine(day, datetime.time.max)
            moment = timezone.make_aware(end_of_day)
            context["as_of"] = day
            context["rating_as_of"] = self.object.rating_as_of(moment)
        return context


@cache_public_page
def claimreview_feed(request):
    """Every published ClaimReview, as JSON, a page at a time."""
    claims = (
        reviewed_claims()
        .filter(status__in=[Claim.Status.PUBLISHED, Claim.Status.UPDATED])
        .order_by("-published_at", "-id")
    )
    page = Paginator(claims, CLAIMREVIEW_PAGE).get_page(request.GET.get("page"))
    next_url = None
    if page.has_next():
        # On SITE_URL, like every absolute link: the page is cached for all hosts.
        next_page = f"{request.path}?page={page.next_page_number()}"
        next_url = claimreview.absolute(next_page)
    return JsonResponse(
        {
            "@context": "https://schema.org",
            "@graph": [claimreview.claim_review(claim) for claim in page],
            "page": page.number,
            "pages": page.paginator.num_pages,
            "next": next_url,
        },
        json_dumps_params={"ensure_ascii": False},
    )


CLAIMREVIEW_PAGE = 200


class Echo:
    """A file-like object that hands back what is written, for streaming CSV."""

    def write(self, value):
        return value


CSV_COLUMNS = [
    "url",
    "statement",
    "language",
    "claimant",
    "verdict",
    "status",
    "first_made_on",
    "published_at",
    "verdict_at",
    "topics",
]


def claim_list_csv(request):
    """The claim list, with the same filters, as CSV (UTF-8 with a BOM, so that
    spreadsheet programs read umlauts right)."""
    if repeated := repeated_parameters(request.GET, parameters_read_by(ClaimFilter)):
        return JsonResponse({"errors": repeated}, status=400)
    data = as_plain_text(request.GET) if request.GET else None
    filterset = ClaimFilter(data, queryset=listed_claims(), request=request)
    if filterset.is_bound and not filterset.is_valid():
        return JsonResponse({"errors": filterset.errors}, status=400)
    writer = csv.writer(Echo())
    rows = (csv_row(claim) for claim in filterset.qs.iterator(chunk_size=2000))
    lines = itertools.chain(
        ["\ufeff" + writer.writerow(CSV_COLUMNS)], map(writer.writerow, rows)
    )
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="claims.csv"'
    return response


def csv_row(claim):
    return [
        spreadsheet_text(value)
        for value in [
            claimreview.canonical_url(claim),
            claim.statement,
            claim.language,
            claim.claimant.name,
            claim.rating.label_en if claim.rating else "",
            claim.status,
            claim.first_made_on or "",
            claim.published_at.isoformat() if claim.published_at else "",
            claim.verdict_at.isoformat() if claim.verdict_at else "",
            "; ".join(topic.name for topic in claim.topics.all()),
        ]
    ]


# Spreadsheet programs run a cell that starts like this as a formula
# ("=HYPERLINK(...)" in a claim's statement); a leading quote keeps it text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(value):
    value = str(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def get_capture(request, pk, *, grant=None):
    capture = get_object_or_404(
        Capture.objects.select_related(
            "source__claim", "source__party", "revisit_of__source__claim"
        ),
        pk=pk,
        state=Capture.State.SUCCEEDED,
    )
    if not (permissions.can_view_capture(request.user, capture) or granted(grant, pk)):
        raise Http404
    return capture


@cache_public_page
def capture_detail(request, pk):
    capture = get_capture(request, pk)
    return render(
        request,
        "claims/capture_detail.html",
        {
            "capture": capture,
            "original": original_to_link(request.user, capture),
            "raw_url": playback_url(capture),
            "plays_inline": plays_inline(capture.content_type),
        },
    )


def original_to_link(user, capture):
    """The capture whose WARC holds this copy's page, if `user` may see it
    (one kept after its source was deleted is for the desk only)."""
    original = capture.revisit_of
    if original and permissions.can_view_capture(user, original):
        return original
    return None


# The playback origin (ARCHIVE_PLAYBACK_ORIGIN) shares no cookies with the
# application, so nobody is logged in there. A copy the public may not see
# (a draft's) plays there with a grant in its URL: the capture's id, signed,
# valid for PLAYBACK_GRANT_SECONDS, and given only with the archive page that
# the desk's permissions let through.
def playback_grants():
    return signing.TimestampSigner(salt="claims.views.playback")


def playback_url(capture):
    url = reverse("claims:capture_raw", kwargs={"pk": capture.pk})
    origin = settings.ARCHIVE_PLAYBACK_ORIGIN
    if not origin:
        return url
    if not permissions.is_public_capture(capture):
        url += "?" + urlencode({"grant": playback_grants().sign(str(capture.pk))})
    return origin + url


def granted(grant, pk):
    if not grant or not settings.ARCHIVE_PLAYBACK_ORIGIN:
        return False
    try:
        value = playback_grants().unsign(grant, max_age=settings.PLAYBACK_GRANT_SECONDS)
    except signing.BadSignature:  # expired ones too
        return False
    return value == str(pk)


def open_warc(capture):
    """The stored WARC file of `capture`, or None if storage has lost it (a file
    deleted by hand, a disk not mounted): the row alone cannot play it back."""
    try:
        return capture.warc.open("rb")
    except (FileNotFoundError, ValueError):  # ValueError: the row names no file
        logger.error(
            "The WARC file of capture %s is missing from storage: %r",
            capture.pk,
            capture.warc.name,
        )
        return None


def warc_missing(request, capture):
    """A 404, not a 500: the copy's record is kept, its file is not there.
    Not 410, which says "for good": a restore from backup brings it back,
    so nothing may keep this answer either."""
    response = render(
        request, "claims/capture_missing.html", {"capture": capture}, status=404
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def capture_warc(request, pk):
    capture = get_capture(request, pk)
    stored = open_warc(capture)
    if stored is None:
        return warc_missing(request, capture)
    response = FileResponse(
        stored,
        as_attachment=True,
        filename=f"capture-{capture.pk}.warc.gz",
        content_type="application/warc",
    )
    return response


# The archived page is hostile until proven otherwise: no scripts, no
# same-origin access, no forms, and no requests to anywhere.
PLAYBACK_POLICY = (
    "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
    "frame-ancestors 'self'"
)


@xframe_options_exempt
def capture_raw(request, pk):
    capture = get_capture(request, pk, grant=request.GET.get("grant"))
    origin = settings.ARCHIVE_PLAYBACK_ORIGIN
    if origin and request.build_absolute_uri("/").rstrip("/") != origin:
        return redirect(origin + request.get_full_path())
    stored = open_warc(capture.payload_capture)
    if stored is None:
        response = warc_missing(request, capture)
        # It shows in the archive page's frame, as the copy would.
        response.headers["Content-Security-Policy"] = PLAYBACK_POLICY + frame_ancestor()
        return response
    headers, chunks = read_payload(stored)
    content_type = capture.content_type
    if not plays_inline(content_type):
        # Not its own type: with nosniff, no page of the application's origin
        # can then load an archived script or style sheet as one (script-src
        # 'self' would let it run there).
        content_type = "application/octet-stream"
    elif "charset" not in content_type.lower():
        chunks, content_type = with_charset(chunks, content_type)
    response = StreamingHttpResponse(
        closing_iterator(chunks, stored), content_type=content_type
    )
    response.headers["Content-Security-Policy"] = PLAYBACK_POLICY + frame_ancestor()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    # A copy for the desk is not kept: the browser would show it again after
    # its grant expired, or to whoever uses that browser next.
    keep = "max-age=3600" if permissions.is_public_capture(capture) else "no-store"
    response.headers["Cache-Control"] = f"private, {keep}"
    if not plays_inline(content_type):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="{capture.file_name}"'
        )
    return response


def with_charset(chunks, content_type):
    """Declare the charset the page was read with, as the text extraction did,
    from the same bytes: a page that declares none is windows-1252 if any of
    them is not UTF-8, which may be far into the page. A browser left to
    guess would show UTF-8 pages as mojibake."""
    head, size = [], 0
    for chunk in chunks:
        head.append(chunk)
        size += len(chunk)
        if size >= MAX_MARKUP_BYTES:
            break
    start = b"".join(head)
    encoding, _ = decode_markup(content_type, start[:MAX_MARKUP_BYTES])
    return itertools.chain([start], chunks), f"{content_type}; charset={encoding}"


def plays_inline(content_type):
    return content_type.split(";")[0].strip().lower() in (
        "text/html",
        "application/xhtml+xml",
        "text/plain",
    )


def frame_ancestor():
    return f" {settings.SITE_URL}" if settings.ARCHIVE_PLAYBACK_ORIGIN else ""


def closing_iterator(chunks, fileobj):
    try:
        yield from chunks
    finally:
        fileobj.close()


@cache_control(max_age=300, public=True)
def ratings_css(request):
    """Badge colours from the rating scale, so pages need no inline styles."""
    rules = [
        f".badge--{rating.slug}, .dot--{rating.slug} "
        f"{{ background: {rating.colour}; color: {rating.text_colour}; }}"
        f"\n.fill--{rating.slug} {{ fill: {rating.colour}; }}"
        f"\n.label--{rating.slug} {{ fill: {rating.text_colour}; }}"
        for rating in Rating.objects.all()
    ]
    return HttpResponse("\n".join(rules), content_type="text/css; charset=utf-8")


def bad_request(request, exception):
    """Requests Django refuses before any view answers (more query parameters
    than DATA_UPLOAD_MAX_NUMBER_FIELDS): the API and the CSV say why in JSON,
    as for their other bad queries, rather than with the site's HTML page."""
    if isinstance(exception, TooManyFieldsSent):
        limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
        message = f"More than {limit} query parameters."
    else:
        message = "Bad request."
    if request.path.startswith("/api/"):
        return JsonResponse({"query": [message]}, status=400)
    match = request.resolver_match
    if match and match.view_name == "claims:claim_list_csv":
        return JsonResponse({"errors": {"query": [message]}}, status=400)
    return defaults.bad_request(request, exception)


@never_cache
def healthz(request):
    """For load balancers and monitoring: 200 when all is well, else 503."""
    state = services.health()
    return JsonResponse(
        {"status": "ok" if state["ok"] else "down", **state["checks"]},
        status=200 if state["ok"] else 503,
    )


def ping(request):
    """A constant answer through the whole middleware stack: the baseline of
    the page benchmarks, and a liveness probe that touches nothing."""
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    return redirect(static("claims/favicon.svg"), permanent=True)


def robots_txt(request):
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /de/admin/",
        "Disallow: /api/",
        "Disallow: /archive/",
        "Disallow: /de/archive/",
        f"Sitemap: {settings.SITE_URL}{reverse('sitemap')}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain")


@cache_public_page
def sitemap_index(request):
    """Django's sitemap index of every section page, its links moved to
    SITE_URL like the sections' own (it is cached once for every host)."""
    response = sitemap_views.index(
        request, SITEMAPS, sitemap_url_name="sitemap_section"
    )
    site = urlsplit(settings.SITE_URL)
    for entry in response.context_data["sitemaps"]:
        link = urlsplit(entry.location)
        entry.location = link._replace(scheme=site.scheme, netloc=site.netloc).geturl()
    return response
