"""Accounts: admin password resets force a change, disabling ends sessions, tokens act as their user."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import csrf_from, user_id_of

Headers = Callable[[str], dict[str, str]]


def test_admin_reset_forces_a_new_password_before_anything_else(
    client: TestClient, token_for: Headers, login: Callable[[str], TestClient]
) -> None:
    admin = token_for("admin@lumen.example")
    agent_id = user_id_of(client, admin, "agent@pacific.example")
    reset = client.post(
        f"/api/v1/users/{agent_id}/password-reset", headers=admin, json={"temporary_password": "temporary-123"}
    )
    assert reset.json()["must_change_password"] is True
    login("agent@pacific.example", "temporary-123")
    home = client.get("/", follow_redirects=False)
    assert home.status_code == 303
    assert home.headers["location"] == "/account/password"
    form = client.get("/account/password")
    short = client.post(
        "/account/password",
        data={"current_password": "temporary-123", "new_password": "short", "csrf_token": csrf_from(form.text)},
    )
    assert short.status_code == 422
    assert "at least 10 characters" in short.text
    changed = client.post(
        "/account/password",
        data={
            "current_password": "temporary-123",
            "new_password": "my-own-password",
            "csrf_token": csrf_from(form.text),
        },
    )
    assert "Your password is changed" in changed.text
    login("agent@pacific.example", "my-own-password")
    assert client.get("/", follow_redirects=False).status_code == 200


def test_disabling_a_user_ends_their_sessions_and_tokens(
    client: TestClient, token_for: Headers, login: Callable[[str], TestClient]
) -> None:
    admin = token_for("admin@lumen.example")
    agent = token_for("agent@atlantic.example")
    login("agent@atlantic.example")
    assert client.get("/", follow_redirects=False).status_code == 200
    agent_id = user_id_of(client, admin, "agent@atlantic.example")
    assert client.patch(f"/api/v1/users/{agent_id}", headers=admin, json={"is_active": False}).status_code == 200
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")
    assert client.get("/api/v1/me", headers=agent).status_code == 401


def test_token_acts_as_its_user_with_their_boundaries(client: TestClient, token_for: Headers) -> None:
    me = client.get("/api/v1/me", headers=token_for("lead@atlantic.example")).json()
    assert me["organisation_name"] == "Atlantic CX"
    assert me["organisation_kind"] == "outsourced"
    assert "agents.manage" in me["permissions"]
    assert "users.manage" not in me["permissions"]


def test_created_token_is_shown_once_and_stored_as_a_digest(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    created = client.post("/api/v1/tokens", headers=admin, json={"name": "integration"}).json()
    assert created["token"].startswith("cxh_")
    listed = client.get("/api/v1/tokens", headers=admin).json()["items"]
    assert all("token" not in t for t in listed)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {created['token']}"}).status_code == 200


def test_nobody_changes_their_own_role_and_only_admins_grant_admin(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    admin_id = user_id_of(client, admin, "admin@lumen.example")
    response = client.patch(f"/api/v1/users/{admin_id}", headers=admin, json={"role": "agent"})
    assert response.status_code == 403


def test_brand_limits_narrow_the_brands_a_user_sees(client: TestClient, token_for: Headers) -> None:
    admin = token_for("admin@lumen.example")
    other = client.post(
        "/api/v1/brands",
        headers=admin,
        json={"name": "Lumen Outdoor", "home_country": "IE", "time_zone": "Europe/Dublin"},
    ).json()
    qa_id = user_id_of(client, admin, "qa@lumen.example")
    response = client.patch(f"/api/v1/users/{qa_id}", headers=admin, json={"brand_ids": [other["id"]]})
    assert response.json()["brand_ids"] == [other["id"]]
    qa = token_for("qa@lumen.example")
    assert [b["name"] for b in client.get("/api/v1/brands", headers=qa).json()["items"]] == ["Lumen Outdoor"]
    bad = client.patch(f"/api/v1/users/{qa_id}", headers=admin, json={"brand_ids": ["nope"]})
    assert bad.status_code == 422
