"""The consistency gap's statistics against published worked examples, hand-worked cases and properties."""

from __future__ import annotations

import math
import time
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxhub.analytics.statistics import (
    PERCENTAGE_POINTS,
    SCORE,
    SECONDS,
    Histogram,
    Interval,
    Moments,
    Proportion,
    Stratum,
    Unit,
    bootstrap_mean_difference,
    normal_mean_difference,
    proportion_difference,
    standardised_proportion_difference,
    verdict,
    wilson_interval,
)

Z95 = NormalDist().inv_cdf(0.975)


@st.composite
def counts(draw: st.DrawFn, max_trials: int = 10_000) -> Proportion:
    trials = draw(st.integers(min_value=1, max_value=max_trials))
    return Proportion(draw(st.integers(min_value=0, max_value=trials)), trials)


# Wilson


def test_wilson_without_trials_is_none() -> None:
    assert wilson_interval(0, 0) is None


def test_wilson_none_of_ten_opens_at_zero() -> None:
    """At 0 successes the bounds are 0 and z^2 / (n + z^2)."""
    assert wilson_interval(0, 10) == (0.0, pytest.approx(Z95**2 / (10 + Z95**2)))
    assert wilson_interval(0, 10) == (0.0, pytest.approx(0.2775, abs=5e-5))


def test_wilson_ten_of_ten_closes_at_one() -> None:
    """At n successes the bounds are n / (n + z^2) and 1."""
    assert wilson_interval(10, 10) == (pytest.approx(10 / (10 + Z95**2)), 1.0)
    assert wilson_interval(10, 10) == (pytest.approx(0.7225, abs=5e-5), 1.0)


def test_wilson_one_of_one() -> None:
    assert wilson_interval(1, 1) == (pytest.approx(1 / (1 + Z95**2)), 1.0)
    assert wilson_interval(1, 1) == (pytest.approx(0.2065, abs=5e-5), 1.0)


def test_wilson_hand_worked_two_of_ten() -> None:
    """z = 1.959964, z^2 = 3.841459; p = 0.2, n = 10.

    denominator = 1 + z^2/n = 1.384146
    centre = (p + z^2/2n) / denominator = (0.2 + 0.192073) / 1.384146 = 0.283260
    half-width = z / denominator * sqrt(p(1-p)/n + z^2/4n^2) = 1.416010 * sqrt(0.016 + 0.009604) = 0.226578
    interval = 0.283260 -/+ 0.226578 = (0.056682, 0.509838)
    """
    low, high = wilson_interval(2, 10) or (math.nan, math.nan)
    assert low == pytest.approx(0.056682, abs=1e-6)
    assert high == pytest.approx(0.509838, abs=1e-6)


@pytest.mark.parametrize(
    ("successes", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611), (1, 29, 0.0061, 0.1718)],
)
def test_wilson_matches_newcombe_1998_single_proportion_examples(
    successes: int, n: int, low: float, high: float
) -> None:
    """Newcombe (1998), two-sided intervals for the single proportion, Table I, method 3 (score, no correction)."""
    assert wilson_interval(successes, n) == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_wilson_widens_with_confidence() -> None:
    low90, high90 = wilson_interval(30, 100, 0.90) or (math.nan, math.nan)
    low99, high99 = wilson_interval(30, 100, 0.99) or (math.nan, math.nan)
    assert low99 < low90 < 0.3 < high90 < high99


@pytest.mark.parametrize(("successes", "n", "confidence"), [(-1, 10, 0.95), (11, 10, 0.95), (5, 10, 1.0), (5, 10, 0)])
def test_wilson_rejects_impossible_input(successes: float, n: float, confidence: float) -> None:
    with pytest.raises(ValueError, match=r"successes|confidence"):
        wilson_interval(successes, n, confidence)


@given(counts(max_trials=1_000_000), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_bounds_lie_in_unit_interval_and_contain_the_rate(count: Proportion, confidence: float) -> None:
    low, high = wilson_interval(count.successes, count.trials, confidence) or (math.nan, math.nan)
    assert 0.0 <= low <= count.successes / count.trials <= high <= 1.0


# Newcombe's hybrid score interval for a difference


@pytest.mark.parametrize(
    ("a", "b", "low", "high"),
    [
        (Proportion(56, 70), Proportion(48, 80), 0.0524, 0.3339),
        (Proportion(9, 10), Proportion(3, 10), 0.1705, 0.8090),
        (Proportion(6, 7), Proportion(2, 7), 0.0582, 0.8062),
        (Proportion(5, 56), Proportion(0, 29), -0.0381, 0.1926),
        (Proportion(0, 10), Proportion(0, 20), -0.1611, 0.2775),
        (Proportion(0, 10), Proportion(0, 10), -0.2775, 0.2775),
        (Proportion(10, 10), Proportion(0, 20), 0.6791, 1.0),
        (Proportion(10, 10), Proportion(0, 10), 0.6075, 1.0),
    ],
)
def test_difference_matches_newcombe_1998_method_10(a: Proportion, b: Proportion, low: float, high: float) -> None:
    """Newcombe (1998), difference between independent proportions, examples (a) to (h), method 10."""
    difference = proportion_difference(a, b)
    assert difference is not None
    assert difference.estimate == pytest.approx(a.successes / a.trials - b.successes / b.trials)
    assert difference.bounds == (pytest.approx(low, abs=5e-5), pytest.approx(high, abs=5e-5))


def test_difference_is_square_and_add_of_the_two_wilson_intervals() -> None:
    low1, high1 = wilson_interval(56, 70) or (math.nan, math.nan)
    low2, high2 = wilson_interval(48, 80) or (math.nan, math.nan)
    p1, p2 = 56 / 70, 48 / 80
    difference = proportion_difference(Proportion(56, 70), Proportion(48, 80))
    assert difference is not None
    assert difference.estimate == p1 - p2
    assert difference.low == pytest.approx(p1 - p2 - math.sqrt((p1 - low1) ** 2 + (high2 - p2) ** 2))
    assert difference.high == pytest.approx(p1 - p2 + math.sqrt((high1 - p1) ** 2 + (p2 - low2) ** 2))


def test_difference_without_trials_on_either_side_is_none() -> None:
    assert proportion_difference(Proportion(0, 0), Proportion(3, 10)) is None
    assert proportion_difference(Proportion(3, 10), Proportion(0, 0)) is None


def test_proportion_rejects_more_successes_than_trials() -> None:
    with pytest.raises(ValueError, match="successes"):
        Proportion(11, 10)


@given(counts(), counts())
def test_difference_interval_contains_the_difference(a: Proportion, b: Proportion) -> None:
    difference = proportion_difference(a, b)
    assert difference is not None
    assert -1.0 <= difference.low <= difference.estimate <= difference.high <= 1.0


@given(counts(), counts())
def test_difference_turns_over_when_the_sides_swap(a: Proportion, b: Proportion) -> None:
    forward, backward = proportion_difference(a, b), proportion_difference(b, a)
    assert forward is not None
    assert backward is not None
    assert (backward.low, backward.high) == (pytest.approx(-forward.high), pytest.approx(-forward.low))


# Standardisation on the partner's mix, proportions


def test_one_stratum_is_exactly_the_unstratified_comparison() -> None:
    partner, in_house = Proportion(56, 70), Proportion(48, 80)
    comparison = standardised_proportion_difference([Stratum(partner, in_house)])
    assert comparison is not None
    assert comparison.difference == proportion_difference(partner, in_house)
    assert comparison.partner == Interval(0.8, *(wilson_interval(56, 70) or (math.nan, math.nan)))
    assert comparison.in_house == Interval(0.6, *(wilson_interval(48, 80) or (math.nan, math.nan)))
    assert (comparison.strata, comparison.excluded_share, comparison.excluded_keys) == (1, 0.0, ())


@given(counts(), counts())
def test_one_stratum_reduces_exactly_for_any_counts(partner: Proportion, in_house: Proportion) -> None:
    comparison = standardised_proportion_difference([Stratum(partner, in_house)])
    assert comparison is not None
    assert comparison.difference == proportion_difference(partner, in_house)


def test_a_partner_on_the_easy_touchpoints_is_not_flattered() -> None:
    """Both sides resolve 90 % of password resets and 50 % of billing disputes; the partner takes mostly resets.

    Unstratified, the partner looks 30 points better (86 % against 57 %); on the partner's mix there is no gap.
    """
    strata = [
        Stratum(partner=Proportion(900, 1000), in_house=Proportion(180, 200), key="password reset"),
        Stratum(partner=Proportion(50, 100), in_house=Proportion(500, 1000), key="billing dispute"),
    ]
    crude = proportion_difference(Proportion(950, 1100), Proportion(680, 1200))
    assert crude is not None
    assert crude.low > 0.25
    comparison = standardised_proportion_difference(strata)
    assert comparison is not None
    assert comparison.partner.estimate == pytest.approx(950 / 1100)
    assert comparison.in_house.estimate == pytest.approx(10 / 11 * 0.9 + 1 / 11 * 0.5)
    assert comparison.difference.estimate == pytest.approx(0.0, abs=1e-12)
    assert comparison.difference.contains(0.0)


def test_standardised_rate_uses_the_effective_sample_size() -> None:
    """Weights 0.75 and 0.25 (partner 300 and 100 trials); in-house rates 0.5 on 200 and 0.2 on 50.

    p = 0.75 * 0.5 + 0.25 * 0.2 = 0.425
    variance = 0.75^2 * 0.25 / 200 + 0.25^2 * 0.16 / 50 = 0.000703125 + 0.0002 = 0.000903125
    n_eff = 0.425 * 0.575 / 0.000903125 = 270.588...
    """
    strata = [
        Stratum(partner=Proportion(240, 300), in_house=Proportion(100, 200)),
        Stratum(partner=Proportion(60, 100), in_house=Proportion(10, 50)),
    ]
    comparison = standardised_proportion_difference(strata)
    assert comparison is not None
    n_effective = 0.425 * 0.575 / 0.000903125
    low, high = wilson_interval(0.425 * n_effective, n_effective) or (math.nan, math.nan)
    assert comparison.in_house.estimate == pytest.approx(0.425)
    assert comparison.in_house.bounds == (pytest.approx(low), pytest.approx(high))
    partner, in_house = comparison.partner, comparison.in_house
    difference = partner.estimate - in_house.estimate
    assert comparison.difference.low == pytest.approx(
        difference - math.hypot(partner.estimate - partner.low, in_house.high - in_house.estimate)
    )
    assert comparison.difference.high == pytest.approx(
        difference + math.hypot(partner.high - partner.estimate, in_house.estimate - in_house.low)
    )


def test_standardised_rate_at_one_falls_back_to_the_weighting_sample_size() -> None:
    """Every partner answer a success: n_eff = 1 / (0.75^2 / 300 + 0.25^2 / 100) = 1 / 0.0025 = 400."""
    strata = [
        Stratum(partner=Proportion(300, 300), in_house=Proportion(100, 200)),
        Stratum(partner=Proportion(100, 100), in_house=Proportion(10, 50)),
    ]
    comparison = standardised_proportion_difference(strata)
    assert comparison is not None
    assert comparison.partner.estimate == 1.0
    assert comparison.partner.bounds == (pytest.approx(400 / (400 + Z95**2)), 1.0)


def test_strata_at_zero_and_one_fall_back_to_the_weighting_sample_size() -> None:
    """p = 0.5 yet every stratum rate is 0 or 1, so the variance formula gives 0/0; n_eff = 1 / (0.25/60 + 0.25/20)."""
    strata = [
        Stratum(partner=Proportion(0, 50), in_house=Proportion(0, 60)),
        Stratum(partner=Proportion(50, 50), in_house=Proportion(20, 20)),
    ]
    comparison = standardised_proportion_difference(strata)
    assert comparison is not None
    n_effective = 1 / (0.25 / 60 + 0.25 / 20)
    low, high = wilson_interval(0.5 * n_effective, n_effective) or (math.nan, math.nan)
    assert comparison.in_house.estimate == pytest.approx(0.5)
    assert comparison.in_house.bounds == (pytest.approx(low), pytest.approx(high))


def test_strata_with_equal_rates_and_mix_give_the_pooled_interval() -> None:
    """Splitting a stratum into two with the same rate on both sides, in the same proportions, changes nothing."""
    strata = [
        Stratum(partner=Proportion(8, 20), in_house=Proportion(12, 40)),
        Stratum(partner=Proportion(12, 30), in_house=Proportion(18, 60)),
    ]
    comparison = standardised_proportion_difference(strata)
    pooled = proportion_difference(Proportion(20, 50), Proportion(30, 100))
    assert comparison is not None
    assert pooled is not None
    assert comparison.difference.bounds == (pytest.approx(pooled.low), pytest.approx(pooled.high))


def test_partner_volume_without_in_house_data_is_reported_and_left_out() -> None:
    strata = [
        Stratum(partner=Proportion(80, 100), in_house=Proportion(70, 100), key=("billing", "chat")),
        Stratum(partner=Proportion(20, 25), in_house=Proportion(0, 0), key=("billing", "social")),
        Stratum(partner=Proportion(0, 0), in_house=Proportion(30, 40), key=("returns", "voice")),
    ]
    comparison = standardised_proportion_difference(strata)
    assert comparison is not None
    assert comparison.strata == 1
    assert comparison.excluded_share == pytest.approx(25 / 125)
    assert comparison.excluded_keys == (("billing", "social"),)
    assert comparison.difference == proportion_difference(Proportion(80, 100), Proportion(70, 100))


@pytest.mark.parametrize(
    "strata",
    [
        [],
        [Stratum(partner=Proportion(5, 10), in_house=Proportion(0, 0))],
        [Stratum(partner=Proportion(0, 0), in_house=Proportion(5, 10))],
    ],
)
def test_standardised_difference_without_common_strata_is_none(strata: list[Stratum[Proportion]]) -> None:
    assert standardised_proportion_difference(strata) is None


@given(st.lists(st.tuples(counts(2_000), counts(2_000)), min_size=1, max_size=8))
def test_standardised_intervals_contain_their_estimates(sides: list[tuple[Proportion, Proportion]]) -> None:
    comparison = standardised_proportion_difference([Stratum(partner, in_house) for partner, in_house in sides])
    assert comparison is not None
    for interval in (comparison.partner, comparison.in_house):
        assert 0.0 <= interval.low <= interval.estimate + 1e-12
        assert interval.estimate - 1e-12 <= interval.high <= 1.0
    assert comparison.difference.low <= comparison.difference.estimate + 1e-12
    assert comparison.difference.estimate - 1e-12 <= comparison.difference.high


# Means: stratified bootstrap over histograms

CSAT_IN_HOUSE: Histogram = {5: 520, 4: 280, 3: 100, 2: 60, 1: 40}


def test_identical_histograms_give_an_interval_around_zero() -> None:
    comparison = bootstrap_mean_difference([Stratum(CSAT_IN_HOUSE, CSAT_IN_HOUSE)])
    assert comparison is not None
    assert comparison.partner.estimate == pytest.approx(4.18)
    assert comparison.difference.estimate == 0.0
    assert comparison.difference.contains(0.0)


def test_a_clear_shift_excludes_zero() -> None:
    lower: Histogram = {5: 300, 4: 300, 3: 200, 2: 120, 1: 80}
    comparison = bootstrap_mean_difference([Stratum(lower, CSAT_IN_HOUSE)])
    assert comparison is not None
    assert comparison.difference.estimate == pytest.approx(3.62 - 4.18)
    assert comparison.difference.high < 0


def test_one_stratum_agrees_with_a_plain_two_sample_bootstrap() -> None:
    partner: Histogram = {5: 40, 4: 30, 3: 15, 2: 10, 1: 5}
    partner_answers, in_house_answers = (
        np.repeat(np.array(list(histogram), dtype=float), list(histogram.values()))
        for histogram in (partner, CSAT_IN_HOUSE)
    )
    rng = np.random.default_rng(7)
    plain = np.concatenate(
        [
            rng.choice(partner_answers, (2000, partner_answers.size)).mean(axis=1)
            - rng.choice(in_house_answers, (2000, in_house_answers.size)).mean(axis=1)
            for _ in range(10)
        ]
    )
    plain_low, plain_high = np.quantile(plain, [0.025, 0.975])
    comparison = bootstrap_mean_difference([Stratum(partner, CSAT_IN_HOUSE)], resamples=20_000)
    assert comparison is not None
    width = plain_high - plain_low
    assert comparison.difference.estimate == pytest.approx(partner_answers.mean() - in_house_answers.mean())
    assert comparison.difference.low == pytest.approx(plain_low, abs=0.03 * width)
    assert comparison.difference.high == pytest.approx(plain_high, abs=0.03 * width)


def test_the_same_seed_gives_the_same_intervals() -> None:
    strata = [Stratum({5: 10, 4: 5, 1: 3}, {5: 8, 3: 6, 2: 1}), Stratum({4: 7, 2: 2}, {5: 1, 4: 4, 3: 2})]
    assert bootstrap_mean_difference(strata, seed=11) == bootstrap_mean_difference(strata, seed=11)
    assert bootstrap_mean_difference(strata, seed=11) != bootstrap_mean_difference(strata, seed=12)


@pytest.mark.parametrize(
    "strata",
    [
        [],
        [Stratum({}, CSAT_IN_HOUSE)],
        [Stratum(CSAT_IN_HOUSE, {})],
        [Stratum({5: 0, 4: 0}, CSAT_IN_HOUSE)],
    ],
)
def test_bootstrap_without_answers_on_both_sides_is_none(strata: list[Stratum[Histogram]]) -> None:
    assert bootstrap_mean_difference(strata) is None


def test_bootstrap_standardises_on_the_partner_mix() -> None:
    """Same means per touchpoint on both sides; the partner's volume sits on the touchpoint that scores high."""
    easy: Histogram = {5: 90, 4: 10}
    hard: Histogram = {3: 500, 2: 500}
    strata = [
        Stratum(partner={5: 900, 4: 100}, in_house=easy, key="order status"),
        Stratum(partner={3: 50, 2: 50}, in_house=hard, key="complaint"),
        Stratum(partner={1: 100}, in_house={}, key="cancellation"),
    ]
    comparison = bootstrap_mean_difference(strata)
    assert comparison is not None
    assert comparison.partner.estimate == pytest.approx((900 * 5 + 100 * 4 + 50 * 3 + 50 * 2) / 1100)
    assert comparison.in_house.estimate == pytest.approx(comparison.partner.estimate)
    assert comparison.difference.contains(0.0)
    assert comparison.excluded_share == pytest.approx(100 / 1200)
    assert comparison.excluded_keys == ("cancellation",)


def test_bootstrap_reads_seconds_histograms() -> None:
    partner: Histogram = {120.5: 30, 300.0: 50, 610.25: 20}
    comparison = bootstrap_mean_difference([Stratum(partner, {120.5: 60, 300.0: 40})])
    assert comparison is not None
    assert comparison.difference.estimate == pytest.approx((120.5 * 30 + 300 * 50 + 610.25 * 20) / 100 - 192.3)
    assert comparison.difference.low > 0


def test_a_side_with_one_score_does_not_vary() -> None:
    comparison = bootstrap_mean_difference([Stratum({4: 12}, {4: 3})])
    assert comparison is not None
    assert comparison.difference == Interval(0.0, 0.0, 0.0)


def test_bootstrap_rejects_negative_counts_and_no_resamples() -> None:
    with pytest.raises(ValueError, match="negative"):
        bootstrap_mean_difference([Stratum({5: 3, 4: -1}, CSAT_IN_HOUSE)])
    with pytest.raises(ValueError, match="resamples"):
        bootstrap_mean_difference([Stratum(CSAT_IN_HOUSE, CSAT_IN_HOUSE)], resamples=0)


def test_bootstrap_of_a_million_answers_in_each_of_200_strata_is_fast() -> None:
    """Resampling counts, never answers: 2 x 200 multinomial draws of 2,000 resamples each."""
    rng = np.random.default_rng(3)
    strata: list[Stratum[Histogram]] = [
        Stratum(
            partner=dict(enumerate(rng.multinomial(1_000_000, rng.dirichlet(np.ones(5))).tolist(), start=1)),
            in_house=dict(enumerate(rng.multinomial(1_000_000, rng.dirichlet(np.ones(5))).tolist(), start=1)),
        )
        for _ in range(200)
    ]
    started = time.perf_counter()
    comparison = bootstrap_mean_difference(strata)
    elapsed = time.perf_counter() - started
    assert comparison is not None
    assert comparison.strata == 200
    assert elapsed < 3.0, f"{elapsed:.2f} s"


# Means from moments


def test_normal_difference_from_moments_of_one_stratum() -> None:
    """Partner 3 answers 1, 2, 3 (mean 2, variance 2/3); in-house 2 answers 4, 6 (mean 5, variance 1).

    standard error = sqrt(2/3 / 3 + 1 / 2) = sqrt(0.722222) = 0.849837
    """
    comparison = normal_mean_difference([Stratum(Moments(6, 14, 3), Moments(10, 52, 2))])
    assert comparison is not None
    half_width = Z95 * math.sqrt(Fraction(2, 9) + Fraction(1, 2))
    assert comparison.difference.estimate == pytest.approx(-3.0)
    assert comparison.difference.bounds == (pytest.approx(-3 - half_width), pytest.approx(-3 + half_width))
    assert comparison.partner.bounds == (
        pytest.approx(2 - Z95 * math.sqrt(2 / 9)),
        pytest.approx(2 + Z95 * math.sqrt(2 / 9)),
    )


def test_normal_difference_agrees_with_the_bootstrap_on_large_samples() -> None:
    partner: Histogram = {5: 4000, 4: 3000, 3: 1500, 2: 1000, 1: 500}
    in_house: Histogram = {5: 5200, 4: 2800, 3: 1000, 2: 600, 1: 400}

    def moments(histogram: Histogram) -> Moments:
        return Moments(
            total=sum(score * count for score, count in histogram.items()),
            total_squares=sum(score * score * count for score, count in histogram.items()),
            count=sum(histogram.values()),
        )

    normal = normal_mean_difference([Stratum(moments(partner), moments(in_house))])
    bootstrap = bootstrap_mean_difference([Stratum(partner, in_house)], resamples=20_000)
    assert normal is not None
    assert bootstrap is not None
    width = normal.difference.high - normal.difference.low
    assert normal.difference.estimate == pytest.approx(bootstrap.difference.estimate)
    assert bootstrap.difference.low == pytest.approx(normal.difference.low, abs=0.03 * width)
    assert bootstrap.difference.high == pytest.approx(normal.difference.high, abs=0.03 * width)


def test_normal_difference_without_common_strata_is_none() -> None:
    assert normal_mean_difference([Stratum(Moments(0, 0, 0), Moments(10, 52, 2))]) is None


# Verdicts


@pytest.mark.parametrize(
    ("difference", "interval", "margin", "higher_is_better", "unit", "kind", "text"),
    [
        (
            -0.041,
            (-0.07, -0.012),
            0.03,
            True,
            PERCENTAGE_POINTS,
            "worse",
            "worse by 4.1 points (CI -7.0 to -1.2 points)",
        ),
        (0.041, (0.012, 0.07), 0.03, True, PERCENTAGE_POINTS, "better", "better by 4.1 points (CI 1.2 to 7.0 points)"),
        (-0.32, (-0.45, -0.19), 0.1, True, SCORE, "worse", "worse by 0.32 (CI -0.45 to -0.19)"),
        (12.4, (5.2, 19.6), 10, False, SECONDS, "worse", "worse by 12 s (CI 5 to 20 s)"),
        (-12.4, (-19.6, -5.2), 10, False, SECONDS, "better", "better by 12 s (CI -20 to -5 s)"),
        (
            0.004,
            (-0.012, 0.02),
            0.03,
            True,
            PERCENTAGE_POINTS,
            "no_difference",
            "no difference (CI -1.2 to 2.0 points, within ±3.0 points)",
        ),
        (
            0.004,
            (-0.042, 0.05),
            0.03,
            True,
            PERCENTAGE_POINTS,
            "inconclusive",
            "not enough data to tell (CI -4.2 to 5.0 points)",
        ),
    ],
)
def test_verdict_reads_the_interval_against_the_margin(
    difference: float,
    interval: tuple[float, float],
    margin: float,
    higher_is_better: bool,
    unit: Unit,
    kind: str,
    text: str,
) -> None:
    result = verdict(difference, interval, margin, higher_is_better, unit)
    assert (result.kind, result.text) == (kind, text)
    assert (result.difference, result.low, result.high) == (difference, *interval)


def test_a_narrow_interval_reaching_past_the_margin_on_one_side_is_not_no_difference() -> None:
    """Width 0.05 is under 2 x 0.03, but the partner could still be 4.5 points worse."""
    result = verdict(-0.01, (-0.045, 0.005), 0.03, True, PERCENTAGE_POINTS)
    assert result.kind == "inconclusive"


def test_an_interval_touching_zero_includes_it() -> None:
    assert verdict(0.01, (0.0, 0.02), 0.03, True, PERCENTAGE_POINTS).kind == "no_difference"
    assert verdict(-0.01, (-0.05, 0.0), 0.03, True, PERCENTAGE_POINTS).kind == "inconclusive"


@pytest.mark.parametrize(
    ("interval", "higher_is_better", "opens"),
    [
        ((-0.09, -0.04), True, True),
        ((-0.09, -0.02), True, False),
        ((0.04, 0.09), True, False),
        ((15.0, 40.0), False, True),
        ((5.0, 40.0), False, False),
        ((-40.0, -15.0), False, False),
    ],
)
def test_opens_beyond_margin_only_when_the_whole_interval_is_past_it_on_the_worse_side(
    interval: tuple[float, float], higher_is_better: bool, opens: bool
) -> None:
    margin = 0.03 if higher_is_better else 10.0
    difference = sum(interval) / 2
    result = verdict(difference, interval, margin, higher_is_better, PERCENTAGE_POINTS)
    assert result.opens_beyond_margin is opens


def test_verdict_never_prints_a_negative_zero() -> None:
    result = verdict(-0.0004, (-0.0004, -0.0001), 0.03, True, PERCENTAGE_POINTS)
    assert result.text == "worse by 0.0 points (CI 0.0 to 0.0 points)"


def test_verdict_rejects_bounds_out_of_order_and_a_negative_margin() -> None:
    with pytest.raises(ValueError, match="order"):
        verdict(0.0, (0.1, -0.1), 0.03, True, PERCENTAGE_POINTS)
    with pytest.raises(ValueError, match="margin"):
        verdict(0.0, (-0.1, 0.1), -0.03, True, PERCENTAGE_POINTS)


@given(
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=0, max_value=1),
    st.floats(min_value=0, max_value=0.5),
    st.booleans(),
)
def test_every_interval_gets_exactly_one_reading(low: float, width: float, margin: float, higher: bool) -> None:
    high = low + width
    result = verdict((low + high) / 2, (low, high), margin, higher, PERCENTAGE_POINTS)
    includes_zero = low <= 0 <= high
    assert (result.kind in {"no_difference", "inconclusive"}) is includes_zero
    if result.kind == "no_difference":
        assert high - low < 2 * margin
    if result.opens_beyond_margin:
        assert result.kind == "worse"
