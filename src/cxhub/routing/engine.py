"""Which agent takes a work item: a pure assignment engine, no web and no database.

A decision follows these steps in order; the first that names an agent (or a reason to wait) wins.

1. Hard filters, for every candidate: serves the item's brand; presence "available"; a free slot on
   the item's channel; the site open now (a site without hours is closed); speaks the item's
   language (primary subtag, when the queue requires it and the language is known) unless the item
   has waited `drop_language_after_seconds`; every required skill at its level; in the customer's
   country when they asked for a local agent, unless the item has waited `drop_local_after_seconds`.
2. Named owner: the owner agent if it passes (in any team); else the longest-idle passing agent of
   the owner team; else, with an owner set and `owner_wait_seconds` not yet waited, the item waits
   for its owner ("owner_wait").
3. Sticky: the agent who served the customer within `sticky_seconds`, if it passes.
4. Stages: stage 0 is open; stage k+1 opens after `overflow_after_seconds[k]` of waiting, or at once
   (`overflow_when_unavailable`) when no agent of stages 0..k passes. The lowest open stage with a
   passing agent decides.
5. In that stage, the organisation furthest below its share of today's volume competes first:
   deficit = target - assigned_today / total over the stage's organisations (0 when nothing is
   assigned yet); ties go to the organisation whose best agent has been idle longest.
6. In that organisation, the agent idle longest (earliest `free_since`, then agent id).
7. Nobody passes: the item waits ("waiting"), queued at the first team, in stage order, of the
   organisation furthest below its share among the teams of the lowest open stage, whose index is
   the decision's `stage` ("no_team" when the queue has no teams).

Every decision carries in `relaxed` the filters its item's wait has dropped ("language", "local").

`decide` is the plain reference; `cxhub.routing.pool.AgentPool` is the indexed fast path with the same decisions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

AVAILABLE = "available"


class OpeningHours(Protocol):
    def is_open(self, at: dt.datetime) -> bool: ...


@dataclass(frozen=True, slots=True)
class SkillNeed:
    name: str
    level: int


@dataclass(frozen=True, slots=True)
class TeamShare:
    team_id: str
    organisation_id: str
    share: float


@dataclass(frozen=True, slots=True)
class QueueRules:
    id: str
    stages: tuple[tuple[TeamShare, ...], ...]
    overflow_after_seconds: tuple[int, ...] = ()
    overflow_when_unavailable: bool = True
    language_required: bool = True
    drop_language_after_seconds: int | None = None
    required_skills: tuple[SkillNeed, ...] = ()
    drop_local_after_seconds: int | None = 300
    owner_wait_seconds: int = 0
    sticky_seconds: int = 86_400


@dataclass(frozen=True, slots=True)
class WorkItem:
    id: str
    brand_id: str
    queue_id: str
    channel: str
    priority: int
    waiting_since: dt.datetime
    language: str | None = None
    customer_country: str | None = None
    wants_local: bool = False
    owner_agent_id: str | None = None
    owner_team_id: str | None = None
    last_agent_id: str | None = None
    last_served_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class Candidate:
    agent_id: str
    team_id: str
    organisation_id: str
    site_id: str
    site_country: str
    presence: str
    free_since: dt.datetime
    languages: frozenset[str]
    skills: Mapping[str, int]
    capacity: Mapping[str, int]
    load: Mapping[str, int]
    brand_ids: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    item_id: str
    agent_id: str | None
    team_id: str | None
    organisation_id: str | None
    stage: int | None
    rule: str
    relaxed: tuple[str, ...] = ()


def primary_language(tag: str) -> str:
    """The primary subtag ("pt-BR" -> "pt"): regional variants of a language are served by the same agents."""
    return tag.replace("_", "-").split("-", 1)[0].lower()


def waited_seconds(item: WorkItem, now: dt.datetime) -> float:
    return (now - item.waiting_since).total_seconds()


def backlog_order(item: WorkItem) -> tuple[int, dt.datetime, str]:
    """Most urgent first, then the longest waiting."""
    return (item.priority, item.waiting_since, item.id)


def required_language(item: WorkItem, queue: QueueRules, waited: float) -> str | None:
    """The primary language an agent must speak, or None when the filter does not apply."""
    if not queue.language_required or item.language is None:
        return None
    drop = queue.drop_language_after_seconds
    if drop is not None and waited >= drop:
        return None
    return primary_language(item.language)


def required_country(item: WorkItem, queue: QueueRules, waited: float) -> str | None:
    """The country an agent's site must be in, or None when the filter does not apply."""
    if not item.wants_local or not item.customer_country:
        return None
    drop = queue.drop_local_after_seconds
    if drop is not None and waited >= drop:
        return None
    return item.customer_country.upper()


def relaxations(item: WorkItem, queue: QueueRules, *, now: dt.datetime) -> tuple[str, ...]:
    """The hard filters that would apply to the item but are dropped because it has waited long enough."""
    waited = waited_seconds(item, now)
    dropped: list[str] = []
    if queue.language_required and item.language is not None and required_language(item, queue, waited) is None:
        dropped.append("language")
    if item.wants_local and item.customer_country and required_country(item, queue, waited) is None:
        dropped.append("local")
    return tuple(dropped)


def passes_hard_filters(
    item: WorkItem, queue: QueueRules, candidate: Candidate, *, now: dt.datetime, hours: Mapping[str, OpeningHours]
) -> bool:
    waited = waited_seconds(item, now)
    site = hours.get(candidate.site_id)
    language = required_language(item, queue, waited)
    country = required_country(item, queue, waited)
    return (
        (candidate.brand_ids is None or item.brand_id in candidate.brand_ids)
        and candidate.presence == AVAILABLE
        and candidate.load.get(item.channel, 0) < candidate.capacity.get(item.channel, 0)
        and site is not None
        and site.is_open(now)
        and (language is None or language in {primary_language(tag) for tag in candidate.languages})
        and all(candidate.skills.get(need.name, 0) >= need.level for need in queue.required_skills)
        and (country is None or candidate.site_country.upper() == country)
    )


def _idle_order(candidate: Candidate) -> tuple[dt.datetime, str]:
    return (candidate.free_since, candidate.agent_id)


def is_sticky(item: WorkItem, queue: QueueRules, agent_id: str, now: dt.datetime) -> bool:
    return (
        item.last_agent_id == agent_id
        and item.last_served_at is not None
        and (now - item.last_served_at).total_seconds() <= queue.sticky_seconds
    )


def has_owner(item: WorkItem) -> bool:
    return item.owner_agent_id is not None or item.owner_team_id is not None


def stage_organisations(stage: Sequence[TeamShare]) -> dict[str, str]:
    """team -> organisation as the stage names them (the first mention of a team counts)."""
    organisations: dict[str, str] = {}
    for share in stage:
        organisations.setdefault(share.team_id, share.organisation_id)
    return organisations


def stage_targets(stage: Sequence[TeamShare]) -> dict[str, float]:
    """organisation -> its target share of the stage's volume, in stage order."""
    targets: dict[str, float] = {}
    for share in stage:
        targets[share.organisation_id] = targets.get(share.organisation_id, 0.0) + share.share
    return targets


def share_deficits(targets: Mapping[str, float], assigned_today: Mapping[str, int]) -> dict[str, float]:
    """How far each organisation is below its target share; with nothing assigned yet every actual share is 0."""
    total = sum(assigned_today.get(organisation, 0) for organisation in targets)
    return {
        organisation: target - (assigned_today.get(organisation, 0) / total if total else 0.0)
        for organisation, target in targets.items()
    }


def queued_at(
    queue: QueueRules, opened: int, assigned_today: Mapping[str, int]
) -> tuple[str | None, str | None, int | None]:
    """team, organisation and stage an unassigned item waits at: the lowest open stage's neediest organisation."""
    for k in range(opened):
        stage = queue.stages[k]
        if not stage:
            continue
        deficits = share_deficits(stage_targets(stage), assigned_today)
        order = list(deficits)
        organisation = min(order, key=lambda org: (-deficits[org], order.index(org)))
        team = next(share.team_id for share in stage if share.organisation_id == organisation)
        return team, organisation, k
    return None, None, None


def organisation_in_stages(queue: QueueRules, team_id: str) -> str | None:
    return next((s.organisation_id for stage in queue.stages for s in stage if s.team_id == team_id), None)


def _owner_home(item: WorkItem, queue: QueueRules, candidates: Sequence[Candidate]) -> tuple[str | None, str | None]:
    """The team (and its organisation) an item waits at for its named owner."""
    team = item.owner_team_id
    if team is None:
        owner = next((c for c in candidates if c.agent_id == item.owner_agent_id), None)
        return (owner.team_id, owner.organisation_id) if owner else (None, None)
    organisation = next((c.organisation_id for c in candidates if c.team_id == team), None)
    return team, organisation if organisation is not None else organisation_in_stages(queue, team)


def open_stage_count(
    item: WorkItem,
    queue: QueueRules,
    candidates: Sequence[Candidate],
    *,
    now: dt.datetime,
    hours: Mapping[str, OpeningHours],
) -> int:
    """How many stages are open for the item; the open stages are always 0..n-1."""
    if not queue.stages:
        return 0
    waited = waited_seconds(item, now)
    free_teams = {c.team_id for c in candidates if passes_hard_filters(item, queue, c, now=now, hours=hours)}
    opened = 1
    anyone_free = False
    for k in range(len(queue.stages) - 1):
        anyone_free = anyone_free or any(share.team_id in free_teams for share in queue.stages[k])
        by_time = k < len(queue.overflow_after_seconds) and waited >= queue.overflow_after_seconds[k]
        if not (by_time or (queue.overflow_when_unavailable and not anyone_free)):
            break
        opened += 1
    return opened


def decide(
    item: WorkItem,
    queue: QueueRules,
    candidates: Sequence[Candidate],
    *,
    now: dt.datetime,
    hours: Mapping[str, OpeningHours],
    assigned_today: Mapping[str, int],
) -> Decision:
    """The reference decision: a plain reading of the precedence above, linear in the candidates."""
    relaxed = relaxations(item, queue, now=now)
    free = [c for c in candidates if passes_hard_filters(item, queue, c, now=now, hours=hours)]
    free_by_id = {c.agent_id: c for c in free}

    owner = free_by_id.get(item.owner_agent_id) if item.owner_agent_id is not None else None
    if owner is not None:
        return Decision(item.id, owner.agent_id, owner.team_id, owner.organisation_id, None, "owner_agent", relaxed)
    owner_team = [c for c in free if c.team_id == item.owner_team_id]
    if item.owner_team_id is not None and owner_team:
        best = min(owner_team, key=_idle_order)
        return Decision(item.id, best.agent_id, best.team_id, best.organisation_id, None, "owner_team", relaxed)
    if has_owner(item) and waited_seconds(item, now) < queue.owner_wait_seconds:
        team, organisation = _owner_home(item, queue, candidates)
        return Decision(item.id, None, team, organisation, None, "owner_wait", relaxed)

    sticky = free_by_id.get(item.last_agent_id) if item.last_agent_id is not None else None
    if sticky is not None and is_sticky(item, queue, sticky.agent_id, now):
        return Decision(item.id, sticky.agent_id, sticky.team_id, sticky.organisation_id, None, "sticky", relaxed)

    opened = open_stage_count(item, queue, candidates, now=now, hours=hours)
    for k in range(opened):
        stage = queue.stages[k]
        organisation_of = stage_organisations(stage)
        best_by_organisation: dict[str, Candidate] = {}
        for c in sorted((c for c in free if c.team_id in organisation_of), key=_idle_order):
            best_by_organisation.setdefault(organisation_of[c.team_id], c)
        if best_by_organisation:
            best_idle = {org: _idle_order(c) for org, c in best_by_organisation.items()}
            organisation = neediest_organisation(stage_targets(stage), assigned_today, best_idle)
            best = best_by_organisation[organisation]
            return Decision(item.id, best.agent_id, best.team_id, organisation, k, "share", relaxed)

    team, organisation, at_stage = queued_at(queue, opened, assigned_today)
    if team is None:
        return Decision(item.id, None, None, None, None, "no_team", relaxed)
    return Decision(item.id, None, team, organisation, at_stage, "waiting", relaxed)


def neediest_organisation(
    targets: Mapping[str, float], assigned_today: Mapping[str, int], best_idle: Mapping[str, tuple[dt.datetime, str]]
) -> str:
    """The competing organisation furthest below its share; ties to the one whose best agent idled longest.

    `best_idle`: competing organisation -> (free_since, agent_id) of its best agent.
    """
    deficits = share_deficits(targets, assigned_today)
    return min(best_idle, key=lambda organisation: (-deficits[organisation], best_idle[organisation]))


def eligible(
    item: WorkItem,
    queue: QueueRules,
    candidate: Candidate,
    *,
    now: dt.datetime,
    hours: Mapping[str, OpeningHours],
    candidates: Sequence[Candidate] | None = None,
) -> bool:
    """May this agent take the item now ("get next")?

    `candidates` is the whole pool, which decides whether a stage has opened because nobody in the
    stages before it is free; without it the candidate is judged as if it were alone.
    """
    if not passes_hard_filters(item, queue, candidate, now=now, hours=hours):
        return False
    if candidate.agent_id == item.owner_agent_id or (
        item.owner_team_id is not None and candidate.team_id == item.owner_team_id
    ):
        return True
    if has_owner(item) and waited_seconds(item, now) < queue.owner_wait_seconds:
        return False
    if is_sticky(item, queue, candidate.agent_id, now):
        return True
    world = candidates if candidates is not None else (candidate,)
    opened = open_stage_count(item, queue, world, now=now, hours=hours)
    return any(share.team_id == candidate.team_id for stage in queue.stages[:opened] for share in stage)
