"""Reconciliation matchers: pure functions from Shopify's and Odoo's records to matches and differences.

No I/O here — no database, no HTTP, no connectors (an import-linter contract in pyproject.toml keeps it so),
so that every matcher is tested without a database. The app's other layers (services, selectors, views,
tasks) arrive with the reconciliation work; the contracts already name them.
"""
