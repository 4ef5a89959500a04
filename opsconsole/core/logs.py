"""Logging through structlog: one JSON object per line in production, readable lines in development.

Every record (structlog's and the standard library's, Django's and django-q2's included) goes through
the same processors: the bound context (correlation id, shop, job id, flow: opsconsole/core/correlation.py),
level, logger name, an ISO timestamp in UTC, and ``customer_data_redact``, which drops the values of keys
that name customer data and masks any e-mail address left in a message. Customer data is never logged.

``OPSCONSOLE_LOG_FORMAT`` = ``json`` | ``console``; the default is ``json`` unless debug, development or the
demo is on. ``OPSCONSOLE_LOG_LEVEL`` sets the root level.
"""

from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any

import structlog

#: Keys whose values are customer data: never written, whatever logs them.
CUSTOMER_KEYS = frozenset(
    {
        "email",
        "e_mail",
        "phone",
        "first_name",
        "last_name",
        "customer_name",
        "name",
        "address",
        "address1",
        "address2",
        "street",
        "zip",
        "city",
        "billing_address",
        "shipping_address",
        "customer",
        "payload",
        "body",
        "note",
    }
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
REDACTED = "[redacted]"


def _mask(value: str) -> str:
    return _EMAIL.sub("[email]", value)


def customer_data_redact(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """Drop customer data: values of customer keys, and e-mail addresses inside any text."""
    for key in list(event_dict):
        value = event_dict[key]
        if key in CUSTOMER_KEYS and key != "event":
            event_dict[key] = REDACTED
        elif isinstance(value, str):
            event_dict[key] = _mask(value)
    return event_dict


def log_format_from_env(environ: Any) -> str:
    """``OPSCONSOLE_LOG_FORMAT``, else ``console`` under debug, development or the demo and ``json`` otherwise
    (read by the settings and by gunicorn.conf.py, which has no settings)."""

    def on(name: str) -> bool:
        return str(environ.get(name, "")).strip().lower() in {"1", "true", "yes", "on"}

    chosen = str(environ.get("OPSCONSOLE_LOG_FORMAT", "")).strip()
    if chosen:
        return chosen
    return (
        "console"
        if on("OPSCONSOLE_DEBUG") or on("OPSCONSOLE_DEVELOPMENT") or on("OPSCONSOLE_DEMO")
        else "json"
    )


def gunicorn_logging_config(environ: Any) -> dict[str, Any]:
    """gunicorn's ``logconfig_dict``: its error and access lines through the same formatter as the app's."""
    config = logging_config(
        fmt=log_format_from_env(environ), level=str(environ.get("OPSCONSOLE_LOG_LEVEL", "INFO"))
    )
    config["loggers"] = {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    }
    return config


def _positional_args(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    # A standard-library record's message is already formatted by ProcessorFormatter; a structlog call
    # with positional arguments is formatted here.
    return structlog.stdlib.PositionalArgumentsFormatter()(_logger, _method, event_dict)


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
    ]


def logging_config(*, fmt: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` dict for Django's settings."""
    renderer: Any = (
        structlog.processors.JSONRenderer(sort_keys=False)
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=False, pad_event_to=0)
    )
    final = [structlog.processors.format_exc_info] if fmt == "json" else []
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {
            "structured": {
                "()": structlog.stdlib.ProcessorFormatter,
                "foreign_pre_chain": _shared_processors(),
                "processors": [
                    structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    customer_data_redact,
                    *final,
                    renderer,
                ],
            },
        },
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "structured"}},
        "root": {"handlers": ["console"], "level": level},
        "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
    }


def structlog_configure() -> None:
    """structlog's own loggers hand their event dicts to the standard library's handlers (above)."""
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *_shared_processors(),
            _positional_args,
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
