"""Actions that span models or have side effects. Views and the admin call these."""

import contextlib
import dataclasses
import datetime
import difflib
import logging
import os
import random
import shutil
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import redis
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Count, Exists, F, Min, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import caching, permissions, politeness, search
from .capture import (
    CaptureError,
    FetchFailed,
    FetchPolicy,
    FetchTimeout,
    HTTPStatusError,
    RevisitTarget,
    host_key,
)
from .capture import capture as capture_url
from .models import (
    DIFF_MOMENT,
    Capture,
    Claim,
    Heartbeat,
    Rating,
    Source,
    VerdictChange,
)

logger = logging.getLogger(__name__)


def check_verdict(*, rating: Rating | None, note: str) -> None:
    if rating is None:
        raise ValidationError({"new_rating": _("Choose a verdict.")})
    if not note.strip():
        raise ValidationError(
            {"verdict_note": _("Explain the verdict: a note is required.")}
        )


def check_status_change(
    *, claim: Claim, user, status: str, rating: Rating | None, summary: str
) -> None:
    """Raise unless `user` may move `claim` to `status` with `rating` in force."""
    if not permissions.can_move(user, claim, status):
        raise PermissionDenied(
            _("You may not move a claim from “%(old)s” to “%(new)s”.")
            % {"old": claim.get_status_display(), "new": Claim.Status(status).label}
        )
    if status in Claim.PUBLIC_STATUSES and status != Claim.Status.WITHDRAWN:
        missing = []
        if rating is None:
            missing.append(_("a verdict"))
        if not summary.strip():
            missing.append(_("a public summary"))
        if missing:
            raise ValidationError(
                _("A claim needs %(missing)s before it is published.")
                % {"missing": _(" and ").join(missing)}
            )


@transaction.atomic
def set_verdict(*, claim: Claim, reviewer, rating: Rating, note: str) -> VerdictChange:
    """Give `claim` a new verdict and record it in the verdict history."""
    if not permissions.can_review(reviewer):
        raise PermissionDenied(_("Only reviewers may set verdicts."))
    check_verdict(rating=rating, note=note)
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    now = timezone.now()
    change = VerdictChange.objects.create(
        claim=claim,
        previous_rating=claim.rating,
        rating=rating,
        note=note.strip(),
        changed_by=reviewer,
        changed_at=now,
        # Given in review, it stays with the desk until the claim is published.
        published_at=now if claim.is_public else None,
    )
    claim.rating = rating
    claim.verdict_at = change.changed_at
    claim.save(update_fields=["rating", "verdict_at", "updated_at"])
    return change


@transaction.atomic
def change_status(*, claim: Claim, user, status: str) -> Claim:
    """Move `claim` along the workflow: submit, publish, mark updated, withdraw."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    check_status_change(
        claim=claim,
        user=user,
        status=status,
        rating=claim.rating,
        summary=claim.summary,
    )
    now = timezone.now()
    claim.status = status
    if status == Claim.Status.IN_REVIEW:
        claim.submitted_at = now
    if status == Claim.Status.PUBLISHED and claim.published_at is None:
        claim.published_at = now
    claim.save(update_fields=["status", "submitted_at", "published_at", "updated_at"])
    if status in Claim.PUBLIC_STATUSES:
        make_verdict_public(claim, now)
    return claim


def make_verdict_public(claim: Claim, now) -> None:
    """The verdict in force goes public with the claim; those it superseded
    while the claim was not public never do."""
    in_force = claim.verdict_changes.last()
    if in_force and in_force.published_at is None:
        in_force.published_at = now
        in_force.save(update_fields=["published_at"])
        # Readers date a verdict by when they could first see it ("Verdict
        # given", ClaimReview's dateModified, newest first): a verdict given
        # in review weeks ago is news to them now.
        Claim.objects.filter(pk=claim.pk).update(verdict_at=now)
        claim.verdict_at = now


# Capture: archiving cited links. The Capture row is the job; these functions
# run in the workers (and in `manage.py capture`), never in a web request.


def capture_policy() -> FetchPolicy:
    return FetchPolicy(
        allowed_ports=tuple(settings.CAPTURE_ALLOWED_PORTS),
        allow_networks=tuple(settings.CAPTURE_ALLOW_NETWORKS),
        max_redirects=settings.CAPTURE_MAX_REDIRECTS,
        connect_timeout=settings.CAPTURE_CONNECT_TIMEOUT,
        read_timeout=settings.CAPTURE_READ_TIMEOUT,
        deadline=settings.CAPTURE_DEADLINE,
        max_wire_bytes=settings.CAPTURE_MAX_BYTES,
        max_body_bytes=settings.CAPTURE_MAX_BYTES,
    )


def queue_capture(capture_id: int, *, countdown: float = 0) -> bool:
    """Hand a capture job to the workers.

    If the broker is unreachable the job stays pending in the database, and the
    sweep queues it once the broker is back. So does a job that must wait
    longer than CAPTURE_MAX_COUNTDOWN: Redis would hand the waiting message to
    a second worker once its visibility timeout passed.
    """
    from .tasks import capture_source

    if countdown > settings.CAPTURE_MAX_COUNTDOWN:
        Capture.objects.filter(pk=capture_id).update(queued_at=None)
        return False
    try:
        capture_source.apply_async((capture_id,), countdown=countdown or None)
    except Exception:
        logger.warning(
            "Broker unreachable; capture %s waits for the sweep.", capture_id
        )
        return False
    Capture.objects.filter(pk=capture_id).update(queued_at=timezone.now())
    return True


def run_capture(*, capture_id: int, worker: str = "") -> Capture | None:
    """Claim one capture job and run it. Safe to call twice for the same job.

    1. Claim the row with a conditional update: it must be pending and due, or
       running with an expired lease (its worker died) and attempts left; a
       job that took its worker down every time is left to the sweep to fail.
       Otherwise do nothing.
    2. Take a politeness slot for the host, or put the job back for a moment.
    3. Fetch and archive, outside any transaction.
    4. Record the outcome, if this worker still holds the claim.
    """
    now = timezone.now()
    claimed = (
        Capture.objects.filter(pk=capture_id)
        .filter(
            Q(state=Capture.State.PENDING, next_attempt_at__lte=now)
            | Q(abandoned(now), attempts__lt=settings.CAPTURE_MAX_ATTEMPTS)
        )
        .update(
            state=Capture.State.RUNNING,
            attempts=F("attempts") + 1,
            lease_expires_at=now + datetime.timedelta(seconds=settings.CAPTURE_LEASE),
            worker=worker[:200],
        )
    )
    if not claimed:
        return None
    capture = Capture.objects.select_related("source").get(pk=capture_id)
    with politeness.host_slot(host_key(capture.url)) as wait:
        if wait:
            return postpone(capture, seconds=wait)
        return fetch_and_record(capture, settings.CAPTURE_MAX_ATTEMPTS)


def abandoned(now) -> Q:
    """Running jobs whose worker died: their lease ran out."""
    return Q(state=Capture.State.RUNNING, lease_expires_at__lt=now)


def capture_now(*, url: str) -> Capture:
    """Capture one URL in this process, outside any claim (`manage.py capture`).

    1. Create the job row already claimed, with a lease that covers the wait
       below, so that the sweep never hands it to a worker.
    2. Wait up to CAPTURE_DEADLINE seconds for a politeness slot for the host;
       nothing goes to the broker.
    3. Fetch and record with a single attempt.
    """
    wait = settings.CAPTURE_DEADLINE
    capture = Capture.objects.create(
        url=url[:2000],
        kind=Capture.Kind.MANUAL,
        state=Capture.State.RUNNING,
        attempts=1,
        lease_expires_at=timezone.now()
        + datetime.timedelta(seconds=wait + settings.CAPTURE_LEASE),
        worker="manage.py capture",
    )
    host = host_key(url)
    with politeness.waiting_host_slot(host, timeout=wait) as granted:
        if granted:
            return fetch_and_record(capture, max_attempts=1)
    busy = CaptureError(
        f"Other captures kept {host} busy for {wait} seconds; try again later.",
        transient=True,
    )
    return record_failure(capture, busy, max_attempts=1)


WORKDIR_PREFIX = "capture-"


def remove_stale_workdirs():
    """Remove the work directories (body and payload, up to twice the size
    limit) of captures whose process was killed, by the hard time limit or
    for memory, before it could: any older than a capture's lease. Run in
    each new pool process (tasks.py), which is what follows such a kill."""
    cutoff = time.time() - settings.CAPTURE_LEASE
    for path in Path(tempfile.gettempdir()).glob(f"{WORKDIR_PREFIX}*"):
        try:
            stale = path.is_dir() and path.stat().st_mtime < cutoff
        except OSError:  # another process removed it meanwhile
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            logger.warning("Removed the work directory of a killed capture: %s", path)


def same_visibility(capture):
    """The captures a copy may be stored with: the same claim's, which the
    public sees exactly when it sees this one. Another claim's original may
    be a draft, and a revisit record names its URL and date (a capture of no
    claim, for the desk only, goes with others of no claim)."""
    if capture.source_id is None:
        return {"source": None}
    return {"source__claim": capture.source.claim_id}


def fetch_and_record(capture: Capture, max_attempts: int) -> Capture:
    found = {}

    def find_revisit(payload_sha256):
        original = (
            Capture.objects.filter(
                payload_sha256=payload_sha256,
                state=Capture.State.SUCCEEDED,
                revisit_of=None,
                **same_visibility(capture),
            )
            .exclude(warc="")
            .order_by("pk")
            .first()
        )
        if original is None:
            return None
        found["original"] = original
        return RevisitTarget(original.final_url, original.fetch_started_at)

    try:
        with tempfile.TemporaryDirectory(prefix=WORKDIR_PREFIX) as workdir:
            artifact = capture_url(
                capture.url,
                capture_policy(),
                workdir=Path(workdir),
                find_revisit=find_revisit,
            )
            return record_success(capture, artifact, found.get("original"))
    except CaptureError as error:
        return record_failure(capture, error, max_attempts)
    # These may come from record_success, after it changed `capture` in memory:
    # record the failure on the row as it is, not on what could not be saved.
    except SoftTimeLimitExceeded:
        error = FetchTimeout("The capture ran out of time and was stopped.")
        capture.refresh_from_db()
        return record_failure(capture, error, max_attempts)
    except Exception as error:
        failure = CaptureError(f"Internal error: {error}", transient=True)
        # PostgreSQL restarted meanwhile: record the failure on a new
        # connection, or the job stays running until its lease runs out.
        database = transaction.get_connection()
        if not database.in_atomic_block:
            database.close_if_unusable_or_obsolete()
        capture.refresh_from_db()
        record_failure(capture, failure, max_attempts)
        raise


def postpone(capture: Capture, *, seconds: float) -> Capture:
    """Give a claimed job back without counting an attempt (the host was busy)."""
    next_attempt = timezone.now() + datetime.timedelta(seconds=seconds)
    Capture.objects.filter(pk=capture.pk, state=Capture.State.RUNNING).update(
        state=Capture.State.PENDING,
        attempts=F("attempts") - 1,
        next_attempt_at=next_attempt,
        lease_expires_at=None,
    )
    transaction.on_commit(lambda: queue_capture(capture.pk, countdown=seconds))
    return capture


def holds_claim(capture: Capture) -> bool:
    """Lock the row and tell whether this worker's claim still stands: it was
    not taken over by another worker after the lease expired."""
    return (
        Capture.objects.select_for_update()
        .filter(pk=capture.pk, state=Capture.State.RUNNING, attempts=capture.attempts)
        .exists()
    )


@transaction.atomic
def record_success(capture: Capture, artifact, original: Capture | None) -> Capture:
    if not holds_claim(capture):
        return capture
    save_warc(capture, artifact.warc_path)
    try:
        fill_in_success(capture, artifact, original)
    except BaseException:
        capture.warc.delete(save=False)  # the row will not point to it
        raise
    logger.info(
        "Captured %s",
        capture.url,
        extra={"capture": capture.pk, "sha256": capture.payload_sha256},
    )
    return capture


def save_warc(capture: Capture, path: Path) -> None:
    """Store the WARC file in the archive. If that fails (the disk is full, the
    folder read-only), remove what was written of it: the filesystem storage
    leaves a partial file behind, which no row would ever name, and each
    retry would add another."""
    storage = capture.warc.storage
    name = capture.warc.field.generate_filename(capture, path.name)
    taken = storage.exists(name)  # never, with a uuid in the name; but if so
    try:
        with open(path, "rb") as warc:
            capture.warc = storage.save(
                name, File(warc), max_length=capture.warc.field.max_length
            )
        flush_to_disk(storage, capture.warc.name)
    except BaseException:
        if not taken:
            with contextlib.suppress(Exception):
                storage.delete(name)
        raise


def flush_to_disk(storage, name: str) -> None:
    """The WARC file and its folder entry reach the disk before the row that
    names them commits: after a power cut, the operating system's cache could
    otherwise have lost a file that a committed row still names. Object
    storage (S3) has stored the file durably once save() returns."""
    try:
        path = Path(storage.path(name))
    except NotImplementedError:
        return
    for written in (path, path.parent):
        descriptor = os.open(written, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


FINAL_URL_MAX = Capture._meta.get_field("final_url").max_length


def fill_in_success(capture: Capture, artifact, original: Capture | None) -> None:
    capture.state = Capture.State.SUCCEEDED
    capture.finished_at = timezone.now()
    capture.error = ""
    capture.lease_expires_at = None
    # The field's limit; the WARC keeps the whole URL.
    capture.final_url = artifact.final_url[:FINAL_URL_MAX]
    capture.redirect_chain = [
        dataclasses.asdict(hop) for hop in artifact.redirect_chain
    ]
    capture.ip_address = artifact.ip
    capture.http_status = artifact.http_status
    capture.http_headers = artifact.http_headers
    capture.content_type = artifact.content_type[:200]
    capture.fetch_started_at = artifact.started_at
    capture.fetch_ended_at = artifact.ended_at
    capture.user_agent = artifact.user_agent[:300]
    capture.tool_versions = artifact.tool_versions
    capture.payload_sha256 = artifact.payload_sha256
    capture.payload_size = artifact.payload_size
    capture.warc_sha256 = artifact.warc_sha256
    capture.warc_size = artifact.warc_size
    capture.revisit_of = original
    capture.unchanged_since_previous = matches_previous_payload(capture)
    # PostgreSQL text cannot hold NUL, which plain text and PDFs may contain.
    capture.title = artifact.title.replace("\x00", "")[:500]
    capture.text = artifact.text.replace("\x00", "")
    source = current_source(capture)
    if source:
        compare_with_cited_copy(capture, source)
    capture.save()
    if source:
        update_source_after(capture, source)


def matches_previous_payload(capture: Capture) -> bool | None:
    """Whether the payload is the one of the previous successful capture of the
    same URL for the same source (outside any claim: of the same URL), or None
    if there is none. Unlike `change`, this compares payload digests only."""
    previous = (
        Capture.objects.filter(
            source_id=capture.source_id, url=capture.url, state=Capture.State.SUCCEEDED
        )
        .exclude(pk=capture.pk)
        .order_by("-finished_at", "-pk")
        .values_list("payload_sha256", flat=True)
        .first()
    )
    return None if previous is None else previous == capture.payload_sha256


def current_source(capture: Capture) -> Source | None:
    """The capture's source, if the job is still about the URL it cites."""
    source = (
        Source.objects.select_related("cited_capture")
        .filter(pk=capture.source_id)
        .first()
    )
    return source if source and source.url == capture.url else None


def compare_with_cited_copy(capture: Capture, source: Source) -> None:
    """Set `capture.change` and `capture.diff` against the copy taken when cited."""
    cited = source.cited_capture
    if cited is None or cited.url != capture.url:
        capture.change = Capture.Change.FIRST
    elif redirected_to_homepage(capture):
        capture.change = Capture.Change.GONE
    elif capture.payload_sha256 == cited.payload_sha256 or same_text(capture, cited):
        capture.change = Capture.Change.UNCHANGED
    else:
        capture.change = Capture.Change.CHANGED
        capture.diff = text_diff(cited, capture)


def redirected_to_homepage(capture: Capture) -> bool:
    requested, final = urlsplit(capture.url), urlsplit(capture.final_url)
    return requested.path.strip("/") != "" and final.path.strip("/") == ""


def same_text(one: Capture, other: Capture) -> bool:
    return " ".join(one.text.split()) == " ".join(other.text.split())


def text_diff(old: Capture, new: Capture) -> str:
    lines = difflib.unified_diff(
        old.text.splitlines(),
        new.text.splitlines(),
        fromfile=f"as cited, {old.fetch_started_at:{DIFF_MOMENT}} UTC",
        tofile=f"live, {new.fetch_started_at:{DIFF_MOMENT}} UTC",
        lineterm="",
    )
    return "\n".join(lines)


def update_source_after(capture: Capture, source: Source) -> None:
    changes = {"live_checked_at": timezone.now()}
    if capture.change == Capture.Change.FIRST:
        # The live page is the copy as cited now, however it was before (a
        # 404 when first cited marked it offline).
        changes["cited_capture"] = capture
        changes["live_status"] = Source.LiveStatus.UNCHECKED
    elif capture.change:
        changes["live_status"] = capture.change
    Source.objects.filter(pk=source.pk).update(**changes)
    if "cited_capture" in changes:  # the archived text that searches read
        search.refresh_soon(source.claim_id)
    caching.claims_changed_on_commit(Claim.objects.slug_of(source.claim_id))


@transaction.atomic
def record_failure(capture: Capture, error: CaptureError, max_attempts: int) -> Capture:
    if not holds_claim(capture):
        return capture
    now = timezone.now()
    capture.error = error.message
    capture.attempt_log = [
        *capture.attempt_log,
        {"attempt": capture.attempts, "at": now.isoformat(), "error": error.message},
    ]
    capture.lease_expires_at = None
    log = {"capture": capture.pk, "url": capture.url, "attempt": capture.attempts}
    if error.transient and capture.attempts < max_attempts:
        delay = retry_delay(capture.attempts, getattr(error, "retry_after", None))
        logger.info("Capture will be retried: %s", error.message, extra=log)
        capture.state = Capture.State.PENDING
        capture.next_attempt_at = now + datetime.timedelta(seconds=delay)
        capture.save()
        transaction.on_commit(lambda: queue_capture(capture.pk, countdown=delay))
        return capture
    logger.warning("Capture failed: %s", error.message, extra=log)
    capture.state = Capture.State.FAILED
    capture.finished_at = now
    if capture.source_id and page_is_gone(error):
        capture.change = Capture.Change.GONE
    capture.save()
    source = current_source(capture)
    if source:
        update_source_after(capture, source)
    return capture


def page_is_gone(error: CaptureError) -> bool:
    if isinstance(error, HTTPStatusError):
        return error.status in (404, 410)
    return (
        isinstance(error, FetchFailed) and error.kind == "dns" and not error.transient
    )


def retry_delay(attempt: int, retry_after: int | None = None) -> float:
    """Exponential backoff with jitter, honouring the server's Retry-After."""
    delay = settings.CAPTURE_RETRY_BASE * 2 ** (attempt - 1)
    delay = min(delay, settings.CAPTURE_RETRY_MAX) * random.uniform(0.5, 1.5)
    if retry_after is not None:
        delay = max(delay, min(retry_after, settings.CAPTURE_RETRY_MAX))
    return delay


def requeue_stalled_captures(*, limit: int = 1000) -> int:
    """Queue jobs that are due but not in the broker: saved while it was down,
    lost with a broker message, or left running by a worker that died."""
    now = timezone.now()
    give_up_abandoned_captures(now)
    forgotten = now - datetime.timedelta(seconds=settings.CAPTURE_LEASE)
    stalled = Capture.objects.filter(
        Q(state=Capture.State.PENDING, next_attempt_at__lte=now)
        & (Q(queued_at=None) | Q(queued_at__lt=forgotten))
        | abandoned(now)
    ).order_by("next_attempt_at")
    ids = list(stalled.values_list("pk", flat=True)[:limit])
    for capture_id in ids:
        queue_capture(capture_id)
    return len(ids)


def give_up_abandoned_captures(now) -> None:
    """Fail jobs whose worker died with every attempt: a page that kills the
    worker (memory, a parser gone astray) would otherwise be retried forever."""
    exhausted = Capture.objects.filter(
        abandoned(now), attempts__gte=settings.CAPTURE_MAX_ATTEMPTS
    )
    for capture in exhausted:
        error = CaptureError(
            f"The capture was stopped {capture.attempts} times before it could "
            "finish (its worker was killed or ran out of memory or time), so it "
            "was given up."
        )
        record_failure(capture, error, settings.CAPTURE_MAX_ATTEMPTS)


def schedule_rechecks(*, limit: int | None = None) -> int:
    """Create re-check captures for cited links whose interval has passed."""
    due = timezone.now() - datetime.timedelta(seconds=settings.CAPTURE_RECHECK_INTERVAL)
    busy = Capture.objects.filter(
        source=OuterRef("pk"), state__in=[Capture.State.PENDING, Capture.State.RUNNING]
    )
    sources = (
        Source.objects.filter(live_checked_at__lt=due)
        .exclude(Exists(busy))
        .order_by("live_checked_at")[: limit or settings.CAPTURE_RECHECK_BATCH]
    )
    count = 0
    for source in sources:
        source.request_capture(Capture.Kind.RECHECK)
        count += 1
    return count


def capture_again(*, source: Source, user) -> tuple[Capture, bool]:
    """The admin's "capture again now": a new capture, and True; or, if one
    is still to finish, that one, and False. One waiting to retry is brought
    forward to now rather than doubled (each click queued another)."""
    if not permissions.can_edit(user):
        raise PermissionDenied(_("Only editors and reviewers may request captures."))
    # Of the URL cited now: one of a URL since corrected is no capture of it.
    unfinished = (
        source.captures.filter(
            url=source.url, state__in=[Capture.State.PENDING, Capture.State.RUNNING]
        )
        .order_by("-pk")
        .first()
    )
    if unfinished is None:
        return source.request_capture(Capture.Kind.MANUAL), True
    brought_forward = Capture.objects.filter(
        pk=unfinished.pk, state=Capture.State.PENDING
    ).update(next_attempt_at=timezone.now())
    if brought_forward:
        transaction.on_commit(lambda: queue_capture(unfinished.pk))
    return unfinished, False


# Health


def record_heartbeat(name: str) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": timezone.now()})


def health() -> dict:
    """The state of each part the workbench needs; "ok" is True only if all are."""
    checks = {
        "database": check(lambda: Claim.objects.exists()),
        "redis": check(ping_redis) if settings.REDIS_URL else {"ok": True},
        "worker": last_seen("worker:"),
        "search_worker": last_seen("search-worker:"),
        "beat": last_seen("beat"),
    }
    return {"ok": all(part["ok"] for part in checks.values()), "checks": checks}


def check(probe) -> dict:
    try:
        probe()
    except Exception as error:
        return {"ok": False, "error": error.__class__.__name__}
    return {"ok": True}


def ping_redis() -> None:
    # Not the politeness client, whose 5 s would outlast a load balancer's
    # probe (often 2-5 s) when Redis stops answering: as long as the cache waits.
    timeouts = settings.CACHES["default"]["OPTIONS"]
    with redis.Redis.from_url(settings.REDIS_URL, **timeouts) as client:
        client.ping()


def last_seen(prefix: str) -> dict:
    try:
        beats = Heartbeat.objects.filter(name__startswith=prefix)
        latest = beats.order_by("-seen_at").values_list("seen_at", flat=True).first()
    except Exception as error:
        return {"ok": False, "error": error.__class__.__name__}
    if latest is None:
        return {"ok": False, "error": "never seen"}
    age = (timezone.now() - latest).total_seconds()
    return {"ok": age <= settings.HEARTBEAT_STALE_AFTER, "seconds_ago": round(age)}


def capture_queue_summary() -> dict:
    """Waiting, running and recently failed captures, and how long the oldest
    waiting one has waited."""
    since = timezone.now() - datetime.timedelta(hours=24)
    State = Capture.State
    return Capture.objects.aggregate(
        pending=Count("pk", filter=Q(state=State.PENDING)),
        running=Count("pk", filter=Q(state=State.RUNNING)),
        failed_24h=Count("pk", filter=Q(state=State.FAILED, finished_at__gte=since)),
        succeeded_24h=Count(
            "pk", filter=Q(state=State.SUCCEEDED, finished_at__gte=since)
        ),
        oldest_pending=Min("created_at", filter=Q(state=State.PENDING)),
    )
