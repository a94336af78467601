from celery import shared_task
from celery.signals import before_task_publish, worker_process_init

from . import caching, search, services


@shared_task(acks_late=True, ignore_result=True)
def capture_source(capture_id: int) -> None:
    """Archive one cited link; safe to run twice."""
    services.run_capture(
        capture_id=capture_id, worker=capture_source.request.hostname or ""
    )


@shared_task(ignore_result=True)
def sweep_captures() -> None:
    """Re-queue capture jobs left pending, and jobs whose worker died."""
    services.requeue_stalled_captures()


@shared_task(ignore_result=True)
def recheck_live_pages() -> None:
    """Capture each cited link again once its re-check interval has passed."""
    services.schedule_rechecks()


@shared_task(ignore_result=True)
def refresh_search(claim_ids: list[int], waited: int = 0) -> None:
    """Rebuild the search vectors of these claims (see search.refresh_soon)."""
    if search.refresh_queued(claim_ids, waited):
        # Searches cached since the change still show the old matches; the
        # claims' own pages show nothing of the search.
        caching.claims_changed()


@shared_task(ignore_result=True, expires=60)
def heartbeat() -> None:
    """Scheduled by beat, run by a worker: both are alive."""
    services.record_heartbeat(f"worker:{heartbeat.request.hostname}")


@shared_task(ignore_result=True, expires=60)
def search_heartbeat() -> None:
    """Scheduled by beat on the search queue: a worker takes search rebuilds."""
    services.record_heartbeat(f"search-worker:{search_heartbeat.request.hostname}")


@before_task_publish.connect(sender="claims.tasks.heartbeat")
def beat_checks_in(**kwargs) -> None:
    # Only beat publishes the heartbeat task, so this runs in beat's process.
    services.record_heartbeat("beat")


@worker_process_init.connect
def remove_stale_workdirs(**kwargs) -> None:
    """A pool process starts when the worker does, and after one was killed
    (hard time limit, out of memory), leaving its capture's files behind."""
    services.remove_stale_workdirs()
