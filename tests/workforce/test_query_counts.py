"""List routes cost a fixed number of queries however many rows they return (no N+1).

Four queries find the actor (token, user, organisation, brand limits); the rest is the list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


@pytest.mark.parametrize(
    ("path", "queries"),
    [
        ("/api/v1/organisations", 5),
        ("/api/v1/sites", 5),
        ("/api/v1/teams", 5),
        ("/api/v1/agents", 5),
        ("/api/v1/users", 6),
    ],
)
def test_list_query_count_is_fixed(
    client: TestClient, token_for: Headers, count_queries: Callable[[], Any], path: str, queries: int
) -> None:
    admin = token_for("admin@lumen.example")
    client.get("/api/v1/me", headers=admin)  # the token's first use is recorded once
    with count_queries() as counted:
        response = client.get(path, params={"limit": 200}, headers=admin)
    assert response.status_code == 200
    assert len(response.json()["items"]) >= 3
    assert len(counted.statements) == queries, counted.statements
