"""What the public API says about each object: only what the public pages show."""

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from . import permissions
from .filters import PUBLIC_STATUS_CHOICES
from .models import Capture, Claim, Party, Rating, Source, Topic, VerdictChange


@extend_schema_field({"type": "string", "format": "iri"})
class IRIField(serializers.CharField):
    """A URL as an editor or the fetcher stored it. It may hold characters
    beyond ASCII, so it is an IRI rather than a URI."""


@extend_schema_field({"type": "string", "format": "iri", "nullable": True})
class OptionalIRIField(IRIField):
    """A URL the model may leave blank: the API says null rather than ""."""

    def to_representation(self, value):
        return value or None


class PublicSerializer(serializers.ModelSerializer):
    def get_fields(self):
        # Every field read-only, so that the schema says each is always present.
        fields = super().get_fields()
        for field in fields.values():
            field.read_only = True
        return fields


@extend_schema_field(OpenApiTypes.URI)
class LinkField(serializers.Field):
    """The absolute URL of a named route, for the object's key."""

    def __init__(self, view_name, lookup="pk", **kwargs):
        self.view_name, self.lookup = view_name, lookup
        super().__init__(source="*", read_only=True, **kwargs)

    def to_representation(self, instance):
        path = reverse(
            self.view_name, kwargs={self.lookup: getattr(instance, self.lookup)}
        )
        return self.context["request"].build_absolute_uri(path)


class RatingSerializer(PublicSerializer):
    """A step of the verdict scale, with its ClaimReview values."""

    class Meta:
        model = Rating
        fields = [
            "slug",
            "label_en",
            "label_de",
            "description_en",
            "description_de",
            "order",
            "colour",
            "rating_value",
            "best_rating",
            "worst_rating",
        ]


class TopicSerializer(PublicSerializer):
    api_url = LinkField("api:topic-detail", lookup="slug")

    class Meta:
        model = Topic
        fields = ["slug", "name", "api_url"]


class PartyBriefSerializer(PublicSerializer):
    api_url = LinkField("api:party-detail", lookup="slug")

    class Meta:
        model = Party
        fields = ["slug", "name", "kind", "api_url"]


class PartySerializer(PartyBriefSerializer):
    """A claimant or a party a source speaks for."""

    website = OptionalIRIField(source="url")

    class Meta(PartyBriefSerializer.Meta):
        fields = [*PartyBriefSerializer.Meta.fields, "description", "website"]


class ArchivedCopySerializer(PublicSerializer):
    """A source's archived copy as cited: a link to the public archive page."""

    captured_at = serializers.DateTimeField(source="fetch_started_at")
    url = LinkField("claims:capture_detail")
    api_url = LinkField("api:capture-detail")

    class Meta:
        model = Capture
        fields = ["id", "captured_at", "url", "api_url"]


class ClaimSourceSerializer(PublicSerializer):
    """A source as its claim's page lists it."""

    url = IRIField()
    party = PartyBriefSerializer()
    archived_copy = ArchivedCopySerializer(source="cited_capture", allow_null=True)

    class Meta:
        model = Source
        fields = [
            "id",
            "url",
            "title",
            "party",
            "stance",
            "publisher",
            "published_on",
            "quote",
            "archived_copy",
            "live_status",
        ]


class SourceSerializer(ClaimSourceSerializer):
    """A source cited by a public claim, naming the claim."""

    claim = serializers.SlugField(source="claim_slug")
    api_url = LinkField("api:source-detail")

    class Meta(ClaimSourceSerializer.Meta):
        fields = ["id", "claim", *ClaimSourceSerializer.Meta.fields[1:], "api_url"]


@extend_schema_field({"type": "string", "nullable": True})
class PreviousVerdictField(serializers.SlugRelatedField):
    """The slug of the verdict the public saw before, set by
    Claim.public_history rather than read from a model field."""


class VerdictChangeSerializer(PublicSerializer):
    """One entry of the public verdict history (Claim.public_history), with the
    reviewer's note, dated when the public first saw the verdict."""

    changed_at = serializers.DateTimeField(source="published_at")
    previous_verdict = PreviousVerdictField(
        source="public_previous_rating", slug_field="slug", read_only=True
    )
    verdict = serializers.SlugRelatedField(
        source="rating", slug_field="slug", read_only=True
    )
    reviewer = serializers.CharField(source="reviewer_name")

    class Meta:
        model = VerdictChange
        fields = ["changed_at", "previous_verdict", "verdict", "note", "reviewer"]


class ClaimSerializer(PublicSerializer):
    """A public claim and its verdict."""

    # Only public statuses can occur, and the schema says so: a draft in a
    # response would be a schema violation.
    status = serializers.ChoiceField(choices=PUBLIC_STATUS_CHOICES)
    claimant = PartyBriefSerializer()
    topics = TopicSerializer(many=True)
    verdict = RatingSerializer(source="rating", allow_null=True)
    first_appearance_url = OptionalIRIField()
    url = LinkField("claims:claim_detail", lookup="slug")
    api_url = LinkField("api:claim-detail", lookup="slug")

    class Meta:
        model = Claim
        fields = [
            "slug",
            "statement",
            "language",
            "claimant",
            "topics",
            "summary",
            "status",
            "verdict",
            "verdict_at",
            "published_at",
            "first_made_on",
            "first_appearance_url",
            "url",
            "api_url",
        ]


class ClaimDetailSerializer(ClaimSerializer):
    """A public claim with its sources and verdict history, as its page shows."""

    sources = ClaimSourceSerializer(many=True)
    verdict_history = VerdictChangeSerializer(source="public_history", many=True)

    class Meta(ClaimSerializer.Meta):
        fields = [*ClaimSerializer.Meta.fields, "sources", "verdict_history"]


class CaptureSerializer(PublicSerializer):
    """An archived copy: what its public archive page shows, but the text."""

    claim = serializers.SlugField(source="claim_slug")
    requested_url = IRIField(source="url")
    final_url = OptionalIRIField()
    captured_at = serializers.DateTimeField(source="fetch_started_at")
    url = LinkField("claims:capture_detail")
    warc_url = LinkField("claims:capture_warc")
    api_url = LinkField("api:capture-detail")

    class Meta:
        model = Capture
        fields = [
            "id",
            "claim",
            "source",
            "requested_url",
            "final_url",
            "title",
            "captured_at",
            "http_status",
            "content_type",
            "payload_sha256",
            "warc_sha256",
            "change",
            "url",
            "warc_url",
            "api_url",
        ]


class RedirectSerializer(serializers.Serializer):
    status = serializers.IntegerField()
    url = serializers.CharField()
    location = serializers.CharField()


@extend_schema_field({"type": "integer", "nullable": True})
class OriginalCaptureField(serializers.Field):
    """The id of the capture whose WARC holds the page, if the public may see
    it; one kept after its source was deleted is for the desk only, as on the
    archive page."""

    def to_representation(self, original):
        if permissions.is_public_capture(original):
            return original.pk
        return None


class CaptureDetailSerializer(CaptureSerializer):
    """An archived copy: all that its public archive page shows."""

    redirect_chain = RedirectSerializer(many=True)
    revisit_of = OriginalCaptureField(read_only=True)

    class Meta(CaptureSerializer.Meta):
        fields = [
            *CaptureSerializer.Meta.fields,
            "ip_address",
            "redirect_chain",
            "revisit_of",
            "diff",
            "text",
        ]
