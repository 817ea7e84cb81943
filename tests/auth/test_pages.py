"""Login, logout, rate limiting, API tokens and the audit log through the pages."""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.models import ApiToken, AuditEvent
from cxhub.auth.service import record_audit
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
    assert limited.status_code == 429
    assert "too many failed logins" in limited.text
    assert 'value="qa@lumen.example"' in limited.text  # the form is shown again, not a bare error page


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


def test_a_login_without_the_csrf_token_is_refused(client: TestClient, world: object) -> None:
    client.get("/login")
    response = client.post("/login", data={"email": "admin@lumen.example", "password": "demo-password"})
    assert response.status_code == 403
    assert client.get("/", follow_redirects=False).headers["location"] == "/login?next=/"


# API tokens


def test_token_is_shown_once_then_revoked(login: Login) -> None:
    client = login("agent@atlantic.example")
    page = client.get("/tokens")
    created = client.post("/tokens", data={"name": "my script", "csrf_token": csrf_from(page.text)})
    assert created.status_code == 201
    secret = created.text.split('data-testid="new-token">')[1].split("<")[0]
    assert 'class="secret"' in created.text
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/tokens")
    assert secret not in listing.text
    assert f"<code>{secret[:8]}…</code>" in listing.text
    assert "never" not in listing.text  # the call above is its last use
    token_id = listing.text.split('action="/tokens/')[1].split("/revoke")[0]
    revoked = client.post(
        f"/tokens/{token_id}/revoke", data={"csrf_token": csrf_from(listing.text)}, follow_redirects=False
    )
    assert revoked.status_code == 303
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    assert '<span class="pill revoked">revoked</span>' in client.get("/tokens").text


def test_tokens_are_the_users_own_and_need_the_csrf_token(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/tokens")
    assert client.post("/tokens", data={"name": "forged"}).status_code == 403
    assert world.scalar(select(ApiToken).where(ApiToken.name == "forged")) is None
    client.post("/tokens", data={"name": "admin's", "csrf_token": csrf_from(page.text)})
    admins = world.scalar(select(ApiToken.id).where(ApiToken.name == "admin's"))
    assert admins
    other = login("agent@lumen.example")
    listing = other.get("/tokens")
    assert "admin&#39;s" not in listing.text
    stolen = other.post(f"/tokens/{admins}/revoke", data={"csrf_token": csrf_from(listing.text)})
    assert stolen.status_code == 404
    world.expire_all()
    assert world.get_one(ApiToken, admins).revoked_at is None


# the audit log


def test_audit_log_lists_login_events_for_admins_and_directors(login: Login, client: TestClient) -> None:
    assert login("agent@lumen.example").get("/audit").status_code == 403
    client.cookies.clear()
    assert _try(client, "qa@lumen.example", "wrong-password") == 401
    for who in ("director@lumen.example", "admin@lumen.example"):
        page = login(who).get("/audit")
        assert page.status_code == 200
        for action in ("login.succeeded", "login.failed"):
            assert f"<code>{action}</code>" in page.text
        assert "qa@lumen.example" in page.text
    page = client.get("/audit", params={"action": "login.succeeded"})
    assert "agent@lumen.example" in page.text
    assert "<code>login.failed</code>" not in page.text
    assert "<code>user.created</code>" not in page.text
    assert 'value="login.succeeded"' in page.text  # the filters stay filled in


def test_audit_log_is_newest_first_filtered_and_paged(login: Login, world: Session) -> None:
    for n in range(60):
        record_audit(
            world,
            actor=None,
            actor_email="ops@lumen.example",
            action="test.event",
            target_type="t",
            target_id=f"n{n:02}",
        )
        time.sleep(0.002)  # ids order by the millisecond they are made in
    world.commit()
    client = login("admin@lumen.example")
    first = client.get("/audit", params={"actor_email": "ops@lumen.example"})
    targets = re.findall(r'<span class="muted">(n\d\d)</span>', first.text)
    assert targets[:3] == ["n59", "n58", "n57"]
    assert len(targets) == 50
    older = re.search(r'<a href="(/audit\?[^"]+)">Older events', first.text)
    assert older
    second = client.get(older.group(1).replace("&amp;", "&"))
    assert re.findall(r'<span class="muted">(n\d\d)</span>', second.text) == [f"n{n:02}" for n in range(9, -1, -1)]
    assert "Older events" not in second.text
    today = dt.datetime.now(dt.UTC).date()
    future = (today + dt.timedelta(days=2)).isoformat()
    assert "n59" not in client.get("/audit", params={"actor_email": "ops@lumen.example", "since": future}).text
    assert "n59" in client.get("/audit", params={"actor_email": "ops@lumen.example", "until": today.isoformat()}).text
    assert client.get("/audit", params={"since": "yesterday"}).status_code == 422
    assert world.scalar(select(AuditEvent).where(AuditEvent.action == "test.event"))
