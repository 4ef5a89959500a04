"""Spend GraphQL cost points deliberately, across every worker that talks to the same shop.

Shopify gives each app a leaky bucket per shop (``extensions.cost.throttleStatus``: maximum, currently
available, restore rate per second). Before a call the throttle reserves the estimated cost from a shared
``ThrottleStore``; when the bucket holds too little it waits until enough has leaked back instead of
letting Shopify answer THROTTLED. After every answer the store is reset to what Shopify reported, which
corrects any estimate. The connector knows no table: whoever builds the client passes a store that every
worker shares (the job engine passes ``sync/engine/throttle_store.DatabaseThrottleStore``, one database row
per shop); ``InMemoryThrottleStore`` serves unit tests and single-process tools.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from sync.connectors.shopify.types import ThrottleStatus


@dataclass
class BucketState:
    available: float
    maximum: float
    restore_rate: float
    updated_at: float  # epoch seconds

    def level_at(self, now: float) -> float:
        return min(self.maximum, self.available + max(0.0, now - self.updated_at) * self.restore_rate)


class ThrottleStore(Protocol):
    def reserve(self, shop_domain: str, cost: float, now: float) -> float:
        """Atomically take ``cost`` points if the bucket holds them and return 0; otherwise take nothing and
        return the seconds to wait until it will. An unknown bucket answers 0 (the first call learns it)."""
        ...

    def record(self, shop_domain: str, status: ThrottleStatus, now: float) -> None:
        """Replace the bucket's state with what Shopify reported."""
        ...

    def drain(self, shop_domain: str, now: float) -> None:
        """Shopify said THROTTLED: treat the bucket as empty now."""
        ...


def bucket_reserve(state: BucketState | None, cost: float, now: float) -> tuple[float, BucketState | None]:
    """(seconds to wait, the bucket after taking ``cost``): what every ThrottleStore.reserve computes."""
    if state is None:
        return 0.0, None
    level = state.level_at(now)
    needed = min(cost, state.maximum)
    if level >= needed:
        return 0.0, BucketState(level - needed, state.maximum, state.restore_rate, now)
    rate = state.restore_rate or 1.0
    return (needed - level) / rate, None


class InMemoryThrottleStore:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state: dict[str, BucketState] = {}

    def reserve(self, shop_domain: str, cost: float, now: float) -> float:
        with self._lock:
            wait, new = bucket_reserve(self._state.get(shop_domain), cost, now)
            if new is not None:
                self._state[shop_domain] = new
            return wait

    def record(self, shop_domain: str, status: ThrottleStatus, now: float) -> None:
        with self._lock:
            self._state[shop_domain] = BucketState(
                status.currently_available, status.maximum_available, status.restore_rate, now
            )

    def drain(self, shop_domain: str, now: float) -> None:
        with self._lock:
            state = self._state.get(shop_domain)
            if state is not None:
                self._state[shop_domain] = BucketState(0.0, state.maximum, state.restore_rate, now)

    def state(self, shop_domain: str) -> BucketState | None:
        with self._lock:
            return self._state.get(shop_domain)


class Throttle:
    """Waits (never fails) until the shared bucket can pay for a call."""

    def __init__(
        self,
        store: ThrottleStore,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_single_wait: float = 30.0,
    ):
        self.store = store
        self.clock = clock
        self.sleep = sleep
        self.max_single_wait = max_single_wait
        self.total_waited = 0.0
        self.waits = 0

    def acquire(self, shop_domain: str, cost: float) -> float:
        """Block until ``cost`` points are reserved; return the seconds waited."""
        waited = 0.0
        while True:
            wait = self.store.reserve(shop_domain, cost, self.clock())
            if wait <= 0:
                return waited
            wait = min(wait + 0.05, self.max_single_wait)
            self.waits += 1
            self.total_waited += wait
            waited += wait
            self.sleep(wait)

    def record(self, shop_domain: str, status: ThrottleStatus) -> None:
        self.store.record(shop_domain, status, self.clock())

    def drain(self, shop_domain: str) -> None:
        self.store.drain(shop_domain, self.clock())
