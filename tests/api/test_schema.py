"""The API's OpenAPI schema, served live at /api/v1/schema/, run through schemathesis against the live
server: no 5xx, every status code, content type and body as the schema says, for a role that may do
everything; a role that may do nothing gets 403 (never 5xx, never a 2xx) on every call that changes
something. And the docs page: Swagger UI from our own static files, inside the console."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import schemathesis
from django.contrib.staticfiles import finders
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from opsconsole.core.tokens import api_token_create
from reconciliation.models import Discrepancy
from reconciliation.services.runs import run_create
from sync.models import JobState, PrivacyRequest, RejectedDelivery
from sync.services.console import mapping_propose
from sync.services.mappings import MappingRow
from tests.api.conftest import make_job
from tests.factories import ShopifyShopFactory, UserFactory

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def _world() -> dict[str, Any]:
    """Rows for the generated calls to find: a shop with mappings, parked, dead and done jobs on
    problems, a finance problem, a proposed mapping change, a refused delivery; and a token per role."""
    shop = ShopifyShopFactory(domain="demo.myshopify.com")
    jobs = [make_job(shop, sku=f"SKU-{n}", age=timedelta(minutes=n)) for n in range(3)]
    jobs.append(make_job(shop, state=JobState.DEAD, code="", error_class="ContractError"))
    jobs.append(make_job(shop, state=JobState.SUCCEEDED))
    jobs.append(make_job(shop, code="total_mismatch", finance=True))
    maker = UserFactory(username="maker", role="integration_admin")
    change = mapping_propose(
        actor=maker,
        shop=shop,
        rows=[MappingRow(table="sku", key="SKU-1", value={"product_id": 5})],
        summary="map SKU-1",
    )
    RejectedDelivery.objects.create(reason=RejectedDelivery.Reason.UNKNOWN_SHOP, shop_domain="x.test")
    privacy = PrivacyRequest.objects.create(
        shop=shop,
        kind="data_request",
        customer_id="7001",
        export={"links": []},
        completed_at=change.proposed_at,
    )
    run = run_create(
        shop=shop, kind="orders", window_start=change.proposed_at, window_end=timezone.now(), enqueue=False
    )
    discrepancy = Discrepancy.objects.create(
        shop=shop,
        kind="orders",
        code="missing_in_odoo",
        subject="order:1",
        first_run=run,
        last_run=run,
        first_seen=run.created_at,
        last_seen=run.created_at,
    )
    admin = UserFactory(username="admin", role="integration_admin")
    viewer = UserFactory(username="viewer", role="viewer")
    return {
        "admin": api_token_create(actor=admin, name="schemathesis", days=7)[1],
        "viewer": api_token_create(actor=viewer, name="schemathesis", days=7)[1],
        # Real ids for the generated paths to hit (besides the random ones, which find nothing).
        "ids": {
            "/api/v1/jobs/": [j.pk for j in jobs],
            "/api/v1/problems/": sorted({j.problem_id for j in jobs if j.problem_id}),
            "/api/v1/mapping-changes/": [change.pk],
            "/api/v1/webhook-deliveries/": [j.event_id for j in jobs],
            "/api/v1/privacy-requests/": [privacy.pk],
            "/api/v1/reconciliation-runs/": [run.pk],
            "/api/v1/discrepancies/": [discrepancy.pk],
        },
    }


@pytest.fixture
def world(transactional_db, live_server, settings):  # type: ignore[no-untyped-def]
    settings.API_RATE_LIMIT = 1_000_000
    return _world()


def _cases(operation: Any, ids: dict[str, list[int]], mode: GenerationMode) -> Any:
    """schemathesis' cases for one operation; half of those with an {id} name a row that exists."""
    known = next((v for prefix, v in ids.items() if operation.path.startswith(prefix)), [])
    strategy = operation.as_strategy(generation_mode=mode)
    if "{id}" not in operation.path or not known:
        return strategy

    def real_id(pair: tuple[Any, int | None]) -> Any:
        case, pk = pair
        if pk is not None:
            case.path_parameters = {**(case.path_parameters or {}), "id": str(pk)}
        return case

    return st.tuples(strategy, st.sampled_from([*known, None, None])).map(real_id)


def _exercise(strategy: Any, examples: int, call: Any) -> None:
    """Run ``call`` on ``examples`` cases from ``strategy`` (hypothesis shrinks a failure to its smallest)."""

    @given(case=strategy)
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case: Any) -> None:
        call(case)

    run()


def _run_all(live_server: Any, world: dict[str, Any], role: str, examples: int, check: Any) -> list[str]:
    """Every operation of the live schema, in both generation modes (valid input and invalid input, which
    must be refused with a 4xx that keeps to the schema); returns the operations run."""
    headers = {"Authorization": f"Bearer {world[role]}"}
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/schema/?format=json", headers=headers)
    ran = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode, checks in ((GenerationMode.POSITIVE, CHECKS), (GenerationMode.NEGATIVE, CHECKS[:3])):

            def call(case: Any, checks: list[Any] = checks, mode: GenerationMode = mode) -> None:
                response = case.call_and_validate(base_url=live_server.url, headers=headers, checks=checks)
                check(case, response, mode)

            _exercise(_cases(operation, world["ids"], mode), examples, call)
        ran.append(f"{operation.method.upper()} {operation.path}")
    return ran


def test_every_operation_keeps_to_the_live_schema_for_an_integration_admin(world, live_server):  # type: ignore[no-untyped-def]
    ran = _run_all(live_server, world, "admin", 12, lambda case, response, mode: None)
    assert len(ran) >= 21
    assert "POST /api/v1/mapping-changes/{id}/approve/" in ran


def test_a_viewer_gets_403_on_every_change_and_never_a_5xx(world, live_server):  # type: ignore[no-untyped-def]
    def refused(case: Any, response: Any, mode: GenerationMode) -> None:
        if case.method.upper() in UNSAFE:
            # 404 only when the generated id names no row (the record is looked up before the rule); 401 only
            # when schemathesis spoiled the Authorization header (invalid input).
            allowed = (401, 403, 404) if mode == GenerationMode.NEGATIVE else (403, 404)
            assert response.status_code in allowed, (case.method, case.path, response.status_code)
            if response.status_code == 404:
                # (the ids of this path's own table: a job's id may well be no problem's)
                known = next(v for prefix, v in world["ids"].items() if case.path.startswith(prefix))
                assert "{id}" in case.path and case.path_parameters["id"] not in map(str, known)

    ran = _run_all(live_server, world, "viewer", 5, refused)
    assert len(ran) >= 21


def test_the_schema_needs_a_token_or_a_console_session(db, make_user):
    assert Client().get("/api/v1/schema/").status_code == 401
    browser = Client()
    browser.force_login(make_user("viewer"))
    schema = browser.get("/api/v1/schema/?format=json").json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/problems/{id}/resolve/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert "401" in schema["paths"]["/api/v1/jobs/"]["get"]["responses"]


def test_the_docs_page_is_a_console_page_with_swagger_ui_from_our_static_files(db, make_user):
    assert Client().get("/api/v1/docs/").status_code == 302  # to the login page
    browser = Client()
    browser.force_login(make_user("viewer"))
    page = browser.get("/api/v1/docs/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "swagger-ui-bundle.js" in html and "cdn" not in html.lower()
    assert "<script>" not in html and "<style" not in html
    for name in (
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js",
        "drf_spectacular_sidecar/swagger-ui-dist/swagger-ui.css",
        "js/api-docs.js",
    ):
        assert finders.find(name), name
