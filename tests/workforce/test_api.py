"""Workforce through the JSON API: CRUD, validation, scoping."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient

Headers = Callable[[str], dict[str, str]]


def _org_id(client: TestClient, headers: dict[str, str], name: str) -> str:
    items = client.get("/api/v1/organisations", headers=headers).json()["items"]
    return next(o["id"] for o in items if o["name"] == name)


@pytest.mark.postgres
def test_in_house_user_sees_every_organisation_partner_only_their_own(client: TestClient, token_for: Headers) -> None:
    director = client.get("/api/v1/organisations", headers=token_for("director@lumen.example")).json()
    assert sorted(o["name"] for o in director["items"]) == ["Atlantic CX", "Lumen Care", "Pacific Contact"]
    assert director["next_cursor"] is None
    partner = client.get("/api/v1/organisations", headers=token_for("agent@atlantic.example")).json()
    assert [o["name"] for o in partner["items"]] == ["Atlantic CX"]


def test_partner_gets_404_for_another_organisation_and_403_for_own_without_permission(
    client: TestClient, token_for: Headers
) -> None:
    admin = token_for("admin@lumen.example")
    pacific = _org_id(client, admin, "Pacific Contact")
    atlantic = _org_id(client, admin, "Atlantic CX")
    agent = token_for("agent@atlantic.example")
    assert client.get(f"/api/v1/organisations/{pacific}", headers=agent).status_code == 404
    assert client.patch(f"/api/v1/organisations/{pacific}", json={"name": "x"}, headers=agent).status_code == 404
    assert client.get(f"/api/v1/organisations/{atlantic}", headers=agent).status_code == 200
    response = client.patch(f"/api/v1/organisations/{atlantic}", json={"name": "x"}, headers=agent)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_create_site_team_agent_and_page_through_them(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    org = client.post(
        "/api/v1/organisations", headers=admin, json={"name": "Andes Service", "kind": "outsourced", "country": "CO"}
    ).json()
    assert org["data_policy"] == {"name": "masked", "email": "masked", "phone": "masked", "address": "masked"}
    site = client.post(
        "/api/v1/sites",
        headers=admin,
        json={
            "organisation_id": org["id"],
            "name": "Bogotá",
            "city": "Bogotá",
            "country": "CO",
            "time_zone": "America/Bogota",
            "location_band": "offshore",
            "opening_hours": {"mon": [["07:00", "19:00"]]},
            "holidays": ["2026-12-08"],
        },
    )
    assert site.status_code == 201, site.text
    assert site.json()["opening_hours"] == {"mon": [["07:00", "19:00"]]}
    team = client.post(
        "/api/v1/teams",
        headers=admin,
        json={"site_id": site.json()["id"], "name": "Spanish desk", "channels": ["chat"], "languages": ["es"]},
    )
    assert team.status_code == 201, team.text
    assert team.json()["organisation_id"] == org["id"]
    user = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "email": "camila@andes.example",
            "name": "Camila Rojas",
            "role": "agent",
            "organisation_id": org["id"],
            "password": "a-long-password",
        },
    )
    assert user.status_code == 201, user.text
    agent = client.post(
        "/api/v1/agents",
        headers=admin,
        json={
            "user_id": user.json()["id"],
            "team_id": team.json()["id"],
            "languages": [{"code": "es", "proficiency": "native"}],
            "skills": [{"name": "returns", "level": 4}],
            "max_concurrent": {"chat": 3},
            "hourly_cost": "8.50",
            "cost_currency": "USD",
            "cost_year": 2026,
            "cost_basis": "billed",
            "hire_date": "2026-01-05",
        },
    )
    assert agent.status_code == 201, agent.text
    assert agent.json()["hourly_cost"] == "8.50"
    first = client.get("/api/v1/sites", params={"limit": 2}, headers=admin).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    rest = client.get("/api/v1/sites", params={"limit": 200, "cursor": first["next_cursor"]}, headers=admin).json()
    names = [s["name"] for s in first["items"] + rest["items"]]
    assert sorted(names) == ["Bogotá", "Dublin", "Lisbon", "Manila", "Sydney"]
    assert client.delete(f"/api/v1/teams/{team.json()['id']}", headers=admin).status_code == 409
    assert client.delete(f"/api/v1/agents/{agent.json()['id']}", headers=admin).status_code == 204
    assert client.delete(f"/api/v1/teams/{team.json()['id']}", headers=admin).status_code == 204


def test_an_agent_joins_only_a_team_of_their_own_organisation(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    teams = client.get("/api/v1/teams", headers=admin).json()["items"]
    lisbon = next(t for t in teams if t["name"] == "Lisbon Multilingual")
    users = client.get("/api/v1/users", headers=admin).json()["items"]
    qa = next(u for u in users if u["email"] == "qa@lumen.example")
    response = client.post("/api/v1/agents", headers=admin, json={"user_id": qa["id"], "team_id": lisbon["id"]})
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "team_id", "reason": "the user belongs to another organisation than the team"}
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "X", "kind": "vendor", "country": "PT"}, "kind"),
        ({"name": "X", "kind": "outsourced", "country": "portugal"}, "country"),
        ({"name": "X", "kind": "outsourced", "country": "PT", "colour": "red"}, "colour"),
        ({"name": "", "kind": "outsourced", "country": "PT"}, "name"),
        (
            {"name": "X", "kind": "outsourced", "country": "PT", "data_policy": {"email": "blurred"}},
            "data_policy.email",
        ),
    ],
)
def test_bad_organisation_is_refused_with_the_field(
    client: TestClient, token_for: Headers, body: dict[str, object], field: str
) -> None:
    admin = token_for("admin@lumen.example")
    response = client.post("/api/v1/organisations", headers=admin, json=body)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]
    names = [o["name"] for o in client.get("/api/v1/organisations", headers=admin).json()["items"]]
    assert "X" not in names


def test_data_policy_change_is_audited(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    atlantic = _org_id(client, admin, "Atlantic CX")
    policy = {"name": "full", "email": "masked", "phone": "hidden", "address": "masked"}
    response = client.patch(f"/api/v1/organisations/{atlantic}", headers=admin, json={"data_policy": policy})
    assert response.status_code == 200
    assert response.json()["data_policy"] == policy
    events = client.get(
        "/api/v1/audit-events", params={"action": "organisation.data_policy_changed"}, headers=admin
    ).json()["items"]
    assert events[0]["target_id"] == atlantic
    assert events[0]["detail"]["after"] == policy
    assert events[0]["actor_email"] == "admin@lumen.example"


def test_role_change_is_audited_and_admin_role_is_granted_only_by_admin(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    users = client.get("/api/v1/users", headers=admin).json()["items"]
    agent = next(u for u in users if u["email"] == "agent@lumen.example")
    response = client.patch(f"/api/v1/users/{agent['id']}", headers=admin, json={"role": "qa_analyst"})
    assert response.status_code == 200
    assert response.json()["role"] == "qa_analyst"
    events = client.get("/api/v1/audit-events", params={"action": "user.permissions_changed"}, headers=admin).json()
    assert events["items"][0]["detail"]["role"] == {"before": "agent", "after": "qa_analyst"}
