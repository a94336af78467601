"""Small pieces of markup used many times on a page; in Python because a
template include per source or per verdict costs more than the rest of the
row."""

from django import template
from django.template.defaultfilters import date as format_date
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .. import search

register = template.Library()

LIVE_STATUS = {
    "gone": ("live--gone", gettext_lazy("Offline; archived copy available")),
    "changed": ("live--changed", gettext_lazy("Changed since cited")),
    "unchanged": ("live--unchanged", gettext_lazy("Unchanged since cited")),
}
GONE_WITHOUT_COPY = gettext_lazy("Offline, and no archived copy could be made")
NO_COPY = gettext_lazy("No archived copy could be made.")


@register.filter
def highlight(snippet):
    """A search snippet as safe HTML, its matches marked."""
    return search.highlight(snippet)


@register.simple_tag
def verdict_badge(rating, large=False):
    """The verdict's label on its colour (the colour from ratings.css)."""
    size = " badge--large" if large else ""
    if rating is None:
        return format_html(
            '<span class="badge badge--none{}">{}</span>', size, _("No verdict yet")
        )
    return format_html(
        '<span class="badge badge--{}{}">{}</span>', rating.slug, size, rating.label
    )


@register.simple_tag
def source_archive(source):
    """The link to a source's archived copy, and what became of the live page."""
    copy = source.cited_capture
    if copy is None:
        if source.live_status == "gone":
            return format_html(
                '<span class="live live--gone">{}</span>',
                GONE_WITHOUT_COPY,
            )
        if source.copy_failed():
            return format_html('<span class="muted">{}</span>', NO_COPY)
        return format_html(
            '<span class="muted">{}</span>', _("Archived copy: not yet available.")
        )
    link = format_html(
        '<a href="{}">{}</a>',
        copy.get_absolute_url(),
        _("Archived copy (%(date)s)")
        % {"date": format_date(copy.fetch_started_at, "DATE_FORMAT")},
    )
    if source.live_status not in LIVE_STATUS:
        return link
    css, label = LIVE_STATUS[source.live_status]
    if change := source.change_found():  # its page shows the differences
        label = format_html('<a href="{}">{}</a>', change.get_absolute_url(), label)
    return format_html('{} <span class="live {}">{}</span>', link, css, label)
