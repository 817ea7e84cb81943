"""Workforce pages through the browser's interface: forms, htmx fragments, CSRF, partner boundaries, escaping."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from cxhub.auth.models import AuditEvent, User
from cxhub.workforce.models import Agent, Organisation, Site, Team
from tests.conftest import csrf_from

Login = Callable[..., TestClient]
HTMX = {"HX-Request": "true"}
SCRIPT = "<script>alert(1)</script>"
ModelT = TypeVar("ModelT")


def _org_link(html: str, name: str) -> str:
    marker = f'">{name}</a>'
    end = html.index(marker)
    return html[html.rindex('href="', 0, end) + 6 : end]


def _org_id(session: Session, name: str) -> str:
    found = session.scalar(select(Organisation.id).where(Organisation.name == name))
    assert found
    return found


def _agent_id(session: Session, email: str) -> str:
    found = session.scalar(select(Agent.id).join(User, User.id == Agent.user_id).where(User.email == email))
    assert found
    return found


def _fresh(session: Session, model: type[ModelT], record_id: str) -> ModelT:
    """The record as the database has it now, past the test session's identity map."""
    session.expire_all()
    return session.get_one(model, record_id)


def _user_id(session: Session, email: str) -> str:
    found = session.scalar(select(User.id).where(User.email == email))
    assert found
    return found


# organisations, sites, teams


def test_organisations_page_lists_all_for_in_house_and_own_for_partner(login: Login) -> None:
    client = login("director@lumen.example")
    page = client.get("/organisations")
    assert page.status_code == 200
    for name in ("Lumen Care", "Atlantic CX", "Pacific Contact"):
        assert name in page.text
    assert "Add an organisation" not in page.text  # a director reads, an admin manages
    pacific = _org_link(page.text, "Pacific Contact")
    client = login("agent@atlantic.example")
    page = client.get("/organisations")
    assert "Atlantic CX" in page.text
    assert "Pacific Contact" not in page.text
    assert "Add an organisation" not in page.text
    missing = client.get(pacific)
    assert missing.status_code == 404
    assert "Pacific Contact" not in missing.text


def test_partner_gets_404_for_another_organisations_forms_and_403_for_their_own(login: Login, world: Session) -> None:
    client = login("lead@atlantic.example")
    token = csrf_from(client.get("/organisations").text)
    policy = {"name": "full", "email": "full", "phone": "full", "address": "full", "csrf_token": token}
    pacific, atlantic = _org_id(world, "Pacific Contact"), _org_id(world, "Atlantic CX")
    assert client.post(f"/organisations/{pacific}/data-policy", data=policy).status_code == 404
    assert client.post(f"/organisations/{atlantic}/data-policy", data=policy).status_code == 403
    assert _fresh(world, Organisation, atlantic).data_policy["email"] == "masked"


def test_opening_hours_are_summarised_per_run_of_days(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    lumen = client.get(f"/organisations/{_org_id(world, 'Lumen Care')}").text
    assert "mon\u2013fri 08:00\u201320:00" in lumen
    assert "2026-12-25" in lumen
    pacific = client.get(f"/organisations/{_org_id(world, 'Pacific Contact')}").text
    assert "mon\u2013sun 00:00\u201324:00" in pacific
    assert "Asia/Manila" in pacific


def test_admin_creates_an_organisation_site_and_team(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/organisations")
    created = client.post(
        "/organisations",
        data={"name": "Cork Contact", "kind": "outsourced", "country": "IE", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    where = created.headers["location"]
    detail = client.get(where)
    assert '<span class="pill outsourced">outsourced</span>' in detail.text
    token = csrf_from(detail.text)
    site = {
        "name": "Cork",
        "city": "Cork",
        "country": "IE",
        "time_zone": "Europe/Dublin",
        "location_band": "onshore",
        "opens": "08:00",
        "closes": "18:00",
        "days": ["mon", "tue", "thu"],
        "holidays": "2026-12-25, 2026-12-26",
        "csrf_token": token,
    }
    added = client.post(f"{where}/sites", data=site, follow_redirects=False)
    assert added.status_code == 303
    assert added.headers["location"] == where
    shown = client.get(where).text
    assert "mon\u2013tue 08:00\u201318:00<br>thu 08:00\u201318:00" in shown
    assert "2026-12-25, 2026-12-26" in shown

    refused = client.post(f"{where}/sites", data={**site, "name": "Nowhere", "time_zone": "Mars/Olympus"})
    assert refused.status_code == 422
    assert "IANA time zone" in refused.text
    assert 'value="Mars/Olympus"' in refused.text  # shown again as typed, in the opened form
    assert "<details open>" in refused.text
    assert world.scalar(select(Site).where(Site.name == "Nowhere")) is None

    site_id = re.search(r'<option value="([0-9a-z]+)" >Cork</option>', shown)
    assert site_id
    team = {
        "name": "Cork Voice",
        "site_id": site_id.group(1),
        "channels": ["voice", "email"],
        "languages": "en, ga",
        "skills": "billing, returns",
        "csrf_token": token,
    }
    assert client.post(f"{where}/teams", data=team, follow_redirects=False).status_code == 303
    stored = world.scalar(select(Team).where(Team.name == "Cork Voice"))
    assert stored is not None
    assert (stored.channels, stored.languages, stored.skills) == (
        ["voice", "email"],
        ["en", "ga"],
        ["billing", "returns"],
    )
    other_site = world.scalar(select(Site.id).where(Site.name == "Manila"))
    wrong = client.post(f"{where}/teams", data={**team, "name": "Elsewhere", "site_id": other_site})
    assert wrong.status_code == 422
    assert "choose a site of this organisation" in wrong.text


def test_a_data_policy_change_is_audited(login: Login, world: Session) -> None:
    client = login("vendors@lumen.example")
    atlantic = _org_id(world, "Atlantic CX")
    page = client.get(f"/organisations/{atlantic}")
    policy = {"name": "full", "email": "hidden", "phone": "masked", "address": "masked"}
    saved = client.post(
        f"/organisations/{atlantic}/data-policy",
        data={**policy, "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    assert _fresh(world, Organisation, atlantic).data_policy == policy
    event = world.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.data_policy_changed"))
    assert event is not None
    assert event.actor_email == "vendors@lumen.example"
    assert event.detail["after"] == policy
    refused = client.post(
        f"/organisations/{atlantic}/data-policy",
        data={**policy, "email": "everything", "csrf_token": csrf_from(page.text)},
    )
    assert refused.status_code == 422
    assert "Data policy" in refused.text


def test_names_are_stored_verbatim_and_rendered_escaped(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/organisations")
    name = f"O'Brien & Sons {SCRIPT}"
    created = client.post(
        "/organisations",
        data={"name": name, "kind": "outsourced", "country": "IE", "csrf_token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert created.status_code == 303
    assert world.scalar(select(Organisation).where(Organisation.name == name)) is not None
    for html in (client.get("/organisations").text, client.get(created.headers["location"]).text):
        assert "O&#39;Brien &amp; Sons &lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert SCRIPT not in html
    users = client.get("/users")
    made = client.post(
        "/users",
        data={
            "email": "obrien@atlantic.example",
            "name": f"Seán O'Brien {SCRIPT}",
            "role": "agent",
            "organisation_id": _org_id(world, "Atlantic CX"),
            "csrf_token": csrf_from(users.text),
        },
    )
    assert made.status_code == 201
    assert world.scalar(select(User.name).where(User.email == "obrien@atlantic.example")) == f"Seán O'Brien {SCRIPT}"
    assert SCRIPT not in made.text
    assert "Seán O&#39;Brien &lt;script&gt;" in made.text


def test_a_post_without_the_csrf_token_is_refused_and_changes_nothing(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    response = client.post("/organisations", data={"name": "Sneaky", "kind": "outsourced", "country": "PT"})
    assert response.status_code == 403
    forged = client.post(
        "/organisations", data={"name": "Sneaky", "kind": "outsourced", "country": "PT", "csrf_token": "0" * 64}
    )
    assert forged.status_code == 403
    assert world.scalar(select(Organisation).where(Organisation.name == "Sneaky")) is None
    target = _user_id(world, "agent@pacific.example")
    assert client.post(f"/users/{target}/active", data={"active": "false"}, headers=HTMX).status_code == 403
    assert _fresh(world, User, target).is_active


def test_htmx_requests_carry_the_token_in_a_header(login: Login) -> None:
    client = login("admin@lumen.example")
    page = client.get("/organisations")
    response = client.post(
        "/organisations",
        data={"name": "Via htmx", "kind": "outsourced", "country": "PT"},
        headers={**HTMX, "X-CSRF-Token": csrf_from(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_a_team_in_use_is_not_deleted(login: Login) -> None:
    client = login("vendors@lumen.example")
    orgs = client.get("/organisations").text
    page = client.get(_org_link(orgs, "Atlantic CX"))
    found = re.search(r'action="(/organisations/[0-9a-z]+/teams/[0-9a-z]+/delete)"', page.text)
    assert found
    response = client.post(found.group(1), data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 409
    assert "still in use" in response.text


# agents


def test_agents_page_shows_skills_costs_and_respects_scope(login: Login, world: Session) -> None:
    client = login("lead@lumen.example")
    page = client.get("/agents")
    assert "Tiago Ferreira" in page.text
    assert "Maria Santos" in page.text
    assert "9.80 USD" in page.text
    assert "fully loaded" in page.text
    assert 'hx-get="/agents/' in page.text
    client = login("agent@pacific.example")
    page = client.get("/agents")
    assert "Maria Santos" in page.text
    assert "Tiago Ferreira" not in page.text
    assert "hx-get" not in page.text  # reading only: no edit buttons
    assert client.get(f"/agents/{_agent_id(world, 'agent@atlantic.example')}").status_code == 404


def test_agent_rows_are_edited_inline_through_htmx_fragments(login: Login, world: Session) -> None:
    client = login("lead@atlantic.example")
    agent_id = _agent_id(world, "agent@atlantic.example")
    editor = client.get(f"/agents/{agent_id}/edit", headers=HTMX)
    assert editor.status_code == 200
    assert editor.text.lstrip().startswith(f'<tr id="agent-{agent_id}" class="editing">')
    assert "<html" not in editor.text
    assert f'action="/agents/{agent_id}"' in editor.text
    assert 'value="pt:native, es:fluent, en:fluent"' in editor.text
    assert "Manila 24/7" not in editor.text  # only the teams of the agent's organisation
    assert editor.headers["vary"] == "HX-Request"
    row = client.get(f"/agents/{agent_id}", headers=HTMX)
    assert row.text.lstrip().startswith(f'<tr id="agent-{agent_id}">')
    assert "Tiago Ferreira" in row.text
    assert "<html" not in row.text
    full = client.get(f"/agents/{agent_id}/edit")
    assert "<html" in full.text  # without scripts, the profile page with the same form
    form = {
        "team_id": _fresh(world, Agent, agent_id).team_id,
        "languages": "pt:native",
        "skills": "returns:5",
        "max_chat": "4",
        "hourly_cost": "22.50",
        "cost_currency": "EUR",
        "cost_year": "2026",
        "cost_basis": "billed",
        "hire_date": "2024-03-01",
        "csrf_token": csrf_from(editor.text),
    }
    saved = client.post(f"/agents/{agent_id}", data=form, follow_redirects=False)
    assert saved.status_code == 303
    assert saved.headers["location"] == f"/agents#agent-{agent_id}"
    listing = client.get("/agents").text
    assert "returns 5" in listing
    assert "22.50 EUR" in listing
    pacific_agent = _agent_id(world, "agent@pacific.example")
    assert client.get(f"/agents/{pacific_agent}/edit", headers=HTMX).status_code == 404
    assert client.post(f"/agents/{pacific_agent}", data=form).status_code == 404
    reader = login("agent@atlantic.example")
    assert reader.get(f"/agents/{agent_id}/edit", headers=HTMX).status_code == 403


def test_lead_gives_a_user_an_agent_profile_and_edits_it(login: Login, world: Session) -> None:
    admin = login("admin@lumen.example")
    page = admin.get("/users")
    admin.post(
        "/users",
        data={
            "email": "new@lumen.example",
            "name": "Nora New",
            "role": "agent",
            "organisation_id": _org_id(world, "Lumen Care"),
            "password": "a-long-password",
            "csrf_token": csrf_from(page.text),
        },
    )
    client = login("lead@lumen.example")
    agents = client.get("/agents")
    found = re.search(r'<option value="([0-9a-z]+)"\s*>Nora New \(new@lumen.example\)', agents.text)
    assert found
    team_id = world.scalar(select(Team.id).where(Team.name == "Dublin Care"))
    form = {
        "user_id": found.group(1),
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
    assert 'value="en:native, ga:working"' in bad.text  # what was typed is kept
    assert '<details class="card spaced" open>' in bad.text
    created = client.post("/agents", data=form, follow_redirects=False)
    assert created.status_code == 303
    listing = client.get("/agents").text
    assert 'ga <span class="muted">(working)</span>' in listing
    link = re.search(r'href="(/agents/[0-9a-z]+)">Nora New</a>', listing)
    assert link
    edit = client.get(link.group(1))
    assert 'value="en:native, ga:working"' in edit.text
    too_early = {
        **form,
        "skills": "billing:5, returns:2",
        "leave_date": "2026-01-01",
        "csrf_token": csrf_from(edit.text),
    }
    updated = client.post(link.group(1), data=too_early)
    assert updated.status_code == 422
    assert "leave date is before hire date" in updated.text
    assert 'value="billing:5, returns:2"' in updated.text
    client.post(link.group(1), data={**too_early, "leave_date": ""})
    assert "returns 2" in client.get("/agents").text


# users


def test_users_page_needs_the_permission_and_admin_creates_users(login: Login, world: Session) -> None:
    assert login("agent@lumen.example").get("/users").status_code == 403
    client = login("admin@lumen.example")
    page = client.get("/users")
    assert "Ciarán O&#39;Brien" in page.text
    created = client.post(
        "/users",
        data={
            "email": "new.agent@atlantic.example",
            "name": "<b>Bold</b> Agent",
            "role": "agent",
            "organisation_id": _org_id(world, "Atlantic CX"),
            "csrf_token": csrf_from(page.text),
        },
    )
    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    secret = re.search(r'data-testid="temporary-password">([^<]+)<', created.text)
    assert secret
    assert "&lt;b&gt;Bold&lt;/b&gt; Agent" in created.text
    assert secret.group(1) not in client.get("/users").text  # shown once
    duplicate = client.post(
        "/users",
        data={
            "email": "new.agent@atlantic.example",
            "name": "Again",
            "role": "qa_analyst",
            "organisation_id": _org_id(world, "Atlantic CX"),
            "csrf_token": csrf_from(page.text),
        },
    )
    assert duplicate.status_code == 409
    assert 'value="Again"' in duplicate.text
    newcomer = login("new.agent@atlantic.example", secret.group(1))
    assert newcomer.get("/organisations", follow_redirects=False).headers["location"] == "/account/password"


def test_partner_lead_sees_only_their_colleagues(login: Login, world: Session) -> None:
    client = login("lead@atlantic.example")
    page = client.get("/users")
    assert "Tiago Ferreira" in page.text
    assert "Aoife Byrne" not in page.text
    assert "Add a user" not in page.text
    token = csrf_from(page.text)
    colleague, stranger = _user_id(world, "agent@atlantic.example"), _user_id(world, "agent@pacific.example")
    assert client.post(f"/users/{stranger}/active", data={"active": "false", "csrf_token": token}).status_code == 404
    assert client.post(f"/users/{colleague}/active", data={"active": "false", "csrf_token": token}).status_code == 403
    assert _fresh(world, User, colleague).is_active


def test_admin_disables_and_enables_a_user_through_htmx(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/users")
    me = _user_id(world, "admin@lumen.example")
    own_row = page.text[page.text.index(f'<tr id="user-{me}">') :].split("</tr>")[0]
    assert "Disable" not in own_row
    assert "Change role" not in own_row
    target = _user_id(world, "qa@lumen.example")
    headers = {**HTMX, "X-CSRF-Token": csrf_from(page.text)}
    disabled = client.post(f"/users/{target}/active", data={"active": "false"}, headers=headers)
    assert disabled.status_code == 200
    assert disabled.text.lstrip().startswith(f'<tr id="user-{target}">')
    assert "disabled" in disabled.text
    assert ">Enable</button>" in disabled.text
    assert "<html" not in disabled.text
    assert not _fresh(world, User, target).is_active
    plain = client.post(f"/users/{target}/active", data={"active": "true", "csrf_token": csrf_from(page.text)})
    assert plain.status_code == 200  # after the redirect
    assert _fresh(world, User, target).is_active
    refused = client.post(f"/users/{me}/active", data={"active": "false", "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 403
    assert "cannot change your own role or disable yourself" in refused.text


def test_admin_changes_a_role_and_it_is_audited(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/users")
    target = _user_id(world, "agent@lumen.example")
    row = client.post(
        f"/users/{target}/role", data={"role": "team_lead"}, headers={**HTMX, "X-CSRF-Token": csrf_from(page.text)}
    )
    assert row.status_code == 200
    assert "<td>team lead</td>" in row.text
    assert _fresh(world, User, target).role == "team_lead"
    event = world.scalar(select(AuditEvent).where(AuditEvent.action == "user.permissions_changed"))
    assert event is not None
    assert event.detail["role"] == {"before": "agent", "after": "team_lead"}
    unknown = client.post(f"/users/{target}/role", data={"role": "owner", "csrf_token": csrf_from(page.text)})
    assert unknown.status_code == 422
    assert "choose a role" in unknown.text


def test_admin_resets_a_password_given_or_generated(login: Login, world: Session) -> None:
    client = login("admin@lumen.example")
    page = client.get("/users")
    target = _user_id(world, "agent@pacific.example")
    token = csrf_from(page.text)
    short = client.post(f"/users/{target}/password-reset", data={"temporary_password": "short", "csrf_token": token})
    assert short.status_code == 422
    assert "at least 10 characters" in short.text
    given = client.post(
        f"/users/{target}/password-reset",
        data={"temporary_password": "given-temporary-1", "csrf_token": token},
        follow_redirects=False,
    )
    assert given.status_code == 303
    generated = client.post(f"/users/{target}/password-reset", data={"temporary_password": "", "csrf_token": token})
    assert generated.status_code == 200
    secret = re.search(r'data-testid="temporary-password">([^<]+)<', generated.text)
    assert secret
    assert _fresh(world, User, target).must_change_password
    user = login("agent@pacific.example", secret.group(1))
    assert user.get("/", follow_redirects=False).headers["location"] == "/account/password"
