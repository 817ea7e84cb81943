"""Accuracy measures for record linkage against known truth (used by identity_accuracy.py; not a benchmark).

Pairwise scores count the pairs of records a clustering implies, from cluster sizes and the
contingency table of (true person, predicted customer), never by listing pairs:

    true pairs      = sum over people of n(n-1)/2
    predicted pairs = sum over predicted customers of n(n-1)/2
    right pairs     = sum over (person, customer) cells of n(n-1)/2

Blocking recall says how many true pairs the blocking rules let the model see, in two senses:

- **direct**: the share of true pairs that some blocking rule compares (the pair is scored);
- **reachable**: the share of true pairs whose two records are connected through compared true pairs
  (a chain a-b, b-c joins a and c although a-c is never compared). Clustering joins records through
  such chains, so this is the most that clustering can find, and it is the figure the ">= 0.99" target
  of the blocking rules refers to. Direct recall is reported beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass

import duckdb


@dataclass(frozen=True)
class PairScores:
    true_pairs: int
    predicted_pairs: int
    right_pairs: int

    @property
    def precision(self) -> float:
        return self.right_pairs / self.predicted_pairs if self.predicted_pairs else 1.0

    @property
    def recall(self) -> float:
        return self.right_pairs / self.true_pairs if self.true_pairs else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict[str, float]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "true_pairs": self.true_pairs,
            "predicted_pairs": self.predicted_pairs,
            "right_pairs": self.right_pairs,
        }


def _pairs(sizes: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)


def pair_scores(labels: Iterable[tuple[Hashable, Hashable]]) -> PairScores:
    """Pairwise precision/recall/F1 from one (true person, predicted customer) per record."""
    cells: Counter[tuple[Hashable, Hashable]] = Counter(labels)
    truth: Counter[Hashable] = Counter()
    predicted: Counter[Hashable] = Counter()
    for (t, p), n in cells.items():
        truth[t] += n
        predicted[p] += n
    return PairScores(
        true_pairs=_pairs(truth.values()),
        predicted_pairs=_pairs(predicted.values()),
        right_pairs=_pairs(cells.values()),
    )


def pair_scores_sql(con: duckdb.DuckDBPyConnection, table: str) -> PairScores:
    """The same from a DuckDB table with columns `truth` and `predicted`, one row per record."""

    def pairs(group_by: str) -> int:
        sql = f"select coalesce(sum(n * (n - 1) // 2), 0) from (select count(*) n from {table} group by {group_by})"
        return int(con.execute(sql).fetchall()[0][0])

    return PairScores(
        true_pairs=pairs("truth"), predicted_pairs=pairs("predicted"), right_pairs=pairs("truth, predicted")
    )


@dataclass(frozen=True)
class BlockingRecall:
    true_pairs: int
    compared: int  # true pairs some rule compares
    reachable: int  # true pairs connected through compared true pairs
    per_rule: tuple[int, ...]  # true pairs each rule compares on its own

    @property
    def direct(self) -> float:
        return self.compared / self.true_pairs if self.true_pairs else 1.0

    @property
    def connected(self) -> float:
        return self.reachable / self.true_pairs if self.true_pairs else 1.0

    def as_dict(self) -> dict[str, float]:
        return {
            "direct": self.direct,
            "reachable": self.connected,
            "true_pairs": self.true_pairs,
            "true_pairs_compared": self.compared,
            "true_pairs_reachable": self.reachable,
        }


def _components(pairs: Iterable[tuple[Hashable, Hashable]]) -> Counter[Hashable]:
    """Sizes of the connected components (records with at least one edge) of an edge list."""
    parent: dict[Hashable, Hashable] = {}

    def find(x: Hashable) -> Hashable:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    return Counter(find(x) for x in list(parent))


def blocking_recall(
    con: duckdb.DuckDBPyConnection, table: str, rules: Sequence[str], *, truth: str = "truth", key: str = "unique_id"
) -> BlockingRecall:
    """Direct and reachable recall of blocking `rules` (SQL over `l.` and `r.`, as Splink writes them)
    on `table`, whose column `truth` names each record's true person."""
    flags = ", ".join(f"coalesce(({rule}), false) as b{i}" for i, rule in enumerate(rules)) or "false as b0"
    con.sql(
        f"""create or replace temp table __true_pairs as
        select l.{key} as id_l, r.{key} as id_r, {flags}
        from {table} l join {table} r on l.{truth} = r.{truth} and l.{key} < r.{key}"""
    )
    columns = [f"b{i}" for i in range(max(len(rules), 1))]
    any_rule = " or ".join(columns)
    counts = con.execute(
        "select count(*), count(*) filter (where "
        + any_rule
        + "), "
        + ", ".join(f"count(*) filter (where {c})" for c in columns)
        + " from __true_pairs"
    ).fetchall()[0]
    edges = con.execute(f"select id_l, id_r from __true_pairs where {any_rule}").fetchall()
    con.sql("drop table __true_pairs")
    reachable = _pairs(_components((a, b) for a, b in edges).values())
    return BlockingRecall(
        true_pairs=int(counts[0]),
        compared=int(counts[1]),
        reachable=reachable,
        per_rule=tuple(int(c) for c in counts[2:]) if rules else (),
    )
