"""The context a flow receives: built by the engine, clients made on first use, what a refused credential
means for the connection."""

import pytest
from django.utils import timezone

from opsconsole.core.errors import AuthError
from sync.engine.context import context_for
from sync.models import OdooConnection, SyncJob
from tests.sync.engine.conftest import make_job


def _context(job):
    return context_for(SyncJob.objects.select_related("shop", "shop__odoo").get(pk=job.pk))


def test_nothing_is_built_before_the_flow_asks_for_it():
    context = _context(make_job("order:90"))

    assert context.shopify_if_built is None
    assert "odoo" not in context.__dict__ and "mappings" not in context.__dict__
    assert context.mappings.version == 0
    assert context.mapping_version == 0


def test_a_connection_flagged_as_refusing_us_fails_the_job_before_any_call():
    job = make_job("order:91")
    OdooConnection.objects.filter(pk=job.shop.odoo_id).update(auth_failed_at=timezone.now())
    context = _context(job)

    with pytest.raises(AuthError) as refused:
        context.odoo  # noqa: B018 - building it is the test
    assert (refused.value.system, refused.value.details) == ("odoo", {"from_connection_flag": True})
    assert context.calls == []


def test_a_refusal_flags_the_connection_but_a_refusal_from_the_flag_does_not_flag_it_again():
    job = make_job("order:92")
    context = _context(job)

    context.note_auth_failure(AuthError("refused", system="odoo", details={"from_connection_flag": True}))
    assert OdooConnection.objects.get(pk=job.shop.odoo_id).auth_failed_at is None

    context.note_auth_failure(AuthError("Odoo refused the API key", system="odoo"))
    connection = OdooConnection.objects.get(pk=job.shop.odoo_id)
    assert (connection.auth_failed_at is not None, connection.last_error) == (
        True,
        "Odoo refused the API key",
    )
