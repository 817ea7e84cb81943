"""Workforce queries, each scoped to what the actor may see.

A partner user sees only their own organisation and what belongs to it; an in-house user
sees every organisation. Brands are limited by the user's brand list, if any.
"""

from __future__ import annotations

from sqlalchemy import Select, select

from cxhub.auth.actor import Actor
from cxhub.auth.models import User
from cxhub.workforce.models import Agent, Brand, Organisation, Site, Team


def readable_brands(actor: Actor) -> Select[Brand]:
    statement = select(Brand)
    if actor.brand_ids is not None:
        statement = statement.where(Brand.id.in_(actor.brand_ids))
    return statement


def readable_organisations(actor: Actor) -> Select[Organisation]:
    statement = select(Organisation)
    if actor.is_partner:
        statement = statement.where(Organisation.id == actor.organisation_id)
    return statement


def readable_sites(actor: Actor) -> Select[Site]:
    statement = select(Site)
    if actor.is_partner:
        statement = statement.where(Site.organisation_id == actor.organisation_id)
    return statement


def readable_teams(actor: Actor) -> Select[Team]:
    statement = select(Team)
    if actor.is_partner:
        statement = statement.where(Team.organisation_id == actor.organisation_id)
    return statement


def readable_agents(actor: Actor) -> Select[Agent]:
    statement = select(Agent)
    if actor.is_partner:
        statement = statement.where(Agent.organisation_id == actor.organisation_id)
    return statement


def readable_users(actor: Actor) -> Select[User]:
    statement = select(User)
    if actor.is_partner:
        statement = statement.where(User.organisation_id == actor.organisation_id)
    return statement
