"""Workforce operations: brands, organisations, sites, teams, agents and the users in them.

Services flush and never commit; the edge (request, CLI, job) owns the transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session

from cxhub.auth import repository as auth_repository
from cxhub.auth.actor import PARTNER_DEFAULT_POLICY, Actor, Visibility
from cxhub.auth.models import User, UserBrand
from cxhub.auth.passwords import new_secret
from cxhub.auth.permissions import Role
from cxhub.auth.service import end_all_web_sessions, record_audit, set_password
from cxhub.errors import Conflict, CxhubError, Forbidden, NotFound
from cxhub.workforce import repository
from cxhub.workforce.models import Agent, Brand, Organisation, Site, Team
from cxhub.workforce.schemas import (
    AgentCreate,
    AgentUpdate,
    BrandCreate,
    BrandUpdate,
    OrganisationCreate,
    OrganisationUpdate,
    SiteCreate,
    SiteUpdate,
    TeamCreate,
    TeamUpdate,
)

ModelT = TypeVar("ModelT")
_VISIBILITY: dict[str, Visibility] = {"full": "full", "masked": "masked", "hidden": "hidden"}


def actor_for_user(session: Session, *, user: User) -> Actor:
    organisation = session.get(Organisation, user.organisation_id)
    if organisation is None:  # pragma: no cover - the foreign key prevents it
        raise NotFound("organisation")
    policy = {key: _VISIBILITY[value] for key, value in organisation.data_policy.items() if value in _VISIBILITY}
    return Actor(
        user_id=user.id,
        email=user.email,
        name=user.name,
        role=Role(user.role),
        organisation_id=organisation.id,
        organisation_name=organisation.name,
        organisation_kind=organisation.kind,
        data_policy=policy,
        brand_ids=auth_repository.brand_ids_of(session, user.id),
        must_change_password=user.must_change_password,
    )


def _apply(target: object, changes: BaseModel) -> dict[str, Any]:
    values = changes.model_dump(exclude_unset=True)
    for key, value in values.items():
        setattr(target, key, value)
    return values


def _flush_unique(session: Session, *, field: str, message: str) -> None:
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(message, field=field) from exc


def _readable(
    session: Session, statement: Select[ModelT], id_column: InstrumentedAttribute[str], item_id: str, what: str
) -> ModelT:
    """The record if the actor may see it; missing and out of scope are the same 404."""
    found = session.scalar(statement.where(id_column == item_id))
    if found is None:
        raise NotFound(what)
    return found


def get_brand(session: Session, *, actor: Actor, brand_id: str) -> Brand:
    return _readable(session, repository.readable_brands(actor), Brand.id, brand_id, "brand")


def get_organisation(session: Session, *, actor: Actor, organisation_id: str) -> Organisation:
    return _readable(
        session, repository.readable_organisations(actor), Organisation.id, organisation_id, "organisation"
    )


def get_site(session: Session, *, actor: Actor, site_id: str) -> Site:
    return _readable(session, repository.readable_sites(actor), Site.id, site_id, "site")


def get_team(session: Session, *, actor: Actor, team_id: str) -> Team:
    return _readable(session, repository.readable_teams(actor), Team.id, team_id, "team")


def get_agent(session: Session, *, actor: Actor, agent_id: str) -> Agent:
    return _readable(session, repository.readable_agents(actor), Agent.id, agent_id, "agent")


def get_user(session: Session, *, actor: Actor, user_id: str) -> User:
    return _readable(session, repository.readable_users(actor), User.id, user_id, "user")


def _require_in_house(actor: Actor | None, what: str) -> None:
    if actor is not None and actor.is_partner:
        raise Forbidden(f"only the brand's own organisation can create {what}")


# brands


def create_brand(session: Session, *, brand_create: BrandCreate, actor: Actor | None) -> Brand:
    _require_in_house(actor, "brands")
    brand = Brand(**brand_create.model_dump())
    session.add(brand)
    _flush_unique(session, field="name", message="a brand with this name exists")
    return brand


def update_brand(session: Session, *, brand: Brand, brand_update: BrandUpdate) -> Brand:
    _apply(brand, brand_update)
    _flush_unique(session, field="name", message="a brand with this name exists")
    return brand


# organisations


def create_organisation(
    session: Session, *, organisation_create: OrganisationCreate, actor: Actor | None
) -> Organisation:
    _require_in_house(actor, "organisations")
    values = organisation_create.model_dump()
    if values["data_policy"] is None:
        values["data_policy"] = {} if organisation_create.kind == "in_house" else dict(PARTNER_DEFAULT_POLICY)
    organisation = Organisation(**values)
    session.add(organisation)
    _flush_unique(session, field="name", message="an organisation with this name exists")
    record_audit(
        session,
        actor=actor,
        action="organisation.created",
        target_type="organisation",
        target_id=organisation.id,
        detail={"kind": organisation.kind, "data_policy": organisation.data_policy},
    )
    return organisation


def update_organisation(
    session: Session,
    *,
    organisation: Organisation,
    organisation_update: OrganisationUpdate,
    actor: Actor | None,
) -> Organisation:
    before = dict(organisation.data_policy)
    changes = _apply(organisation, organisation_update)
    _flush_unique(session, field="name", message="an organisation with this name exists")
    if "data_policy" in changes and changes["data_policy"] != before:
        record_audit(
            session,
            actor=actor,
            action="organisation.data_policy_changed",
            target_type="organisation",
            target_id=organisation.id,
            detail={"before": before, "after": organisation.data_policy},
        )
    return organisation


# sites and teams


def _organisation_for(session: Session, actor: Actor | None, organisation_id: str) -> Organisation:
    """The organisation a new record is for; one outside the scope is as unknown as a missing one."""
    found = session.scalar(
        (select(Organisation) if actor is None else repository.readable_organisations(actor)).where(
            Organisation.id == organisation_id
        )
    )
    if found is None:
        raise CxhubError("organisation does not exist", status=422, field="organisation_id")
    return found


def create_site(session: Session, *, site_create: SiteCreate, actor: Actor | None) -> Site:
    _organisation_for(session, actor, site_create.organisation_id)
    site = Site(**site_create.model_dump(mode="json"))
    session.add(site)
    session.flush()
    return site


def update_site(session: Session, *, site: Site, site_update: SiteUpdate) -> Site:
    for key, value in site_update.model_dump(mode="json", exclude_unset=True).items():
        setattr(site, key, value)
    session.flush()
    return site


def _site_for(session: Session, actor: Actor | None, site_id: str) -> Site:
    found = session.scalar(
        (select(Site) if actor is None else repository.readable_sites(actor)).where(Site.id == site_id)
    )
    if found is None:
        raise CxhubError("site does not exist", status=422, field="site_id")
    return found


def create_team(session: Session, *, team_create: TeamCreate, actor: Actor | None) -> Team:
    site = _site_for(session, actor, team_create.site_id)
    team = Team(organisation_id=site.organisation_id, **team_create.model_dump())
    session.add(team)
    session.flush()
    return team


def update_team(session: Session, *, team: Team, team_update: TeamUpdate) -> Team:
    _apply(team, team_update)
    session.flush()
    return team


# agents


def _team_for(session: Session, actor: Actor | None, team_id: str) -> Team:
    found = session.scalar(
        (select(Team) if actor is None else repository.readable_teams(actor)).where(Team.id == team_id)
    )
    if found is None:
        raise CxhubError("team does not exist", status=422, field="team_id")
    return found


def create_agent(session: Session, *, agent_create: AgentCreate, actor: Actor | None) -> Agent:
    team = _team_for(session, actor, agent_create.team_id)
    user = session.get(User, agent_create.user_id)
    if user is None or (actor is not None and actor.is_partner and user.organisation_id != actor.organisation_id):
        raise CxhubError("user does not exist", status=422, field="user_id")
    if user.organisation_id != team.organisation_id:
        raise CxhubError("the user belongs to another organisation than the team", status=422, field="team_id")
    _check_dates(agent_create.hire_date, agent_create.leave_date)
    agent = Agent(
        organisation_id=team.organisation_id,
        **agent_create.model_dump(mode="json", exclude={"hourly_cost", "hire_date", "leave_date"}),
        hourly_cost=agent_create.hourly_cost,
        hire_date=agent_create.hire_date,
        leave_date=agent_create.leave_date,
    )
    session.add(agent)
    _flush_unique(session, field="user_id", message="this user already has an agent profile")
    return agent


def update_agent(session: Session, *, agent: Agent, agent_update: AgentUpdate, actor: Actor | None) -> Agent:
    changes = agent_update.model_dump(exclude_unset=True)
    if "team_id" in changes:
        team = _team_for(session, actor, changes["team_id"])
        if team.organisation_id != agent.organisation_id:
            raise CxhubError("an agent moves only between teams of their organisation", status=422, field="team_id")
    json_changes = agent_update.model_dump(mode="json", exclude_unset=True)
    for key in ("languages", "skills", "max_concurrent"):
        if key in json_changes:
            changes[key] = json_changes[key]
    for key, value in changes.items():
        setattr(agent, key, value)
    _check_dates(agent.hire_date, agent.leave_date)
    session.flush()
    return agent


def _check_dates(hire: Any, leave: Any) -> None:
    if hire is not None and leave is not None and leave < hire:
        raise CxhubError("leave date is before hire date", status=422, field="leave_date")


def delete_record(session: Session, *, record: object, what: str) -> None:
    """Delete a site, team or agent; refuse while other records still point at it."""
    try:
        with session.begin_nested():
            session.delete(record)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"this {what} is still in use and cannot be deleted") from exc


# users


def _check_brands(session: Session, brand_ids: Iterable[str]) -> list[str]:
    ids = sorted(set(brand_ids))
    found = set(session.scalars(select(Brand.id).where(Brand.id.in_(ids))).all())
    missing = [i for i in ids if i not in found]
    if missing:
        raise CxhubError(f"unknown brand {missing[0]}", status=422, field="brand_ids")
    return ids


def _set_brands(session: Session, user: User, brand_ids: list[str] | None) -> None:
    session.execute(delete(UserBrand).where(UserBrand.user_id == user.id))
    for brand_id in _check_brands(session, brand_ids or []):
        session.add(UserBrand(user_id=user.id, brand_id=brand_id))
    session.flush()


def _check_role_grant(actor: Actor | None, role: Role) -> None:
    if actor is not None and actor.role != Role.ADMIN and role == Role.ADMIN:
        raise Forbidden("only an admin can grant the admin role")


def create_user(
    session: Session,
    *,
    email: str,
    name: str,
    role: Role,
    organisation_id: str,
    password: str | None,
    brand_ids: list[str] | None = None,
    actor: Actor | None,
) -> tuple[User, str | None]:
    """Create a staff user; without a password one is generated, returned once and must be changed."""
    _check_role_grant(actor, role)
    organisation = _organisation_for(session, actor, organisation_id)
    if auth_repository.user_by_email(session, email) is not None:
        raise Conflict("a user with this e-mail exists", field="email")
    generated = None if password else new_secret()[:20]
    user = User(email=email.strip().lower(), name=name, role=role.value, organisation_id=organisation.id)
    session.add(user)
    _flush_unique(session, field="email", message="a user with this e-mail exists")
    set_password(session, user=user, password=password or generated or "", must_change=generated is not None)
    if brand_ids:
        _set_brands(session, user, brand_ids)
    record_audit(
        session,
        actor=actor,
        action="user.created",
        target_type="user",
        target_id=user.id,
        detail={"role": role.value, "organisation_id": organisation.id, "brand_ids": brand_ids},
    )
    return user, generated


def update_user(
    session: Session,
    *,
    user: User,
    name: str | None = None,
    role: Role | None = None,
    is_active: bool | None = None,
    brand_ids: list[str] | None = None,
    set_brand_ids: bool = False,
    actor: Actor | None,
) -> User:
    if actor is not None and user.id == actor.user_id and (role is not None or is_active is False):
        raise Forbidden("you cannot change your own role or disable yourself")
    changed: dict[str, Any] = {}
    if name is not None:
        user.name = name
    if role is not None and role.value != user.role:
        _check_role_grant(actor, role)
        changed["role"] = {"before": user.role, "after": role.value}
        user.role = role.value
    if is_active is not None and is_active != user.is_active:
        changed["is_active"] = {"before": user.is_active, "after": is_active}
        user.is_active = is_active
        if not is_active:
            end_all_web_sessions(session, user_id=user.id)
    if set_brand_ids:
        before = auth_repository.brand_ids_of(session, user.id)
        _set_brands(session, user, brand_ids)
        after = auth_repository.brand_ids_of(session, user.id)
        if before != after:
            changed["brand_ids"] = {
                "before": sorted(before) if before else None,
                "after": sorted(after) if after else None,
            }
    session.flush()
    if changed:
        record_audit(
            session,
            actor=actor,
            action="user.permissions_changed",
            target_type="user",
            target_id=user.id,
            detail=changed,
        )
    return user


def reset_password_by_admin(session: Session, *, user: User, temporary_password: str, actor: Actor | None) -> User:
    """Set a temporary password that the user must change at the next login."""
    set_password(session, user=user, password=temporary_password, must_change=True)
    end_all_web_sessions(session, user_id=user.id)
    record_audit(
        session,
        actor=actor,
        action="user.password_reset_by_admin",
        target_type="user",
        target_id=user.id,
    )
    return user


def brand_limits(session: Session, *, users: Sequence[User]) -> dict[str, list[str]]:
    """The brands each user is limited to, for many users in one query; unlimited users are absent."""
    return auth_repository.brand_ids_by_user(session, [u.id for u in users])
