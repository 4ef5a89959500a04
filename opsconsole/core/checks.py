"""Deploy checks (``manage.py check --deploy``): production keys and database are the environment's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def production_environment(app_configs: Any, **kwargs: Any) -> list[Error]:
    errors = []
    defaults = list(getattr(settings, "DEVELOPMENT_DEFAULTS", []))
    if defaults:
        errors.append(
            Error(
                f"{', '.join(defaults)} not set: development defaults are in use (generated keys under "
                f"{settings.DATA_DIR}, the embedded database).",
                hint="Set them in the production environment (README, Production).",
                id="opsconsole.E001",
            )
        )
    if settings.DEMO_MODE:
        errors.append(
            Error(
                "OPSCONSOLE_DEMO is on: demo users and demo set-up are enabled.",
                hint="Demo mode is for `make run` only.",
                id="opsconsole.E002",
            )
        )
    return errors
