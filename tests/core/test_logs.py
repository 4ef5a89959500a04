"""Log lines: one JSON object per line with the bound context, and no customer data."""

from __future__ import annotations

import io
import json
import logging
import logging.config

import structlog

from opsconsole.core.correlation import log_context
from opsconsole.core.logs import logging_config


def _capture(fmt: str) -> io.StringIO:
    config = logging_config(fmt=fmt, level="INFO")
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    return stream


def _restore() -> None:
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)


def test_a_json_line_carries_the_bound_context_and_the_event_fields():
    stream = _capture("json")
    try:
        with log_context(
            correlation_id="c0ffee00-0000-4000-8000-000000000001", shop=3, job_id=7, flow="orders"
        ):
            structlog.get_logger("sync.jobs").info("job.finished", outcome="succeeded", duration_ms=12.5)
    finally:
        _restore()

    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert line["event"] == "job.finished"
    assert line["level"] == "info"
    assert line["correlation_id"] == "c0ffee00-0000-4000-8000-000000000001"
    assert (line["shop"], line["job_id"], line["flow"]) == (3, 7, "orders")
    assert (line["outcome"], line["duration_ms"]) == ("succeeded", 12.5)
    assert line["timestamp"].endswith("Z")


def test_customer_data_never_reaches_a_line_from_structlog_or_the_standard_library():
    stream = _capture("json")
    try:
        structlog.get_logger("x").info("customer.seen", email="ann@example.com", phone="+331234")
        logging.getLogger("y").warning("Odoo refused partner ann@example.com: duplicate")
    finally:
        _restore()

    text = stream.getvalue()
    assert "ann@example.com" not in text and "+331234" not in text
    first, second = (json.loads(raw) for raw in text.strip().splitlines()[-2:])
    assert first["email"] == "[redacted]"
    assert second["event"] == "Odoo refused partner [email]: duplicate"


def test_the_console_format_is_one_readable_line():
    stream = _capture("console")
    try:
        with log_context(correlation_id="abc"):
            logging.getLogger("z").info("hello %s", "world")
    finally:
        _restore()

    line = stream.getvalue().strip().splitlines()[-1]
    assert "hello world" in line and "correlation_id=abc" in line and not line.startswith("{")


def test_the_format_follows_the_environment_and_gunicorn_writes_json_lines_too():
    from opsconsole.core.logs import gunicorn_logging_config, log_format_from_env

    assert log_format_from_env({}) == "json"
    assert log_format_from_env({"OPSCONSOLE_DEVELOPMENT": "1"}) == "console"
    assert log_format_from_env({"OPSCONSOLE_DEMO": "1"}) == "console"
    assert log_format_from_env({"OPSCONSOLE_DEBUG": "1", "OPSCONSOLE_LOG_FORMAT": "json"}) == "json"

    config = gunicorn_logging_config({})
    stream = io.StringIO()
    config["handlers"]["console"]["stream"] = stream
    logging.config.dictConfig(config)
    try:
        logging.getLogger("gunicorn.access").info('127.0.0.1 "GET /healthz HTTP/1.1" 200')
    finally:
        _restore()

    line = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert (line["logger"], line["event"]) == ("gunicorn.access", '127.0.0.1 "GET /healthz HTTP/1.1" 200')
