"""A protocol-faithful stand-in for an Odoo 17/18/19 server (JSON-RPC, JSON-2) with a control API.

Run it with ``python -m sandbox.odoo --port 8069 [--data DIR] [--version 17|18|19]``; see
``docs/sandboxes.md``. Its models are the real Odoo 19 field lists (``schema/``).
"""
