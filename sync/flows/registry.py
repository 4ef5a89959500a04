"""Job kind → flow function. The engine, replays, schedules and the dashboard all dispatch through here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.flows.context import JobContext
    from sync.models import SyncJob

FlowFunction = Callable[["SyncJob", "JobContext"], dict[str, Any]]


@dataclass(frozen=True)
class FlowSpec:
    kind: str  # e.g. "order.upsert"
    flow: str  # the dashboard's grouping: orders, customers, privacy, ...
    run: FlowFunction
    label: str


_REGISTRY: dict[str, FlowSpec] = {}

#: Webhook topic → job kind. Topics absent here are stored in the inbox without a job.
TOPIC_KINDS: dict[str, str] = {}


def register(
    kind: str, *, flow: str, label: str, topics: tuple[str, ...] = ()
) -> Callable[[FlowFunction], FlowFunction]:
    def decorator(func: FlowFunction) -> FlowFunction:
        _REGISTRY[kind] = FlowSpec(kind=kind, flow=flow, run=func, label=label)
        for topic in topics:
            TOPIC_KINDS[topic] = kind
        return func

    return decorator


def get(kind: str) -> FlowSpec:
    _load()
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise LookupError(f"no flow is registered for job kind {kind!r}") from None


def kind_for_topic(topic: str) -> str | None:
    _load()
    return TOPIC_KINDS.get(topic)


def flows() -> list[str]:
    _load()
    return sorted({spec.flow for spec in _REGISTRY.values()})


def _load() -> None:
    # Importing the flow modules registers them.
    from sync.flows import customers, orders, privacy  # noqa: F401
