"""The served OpenAPI document against the real app: schemathesis generates requests from
it and checks that nothing answers 5xx and every response matches the document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = 20
# Whether a schema-valid request is accepted depends on data the schema cannot list: filter
# values must exist in the catalog, image_url must resolve to a public image, product ids must
# exist. Those are 400/404/422 with a message; every other check stays on.
EXCLUDED = [positive_data_acceptance]


@pytest.fixture
def api_schema(make_app: Callable[..., Flask]) -> schemathesis.BaseSchema:
    # High limits: this test is about shapes and statuses, not throttling.
    app = make_app(rate_limit="100000/minute", anonymous_rate_limit="100000/minute")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_5xx_and_responses_match_the_document(api_schema: schemathesis.BaseSchema,
                                                 mode: GenerationMode) -> None:
    # schemathesis' lazy pytest fixtures do not work with this pytest, so drive hypothesis here.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 11
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(excluded_checks=EXCLUDED)

        try:
            check()
        except Unsatisfiable:
            # No invalid request exists for an operation without parameters or body.
            assert mode is GenerationMode.NEGATIVE, operation.label
