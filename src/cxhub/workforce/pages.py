"""Workforce pages: organisations with their sites and teams, agents, users."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.passwords import new_secret
from cxhub.auth.permissions import Permission, Role
from cxhub.deps import PageActor, SessionDep, csrf_protect, require
from cxhub.errors import CxhubError, NotFound
from cxhub.web import render
from cxhub.workforce import repository, service
from cxhub.workforce.models import Agent, Organisation, Site, Team
from cxhub.workforce.schemas import (
    AgentCreate,
    AgentUpdate,
    OrganisationCreate,
    OrganisationUpdate,
    SiteCreate,
    TeamCreate,
)

router = APIRouter(dependencies=[Depends(csrf_protect)], include_in_schema=False)
P = Permission
CanReadOrganisations = Annotated[Actor, Depends(require(P.ORGANISATIONS_READ, pages=True))]
CanManageOrganisations = Annotated[Actor, Depends(require(P.ORGANISATIONS_MANAGE, pages=True))]
CanReadAgents = Annotated[Actor, Depends(require(P.AGENTS_READ, pages=True))]
CanManageAgents = Annotated[Actor, Depends(require(P.AGENTS_MANAGE, pages=True))]
CanReadUsers = Annotated[Actor, Depends(require(P.USERS_READ, pages=True))]
CanManageUsers = Annotated[Actor, Depends(require(P.USERS_MANAGE, pages=True))]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _words(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _failure(exc: ValidationError | CxhubError) -> dict[str, Any]:
    """The status and message a form is shown again with."""
    if isinstance(exc, CxhubError):
        return {"status": exc.status, "error": exc.message}
    first = exc.errors()[0]
    reason = first["msg"].removeprefix("Value error, ")
    return {"status": 422, "error": f"{'.'.join(str(p) for p in first['loc'])}: {reason}"}


def _is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def _no_store(response: Response) -> Response:
    """A page showing a password once must not be kept by any cache."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _vary(response: Response) -> Response:
    """For a URL that answers htmx with a fragment: no cache may hand the fragment to a plain visit."""
    response.headers["Vary"] = "HX-Request"
    return response


def _hours_summary(opening_hours: dict[str, list[list[str]]]) -> list[str]:
    """One line per run of neighbouring days with the same hours ("mon to fri 08:00 to 20:00"); closed days omitted."""
    runs: list[tuple[str, list[str]]] = []
    for day in WEEKDAYS:
        hours = ", ".join(f"{start}\u2013{end}" for start, end in opening_hours.get(day) or [])
        if runs and runs[-1][0] == hours:
            runs[-1][1].append(day)
        else:
            runs.append((hours, [day]))
    return [
        f"{days[0]}\u2013{days[-1]} {hours}" if len(days) > 1 else f"{days[0]} {hours}" for hours, days in runs if hours
    ]


def _organisation(session: SessionDep, actor: PageActor, organisation_id: str) -> Organisation:
    return service.get_organisation(session, actor=actor, organisation_id=organisation_id)


OrganisationInScope = Annotated[Organisation, Depends(_organisation)]


# organisations


def _organisations_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    organisations = session.scalars(repository.readable_organisations(actor).order_by(Organisation.name)).all()
    site_counts = dict(session.execute(select(Site.organisation_id, func.count()).group_by(Site.organisation_id)).all())
    can_create = actor.can(P.ORGANISATIONS_MANAGE) and not actor.is_partner
    return render(
        request,
        "workforce/organisations.html",
        status_code=status,
        organisations=organisations,
        site_counts=site_counts,
        can_create=can_create,
        error=error,
        form=form or {},
    )


@router.get("/organisations")
def organisations_page(request: Request, session: SessionDep, actor: CanReadOrganisations) -> Response:
    return _organisations_page(request, session, actor)


@router.post("/organisations")
def create_organisation(
    request: Request,
    session: SessionDep,
    actor: CanManageOrganisations,
    name: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=20)],
    country: Annotated[str, Form(max_length=2)],
) -> Response:
    form = {"name": name, "kind": kind, "country": country}
    try:
        with session.begin_nested():
            organisation = service.create_organisation(
                session, organisation_create=OrganisationCreate.model_validate(form), actor=actor
            )
    except (ValidationError, CxhubError) as exc:
        return _organisations_page(request, session, actor, **_failure(exc), form=form)
    return RedirectResponse(f"/organisations/{organisation.id}", status_code=303)


def _organisation_page(
    request: Request,
    session: Session,
    actor: Actor,
    organisation: Organisation,
    *,
    status: int = 200,
    error: str | None = None,
    opened: Literal["site", "team"] | None = None,
    form: dict[str, Any] | None = None,
) -> Response:
    """`opened` names the form a refused submission is shown again in, with `form` as typed."""
    sites = session.scalars(select(Site).where(Site.organisation_id == organisation.id).order_by(Site.name)).all()
    teams = session.scalars(select(Team).where(Team.organisation_id == organisation.id).order_by(Team.name)).all()
    site_names = {site.id: site.name for site in sites}
    return render(
        request,
        "workforce/organisation.html",
        status_code=status,
        organisation=organisation,
        sites=sites,
        teams=teams,
        site_names=site_names,
        hours={site.id: _hours_summary(site.opening_hours) for site in sites},
        weekdays=WEEKDAYS,
        can_manage=actor.can(P.ORGANISATIONS_MANAGE),
        error=error,
        opened=opened,
        form=form or {},
    )


@router.get("/organisations/{organisation_id}")
def organisation_page(
    request: Request, session: SessionDep, organisation: OrganisationInScope, actor: CanReadOrganisations
) -> Response:
    return _organisation_page(request, session, actor, organisation)


@router.post("/organisations/{organisation_id}/data-policy")
def update_data_policy(
    request: Request,
    session: SessionDep,
    organisation: OrganisationInScope,
    actor: CanManageOrganisations,
    name: Annotated[str, Form(max_length=10)],
    email: Annotated[str, Form(max_length=10)],
    phone: Annotated[str, Form(max_length=10)],
    address: Annotated[str, Form(max_length=10)],
) -> Response:
    policy = {"name": name, "email": email, "phone": phone, "address": address}
    try:
        with session.begin_nested():
            service.update_organisation(
                session,
                organisation=organisation,
                actor=actor,
                organisation_update=OrganisationUpdate.model_validate({"data_policy": policy}),
            )
    except (ValidationError, CxhubError) as exc:
        return _organisation_page(request, session, actor, organisation, **_failure(exc))
    return RedirectResponse(f"/organisations/{organisation.id}", status_code=303)


@router.post("/organisations/{organisation_id}/sites")
def create_site(
    request: Request,
    session: SessionDep,
    organisation: OrganisationInScope,
    actor: CanManageOrganisations,
    name: Annotated[str, Form(max_length=200)],
    city: Annotated[str, Form(max_length=200)],
    country: Annotated[str, Form(max_length=2)],
    time_zone: Annotated[str, Form(max_length=64)],
    location_band: Annotated[str, Form(max_length=20)],
    opens: Annotated[str, Form(max_length=5)] = "09:00",
    closes: Annotated[str, Form(max_length=5)] = "17:00",
    days: Annotated[list[str] | None, Form()] = None,
    holidays: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    hours = {day: [[opens, closes]] for day in (days or []) if day in WEEKDAYS}
    data: dict[str, Any] = {
        "organisation_id": organisation.id,
        "name": name,
        "city": city,
        "country": country,
        "time_zone": time_zone,
        "location_band": location_band,
        "opening_hours": hours,
        "holidays": _words(holidays),
    }
    try:
        with session.begin_nested():
            service.create_site(session, site_create=SiteCreate.model_validate(data), actor=actor)
    except (ValidationError, CxhubError) as exc:
        typed = {**data, "opens": opens, "closes": closes, "days": days or [], "holidays": holidays}
        return _organisation_page(request, session, actor, organisation, **_failure(exc), opened="site", form=typed)
    return RedirectResponse(f"/organisations/{organisation.id}", status_code=303)


@router.post("/organisations/{organisation_id}/teams")
def create_team(
    request: Request,
    session: SessionDep,
    organisation: OrganisationInScope,
    actor: CanManageOrganisations,
    site_id: Annotated[str, Form(max_length=26)],
    name: Annotated[str, Form(max_length=200)],
    channels: Annotated[list[str] | None, Form()] = None,
    languages: Annotated[str, Form(max_length=500)] = "",
    skills: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    data = {
        "site_id": site_id,
        "name": name,
        "channels": channels or [],
        "languages": _words(languages),
        "skills": _words(skills),
    }
    try:
        with session.begin_nested():
            team_create = TeamCreate.model_validate(data)
            site = session.get(Site, team_create.site_id)
            if site is None or site.organisation_id != organisation.id:
                raise CxhubError("choose a site of this organisation", status=422, field="site_id")
            service.create_team(session, team_create=team_create, actor=actor)
    except (ValidationError, CxhubError) as exc:
        typed = {**data, "languages": languages, "skills": skills}
        return _organisation_page(request, session, actor, organisation, **_failure(exc), opened="team", form=typed)
    return RedirectResponse(f"/organisations/{organisation.id}", status_code=303)


@router.post("/organisations/{organisation_id}/{kind}/{record_id}/delete")
def delete_site_or_team(
    request: Request,
    session: SessionDep,
    organisation: OrganisationInScope,
    actor: CanManageOrganisations,
    kind: Literal["sites", "teams"],
    record_id: str,
) -> Response:
    record: Site | Team
    if kind == "sites":
        record = service.get_site(session, actor=actor, site_id=record_id)
    else:
        record = service.get_team(session, actor=actor, team_id=record_id)
    if record.organisation_id != organisation.id:
        raise NotFound(kind[:-1])
    try:
        service.delete_record(session, record=record, what=kind[:-1])
    except CxhubError as exc:
        return _organisation_page(request, session, actor, organisation, **_failure(exc))
    return RedirectResponse(f"/organisations/{organisation.id}", status_code=303)


# agents


def _pairs(value: str, what: str) -> list[tuple[str, str]]:
    """ "pt:native, es:fluent" -> [("pt", "native"), ("es", "fluent")]."""
    pairs = []
    for part in _words(value):
        key, sep, level = part.partition(":")
        if not sep:
            raise CxhubError(f"write {what} as name:level, separated by commas", status=422, field=what)
        pairs.append((key.strip(), level.strip()))
    return pairs


def _agent_fields(form: dict[str, str]) -> dict[str, Any]:
    capacity = {channel: form[f"max_{channel}"] for channel in ("chat", "email", "voice") if form.get(f"max_{channel}")}
    return {
        "languages": [{"code": code, "proficiency": level} for code, level in _pairs(form["languages"], "languages")],
        "skills": [{"name": name, "level": level} for name, level in _pairs(form["skills"], "skills")],
        "max_concurrent": capacity,
        "hourly_cost": form.get("hourly_cost") or None,
        "cost_currency": form.get("cost_currency") or None,
        "cost_year": form.get("cost_year") or None,
        "cost_basis": form.get("cost_basis") or None,
        "hire_date": form.get("hire_date") or None,
        "leave_date": form.get("leave_date") or None,
    }


AGENT_FORM_FIELDS = (
    "team_id",
    "languages",
    "skills",
    "max_chat",
    "max_email",
    "max_voice",
    "hourly_cost",
    "cost_currency",
    "cost_year",
    "cost_basis",
    "hire_date",
    "leave_date",
)


def _agent_values(agent: Agent) -> dict[str, str]:
    """A stored profile as the strings its form shows (a refused form shows what was typed instead)."""
    return {
        "team_id": agent.team_id,
        "languages": ", ".join(f"{language['code']}:{language['proficiency']}" for language in agent.languages),
        "skills": ", ".join(f"{skill['name']}:{skill['level']}" for skill in agent.skills),
        **{f"max_{channel}": str(limit) for channel, limit in agent.max_concurrent.items()},
        "hourly_cost": "" if agent.hourly_cost is None else str(agent.hourly_cost),
        "cost_currency": agent.cost_currency or "",
        "cost_year": "" if agent.cost_year is None else str(agent.cost_year),
        "cost_basis": agent.cost_basis or "",
        "hire_date": agent.hire_date.isoformat() if agent.hire_date else "",
        "leave_date": agent.leave_date.isoformat() if agent.leave_date else "",
    }


async def _agent_form(request: Request) -> dict[str, str]:
    form = await request.form()
    return {name: str(form.get(name, "")).strip() for name in ("user_id", *AGENT_FORM_FIELDS)}


AgentForm = Annotated[dict[str, str], Depends(_agent_form)]


def _agent_rows(session: Session, actor: Actor, *, agent_id: str | None = None) -> list[Any]:
    """(agent, user, team, organisation) per agent in scope, in one query."""
    statement = (
        repository.readable_agents(actor)
        .add_columns(User, Team, Organisation)
        .join(User, User.id == Agent.user_id)
        .join(Team, Team.id == Agent.team_id)
        .join(Organisation, Organisation.id == Agent.organisation_id)
        .order_by(Organisation.name, Team.name, User.name)
    )
    if agent_id is not None:
        statement = statement.where(Agent.id == agent_id)
    return list(session.execute(statement).all())


def _agents_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    can_manage = actor.can(P.AGENTS_MANAGE)
    teams = session.scalars(repository.readable_teams(actor).order_by(Team.name)).all() if can_manage else []
    without_profile = (
        session.scalars(
            repository.readable_users(actor)
            .where(User.id.not_in(select(Agent.user_id)), User.is_active.is_(True))
            .order_by(User.name)
        ).all()
        if can_manage
        else []
    )
    return render(
        request,
        "workforce/agents.html",
        status_code=status,
        rows=_agent_rows(session, actor),
        can_manage=can_manage,
        teams=teams,
        users=without_profile,
        values=values or {},
        error=error,
    )


@router.get("/agents")
def agents_page(request: Request, session: SessionDep, actor: CanReadAgents) -> Response:
    return _agents_page(request, session, actor)


@router.post("/agents")
def create_agent(request: Request, session: SessionDep, actor: CanManageAgents, form: AgentForm) -> Response:
    try:
        with session.begin_nested():
            data = {"user_id": form["user_id"], "team_id": form["team_id"], **_agent_fields(form)}
            agent = service.create_agent(session, agent_create=AgentCreate.model_validate(data), actor=actor)
    except (ValidationError, CxhubError) as exc:
        return _agents_page(request, session, actor, **_failure(exc), values=form)
    return RedirectResponse(f"/agents#agent-{agent.id}", status_code=303)


def _agent(session: SessionDep, actor: PageActor, agent_id: str) -> Agent:
    return service.get_agent(session, actor=actor, agent_id=agent_id)


AgentInScope = Annotated[Agent, Depends(_agent)]


def _agent_teams(session: Session, actor: Actor, agent: Agent) -> list[Team]:
    """The teams an agent may move to: those of their own organisation."""
    statement = repository.readable_teams(actor).where(Team.organisation_id == agent.organisation_id)
    return list(session.scalars(statement.order_by(Team.name)).all())


def _agent_page(
    request: Request,
    session: Session,
    actor: Actor,
    agent: Agent,
    *,
    status: int = 200,
    error: str | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    [(_, user, team, organisation)] = _agent_rows(session, actor, agent_id=agent.id)
    return render(
        request,
        "workforce/agent.html",
        status_code=status,
        agent=agent,
        user=user,
        team=team,
        organisation=organisation,
        teams=_agent_teams(session, actor, agent),
        values=values or _agent_values(agent),
        can_manage=actor.can(P.AGENTS_MANAGE),
        error=error,
    )


def _agent_row(request: Request, session: Session, actor: Actor, agent: Agent, template: str) -> Response:
    [(_, user, team, organisation)] = _agent_rows(session, actor, agent_id=agent.id)
    response = render(
        request,
        template,
        agent=agent,
        user=user,
        team=team,
        organisation=organisation,
        teams=_agent_teams(session, actor, agent) if template.endswith("_edit_row.html") else [],
        values=_agent_values(agent),
        can_manage=actor.can(P.AGENTS_MANAGE),
    )
    return _vary(response)


@router.get("/agents/{agent_id}")
def agent_page(request: Request, session: SessionDep, agent: AgentInScope, actor: CanReadAgents) -> Response:
    """The agent's profile; to htmx, the agent's row of the list (what "cancel" puts back)."""
    if _is_htmx(request):
        return _agent_row(request, session, actor, agent, "workforce/_agent_row.html")
    return _vary(_agent_page(request, session, actor, agent))


@router.get("/agents/{agent_id}/edit")
def edit_agent_page(request: Request, session: SessionDep, agent: AgentInScope, actor: CanManageAgents) -> Response:
    """To htmx, the row of the list as an edit form; to a browser without scripts, the profile page."""
    if _is_htmx(request):
        return _agent_row(request, session, actor, agent, "workforce/_agent_edit_row.html")
    return _vary(_agent_page(request, session, actor, agent))


@router.post("/agents/{agent_id}")
def update_agent(
    request: Request, session: SessionDep, agent: AgentInScope, actor: CanManageAgents, form: AgentForm
) -> Response:
    try:
        with session.begin_nested():
            agent_update = AgentUpdate.model_validate({"team_id": form["team_id"], **_agent_fields(form)})
            service.update_agent(session, agent=agent, agent_update=agent_update, actor=actor)
    except (ValidationError, CxhubError) as exc:
        return _agent_page(request, session, actor, agent, **_failure(exc), values=form)
    return RedirectResponse(f"/agents#agent-{agent.id}", status_code=303)


# users


def _users_page(
    request: Request,
    session: Session,
    actor: Actor,
    *,
    status: int = 200,
    error: str | None = None,
    created: dict[str, str] | None = None,
    reset: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    rows = session.execute(
        repository.readable_users(actor)
        .add_columns(Organisation)
        .join(Organisation, Organisation.id == User.organisation_id)
        .order_by(Organisation.name, User.name)
    ).all()
    organisations = session.scalars(repository.readable_organisations(actor).order_by(Organisation.name)).all()
    return render(
        request,
        "workforce/users.html",
        status_code=status,
        rows=rows,
        organisations=organisations,
        roles=list(Role),
        can_manage=actor.can(P.USERS_MANAGE),
        error=error,
        created=created,
        reset=reset,
        form=form or {"role": Role.AGENT.value},
    )


@router.get("/users")
def users_page(request: Request, session: SessionDep, actor: CanReadUsers) -> Response:
    return _users_page(request, session, actor)


def _role(value: str) -> Role:
    if value not in {r.value for r in Role}:
        raise CxhubError("choose a role", status=422, field="role")
    return Role(value)


@router.post("/users")
def create_user(
    request: Request,
    session: SessionDep,
    actor: CanManageUsers,
    email: Annotated[str, Form(max_length=320)],
    name: Annotated[str, Form(max_length=200)],
    role: Annotated[str, Form(max_length=30)],
    organisation_id: Annotated[str, Form(max_length=26)],
    password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Without a password the user gets a generated temporary one, shown here once."""
    form = {"email": email, "name": name, "role": role, "organisation_id": organisation_id}
    try:
        with session.begin_nested():
            user, generated = service.create_user(
                session,
                email=email,
                name=name.strip(),
                role=_role(role),
                organisation_id=organisation_id,
                password=password or None,
                actor=actor,
            )
    except CxhubError as exc:
        return _users_page(request, session, actor, **_failure(exc), form=form)
    created = {"email": user.email, "temporary_password": generated or ""}
    return _no_store(_users_page(request, session, actor, status=201, created=created))


def _user(session: SessionDep, actor: PageActor, user_id: str) -> User:
    return service.get_user(session, actor=actor, user_id=user_id)


UserInScope = Annotated[User, Depends(_user)]


def _user_row(request: Request, session: Session, actor: Actor, user: User) -> Response:
    organisation = session.get_one(Organisation, user.organisation_id)
    return render(
        request,
        "workforce/_user_row.html",
        user=user,
        organisation=organisation,
        roles=list(Role),
        can_manage=actor.can(P.USERS_MANAGE),
    )


@router.post("/users/{user_id}/active")
def set_user_active(
    request: Request,
    session: SessionDep,
    user: UserInScope,
    actor: CanManageUsers,
    active: Annotated[bool, Form()],
) -> Response:
    """Disable (which ends their sessions) or re-enable a user; to htmx, the user's new row."""
    try:
        with session.begin_nested():
            service.update_user(session, user=user, is_active=active, actor=actor)
    except CxhubError as exc:
        return _users_page(request, session, actor, **_failure(exc))
    if _is_htmx(request):
        return _user_row(request, session, actor, user)
    return RedirectResponse(f"/users#user-{user.id}", status_code=303)


@router.post("/users/{user_id}/role")
def change_user_role(
    request: Request,
    session: SessionDep,
    user: UserInScope,
    actor: CanManageUsers,
    role: Annotated[str, Form(max_length=30)],
) -> Response:
    try:
        with session.begin_nested():
            service.update_user(session, user=user, role=_role(role), actor=actor)
    except CxhubError as exc:
        return _users_page(request, session, actor, **_failure(exc))
    if _is_htmx(request):
        return _user_row(request, session, actor, user)
    return RedirectResponse(f"/users#user-{user.id}", status_code=303)


@router.post("/users/{user_id}/password-reset")
def reset_user_password(
    request: Request,
    session: SessionDep,
    user: UserInScope,
    actor: CanManageUsers,
    temporary_password: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set a temporary password the user must change at the next login; left empty, one is generated."""
    generated = None if temporary_password else new_secret()[:20]
    try:
        with session.begin_nested():
            service.reset_password_by_admin(
                session, user=user, temporary_password=temporary_password or generated or "", actor=actor
            )
    except CxhubError as exc:
        return _users_page(request, session, actor, **_failure(exc))
    if generated is None:
        return RedirectResponse(f"/users#user-{user.id}", status_code=303)
    return _no_store(_users_page(request, session, actor, reset={"email": user.email, "temporary_password": generated}))
