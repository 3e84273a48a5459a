"""Schemathesis drives every operation of the OpenAPI document with generated requests
as a member: no 5xx, every response matches the documented schema, status codes,
content type and headers, schema-invalid requests are refused and schema-valid ones are
accepted. "Accepted" means the request parser takes them: business rules such as "not
in the future", "a real phone number" or "not yourself" rightly answer 422 to requests
the schema alone cannot rule out, so a 422 to valid data must come from such a rule,
never from the parser (``valid_data_passes_the_parser``). Text is generated as the API
documents it (UTF-8 without NUL)."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis import checks
from schemathesis.config import SchemathesisConfig

from geflecht.accounts.actions import create_token
from geflecht.api.errors import _UNSTORABLE


@schemathesis.check
def valid_data_passes_the_parser(ctx, response, case):
    """A schema-valid request is never refused by the parser (only by a business rule)."""
    meta = case.meta
    if meta is None or not meta.generation.mode.is_positive or response.status_code != 422:
        return None
    body = response.json()
    message = body.get("message", "")
    if message.startswith("Invalid input:") or message == _UNSTORABLE:
        raise AssertionError(f"Schema-valid request rejected by the parser: {message}")
    return None


CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
    checks.negative_data_rejection,
    checks.positive_data_acceptance,
    valid_data_passes_the_parser,
    checks.ignored_auth,
    checks.use_after_free,
]
CONFIG = SchemathesisConfig.from_dict(
    {
        "generation": {"allow-x00": False, "codec": "utf-8"},
        # 409 and 428 are preconditions (a stale or missing version), 422 a business rule.
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "428"]
            }
        },
    }
)
schema = schemathesis.openapi.from_wsgi(
    "/api/v1/openapi.json", get_wsgi_application(), config=CONFIG
)


@pytest.fixture
def token(world, owner):
    return create_token(owner, "schemathesis")[1]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Requests go through the real WSGI handler, which closes database connections at
    the end of each request; inside the test's transaction (PostgreSQL) that would end
    the test. Django's own test client switches this off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(
    max_examples=6,
    deadline=None,
    derandomize=True,  # the same requests on every run: a failure is reproducible
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db
def test_api_conforms_to_its_openapi_document(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


def test_bounded_numbers_are_documented_with_json_schema_keywords():
    """``ge``/``le`` are pydantic's words: a client reading the document as JSON Schema
    would take a rating of 0 or a latitude of 91 for valid."""
    from geflecht.api.main import api

    found = []

    def walk(node, path):
        if isinstance(node, dict):
            if node.get("type") in ("integer", "number") and {"ge", "le", "gt", "lt"} & set(node):
                found.append(path)
            for key, value in node.items():
                walk(value, f"{path}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{path}[{i}]")

    walk(api.get_openapi_schema(), "")
    assert not found, found
