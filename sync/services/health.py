"""Connection health: probes and the record of the last successful call to each system."""

from __future__ import annotations

import logging

from django.utils import timezone

from opsconsole.core.errors import AuthError, IntegrationError
from sync.models import OdooConnection

logger = logging.getLogger(__name__)


def connections_probe() -> int:
    """Ask every Odoo connection flagged as refusing us whether it accepts us again; replay its parked
    jobs when it does. Returns how many recovered."""
    from sync.services.clients import odoo_client_for
    from sync.services.connections import odoo_auth_recovered

    recovered = 0
    for connection in OdooConnection.objects.filter(active=True, auth_failed_at__isnull=False):
        try:
            odoo_client_for(connection).whoami()
        except AuthError:
            continue
        except IntegrationError as exc:
            logger.info("probe of %s failed: %s", connection.name, exc.error_class)
            continue
        OdooConnection.objects.filter(pk=connection.pk).update(last_success_at=timezone.now())
        odoo_auth_recovered(connection=connection)
        recovered += 1
    return recovered
