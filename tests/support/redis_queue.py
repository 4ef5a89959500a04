"""The Redis broker for tests: a queue of its own on the machine's Redis.

``OPSCONSOLE_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/5``) names the server and database. Each use
gets its own cluster name, so its queue (``django_q:<name>:q``) is shared with no other test run. Without
a reachable Redis the tests that need it are skipped, unless ``OPSCONSOLE_REQUIRE_REDIS=1`` (CI sets it in
.ci/run), which makes them fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
import redis
from django_q.conf import Conf
from django_q.signing import SignedPackage

REDIS_URL = os.environ.get("OPSCONSOLE_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


@dataclass
class RedisQueue:
    url: str
    name: str
    client: redis.Redis

    @property
    def list_key(self) -> str:
        return f"django_q:{self.name}:q"

    def length(self) -> int:
        return int(self.client.llen(self.list_key))

    def job_keys(self) -> list[str]:
        """The job keys of the tasks waiting on the queue, oldest first."""
        return [SignedPackage.loads(raw)["args"][0] for raw in self.client.lrange(self.list_key, 0, -1)]

    def worker_env(self) -> dict[str, str]:
        return {"OPSCONSOLE_Q_BROKER": self.url, "OPSCONSOLE_Q_NAME": self.name}


def require_redis() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        message = f"Redis at {REDIS_URL} unreachable ({type(exc).__name__}); the Redis-broker tests need it"
        if os.environ.get("OPSCONSOLE_REQUIRE_REDIS") == "1":
            pytest.fail(message)
        pytest.skip(message)
    return client


@contextmanager
def redis_queue() -> Iterator[RedisQueue]:
    """Switch this process's django-q2 to the Redis broker on a queue of its own, and back."""
    client = require_redis()
    queue = RedisQueue(url=REDIS_URL, name=f"opsconsole-test-{uuid.uuid4().hex[:10]}", client=client)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Conf, "ORM", None)
        patch.setattr(Conf, "REDIS", REDIS_URL)
        patch.setattr(Conf, "PREFIX", queue.name)
        patch.setattr(Conf, "CLUSTER_NAME", queue.name)
        try:
            yield queue
        finally:
            client.delete(queue.list_key)
