"""The served OpenAPI document against the real app: schemathesis generates requests from
it and checks that nothing answers 5xx and every response matches the document."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, assume, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance

EXAMPLES = 20
# Whether a schema-valid request is accepted depends on data the schema cannot list: filter
# values must exist in the catalog, image_url must resolve to a public image, product ids must
# exist. Those are 400/404/422 with a message; every other check stays on.
EXCLUDED = [positive_data_acceptance]


def arrives_as_generated(case: schemathesis.Case) -> bool:
    """Whether the server receives the body schemathesis generated. A form carries a list only
    as repeated fields, so an empty list is no field at all and a one-item list is that item:
    such a "schema-violating" multipart body arrives as a valid form (schemathesis then
    reports the 200 as accepted invalid data)."""
    if case.media_type != "multipart/form-data" or not isinstance(case.body, dict):
        return True
    return not any(isinstance(v, list) and len(v) <= 1 for v in case.body.values())


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
            assume(mode is GenerationMode.POSITIVE or arrives_as_generated(case))
            case.call_and_validate(excluded_checks=EXCLUDED)

        try:
            check()
        except Unsatisfiable:
            # No invalid request exists for an operation without parameters or body.
            assert mode is GenerationMode.NEGATIVE, operation.label


def test_a_form_list_that_cannot_reach_the_server_as_a_list_is_recognised(
    api_schema: schemathesis.BaseSchema,
) -> None:
    search = api_schema["/api/v1/search"]["POST"]
    form = "multipart/form-data"
    assert not arrives_as_generated(search.Case(media_type=form, body={"text": "", "filters": []}))
    assert not arrives_as_generated(search.Case(media_type=form, body={"text": ["red"]}))
    assert arrives_as_generated(search.Case(media_type=form, body={"text": ["red", "blue"]}))
    assert arrives_as_generated(search.Case(media_type="application/json", body={"filters": []}))
