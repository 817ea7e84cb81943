"""What to do with a scored pair of customers: merge, queue for review, or leave apart. No database here.

Thresholds are set per pair of sources (`*` for any source); the most specific setting for the two
sources wins, in either order, and without one the defaults from the settings apply.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

Decision = Literal["merge", "review", "apart"]
ANY_SOURCE = "*"


@dataclass(frozen=True)
class Thresholds:
    auto_merge: float
    review: float

    def __post_init__(self) -> None:
        if not 0 <= self.review <= self.auto_merge <= 1:
            raise ValueError("thresholds need 0 <= review <= auto_merge <= 1")


@dataclass(frozen=True)
class ScoredPair:
    """Two records the linkage model scored, with the sources they came from."""

    source_l: str
    source_r: str
    match_probability: float


class ThresholdSetting(Protocol):
    """A stored threshold row (`match_thresholds`) or anything shaped like one."""

    @property
    def source_l(self) -> str: ...
    @property
    def source_r(self) -> str: ...
    @property
    def auto_merge(self) -> float: ...
    @property
    def review(self) -> float: ...


def thresholds_for(rows: Iterable[ThresholdSetting], source_l: str, source_r: str, default: Thresholds) -> Thresholds:
    """The most specific row for the two sources, in either order: both named, then one, then `*`/`*`."""
    best: tuple[int, ThresholdSetting] | None = None
    for row in rows:
        for a, b in ((source_l, source_r), (source_r, source_l)):
            if row.source_l in (a, ANY_SOURCE) and row.source_r in (b, ANY_SOURCE):
                wildcards = (row.source_l == ANY_SOURCE) + (row.source_r == ANY_SOURCE)
                if best is None or wildcards < best[0]:
                    best = (wildcards, row)
    if best is None:
        return default
    return Thresholds(auto_merge=best[1].auto_merge, review=best[1].review)


def decide(pair: ScoredPair, thresholds: Thresholds) -> Decision:
    """Merge at the auto-merge threshold or above, review from the review threshold up to it, else apart."""
    if pair.match_probability >= thresholds.auto_merge:
        return "merge"
    if pair.match_probability >= thresholds.review:
        return "review"
    return "apart"
