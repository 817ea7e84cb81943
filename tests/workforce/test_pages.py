"""Workforce pages through the browser's interface: forms, CSRF, partner boundaries, escaping."""

from __future__ import annotations

import re
from collections.abc import Callable

from fastapi.testclient import TestClient

from tests.conftest import csrf_from

Login = Callable[..., TestClient]


def _org_link(html: str, name: str) -> str:
    marker = f'">{name}</a>'
    end = html.index(marker)
    return html[html.rindex('href="', 0, end) + 6 : end]


def test_organisations_page_lists_all_for_in_house_and_own_for_partner(login: Login) -> None:
    client = login("director@lumen.example")
    page = client.get("/organisations")
    assert page.status_code == 200
    for name in ("Lumen Care", "Atlantic CX", "Pacific Contact"):
        assert name in page.text
    pacific = _org_link(page.text, "Pacific Contact")
    client = login("agent@atlantic.example")
    page = client.get("/organisations")
    assert "Atlantic CX" in page.text
    assert "Pacific Contact" not in page.text
    assert client.get(pacific).status_code == 404


def test_admin_creates_an_organisation_site_and_team(login: Login) -> None:
    client = login("admin@lumen.example")
    page = client.get("/organisations")
    created = client.post(
        "/organisations",
        data={"name": "O'Brien & <Sons>", "kind": "outsourced", "country": "IE", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    detail = client.get(created.headers["location"])
    assert "O&#39;Brien &amp; &lt;Sons&gt;" in detail.text
    assert "<Sons>" not in detail.text
    token = csrf_from(detail.text)
    site = client.post(
        f"{created.headers['location']}/sites",
        data={
            "name": "Cork",
            "city": "Cork",
            "country": "IE",
            "time_zone": "Europe/Dublin",
            "location_band": "onshore",
            "opens": "08:00",
            "closes": "18:00",
            "days": ["mon", "tue"],
            "csrf_token": token,
        },
    )
    assert site.status_code == 200
    assert "08:00\u201318:00" in site.text
    bad = client.post(
        f"{created.headers['location']}/sites",
        data={
            "name": "Nowhere",
            "city": "X",
            "country": "IE",
            "time_zone": "Mars/Olympus",
            "location_band": "onshore",
            "csrf_token": token,
        },
    )
    assert bad.status_code == 422
    assert "IANA time zone" in bad.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(login: Login) -> None:
    client = login("admin@lumen.example")
    response = client.post("/organisations", data={"name": "Sneaky", "kind": "outsourced", "country": "PT"})
    assert response.status_code == 403
    assert "Sneaky" not in client.get("/organisations").text
    forged = client.post(
        "/organisations", data={"name": "Sneaky", "kind": "outsourced", "country": "PT", "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403


def test_htmx_requests_carry_the_token_in_a_header(login: Login) -> None:
    client = login("admin@lumen.example")
    page = client.get("/organisations")
    response = client.post(
        "/organisations",
        data={"name": "Via htmx", "kind": "outsourced", "country": "PT"},
        headers={"HX-Request": "true", "X-CSRF-Token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_agents_page_shows_skills_costs_and_respects_scope(login: Login) -> None:
    client = login("lead@lumen.example")
    page = client.get("/agents")
    assert "Tiago Ferreira" in page.text
    assert "Maria Santos" in page.text
    assert "fully loaded" in page.text
    client = login("agent@pacific.example")
    page = client.get("/agents")
    assert "Maria Santos" in page.text
    assert "Tiago Ferreira" not in page.text


def test_users_page_needs_the_permission_and_admin_creates_users(login: Login) -> None:
    assert login("agent@lumen.example").get("/users").status_code == 403
    client = login("admin@lumen.example")
    page = client.get("/users")
    assert "Ciarán O&#39;Brien" in page.text
    orgs = client.get("/organisations").text
    atlantic_id = _org_link(orgs, "Atlantic CX").rsplit("/", 1)[1]
    created = client.post(
        "/users",
        data={
            "email": "new.agent@atlantic.example",
            "name": "<b>Bold</b> Agent",
            "role": "agent",
            "organisation_id": atlantic_id,
            "csrf_token": csrf_from(page.text),
        },
    )
    assert created.status_code == 201
    assert "Temporary password" in created.text
    assert "&lt;b&gt;Bold&lt;/b&gt; Agent" in created.text


def test_partner_lead_sees_only_their_colleagues(login: Login) -> None:
    page = login("lead@atlantic.example").get("/users")
    assert "Tiago Ferreira" in page.text
    assert "Aoife Byrne" not in page.text


def test_lead_gives_a_user_an_agent_profile_and_edits_it(login: Login) -> None:
    admin = login("admin@lumen.example")
    page = admin.get("/users")
    orgs = admin.get("/organisations").text
    lumen_id = _org_link(orgs, "Lumen Care").rsplit("/", 1)[1]
    admin.post(
        "/users",
        data={
            "email": "new@lumen.example",
            "name": "Nora New",
            "role": "agent",
            "organisation_id": lumen_id,
            "password": "a-long-password",
            "csrf_token": csrf_from(page.text),
        },
    )
    client = login("lead@lumen.example")
    agents = client.get("/agents")
    assert "Nora New (new@lumen.example)" in agents.text
    user_id = re.search(r'<option value="([0-9a-z]+)">Nora New', agents.text).group(1)  # type: ignore[union-attr]
    team_id = agents.text.split('name="team_id"><option value="')[1].split('"')[0]
    form = {
        "user_id": user_id,
        "team_id": team_id,
        "languages": "en:native, ga:working",
        "skills": "billing:4",
        "max_chat": "3",
        "hourly_cost": "30.00",
        "cost_currency": "EUR",
        "cost_year": "2026",
        "cost_basis": "fully_loaded",
        "hire_date": "2026-10-01",
        "csrf_token": csrf_from(agents.text),
    }
    bad = client.post("/agents", data={**form, "skills": "billing"})
    assert bad.status_code == 422
    assert "name:level" in bad.text
    created = client.post("/agents", data=form, follow_redirects=False)
    assert created.status_code == 303
    listing = client.get("/agents").text
    assert 'ga <span class="muted">(working)</span>' in listing
    found = re.search(r'href="(/agents/[0-9a-z]+)">Nora New</a>', listing)
    assert found
    link = found.group(1)
    edit = client.get(link)
    assert 'value="en:native, ga:working"' in edit.text
    updated = client.post(
        link,
        data={**form, "skills": "billing:5, returns:2", "leave_date": "2026-01-01", "csrf_token": csrf_from(edit.text)},
    )
    assert updated.status_code == 422
    assert "leave date is before hire date" in updated.text
    client.post(link, data={**form, "skills": "billing:5, returns:2", "csrf_token": csrf_from(edit.text)})
    assert "returns 2" in client.get("/agents").text


def test_a_team_in_use_is_not_deleted(login: Login) -> None:
    client = login("vendors@lumen.example")
    orgs = client.get("/organisations").text
    page = client.get(_org_link(orgs, "Atlantic CX"))
    found = re.search(r'action="(/organisations/[0-9a-z]+/teams/[0-9a-z]+/delete)"', page.text)
    assert found
    delete = found.group(1)
    response = client.post(delete, data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 409
    assert "still in use" in response.text
