"""Django's Redis cache backend, keeping one Redis client per connection pool.

Django's own client makes a new `redis.Redis` object for every cache operation, and redis-py
builds its command tables each time: on a cached page that is most of the cost of the cache.
The client is thread-safe (each command takes a connection from the pool), so one is enough.
"""

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class PooledRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class PooledRedisCache(RedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = PooledRedisCacheClient
