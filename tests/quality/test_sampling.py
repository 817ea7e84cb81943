"""Sampling conversations for QA: allocation to strata, stratified and targeted samples, determinism."""

from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxhub.quality.sampling import Contact, Target, allocate, strata_of, stratified, targeted


def test_proportional_allocation_by_largest_remainder() -> None:
    """10 of 60/30/10: quotas 6, 3, 1; 7 of them: 4.2, 2.1, 0.7 -> 4, 2, 0 and the last one to the largest remainder."""
    sizes = {"a": 60, "b": 30, "c": 10}
    assert allocate(sizes, 10, "proportional") == {"a": 6, "b": 3, "c": 1}
    assert allocate(sizes, 7, "proportional") == {"a": 4, "b": 2, "c": 1}


def test_equal_allocation_gives_a_small_stratum_all_it_has_and_shares_the_rest() -> None:
    """12 over strata of 2, 20, 20: 2 from the small one, 5 from each of the others."""
    assert allocate({"small": 2, "x": 20, "y": 20}, 12, "equal") == {"small": 2, "x": 5, "y": 5}


def test_allocation_never_asks_for_more_than_the_frame() -> None:
    assert allocate({"a": 3, "b": 1}, 50, "equal") == {"a": 3, "b": 1}
    assert allocate({"a": 3, "b": 1}, 50, "proportional") == {"a": 3, "b": 1}
    assert allocate({}, 5, "equal") == {}


def _frame(n: int, organisations: int = 3, touchpoints: int = 2) -> list[Contact]:
    return [
        Contact(f"{i:026d}", organisation_id=f"org{i % organisations}", touchpoint_id=f"tp{i % touchpoints}")
        for i in range(n)
    ]


def test_a_stratified_sample_is_the_same_for_the_same_seed_in_any_order() -> None:
    frame = _frame(120)
    first = stratified(frame, size=12, allocation="equal", seed="november")
    shuffled = frame[:]
    random.Random(1).shuffle(shuffled)
    assert stratified(shuffled, size=12, allocation="equal", seed="november") == first
    assert stratified(frame, size=12, allocation="equal", seed="december") != first
    assert strata_of(first) == dict.fromkeys(strata_of(frame), 2)  # six strata, two each


def test_a_frame_may_not_hold_a_conversation_twice() -> None:
    with pytest.raises(ValueError, match="twice"):
        stratified([Contact("a"), Contact("a")], size=1, allocation="equal", seed="s")


def test_targeted_samples_pass_every_filter_set() -> None:
    frame = [
        Contact("1", agent_id="ann", channel="email", lowest_csat=1, handle_seconds=900, reopened=True),
        Contact("2", agent_id="ann", channel="chat", lowest_csat=5, handle_seconds=120),
        Contact("3", agent_id="bob", channel="email", lowest_csat=2, handle_seconds=1500),
        Contact("4", agent_id="bob", channel="email"),
    ]

    def ids(target: Target) -> list[str]:
        return [c.conversation_id for c in targeted(frame, target=target, size=10, seed="s")]

    assert ids(Target(agent_id="ann")) == ["1", "2"]
    assert ids(Target(csat_at_most=2)) == ["1", "3"]
    assert ids(Target(handle_seconds_at_least=1000)) == ["3"]
    assert ids(Target(reopened=True)) == ["1"]
    assert ids(Target(channel="email", agent_id="bob")) == ["3", "4"]
    assert ids(Target(channel="email", csat_at_most=1, agent_id="bob")) == []
    assert len(targeted(frame, target=Target(channel="email"), size=2, seed="s")) == 2


sizes_of_strata = st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(0, 40), max_size=8)


@given(sizes_of_strata, st.integers(0, 200), st.sampled_from(["equal", "proportional"]), st.text(max_size=5))
def test_allocation_sums_to_the_size_and_fits_every_stratum(
    sizes: dict[str, int], size: int, allocation: str, seed: str
) -> None:
    shares = allocate(sizes, size, allocation, seed=seed)  # type: ignore[arg-type]
    assert sum(shares.values()) == min(size, sum(sizes.values()))
    assert all(0 <= shares[k] <= sizes[k] for k in sizes)
    total = sum(sizes.values())
    if allocation == "proportional" and total:
        assert all(abs(shares[k] - min(size, total) * sizes[k] / total) < 1 for k in sizes)
    if allocation == "equal":
        open_shares = [shares[k] for k in sizes if shares[k] < sizes[k]]
        if open_shares:
            assert max(open_shares) - min(open_shares) <= 1
            # a full stratum got no more than an open one could: 23 over two of 12 gives 12 and 11
            assert all(shares[k] <= max(open_shares) + 1 for k in sizes)


@given(st.integers(0, 150), st.integers(0, 60), st.sampled_from(["equal", "proportional"]), st.text(max_size=5))
def test_a_sample_is_a_duplicate_free_subset_of_the_frame_of_the_asked_size(
    n: int, size: int, allocation: str, seed: str
) -> None:
    frame = _frame(n, organisations=4, touchpoints=3)
    sample = stratified(frame, size=size, allocation=allocation, seed=seed)  # type: ignore[arg-type]
    ids = [c.conversation_id for c in sample]
    assert len(ids) == len(set(ids)) == min(size, n)
    assert set(sample) <= set(frame)
    assert sample == stratified(reversed(frame), size=size, allocation=allocation, seed=seed)  # type: ignore[arg-type]
