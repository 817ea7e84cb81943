"""The one definition of every metric, from sufficient statistics.

A contact contributes counts and sums (`Stats`); a rollup row, a report row and a contract's figure are
sums of those; each metric is a function of the sums. Nothing here touches the database, so the same
numbers come out of a rollup, a raw query and a test. Formulas: docs/metrics.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from cxhub.analytics.statistics import Moments, Proportion
from cxhub.kit.hours import BusinessHours
from cxhub.quality.scales import SCALES

SURVEY_QUESTIONS = {question: range(low, high + 1) for question, (low, high) in SCALES.items()}
CSAT_SCALE = SURVEY_QUESTIONS["csat"]
NPS_SCALE = SURVEY_QUESTIONS["nps"]
CES_SCALE = SURVEY_QUESTIONS["ces"]
QA_CLASSES = ("customer", "business", "compliance")
SHORT_ABANDON_SECONDS = 5.0
REPEAT_DAYS = 7
ServiceLevelVariant = Literal["with_abandons", "without_abandons", "without_short_abandons"]


def _histogram(prefix: str, scale: range) -> list[str]:
    return [f"{prefix}_{score}" for score in scale]


STAT_FIELDS: tuple[str, ...] = (
    "contacts",
    "offered",
    "answered",
    "answered_within",
    "abandoned",
    "abandoned_short",
    "wait_seconds",
    "wait_seconds_sq",
    "handled",
    "handle_seconds",
    "handle_seconds_sq",
    "resolved",
    "repeats",
    *_histogram("csat", CSAT_SCALE),
    *_histogram("nps", NPS_SCALE),
    *_histogram("ces", CES_SCALE),
    "fcr_yes",
    "fcr_no",
    "qa_evaluations",
    "qa_score_sum",
    "qa_score_sq",
    *(f"qa_{cls}_checked" for cls in QA_CLASSES),
    *(f"qa_{cls}_error_free" for cls in QA_CLASSES),
    "staffed_seconds",
    "worked_seconds",
)
FLOAT_FIELDS = frozenset(
    {
        "wait_seconds",
        "wait_seconds_sq",
        "handle_seconds",
        "handle_seconds_sq",
        "qa_score_sum",
        "qa_score_sq",
        "staffed_seconds",
        "worked_seconds",
    }
)


class Stats(dict[str, float]):
    """Counts and sums keyed by the names in STAT_FIELDS; missing names are 0. Adding two adds field by field."""

    def __getitem__(self, name: str) -> float:
        return self.get(name, 0)

    def __add__(self, other: Mapping[str, float]) -> Stats:
        total = Stats(self)
        for name, value in other.items():
            if value:
                total[name] = total[name] + value
        return total

    def add(self, name: str, value: float = 1) -> None:
        if value:
            self[name] = self[name] + value

    def columns(self) -> dict[str, float]:
        """Every field, 0 where nothing was counted: the row a rollup stores."""
        return {name: self[name] for name in STAT_FIELDS}

    @classmethod
    def total(cls, parts: Iterable[Mapping[str, float]]) -> Stats:
        result = cls()
        for part in parts:
            result = result + part
        return result


def _share(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


# --- the metrics -------------------------------------------------------------------------------------


def service_level(stats: Stats, variant: ServiceLevelVariant = "with_abandons") -> float | None:
    """Answered within the channel's threshold / offered; offered counts abandons (the default variant)."""
    offered = stats["offered"]
    if variant == "without_abandons":
        offered -= stats["abandoned"]
    elif variant == "without_short_abandons":
        offered -= stats["abandoned_short"]
    return _share(stats["answered_within"], offered)


def asa_seconds(stats: Stats) -> float | None:
    """Average speed of answer: total queue wait of answered contacts / answered contacts."""
    return _share(stats["wait_seconds"], stats["answered"])


def aht_seconds(stats: Stats) -> float | None:
    """Average handle time: (talk + hold + after-contact work, or agent working time) / handled contacts."""
    return _share(stats["handle_seconds"], stats["handled"])


def abandon_rate(stats: Stats, *, exclude_short: bool = False) -> float | None:
    abandoned = stats["abandoned"] - (stats["abandoned_short"] if exclude_short else 0)
    offered = stats["offered"] - (stats["abandoned_short"] if exclude_short else 0)
    return _share(abandoned, offered)


def occupancy(stats: Stats) -> float | None:
    """Handling time / (handling + available idle time) = handling time / staffed time."""
    return _share(min(stats["worked_seconds"], stats["staffed_seconds"]), stats["staffed_seconds"])


def fcr_internal(stats: Stats) -> float | None:
    """1 - share of resolved contacts followed by a repeat (same customer, same touchpoint, within N days)."""
    share = _share(stats["repeats"], stats["resolved"])
    return None if share is None else 1 - share


def fcr_reported(stats: Stats) -> float | None:
    """Share of survey answers saying the issue was resolved on first contact."""
    return _share(stats["fcr_yes"], stats["fcr_yes"] + stats["fcr_no"])


def _answers(stats: Stats, prefix: str, scale: range) -> float:
    return sum(stats[f"{prefix}_{score}"] for score in scale)


def _mean(stats: Stats, prefix: str, scale: range) -> float | None:
    return _share(sum(score * stats[f"{prefix}_{score}"] for score in scale), _answers(stats, prefix, scale))


def csat(stats: Stats) -> float | None:
    """Top-2-box: share of 4 and 5 answers on the 1-5 scale."""
    return _share(stats["csat_4"] + stats["csat_5"], _answers(stats, "csat", CSAT_SCALE))


def csat_mean(stats: Stats) -> float | None:
    return _mean(stats, "csat", CSAT_SCALE)


def nps(stats: Stats) -> float | None:
    """% of 9-10 minus % of 0-6 on 0-10, on -100..100; passives count in the denominator."""
    answers = _answers(stats, "nps", NPS_SCALE)
    promoters = stats["nps_9"] + stats["nps_10"]
    detractors = sum(stats[f"nps_{score}"] for score in range(7))
    share = _share(promoters - detractors, answers)
    return None if share is None else 100 * share


def ces(stats: Stats) -> float | None:
    """CES 2.0, the mean on 1-7 ("The company made it easy for me to handle my issue")."""
    return _mean(stats, "ces", CES_SCALE)


def ces_easy(stats: Stats) -> float | None:
    """CES 2.0, the share of 5-7 answers."""
    return _share(sum(stats[f"ces_{score}"] for score in (5, 6, 7)), _answers(stats, "ces", CES_SCALE))


def qa_score(stats: Stats) -> float | None:
    """Mean weighted scorecard score, 0-100."""
    return _share(stats["qa_score_sum"], stats["qa_evaluations"])


def error_free(stats: Stats, error_class: str) -> float | None:
    """Share of evaluations with no error of the class (customer-, business- or compliance-critical)."""
    return _share(stats[f"qa_{error_class}_error_free"], stats[f"qa_{error_class}_checked"])


def shrinkage(*, productive_hours: float, paid_hours: float) -> float | None:
    """1 - productive hours / paid hours."""
    share = _share(productive_hours, paid_hours)
    return None if share is None else 1 - share


Evidence = Proportion | Moments | dict[int, float]  # what a confidence interval of the metric is computed from


@dataclass(frozen=True)
class Metric:
    name: str
    compute: Callable[[Stats], float | None]
    unit: str  # share (0-1), s, or the answer scale
    higher_is_better: bool
    label: str
    evidence: Callable[[Stats], Evidence] | None  # None: not comparable contact by contact (occupancy)
    margin: float  # the default difference that matters, in the metric's own unit


def _proportion(successes: Callable[[Stats], float], trials: Callable[[Stats], float]) -> Callable[[Stats], Evidence]:
    return lambda s: Proportion(successes(s), trials(s))


def _proportion_of(successes: str, trials: str) -> Callable[[Stats], Evidence]:
    return lambda s: Proportion(s[successes], s[trials])


def _moments(total: str, squares: str, count: str) -> Callable[[Stats], Evidence]:
    return lambda s: Moments(s[total], s[squares], int(s[count]))


def _scores(prefix: str, scale: range) -> Callable[[Stats], Evidence]:
    return lambda s: {score: s[f"{prefix}_{score}"] for score in scale}


def _nps_histogram(stats: Stats) -> Evidence:
    """NPS is the mean of +100 per promoter, 0 per passive and -100 per detractor."""
    return {
        100: stats["nps_9"] + stats["nps_10"],
        0: stats["nps_7"] + stats["nps_8"],
        -100: sum(stats[f"nps_{score}"] for score in range(7)),
    }


def _error_free_of(error_class: str) -> Callable[[Stats], float | None]:
    def compute(stats: Stats) -> float | None:
        return error_free(stats, error_class)

    return compute


def _answered(prefix: str, scale: range) -> Callable[[Stats], float]:
    return lambda s: _answers(s, prefix, scale)


METRICS: tuple[Metric, ...] = (
    Metric(
        "service_level",
        service_level,
        "share",
        True,
        "Service level",
        _proportion(lambda s: s["answered_within"], lambda s: s["offered"]),
        0.05,
    ),
    Metric(
        "asa_seconds",
        asa_seconds,
        "s",
        False,
        "Average speed of answer",
        _moments("wait_seconds", "wait_seconds_sq", "answered"),
        30,
    ),
    Metric(
        "aht_seconds",
        aht_seconds,
        "s",
        False,
        "Average handle time",
        _moments("handle_seconds", "handle_seconds_sq", "handled"),
        60,
    ),
    Metric(
        "abandon_rate",
        abandon_rate,
        "share",
        False,
        "Abandon rate",
        _proportion(lambda s: s["abandoned"], lambda s: s["offered"]),
        0.03,
    ),
    Metric("occupancy", occupancy, "share", True, "Occupancy", None, 0.05),
    Metric(
        "fcr_internal",
        fcr_internal,
        "share",
        True,
        "FCR (repeat contacts)",
        _proportion(lambda s: s["resolved"] - s["repeats"], lambda s: s["resolved"]),
        0.05,
    ),
    Metric(
        "fcr_reported",
        fcr_reported,
        "share",
        True,
        "FCR (customer-reported)",
        _proportion(lambda s: s["fcr_yes"], lambda s: s["fcr_yes"] + s["fcr_no"]),
        0.05,
    ),
    Metric(
        "csat",
        csat,
        "share",
        True,
        "CSAT (4-5 of 5)",
        _proportion(lambda s: s["csat_4"] + s["csat_5"], _answered("csat", CSAT_SCALE)),
        0.05,
    ),
    Metric("csat_mean", csat_mean, "1-5", True, "CSAT mean", _scores("csat", CSAT_SCALE), 0.2),
    Metric("nps", nps, "-100..100", True, "NPS", _nps_histogram, 10),
    Metric("ces", ces, "1-7", True, "CES mean", _scores("ces", CES_SCALE), 0.3),
    Metric(
        "ces_easy",
        ces_easy,
        "share",
        True,
        "CES (5-7 of 7)",
        _proportion(lambda s: sum(s[f"ces_{n}"] for n in (5, 6, 7)), _answered("ces", CES_SCALE)),
        0.05,
    ),
    Metric(
        "qa_score", qa_score, "0-100", True, "QA score", _moments("qa_score_sum", "qa_score_sq", "qa_evaluations"), 5
    ),
    *(
        Metric(
            f"qa_{cls}_error_free",
            _error_free_of(cls),
            "share",
            True,
            f"{cls.capitalize()}-critical error-free",
            _proportion_of(f"qa_{cls}_error_free", f"qa_{cls}_checked"),
            0.05,
        )
        for cls in QA_CLASSES
    ),
)
METRICS_BY_NAME = {metric.name: metric for metric in METRICS}


def figures(stats: Stats) -> dict[str, float | None]:
    """Every metric of a set of statistics: None where there is no data, never 0 for "unknown"."""
    return {metric.name: metric.compute(stats) for metric in METRICS}


# --- one contact's statistics ---------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceLevelTarget:
    """A channel's answer threshold: calendar seconds, or open seconds of a business-hours calendar."""

    seconds: float
    hours: BusinessHours | None = None  # None: calendar time

    def waited(self, start: dt.datetime, end: dt.datetime) -> float:
        if self.hours is None:
            return max(0.0, (end - start).total_seconds())
        return self.hours.open_seconds_between(start, end)


@dataclass(frozen=True)
class ContactFact:
    """What one conversation tells the metrics, as read from the hub's tables."""

    channel: str
    first_inbound_at: dt.datetime
    first_response_at: dt.datetime | None
    status: str
    resolved: bool
    repeated: bool  # reopened, or the same customer came back about the same touchpoint within N days
    handle_seconds: float | None  # summed over the conversation's interactions; None when none was recorded
    call: Mapping[str, Any] | None = None  # the first inbound call's queue record (voice)


def contact_stats(fact: ContactFact, *, target: ServiceLevelTarget, now: dt.datetime) -> Stats:
    """The counts one contact adds.

    Answered and waited: a call from its queue record (answered when talked to, abandoned as recorded);
    any other channel from the first agent response. An unanswered contact is offered once its wait
    has passed the threshold, since it can no longer be answered in time; a chat closed before any
    answer was abandoned. A voicemail or a contact still inside its threshold is not yet offered.
    """
    stats = Stats(contacts=1)
    answered = abandoned = False
    wait: float | None = None
    if fact.call is not None:
        abandoned = bool(fact.call.get("abandoned"))
        wait = float(fact.call.get("queue_seconds") or 0)
        answered = not abandoned and float(fact.call.get("talk_seconds") or 0) > 0
    elif fact.first_response_at is not None:
        answered = True
        wait = target.waited(fact.first_inbound_at, fact.first_response_at)
    elif fact.channel == "chat" and fact.status in ("resolved", "closed"):
        abandoned = True
    if answered and wait is not None:
        stats.add("offered")
        stats.add("answered")
        stats.add("wait_seconds", wait)
        stats.add("wait_seconds_sq", wait * wait)
        stats.add("answered_within", int(wait <= target.seconds))
    elif abandoned:
        stats.add("offered")
        stats.add("abandoned")
        stats.add("abandoned_short", int(wait is not None and wait < SHORT_ABANDON_SECONDS))
    elif fact.call is None and target.waited(fact.first_inbound_at, now) > target.seconds:
        stats.add("offered")
    if fact.handle_seconds:
        stats.add("handled")
        stats.add("handle_seconds", fact.handle_seconds)
        stats.add("handle_seconds_sq", fact.handle_seconds * fact.handle_seconds)
    if fact.resolved:
        stats.add("resolved")
        stats.add("repeats", int(fact.repeated))
    return stats


def answer_stats(question: str, score: int) -> Stats:
    """One survey answer's counts; a score off the question's scale raises ValueError."""
    scale = SURVEY_QUESTIONS.get(question)
    if scale is None:
        raise ValueError(f"unknown question {question!r}: one of {', '.join(SURVEY_QUESTIONS)}")
    if score not in scale:
        raise ValueError(f"a {question} score is {scale.start}-{scale.stop - 1}, not {score}")
    if question == "fcr":
        return Stats({"fcr_yes" if score else "fcr_no": 1})
    return Stats({f"{question}_{score}": 1})


def evaluation_stats(score: float, errors_by_class: Mapping[str, bool]) -> Stats:
    """One QA evaluation: its score 0-100 and, per class it checked, whether it was free of errors."""
    stats = Stats(qa_evaluations=1, qa_score_sum=score, qa_score_sq=score * score)
    for cls, error in errors_by_class.items():
        stats.add(f"qa_{cls}_checked")
        stats.add(f"qa_{cls}_error_free", int(not error))
    return stats
