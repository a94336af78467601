"""
Per-host politeness: at most CAPTURE_PER_HOST_CONCURRENCY fetches at once to
one host, and CAPTURE_PER_HOST_INTERVAL seconds between their starts.

With Redis the limits hold across every worker on every machine. In embedded
mode (no Redis) they hold within one worker process only.
"""

import threading
import time
from contextlib import contextmanager
from functools import cache

import redis
from django.conf import settings


@cache
def redis_client(url):
    return redis.Redis.from_url(url)


@contextmanager
def host_slot(host):
    """Hold a fetch slot for `host`. Yields 0 when granted, else seconds to wait."""
    if settings.REDIS_URL:
        limiter = RedisLimiter(redis_client(settings.REDIS_URL), host)
    else:
        limiter = LOCAL_LIMITERS.setdefault(host, LocalLimiter())
    wait, release = limiter.acquire()
    try:
        yield wait
    finally:
        release()


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
