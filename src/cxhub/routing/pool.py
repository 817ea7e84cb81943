"""The indexed fast path of the assignment engine: the same decisions as `engine.decide`, without a linear scan.

Agents are grouped per team and per (site, country); each group keeps, per channel and per
(channel, language), its agents with a free slot in idle-longest order. A decision reads the
head of a few lists per team instead of every candidate, and `assign`/`release` keep the lists
in step with the load.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from operator import attrgetter

from cxhub.routing.engine import (
    AVAILABLE,
    Candidate,
    Decision,
    OpeningHours,
    QueueRules,
    WorkItem,
    backlog_order,
    has_owner,
    is_sticky,
    neediest_organisation,
    organisation_in_stages,
    primary_language,
    queued_at,
    relaxations,
    required_country,
    required_language,
    stage_organisations,
    stage_targets,
    waited_seconds,
)

_PLAN_CACHE_LIMIT = 1024


@dataclass(slots=True, eq=False)
class _Agent:
    candidate: Candidate
    order: tuple[dt.datetime, str]
    languages: frozenset[str]
    load: dict[str, int]
    group: _Group


_by_order = attrgetter("order")


@dataclass(slots=True, eq=False)
class _Group:
    """The agents of one team at one site."""

    site_id: str
    country: str
    by_channel: dict[str, list[_Agent]] = field(default_factory=dict)
    by_language: dict[tuple[str, str], list[_Agent]] = field(default_factory=dict)


@dataclass(slots=True, eq=False)
class _Team:
    organisation_id: str
    groups: dict[tuple[str, str], _Group] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Stage:
    team_ids: tuple[str, ...]
    organisation_of: dict[str, str]
    targets: dict[str, float]


@dataclass(frozen=True, slots=True)
class _Plan:
    queue: QueueRules
    stages: tuple[_Stage, ...]
    needs: tuple[tuple[str, int], ...]


class _Ask:
    """One item's hard filters, with the sites' opening hours looked up once per decision."""

    __slots__ = ("_open", "brand", "channel", "country", "hours", "language", "needs", "now")

    def __init__(
        self,
        item: WorkItem,
        queue: QueueRules,
        plan: _Plan,
        *,
        waited: float,
        now: dt.datetime,
        hours: Mapping[str, OpeningHours],
    ) -> None:
        self.brand = item.brand_id
        self.channel = item.channel
        self.language = required_language(item, queue, waited)
        self.country = required_country(item, queue, waited)
        self.needs = plan.needs
        self.now = now
        self.hours = hours
        self._open: dict[str, bool] = {}

    def site_open(self, site_id: str) -> bool:
        known = self._open.get(site_id)
        if known is None:
            site = self.hours.get(site_id)
            known = self._open[site_id] = site is not None and site.is_open(self.now)
        return known

    def key(self) -> tuple[str, str, str | None, str | None]:
        return (self.brand, self.channel, self.language, self.country)

    def serves(self, agent: _Agent) -> bool:
        """The filters the free lists do not already guarantee: brand and skills."""
        candidate = agent.candidate
        if candidate.brand_ids is not None and self.brand not in candidate.brand_ids:
            return False
        skills = candidate.skills
        return all(skills.get(name, 0) >= level for name, level in self.needs)

    def passes(self, agent: _Agent) -> bool:
        candidate = agent.candidate
        return (
            candidate.presence == AVAILABLE
            and agent.load.get(self.channel, 0) < candidate.capacity.get(self.channel, 0)
            and (self.language is None or self.language in agent.languages)
            and (self.country is None or agent.group.country == self.country)
            and self.site_open(candidate.site_id)
            and self.serves(agent)
        )


class AgentPool:
    """Candidates indexed once; `decide` equals `engine.decide` over `candidates()` at every moment."""

    def __init__(self, candidates: Iterable[Candidate]) -> None:
        self._agents: dict[str, _Agent] = {}
        self._teams: dict[str, _Team] = {}
        self._plans: dict[int, _Plan] = {}
        for candidate in candidates:
            if candidate.agent_id in self._agents:
                raise ValueError(f"agent {candidate.agent_id} is listed twice")
            team = self._teams.setdefault(candidate.team_id, _Team(candidate.organisation_id))
            country = candidate.site_country.upper()
            group = team.groups.setdefault((candidate.site_id, country), _Group(candidate.site_id, country))
            agent = _Agent(
                candidate,
                (candidate.free_since, candidate.agent_id),
                frozenset(primary_language(tag) for tag in candidate.languages),
                dict(candidate.load),
                group,
            )
            self._agents[candidate.agent_id] = agent
            for channel in candidate.capacity:
                self._list(agent, channel)

    def candidates(self) -> list[Candidate]:
        """The pool as it stands now (loads and idle times after assignments), in the order it was built."""
        return [
            replace(agent.candidate, free_since=agent.order[0], load=dict(agent.load))
            for agent in self._agents.values()
        ]

    def assign(self, agent_id: str, channel: str, *, at: dt.datetime | None = None) -> None:
        """The agent took one more conversation on the channel; with `at`, the agent's idle time restarts then."""
        agent = self._agents[agent_id]
        load = agent.load.get(channel, 0)
        if load >= agent.candidate.capacity.get(channel, 0):
            raise ValueError(f"agent {agent_id} has no free {channel} slot")
        channels = list(agent.candidate.capacity) if at is not None else [channel]
        for each in channels:
            self._unlist(agent, each)
        agent.load[channel] = load + 1
        if at is not None:
            agent.order = (at, agent_id)
        for each in channels:
            self._list(agent, each)

    def withdraw(self, agent_id: str) -> None:
        """Offer the agent nothing more (another process is assigning to them, or they went away)."""
        agent = self._agents[agent_id]
        for channel in agent.candidate.capacity:
            self._unlist(agent, channel)
        agent.candidate = replace(agent.candidate, presence="away")

    def release(self, agent_id: str, channel: str, *, at: dt.datetime | None = None) -> None:
        """The agent finished a conversation; with `at`, the agent counts as free since then."""
        agent = self._agents[agent_id]
        load = agent.load.get(channel, 0)
        if load <= 0:
            raise ValueError(f"agent {agent_id} holds no {channel} conversation")
        channels = list(agent.candidate.capacity) if at is not None else [channel]
        for each in channels:
            self._unlist(agent, each)
        agent.load[channel] = load - 1
        if at is not None:
            agent.order = (at, agent_id)
        for each in channels:
            self._list(agent, each)

    def decide(
        self,
        item: WorkItem,
        queue: QueueRules,
        *,
        now: dt.datetime,
        hours: Mapping[str, OpeningHours],
        assigned_today: Mapping[str, int],
    ) -> Decision:
        waited = waited_seconds(item, now)
        plan = self._plan(queue)
        ask = _Ask(item, queue, plan, waited=waited, now=now, hours=hours)
        relaxed = relaxations(item, queue, now=now)

        owner = self._agents.get(item.owner_agent_id) if item.owner_agent_id is not None else None
        if owner is not None and ask.passes(owner):
            c = owner.candidate
            return Decision(item.id, c.agent_id, c.team_id, c.organisation_id, None, "owner_agent", relaxed)
        owner_team = self._teams.get(item.owner_team_id) if item.owner_team_id is not None else None
        best = self._best_in_team(owner_team, ask) if owner_team is not None else None
        if best is not None:
            c = best.candidate
            return Decision(item.id, c.agent_id, c.team_id, c.organisation_id, None, "owner_team", relaxed)
        if has_owner(item) and waited < queue.owner_wait_seconds:
            team_id, organisation_id = self._owner_home(item, queue)
            return Decision(item.id, None, team_id, organisation_id, None, "owner_wait", relaxed)

        sticky = self._agents.get(item.last_agent_id) if item.last_agent_id is not None else None
        if sticky is not None and is_sticky(item, queue, sticky.candidate.agent_id, now) and ask.passes(sticky):
            c = sticky.candidate
            return Decision(item.id, c.agent_id, c.team_id, c.organisation_id, None, "sticky", relaxed)

        opened = 0
        for k, stage in enumerate(plan.stages):
            opened = k + 1
            best_by_organisation = self._best_by_organisation(stage, ask)
            if best_by_organisation:
                best_idle = {org: agent.order for org, agent in best_by_organisation.items()}
                organisation = neediest_organisation(stage.targets, assigned_today, best_idle)
                c = best_by_organisation[organisation].candidate
                return Decision(item.id, c.agent_id, c.team_id, organisation, k, "share", relaxed)
            if not (_opens_by_time(queue, k, waited) or queue.overflow_when_unavailable):
                break

        team_id, organisation_id, at_stage = queued_at(queue, opened, assigned_today)
        if team_id is None:
            return Decision(item.id, None, None, None, None, "no_team", relaxed)
        return Decision(item.id, None, team_id, organisation_id, at_stage, "waiting", relaxed)

    def eligible(
        self, agent_id: str, item: WorkItem, queue: QueueRules, *, now: dt.datetime, hours: Mapping[str, OpeningHours]
    ) -> bool:
        """`engine.eligible` for one of the pool's agents, judged against the whole pool."""
        agent = self._agents.get(agent_id)
        return agent is not None and self._eligible(agent, item, queue, now=now, hours=hours, memo={})

    def next_for(
        self,
        agent_id: str,
        items: Iterable[WorkItem],
        *,
        queues: Mapping[str, QueueRules],
        now: dt.datetime,
        hours: Mapping[str, OpeningHours],
        ordered: bool = False,
    ) -> WorkItem | None:
        """Pull mode ("get next"): the most urgent, longest-waiting item the agent may take.

        `queues` must hold every item's queue. With `ordered=True` the items are already in
        `backlog_order` and the search stops at the first the agent may take.
        """
        agent = self._agents.get(agent_id)
        if agent is None or not self._can_work(agent, now=now, hours=hours):
            return None
        if not ordered:
            items = sorted(self._prefilter(agent, items, queues=queues, now=now), key=backlog_order)
        memo: dict[tuple[object, ...], bool] = {}
        for item in items:
            if self._eligible(agent, item, queues[item.queue_id], now=now, hours=hours, memo=memo):
                return item
        return None

    def _can_work(self, agent: _Agent, *, now: dt.datetime, hours: Mapping[str, OpeningHours]) -> bool:
        site = hours.get(agent.candidate.site_id)
        return agent.candidate.presence == AVAILABLE and site is not None and site.is_open(now)

    def _prefilter(
        self, agent: _Agent, items: Iterable[WorkItem], *, queues: Mapping[str, QueueRules], now: dt.datetime
    ) -> list[WorkItem]:
        """The items whose hard filters this agent passes; the rest never need sorting."""
        candidate = agent.candidate
        free = {channel for channel, cap in candidate.capacity.items() if agent.load.get(channel, 0) < cap}
        brands = candidate.brand_ids
        country = agent.group.country
        skilled: dict[str, bool] = {}
        kept: list[WorkItem] = []
        for item in items:
            if item.channel not in free or (brands is not None and item.brand_id not in brands):
                continue
            queue = queues[item.queue_id]
            if queue.id not in skilled:
                skilled[queue.id] = all(candidate.skills.get(n.name, 0) >= n.level for n in queue.required_skills)
            if not skilled[queue.id]:
                continue
            waited = (now - item.waiting_since).total_seconds()
            language = required_language(item, queue, waited) if item.language is not None else None
            if language is not None and language not in agent.languages:
                continue
            local = required_country(item, queue, waited) if item.wants_local else None
            if local is not None and local != country:
                continue
            kept.append(item)
        return kept

    def _eligible(
        self,
        agent: _Agent,
        item: WorkItem,
        queue: QueueRules,
        *,
        now: dt.datetime,
        hours: Mapping[str, OpeningHours],
        memo: dict[tuple[object, ...], bool],
    ) -> bool:
        waited = waited_seconds(item, now)
        plan = self._plan(queue)
        ask = _Ask(item, queue, plan, waited=waited, now=now, hours=hours)
        candidate = agent.candidate
        if not ask.passes(agent):
            return False
        if candidate.agent_id == item.owner_agent_id or (
            item.owner_team_id is not None and candidate.team_id == item.owner_team_id
        ):
            return True
        if has_owner(item) and waited < queue.owner_wait_seconds:
            return False
        if is_sticky(item, queue, candidate.agent_id, now):
            return True
        checked, anyone_free = 0, False
        for k, stage in enumerate(plan.stages):
            if candidate.team_id in stage.organisation_of:
                return True
            if k + 1 == len(plan.stages):
                break
            if _opens_by_time(queue, k, waited):
                continue
            if not queue.overflow_when_unavailable:
                break
            while checked <= k and not anyone_free:
                key = (id(plan), checked, *ask.key())
                if key not in memo:
                    memo[key] = bool(self._best_by_organisation(plan.stages[checked], ask))
                anyone_free = memo[key]
                checked += 1
            if anyone_free:
                break
        return False

    def _best_by_organisation(self, stage: _Stage, ask: _Ask) -> dict[str, _Agent]:
        best_by_organisation: dict[str, _Agent] = {}
        for team_id in stage.team_ids:
            team = self._teams.get(team_id)
            best = self._best_in_team(team, ask) if team is not None else None
            if best is None:
                continue
            organisation = stage.organisation_of[team_id]
            current = best_by_organisation.get(organisation)
            if current is None or best.order < current.order:
                best_by_organisation[organisation] = best
        return best_by_organisation

    def _best_in_team(self, team: _Team, ask: _Ask) -> _Agent | None:
        best: _Agent | None = None
        channel, language, country = ask.channel, ask.language, ask.country
        for group in team.groups.values():
            if country is not None and group.country != country:
                continue
            free = group.by_channel.get(channel) if language is None else group.by_language.get((channel, language))
            if not free or not ask.site_open(group.site_id):
                continue
            for agent in free:
                if best is not None and agent.order >= best.order:
                    break
                if ask.serves(agent):
                    best = agent
                    break
        return best

    def _owner_home(self, item: WorkItem, queue: QueueRules) -> tuple[str | None, str | None]:
        if item.owner_team_id is None:
            owner = self._agents.get(item.owner_agent_id) if item.owner_agent_id is not None else None
            return (owner.candidate.team_id, owner.candidate.organisation_id) if owner else (None, None)
        team = self._teams.get(item.owner_team_id)
        if team is not None:
            return item.owner_team_id, team.organisation_id
        return item.owner_team_id, organisation_in_stages(queue, item.owner_team_id)

    def _plan(self, queue: QueueRules) -> _Plan:
        plan = self._plans.get(id(queue))
        if plan is not None and plan.queue is queue:
            return plan
        if len(self._plans) >= _PLAN_CACHE_LIMIT:
            self._plans.clear()
        stages = tuple(
            _Stage(tuple(stage_organisations(stage)), stage_organisations(stage), stage_targets(stage))
            for stage in queue.stages
        )
        plan = _Plan(queue, stages, tuple((need.name, need.level) for need in queue.required_skills))
        self._plans[id(queue)] = plan
        return plan

    def _free_lists(self, agent: _Agent, channel: str) -> Sequence[list[_Agent]]:
        group = agent.group
        lists = [group.by_channel.setdefault(channel, [])]
        lists.extend(group.by_language.setdefault((channel, language), []) for language in agent.languages)
        return lists

    def _list(self, agent: _Agent, channel: str) -> None:
        candidate = agent.candidate
        if candidate.presence != AVAILABLE or agent.load.get(channel, 0) >= candidate.capacity.get(channel, 0):
            return
        for free in self._free_lists(agent, channel):
            bisect.insort(free, agent, key=_by_order)

    def _unlist(self, agent: _Agent, channel: str) -> None:
        for free in self._free_lists(agent, channel):
            at = bisect.bisect_left(free, agent.order, key=_by_order)
            if at < len(free) and free[at] is agent:
                del free[at]


def _opens_by_time(queue: QueueRules, k: int, waited: float) -> bool:
    """Stage k+1 opens after the item has waited overflow_after_seconds[k]."""
    return k < len(queue.overflow_after_seconds) and waited >= queue.overflow_after_seconds[k]
