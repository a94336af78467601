import datetime
import mimetypes
import re

from django.conf import settings
from django.conf.global_settings import LANGUAGES
from django.contrib.postgres.search import SearchVectorField
from django.core.validators import RegexValidator
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

colour_validator = RegexValidator(
    r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb, for example #c62828.")
)


class Topic(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name


class Party(models.Model):
    """A claimant or other actor: a person or an organisation."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        ORGANISATION = "organisation", _("Organisation")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    description = models.TextField(_("description"), blank=True)
    url = models.URLField(_("website"), max_length=2000, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("party")
        verbose_name_plural = _("parties")

    def __str__(self):
        return self.name


class Rating(models.Model):
    """One step of the verdict scale. The scale is data, seeded by a migration."""

    slug = models.SlugField(_("slug"), max_length=50, unique=True)
    label_en = models.CharField(_("label (English)"), max_length=100)
    label_de = models.CharField(_("label (German)"), max_length=100)
    description_en = models.CharField(_("description (English)"), max_length=300)
    description_de = models.CharField(_("description (German)"), max_length=300)
    order = models.PositiveSmallIntegerField(_("order"), unique=True)
    colour = models.CharField(_("colour"), max_length=7, validators=[colour_validator])
    rating_value = models.SmallIntegerField(_("ClaimReview ratingValue"))
    best_rating = models.SmallIntegerField(_("ClaimReview bestRating"))
    worst_rating = models.SmallIntegerField(_("ClaimReview worstRating"))

    class Meta:
        ordering = ["order"]
        verbose_name = _("rating")
        verbose_name_plural = _("rating scale")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating_value__gte=models.F("worst_rating"))
                & models.Q(rating_value__lte=models.F("best_rating")),
                name="rating_value_within_scale",
                violation_error_message=_(
                    "The rating value must lie between the worst and best rating."
                ),
            ),
        ]

    def __str__(self):
        return self.label

    @property
    def label(self):
        return self.label_de if get_language() == "de" else self.label_en

    @property
    def description(self):
        return self.description_de if get_language() == "de" else self.description_en

    @property
    def text_colour(self):
        """Black or white, whichever has the higher WCAG 2 contrast ratio with
        the badge colour."""
        luminance = relative_luminance(self.colour)
        on_black = (luminance + 0.05) / 0.05
        on_white = 1.05 / (luminance + 0.05)
        return "#000000" if on_black > on_white else "#ffffff"


def relative_luminance(colour):
    """WCAG 2's relative luminance of a #rrggbb colour."""

    def linear(channel):
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(int(colour[i : i + 2], 16)) for i in (1, 3, 5))
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


# C0 control characters but tab, newline and carriage return: invisible, and
# not allowed in XML 1.0 (feeds) or HTML. Word pastes its line break (Shift+
# Enter) as a vertical tab.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def plain_text(value):
    """`value` with line breaks as newlines and no other control characters."""
    value = value.replace("\x0b", "\n").replace("\x0c", "\n")
    return CONTROL_CHARACTERS.sub("", value)


def translated_language_name(code):
    """A language's name in the active language. Django's LANGUAGES names are
    English, marked but not translated, so they are translated when shown."""
    return gettext(LANGUAGE_NAMES.get(code, code))


LANGUAGE_NAMES = dict(LANGUAGES)


class ClaimQuerySet(models.QuerySet):
    def public(self):
        return self.filter(status__in=Claim.PUBLIC_STATUSES)

    def slug_of(self, pk):
        """The claim's slug, or None if there is no such claim (any more)."""
        return self.filter(pk=pk).values_list("slug", flat=True).first()


class Claim(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        PUBLISHED = "published", _("Published")
        UPDATED = "updated", _("Updated")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    PUBLIC_STATUSES = (Status.PUBLISHED, Status.UPDATED, Status.WITHDRAWN)

    statement = models.TextField(_("statement as made"))
    slug = models.SlugField(_("slug"), max_length=120, unique=True)
    language = models.CharField(
        _("language of the statement"), max_length=10, choices=LANGUAGES
    )
    claimant = models.ForeignKey(
        Party,
        verbose_name=_("claimant"),
        on_delete=models.PROTECT,
        related_name="claims_made",
    )
    first_made_on = models.DateField(_("first made on"), null=True, blank=True)
    first_appearance_url = models.URLField(
        _("first appeared at"), max_length=2000, blank=True
    )
    topics = models.ManyToManyField(
        Topic, verbose_name=_("topics"), blank=True, related_name="claims"
    )
    summary = models.TextField(
        _("public summary and rationale"),
        blank=True,
        help_text=_("Required before publishing. Shown on the public page."),
    )
    status = models.CharField(
        _("workflow status"), max_length=20, choices=Status, default=Status.DRAFT
    )
    rating = models.ForeignKey(
        Rating,
        verbose_name=_("verdict"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="claims",
    )
    verdict_at = models.DateTimeField(_("verdict given at"), null=True, blank=True)
    submitted_at = models.DateTimeField(
        _("submitted for review at"), null=True, blank=True
    )
    published_at = models.DateTimeField(_("first published at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Kept current by claims.search; its GIN index is created by a migration on
    # PostgreSQL only (see 0005_search).
    search_vector = SearchVectorField(null=True, editable=False)
    # Statement, summary and claimant only: small, so ranking thousands of
    # matches stays cheap (claims.search).
    rank_vector = SearchVectorField(null=True, editable=False)

    objects = ClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        permissions = [("review_claim", _("Can set verdicts and publish claims"))]
        indexes = [
            # The public list: public claims, newest verdict first.
            models.Index(
                fields=["-verdict_at", "-id"],
                # Claim.PUBLIC_STATUSES, which Meta cannot see
                condition=models.Q(status__in=["published", "updated", "withdrawn"]),
                name="claim_public_by_verdict",
            ),
            # The review queue: claims in review, oldest submission first.
            models.Index(
                fields=["status", "submitted_at"], name="claim_status_submitted"
            ),
        ]

    def __str__(self):
        return self.statement[:80]

    def get_absolute_url(self):
        return reverse("claims:claim_detail", kwargs={"slug": self.slug})

    @property
    def is_public(self):
        return self.status in self.PUBLIC_STATUSES

    @property
    def language_name(self):
        return translated_language_name(self.language)

    def sources_by_stance(self):
        """The claim's sources as (stance label, [sources]) in stance order."""
        groups = {stance: [] for stance in Source.Stance}
        for source in self.sources.all():
            groups[source.stance].append(source)
        return [(stance.label, items) for stance, items in groups.items() if items]

    def public_history(self):
        """The verdict changes the public saw, in the order it saw them.

        Verdicts given while the claim was not public are the desk's draft and
        left out. Each change gets `public_previous_rating`, the verdict the
        public saw before it (not `previous_rating`, which may be a draft's).
        Uses the prefetched `verdict_changes` if any (views.reviewed_claims).
        """
        changes = [c for c in self.verdict_changes.all() if c.published_at]
        changes.sort(key=lambda change: (change.published_at, change.pk))
        previous = None
        for change in changes:
            change.public_previous_rating = previous
            previous = change.rating
        return changes

    def rating_as_of(self, moment):
        """The verdict the public saw at `moment`; None if the fact-check was
        not published yet."""
        rating = None
        for change in self.public_history():
            if change.published_at > moment:
                break
            rating = change.rating
        return rating


class Source(models.Model):
    """A cited link, the party it speaks for and its stance on the claim."""

    class Stance(models.TextChoices):
        ASSERTS = "asserts", _("Asserts")
        DISPUTES = "disputes", _("Disputes")
        ASSESSES = "assesses", _("Assesses")
        CONTEXT = "context", _("Adds context")

    class LiveStatus(models.TextChoices):
        UNCHECKED = "unchecked", _("Not checked again yet")
        UNCHANGED = "unchanged", _("Unchanged since cited")
        CHANGED = "changed", _("Changed since cited")
        GONE = "gone", _("Offline")

    claim = models.ForeignKey(
        Claim, verbose_name=_("claim"), on_delete=models.CASCADE, related_name="sources"
    )
    url = models.URLField(_("URL"), max_length=2000)
    party = models.ForeignKey(
        Party,
        verbose_name=_("speaks for"),
        on_delete=models.PROTECT,
        related_name="sources",
    )
    stance = models.CharField(_("stance"), max_length=20, choices=Stance)
    title = models.CharField(_("title"), max_length=300, blank=True)
    publisher = models.CharField(_("publisher"), max_length=200, blank=True)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    quote = models.TextField(_("quote"), blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("added by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    # Pointers kept current by the capture services, so that pages and admin
    # lists read a source's archive state without a query per row.
    latest_capture = models.ForeignKey(
        "Capture",
        verbose_name=_("latest capture"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    cited_capture = models.ForeignKey(
        "Capture",
        verbose_name=_("archived copy as cited"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    live_status = models.CharField(
        _("live page"),
        max_length=20,
        choices=LiveStatus,
        default=LiveStatus.UNCHECKED,
        editable=False,
    )
    live_checked_at = models.DateTimeField(
        _("live page checked at"), null=True, blank=True, editable=False
    )
    ARCHIVE_FIELDS = {
        "latest_capture",
        "cited_capture",
        "live_status",
        "live_checked_at",
    }

    class Meta:
        ordering = ["published_on", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")
        constraints = [
            models.UniqueConstraint(
                fields=["claim", "url"],
                name="source_url_unique_per_claim",
                violation_error_message=_("This claim already cites this URL."),
            ),
        ]
        indexes = [
            # The periodic re-check: sources whose live page is due a look.
            models.Index(fields=["live_checked_at"], name="source_live_checked"),
        ]

    def __str__(self):
        return self.title or self.url

    def save(self, *args, **kwargs):
        """Save, and archive the URL when it is new or has changed.

        The archive pointers belong to the capture services; an edit form never
        writes them back, so it cannot undo a capture that finished meanwhile.
        """
        adding = self._state.adding
        url_changed = adding or self.url != getattr(self, "_loaded_url", None)
        if not adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.ARCHIVE_FIELDS
            ]
        with transaction.atomic():
            super().save(*args, **kwargs)
            if url_changed:
                if not adding:
                    self.forget_archive_state()
                self._loaded_url = self.url
                self.request_capture(Capture.Kind.CITED)

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        source = super().from_db(db, field_names, values, **kwargs)
        source._loaded_url = source.__dict__.get("url")
        return source

    def forget_archive_state(self):
        """The URL changed: the old URL's copy and live status are not this
        URL's. The old captures are kept, only no longer shown as its copy."""
        reset = {
            "cited_capture": None,
            "live_status": self.LiveStatus.UNCHECKED,
            "live_checked_at": None,
        }
        Source.objects.filter(pk=self.pk).update(**reset)
        for name, value in reset.items():
            setattr(self, name, value)

    def copy_failed(self):
        """Whether no archived copy could be made of the URL it cites: it has
        none, and its last capture failed for good (not a retry still due)."""
        latest = self.latest_capture
        return (
            self.cited_capture_id is None
            and latest is not None
            and latest.state == Capture.State.FAILED
        )

    def change_found(self):
        """The re-check that found the live page changed since cited, which
        shows how; None if the latest capture is not that one."""
        latest = self.latest_capture
        if (
            self.live_status == self.LiveStatus.CHANGED
            and latest is not None
            and latest.state == Capture.State.SUCCEEDED
            and latest.change == Capture.Change.CHANGED
        ):
            return latest
        return None

    def shares_stored_copies(self):
        """Whether one of its captures is stored with another source's copy,
        or another source's with one of its own: identical payloads are
        stored once within a claim, and a revisit record names the other
        source's URL and date."""
        return Capture.objects.filter(
            models.Q(source=self, revisit_of__isnull=False)
            & ~models.Q(revisit_of__source=self)
            | models.Q(revisit_of__source=self) & ~models.Q(source=self)
        ).exists()

    def request_capture(self, kind):
        """Create a pending capture job; the worker gets it once this commits."""
        from .services import queue_capture

        capture = Capture.objects.create(source=self, url=self.url, kind=kind)
        Source.objects.filter(pk=self.pk).update(latest_capture=capture)
        self.latest_capture = capture
        transaction.on_commit(lambda: queue_capture(capture.pk))
        return capture


class VerdictChange(models.Model):
    """One entry of a claim's verdict history; never edited after the fact,
    but for `published_at`, set once when the public first sees the verdict."""

    claim = models.ForeignKey(
        Claim,
        verbose_name=_("claim"),
        on_delete=models.CASCADE,
        related_name="verdict_changes",
    )
    previous_rating = models.ForeignKey(
        Rating,
        verbose_name=_("previous verdict"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rating = models.ForeignKey(
        Rating, verbose_name=_("verdict"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(_("reviewer's note"))
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("changed by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)
    # None until the public sees the verdict; for good if it was superseded
    # while the claim was a draft or in review.
    published_at = models.DateTimeField(_("made public at"), null=True, blank=True)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("verdict change")
        verbose_name_plural = _("verdict history")
        indexes = [
            # The history in the admin, and the verdict in force at publication.
            models.Index(fields=["claim", "changed_at"], name="verdict_claim_changed"),
            # A claim's public history, and the one before a feed's entry.
            models.Index(
                fields=["claim", "published_at"], name="verdict_claim_published"
            ),
        ]

    def __str__(self):
        return f"{self.previous_rating or '—'} → {self.rating}"

    @property
    def reviewer_name(self):
        """As the public sees it: a full name, never a login, which would tell
        anyone whom to try, and lock out, at the admin's login page."""
        if self.changed_by is None:
            return _("a former reviewer")
        return self.changed_by.get_full_name() or _("a member of the desk")


def warc_upload_to(capture, filename):
    return f"warcs/{timezone.now():%Y/%m/%d}/{filename}"


def keep_revisited_captures(collector, field, sub_objs, using):
    """on_delete of Capture.source: delete a source's captures, except those
    whose WARC holds the payload of another source's capture (a revisit). They
    are kept, detached from the source, so that the other copy still plays
    back and verifies."""
    captures = list(sub_objs)
    ids = [capture.pk for capture in captures]
    revisited = set(
        Capture.objects.using(using)
        .filter(revisit_of__in=ids)
        .exclude(pk__in=ids)
        .values_list("revisit_of", flat=True)
    )
    kept = [capture for capture in captures if capture.pk in revisited]
    deleted = [capture for capture in captures if capture.pk not in revisited]
    if kept:
        models.SET_NULL(collector, field, kept, using)
    if deleted:
        models.CASCADE(collector, field, deleted, using)


class Capture(models.Model):
    """One capture of a URL. The row is the job: workers claim, retry and finish it."""

    class Kind(models.TextChoices):
        CITED = "cited", _("When cited")
        RECHECK = "recheck", _("Re-check of the live page")
        MANUAL = "manual", _("On request")

    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        RUNNING = "running", _("Capturing")
        SUCCEEDED = "succeeded", _("Archived")
        FAILED = "failed", _("Failed")

    class Change(models.TextChoices):
        FIRST = "first", _("First capture")
        UNCHANGED = "unchanged", _("Unchanged since cited")
        CHANGED = "changed", _("Changed since cited")
        GONE = "gone", _("Gone")

    source = models.ForeignKey(
        Source,
        verbose_name=_("source"),
        on_delete=keep_revisited_captures,
        null=True,
        blank=True,
        related_name="captures",
    )
    url = models.URLField(_("URL requested"), max_length=2000)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind)
    state = models.CharField(
        _("state"), max_length=20, choices=State, default=State.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    attempt_log = models.JSONField(_("attempts made"), default=list, blank=True)
    error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    lease_expires_at = models.DateTimeField(
        _("lease expires at"), null=True, blank=True
    )
    worker = models.CharField(_("worker"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    # Provenance, as recorded by the fetcher.
    final_url = models.URLField(_("final URL"), max_length=2000, blank=True)
    redirect_chain = models.JSONField(_("redirect chain"), default=list, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    http_status = models.PositiveSmallIntegerField(
        _("HTTP status"), null=True, blank=True
    )
    http_headers = models.JSONField(_("HTTP headers"), default=list, blank=True)
    content_type = models.CharField(_("content type"), max_length=200, blank=True)
    fetch_started_at = models.DateTimeField(_("fetch started"), null=True, blank=True)
    fetch_ended_at = models.DateTimeField(_("fetch ended"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    tool_versions = models.JSONField(_("tool versions"), default=dict, blank=True)

    # The evidence.
    payload_sha256 = models.CharField(_("payload SHA-256"), max_length=64, blank=True)
    payload_size = models.PositiveBigIntegerField(
        _("payload size"), null=True, blank=True
    )
    warc = models.FileField(
        _("WARC file"), upload_to=warc_upload_to, max_length=300, blank=True
    )
    warc_sha256 = models.CharField(_("WARC SHA-256"), max_length=64, blank=True)
    warc_size = models.PositiveBigIntegerField(_("WARC size"), null=True, blank=True)
    # RESTRICT, not PROTECT: a source's captures that revisit one another go
    # together; an original other sources revisit is kept (see above).
    revisit_of = models.ForeignKey(
        "self",
        verbose_name=_("payload stored with"),
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="revisits",
    )
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("extracted text"), blank=True)
    change = models.CharField(
        _("compared with cited copy"), max_length=20, choices=Change, blank=True
    )
    # None for the first successful capture of the URL.
    unchanged_since_previous = models.BooleanField(
        _("unchanged since the previous capture"), null=True, blank=True
    )
    diff = models.TextField(_("text changes since cited"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("capture")
        verbose_name_plural = _("captures")
        indexes = [
            # The sweep: jobs that are due, and running jobs whose lease ran out.
            models.Index(fields=["state", "next_attempt_at"], name="capture_state_due"),
            # Deduplication: an earlier capture with the same payload.
            models.Index(fields=["payload_sha256"], name="capture_payload"),
        ]

    def __str__(self):
        return f"{self.url} ({self.get_state_display()})"

    def get_absolute_url(self):
        return reverse("claims:capture_detail", kwargs={"pk": self.pk})

    @property
    def of_a_replaced_link(self):
        """Whether its source has since been changed to cite another URL
        (Source.forget_archive_state): this is no longer the copy it cites."""
        return self.source is not None and self.url != self.source.url

    @property
    def payload_capture(self):
        """The capture whose WARC holds this capture's payload."""
        return self.revisit_of or self

    def diff_compared(self):
        """The stored diff as (cited at, live at, its hunks). Its first two
        lines name the copies in English (services.text_diff), and the page
        says them in the reader's language; None for a diff without them."""
        header = DIFF_HEADER.match(self.diff)
        if not header:
            return None
        cited, live = (
            datetime.datetime.strptime(moment, DIFF_MOMENT).replace(tzinfo=datetime.UTC)
            for moment in header.groups()
        )
        return cited, live, self.diff[header.end() :]

    @property
    def file_name(self):
        """The archived file's name for downloading, with the extension of its
        type (capture-7.pdf): it is served without its type, as a download."""
        mime = self.content_type.split(";")[0].strip().lower()
        extension = FILE_EXTENSIONS.get(mime) or mimetypes.guess_extension(mime)
        return f"capture-{self.pk}{extension or ''}"


# The two header lines services.text_diff writes, in UTC, read back by
# Capture.diff_compared.
DIFF_MOMENT = "%Y-%m-%d %H:%M"
DIFF_HEADER = re.compile(
    r"--- as cited, (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\n"
    r"\+\+\+ live, (\d{4}-\d\d-\d\d \d\d:\d\d) UTC\n"
)

# Types whose extension Python's mimetypes picks badly: the first it knows,
# not the usual one (application/xml gives .xsl, an XSLT style sheet), or none.
FILE_EXTENSIONS = {
    "application/xml": ".xml",
    "text/xml": ".xml",
    "application/rss+xml": ".rss",
    "application/atom+xml": ".atom",
    "application/json": ".json",
    "application/pdf": ".pdf",
    "text/csv": ".csv",
    "image/jpeg": ".jpg",
    "image/svg+xml": ".svg",
}


class ClaimInReview(Claim):
    """The review queue in the admin: claims awaiting a reviewer."""

    class Meta:
        proxy = True
        verbose_name = _("claim awaiting review")
        verbose_name_plural = _("review queue")


class Heartbeat(models.Model):
    """When a background process last checked in: beat, and each worker."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    seen_at = models.DateTimeField(_("seen at"))

    class Meta:
        verbose_name = _("heartbeat")
        verbose_name_plural = _("heartbeats")

    def __str__(self):
        return self.name
