"""Structured logs for web and worker: each line carries the request id (web)
or the task id (worker), bound by django-structlog, and a request's lines the
client address. settings.LOGGING names `formatter`, so every process that sets
up Django imports this module and connects the receiver below."""

import structlog
from django.dispatch import receiver
from django_structlog.signals import bind_extra_request_metadata

from factcheck.client_ip import client_ip

SHARED_PROCESSORS = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
]


def formatter(json=True):
    """The logging formatter named in settings.LOGGING; configures structlog."""
    structlog.configure(
        processors=[
            *SHARED_PROCESSORS,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        cache_logger_on_first_use=True,
    )
    renderer = (
        structlog.processors.JSONRenderer()
        if json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*SHARED_PROCESSORS, structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


@receiver(bind_extra_request_metadata)
def bind_client_ip(request, **kwargs):
    # The address login throttling trusts, not a forgeable X-Forwarded-For.
    structlog.contextvars.bind_contextvars(ip=client_ip(request))
