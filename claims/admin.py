from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Count, F, OuterRef, Prefetch, Q, Subquery
from django.db.models.functions import Coalesce
from django.forms.models import BaseInlineFormSet
from django.http import JsonResponse
from django.shortcuts import redirect
from django.template.defaultfilters import truncatechars
from django.urls import path
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop, ngettext

from . import permissions, search, services
from .forms import ClaimAdminForm, PlainTextForm, SourceForm
from .models import (
    Capture,
    Claim,
    ClaimInReview,
    Party,
    Rating,
    Source,
    Topic,
    VerdictChange,
    translated_language_name,
)
from .paginators import EstimatedCountPaginator
from .templatetags.claims import GONE_WITHOUT_COPY, LIVE_STATUS

# Django 6.1's own German catalogues lack these, which the desk's pages show
# (the actions, every select, the filters, search, pagination, delete
# confirmations, the user's password forms); marked here so that
# `make messages` keeps their German in ours.
DJANGO_MESSAGES_MISSING_IN_GERMAN = [
    gettext_noop("Run"),
    gettext_noop("- Select an option -"),
    gettext_noop("Haitian Creole"),
    gettext_noop(
        "After you’ve created a user, you’ll be able to edit more user options."
    ),
    gettext_noop("Disable password-based authentication"),
    gettext_noop("Enable password-based authentication"),
    gettext_noop(
        "This action will <strong>enable</strong> password-based authentication for this user."  # noqa: E501
    ),
    gettext_noop("Filter by %(field_name)s"),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would result in deleting related objects, but your account doesn't have permission to delete the following types of objects:"  # noqa: E501
    ),
    gettext_noop(
        "Deleting the %(object_name)s “%(escaped_object)s” would require deleting the following protected related objects:"  # noqa: E501
    ),
    gettext_noop(
        "Are you sure you want to delete the %(object_name)s “%(escaped_object)s”? All of the following related items will be deleted:"  # noqa: E501
    ),
    gettext_noop("Pagination %(name)s"),
    gettext_noop("Pagination %(name)s entries"),
    gettext_noop("Search %(name)s"),
    gettext_noop("Logout"),
    gettext_noop("Reset password"),
    gettext_noop("Set password"),
    gettext_noop("Set password: %s"),
    gettext_noop(
        "Whether the user will be able to authenticate using a password or not. If disabled, they may still be able to authenticate using other backends, such as Single Sign-On or LDAP."  # noqa: E501
    ),
    gettext_noop("Password-based authentication"),
    gettext_noop("Enabled"),
    gettext_noop("Disabled"),
    gettext_noop(
        "Raw passwords are not stored, so there is no way to see the user’s password."
    ),
    gettext_noop(
        "Enable password-based authentication for this user by setting a password."
    ),
    gettext_noop("Password-based authentication was disabled."),
    gettext_noop("Conflicting form data submitted. Please try again."),
]


def verdict_badge(rating):
    if rating is None:
        return format_html('<span class="fc-badge fc-badge--none">{}</span>', _("None"))
    return format_html(
        '<span class="fc-badge" style="background:{};color:{}">{}</span>',
        rating.colour,
        rating.text_colour,
        rating.label,
    )


def archive_state(source):
    """A source's capture state for the admin; the progress script updates it."""
    capture = source.latest_capture
    if capture is None:
        label, state, detail = _("Not captured"), "none", ""
    else:
        label, state = capture.get_state_display(), capture.state
        detail = capture.error if capture.state != Capture.State.SUCCEEDED else ""
        if capture.attempts > 1 or capture.state == Capture.State.FAILED:
            label = (
                f"{label} · "
                + ngettext("%d attempt", "%d attempts", capture.attempts)
                % capture.attempts
            )
    return format_html(
        '<span class="fc-capture fc-capture--{}" data-source="{}">{}</span>'
        '<span class="fc-capture__detail">{}</span> <em>{}</em>',
        state,
        source.pk,
        label,
        detail,
        live_page(source),
    )


def live_page(source):
    """What became of the live page, in the words the claim page uses."""
    if source.live_status == Source.LiveStatus.GONE and not source.cited_capture_id:
        return GONE_WITHOUT_COPY
    return LIVE_STATUS.get(source.live_status, ("", ""))[1]


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    form = PlainTextForm
    list_display = ["name", "slug"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Party)
class PartyAdmin(admin.ModelAdmin):
    form = PlainTextForm
    list_display = ["name", "kind", "url"]
    list_filter = ["kind"]
    search_fields = ["name", "slug", "description"]
    prepopulated_fields = {"slug": ["name"]}


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    form = PlainTextForm
    list_display = ["label_en", "label_de", "badge", "rating_value", "order"]
    ordering = ["order"]

    @admin.display(description=_("badge"))
    def badge(self, rating):
        return verdict_badge(rating)


class LanguageInUseFilter(admin.SimpleListFilter):
    """The languages claims are in, not all hundred that Django knows."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request, model_admin):
        codes = sorted(search.languages_of_claims())
        return [(code, translated_language_name(code)) for code in codes]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(language=self.value())
        return queryset


class SourceFormSet(BaseInlineFormSet):
    def clean(self):
        """A source removed by someone else after the form was opened fails on
        its hidden id field, whose error the admin never shows: the form came
        back with "Please correct the error below" and nothing to correct."""
        super().clean()
        gone = [
            form.data.get(form.add_prefix("url"), "")
            for form in self.forms[: self.initial_form_count()]
            if "id" in form.errors and not self._should_delete_form(form)
        ]
        if gone:
            raise ValidationError(
                _(
                    "Someone else removed %(sources)s from this claim after you "
                    "opened it. Copy what you want to keep, reload the page and "
                    "make your changes again."
                )
                % {
                    "sources": ", ".join(
                        f"“{url}”" if url else str(_("a source")) for url in gone
                    )
                },
                code="deleted",
            )


class SourceInline(admin.StackedInline):
    """A source's nine fields on four lines: as a table they were twice as wide
    as a laptop's screen, with the quote and the archive out of sight."""

    model = Source
    form = SourceForm
    formset = SourceFormSet
    extra = 1
    fields = [
        ("url", "party", "stance"),
        ("title", "publisher", "published_on"),
        "quote",
        ("archive", "added_by"),
    ]
    readonly_fields = ["archive", "added_by"]
    formfield_overrides = {
        models.URLField: {"widget": forms.URLInput(attrs={"size": 40})},
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 80})},
    }
    autocomplete_fields = ["party"]

    def has_delete_permission(self, request, obj=None):
        """`obj` is the claim: a forged delete flag is ignored where the
        checkbox is not shown."""
        allowed = super().has_delete_permission(request, obj)
        return allowed and (
            obj is None or permissions.can_remove_sources(request.user, obj)
        )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("party", "added_by", "latest_capture")
            .defer("latest_capture__text", "latest_capture__diff")
        )

    @admin.display(description=_("archive"))
    def archive(self, source):
        return archive_state(source) if source.pk else "—"


class VerdictHistoryInline(admin.TabularInline):
    model = VerdictChange
    verbose_name_plural = _("verdict history")
    fields = [
        "changed_at",
        "previous_rating",
        "rating",
        "note",
        "changed_by",
        "published_at",
    ]
    readonly_fields = fields
    # A verdict superseded while the claim was not public: never made public.
    empty_value_display = "—"
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("previous_rating", "rating", "changed_by")
        )


class CapturesGoWithTheirSource:
    """Nobody may delete a capture on its own, but deleting a source deletes
    its captures (except those holding another copy's payload), as the claim's
    source inline does. Without this the admin's delete page and action would
    refuse any source or claim with a capture."""

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        perms_needed.discard(Capture._meta.verbose_name)
        return deleted, counts, perms_needed, protected


class FullTextSearch:
    def get_search_results(self, request, queryset, search_term):
        """Full-text search on PostgreSQL (the same as the public list's, drafts
        included): stemmed, so "Außenministers" and "AUSSENMINISTER" find
        "Außenminister", and a long query is one index condition rather than a
        LIKE pair per word. Django's substring search elsewhere."""
        if not search.enabled() or not search_term.strip():
            return super().get_search_results(request, queryset, search_term)
        by_text = search.matches(search_term)
        return queryset.filter(by_text | Q(slug=search_term.strip())), False


@admin.register(Claim)
class ClaimAdmin(CapturesGoWithTheirSource, FullTextSearch, admin.ModelAdmin):
    form = ClaimAdminForm
    list_display = [
        "short_statement",
        "claimant",
        "status",
        "verdict",
        "source_count",
        "updated_at",
    ]
    list_filter = ["status", "rating", LanguageInUseFilter, "topics", "claimant"]
    list_select_related = ["claimant", "rating"]
    search_fields = ["statement", "slug", "claimant__name"]
    show_full_result_count = False
    autocomplete_fields = ["claimant", "topics"]
    prepopulated_fields = {"slug": ["statement"]}
    inlines = [SourceInline, VerdictHistoryInline]
    actions = ["submit_for_review"]
    readonly_fields = [
        "status",
        "verdict",
        "verdict_at",
        "submitted_at",
        "published_at",
        "created_by",
        "created_at",
        "updated_at",
        "public_link",
    ]
    content_fieldset = (
        None,
        {
            "fields": [
                "statement",
                "slug",
                ("language", "first_made_on"),
                "claimant",
                "first_appearance_url",
                "topics",
                "summary",
            ]
        },
    )
    state_fieldset = (
        _("Workflow and verdict"),
        {
            "fields": [
                ("status", "verdict", "public_link"),
                ("submitted_at", "published_at", "verdict_at"),
                ("created_by", "created_at", "updated_at"),
                "version",
            ]
        },
    )

    class Media:
        js = ["claims/capture_progress.js"]

    def get_queryset(self, request):
        # A subquery per listed row: counting through a join would aggregate
        # every source of every claim before the page is cut.
        sources = Source.objects.filter(claim=OuterRef("pk")).order_by()
        counted = sources.values("claim").annotate(n=Count("pk")).values("n")
        return (
            super()
            .get_queryset(request)
            .defer("search_vector", "rank_vector")
            .annotate(source_count=Coalesce(Subquery(counted), 0))
        )

    def get_object(self, request, object_id, from_field=None):
        """On a save, the claim locked and read afresh: the form compares its
        version with this one, and a second save of the claim waits until the
        first has committed, then finds it (rather than both passing, and the
        later one undoing the first or failing on a source both added)."""
        claim = super().get_object(request, object_id, from_field)
        in_transaction = transaction.get_connection().in_atomic_block
        if claim is not None and request.method == "POST" and in_transaction:
            locked = Claim.objects.select_for_update().filter(pk=claim.pk)
            if not list(locked.values_list("pk", flat=True)):
                return None
            claim = super().get_object(request, object_id, from_field)
        return claim

    def get_urls(self):
        progress = path(
            "<path:object_id>/capture-progress/",
            self.admin_site.admin_view(self.capture_progress),
            name="claims_claim_capture_progress",
        )
        return [progress, *super().get_urls()]

    def capture_progress(self, request, object_id):
        """The archive column of each source, for the progress script."""
        claim = self.get_object(request, object_id)
        if claim is None or not self.has_view_permission(request, claim):
            raise PermissionDenied
        sources = claim.sources.select_related("latest_capture").defer(
            "latest_capture__text", "latest_capture__diff"
        )
        return JsonResponse(
            {str(source.pk): archive_state(source) for source in sources}
        )

    def get_readonly_fields(self, request, obj=None):
        """The claim's own fields as well, for those who may not change them;
        read-only fields are left out of the form, so a forged POST is ignored."""
        if obj is None or permissions.can_edit_claim_fields(request.user, obj):
            if obj is not None and obj.published_at:
                return [*self.readonly_fields, "slug"]
            return self.readonly_fields
        return [*self.readonly_fields, *ClaimAdminForm._meta.fields]

    def get_prepopulated_fields(self, request, obj=None):
        """The address is made up from the statement until the claim is first
        published; from then on it is permanent: links, feeds' entry ids and
        search engines have it."""
        if obj is None or (
            not obj.published_at
            and permissions.can_edit_claim_fields(request.user, obj)
        ):
            return self.prepopulated_fields
        return {}

    def get_fieldsets(self, request, obj=None):
        review_fields = []
        if permissions.can_review(request.user):
            review_fields += ["new_rating", "verdict_note"]
        if permissions.allowed_statuses(request.user, obj or Claim()):
            review_fields.append("new_status")
        fieldsets = [self.content_fieldset, self.state_fieldset]
        if review_fields:
            fieldsets.append((_("Review"), {"fields": review_fields}))
        return fieldsets

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)

        class FormForUser(form):
            def __init__(self, *args, **kwargs):
                super().__init__(*args, user=request.user, **kwargs)

        return FormForUser

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        for source in formset.save(commit=False):
            if source.pk is None:
                source.added_by = request.user
        formset.save()

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        claim, status = form.instance, form.cleaned_data.get("new_status")
        # A verdict given with a send-back belongs to the review, so the claim
        # moves first; one given with publishing goes public with the claim.
        if status and status not in Claim.PUBLIC_STATUSES:
            services.change_status(claim=claim, user=request.user, status=status)
            status = None
        if form.cleaned_data.get("new_rating"):
            services.set_verdict(
                claim=claim,
                reviewer=request.user,
                rating=form.cleaned_data["new_rating"],
                note=form.cleaned_data["verdict_note"],
            )
        if status:
            services.change_status(claim=claim, user=request.user, status=status)
        claim.refresh_from_db()

    @admin.display(description=_("statement"), ordering="statement")
    def short_statement(self, claim):
        return truncatechars(claim.statement, 90)

    @admin.display(description=_("verdict"), ordering="rating__order")
    def verdict(self, claim):
        return verdict_badge(claim.rating)

    @admin.display(description=_("sources"), ordering="source_count")
    def source_count(self, claim):
        return claim.source_count

    @admin.display(description=_("public page"))
    def public_link(self, claim):
        if not claim.is_public:
            return _("not public")
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>',
            claim.get_absolute_url(),
            _("view"),
        )

    @admin.action(description=_("Submit selected claims for review"))
    def submit_for_review(self, request, queryset):
        moved = 0
        for claim in queryset:
            try:
                services.change_status(
                    claim=claim, user=request.user, status=Claim.Status.IN_REVIEW
                )
                moved += 1
            except (PermissionDenied, ValidationError) as error:
                self.message_user(
                    request,
                    f"{truncatechars(claim.statement, 60)}: {error}",
                    messages.ERROR,
                )
        if moved:
            self.message_user(
                request,
                ngettext(
                    "%d claim submitted for review.",
                    "%d claims submitted for review.",
                    moved,
                )
                % moved,
            )


@admin.register(ClaimInReview)
class ReviewQueueAdmin(FullTextSearch, admin.ModelAdmin):
    """Claims awaiting review, oldest first; each row opens the claim's review form."""

    list_display = ["short_statement", "claimant", "submitted_at", "verdict", "sources"]
    list_display_links = ["short_statement"]
    list_filter = [LanguageInUseFilter, "topics"]
    search_fields = ["statement", "claimant__name"]
    show_full_result_count = False
    ordering = ["submitted_at", "id"]

    def get_queryset(self, request):
        sources = (
            Source.objects.only("claim", "stance", "url")
            .annotate(party_name=F("party__name"))
            .order_by("stance", "id")
        )
        return (
            super()
            .get_queryset(request)
            .filter(status=Claim.Status.IN_REVIEW)
            .select_related("claimant", "rating")
            .prefetch_related(Prefetch("sources", queryset=sources))
        )

    def has_module_permission(self, request):
        return permissions.can_review(request.user)

    def has_view_permission(self, request, obj=None):
        return permissions.can_review(request.user)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not permissions.can_review(request.user):
            raise PermissionDenied
        return redirect("admin:claims_claim_change", object_id)

    @admin.display(description=_("statement"))
    def short_statement(self, claim):
        return truncatechars(claim.statement, 90)

    @admin.display(description=_("current verdict"))
    def verdict(self, claim):
        return verdict_badge(claim.rating)

    @admin.display(description=_("sources"))
    def sources(self, claim):
        # A page of 100 claims lists some 1,700 sources: get_stance_display()
        # and truncatechars, at 57 and 34 µs each, took a third of its time.
        stances = {value: str(label) for value, label in Source.Stance.choices}
        rows = [
            (
                stances[source.stance],
                source.party_name,
                source.url,
                # Cut short: a long URL would stretch the table past the screen.
                shorten(source.url.split("://", 1)[-1], 50),
            )
            for source in claim.sources.all()
        ]
        line = (
            '<div><strong>{0}</strong> · {1} · <a href="{2}" rel="noreferrer">{3}</a>'
            "</div>"
        )
        return format_html_join("", line, rows) or _("none")


def shorten(text, length):
    """truncatechars for plain text such as URLs: a slice, 30 times faster."""
    return text if len(text) <= length else text[: length - 1] + "…"


@admin.register(Source)
class SourceAdmin(CapturesGoWithTheirSource, admin.ModelAdmin):
    form = SourceForm
    list_display = ["__str__", "claim", "party", "stance", "archive", "live_checked_at"]
    list_filter = ["live_status", "latest_capture__state", "stance", "party"]
    list_select_related = ["claim", "party", "latest_capture"]
    search_fields = ["url", "title", "publisher", "quote"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]
    autocomplete_fields = ["claim", "party"]
    readonly_fields = [
        "added_by",
        "added_at",
        "archive",
        "live_status",
        "live_checked_at",
    ]
    actions = ["capture_again"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("latest_capture__text", "claim__search_vector", "claim__rank_vector")
        )

    def get_readonly_fields(self, request, obj=None):
        """Moving a source to another claim removes it from its own: only for
        those who may remove it (read-only fields are left out of the form, so
        a forged POST is ignored)."""
        if obj is None or permissions.can_remove_sources(request.user, obj.claim):
            return self.readonly_fields
        return [*self.readonly_fields, "claim"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (
            obj is None or permissions.can_remove_sources(request.user, obj.claim)
        )

    def get_deleted_objects(self, objs, request):
        """Sources of claims in review or public, which `has_delete_permission`
        refuses an editor, named with the reason rather than as "no permission
        to delete sources" (on the delete page and for "delete selected")."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(
            objs, request
        )
        refused = [
            source
            for source in objs
            if not permissions.can_remove_sources(request.user, source.claim)
        ]
        if refused:
            # Not "no permission to delete sources", which the editor has.
            perms_needed.discard(Source._meta.verbose_name)
            protected = [
                *protected,
                *(
                    _(
                        "%(source)s: a reviewer removes the sources of a claim in "
                        "review or public"
                    )
                    % {"source": source}
                    for source in refused
                ),
            ]
        return deleted, counts, perms_needed, protected

    @admin.display(description=_("archive"))
    def archive(self, source):
        return archive_state(source)

    @admin.action(description=_("Capture again now"), permissions=["change"])
    def capture_again(self, request, queryset):
        created = [
            services.capture_again(source=source, user=request.user)[1]
            for source in queryset
        ]
        new, waiting = created.count(True), created.count(False)
        if new:
            message = ngettext(
                "A new capture of %d source is on its way.",
                "New captures of %d sources are on their way.",
                new,
            )
            self.message_user(request, message % new)
        if waiting:
            message = ngettext(
                "%d source was still being captured; that capture goes first.",
                "%d sources were still being captured; those captures go first.",
                waiting,
            )
            self.message_user(request, message % waiting)


@admin.register(Capture)
class CaptureAdmin(admin.ModelAdmin):
    """Every capture attempt, kept for the record; nothing here is editable."""

    list_display = [
        "url",
        "kind",
        "state",
        "attempts",
        "change",
        "unchanged_since_previous",
        "error",
        "created_at",
    ]
    list_filter = ["state", "kind", "change", "unchanged_since_previous"]
    search_fields = ["url", "final_url", "payload_sha256", "title"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("text", "diff", "http_headers")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(VerdictChange)
class VerdictChangeAdmin(admin.ModelAdmin):
    list_display = [
        "claim",
        "previous_rating",
        "rating",
        "changed_by",
        "changed_at",
        "published_at",
    ]
    list_filter = ["rating"]
    empty_value_display = "—"
    list_select_related = ["claim", "previous_rating", "rating", "changed_by"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    ordering = ["-id"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
