"""The assignment engine: each precedence step on a small world, then the fast path fuzzed against the reference."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cxhub.routing.engine import (
    Candidate,
    Decision,
    OpeningHours,
    QueueRules,
    SkillNeed,
    TeamShare,
    WorkItem,
    backlog_order,
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


ORGANISATION_OF = {"t1": "o1", "t2": "o1", "t3": "o2", "t4": "o3", "t5": "o2", "empty": "o3"}
STAFFED = ("t1", "t2", "t3", "t4", "t5")
SITE_COUNTRY = {"s1": "IE", "s2": "PT", "s3": "AU", "s4": "au"}
CHANNELS = ("chat", "email")
LANGUAGES = ("en", "pt", "pt-BR", "fr", "EN")
SKILLS = ("billing", "returns")


def rarely(strategy: st.SearchStrategy[object]) -> st.SearchStrategy[Any]:
    """Mostly None, sometimes a value: filters that bite on every draw leave nothing to decide."""
    return st.one_of(st.none(), st.none(), st.none(), strategy)


@st.composite
def worlds(draw: st.DrawFn, *, within_capacity: bool = False) -> list[Candidate]:
    world = []
    for number in range(draw(st.integers(0, 16))):
        team = draw(st.sampled_from(STAFFED))
        site = draw(st.sampled_from(sorted(SITE_COUNTRY)))
        capacity = draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 3), min_size=1))
        load = draw(st.dictionaries(st.sampled_from(CHANNELS), st.integers(0, 2), max_size=2))
        if within_capacity:
            load = {channel: min(held, capacity.get(channel, 0)) for channel, held in load.items()}
        world.append(
            Candidate(
                agent_id=f"a{number}",
                team_id=team,
                organisation_id=ORGANISATION_OF[team],
                site_id=site,
                site_country=SITE_COUNTRY[site],
                presence=draw(st.sampled_from(["available", "available", "available", "busy", "away", "offline"])),
                free_since=NOW - dt.timedelta(minutes=draw(st.integers(0, 20))),
                languages=draw(st.frozensets(st.sampled_from(LANGUAGES), min_size=1, max_size=3)),
                skills=draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=2)),
                capacity=capacity,
                load=load,
                brand_ids=draw(rarely(st.frozensets(st.sampled_from(["b1", "b2"]), max_size=2))),
            )
        )
    return world


@st.composite
def queue_rules(draw: st.DrawFn) -> QueueRules:
    shares = st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.4, 0.5, 0.6, 1.0])
    stages = tuple(
        tuple(
            TeamShare(team, ORGANISATION_OF[team], draw(shares))
            for team in draw(st.lists(st.sampled_from(sorted(ORGANISATION_OF)), unique=True, min_size=1, max_size=4))
        )
        for _ in range(draw(st.sampled_from([0, 1, 2, 2, 3, 3])))
    )
    return QueueRules(
        id="q",
        stages=stages,
        overflow_after_seconds=draw(st.sampled_from([(), (), (), (0,), (300,), (600, 60), (120, 300)])),
        overflow_when_unavailable=draw(st.booleans()),
        language_required=draw(st.booleans()),
        drop_language_after_seconds=draw(st.none() | st.integers(0, 900)),
        required_skills=draw(rarely(st.tuples(st.builds(SkillNeed, st.sampled_from(SKILLS), st.integers(1, 3))))) or (),
        drop_local_after_seconds=draw(st.none() | st.integers(0, 900)),
        owner_wait_seconds=draw(st.sampled_from([0, 0, 60, 600])),
        sticky_seconds=draw(st.integers(0, 7200)),
    )


@st.composite
def backlogs(draw: st.DrawFn, agent_ids: list[str], *, max_size: int = 8) -> list[WorkItem]:
    agents = rarely(st.sampled_from([*agent_ids, "ghost"]))
    backlog = []
    for number in range(draw(st.integers(0, max_size))):
        served = draw(st.none() | st.integers(0, 3600))
        backlog.append(
            WorkItem(
                id=f"w{number}",
                brand_id=draw(st.sampled_from(["b1", "b2"])),
                queue_id="q",
                channel=draw(st.sampled_from(CHANNELS)),
                priority=draw(st.integers(1, 5)),
                waiting_since=NOW - dt.timedelta(seconds=draw(st.integers(0, 900))),
                language=draw(st.one_of(st.none(), st.sampled_from([*LANGUAGES, "pt-PT"]))),
                customer_country=draw(st.none() | st.sampled_from(["IE", "PT", "AU"])),
                wants_local=draw(st.booleans()) and draw(st.booleans()),
                owner_agent_id=draw(agents),
                owner_team_id=draw(rarely(st.sampled_from([*sorted(ORGANISATION_OF), "t9"]))),
                last_agent_id=draw(agents),
                last_served_at=None if served is None else NOW - dt.timedelta(seconds=served),
            )
        )
    return backlog


site_hours = st.fixed_dictionaries(
    {site: st.sampled_from([True, True, True, False, None]) for site in sorted(SITE_COUNTRY)}
).map(lambda opened: {site: Always(is_open) for site, is_open in opened.items() if is_open is not None})
ledgers = st.dictionaries(st.sampled_from(["o1", "o2", "o3"]), st.integers(0, 50))
clocks = st.integers(0, 900).map(lambda seconds: NOW + dt.timedelta(seconds=seconds))


def assert_fit(
    item: WorkItem, rules: QueueRules, chosen: Candidate, now: dt.datetime, hours: dict[str, Always]
) -> None:
    """Every hard filter, checked again from the specification's words."""
    waited = (now - item.waiting_since).total_seconds()
    assert chosen.brand_ids is None or item.brand_id in chosen.brand_ids
    assert chosen.presence == "available"
    assert chosen.load.get(item.channel, 0) < chosen.capacity.get(item.channel, 0)
    assert chosen.site_id in hours
    assert hours[chosen.site_id].is_open(now)
    language_dropped = rules.drop_language_after_seconds is not None and waited >= rules.drop_language_after_seconds
    if rules.language_required and item.language is not None and not language_dropped:
        assert item.language.split("-")[0].lower() in {tag.split("-")[0].lower() for tag in chosen.languages}
    for need in rules.required_skills:
        assert chosen.skills.get(need.name, 0) >= need.level
    local_dropped = rules.drop_local_after_seconds is not None and waited >= rules.drop_local_after_seconds
    if item.wants_local and item.customer_country and not local_dropped:
        assert chosen.site_country.upper() == item.customer_country.upper()


@settings(max_examples=200, deadline=None)
@given(world=worlds(), rules=queue_rules(), hours=site_hours, ledger=ledgers, now=clocks, data=st.data())
def test_the_fast_path_decides_as_the_reference_and_never_picks_an_unfit_agent(
    world: list[Candidate],
    rules: QueueRules,
    hours: dict[str, Always],
    ledger: dict[str, int],
    now: dt.datetime,
    data: st.DataObject,
) -> None:
    pool = AgentPool(world)
    backlog = data.draw(backlogs([c.agent_id for c in world]))
    for item in backlog:
        current = pool.candidates()
        reference = decide(item, rules, current, now=now, hours=hours, assigned_today=ledger)
        assert pool.decide(item, rules, now=now, hours=hours, assigned_today=ledger) == reference
        for candidate in current[:5]:
            expected = eligible(item, rules, candidate, now=now, hours=hours, candidates=current)
            assert pool.eligible(candidate.agent_id, item, rules, now=now, hours=hours) == expected
        if reference.agent_id is not None:
            chosen = next(c for c in current if c.agent_id == reference.agent_id)
            assert_fit(item, rules, chosen, now, hours)
            assert eligible(item, rules, chosen, now=now, hours=hours, candidates=current)
            pool.assign(chosen.agent_id, item.channel)
            if reference.rule == "share":
                assert reference.organisation_id is not None
                ledger[reference.organisation_id] = ledger.get(reference.organisation_id, 0) + 1
        held = [(c.agent_id, channel) for c in pool.candidates() for channel, n in c.load.items() if n > 0]
        if held and data.draw(st.booleans()):
            agent_id, channel = data.draw(st.sampled_from(held))
            pool.release(agent_id, channel, at=data.draw(st.none() | clocks))

    current = pool.candidates()
    for candidate in current[:5]:
        takeable = [i for i in backlog if eligible(i, rules, candidate, now=now, hours=hours, candidates=current)]
        expected = min(takeable, key=backlog_order, default=None)
        queues = {"q": rules}
        assert pool.next_for(candidate.agent_id, backlog, queues=queues, now=now, hours=hours) == expected
        in_order = sorted(backlog, key=backlog_order)
        assert (
            pool.next_for(candidate.agent_id, in_order, queues=queues, now=now, hours=hours, ordered=True) == expected
        )


@settings(max_examples=50, deadline=None)
@given(world=worlds(within_capacity=True), rules=queue_rules(), hours=site_hours, now=clocks, data=st.data())
def test_assigning_until_nobody_is_free_never_goes_over_capacity(
    world: list[Candidate], rules: QueueRules, hours: dict[str, Always], now: dt.datetime, data: st.DataObject
) -> None:
    pool = AgentPool(world)
    backlog = data.draw(backlogs([c.agent_id for c in world], max_size=5))
    ledger: dict[str, int] = {}
    assigned = True
    while assigned:
        assigned = False
        for item in backlog:
            decision = pool.decide(item, rules, now=now, hours=hours, assigned_today=ledger)
            if decision.agent_id is not None:
                pool.assign(decision.agent_id, item.channel)
                assigned = True
    for candidate in pool.candidates():
        for channel, held in candidate.load.items():
            assert held <= candidate.capacity.get(channel, 0)


@settings(max_examples=40, deadline=None)
@given(
    weights=st.lists(st.integers(1, 10), min_size=2, max_size=3),
    split=st.lists(st.booleans(), min_size=3, max_size=3),
    decisions=st.integers(200, 400),
)
def test_shares_converge_on_their_targets(weights: list[int], split: list[bool], decisions: int) -> None:
    targets = {f"o{k}": weight / sum(weights) for k, weight in enumerate(weights)}
    stage: list[TeamShare] = []
    world: list[Candidate] = []
    for k, (organisation, target) in enumerate(targets.items()):
        teams = [f"{organisation}-a", f"{organisation}-b"] if split[k] else [f"{organisation}-a"]
        for team in teams:
            stage.append(TeamShare(team, organisation, target / len(teams)))
            for seat in range(2):
                member = agent(f"{team}-{seat}", team, organisation_id=organisation, capacity={"chat": decisions})
                world.append(replace(member, free_since=NOW - dt.timedelta(minutes=seat + 7 * k)))
    rules = QueueRules(id="q", stages=(tuple(stage),))
    pool = AgentPool(world)
    ledger: dict[str, int] = {}
    for number in range(decisions):
        decision = pool.decide(work(id=f"w{number}"), rules, now=NOW, hours=HOURS, assigned_today=ledger)
        assert decision.agent_id is not None
        assert decision.organisation_id is not None
        pool.assign(decision.agent_id, "chat")
        ledger[decision.organisation_id] = ledger.get(decision.organisation_id, 0) + 1
    for organisation, target in targets.items():
        assert abs(ledger.get(organisation, 0) / decisions - target) <= 0.02
