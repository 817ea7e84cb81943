"""The decision policy on its own: which thresholds apply to a pair of sources, and what they decide."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxhub.customers.decisions import ScoredPair, Thresholds, decide, thresholds_for

DEFAULT = Thresholds(auto_merge=0.99, review=0.8)


@dataclass(frozen=True)
class Row:
    source_l: str
    source_r: str
    auto_merge: float
    review: float


ROWS = [
    Row("*", "*", 0.98, 0.7),
    Row("marketplace", "*", 0.999, 0.9),
    Row("marketplace", "estore", 0.995, 0.85),
]


@pytest.mark.parametrize(
    ("source_l", "source_r", "expected"),
    [
        ("estore", "retailer", Thresholds(0.98, 0.7)),  # only the wildcard row fits
        ("marketplace", "retailer", Thresholds(0.999, 0.9)),
        ("retailer", "marketplace", Thresholds(0.999, 0.9)),  # either order
        ("estore", "marketplace", Thresholds(0.995, 0.85)),  # both named beats one named
    ],
)
def test_the_most_specific_row_wins(source_l: str, source_r: str, expected: Thresholds) -> None:
    assert thresholds_for(ROWS, source_l, source_r, DEFAULT) == expected


def test_without_a_row_the_settings_apply() -> None:
    assert thresholds_for([ROWS[1]], "estore", "retailer", DEFAULT) == DEFAULT


def test_thresholds_must_be_ordered() -> None:
    with pytest.raises(ValueError, match="review <= auto_merge"):
        Thresholds(auto_merge=0.8, review=0.9)


@given(
    p=st.floats(0, 1),
    limits=st.tuples(st.floats(0, 1), st.floats(0, 1)).map(sorted),
)
def test_decide_merges_at_auto_reviews_between_and_leaves_the_rest(p: float, limits: list[float]) -> None:
    review, auto = limits
    decision = decide(ScoredPair("estore", "chat", p), Thresholds(auto_merge=auto, review=review))
    assert decision == ("merge" if p >= auto else "review" if p >= review else "apart")
