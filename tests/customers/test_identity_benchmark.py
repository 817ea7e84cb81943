"""The accuracy benchmark's own measures and data: pair counts on a hand-made case, a seeded generator."""

from __future__ import annotations

from pathlib import Path

import duckdb

from tests.customers.benchmark_code import load

metrics = load("identity_metrics")
synth = load("identity_synth")

# five records: people A (r1, r2, r3) and B (r4, r5); predicted customers x (r1, r2), y (r3, r4), z (r5)
LABELS = [("A", "x"), ("A", "x"), ("A", "y"), ("B", "y"), ("B", "z")]


def test_pair_scores_count_pairs_from_the_contingency_table() -> None:
    scores = metrics.pair_scores(LABELS)
    # true pairs: A has 3, B has 1; predicted: x 1, y 1; right: only (r1, r2)
    assert (scores.true_pairs, scores.predicted_pairs, scores.right_pairs) == (4, 2, 1)
    assert scores.precision == 0.5
    assert scores.recall == 0.25
    assert abs(scores.f1 - 1 / 3) < 1e-12


def test_pair_scores_in_sql_agree() -> None:
    con = duckdb.connect()
    con.sql("create table joined (truth varchar, predicted varchar)")
    con.executemany("insert into joined values (?, ?)", LABELS).fetchall()
    assert metrics.pair_scores_sql(con, "joined") == metrics.pair_scores(LABELS)


def test_blocking_recall_direct_and_through_chains() -> None:
    con = duckdb.connect()
    con.sql("create table records (unique_id integer, truth varchar, k1 varchar, k2 varchar)")
    rows = [(1, "A", "a", None), (2, "A", "a", "p"), (3, "A", None, "p"), (4, "A", "z", "q"), (5, "B", "b", "q")]
    con.executemany("insert into records values (?, ?, ?, ?)", rows).fetchall()
    recall = metrics.blocking_recall(con, "records", ["l.k1 = r.k1", "l.k2 = r.k2"])
    # A's 6 true pairs: 1-2 by k1, 2-3 by k2 (1-3 only through 2); record 4 is never compared; B has none
    assert (recall.true_pairs, recall.compared, recall.reachable) == (6, 2, 3)
    assert recall.per_rule == (1, 1)
    assert recall.direct == 2 / 6
    assert recall.connected == 3 / 6


def test_the_generator_is_deterministic_by_seed(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    counts = synth.write(first, 300, seed=3)
    assert synth.write(second, 300, seed=3) == counts
    synth.write(other, 300, seed=4)
    names = [p.name for p in synth.source_files(first)] + ["truth.csv"]
    assert all((first / n).read_bytes() == (second / n).read_bytes() for n in names)
    assert any((first / n).read_bytes() != (other / n).read_bytes() for n in names)
    truth = (first / "truth.csv").read_text().splitlines()
    assert len(truth) - 1 == sum(counts.values())
    assert set(counts) == set(synth.SOURCES)
    people = {line.rsplit(",", 1)[1] for line in truth[1:]}
    assert len(people) == 300  # every person has at least one record
