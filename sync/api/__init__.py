"""The JSON API under /api/v1/ (Django REST framework). Thin like the screens: each endpoint parses input,
calls the same selector or service as the console (permission checks, maker-checker, audit) and renders.
See docs/api.md."""
