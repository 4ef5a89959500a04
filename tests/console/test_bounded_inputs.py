"""Bounded inputs: NUL bytes and over-long filter values are a 400, not a 500, everywhere; a payload nested
800 deep renders; CSV imports are read row by row with a row limit and uploads have a size limit."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from opsconsole.core.tokens import api_token_create
from sync.models import InboundEvent, MappingChange
from sync.services.console import mapping_rows_from_csv
from sync.transforms.privacy import TOO_DEEP, mask_payload, redact_payload
from tests.console.conftest import make_job

LIST_PAGES = [
    "/",
    "/exceptions/",
    "/exceptions/group/",
    "/jobs/",
    "/mappings/",
    "/mappings/propose/",
    "/mappings/import/",
    "/mappings/history/",
    "/connections/",
    "/audit/",
    "/api-tokens/",
    "/reconciliation/",
    "/api/v1/jobs/",
    "/api/v1/problems/",
    "/login/",
]
PARAMS = ["q", "shop", "state", "flow", "table", "key", "since", "until", "actor", "fp", "cursor", "page"]


@pytest.mark.parametrize("path", LIST_PAGES)
def test_a_nul_byte_or_an_over_long_value_in_any_filter_is_a_400(shop, client_for, path):
    client, _ = client_for("integration_admin")
    make_job(shop)

    for param in PARAMS:
        nul = client.get(path, {param: "abc\x00def"})
        long = client.get(path, {param: "x" * 1001})
        assert (param, nul.status_code, long.status_code) == (param, 400, 400)
    assert client.get(path, {"x\x00": "1"}).status_code == 400


def test_a_nul_byte_in_a_form_field_is_a_400_not_a_500(client, shop, client_for):
    login = client.post("/login/", {"username": "ad\x00min", "password": "x"})
    admin, _ = client_for("integration_admin")
    propose = admin.post("/mappings/propose/", {"shop": shop.pk, "table": "sku", "key": "A\x00B"})

    assert (login.status_code, propose.status_code) == (400, 400)
    assert not MappingChange.objects.exists()


def _deep(levels: int) -> dict:
    value: dict = {"email": "deep@example.com"}
    for _ in range(levels):
        value = {"child": [value]}
    return value


def test_a_payload_nested_800_deep_renders_masked_and_revealed(shop, client_for):
    job = make_job(shop)
    InboundEvent.objects.filter(pk=job.event_id).update(payload={**_deep(400), "id": 1})  # 800 levels
    job.error_context = _deep(400)
    job.save()
    client, user = client_for("integration_admin")
    _, secret = api_token_create(actor=user, name="test", days=7)

    page = client.get(f"/jobs/{job.pk}/")
    revealed = client.post(f"/jobs/{job.pk}/reveal/")
    problem = client.get(f"/exceptions/{job.problem_id}/")
    api = Client().get(f"/api/v1/jobs/{job.pk}/", headers={"Authorization": f"Bearer {secret}"})

    assert (page.status_code, revealed.status_code, problem.status_code) == (200, 200, 200)
    assert TOO_DEEP in page.content.decode() and TOO_DEEP in revealed.content.decode()
    assert api.status_code == 200 and TOO_DEEP in api.content.decode()


def test_masking_and_redaction_stop_at_a_depth_and_drop_what_lies_below():
    deep = _deep(800)

    masked, redacted = mask_payload(deep), redact_payload(deep)

    assert "deep@example.com" not in str(masked) and "deep@example.com" not in str(redacted)
    assert TOO_DEEP in str(redacted)


def test_a_csv_of_400000_rows_stops_at_the_row_limit(settings):
    settings.MAPPING_IMPORT_MAX_ROWS = 1000
    consumed = 0

    def lines():
        nonlocal consumed
        yield "sku,product_id\n"
        for i in range(400_000):
            consumed += 1
            yield f"SKU-{i},{i + 1}\n"

    with pytest.raises(ValidationError, match="more than 1000 rows"):
        mapping_rows_from_csv(lines=lines())
    assert consumed == 1001  # read row by row, never the whole file


def test_an_upload_over_the_size_limit_is_refused_before_it_is_kept(shop, client_for, settings):
    settings.FILE_UPLOAD_MAX_BYTES = 100_000
    client, _ = client_for("integration_admin")
    rows = "".join(f"SKU-{i},{i + 1}\n" for i in range(20_000)).encode()  # ~250 KB
    upload = SimpleUploadedFile("big.csv", rows, content_type="text/csv")

    response = client.post("/mappings/import/", {"shop": shop.pk, "file": upload})

    assert response.status_code == 400
    assert not MappingChange.objects.exists()


def test_an_upload_within_the_limits_is_streamed_into_one_change(odoo_shop, odoo, client_for, settings):
    settings.MAPPING_IMPORT_MAX_ROWS = 3
    client, _ = client_for("integration_admin")
    p1, p2 = (
        odoo["rpc"]("product.product", "search", [("default_code", "=", s)])[0]
        for s in ("MERINOTE-S-NAVY", "MERINOTE-M-NAVY")
    )
    good = SimpleUploadedFile("ok.csv", f"\ufeffsku,product_id\nA-1,{p1}\nB-2,{p2}\n".encode(), "text/csv")
    too_many = SimpleUploadedFile("many.csv", b"A,1\nB,2\nC,3\nD,4\n", "text/csv")

    refused = client.post("/mappings/import/", {"shop": odoo_shop.pk, "file": too_many})
    accepted = client.post("/mappings/import/", {"shop": odoo_shop.pk, "file": good})

    assert "more than 3 rows" in refused.content.decode()
    assert accepted.status_code == 302
    assert MappingChange.objects.get().rows == [
        {"table": "sku", "key": "A-1", "value": {"product_id": p1}},
        {"table": "sku", "key": "B-2", "value": {"product_id": p2}},
    ]


def test_an_impossible_date_in_the_audit_filter_is_ignored_not_a_500(client_for):
    client, _ = client_for("viewer")

    response = client.get("/audit/", {"since": "2026-02-31", "until": "2026-13-01"})

    assert response.status_code == 200
