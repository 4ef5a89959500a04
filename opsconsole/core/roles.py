"""Roles are Django groups; what each may do is a permission on ``core.ConsolePermission``.

Views check permissions for display; services check them again before acting (STYLE.md).
The data migration ``0002_create_role_groups`` creates the groups from a frozen copy of this table.
"""

from __future__ import annotations

VIEWER = "viewer"
OPS = "ops"
FINANCE = "finance"
INTEGRATION_ADMIN = "integration_admin"
ROLES = (VIEWER, OPS, FINANCE, INTEGRATION_ADMIN)

#: (codename, description) for every console permission.
PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("view_console", "Can open the console and read every screen"),
    ("view_audit_log", "Can read the audit log"),
    ("act_on_jobs", "Can replay, resolve, ignore and snooze jobs and problems"),
    ("act_on_finance", "Can act on finance problems and reconciliation differences"),
    ("reveal_customer_data", "Can reveal masked customer data (audited)"),
    ("propose_mapping", "Can propose mapping changes"),
    ("approve_mapping", "Can approve or reject mapping changes proposed by someone else"),
    ("manage_connections", "Can add and change Shopify and Odoo connections"),
)

ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    VIEWER: ("view_console", "view_audit_log"),
    OPS: ("view_console", "view_audit_log", "act_on_jobs"),
    FINANCE: ("view_console", "view_audit_log", "act_on_finance"),
    INTEGRATION_ADMIN: tuple(code for code, _ in PERMISSIONS),
}


def perm(codename: str) -> str:
    """The full permission name for ``user.has_perm``."""
    return f"core.{codename}"
