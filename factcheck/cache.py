"""
Django's Redis cache with one redis-py client per connection pool.

Django's RedisCacheClient makes a new `redis.Redis` for every cache call, and
building one (its table of some 200 reply parsers) took 63 µs here, against
75 µs for the `mget` it then sends: a sixth of the CPU time of /ping, which
looks up the page cache like every anonymous GET (docs/benchmarks.md). The
client is only a front for its pool, which holds the connections, is shared
by threads and starts afresh in a forked child; so one client per pool can be
kept for good.
"""

from django.core.cache.backends import redis


class RedisCacheClient(redis.RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(redis.RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
