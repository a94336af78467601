"""Per-host politeness: fetches at once, and their spacing, across workers."""

import threading
import time

import pytest

from claims import politeness


def hold(host, seconds, results):
    with politeness.host_slot(host) as wait:
        results.append(wait)
        if not wait:
            time.sleep(seconds)


@pytest.fixture(params=["redis", "local"])
def limiter_settings(request, settings):
    if request.param == "local":
        settings.REDIS_URL = ""
    elif not settings.REDIS_URL:
        pytest.skip("needs Redis")
    settings.CACHE_KEY_PREFIX = f"test-politeness-{time.monotonic_ns()}"
    settings.CAPTURE_PER_HOST_CONCURRENCY = 2
    settings.CAPTURE_PER_HOST_INTERVAL = 0
    return settings


def test_at_most_n_fetches_at_once_to_one_host(limiter_settings):
    results = []
    threads = [
        threading.Thread(target=hold, args=("a.example", 0.5, results))
        for _ in range(5)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    granted = [wait for wait in results if wait == 0]
    refused = [wait for wait in results if wait > 0]
    assert len(granted) == 2
    assert len(refused) == 3


def test_other_hosts_are_not_held_up(limiter_settings):
    results = []
    with politeness.host_slot("a.example"), politeness.host_slot("a.example"):
        hold("a.example", 0, results)
        hold("b.example", 0, results)
    assert results[0] > 0
    assert results[1] == 0


def test_slots_are_given_back(limiter_settings):
    for _ in range(5):
        with politeness.host_slot("a.example") as wait:
            assert wait == 0


def test_minimum_interval_between_fetches(limiter_settings):
    limiter_settings.CAPTURE_PER_HOST_INTERVAL = 0.3
    with politeness.host_slot("a.example") as first:
        pass
    with politeness.host_slot("a.example") as too_soon:
        pass
    time.sleep(0.35)
    with politeness.host_slot("a.example") as later:
        pass

    assert first == 0
    assert 0 < too_soon <= 0.3
    assert later == 0


def test_redis_slots_are_shared_between_processes(limiter_settings, tmp_path):
    """A slot held in another process (another worker machine) counts here."""
    import subprocess
    import sys

    if not limiter_settings.REDIS_URL:
        pytest.skip("only Redis shares slots between processes")
    limiter_settings.CAPTURE_PER_HOST_CONCURRENCY = 1
    slot = f"{limiter_settings.CACHE_KEY_PREFIX}:politeness:a.example:slot:0"
    script = (
        "import redis, time;"
        f"c = redis.Redis.from_url({limiter_settings.REDIS_URL!r});"
        f"lock = c.lock({slot!r}, timeout=30);"
        "lock.acquire(); print('held', flush=True); time.sleep(2); lock.release()"
    )
    other = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
    )
    try:
        assert other.stdout.readline().strip() == "held"
        with politeness.host_slot("a.example") as wait:
            assert wait > 0
    finally:
        other.wait(timeout=10)
    with politeness.host_slot("a.example") as wait:
        assert wait == 0
