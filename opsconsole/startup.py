"""What must be true of the environment before opsconsole starts (read by ``opsconsole/settings.py``).

Production is the default: with debug, demo and development all off, ``SECRET_KEY``,
``OPSCONSOLE_ENCRYPTION_KEYS`` and ``DATABASE_URL`` must be set. Generated keys on disk would differ per host
and vanish on a redeploy (stored credentials would become unreadable), and an embedded database is not a
production database. Demo mode with debug off must be forced (``OPSCONSOLE_DEMO_FORCE=1``, which ``make
run`` sets), so that a stray ``OPSCONSOLE_DEMO=1`` cannot turn a production host into a demo.

No Django import here: settings import this module before Django is configured.
"""

from __future__ import annotations

from collections.abc import Mapping

#: Variables production must set itself (the README's Production section lists them).
PRODUCTION_VARIABLES = ("SECRET_KEY", "OPSCONSOLE_ENCRYPTION_KEYS", "DATABASE_URL")


class SettingsRefused(Exception):
    """The environment is not fit to start in; the message says what to set."""


def _on(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def refusal(env: Mapping[str, str]) -> str | None:
    """The one message explaining why these settings must not start, or None when they may."""
    debug = _on(env, "OPSCONSOLE_DEBUG")
    demo = _on(env, "OPSCONSOLE_DEMO")
    if demo and not debug and not _on(env, "OPSCONSOLE_DEMO_FORCE"):
        return (
            "OPSCONSOLE_DEMO=1 with debug off: demo mode creates demo users and uses development keys. "
            "Run the demo with `make run` (it sets OPSCONSOLE_DEMO_FORCE=1), or set OPSCONSOLE_DEMO_FORCE=1 "
            "yourself; never in production."
        )
    if debug or demo or _on(env, "OPSCONSOLE_DEVELOPMENT"):
        return None
    missing = [name for name in PRODUCTION_VARIABLES if not env.get(name, "").strip()]
    if not missing:
        return None
    return (
        f"production needs these environment variables, which are not set: {', '.join(missing)}. "
        "Set them (README, Production); for development set OPSCONSOLE_DEBUG=1; for the demo run `make run`."
    )
