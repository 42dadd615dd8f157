"""Property-based: schemathesis generates requests for every operation of /openapi.json
(as admin, over ASGI), bounded to a few examples each; no response may be a 5xx, and
every response must conform to the documented status codes, content types and schemas."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import make_api
from transactional.migrate import upgrade

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def fuzzed_api(tmp_path_factory):
    """One database for every operation (a fresh one per operation would cost minutes),
    with the small company and some documents so that ids can hit something."""
    from tests.api.recipes import Recipes

    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'qm.sqlite'}"
    upgrade(url)
    api = make_api(url)
    recipes = Recipes(api)
    for doc_type in ("sales_order", "delivery", "goods_receipt", "journal_entry"):
        recipes.posted(doc_type)
        recipes.draft(doc_type)
    return api


@pytest.fixture(scope="module")
def api_schema(fuzzed_api):
    # examples + fuzzing (positive and negative data) only: the coverage phase alone would
    # send ~60 requests per operation, the stateful phase chains them — too long here
    config = SchemathesisConfig.from_dict(
        {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
    )
    return schemathesis.openapi.from_asgi("/openapi.json", fuzzed_api.client.app, config=config)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=3, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_generated_requests(case, fuzzed_api):
    case.call_and_validate(headers=fuzzed_api.headers("admin"), checks=CHECKS)
