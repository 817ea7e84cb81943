"""Confidence intervals and plain-language verdicts for the consistency gap: partner minus in-house.

Everything works from the sufficient statistics a rollup keeps: successes and trials for a proportion,
a histogram (score -> count) or moments (sum, sum of squares, count) for a mean. Nothing here touches the
database.

Comparisons are standardised directly on the partner's mix, so that a partner that takes the easy
touchpoints is compared with what in-house achieves on those same touchpoints and channels:

    w_k = partner volume in stratum k / partner volume over the strata both sides served
    standardised rate of a side = sum over k of w_k * rate_k

A stratum the partner serves but in-house does not cannot be compared; its share of the partner's volume
is reported as `excluded_share`. Intervals:

- proportions: Wilson score interval for each side, on an effective sample size when stratified, and the
  difference by Newcombe's hybrid score method (Newcombe 1998, "Interval estimation for the difference
  between independent proportions", method 10);
- means from histograms: percentile bootstrap, resampled within each stratum and side;
- means from moments, where no histogram is kept: the normal approximation with the same weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist
from typing import Generic, Literal, TypeVar

import numpy as np
import numpy.typing as npt

Histogram = Mapping[int, int] | Mapping[float, int]
VerdictKind = Literal["no_difference", "inconclusive", "worse", "better"]
SideT = TypeVar("SideT")


@dataclass(frozen=True, slots=True)
class Proportion:
    """Successes out of trials; floats allowed, for effective sample sizes."""

    successes: float
    trials: float

    def __post_init__(self) -> None:
        if not 0 <= self.successes <= self.trials:
            raise ValueError(f"need 0 <= successes <= trials, got {self.successes} of {self.trials}")


@dataclass(frozen=True, slots=True)
class Moments:
    """A mean's sufficient statistics when no histogram is kept (e.g. handle seconds)."""

    total: float
    total_squares: float
    count: int

    def __post_init__(self) -> None:
        if self.count < 0:
            raise ValueError(f"count must not be negative, got {self.count}")


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate with the bounds of its confidence interval."""

    estimate: float
    low: float
    high: float

    @property
    def bounds(self) -> tuple[float, float]:
        return self.low, self.high

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


@dataclass(frozen=True, slots=True)
class Stratum(Generic[SideT]):
    """One cell of the mix (e.g. a touchpoint on a channel) with each side's statistics in it."""

    partner: SideT
    in_house: SideT
    key: Hashable = None


@dataclass(frozen=True, slots=True)
class StandardisedComparison:
    """Both sides standardised on the partner's mix, and partner minus in-house.

    `strata` counts the strata compared; `excluded_share` is the share of the partner's volume in strata
    where in-house has no data, and `excluded_keys` names those strata.
    """

    partner: Interval
    in_house: Interval
    difference: Interval
    strata: int
    excluded_share: float
    excluded_keys: tuple[Hashable, ...]


@dataclass(frozen=True, slots=True)
class _Mix(Generic[SideT]):
    strata: tuple[Stratum[SideT], ...]
    weights: tuple[float, ...]
    excluded_share: float
    excluded_keys: tuple[Hashable, ...]


def _check_confidence(confidence: float) -> None:
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")


def _z(confidence: float) -> float:
    _check_confidence(confidence)
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson_interval(successes: float, n: float, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for successes out of n; None when there are no trials.

    Unlike the Wald interval it stays inside [0, 1] and does not collapse to a point at 0 or n successes.
    """
    if not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes} of {n}")
    if n == 0:
        return None
    return _wilson(successes, n, _z(confidence))


def _wilson(successes: float, n: float, z: float) -> tuple[float, float]:
    z2 = z * z
    p = successes / n
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half_width = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half_width)
    high = 1.0 if successes == n else min(1.0, centre + half_width)
    return low, high


def _newcombe(p1: float, interval1: tuple[float, float], p2: float, interval2: tuple[float, float]) -> Interval:
    """Square-and-add of two single-proportion intervals into one for p1 - p2 (Newcombe's method 10)."""
    low1, high1 = interval1
    low2, high2 = interval2
    difference = p1 - p2
    low = difference - math.hypot(p1 - low1, high2 - p2)
    high = difference + math.hypot(high1 - p1, p2 - low2)
    return Interval(difference, max(-1.0, low), min(1.0, high))


def proportion_difference(a: Proportion, b: Proportion, confidence: float = 0.95) -> Interval | None:
    """a's rate minus b's with Newcombe's hybrid score interval; None when either side has no trials."""
    interval_a = wilson_interval(a.successes, a.trials, confidence)
    interval_b = wilson_interval(b.successes, b.trials, confidence)
    if interval_a is None or interval_b is None:
        return None
    return _newcombe(a.successes / a.trials, interval_a, b.successes / b.trials, interval_b)


def _partner_mix(strata: Sequence[Stratum[SideT]], volume: Callable[[SideT], float]) -> _Mix[SideT] | None:
    compared = tuple(stratum for stratum in strata if volume(stratum.partner) > 0 and volume(stratum.in_house) > 0)
    if not compared:
        return None
    uncovered = [stratum for stratum in strata if volume(stratum.partner) > 0 and volume(stratum.in_house) <= 0]
    covered_volume = math.fsum(volume(stratum.partner) for stratum in compared)
    uncovered_volume = math.fsum(volume(stratum.partner) for stratum in uncovered)
    return _Mix(
        strata=compared,
        weights=tuple(volume(stratum.partner) / covered_volume for stratum in compared),
        excluded_share=uncovered_volume / (covered_volume + uncovered_volume),
        excluded_keys=tuple(stratum.key for stratum in uncovered),
    )


def _trials(proportion: Proportion) -> float:
    return proportion.trials


def _standardised_proportion(sides: Sequence[Proportion], weights: Sequence[float], z: float) -> Interval:
    """The standardised rate with a Wilson interval on its effective sample size.

    n_eff = p(1 - p) / sum(w_k^2 p_k (1 - p_k) / n_k) is the sample size whose binomial variance equals the
    standardised rate's; where that is 0/0 (every stratum at 0 % or 100 %) it falls back to the sample size
    of the weighting alone, (sum(w_k^2 / n_k))^-1. A single stratum is the unstratified count itself.
    """
    if len(sides) == 1:
        (side,) = sides
        successes, n_effective = side.successes, side.trials
    else:
        rates = [side.successes / side.trials for side in sides]
        rate = min(1.0, max(0.0, math.fsum(w * p for w, p in zip(weights, rates, strict=True))))
        variance = math.fsum(
            w * w * p * (1 - p) / side.trials for w, p, side in zip(weights, rates, sides, strict=True)
        )
        if variance > 0 and 0 < rate < 1:
            n_effective = rate * (1 - rate) / variance
        else:
            n_effective = 1 / math.fsum(w * w / side.trials for w, side in zip(weights, sides, strict=True))
        successes = min(rate * n_effective, n_effective)
    return Interval(successes / n_effective, *_wilson(successes, n_effective, z))


def standardised_proportion_difference(
    strata: Sequence[Stratum[Proportion]], confidence: float = 0.95
) -> StandardisedComparison | None:
    """Partner minus in-house rate on the partner's mix, each side Wilson, the difference Newcombe.

    None when no stratum has trials on both sides. With one stratum this is `proportion_difference`.
    """
    z = _z(confidence)
    mix = _partner_mix(strata, _trials)
    if mix is None:
        return None
    partner = _standardised_proportion([s.partner for s in mix.strata], mix.weights, z)
    in_house = _standardised_proportion([s.in_house for s in mix.strata], mix.weights, z)
    return StandardisedComparison(
        partner=partner,
        in_house=in_house,
        difference=_newcombe(partner.estimate, partner.bounds, in_house.estimate, in_house.bounds),
        strata=len(mix.strata),
        excluded_share=mix.excluded_share,
        excluded_keys=mix.excluded_keys,
    )


def _support(histogram: Histogram) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The histogram's scores and counts as arrays, scores with no answers left out."""
    present = [(float(score), int(count)) for score, count in histogram.items() if count > 0]
    scores = np.array([score for score, _ in present], dtype=np.float64)
    counts = np.array([count for _, count in present], dtype=np.int64)
    return scores, counts


def _answers(histogram: Histogram) -> float:
    if any(count < 0 for count in histogram.values()):
        raise ValueError("histogram counts must not be negative")
    return float(sum(histogram.values()))


def _mean_and_resamples(
    histogram: Histogram, resamples: int, rng: np.random.Generator
) -> tuple[float, npt.NDArray[np.float64]]:
    """The observed mean and `resamples` bootstrap means: a resample of n answers is a multinomial draw of n."""
    scores, counts = _support(histogram)
    answers = int(counts.sum())
    mean = float(scores @ counts) / answers
    if len(scores) == 1:
        return mean, np.full(resamples, scores[0])
    draws = rng.multinomial(answers, counts / answers, size=resamples)
    means: npt.NDArray[np.float64] = draws @ scores / answers
    return mean, means


def _percentile_interval(estimate: float, draws: npt.NDArray[np.float64], confidence: float) -> Interval:
    tail = (1 - confidence) / 2
    low, high = np.quantile(draws, [tail, 1 - tail])
    return Interval(estimate, float(low), float(high))


def bootstrap_mean_difference(
    strata: Sequence[Stratum[Histogram]],
    resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
) -> StandardisedComparison | None:
    """Partner minus in-house mean on the partner's mix, with percentile bootstrap intervals.

    Each side of each stratum is resampled on its own (a stratified bootstrap) and the resampled means are
    standardised with the observed partner-mix weights, which stay fixed. None when no stratum has answers
    on both sides. The same seed gives the same intervals.
    """
    _check_confidence(confidence)
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples}")
    mix = _partner_mix(strata, _answers)
    if mix is None:
        return None
    rng = np.random.default_rng(seed)
    partner_draws = np.zeros(resamples)
    in_house_draws = np.zeros(resamples)
    partner_mean = in_house_mean = 0.0
    for weight, stratum in zip(mix.weights, mix.strata, strict=True):
        mean, draws = _mean_and_resamples(stratum.partner, resamples, rng)
        partner_mean += weight * mean
        partner_draws += weight * draws
        mean, draws = _mean_and_resamples(stratum.in_house, resamples, rng)
        in_house_mean += weight * mean
        in_house_draws += weight * draws
    return StandardisedComparison(
        partner=_percentile_interval(partner_mean, partner_draws, confidence),
        in_house=_percentile_interval(in_house_mean, in_house_draws, confidence),
        difference=_percentile_interval(partner_mean - in_house_mean, partner_draws - in_house_draws, confidence),
        strata=len(mix.strata),
        excluded_share=mix.excluded_share,
        excluded_keys=mix.excluded_keys,
    )


def _count(moments: Moments) -> float:
    return float(moments.count)


def _standardised_mean(sides: Sequence[Moments], weights: Sequence[float], z: float) -> tuple[Interval, float]:
    """The standardised mean with its normal interval, and the variance of the estimate."""
    mean = math.fsum(w * side.total / side.count for w, side in zip(weights, sides, strict=True))
    variance = math.fsum(
        w * w * max(0.0, side.total_squares / side.count - (side.total / side.count) ** 2) / side.count
        for w, side in zip(weights, sides, strict=True)
    )
    half_width = z * math.sqrt(variance)
    return Interval(mean, mean - half_width, mean + half_width), variance


def normal_mean_difference(
    strata: Sequence[Stratum[Moments]], confidence: float = 0.95
) -> StandardisedComparison | None:
    """Partner minus in-house mean on the partner's mix, from moments, with normal intervals.

    For means whose rollup keeps only sum, sum of squares and count, where the bootstrap has nothing to
    resample. The variance of each stratum mean is the sample's (divided by n) over n, which is what the
    bootstrap of that mean estimates, so the two agree on large samples. None when no stratum has data on
    both sides.
    """
    z = _z(confidence)
    mix = _partner_mix(strata, _count)
    if mix is None:
        return None
    partner, partner_variance = _standardised_mean([s.partner for s in mix.strata], mix.weights, z)
    in_house, in_house_variance = _standardised_mean([s.in_house for s in mix.strata], mix.weights, z)
    difference = partner.estimate - in_house.estimate
    half_width = z * math.sqrt(partner_variance + in_house_variance)
    return StandardisedComparison(
        partner=partner,
        in_house=in_house,
        difference=Interval(difference, difference - half_width, difference + half_width),
        strata=len(mix.strata),
        excluded_share=mix.excluded_share,
        excluded_keys=mix.excluded_keys,
    )


@dataclass(frozen=True, slots=True)
class Unit:
    """How a difference reads: multiplied by `scale`, rounded to `decimals`, followed by `suffix`."""

    scale: float
    decimals: int
    suffix: str

    def number(self, value: float) -> str:
        text = f"{value * self.scale:.{self.decimals}f}"
        return text.removeprefix("-") if float(text) == 0 else text

    def format(self, value: float) -> str:
        return f"{self.number(value)}{self.suffix}"


PERCENTAGE_POINTS = Unit(scale=100, decimals=1, suffix=" points")
SCORE = Unit(scale=1, decimals=2, suffix="")
SECONDS = Unit(scale=1, decimals=0, suffix=" s")


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a difference and its interval say, in a word (`kind`) and a sentence (`text`).

    `opens_beyond_margin` is true when the whole interval lies past the margin on the worse side: the
    partner is worse by more than the margin even at the interval's most favourable end.
    """

    difference: float
    low: float
    high: float
    kind: VerdictKind
    text: str
    opens_beyond_margin: bool


def verdict(
    difference: float, interval: tuple[float, float], margin: float, higher_is_better: bool, unit: Unit
) -> Verdict:
    """Read partner minus in-house against a margin, e.g. "worse by 4.1 points (CI -6.2 to -2.0 points)".

    - the interval excludes 0: "worse by X" or "better by X", by the metric's direction;
    - it includes 0 and lies wholly within (-margin, +margin): "no difference" (so its width is under
      2 x margin; a narrow interval that reaches past the margin on one side is not "no difference");
    - it includes 0 but reaches past the margin: "not enough data to tell".
    """
    low, high = interval
    if low > high:
        raise ValueError(f"interval bounds out of order: {low} > {high}")
    if margin < 0:
        raise ValueError(f"margin must not be negative, got {margin}")
    ci = f"CI {unit.number(low)} to {unit.format(high)}"
    kind: VerdictKind
    opens_beyond_margin = False
    if low > 0 or high < 0:
        worse = (high < 0) == higher_is_better
        kind = "worse" if worse else "better"
        opens_beyond_margin = worse and (high < -margin if higher_is_better else low > margin)
        text = f"{kind} by {unit.format(abs(difference))} ({ci})"
    elif -margin < low and high < margin:
        kind = "no_difference"
        text = f"no difference ({ci}, within ±{unit.format(margin)})"
    else:
        kind = "inconclusive"
        text = f"not enough data to tell ({ci})"
    return Verdict(
        difference=difference,
        low=low,
        high=high,
        kind=kind,
        text=text,
        opens_beyond_margin=opens_beyond_margin,
    )
