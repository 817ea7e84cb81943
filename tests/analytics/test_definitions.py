"""Each metric against the worked examples of the trade's definitions and against cases worked by hand."""

from __future__ import annotations

import datetime as dt

import pytest

from cxhub.analytics import definitions as d
from cxhub.analytics.definitions import ContactFact, ServiceLevelTarget, Stats
from cxhub.kit.hours import BusinessHours

UTC = dt.UTC
T0 = dt.datetime(2026, 11, 6, 16, 0, tzinfo=UTC)  # a Friday, 16:00 in Dublin (UTC+0 in November)


def answers(question: str, counts: dict[int, int]) -> Stats:
    return Stats.total(d.answer_stats(question, score) for score, n in counts.items() for _ in range(n))


def test_csat_top_two_box_and_mean_of_the_worked_example() -> None:
    stats = answers("csat", {5: 52, 4: 28, 3: 10, 2: 6, 1: 4})
    assert d.csat(stats) == pytest.approx(0.80)
    assert d.csat_mean(stats) == pytest.approx(4.18)


def test_nps_counts_passives_in_the_denominator() -> None:
    stats = answers("nps", {10: 30, 9: 30, 8: 10, 7: 10, 6: 5, 3: 10, 0: 5})
    assert d.nps(stats) == pytest.approx(40.0)


def test_fcr_internal_of_the_worked_example() -> None:
    assert d.fcr_internal(Stats(resolved=1000, repeats=180)) == pytest.approx(0.82)


def test_shrinkage_of_the_worked_example() -> None:
    lost = d.shrinkage(productive_hours=32, paid_hours=40)
    assert lost == pytest.approx(0.20)
    assert 1 / (1 - lost) == pytest.approx(1.25)


def test_ces_mean_and_easy_share() -> None:
    stats = answers("ces", {7: 2, 5: 1, 4: 1})
    assert d.ces(stats) == pytest.approx(23 / 4)
    assert d.ces_easy(stats) == pytest.approx(3 / 4)


def test_fcr_reported_is_a_family_of_its_own() -> None:
    stats = answers("fcr", {1: 7, 0: 3}) + Stats(resolved=10, repeats=5)
    assert d.fcr_reported(stats) == pytest.approx(0.7)
    assert d.fcr_internal(stats) == pytest.approx(0.5)


def test_service_level_variants_asa_aht_and_abandon_rate_by_hand() -> None:
    stats = Stats(
        offered=10, answered=8, answered_within=6, abandoned=2, abandoned_short=1, wait_seconds=80, handled=8
    ) + Stats(handle_seconds=1600)
    assert d.service_level(stats) == pytest.approx(6 / 10)
    assert d.service_level(stats, "without_abandons") == pytest.approx(6 / 8)
    assert d.service_level(stats, "without_short_abandons") == pytest.approx(6 / 9)
    assert d.asa_seconds(stats) == pytest.approx(10)
    assert d.aht_seconds(stats) == pytest.approx(200)
    assert d.abandon_rate(stats) == pytest.approx(0.2)
    assert d.abandon_rate(stats, exclude_short=True) == pytest.approx(1 / 9)


def test_occupancy_is_handling_over_staffed_time() -> None:
    assert d.occupancy(Stats(worked_seconds=2550, staffed_seconds=3000)) == pytest.approx(0.85)
    assert d.occupancy(Stats(worked_seconds=10, staffed_seconds=0)) is None


def test_qa_score_and_error_free_by_class() -> None:
    stats = d.evaluation_stats(90, {"customer": False, "compliance": True}) + d.evaluation_stats(70, {"customer": True})
    assert d.qa_score(stats) == pytest.approx(80)
    assert d.error_free(stats, "customer") == pytest.approx(0.5)
    assert d.error_free(stats, "compliance") == 0
    assert d.error_free(stats, "business") is None


def test_no_data_is_none_never_zero() -> None:
    assert all(value is None for value in d.figures(Stats()).values())


def test_one_answer_is_a_figure() -> None:
    figures = d.figures(answers("csat", {3: 1}) + answers("nps", {6: 1}))
    assert figures["csat"] == 0
    assert figures["csat_mean"] == 3
    assert figures["nps"] == -100
    assert figures["service_level"] is None


@pytest.mark.parametrize(("question", "score"), [("csat", 0), ("csat", 6), ("nps", 11), ("ces", 8), ("fcr", 2)])
def test_a_score_off_its_scale_is_refused(question: str, score: int) -> None:
    with pytest.raises(ValueError, match="score is"):
        d.answer_stats(question, score)


def call(**voice: object) -> ContactFact:
    return ContactFact("voice", T0, None, "closed", resolved=False, repeated=False, handle_seconds=None, call=voice)


VOICE = ServiceLevelTarget(20)


def test_a_call_answered_in_time_abandoned_short_and_abandoned_late() -> None:
    now = T0 + dt.timedelta(hours=1)
    answered = d.contact_stats(call(queue_seconds=12, talk_seconds=60), target=VOICE, now=now)
    late = d.contact_stats(call(queue_seconds=45, talk_seconds=60), target=VOICE, now=now)
    short = d.contact_stats(call(queue_seconds=3, abandoned=True), target=VOICE, now=now)
    gave_up = d.contact_stats(call(queue_seconds=90, abandoned=True), target=VOICE, now=now)
    voicemail = d.contact_stats(call(queue_seconds=30), target=VOICE, now=now)
    total = answered + late + short + gave_up + voicemail
    assert total["contacts"] == 5
    assert total["offered"] == 4  # a voicemail was never offered to an agent
    assert d.service_level(total) == pytest.approx(1 / 4)
    assert d.service_level(total, "without_short_abandons") == pytest.approx(1 / 3)
    assert d.asa_seconds(total) == pytest.approx((12 + 45) / 2)
    assert d.abandon_rate(total) == pytest.approx(2 / 4)


def test_an_email_waits_in_business_hours_over_the_weekend() -> None:
    office = BusinessHours("Europe/Dublin", {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")})
    target = ServiceLevelTarget(24 * 3600, office)
    monday = T0 + dt.timedelta(days=3, hours=-6)  # Monday 10:00
    fact = ContactFact("email", T0, monday, "open", resolved=False, repeated=False, handle_seconds=300)
    stats = d.contact_stats(fact, target=target, now=monday)
    assert stats["wait_seconds"] == pytest.approx(2 * 3600)  # Friday 16-17 and Monday 9-10
    assert stats["answered_within"] == 1
    assert d.aht_seconds(stats) == 300


def test_an_unanswered_contact_is_offered_once_it_can_no_longer_be_in_time() -> None:
    target = ServiceLevelTarget(60)
    fact = ContactFact("email", T0, None, "open", resolved=False, repeated=False, handle_seconds=None)
    assert d.contact_stats(fact, target=target, now=T0 + dt.timedelta(seconds=30))["offered"] == 0
    missed = d.contact_stats(fact, target=target, now=T0 + dt.timedelta(seconds=61))
    assert missed["offered"] == 1
    assert d.service_level(missed) == 0


def test_a_chat_closed_before_any_answer_was_abandoned() -> None:
    fact = ContactFact("chat", T0, None, "resolved", resolved=True, repeated=True, handle_seconds=None)
    stats = d.contact_stats(fact, target=ServiceLevelTarget(60), now=T0)
    assert d.abandon_rate(stats) == 1
    assert d.fcr_internal(stats) == 0
