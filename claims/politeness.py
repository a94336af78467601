"""
Per-host politeness: at most CAPTURE_PER_HOST_CONCURRENCY fetches at once to
one host, and CAPTURE_PER_HOST_INTERVAL seconds between their starts.

With Redis the limits hold across every worker on every machine. In embedded
mode (no Redis) they hold within one worker process only.
"""

import logging
import threading
import time
from contextlib import contextmanager, suppress
from functools import cache

import redis
from django.conf import settings

logger = logging.getLogger(__name__)


@cache
def redis_client(url):
    # A Redis that does not answer must not hold a capture for long.
    return redis.Redis.from_url(url, socket_connect_timeout=5)


@contextmanager
def host_slot(host):
    """Hold a fetch slot for `host`. Yields 0 when granted, else seconds to wait."""
    wait, release = limiter(host, shared=bool(settings.REDIS_URL)).acquire()
    try:
        yield wait
    finally:
        # Redis restarted or went away meanwhile: the capture is recorded.
        with suppress(redis.RedisError):  # the slot expires by itself
            release()


@contextmanager
def waiting_host_slot(host, *, timeout):
    """Wait up to `timeout` seconds for a fetch slot for `host`, and hold it.
    Yields whether it was granted.

    For a capture run outside the workers (`manage.py capture`): if Redis
    cannot be reached, the capture goes ahead with a slot of this process only,
    since its politeness cannot be shared with the workers then.
    """
    shared = bool(settings.REDIS_URL)
    give_up = time.monotonic() + timeout
    while True:
        try:
            wait, release = limiter(host, shared=shared).acquire()
        except redis.RedisError as error:
            logger.warning(
                "Redis is unreachable (%s); the politeness limits for %s are "
                "not shared with the workers for this capture.",
                error,
                host,
            )
            shared = False
            continue
        if not wait or time.monotonic() + wait > give_up:
            break
        time.sleep(wait)
    try:
        yield not wait
    finally:
        with suppress(redis.RedisError):  # the slot expires by itself
            release()


def limiter(host, *, shared):
    if shared:
        return RedisLimiter(redis_client(settings.REDIS_URL), host)
    return LOCAL_LIMITERS.setdefault(host, LocalLimiter())


class RedisLimiter:
    """Slots are redis-py locks, which expire if their holder dies."""

    def __init__(self, client, host):
        self.client = client
        self.prefix = f"{settings.CACHE_KEY_PREFIX}:politeness:{host}"

    def acquire(self):
        for number in range(settings.CAPTURE_PER_HOST_CONCURRENCY):
            lock = self.client.lock(
                f"{self.prefix}:slot:{number}",
                timeout=settings.CAPTURE_LEASE,
                blocking=False,
            )
            if lock.acquire():
                wait = self.wait_for_interval()
                if wait:
                    lock.release()
                    return wait, nothing
                return 0, lock.release
        return max(settings.CAPTURE_PER_HOST_INTERVAL, 0.5), nothing

    def wait_for_interval(self):
        interval_ms = int(settings.CAPTURE_PER_HOST_INTERVAL * 1000)
        if interval_ms <= 0:
            return 0
        key = f"{self.prefix}:interval"
        if self.client.set(key, 1, nx=True, px=interval_ms):
            return 0
        return max(self.client.pttl(key), 1) / 1000


class LocalLimiter:
    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.last_start = 0.0

    def acquire(self):
        with self.lock:
            if self.running >= settings.CAPTURE_PER_HOST_CONCURRENCY:
                return max(settings.CAPTURE_PER_HOST_INTERVAL, 0.5), nothing
            wait = (
                self.last_start + settings.CAPTURE_PER_HOST_INTERVAL - time.monotonic()
            )
            if wait > 0:
                return wait, nothing
            self.running += 1
            self.last_start = time.monotonic()
        return 0, self.release

    def release(self):
        with self.lock:
            self.running -= 1


LOCAL_LIMITERS = {}


def nothing():
    pass
