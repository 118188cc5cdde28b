"""Schemathesis against the app's own OpenAPI description (/api/openapi.json): every
operation, generated inputs valid and invalid, and all of schemathesis's default checks:
no 5xx, responses match their schemas, status codes and content types are the described
ones, valid requests are accepted and invalid ones refused.

The app is served from a thread over the bundled corpus's index, with an admin key, so
the admin operations are exercised too: uploads land in a throwaway data directory and
starting the detached rebuild is replaced by a counter (hundreds of generated uploads must
not start hundreds of builds; tests/test_production.py runs the real rebuild).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
)

from tests.conftest import NO_RATE_LIMITS
from tests.servers import serve_in_thread

ADMIN_KEY = "schema-test-admin-key"
# Examples per operation: enough to reach every parameter's edges, bounded for CI. The
# examples are derandomized, so CI runs the same ones every time; SCHEMA_EXAMPLES=500
# SCHEMA_RANDOM=1 explores further on a workstation.
MAX_EXAMPLES = int(os.environ.get("SCHEMA_EXAMPLES", "40"))
DERANDOMIZE = os.environ.get("SCHEMA_RANDOM", "") != "1"
# The API refuses a query over MAX_QUERY_CHARS with 413 query_too_long (its documented
# contract), which schemathesis's default list of refusal statuses lacks.
REFUSALS = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429"]

reindexes: list[Path] = []


def described_api() -> dict:
    from webapp.openapi import openapi_document
    from webapp.settings import WebSettings

    return openapi_document("http://127.0.0.1", WebSettings().max_query_chars)


# The description /api/openapi.json serves, loaded at import time: schemathesis's lazy
# `from_fixture` loader reads a pytest internal (`node._nodeid`) that pytest 9 no longer
# has. test_the_served_description_is_the_one_tested checks the two are the same.
schema = schemathesis.openapi.from_dict(
    described_api(),
    config=schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}}}),
)


@pytest.fixture(scope="module")
def schema_server(engine, tmp_path_factory: pytest.TempPathFactory):
    from webapp import create_app
    from webapp.settings import WebSettings

    uploads = tmp_path_factory.mktemp("schema-uploads")
    settings_ = WebSettings.for_data_dir(uploads, admin_api_key=ADMIN_KEY, **NO_RATE_LIMITS)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("webapp.admin.start_reindex", lambda corpus_dir, data_dir: reindexes.append(data_dir))
        with serve_in_thread(create_app(settings_, engine=engine)) as base_url:
            yield base_url


def test_the_served_description_is_the_one_tested(schema_server: str) -> None:
    served = requests.get(f"{schema_server}/api/openapi.json", timeout=30).json()
    assert {**served, "servers": []} == {**described_api(), "servers": []}


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=DERANDOMIZE,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_conforms_to_its_openapi_description(case, schema_server: str) -> None:
    excluded = []
    if case.operation.path.startswith("/api/admin/documents"):
        # What counts as a document is the corpus loader's rule: a file's bytes (UTF-8, front
        # matter, some text besides headings), ids of any script's word characters, dates
        # read from YAML. JSON Schema cannot state that exactly, so whether a generated upload
        # is "valid" is not checked against the answer; no 5xx, the response schemas, status
        # codes and content types still are. The same holds for PUT's body and the path's id.
        excluded += [positive_data_acceptance, negative_data_rejection]
    case.call_and_validate(base_url=schema_server, headers={"Authorization": f"Bearer {ADMIN_KEY}"},
                           excluded_checks=excluded, timeout=60)
