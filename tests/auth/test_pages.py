"""Login, logout, rate limiting, tokens and the audit log through the pages."""

from __future__ import annotations

from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import csrf_from

Login = Callable[..., TestClient]


def _try(client: TestClient, email: str, password: str) -> int:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"email": email, "password": password, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    ).status_code


def test_login_then_logout(client: TestClient, world: object) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"
    assert _try(client, "admin@lumen.example", "demo-password") == 303
    home = client.get("/")
    assert "Lumen Care" in home.text
    logout = client.post("/logout", data={"csrf_token": csrf_from(home.text)}, follow_redirects=False)
    assert logout.headers["location"] == "/login"
    assert client.get("/", follow_redirects=False).status_code == 303


def test_wrong_password_then_rate_limit_per_account(client: TestClient, world: object) -> None:
    for _ in range(5):
        assert _try(client, "qa@lumen.example", "wrong-password") == 401
    assert _try(client, "qa@lumen.example", "demo-password") == 429
    page = client.get("/login")
    limited = client.post(
        "/login", data={"email": "qa@lumen.example", "password": "demo-password", "csrf_token": csrf_from(page.text)}
    )
    assert "too many failed logins" in limited.text


def test_rate_limit_per_address_across_accounts(client: TestClient, world: object) -> None:
    for n in range(5):
        assert _try(client, f"nobody{n}@example.com", "wrong-password") == 401
    assert _try(client, "admin@lumen.example", "demo-password") == 429


def test_login_redirects_only_to_local_paths(client: TestClient, world: object) -> None:
    page = client.get("/login?next=https://evil.example/")
    assert 'value="/"' in page.text
    response = client.post(
        "/login",
        data={
            "email": "admin@lumen.example",
            "password": "demo-password",
            "next": "//evil.example",
            "csrf_token": csrf_from(page.text),
        },
        follow_redirects=False,
    )
    assert response.headers["location"] == "/"


def test_token_is_shown_once_then_revoked(login: Login) -> None:
    client = login("agent@atlantic.example")
    page = client.get("/tokens")
    created = client.post("/tokens", data={"name": "my script", "csrf_token": csrf_from(page.text)})
    assert created.status_code == 201
    secret = created.text.split('data-testid="new-token">')[1].split("<")[0]
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/tokens")
    assert secret not in listing.text
    token_id = listing.text.split('action="/tokens/')[1].split("/revoke")[0]
    client.post(f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(listing.text)})
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_audit_log_shows_logins_and_is_for_admins_and_directors(login: Login) -> None:
    assert login("agent@lumen.example").get("/audit").status_code == 403
    client = login("admin@lumen.example")
    page = client.get("/audit", params={"action": "login.succeeded"})
    assert "agent@lumen.example" in page.text
    assert "<code>user.created</code>" not in page.text
    assert client.get("/audit", params={"since": "yesterday"}).status_code == 422


def test_jobs_page_is_for_admins(login: Login) -> None:
    assert login("director@lumen.example").get("/jobs").status_code == 403
    page = login("admin@lumen.example").get("/jobs")
    assert "dead: 0" in page.text
