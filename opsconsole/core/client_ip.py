"""The client's address: the TCP peer, or the address our reverse proxy saw when we are behind one.

``X-Forwarded-For`` is read only when ``OPSCONSOLE_BEHIND_PROXY`` is set: anyone can send the header, so
without a proxy that sets it, it is a lie waiting to be believed. Behind a proxy, the trustworthy entry is
the one our own proxy appended: the last of the list (``OPSCONSOLE_PROXY_HOPS`` counts from the right when
more proxies of ours sit in front, e.g. a load balancer and nginx). django-axes uses this same function
(``AXES_CLIENT_IP_CALLABLE``), and ``ClientAddressMiddleware`` writes its answer into ``REMOTE_ADDR``.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

#: Where ClientAddressMiddleware keeps the TCP peer's address after rewriting REMOTE_ADDR.
PEER_KEY = "OPSCONSOLE_PEER_ADDR"


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address this request is attributed to (audit, throttling, rejected deliveries)."""
    meta = request.META
    peer = meta.get(PEER_KEY)
    if peer is None:
        peer = meta.get("REMOTE_ADDR") or ""
        meta[PEER_KEY] = peer
    if not settings.BEHIND_PROXY:
        return peer
    forwarded = [part for part in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
    hops = max(settings.PROXY_HOPS, 1)
    if len(forwarded) < hops:
        return peer
    return _valid(forwarded[-hops]) or peer
