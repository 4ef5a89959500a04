"""Dashboard: per-flow numbers (refreshed every 5 s), the throughput chart and connection health."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from sync.selectors.access import shop_scope
from sync.selectors.dashboard import (
    WINDOWS,
    Series,
    connection_health,
    dashboard_metrics,
    throughput_series,
)
from sync.selectors.stock import stock_overview
from sync.services.retention import retention_last_run
from sync.views.console.common import console_view, page_or_partial

CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 720, 180, 28


def chart_geometry(series: Series) -> dict[str, Any]:
    """Bars for a server-rendered SVG: succeeded stacked under failed and other, y scaled to the peak."""
    count = max(len(series.buckets), 1)
    plot_w = CHART_WIDTH - CHART_PAD - 8
    top_pad = 10
    plot_h = CHART_HEIGHT - CHART_PAD - top_pad
    slot = plot_w / count
    bar_w = max(slot * 0.7, 2)
    peak = max(series.peak, 1)
    # A round axis maximum: 1, 2, 5 times a power of ten.
    top, magnitude = 1, 1
    while top < peak:
        for factor in (1, 2, 5, 10):
            top = factor * magnitude
            if top >= peak:
                break
        magnitude *= 10
    bars = []
    step_label = "%H:%M"
    for index, bucket in enumerate(series.buckets):
        x = CHART_PAD + index * slot + (slot - bar_w) / 2
        y = float(top_pad + plot_h)
        parts = []
        for name, value in (("ok", bucket.succeeded), ("other", bucket.other), ("bad", bucket.failed)):
            height = plot_h * value / top
            y -= height
            if value:
                parts.append({"cls": name, "y": round(y, 1), "h": round(height, 1)})
        bars.append(
            {
                "x": round(x, 1),
                "w": round(bar_w, 1),
                "parts": parts,
                "bucket": bucket,
                "label": bucket.start.strftime(step_label),
                "show_label": index % max(count // 6, 1) == 0,
                "label_x": round(x + bar_w / 2, 1),
            }
        )
    fractions = (0, 0.5, 1) if top % 2 == 0 else (0, 1)
    ticks = [{"value": round(top * f), "y": round(top_pad + plot_h - plot_h * f, 1)} for f in fractions]
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "plot_h": plot_h,
        "pad": CHART_PAD,
        "bars": bars,
        "ticks": ticks,
        "total": sum(b.total for b in series.buckets),
        "failed": sum(b.failed for b in series.buckets),
    }


@console_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    window = request.GET.get("window", "1h")
    window = window if window in WINDOWS else "1h"
    shops = shop_scope(request.user)
    metrics = dashboard_metrics(window=window, shops=shops)
    context = {
        "title": "Dashboard",
        "window": window,
        "windows": list(WINDOWS),
        "metrics": metrics,
        "chart": chart_geometry(throughput_series(window=window, shops=shops)),
        "health": connection_health(shops=shops),
        "retention": retention_last_run(),
        "stock": stock_overview(shops=shops),
        "retention_days": {
            "payload": settings.RETENTION_PAYLOAD_DAYS,
            "rejected": settings.RETENTION_REJECTED_DAYS,
            "audit": settings.RETENTION_AUDIT_DAYS,
        },
    }
    return page_or_partial(request, "core/dashboard.html", context, "live")
