from django import template

from .. import search

register = template.Library()


@register.filter
def highlight(snippet):
    """A search snippet as safe HTML, its matches marked."""
    return search.highlight(snippet)
