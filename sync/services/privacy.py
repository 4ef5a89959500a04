"""Privacy requests for people: the export a customers/data_request produced (sync/flows/privacy.py), for
someone who may see customer data, each read audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ObjectDoesNotExist

from opsconsole.core.audit import audit_record
from opsconsole.core.permissions import require
from sync.models import PrivacyRequest
from sync.selectors.access import in_scope, require_shop, shop_scope


def privacy_export_read(
    *, actor: Any, request_id: int, request: Any = None
) -> tuple[PrivacyRequest, dict[str, Any]]:
    """The data-request export (what we hold about the customer) to send on to them. Needs the permission
    to reveal customer data; every read is an audit entry. A request without an export (not a data
    request, not done yet, or purged by a later redaction) is DoesNotExist."""
    require(actor, "reveal_customer_data")
    # Another shop's request is as good as unknown (roles per shop: sync/selectors/access.py).
    privacy_request = in_scope(PrivacyRequest.objects.select_related("shop"), shop_scope(actor)).get(
        pk=request_id, kind=PrivacyRequest.Kind.DATA_REQUEST
    )
    require_shop(actor, privacy_request.shop_id)
    if privacy_request.export is None:
        raise ObjectDoesNotExist("this data request has no export (not done yet, or purged by a redaction)")
    audit_record(
        action="privacy.export_read",
        actor=actor,
        object_type="privacy_request",
        object_id=privacy_request.pk,
        summary=f"read the data-request export of customer {privacy_request.customer_id} "
        f"({privacy_request.shop.domain})",
        request=request,
    )
    return privacy_request, privacy_request.export
