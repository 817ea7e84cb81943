"""JSON routes for brands, organisations, sites, teams, agents and users.

Item routes load the record within the actor's scope before the permission is checked, so a
record outside the scope answers 404 and a record in scope without the permission answers 403.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.auth.permissions import Permission
from cxhub.auth.schemas import PasswordResetByAdmin, UserCreate, UserRead, UserUpdate
from cxhub.deps import ApiActor, Cursor, Limit, SessionDep, require
from cxhub.kit.pagination import Page, paginate
from cxhub.web import error_responses
from cxhub.workforce import repository, service
from cxhub.workforce.models import Agent, Brand, Organisation, Site, Team
from cxhub.workforce.schemas import (
    AgentCreate,
    AgentRead,
    AgentUpdate,
    BrandCreate,
    BrandRead,
    BrandUpdate,
    OrganisationCreate,
    OrganisationRead,
    OrganisationUpdate,
    SiteCreate,
    SiteRead,
    SiteUpdate,
    TeamCreate,
    TeamRead,
    TeamUpdate,
)

router = APIRouter()
P = Permission

CanReadBrands = Annotated[Actor, Depends(require(P.BRANDS_READ))]
CanManageBrands = Annotated[Actor, Depends(require(P.BRANDS_MANAGE))]
CanReadOrganisations = Annotated[Actor, Depends(require(P.ORGANISATIONS_READ))]
CanManageOrganisations = Annotated[Actor, Depends(require(P.ORGANISATIONS_MANAGE))]
CanReadAgents = Annotated[Actor, Depends(require(P.AGENTS_READ))]
CanManageAgents = Annotated[Actor, Depends(require(P.AGENTS_MANAGE))]
CanReadUsers = Annotated[Actor, Depends(require(P.USERS_READ))]
CanManageUsers = Annotated[Actor, Depends(require(P.USERS_MANAGE))]

LIST = error_responses(403)
ITEM = error_responses(403, 404)
WRITE = error_responses(403, 404, 409)


def _brand(session: SessionDep, actor: ApiActor, brand_id: str) -> Brand:
    return service.get_brand(session, actor=actor, brand_id=brand_id)


def _organisation(session: SessionDep, actor: ApiActor, organisation_id: str) -> Organisation:
    return service.get_organisation(session, actor=actor, organisation_id=organisation_id)


def _site(session: SessionDep, actor: ApiActor, site_id: str) -> Site:
    return service.get_site(session, actor=actor, site_id=site_id)


def _team(session: SessionDep, actor: ApiActor, team_id: str) -> Team:
    return service.get_team(session, actor=actor, team_id=team_id)


def _agent(session: SessionDep, actor: ApiActor, agent_id: str) -> Agent:
    return service.get_agent(session, actor=actor, agent_id=agent_id)


def _user(session: SessionDep, actor: ApiActor, user_id: str) -> User:
    return service.get_user(session, actor=actor, user_id=user_id)


BrandInScope = Annotated[Brand, Depends(_brand)]
OrganisationInScope = Annotated[Organisation, Depends(_organisation)]
SiteInScope = Annotated[Site, Depends(_site)]
TeamInScope = Annotated[Team, Depends(_team)]
AgentInScope = Annotated[Agent, Depends(_agent)]
UserInScope = Annotated[User, Depends(_user)]


# brands


@router.get("/brands", tags=["brands"], response_model=Page[BrandRead], responses=LIST)
def list_brands(session: SessionDep, actor: CanReadBrands, limit: Limit = 50, cursor: Cursor = None) -> Page[BrandRead]:
    """Brands the acting user may work for."""
    rows, next_cursor = paginate(session, repository.readable_brands(actor), Brand.id, cursor=cursor, limit=limit)
    return Page[BrandRead](items=[BrandRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/brands", tags=["brands"], status_code=201, response_model=BrandRead, responses=WRITE)
def create_brand(session: SessionDep, actor: CanManageBrands, brand_create: BrandCreate) -> BrandRead:
    """Create a brand."""
    return BrandRead.model_validate(service.create_brand(session, brand_create=brand_create, actor=actor))


@router.get("/brands/{brand_id}", tags=["brands"], response_model=BrandRead, responses=ITEM)
def read_brand(brand: BrandInScope, actor: CanReadBrands) -> BrandRead:
    """One brand."""
    return BrandRead.model_validate(brand)


@router.patch("/brands/{brand_id}", tags=["brands"], response_model=BrandRead, responses=WRITE)
def update_brand(
    session: SessionDep, brand: BrandInScope, actor: CanManageBrands, brand_update: BrandUpdate
) -> BrandRead:
    """Change a brand's name, home country or time zone."""
    return BrandRead.model_validate(service.update_brand(session, brand=brand, brand_update=brand_update))


# organisations


@router.get("/organisations", tags=["organisations"], response_model=Page[OrganisationRead], responses=LIST)
def list_organisations(
    session: SessionDep, actor: CanReadOrganisations, limit: Limit = 50, cursor: Cursor = None
) -> Page[OrganisationRead]:
    """Organisations in scope: every one for the brand's own people, only their own for a partner."""
    rows, next_cursor = paginate(
        session, repository.readable_organisations(actor), Organisation.id, cursor=cursor, limit=limit
    )
    return Page[OrganisationRead](items=[OrganisationRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post(
    "/organisations", tags=["organisations"], status_code=201, response_model=OrganisationRead, responses=WRITE
)
def create_organisation(
    session: SessionDep, actor: CanManageOrganisations, organisation_create: OrganisationCreate
) -> OrganisationRead:
    """Create an organisation: in-house, insourced or an outsourced partner."""
    organisation = service.create_organisation(session, organisation_create=organisation_create, actor=actor)
    return OrganisationRead.model_validate(organisation)


@router.get("/organisations/{organisation_id}", tags=["organisations"], response_model=OrganisationRead, responses=ITEM)
def read_organisation(organisation: OrganisationInScope, actor: CanReadOrganisations) -> OrganisationRead:
    """One organisation with its data policy."""
    return OrganisationRead.model_validate(organisation)


@router.patch(
    "/organisations/{organisation_id}", tags=["organisations"], response_model=OrganisationRead, responses=WRITE
)
def update_organisation(
    session: SessionDep,
    organisation: OrganisationInScope,
    actor: CanManageOrganisations,
    organisation_update: OrganisationUpdate,
) -> OrganisationRead:
    """Change an organisation; a change of data policy is audited."""
    updated = service.update_organisation(
        session, organisation=organisation, organisation_update=organisation_update, actor=actor
    )
    return OrganisationRead.model_validate(updated)


# sites


@router.get("/sites", tags=["sites"], response_model=Page[SiteRead], responses=LIST)
def list_sites(
    session: SessionDep,
    actor: CanReadOrganisations,
    organisation_id: Annotated[str | None, Query(max_length=26)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[SiteRead]:
    """Sites in scope, optionally of one organisation."""
    statement = repository.readable_sites(actor)
    if organisation_id:
        statement = statement.where(Site.organisation_id == organisation_id)
    rows, next_cursor = paginate(session, statement, Site.id, cursor=cursor, limit=limit)
    return Page[SiteRead](items=[SiteRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/sites", tags=["sites"], status_code=201, response_model=SiteRead, responses=WRITE)
def create_site(session: SessionDep, actor: CanManageOrganisations, site_create: SiteCreate) -> SiteRead:
    """Create a site of an organisation in scope."""
    return SiteRead.model_validate(service.create_site(session, site_create=site_create, actor=actor))


@router.get("/sites/{site_id}", tags=["sites"], response_model=SiteRead, responses=ITEM)
def read_site(site: SiteInScope, actor: CanReadOrganisations) -> SiteRead:
    """One site with its hours and holidays."""
    return SiteRead.model_validate(site)


@router.patch("/sites/{site_id}", tags=["sites"], response_model=SiteRead, responses=WRITE)
def update_site(
    session: SessionDep, site: SiteInScope, actor: CanManageOrganisations, site_update: SiteUpdate
) -> SiteRead:
    """Change a site."""
    return SiteRead.model_validate(service.update_site(session, site=site, site_update=site_update))


@router.delete("/sites/{site_id}", tags=["sites"], status_code=204, responses=WRITE)
def delete_site(session: SessionDep, site: SiteInScope, actor: CanManageOrganisations) -> None:
    """Delete a site that has no teams."""
    service.delete_record(session, record=site, what="site")


# teams


@router.get("/teams", tags=["teams"], response_model=Page[TeamRead], responses=LIST)
def list_teams(
    session: SessionDep,
    actor: CanReadOrganisations,
    site_id: Annotated[str | None, Query(max_length=26)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[TeamRead]:
    """Teams in scope, optionally of one site."""
    statement = repository.readable_teams(actor)
    if site_id:
        statement = statement.where(Team.site_id == site_id)
    rows, next_cursor = paginate(session, statement, Team.id, cursor=cursor, limit=limit)
    return Page[TeamRead](items=[TeamRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/teams", tags=["teams"], status_code=201, response_model=TeamRead, responses=WRITE)
def create_team(session: SessionDep, actor: CanManageOrganisations, team_create: TeamCreate) -> TeamRead:
    """Create a team at a site in scope."""
    return TeamRead.model_validate(service.create_team(session, team_create=team_create, actor=actor))


@router.get("/teams/{team_id}", tags=["teams"], response_model=TeamRead, responses=ITEM)
def read_team(team: TeamInScope, actor: CanReadOrganisations) -> TeamRead:
    """One team with its channels, languages and skills."""
    return TeamRead.model_validate(team)


@router.patch("/teams/{team_id}", tags=["teams"], response_model=TeamRead, responses=WRITE)
def update_team(
    session: SessionDep, team: TeamInScope, actor: CanManageOrganisations, team_update: TeamUpdate
) -> TeamRead:
    """Change a team."""
    return TeamRead.model_validate(service.update_team(session, team=team, team_update=team_update))


@router.delete("/teams/{team_id}", tags=["teams"], status_code=204, responses=WRITE)
def delete_team(session: SessionDep, team: TeamInScope, actor: CanManageOrganisations) -> None:
    """Delete a team that has no agents."""
    service.delete_record(session, record=team, what="team")


# agents


@router.get("/agents", tags=["agents"], response_model=Page[AgentRead], responses=LIST)
def list_agents(
    session: SessionDep,
    actor: CanReadAgents,
    team_id: Annotated[str | None, Query(max_length=26)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[AgentRead]:
    """Agent profiles in scope, optionally of one team."""
    statement = repository.readable_agents(actor)
    if team_id:
        statement = statement.where(Agent.team_id == team_id)
    rows, next_cursor = paginate(session, statement, Agent.id, cursor=cursor, limit=limit)
    return Page[AgentRead](items=[AgentRead.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/agents", tags=["agents"], status_code=201, response_model=AgentRead, responses=WRITE)
def create_agent(session: SessionDep, actor: CanManageAgents, agent_create: AgentCreate) -> AgentRead:
    """Give a staff user an agent profile in a team of their organisation."""
    return AgentRead.model_validate(service.create_agent(session, agent_create=agent_create, actor=actor))


@router.get("/agents/{agent_id}", tags=["agents"], response_model=AgentRead, responses=ITEM)
def read_agent(agent: AgentInScope, actor: CanReadAgents) -> AgentRead:
    """One agent profile."""
    return AgentRead.model_validate(agent)


@router.patch("/agents/{agent_id}", tags=["agents"], response_model=AgentRead, responses=WRITE)
def update_agent(
    session: SessionDep, agent: AgentInScope, actor: CanManageAgents, agent_update: AgentUpdate
) -> AgentRead:
    """Change an agent's team, languages, skills, capacity, cost or dates."""
    return AgentRead.model_validate(service.update_agent(session, agent=agent, agent_update=agent_update, actor=actor))


@router.delete("/agents/{agent_id}", tags=["agents"], status_code=204, responses=WRITE)
def delete_agent(session: SessionDep, agent: AgentInScope, actor: CanManageAgents) -> None:
    """Remove an agent profile (the user stays; set a leave date to keep history)."""
    service.delete_record(session, record=agent, what="agent")


# users


def _user_reads(session: SessionDep, users: Sequence[User]) -> list[UserRead]:
    limits = service.brand_limits(session, users=users)
    fields = [name for name in UserRead.model_fields if name != "brand_ids"]
    return [
        UserRead.model_validate({**{f: getattr(u, f) for f in fields}, "brand_ids": limits.get(u.id)}) for u in users
    ]


def _user_read(session: SessionDep, user: User) -> UserRead:
    return _user_reads(session, [user])[0]


@router.get("/users", tags=["users"], response_model=Page[UserRead], responses=LIST)
def list_users(
    session: SessionDep,
    actor: CanReadUsers,
    organisation_id: Annotated[str | None, Query(max_length=26)] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[UserRead]:
    """Staff users in scope."""
    statement = repository.readable_users(actor)
    if organisation_id:
        statement = statement.where(User.organisation_id == organisation_id)
    rows, next_cursor = paginate(session, statement, User.id, cursor=cursor, limit=limit)
    return Page[UserRead](items=_user_reads(session, rows), next_cursor=next_cursor)


@router.post("/users", tags=["users"], status_code=201, response_model=UserRead, responses=WRITE)
def create_user(session: SessionDep, actor: CanManageUsers, user_create: UserCreate) -> UserRead:
    """Create a staff user. Without a password the user must set one through a reset."""
    user, _ = service.create_user(
        session,
        email=user_create.email,
        name=user_create.name,
        role=user_create.role,
        organisation_id=user_create.organisation_id,
        password=user_create.password,
        brand_ids=user_create.brand_ids,
        actor=actor,
    )
    return _user_read(session, user)


@router.get("/users/{user_id}", tags=["users"], response_model=UserRead, responses=ITEM)
def read_user(session: SessionDep, user: UserInScope, actor: CanReadUsers) -> UserRead:
    """One staff user."""
    return _user_read(session, user)


@router.patch("/users/{user_id}", tags=["users"], response_model=UserRead, responses=WRITE)
def update_user(session: SessionDep, user: UserInScope, actor: CanManageUsers, user_update: UserUpdate) -> UserRead:
    """Change a user's name, role, brands, or disable them; permission changes are audited."""
    service.update_user(
        session,
        user=user,
        name=user_update.name,
        role=user_update.role,
        is_active=user_update.is_active,
        brand_ids=user_update.brand_ids,
        set_brand_ids="brand_ids" in user_update.model_fields_set,
        actor=actor,
    )
    return _user_read(session, user)


@router.post("/users/{user_id}/password-reset", tags=["users"], response_model=UserRead, responses=WRITE)
def reset_user_password(
    session: SessionDep, user: UserInScope, actor: CanManageUsers, password_reset: PasswordResetByAdmin
) -> UserRead:
    """Set a temporary password the user must change at the next login; ends their sessions."""
    service.reset_password_by_admin(
        session, user=user, temporary_password=password_reset.temporary_password, actor=actor
    )
    return _user_read(session, user)
