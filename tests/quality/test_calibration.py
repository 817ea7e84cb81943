"""Calibration: Cohen's and Fleiss' kappa against their published examples, and the spread of scores."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxhub.quality.calibration import (
    CalibrationReport,
    EvaluatorDeviation,
    ItemSpread,
    cohen_kappa,
    fleiss_kappa,
    spread,
)


def ratings_from_counts(table: Sequence[Sequence[int]]) -> list[list[int]]:
    """Each row of counts per category (an item) as that item's list of ratings."""
    return [[category for category, count in enumerate(row) for _ in range(count)] for row in table]


# Cohen's kappa


def test_cohen_textbook_two_by_two() -> None:
    """20 yes/yes, 5 yes/no, 10 no/yes, 15 no/no: p_o = 0.70, p_e = 0.5 * 0.6 + 0.5 * 0.4 = 0.50, kappa 0.40."""
    a = ["yes"] * 25 + ["no"] * 25
    b = ["yes"] * 20 + ["no"] * 5 + ["yes"] * 10 + ["no"] * 15
    assert cohen_kappa(a, b) == pytest.approx(0.40)


def test_cohen_below_chance_is_negative() -> None:
    assert cohen_kappa(["pass", "fail", "pass", "fail"], ["fail", "pass", "fail", "pass"]) == pytest.approx(-1.0)


def test_cohen_of_one_shared_category_is_perfect() -> None:
    assert cohen_kappa(["pass"] * 6, ["pass"] * 6) == 1.0


def test_cohen_without_items_is_none() -> None:
    assert cohen_kappa([], []) is None


def test_cohen_needs_the_same_items() -> None:
    with pytest.raises(ValueError, match="same items"):
        cohen_kappa(["pass", "fail"], ["pass"])


@given(st.lists(st.sampled_from(["critical", "minor", "none"]), min_size=1).filter(lambda r: len(set(r)) > 1))
def test_cohen_of_identical_ratings_with_variation_is_one(ratings: list[str]) -> None:
    assert cohen_kappa(ratings, list(ratings)) == 1.0


@given(st.lists(st.tuples(st.sampled_from("abc"), st.sampled_from("abc")), min_size=1))
def test_cohen_is_symmetric_and_at_most_one(pairs: list[tuple[str, str]]) -> None:
    a, b = [first for first, _ in pairs], [second for _, second in pairs]
    kappa = cohen_kappa(a, b)
    assert kappa == cohen_kappa(b, a)
    assert kappa is None or kappa <= 1.0


# Fleiss' kappa

FOURTEEN_RATERS = [
    [0, 0, 0, 0, 14],
    [0, 2, 6, 4, 2],
    [0, 0, 3, 5, 6],
    [0, 3, 9, 2, 0],
    [2, 2, 8, 1, 1],
    [7, 7, 0, 0, 0],
    [3, 2, 6, 3, 0],
    [2, 5, 3, 2, 2],
    [6, 5, 2, 1, 0],
    [0, 2, 2, 3, 7],
]

FLEISS_1971_TABLE_1 = [
    [0, 0, 0, 6, 0],
    [0, 3, 0, 0, 3],
    [0, 1, 4, 0, 1],
    [0, 0, 0, 0, 6],
    [0, 3, 0, 3, 0],
    [2, 0, 4, 0, 0],
    [0, 0, 4, 0, 2],
    [2, 0, 3, 1, 0],
    [2, 0, 0, 4, 0],
    [0, 0, 0, 0, 6],
    [1, 0, 0, 5, 0],
    [1, 1, 0, 4, 0],
    [0, 3, 3, 0, 0],
    [1, 0, 0, 5, 0],
    [0, 2, 0, 3, 1],
    [0, 0, 5, 0, 1],
    [3, 0, 0, 1, 2],
    [5, 1, 0, 0, 0],
    [0, 2, 0, 4, 0],
    [1, 0, 2, 0, 3],
    [0, 0, 0, 0, 6],
    [0, 1, 0, 5, 0],
    [0, 2, 0, 1, 3],
    [2, 0, 0, 4, 0],
    [1, 0, 0, 4, 1],
    [0, 5, 0, 1, 0],
    [4, 0, 0, 0, 2],
    [0, 2, 0, 4, 0],
    [1, 0, 5, 0, 0],
    [0, 0, 0, 0, 6],
]


def test_fleiss_ten_items_fourteen_raters_by_hand() -> None:
    """The worked example of Wikipedia's "Fleiss' kappa" article: 10 items, 14 raters, 5 categories.

    Agreeing ordered pairs per item, sum_j n_ij (n_ij - 1): 182, 46, 56, 80, 60, 84, 44, 32, 52, 52 = 688,
    so P = 688 / (10 * 14 * 13) = 0.378. Category totals 20, 28, 39, 21, 32 of 140, so
    P_e = (400 + 784 + 1521 + 441 + 1024) / 140^2 = 4170 / 19600 = 0.213, and kappa = (P - P_e) / (1 - P_e).
    """
    observed, expected = Fraction(688, 1820), Fraction(4170, 19600)
    kappa = fleiss_kappa(ratings_from_counts(FOURTEEN_RATERS))
    assert kappa == pytest.approx(float((observed - expected) / (1 - expected)))
    assert kappa == pytest.approx(0.210, abs=5e-4)


def test_fleiss_1971_psychiatric_diagnoses() -> None:
    """Fleiss (1971), Table 1: 30 patients, 6 psychiatrists each, 5 diagnoses; the paper reports kappa = .430."""
    assert fleiss_kappa(ratings_from_counts(FLEISS_1971_TABLE_1)) == pytest.approx(0.430, abs=5e-4)


def test_fleiss_with_two_raters_is_scotts_pi() -> None:
    """Cohen's 2 x 2 example read with pooled marginals: p_o = 0.70, p_e = 0.55^2 + 0.45^2 = 0.505."""
    pairs = [["yes", "yes"]] * 20 + [["yes", "no"]] * 5 + [["no", "yes"]] * 10 + [["no", "no"]] * 15
    assert fleiss_kappa(pairs) == pytest.approx((0.70 - 0.505) / (1 - 0.505))


def test_fleiss_of_one_category_throughout_is_perfect() -> None:
    assert fleiss_kappa([["pass"] * 3] * 4) == 1.0


def test_fleiss_without_items_is_none() -> None:
    assert fleiss_kappa([]) is None


def test_fleiss_needs_the_same_number_of_raters_per_item() -> None:
    with pytest.raises(ValueError, match="same number"):
        fleiss_kappa([["pass", "pass", "fail"], ["pass", "fail"]])


def test_fleiss_needs_two_raters() -> None:
    with pytest.raises(ValueError, match="two ratings"):
        fleiss_kappa([["pass"], ["fail"]])


@given(
    st.lists(st.sampled_from(["critical", "minor", "none"]), min_size=2).filter(lambda r: len(set(r)) > 1),
    st.integers(min_value=2, max_value=8),
)
def test_fleiss_of_unanimous_items_with_variation_is_one(verdicts: list[Hashable], raters: int) -> None:
    assert fleiss_kappa([[verdict] * raters for verdict in verdicts]) == 1.0


@given(st.lists(st.lists(st.sampled_from("abc"), min_size=3, max_size=3), min_size=1))
def test_fleiss_is_at_most_one(ratings: list[list[str]]) -> None:
    kappa = fleiss_kappa(ratings)
    assert kappa is not None
    assert kappa <= 1.0


# Spread and deviation from consensus


def test_spread_of_a_calibration_session() -> None:
    """Three evaluators on two conversations; Bo scores low, Cy high."""
    report = spread(
        {
            "conversation 1": {"ana": 80.0, "bo": 70.0, "cy": 90.0},
            "conversation 2": {"ana": 60.0, "bo": 55.0, "cy": 74.0},
        }
    )
    assert report.items == (
        ItemSpread(
            "conversation 1",
            evaluators=3,
            consensus=80.0,
            range=20.0,
            standard_deviation=pytest.approx(8.165, abs=1e-3),
        ),
        ItemSpread(
            "conversation 2",
            evaluators=3,
            consensus=63.0,
            range=19.0,
            standard_deviation=pytest.approx(8.042, abs=1e-3),
        ),
    )
    assert report.evaluators == (
        EvaluatorDeviation("ana", items=2, mean_absolute_deviation=1.5, mean_signed_deviation=-1.5),
        EvaluatorDeviation("bo", items=2, mean_absolute_deviation=9.0, mean_signed_deviation=-9.0),
        EvaluatorDeviation("cy", items=2, mean_absolute_deviation=10.5, mean_signed_deviation=10.5),
    )


def test_signed_and_absolute_deviation_differ_when_an_evaluator_swings() -> None:
    report = spread({"c1": {"ana": 4, "bo": 2}, "c2": {"ana": 2, "bo": 4}})
    ana = report.evaluators[0]
    assert (ana.mean_absolute_deviation, ana.mean_signed_deviation) == (1.0, 0.0)


def test_a_conversation_scored_by_one_evaluator_has_no_spread_and_no_deviation() -> None:
    report = spread({"c1": {"ana": 80, "bo": 70}, "c2": {"ana": 50}, "c3": {"dee": 65}})
    assert report.items[1] == ItemSpread("c2", evaluators=1, consensus=50.0, range=0.0, standard_deviation=0.0)
    assert report.evaluators == (
        EvaluatorDeviation("ana", items=1, mean_absolute_deviation=5.0, mean_signed_deviation=5.0),
        EvaluatorDeviation("bo", items=1, mean_absolute_deviation=5.0, mean_signed_deviation=-5.0),
        EvaluatorDeviation("dee", items=0, mean_absolute_deviation=None, mean_signed_deviation=None),
    )


def test_spread_of_nothing_is_an_empty_report() -> None:
    assert spread({}) == CalibrationReport(items=(), evaluators=())
    assert spread({"c1": {}}) == CalibrationReport(items=(), evaluators=())


@given(
    st.dictionaries(
        st.integers(min_value=0, max_value=20),
        st.dictionaries(st.sampled_from(["ana", "bo", "cy", "dee"]), st.integers(min_value=0, max_value=100)),
    )
)
def test_signed_deviations_cancel_out_within_each_conversation(scores: dict[int, dict[str, int]]) -> None:
    report = spread(scores)
    for item in report.items:
        assert 0.0 <= item.standard_deviation <= item.range
    weighted = sum((e.mean_signed_deviation or 0.0) * e.items for e in report.evaluators)
    assert weighted == pytest.approx(0.0, abs=1e-9)
