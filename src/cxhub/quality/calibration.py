"""Calibration sessions: several evaluators score the same conversations, and their scores are compared.

Agreement on categorical judgements (a critical error marked or not, pass or fail) is Cohen's kappa for
two evaluators and Fleiss' kappa for more; both measure agreement beyond what chance would give, on the
scale where 1 is perfect agreement and 0 is chance. Numeric scores are read as spread: for each
conversation the consensus (the evaluators' mean), the range and the standard deviation; for each evaluator
the mean deviation from consensus, absolute (how far off) and signed (harsh below 0, lenient above).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from statistics import fmean, pstdev
from typing import Generic, TypeVar

ItemT = TypeVar("ItemT", bound=Hashable)
EvaluatorT = TypeVar("EvaluatorT", bound=Hashable)


def cohen_kappa(a: Sequence[Hashable], b: Sequence[Hashable]) -> float | None:
    """Cohen's unweighted kappa between two evaluators' ratings of the same items, in the same order.

    None when it is undefined (no items). When chance agreement is certain (both evaluators gave every
    item the same one category) the agreement is perfect and kappa is 1.
    """
    if len(a) != len(b):
        raise ValueError(f"both evaluators must rate the same items: {len(a)} ratings against {len(b)}")
    n = len(a)
    if n == 0:
        return None
    agreements = sum(x == y for x, y in zip(a, b, strict=True))
    counts_a, counts_b = Counter(a), Counter(b)
    chance_pairs = sum(count * counts_b[category] for category, count in counts_a.items())
    if chance_pairs == n * n:
        return 1.0 if agreements == n else None
    return (n * agreements - chance_pairs) / (n * n - chance_pairs)


def fleiss_kappa(ratings: Sequence[Sequence[Hashable]]) -> float | None:
    """Fleiss' kappa (1971): each item's ratings by its raters, the same number of raters for every item.

    The raters need not be the same people from item to item. None when there are no items; 1 when every
    rating falls in one category.
    """
    if not ratings:
        return None
    raters = len(ratings[0])
    if any(len(item) != raters for item in ratings):
        raise ValueError("every item needs the same number of ratings")
    if raters < 2:
        raise ValueError("every item needs at least two ratings")
    items = len(ratings)
    agreeing_pairs = sum(count * (count - 1) for item in ratings for count in Counter(item).values())
    observed = Fraction(agreeing_pairs, items * raters * (raters - 1))
    totals = Counter(rating for item in ratings for rating in item)
    expected = Fraction(sum(total * total for total in totals.values()), (items * raters) ** 2)
    if expected == 1:
        return 1.0
    return float((observed - expected) / (1 - expected))


@dataclass(frozen=True, slots=True)
class ItemSpread(Generic[ItemT]):
    """How far apart the evaluators of one conversation were."""

    item: ItemT
    evaluators: int
    consensus: float
    range: float
    standard_deviation: float


@dataclass(frozen=True, slots=True)
class EvaluatorDeviation(Generic[EvaluatorT]):
    """One evaluator against consensus, over the conversations someone else scored too.

    `mean_signed_deviation` below 0 is a harsh evaluator, above 0 a lenient one; both means are None when
    the evaluator scored no conversation that another evaluator scored.
    """

    evaluator: EvaluatorT
    items: int
    mean_absolute_deviation: float | None
    mean_signed_deviation: float | None


@dataclass(frozen=True, slots=True)
class CalibrationReport(Generic[ItemT, EvaluatorT]):
    items: tuple[ItemSpread[ItemT], ...]
    evaluators: tuple[EvaluatorDeviation[EvaluatorT], ...]


def spread(scores: Mapping[ItemT, Mapping[EvaluatorT, float]]) -> CalibrationReport[ItemT, EvaluatorT]:
    """Spread per conversation and deviation from consensus per evaluator, in the order first seen.

    The standard deviation is the evaluators' own (divided by their number, not one less): it describes
    this panel rather than estimating a population's. A conversation scored by one evaluator has spread 0
    and takes no part in the deviation means (it has no consensus to deviate from); one scored by nobody
    is left out.
    """
    items: list[ItemSpread[ItemT]] = []
    deviations: dict[EvaluatorT, list[float]] = {}
    for item, by_evaluator in scores.items():
        if not by_evaluator:
            continue
        values = list(by_evaluator.values())
        consensus = fmean(values)
        items.append(
            ItemSpread(
                item=item,
                evaluators=len(values),
                consensus=consensus,
                range=float(max(values) - min(values)),
                standard_deviation=pstdev(values, consensus),
            )
        )
        for evaluator, score in by_evaluator.items():
            signed = deviations.setdefault(evaluator, [])
            if len(values) > 1:
                signed.append(score - consensus)
    return CalibrationReport(
        items=tuple(items),
        evaluators=tuple(
            EvaluatorDeviation(
                evaluator=evaluator,
                items=len(signed),
                mean_absolute_deviation=math.fsum(abs(d) for d in signed) / len(signed) if signed else None,
                mean_signed_deviation=math.fsum(signed) / len(signed) if signed else None,
            )
            for evaluator, signed in deviations.items()
        ),
    )
