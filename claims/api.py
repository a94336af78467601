"""
The public, read-only JSON API. It shows what the public pages show and nothing
more: public claims, their sources and archived copies, the parties that appear
in them, and the rating scale. The claim list shares the HTML list's filters.
"""

import django_filters
from django.db.models import F
from django.http import JsonResponse
from django.urls import path, re_path
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.views import SpectacularJSONAPIView
from rest_framework import pagination, serializers, viewsets
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.routers import DefaultRouter

from . import serializers as api
from . import views
from .filters import (
    ClaimFilter,
    parameters_read_by,
    public_parties,
    public_topics,
    repeated_parameters,
)
from .models import Capture, Claim, Party, Rating, Source, Topic
from .paginators import SearchPaginator

app_name = "api"

SLUG = "[-a-zA-Z0-9_]+"  # as Django's slug path converter

# Columns of a capture that only its detail shows.
CAPTURE_DETAIL_FIELDS = [
    "text",
    "diff",
    "redirect_chain",
    "http_headers",
    "tool_versions",
    "attempt_log",
]


def public_sources():
    return Source.objects.filter(claim__status__in=Claim.PUBLIC_STATUSES)


def public_captures():
    """Archived copies the public archive pages show: finished, of public claims."""
    return Capture.objects.filter(
        state=Capture.State.SUCCEEDED, source__claim__status__in=Claim.PUBLIC_STATUSES
    )


class SourceFilter(django_filters.FilterSet):
    claim = django_filters.ModelChoiceFilter(
        label="Claim (slug)", to_field_name="slug", queryset=Claim.objects.public()
    )

    class Meta:
        model = Source
        fields = []


class CaptureFilter(django_filters.FilterSet):
    source = django_filters.ModelChoiceFilter(
        label="Source (id)", queryset=public_sources()
    )

    class Meta:
        model = Capture
        fields = []


class PageNumbers(pagination.PageNumberPagination):
    """Any page number but an existing page's is a 400, like a bad filter value.

    The HTML list shows its last page instead; a script walking the pages would
    then get that page forever, where an error stops it.
    """

    last_page_strings = ()
    invalid_page_message = "Invalid page: {message}."

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get("q", "").strip():
            self.django_paginator_class = SearchPaginator
        try:
            return super().paginate_queryset(queryset, request, view)
        except NotFound as error:
            raise ValidationError({"page": [error.detail]}) from None

    def get_schema_operation_parameters(self, view):
        [page] = super().get_schema_operation_parameters(view)
        page["schema"]["minimum"] = 1
        return [page]


class NotFoundSerializer(serializers.Serializer):
    detail = serializers.CharField()


INVALID_QUERY = {
    "type": "object",
    "description": "The messages for each query parameter that was not understood.",
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}


class PublicSchema(AutoSchema):
    """Declares the error answers and empty query values too, so that the
    schema-driven test holds every operation to them."""

    def get_operation(self, *args, **kwargs):
        operation = super().get_operation(*args, **kwargs)
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query":
                # As in the HTML form, an empty value means "any".
                parameter["allowEmptyValue"] = True
        return operation

    def get_response_serializers(self):
        found = super().get_response_serializers()
        if self.view.action == "list":
            return {200: found, 400: INVALID_QUERY}
        return {200: found, 404: NotFoundSerializer}


class PublicViewSet(viewsets.ReadOnlyModelViewSet):
    pagination_class = PageNumbers
    schema = PublicSchema()
    # Anything else in the URL is a 404 before the database sees it (which
    # would fail on a NUL character, for one).
    lookup_value_regex = "[0-9]+"

    def filter_queryset(self, queryset):
        # The filters narrow lists; an object's own URL ignores them.
        if self.action == "list":
            if repeated := repeated_parameters(
                self.request.query_params, self.parameters_read()
            ):
                raise ValidationError(repeated)
            return super().filter_queryset(queryset)
        return queryset

    def parameters_read(self):
        filterset_class = getattr(self, "filterset_class", None)
        filters = parameters_read_by(filterset_class) if filterset_class else []
        return [*filters, self.paginator.page_query_param]


class ClaimViewSet(PublicViewSet):
    """Public claims. The list, newest verdict first, takes the HTML list's filters."""

    lookup_field = "slug"
    lookup_value_regex = SLUG
    filterset_class = ClaimFilter

    def get_queryset(self):
        # The public pages' own querysets: the same claims, the same prefetching.
        if self.action == "list":
            return views.listed_claims()
        return views.reviewed_claims()

    def get_serializer_class(self):
        if self.action == "list":
            return api.ClaimSerializer
        return api.ClaimDetailSerializer


class PartyViewSet(PublicViewSet):
    """Parties that public claims name, as claimant or as a source's party."""

    lookup_field = "slug"
    lookup_value_regex = SLUG
    queryset = Party.objects.all()  # for the schema; see get_queryset
    serializer_class = api.PartySerializer

    def get_queryset(self):
        return public_parties().order_by("name", "pk")


class TopicViewSet(PublicViewSet):
    """Topics of public claims."""

    lookup_field = "slug"
    lookup_value_regex = SLUG
    queryset = Topic.objects.all()  # for the schema; see get_queryset
    serializer_class = api.TopicSerializer

    def get_queryset(self):
        return public_topics().order_by("name", "pk")


class SourceViewSet(PublicViewSet):
    """Sources cited by public claims."""

    filterset_class = SourceFilter
    serializer_class = api.SourceSerializer

    def get_queryset(self):
        return (
            public_sources()
            .select_related("party", "cited_capture")
            .defer(*views.ARCHIVE_TEXT_FIELDS)
            .annotate(claim_slug=F("claim__slug"))
        )


class CaptureViewSet(PublicViewSet):
    """Archived copies of the sources of public claims, newest first.

    The list leaves out the extracted text; a capture's own URL has it.
    """

    filterset_class = CaptureFilter

    def get_queryset(self):
        captures = public_captures().annotate(claim_slug=F("source__claim__slug"))
        if self.action == "list":
            return captures.defer(*CAPTURE_DETAIL_FIELDS)
        # The original's own claim says whether the public may follow it.
        return captures.select_related("revisit_of__source__claim").defer(
            *(f"revisit_of__{field}" for field in CAPTURE_DETAIL_FIELDS)
        )

    def get_serializer_class(self):
        if self.action == "list":
            return api.CaptureSerializer
        return api.CaptureDetailSerializer


class RatingViewSet(PublicViewSet):
    """The verdict scale, in its order: "true" first."""

    lookup_field = "slug"
    lookup_value_regex = SLUG
    queryset = Rating.objects.all()
    serializer_class = api.RatingSerializer


def not_found(request):
    """Unknown API URLs answer in JSON too, as the schema says every 404 does."""
    return JsonResponse({"detail": "Not found."}, status=404)


router = DefaultRouter()
router.include_format_suffixes = False
router.register("claims", ClaimViewSet, basename="claim")
router.register("parties", PartyViewSet, basename="party")
router.register("topics", TopicViewSet, basename="topic")
router.register("sources", SourceViewSet, basename="source")
router.register("captures", CaptureViewSet, basename="capture")
router.register("ratings", RatingViewSet, basename="rating")

urlpatterns = [
    path("schema/", SpectacularJSONAPIView.as_view(), name="schema"),
    *router.urls,
    # Any path that ends in a slash (newlines included), so that /api/claims
    # still redirects to /api/claims/.
    re_path(r"^[\s\S]*/$", not_found),
]
