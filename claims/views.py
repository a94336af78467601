import datetime

from django.conf import settings
from django.db.models import Prefetch
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.generic import DetailView
from django_filters.views import FilterView

from . import permissions
from .capture import read_payload
from .filters import ClaimFilter
from .forms import AsOfForm
from .models import Capture, Claim, Source, VerdictChange

# Large columns a claim page does not show.
ARCHIVE_TEXT_FIELDS = [
    "cited_capture__text",
    "cited_capture__diff",
    "cited_capture__http_headers",
    "cited_capture__tool_versions",
]


class ClaimListView(FilterView):
    filterset_class = ClaimFilter
    template_name = "claims/claim_list.html"
    paginate_by = 20
    strict = False

    def get_queryset(self):
        return (
            Claim.objects.public()
            .select_related("claimant", "rating")
            .prefetch_related("topics")
            .order_by("-verdict_at", "-id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filters_in_use"] = any(
            value for key, value in self.request.GET.items() if key not in ("q", "page")
        )
        return context

    def paginate_queryset(self, queryset, page_size):
        """Like Django's, but an absurd page number gives the nearest real page."""
        paginator = self.get_paginator(queryset, page_size)
        page = paginator.get_page(self.request.GET.get("page"))
        return paginator, page, page.object_list, page.has_other_pages()


class ClaimDetailView(DetailView):
    template_name = "claims/claim_detail.html"

    def get_object(self, queryset=None):
        sources = (
            Source.objects.select_related("party", "cited_capture")
            .defer(*ARCHIVE_TEXT_FIELDS)
            .order_by("published_on", "id")
        )
        history = VerdictChange.objects.select_related(
            "previous_rating", "rating", "changed_by"
        )
        claims = (
            Claim.objects.public()
            .select_related("claimant", "rating")
            .prefetch_related(
                "topics",
                Prefetch("sources", queryset=sources),
                Prefetch("verdict_changes", queryset=history),
            )
        )
        return get_object_or_404(claims, slug=self.kwargs["slug"])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = AsOfForm(self.request.GET if "as_of" in self.request.GET else None)
        context["as_of_form"] = form
        if form.is_valid():
            day = form.cleaned_data["as_of"]
            end_of_day = datetime.datetime.combine(day, datetime.time.max)
            moment = timezone.make_aware(end_of_day)
            context["as_of"] = day
            context["rating_as_of"] = self.object.rating_as_of(moment)
        return context


def get_capture(request, pk):
    capture = get_object_or_404(
        Capture.objects.select_related("source__claim", "source__party", "revisit_of"),
        pk=pk,
        state=Capture.State.SUCCEEDED,
    )
    if not permissions.can_view_capture(request.user, capture):
        raise Http404
    return capture


def capture_detail(request, pk):
    capture = get_capture(request, pk)
    raw_url = reverse("claims:capture_raw", kwargs={"pk": pk})
    return render(
        request,
        "claims/capture_detail.html",
        {
            "capture": capture,
            "raw_url": settings.ARCHIVE_PLAYBACK_ORIGIN + raw_url,
            "plays_inline": plays_inline(capture.content_type),
        },
    )


def capture_warc(request, pk):
    capture = get_capture(request, pk)
    response = FileResponse(
        capture.warc.open("rb"),
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
    capture = get_capture(request, pk)
    origin = settings.ARCHIVE_PLAYBACK_ORIGIN
    if origin and request.build_absolute_uri("/").rstrip("/") != origin:
        return redirect(origin + request.path)
    stored = capture.payload_capture.warc.open("rb")
    headers, chunks = read_payload(stored)
    content_type = capture.content_type or "application/octet-stream"
    response = StreamingHttpResponse(
        closing_iterator(chunks, stored), content_type=content_type
    )
    response.headers["Content-Security-Policy"] = PLAYBACK_POLICY + frame_ancestor()
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, max-age=3600"
    if not plays_inline(content_type):
        response.headers["Content-Disposition"] = (
            f'attachment; filename="capture-{capture.pk}"'
        )
    return response


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
