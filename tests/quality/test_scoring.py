"""Scoring an evaluation: hand-worked scorecards, auto-fail, error classes, and properties of the formula."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cxhub.quality.scoring import NOT_APPLICABLE, AnswerProblem, Criterion, check_answers, fails, score

# The demo's "Lumen values" scorecard (docs/quality.md works this example).
LUMEN = [
    Criterion("greet", weight=1),
    Criterion("empathy", weight=2, max_points=4, pass_points=3, error_class="customer"),
    Criterion("correct", weight=3, error_class="customer"),
    Criterion("next_steps", weight=2, max_points=4),
    Criterion("records", weight=1, error_class="business"),
    Criterion("remedy", weight=2, error_class="business", allow_not_applicable=True),
    Criterion("identity", weight=2, error_class="compliance", auto_fail=True, allow_not_applicable=True),
    Criterion("data", weight=1, error_class="compliance", auto_fail=True),
]
WORKED = {
    "greet": 1,
    "empathy": 3,
    "correct": 1,
    "next_steps": 2,
    "records": 0,
    "remedy": NOT_APPLICABLE,
    "identity": 1,
    "data": 1,
}


def test_the_worked_example() -> None:
    """Applicable weight 12 (the remedy does not apply); 1 + 1.5 + 3 + 1 + 0 + 2 + 1 = 9.5; 100 x 9.5 / 12."""
    scored = score(LUMEN, WORKED)
    assert scored.score == pytest.approx(79.1667, abs=1e-4)
    assert scored.errors == {"customer": False, "business": True, "compliance": False}
    assert scored.failed == ("next_steps", "records")
    assert not scored.auto_failed


def test_a_failed_auto_fail_item_scores_zero_and_still_counts_its_errors() -> None:
    scored = score(LUMEN, {**WORKED, "identity": 0})
    assert scored.score == 0
    assert scored.auto_failed
    assert scored.errors == {"customer": False, "business": True, "compliance": True}


def test_an_auto_fail_item_that_does_not_apply_fails_nothing() -> None:
    scored = score(LUMEN, {**WORKED, "identity": NOT_APPLICABLE})
    assert not scored.auto_failed
    assert scored.score == pytest.approx(100 * 7.5 / 10)


def test_points_below_the_pass_mark_fail_and_the_default_pass_mark_is_full_marks() -> None:
    empathy, next_steps = LUMEN[1], LUMEN[3]
    assert not fails(empathy, 3)
    assert fails(empathy, 2)
    assert fails(next_steps, 3)
    assert not fails(next_steps, 4)
    assert score(LUMEN, {**WORKED, "empathy": 2}).errors["customer"] is True


def test_a_class_is_unchecked_when_the_scorecard_has_none_of_it_or_none_of_it_applies() -> None:
    card = [Criterion("a", weight=1, error_class="customer"), Criterion("b", weight=1, allow_not_applicable=True)]
    assert score(card, {"a": 1, "b": 0}).errors == {"customer": False, "business": None, "compliance": None}
    scored = score(LUMEN, {**WORKED, "remedy": NOT_APPLICABLE, "records": 1})
    assert scored.errors["business"] is False
    only_business_na = [
        Criterion("x", weight=1),
        Criterion("y", weight=1, error_class="business", allow_not_applicable=True),
    ]
    assert score(only_business_na, {"x": 1, "y": NOT_APPLICABLE}).errors["business"] is None


def test_yes_no_weights_alone() -> None:
    """Weights 3, 1, 1: a "no" on the heavy one leaves 2 of 5."""
    card = [Criterion("heavy", weight=3), Criterion("b", weight=1), Criterion("c", weight=1)]
    assert score(card, {"heavy": 0, "b": 1, "c": 1}).score == pytest.approx(40)
    assert score(card, {"heavy": 1, "b": 0, "c": 1}).score == pytest.approx(80)


@pytest.mark.parametrize(
    ("answers", "criterion", "reason"),
    [
        ({"nope": 1}, "nope", "no criterion"),
        ({"greet": 2}, "greet", "points are 0 to 1"),
        ({"empathy": -1}, "empathy", "points are 0 to 4"),
        ({"greet": NOT_APPLICABLE}, "greet", "cannot be marked not applicable"),
    ],
)
def test_answers_the_scorecard_cannot_take(answers: dict[str, int | None], criterion: str, reason: str) -> None:
    with pytest.raises(AnswerProblem, match=reason) as problem:
        check_answers(LUMEN, answers, complete=False)
    assert problem.value.criterion_id == criterion


def test_a_complete_evaluation_answers_every_criterion_and_one_applies() -> None:
    check_answers(LUMEN, {"greet": 1}, complete=False)
    with pytest.raises(AnswerProblem, match="answers missing for 7 criteria"):
        check_answers(LUMEN, {"greet": 1}, complete=True)
    card = [Criterion("a", weight=1, allow_not_applicable=True)]
    with pytest.raises(AnswerProblem, match="at least one criterion must apply"):
        score(card, {"a": NOT_APPLICABLE})


@st.composite
def scorecards(draw: st.DrawFn) -> tuple[list[Criterion], dict[str, int | None]]:
    count = draw(st.integers(1, 8))
    criteria = []
    answers: dict[str, int | None] = {}
    for n in range(count):
        max_points = draw(st.sampled_from([1, 3, 4, 5, 10]))
        criterion = Criterion(
            f"c{n}",
            weight=draw(st.floats(0.1, 50, allow_nan=False)),
            max_points=max_points,
            pass_points=draw(st.none() | st.integers(0, max_points)),
            error_class=draw(st.sampled_from([None, "customer", "business", "compliance"])),
            auto_fail=draw(st.booleans()),
            allow_not_applicable=n > 0 and draw(st.booleans()),  # the first always applies
        )
        criteria.append(criterion)
        na = criterion.allow_not_applicable and draw(st.booleans())
        answers[criterion.id] = NOT_APPLICABLE if na else draw(st.integers(0, max_points))
    return criteria, answers


@given(scorecards())
def test_the_score_is_between_0_and_100_and_full_marks_score_100(
    card: tuple[list[Criterion], dict[str, int | None]],
) -> None:
    criteria, answers = card
    scored = score(criteria, answers)
    assert 0 <= scored.score <= 100
    full = {c.id: (c.max_points if answers[c.id] is not None else None) for c in criteria}
    assert score(criteria, full).score == pytest.approx(100)
    assert score(criteria, full).errors == {
        cls: (False if any(c.error_class == cls and full[c.id] is not None for c in criteria) else None)
        for cls in ("customer", "business", "compliance")
    }


@given(scorecards(), st.floats(0.01, 100, allow_nan=False))
def test_scaling_every_weight_leaves_the_score(
    card: tuple[list[Criterion], dict[str, int | None]], factor: float
) -> None:
    criteria, answers = card
    scaled = [dataclasses.replace(c, weight=c.weight * factor) for c in criteria]
    assert score(scaled, answers).score == pytest.approx(score(criteria, answers).score)


@given(scorecards(), st.data())
def test_more_points_never_lower_the_score(
    card: tuple[list[Criterion], dict[str, int | None]], data: st.DataObject
) -> None:
    criteria, answers = card
    applicable = [c for c in criteria if answers[c.id] is not None]
    criterion = data.draw(st.sampled_from(applicable))
    points = answers[criterion.id]
    assert points is not None
    better = {**answers, criterion.id: data.draw(st.integers(points, criterion.max_points))}
    assert score(criteria, better).score >= score(criteria, answers).score - 1e-9


@given(scorecards())
def test_not_applicable_is_the_same_as_leaving_the_criterion_out(
    card: tuple[list[Criterion], dict[str, int | None]],
) -> None:
    criteria, answers = card
    kept = [c for c in criteria if answers[c.id] is not None]
    assert score(kept, {c.id: answers[c.id] for c in kept}) == score(criteria, answers)
