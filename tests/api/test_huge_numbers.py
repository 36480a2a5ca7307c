"""Huge numbers in filters are a 400 naming the field (issue 20, item 6; that no 5xx body carries
exception text is checked in test_serve.py)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

HUGE = 99999999999999999999999


@pytest.mark.parametrize(("filters", "field"), [
    ({"year": [HUGE]}, "year"),
    ({"year": [-HUGE]}, "year"),
    ({"year": {"gte": HUGE}}, "year"),
    ({"price": {"lte": 10**400}}, "price"),  # beyond what a float holds: OverflowError in float()
])
@pytest.mark.parametrize("path", ["/api/v1/search", "/api/v1/shopper/search"])
def test_a_huge_number_in_a_filter_is_a_400_naming_the_field(
    client: FlaskClient, filters: dict[str, object], field: str, path: str
) -> None:
    response = client.post(path, json={"text": "watch", "filters": filters})
    assert response.status_code == 400, response.json
    assert response.json["error"] == "invalid_filter"
    assert f"filter {field}" in response.json["message"]

