"""Scoring one evaluation against its scorecard: the weighted score, auto-fail, and errors by COPC class.

score = 100 x sum(weight x points / max points) / sum(weight), over the criteria that apply (a criterion
may be answered "not applicable" when the scorecard allows it); 0 when any auto-fail criterion failed.

A criterion fails when its points are below its pass mark. On a yes/no criterion the pass mark is 1, so
"no" fails. On a points scale the pass mark is set per criterion and defaults to the maximum: short of
full marks is a failure unless the scorecard says how many points still pass. An evaluation has an error
of class X (customer-, business- or compliance-critical) when a criterion of class X failed; it checked
class X when at least one criterion of class X applied, and otherwise says nothing about it (None).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

ERROR_CLASSES = ("customer", "business", "compliance")
NOT_APPLICABLE = None  # the answer of a criterion that does not apply to this conversation


@dataclass(frozen=True, slots=True)
class Criterion:
    id: str
    weight: float
    max_points: int = 1  # 1 is a yes/no criterion
    pass_points: int | None = None  # None: the maximum
    error_class: str | None = None  # one of ERROR_CLASSES, or None
    auto_fail: bool = False
    allow_not_applicable: bool = False

    @property
    def pass_mark(self) -> int:
        return self.max_points if self.pass_points is None else self.pass_points


Answers = Mapping[str, int | None]  # criterion id -> points, or NOT_APPLICABLE


class AnswerProblem(ValueError):
    """An answer that the scorecard cannot take; `criterion_id` names it (None: the answers as a whole)."""

    def __init__(self, message: str, criterion_id: str | None = None) -> None:
        super().__init__(message)
        self.criterion_id = criterion_id


@dataclass(frozen=True, slots=True)
class Scored:
    score: float
    errors: dict[str, bool | None]  # class -> an error of it; None when no criterion of the class applied
    auto_failed: bool
    failed: tuple[str, ...]  # the ids of the criteria that failed, in scorecard order


def fails(criterion: Criterion, points: int) -> bool:
    return points < criterion.pass_mark


def check_answers(criteria: Sequence[Criterion], answers: Answers, *, complete: bool) -> None:
    """Refuse unknown criteria, points off the scale and "not applicable" where it is not allowed.

    With `complete`, every criterion needs an answer, and at least one must apply.
    """
    by_id = {c.id: c for c in criteria}
    for criterion_id, points in answers.items():
        criterion = by_id.get(criterion_id)
        if criterion is None:
            raise AnswerProblem(f"no criterion {criterion_id!r} on this scorecard", criterion_id)
        if points is NOT_APPLICABLE:
            if not criterion.allow_not_applicable:
                raise AnswerProblem("this criterion cannot be marked not applicable", criterion_id)
        elif not 0 <= points <= criterion.max_points:
            raise AnswerProblem(f"points are 0 to {criterion.max_points}, not {points}", criterion_id)
    if not complete:
        return
    missing = [c.id for c in criteria if c.id not in answers]
    if missing:
        raise AnswerProblem(f"answers missing for {len(missing)} criteria", missing[0])
    if all(answers[c.id] is NOT_APPLICABLE for c in criteria):
        raise AnswerProblem("at least one criterion must apply")


def score(criteria: Sequence[Criterion], answers: Answers) -> Scored:
    """The evaluation's score and errors; the answers must be complete (see check_answers)."""
    check_answers(criteria, answers, complete=True)
    weighted = total = 0.0
    failed: list[str] = []
    checked: dict[str, bool] = {}
    auto_failed = False
    for criterion in criteria:
        points = answers[criterion.id]
        if points is NOT_APPLICABLE:
            continue
        weighted += criterion.weight * points / criterion.max_points
        total += criterion.weight
        failure = fails(criterion, points)
        if failure:
            failed.append(criterion.id)
            auto_failed = auto_failed or criterion.auto_fail
        if criterion.error_class is not None:
            checked[criterion.error_class] = checked.get(criterion.error_class, False) or failure
    value = 0.0 if auto_failed else min(100.0, 100 * weighted / total)  # no rounding past full marks
    return Scored(
        score=value,
        errors={cls: checked.get(cls) for cls in ERROR_CLASSES},
        auto_failed=auto_failed,
        failed=tuple(failed),
    )
