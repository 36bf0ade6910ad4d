"""Fuzz every operation of the OpenAPI schema: no 5xx (bar the documented ones), no secret out."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any, Final

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from tests.support.collector import CollectorThread, scripted
from tests.support.feed import scripted_config

API_KEY: Final = "fuzz-secret-key-5f1e2d3c"
PROVIDER_SECRET: Final = "polygon-secret-9a8b7c6d"
# Server errors that are the documented answer, not a failure.
EXPECTED_5XX: Final = {
    "/health": 503,  # unhealthy
    "/ready": 503,  # not ready
}
STREAMS: Final = r".*/stream$"  # endless SSE responses; covered by the API tests
UPSTREAM: Final = r"^/api/(instruments/(refresh|lookup|map)|indexes/[^/]+/refresh)$"
"""Routes that call the providers' own servers (retrying each for seconds when they cannot be
reached); covered against local servers by test_instruments_api.py (instruments) and
tests/unit/cli/test_symbols_cmds.py (index refresh)."""
EXAMPLES: Final = 20


@pytest.fixture(scope="module")
def fuzz_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorThread]:
    root = tmp_path_factory.mktemp("fuzz") / "data"
    config = scripted_config(
        root,
        MDC_API_KEY=API_KEY,
        MDC_PROVIDERS__POLYGON__API_KEY=PROVIDER_SECRET,
        MDC_HTTP__REQUIRE_KEY_FOR_READS="true",  # as on a non-loopback bind
    )
    with CollectorThread(config, scripted) as running:
        yield running


def test_no_server_error_and_no_secret(fuzz_collector: CollectorThread) -> None:
    schema = (
        schemathesis.openapi.from_url(f"{fuzz_collector.url}/openapi.json")
        .exclude(path_regex=STREAMS)
        .exclude(path_regex=UPSTREAM)
    )
    operations = [result.ok() for result in schema.get_all_operations()]
    calls: list[int] = []
    assert len(operations) >= 20
    for operation, mode in itertools.product(operations, GenerationMode):

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def fuzz(case: Any) -> None:
            response = case.call(headers={"X-API-Key": API_KEY}, timeout=10)
            path = case.operation.path
            if response.status_code >= 500:
                expected = EXPECTED_5XX.get(path)
                assert response.status_code == expected, f"{case.method} {path}: {response.text}"
            calls.append(response.status_code)
            assert API_KEY.encode() not in response.content
            assert PROVIDER_SECRET.encode() not in response.content

        try:
            fuzz()
        except Unsatisfiable:
            # Operations without parameters or body have no invalid input to generate.
            assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid input"
    assert len(calls) > 10 * len(operations)  # it really sent requests, valid and invalid
    assert 422 in calls
