"""Property-based fuzzing (schemathesis) of the Adlaan routes in the OpenAPI document the real
server publishes: whatever a client sends, the answer is never a 5xx."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.accounts import make_user
from tests.integration.test_mirror import wait_for_mirror

pytestmark = pytest.mark.integration

#: Adlaan's own routes (the LangGraph API's are LangChain's to fuzz).
OURS = r"^/(api/v1/|auth/|stats)"
EXAMPLES = 60


@pytest.fixture(scope="module")
def fuzzed(server):
    account = make_user(server.database_url)
    with httpx.Client(base_url=server.url, headers=account.headers, timeout=60) as http:
        reply = http.post("/api/v1/chat", json={"message": "I need to draft an NDA"})
        assert reply.status_code == 200, reply.text
    wait_for_mirror(server.database_url)
    schema = (
        schemathesis.openapi.from_url(f"{server.url}/openapi.json")
        .include(path_regex=OURS)
        .exclude(path="/auth/logout")  # would revoke the fuzzer's own credential
    )
    return schema, account


def test_the_published_openapi_describes_every_adlaan_route(server):
    spec = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    paths = set(spec["paths"])
    for path in (
        "/api/v1/conversations",
        "/api/v1/conversations/{thread_id}",
        "/api/v1/conversations/{thread_id}/messages",
        "/api/v1/conversations/{thread_id}/documents",
        "/api/v1/search",
        "/api/v1/documents/{document_id}/download",
        "/api/v1/documents/{document_id}/diff",
        "/api/v1/audit",
        "/api/v1/chat",
        "/stats",
        "/auth/login",
        "/auth/api-keys",
        "/threads",  # and the LangGraph API's own, in the same document
    ):
        assert path in paths, path


def test_no_input_makes_a_route_fail_with_a_5xx(fuzzed, server):
    schema, account = fuzzed
    failures = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def call(case):
            case.headers = {**(case.headers or {}), **account.headers}
            response = case.call(base_url=server.url, timeout=60)
            if response.status_code >= 500:
                failures.append(
                    f"{case.operation.label}: {response.status_code} {response.text[:300]} "
                    f"for {case.path_parameters} {case.query} {str(case.body)[:200]}"
                )

        call()
    assert not failures, "\n".join(failures[:20])
