"""The assignment engine: each precedence step on a small world, then the fast path fuzzed against the reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from cxhub.routing.engine import (
    Candidate,
    Decision,
    OpeningHours,
    QueueRules,
    SkillNeed,
    TeamShare,
    WorkItem,
    decide,
    eligible,
)
from cxhub.routing.pool import AgentPool

NOW = dt.datetime(2026, 3, 4, 10, 0, tzinfo=dt.UTC)
NIGHT_IN_DUBLIN = dt.datetime(2026, 3, 4, 3, 0, tzinfo=dt.UTC)


class LocalHours:
    """A site open 08:00-20:00 on its own clock."""

    def __init__(self, zone: str) -> None:
        self.zone = ZoneInfo(zone)

    def is_open(self, at: dt.datetime) -> bool:
        return 8 <= at.astimezone(self.zone).hour < 20


class Always:
    def __init__(self, open_: bool = True) -> None:
        self.open = open_

    def is_open(self, at: dt.datetime) -> bool:
        return self.open


HOURS: dict[str, OpeningHours] = {
    "dublin": LocalHours("Europe/Dublin"),
    "lisbon": LocalHours("Europe/Lisbon"),
    "manila": LocalHours("Asia/Manila"),
    "sydney": LocalHours("Australia/Sydney"),
}
COUNTRY = {"dublin": "IE", "lisbon": "PT", "manila": "PH", "sydney": "AU"}


def agent(
    agent_id: str,
    team_id: str = "dublin-care",
    *,
    organisation_id: str = "lumen",
    site_id: str = "dublin",
    presence: str = "available",
    idle_minutes: int = 10,
    languages: tuple[str, ...] = ("en",),
    skills: Mapping[str, int] | None = None,
    capacity: Mapping[str, int] | None = None,
    load: Mapping[str, int] | None = None,
    brand_ids: frozenset[str] | None = None,
) -> Candidate:
    return Candidate(
        agent_id=agent_id,
        team_id=team_id,
        organisation_id=organisation_id,
        site_id=site_id,
        site_country=COUNTRY.get(site_id, "IE"),
        presence=presence,
        free_since=NOW - dt.timedelta(minutes=idle_minutes),
        languages=frozenset(languages),
        skills=dict(skills or {}),
        capacity=dict(capacity if capacity is not None else {"chat": 2, "email": 5}),
        load=dict(load or {}),
        brand_ids=brand_ids,
    )


def work(waited_seconds: float = 0, *, now: dt.datetime = NOW, **fields: Any) -> WorkItem:
    base = WorkItem(
        id="c-1",
        brand_id="lumen",
        queue_id="care",
        channel="chat",
        priority=3,
        waiting_since=now - dt.timedelta(seconds=waited_seconds),
    )
    return replace(base, **fields)


def queue(*stages: tuple[tuple[str, str, float], ...], **rules: Any) -> QueueRules:
    built = tuple(tuple(TeamShare(team, org, share) for team, org, share in stage) for stage in stages)
    return replace(QueueRules(id="care", stages=built), **rules)


ONE_TEAM = queue((("dublin-care", "lumen", 1.0),))


def both(
    item: WorkItem,
    rules: QueueRules,
    candidates: list[Candidate],
    *,
    now: dt.datetime = NOW,
    assigned_today: Mapping[str, int] | None = None,
) -> Decision:
    """The reference decision, checked against the fast path on the same world."""
    ledger = assigned_today or {}
    reference = decide(item, rules, candidates, now=now, hours=HOURS, assigned_today=ledger)
    fast = AgentPool(candidates).decide(item, rules, now=now, hours=HOURS, assigned_today=ledger)
    assert fast == reference
    return reference


def test_portuguese_chat_goes_to_the_team_that_speaks_portuguese() -> None:
    rules = queue((("dublin-care", "lumen", 0.5), ("lisbon-care", "atlantic", 0.5)))
    candidates = [
        agent("aoife", idle_minutes=60),
        agent("joao", "lisbon-care", organisation_id="atlantic", site_id="lisbon", languages=("pt", "en")),
    ]
    decision = both(work(language="pt-BR"), rules, candidates)
    assert (decision.agent_id, decision.team_id, decision.rule, decision.stage) == ("joao", "lisbon-care", "share", 0)


def test_at_three_in_the_morning_in_dublin_the_work_goes_to_the_open_manila_site() -> None:
    rules = queue((("dublin-care", "lumen", 0.7), ("manila-care", "pacific", 0.3)))
    candidates = [
        agent("aoife", idle_minutes=600),
        agent("maria", "manila-care", organisation_id="pacific", site_id="manila"),
    ]
    item = work(now=NIGHT_IN_DUBLIN)
    assert both(item, rules, candidates, now=NIGHT_IN_DUBLIN).agent_id == "maria"
    assert both(work(), rules, candidates).agent_id == "aoife"  # 10:00 both are open; aoife idles longer


def test_a_customer_who_wants_a_local_agent_gets_sydney_then_anyone_after_the_wait() -> None:
    both_open = dt.datetime(2026, 3, 4, 8, 30, tzinfo=dt.UTC)  # 08:30 in Dublin, 19:30 in Sydney
    rules = queue((("dublin-care", "lumen", 0.5), ("sydney-care", "lumen", 0.5)), drop_local_after_seconds=300)
    candidates = [agent("aoife", idle_minutes=60), agent("jack", "sydney-care", site_id="sydney")]
    local = work(now=both_open, customer_country="AU", wants_local=True)
    assert both(local, rules, candidates, now=both_open).agent_id == "jack"
    jack_busy = [candidates[0], replace(candidates[1], load={"chat": 2})]
    assert both(local, rules, jack_busy, now=both_open).rule == "waiting"
    late = both(work(300, now=both_open, customer_country="AU", wants_local=True), rules, jack_busy, now=both_open)
    assert (late.agent_id, late.relaxed) == ("aoife", ("local",))
    assert both(work(now=both_open, customer_country="AU"), rules, candidates, now=both_open).agent_id == "aoife"


def test_the_named_owner_beats_everyone_even_from_a_team_outside_the_queue() -> None:
    candidates = [
        agent("aoife", idle_minutes=600),
        agent("niamh", "key-accounts", idle_minutes=1),
    ]
    decision = both(work(owner_agent_id="niamh", last_agent_id="aoife", last_served_at=NOW), ONE_TEAM, candidates)
    assert (decision.agent_id, decision.team_id, decision.rule, decision.stage) == (
        "niamh",
        "key-accounts",
        "owner_agent",
        None,
    )


def test_the_owner_team_takes_it_when_the_owner_is_busy_and_the_item_waits_for_its_owner() -> None:
    candidates = [
        agent("aoife", idle_minutes=600),
        agent("niamh", "key-accounts", presence="busy"),
        agent("sean", "key-accounts", idle_minutes=5),
        agent("orla", "key-accounts", idle_minutes=8),
    ]
    item = work(owner_agent_id="niamh", owner_team_id="key-accounts")
    assert (both(item, ONE_TEAM, candidates).agent_id, both(item, ONE_TEAM, candidates).rule) == ("orla", "owner_team")

    owner_only = work(30, owner_agent_id="niamh")
    rules = replace(ONE_TEAM, owner_wait_seconds=120)
    waiting = both(owner_only, rules, candidates)
    assert (waiting.agent_id, waiting.team_id, waiting.organisation_id, waiting.rule) == (
        None,
        "key-accounts",
        "lumen",
        "owner_wait",
    )
    assert both(work(120, owner_agent_id="niamh"), rules, candidates).agent_id == "aoife"
    assert both(work(30, owner_team_id="nobody"), rules, candidates).team_id == "nobody"


def test_sticky_sends_the_customer_back_to_the_last_agent_within_the_window() -> None:
    candidates = [agent("aoife", idle_minutes=600), agent("ciara", idle_minutes=1)]
    served = work(last_agent_id="ciara", last_served_at=NOW - dt.timedelta(hours=23))
    assert (both(served, ONE_TEAM, candidates).agent_id, both(served, ONE_TEAM, candidates).rule) == ("ciara", "sticky")
    stale = replace(served, last_served_at=NOW - dt.timedelta(hours=25))
    assert both(stale, ONE_TEAM, candidates).agent_id == "aoife"
    ciara_away = [candidates[0], replace(candidates[1], presence="away")]
    assert both(served, ONE_TEAM, ciara_away).agent_id == "aoife"


def test_overflow_by_time_and_by_unavailability() -> None:
    rules = queue(
        (("dublin-care", "lumen", 1.0),),
        (("manila-care", "pacific", 1.0),),
        overflow_after_seconds=(120,),
        overflow_when_unavailable=False,
        language_required=False,
    )
    candidates = [
        agent("aoife", presence="busy"),
        agent("maria", "manila-care", organisation_id="pacific", site_id="manila"),
    ]
    early = both(work(60), rules, candidates)
    assert (early.agent_id, early.team_id, early.rule, early.stage) == (None, "dublin-care", "waiting", 0)
    late = both(work(120), rules, candidates)
    assert (late.agent_id, late.stage) == ("maria", 1)
    at_once = both(work(0), replace(rules, overflow_when_unavailable=True), candidates)
    assert (at_once.agent_id, at_once.stage) == ("maria", 1)
    free_at_home = [agent("aoife"), candidates[1]]
    assert both(work(120), rules, free_at_home).agent_id == "aoife"  # the lowest open stage with a free agent


def test_the_language_is_never_dropped_unless_the_queue_says_so() -> None:
    candidates = [agent("aoife")]
    ten_days = 10 * 86_400
    assert both(work(ten_days, language="fr"), ONE_TEAM, candidates).rule == "waiting"
    dropping = replace(ONE_TEAM, drop_language_after_seconds=600)
    assert both(work(599, language="fr"), dropping, candidates).agent_id is None
    late = both(work(600, language="fr"), dropping, candidates)
    assert (late.agent_id, late.relaxed) == ("aoife", ("language",))
    assert both(work(language="fr"), replace(ONE_TEAM, language_required=False), candidates).agent_id == "aoife"
    assert both(work(language="EN-ie"), ONE_TEAM, candidates).agent_id == "aoife"


@pytest.mark.parametrize(
    ("assigned", "winner"),
    [
        ({"lumen": 30, "atlantic": 25}, "lumen"),  # 0.60 - 30/55 = +0.055 against 0.40 - 25/55 = -0.055
        ({"lumen": 40, "atlantic": 20}, "atlantic"),  # 0.60 - 0.667 against 0.40 - 0.333
        ({}, "lumen"),  # nothing assigned yet: the larger target
        ({"lumen": 6, "atlantic": 4}, "atlantic"),  # exactly on target: the organisation whose agent idled longest
    ],
)
def test_sixty_forty_shares(assigned: dict[str, int], winner: str) -> None:
    rules = queue((("dublin-care", "lumen", 0.6), ("lisbon-care", "atlantic", 0.4)))
    candidates = [
        agent("aoife", idle_minutes=5),
        agent("joao", "lisbon-care", organisation_id="atlantic", site_id="lisbon", idle_minutes=9),
    ]
    decision = both(work(), rules, candidates, assigned_today=assigned)
    assert (decision.organisation_id, decision.rule) == (winner, "share")


def test_only_organisations_with_a_free_agent_compete_and_the_longest_idle_agent_wins() -> None:
    rules = queue((("dublin-care", "lumen", 0.6), ("lisbon-care", "atlantic", 0.4)))
    candidates = [
        agent("aoife", idle_minutes=5),
        agent("brid", idle_minutes=50),
        agent("joao", "lisbon-care", organisation_id="atlantic", site_id="lisbon", presence="offline"),
    ]
    decision = both(work(), rules, candidates, assigned_today={"lumen": 100})
    assert (decision.agent_id, decision.organisation_id) == ("brid", "lumen")


def test_nobody_free_queues_at_the_neediest_organisations_first_team() -> None:
    rules = queue((("dublin-care", "lumen", 0.3), ("lisbon-care", "atlantic", 0.5), ("porto-care", "atlantic", 0.2)))
    decision = both(work(), rules, [agent("aoife", presence="away")], assigned_today={"lumen": 1, "atlantic": 9})
    assert (decision.agent_id, decision.team_id, decision.organisation_id, decision.rule) == (
        None,
        "dublin-care",
        "lumen",
        "waiting",
    )
    assert both(work(), rules, []).team_id == "lisbon-care"  # 0.7 for atlantic
    assert both(work(), QueueRules(id="care", stages=()), [agent("aoife")]) == Decision(
        "c-1", None, None, None, None, "no_team"
    )


@pytest.mark.parametrize(
    "unfit",
    [
        agent("aoife", brand_ids=frozenset({"other-brand"})),
        agent("aoife", presence="busy"),
        agent("aoife", load={"chat": 2}),
        agent("aoife", capacity={"email": 5}),
        agent("aoife", site_id="cork"),  # a site without opening hours is closed
        agent("aoife", skills={"billing": 2}),
    ],
)
def test_each_hard_filter_keeps_an_agent_out(unfit: Candidate) -> None:
    rules = replace(ONE_TEAM, required_skills=(SkillNeed("billing", 3),))
    fit = replace(unfit, brand_ids=None, presence="available", load={}, capacity={"chat": 1}, site_id="dublin")
    assert both(work(), rules, [replace(fit, skills={"billing": 3})]).agent_id == "aoife"
    favoured = work(owner_agent_id="aoife", last_agent_id="aoife", last_served_at=NOW)
    assert both(favoured, rules, [unfit]).agent_id is None


def test_pull_mode_lets_an_overflow_agent_take_work_only_when_its_stage_is_open() -> None:
    rules = queue((("dublin-care", "lumen", 1.0),), (("manila-care", "pacific", 1.0),), overflow_after_seconds=(300,))
    aoife = agent("aoife")
    maria = agent("maria", "manila-care", organisation_id="pacific", site_id="manila")
    world = [aoife, maria]
    assert not eligible(work(), rules, maria, now=NOW, hours=HOURS, candidates=world)
    assert eligible(work(300), rules, maria, now=NOW, hours=HOURS, candidates=world)
    assert eligible(work(), rules, maria, now=NOW, hours=HOURS, candidates=[replace(aoife, presence="busy"), maria])
    assert eligible(work(), rules, maria, now=NOW, hours=HOURS)  # alone, nobody in stage 0 is free
    pool = AgentPool(world)
    assert not pool.eligible("maria", work(), rules, now=NOW, hours=HOURS)
    assert pool.eligible("aoife", work(), rules, now=NOW, hours=HOURS)


def test_get_next_picks_the_most_urgent_then_the_longest_waiting_item_the_agent_may_take() -> None:
    items = [
        work(900, id="old-low", priority=4),
        work(60, id="new-urgent", priority=1),
        work(600, id="old-urgent", priority=1),
        work(3600, id="french", priority=1, language="fr"),
    ]
    pool = AgentPool([agent("aoife")])
    picked = pool.next_for("aoife", items, queues={"care": ONE_TEAM}, now=NOW, hours=HOURS)
    assert picked is not None
    assert picked.id == "old-urgent"
    pool.assign("aoife", "chat")
    pool.assign("aoife", "chat")
    assert pool.next_for("aoife", items, queues={"care": ONE_TEAM}, now=NOW, hours=HOURS) is None


def test_the_pool_refuses_an_assignment_over_capacity_and_tracks_releases() -> None:
    pool = AgentPool([agent("aoife", capacity={"chat": 1}), agent("brid", idle_minutes=1, capacity={"chat": 1})])
    pool.assign("aoife", "chat")
    with pytest.raises(ValueError, match="no free chat slot"):
        pool.assign("aoife", "chat")
    assert pool.decide(work(), ONE_TEAM, now=NOW, hours=HOURS, assigned_today={}).agent_id == "brid"
    pool.release("aoife", "chat", at=NOW)
    assert pool.decide(work(), ONE_TEAM, now=NOW, hours=HOURS, assigned_today={}).agent_id == "brid"
    pool.assign("brid", "chat")
    assert pool.decide(work(), ONE_TEAM, now=NOW, hours=HOURS, assigned_today={}).agent_id == "aoife"
    assert [c.load for c in pool.candidates()] == [{"chat": 0}, {"chat": 1}]
    with pytest.raises(ValueError, match="holds no"):
        pool.release("aoife", "chat")
    with pytest.raises(ValueError, match="twice"):
        AgentPool([agent("aoife"), agent("aoife")])
