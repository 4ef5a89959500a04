"""Benchmark settings: the normal settings plus a bare baseline view (bench/urls.py). Never deployed."""

import os

os.environ.setdefault("OPSCONSOLE_HTTPS", "0")
os.environ.setdefault("OPSCONSOLE_DEVELOPMENT", "1")

from opsconsole.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
LOGGING["root"]["level"] = "WARNING"  # type: ignore[index]  # noqa: F405
