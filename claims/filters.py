import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from . import caching, search
from .models import Claim, Party, Rating, Source, Topic, translated_language_name

PUBLIC_STATUS_CHOICES = [
    (status.value, status.label) for status in Claim.PUBLIC_STATUSES
]


def public_parties(request=None):
    """Parties that public claims name, as claimant or as a source's party;
    the others would give away what drafts are about."""
    return Party.objects.filter(pk__in=caching.remembered("parties", public_party_ids))


def public_party_ids():
    claimant = Claim.objects.public().filter(claimant=OuterRef("pk"))
    cited = Source.objects.filter(
        party=OuterRef("pk"), claim__status__in=Claim.PUBLIC_STATUSES
    )
    parties = Party.objects.filter(Exists(claimant) | Exists(cited))
    return list(parties.values_list("pk", flat=True))


def public_topics(request=None):
    return Topic.objects.filter(pk__in=caching.remembered("topics", public_topic_ids))


def public_topic_ids():
    public = Claim.objects.public().filter(topics=OuterRef("pk"))
    return list(Topic.objects.filter(Exists(public)).values_list("pk", flat=True))


def language_choices():
    """The languages that public claims are in, named in the reader's language."""
    codes = caching.remembered("languages", public_languages)
    return sorted(
        ((code, translated_language_name(code)) for code in codes),
        key=lambda choice: choice[1],
    )


def public_languages():
    claims = Claim.objects.public().order_by()
    return list(claims.values_list("language", flat=True).distinct())


def repeated_parameters(query, read):
    """Messages for each parameter of `read` given more than once. A list
    takes one value per parameter, and the last one alone would answer another
    question than the one asked: ?verdict=false&verdict=true is not "either".
    Parameters the list does not read are ignored, repeated or not."""
    message = _("Give this parameter once.")
    return {name: [message] for name in read if len(query.getlist(name)) > 1}


def parameters_read_by(filterset_class):
    """The query parameters a filter set reads: a date range reads two."""
    names = []
    for name, each in filterset_class.base_filters.items():
        widget = each.extra.get("widget") or each.field_class.widget
        suffixes = getattr(widget, "suffixes", [""])
        names += [f"{name}_{suffix}" if suffix else name for suffix in suffixes]
    return names


class ISODateRangeField(django_filters.fields.DateRangeField):
    """Days as YYYY-MM-DD only, which date inputs send and the API documents:
    the locale's other formats would read 03/12/2025 as 12 March in English."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields:
            field.input_formats = ["%Y-%m-%d"]


def date_range_widget():
    """Two date inputs under one visible label, which can name neither: each
    carries its own name for screen readers, which would otherwise read two
    unnamed date fields."""
    widget = django_filters.widgets.DateRangeWidget(attrs={"type": "date"})
    after, before = widget.widgets
    after.attrs["aria-label"] = _("Claim made on or after")
    before.attrs["aria-label"] = _("Claim made on or before")
    return widget


class DatesEitherWayFilter(django_filters.DateFromToRangeFilter):
    """A range of YYYY-MM-DD days whose two dates may come either way round:
    given the later date first, the range was empty, and the list said that
    no claim was made in it."""

    field_class = ISODateRangeField

    def filter(self, queryset, value):
        if value and value.start and value.stop and value.start > value.stop:
            value = slice(value.stop, value.start)
        return super().filter(queryset, value)


class ClaimFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Search"),
        method="search",
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Search claims")}
        ),
    )
    verdict = django_filters.ModelChoiceFilter(
        label=_("Verdict"),
        field_name="rating",
        to_field_name="slug",
        queryset=Rating.objects.all(),
        empty_label=_("Any verdict"),
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=PUBLIC_STATUS_CHOICES, empty_label=_("Any status")
    )
    # Free text, not a list: an archive names thousands of parties, too many
    # for a menu. A slug (as in links and feeds) or part of a name.
    party = django_filters.CharFilter(
        label=_("Party"),
        method="involving_party",
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Name of a person or body")}),
    )
    topic = django_filters.ModelChoiceFilter(
        label=_("Topic"),
        field_name="topics",
        to_field_name="slug",
        queryset=public_topics,
        empty_label=_("Any topic"),
    )
    # Choices looked up when used: a fixed list would be built once, by
    # whatever touches the filter first (the API schema generator does).
    language = django_filters.ChoiceFilter(
        label=_("Language"), choices=language_choices, empty_label=_("Any language")
    )
    made = DatesEitherWayFilter(
        label=_("Claim made between"),
        field_name="first_made_on",
        widget=date_range_widget(),
    )

    class Meta:
        model = Claim
        fields = []

    def involving_party(self, queryset, name, value):
        """Claims a matching party made, or on which a source speaks for it.
        Only parties of public claims match, so a name that only drafts
        mention finds nothing, like a name nobody mentions."""
        value = value.strip()
        if not value:
            return queryset
        parties = public_parties().filter(Q(slug=value) | Q(name__icontains=value))
        cited = Source.objects.filter(claim=OuterRef("pk"), party__in=parties)
        return queryset.filter(Q(claimant__in=parties) | Exists(cited))

    def search(self, queryset, name, text):
        """Full-text search on PostgreSQL. On SQLite, claims that contain each
        word or "quoted phrase" of the query, and no "-word", as a substring:
        the whole query as one substring found nothing for "Verhandlungen
        Moskau" in "Die Verhandlungen in Moskau"."""
        text = text.strip()
        if not text:
            return queryset
        if search.enabled():
            return search.search(queryset, text)
        for term in search.QUERY_TERM.findall(text):
            words = term.removeprefix("-").strip('"')
            if not words or words.lower() == "or":
                continue
            if term.startswith("-"):
                queryset = queryset.exclude(containing(words))
            else:
                queryset = queryset.filter(containing(words))
        return queryset


def containing(text):
    """Claims with `text` in a searched field, as a condition (SQLite)."""
    in_sources = Source.objects.filter(claim=OuterRef("pk")).filter(
        Q(title__icontains=text)
        | Q(quote__icontains=text)
        | Q(publisher__icontains=text)
    )
    return (
        Q(statement__icontains=text)
        | Q(summary__icontains=text)
        | Q(claimant__name__icontains=text)
        | Exists(in_sources)
    )
