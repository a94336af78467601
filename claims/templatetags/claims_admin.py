from django import template

from .. import services

register = template.Library()


@register.inclusion_tag("admin/claims/capture_queue.html", takes_context=True)
def capture_queue(context):
    """The capture queue at a glance, for the admin's front page."""
    user = context["request"].user
    if not user.has_perm("claims.view_capture"):
        return {"queue": None}
    return {"queue": services.capture_queue_summary()}
