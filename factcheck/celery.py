import logging.config
import os

from celery import Celery
from celery.signals import celeryd_init, setup_logging, task_postrun, task_prerun
from django_structlog.celery.steps import DjangoStructLogInitStep
from kombu.transport import TRANSPORT_ALIASES

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
# Django's system checks run with `manage.py check` and in the web process;
# in a worker they would import the whole URLconf (about 10 MiB per child).
os.environ.setdefault("CELERY_SKIP_CHECKS", "true")

# kombu's Redis transport, surviving a restart of Redis (factcheck/broker.py),
# for redis:// and rediss:// alike.
TRANSPORT_ALIASES.update(
    redis="factcheck.broker:Transport", rediss="factcheck.broker:Transport"
)
app = Celery("factcheck")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Binds each task's id to the log lines written while it runs.
app.steps["worker"].add(DjangoStructLogInitStep)


def search_queue():
    """The queue of search rebuilds: the default queue's name + ".search"."""
    return f"{app.conf.task_default_queue}.search"


SEARCH_TASKS = {"claims.tasks.refresh_search", "claims.tasks.search_heartbeat"}
HEARTBEATS = {"claims.tasks.heartbeat", "claims.tasks.search_heartbeat"}
# With Redis, kombu keeps a list per priority step (0, 3, 6, 9) and takes from
# 0, the highest, first; the embedded broker has no priorities.
HEARTBEAT_PRIORITY = 0
JOB_PRIORITY = 6


def route(name, args, kwargs, options, task=None, **extra):
    """Search rebuilds have a queue of their own, so that a worker for them
    alone keeps them from taking the capture workers' slots (docs/decisions.md,
    Workers); its heartbeat goes there too. Everything else goes to the
    default queue.

    Heartbeats go ahead of the jobs already queued, so that a worker working
    through a backlog still checks in once a task of its ends: a backlog must
    not make a working worker look dead to /healthz."""
    queue = search_queue() if name in SEARCH_TASKS else app.conf.task_default_queue
    priority = HEARTBEAT_PRIORITY if name in HEARTBEATS else JOB_PRIORITY
    return {"queue": queue, "priority": priority}


app.conf.task_routes = (route,)


@celeryd_init.connect
def consume_every_queue(sender, instance, options, **kwargs):
    """A worker started without --queues takes every job, captures and search
    rebuilds (`make run`); with --queues, only those queues'."""
    if not options.get("queues"):
        instance.app.amqp.queues.select_add(search_queue())


@setup_logging.connect
def use_django_logging(**kwargs):
    """Workers log like the web process (settings.LOGGING), not Celery's way."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


@task_prerun.connect
@task_postrun.connect
def close_obsolete_connections(sender, **kwargs):
    """What Django does around each request: close the connections that are
    past CONN_MAX_AGE or broken, keep the rest (see CELERY_DB_REUSE_MAX).
    Not for eager tasks, which run inside the caller's transaction."""
    from django.db import close_old_connections

    if not getattr(sender.request, "is_eager", False):
        close_old_connections()
