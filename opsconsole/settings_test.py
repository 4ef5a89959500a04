"""Settings for the test suite: the normal settings, read as a local development server would be run
(plain HTTP). Production settings are checked by tests/core/test_deploy_check.py."""

import os

os.environ.setdefault("OPSCONSOLE_HTTPS", "0")
# Development: generated keys under .data/ and the embedded database are fine here (never in production).
os.environ.setdefault("OPSCONSOLE_DEVELOPMENT", "1")
# Mail stays in memory in every process of a test run (workers too): nothing reaches an SMTP server.
os.environ.setdefault("OPSCONSOLE_EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")

from opsconsole.settings import *  # noqa: F403

# No collectstatic before tests: serve from the finders without the manifest (as Django's docs advise).
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405

# Tests create many users; the default PBKDF2 work factor is for production (Django's testing advice).
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
