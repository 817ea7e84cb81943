"""Identity resolution accuracy: pairwise precision, recall and F1 of `cxhub customers link` on labelled data.

    make bench
    .venv/bin/python benchmarks/identity_accuracy.py [--threshold P]

Data: ../shared/data/identity beside the repository (fake_1000 and historical_figures_with_errors_50k from
Splink's public data sets, each with its true `cluster`). The pairs a clustering implies are counted from
the contingency table of (true cluster, predicted key), so no pair is ever listed.

Beside our engine, the same 50k records go through Splink's own published example model for them
("Deduplicating 50k rows of historical persons", https://moj-analytical-services.github.io/splink/
demos/examples/duckdb/deduplicate_50k_synthetic.html: forename/surname, date of birth, postcode,
birth place and occupation, blocked on first name + surname and on surname + date of birth, clustered
at 0.95), in this one run, on this machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data" / "identity"
CXHUB = [sys.executable, "-m", "cxhub"]

DATASETS = {
    "fake_1000": (
        "fake_1000.csv",
        ["--map", "unique_id=record_id", "--map", "surname=last_name", "--map", "dob=date_of_birth"],
    ),
    "historical_50k": (
        "historical_figures_with_errors_50k.parquet",
        [
            *("--map", "unique_id=record_id", "--map", "surname=last_name", "--map", "dob=date_of_birth"),
            *("--map", "postcode_fake=postcode", "--compare", "birth_place", "--compare", "occupation"),
        ],
    ),
}


def pairwise(con: duckdb.DuckDBPyConnection, joined: str) -> dict[str, float]:
    """Precision, recall and F1 over pairs, from a table of (truth, predicted) per record."""

    def pairs(group_by: str) -> int:
        sql = f"select coalesce(sum(n * (n - 1) // 2), 0) from (select count(*) n from {joined} group by {group_by})"
        return int(con.execute(sql).fetchall()[0][0])

    both, true, predicted = pairs("truth, predicted"), pairs("truth"), pairs("predicted")
    precision = both / predicted if predicted else 1.0
    recall = both / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_pairs": true, "predicted_pairs": predicted}


def _reader(path: Path) -> str:
    return f"read_parquet('{path}')" if path.suffix == ".parquet" else f"read_csv('{path}', all_varchar = true)"


def ours(name: str, threshold: float | None, tmp: Path) -> dict[str, float]:
    file, args = DATASETS[name]
    out = tmp / f"{name}.csv"
    extra = ["--threshold", str(threshold)] if threshold is not None else []
    command = [*CXHUB, "customers", "link", str(DATA / file), *args, *extra, "--out", str(out), "--json"]
    summary = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    con = duckdb.connect()
    con.sql(
        f"""create table joined as select cast(t.cluster as varchar) truth, c.customer_key predicted
        from read_csv('{out}', all_varchar = true) c join {_reader(DATA / file)} t
        on cast(t.unique_id as varchar) = c.record_id"""
    )
    return {**pairwise(con, "joined"), "records": summary["records"], "seconds": summary["seconds"]}


def splink_example() -> dict[str, float]:
    """Splink's published model for historical_50k, trained and clustered as its example does."""
    import logging

    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.ERROR)
    started = time.perf_counter()
    con = duckdb.connect()
    con.sql(
        "create table people as select *, first_name || ' ' || surname as first_name_surname_concat "
        f"from {_reader(DATA / 'historical_figures_with_errors_50k.parquet')}"
    )
    settings = SettingsCreator(
        link_type="dedupe_only",
        blocking_rules_to_generate_predictions=[block_on("first_name", "surname"), block_on("surname", "dob")],
        comparisons=[
            cl.ForenameSurnameComparison(
                "first_name", "surname", forename_surname_concat_col_name="first_name_surname_concat"
            ),
            cl.DateOfBirthComparison("dob", input_is_string=True),
            cl.PostcodeComparison("postcode_fake"),
            cl.ExactMatch("birth_place").configure(term_frequency_adjustments=True),
            cl.ExactMatch("occupation").configure(term_frequency_adjustments=True),
        ],
        retain_intermediate_calculation_columns=True,
    )
    linker = Linker(DuckDBAPI(connection=con).register("people"), settings, log_level=None)
    linker.training.estimate_probability_two_random_records_match(
        [
            block_on("first_name", "surname", "dob"),
            block_on("substr(first_name,1,2)", "surname", "substr(postcode_fake,1,2)"),
            block_on("dob", "postcode_fake"),
        ],
        recall=0.6,
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_name", "surname"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
    predictions = linker.inference.predict(threshold_match_probability=0.2)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    con.sql(
        f"""create table joined as select cast(p.cluster as varchar) truth, cast(c.cluster_id as varchar) predicted
        from {clusters.physical_name} c join people p on p.unique_id = c.unique_id"""
    )
    seconds = round(time.perf_counter() - started, 2)
    return {**pairwise(con, "joined"), "records": 50578, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=None, help="link threshold (default: the CLI's)")
    args = parser.parse_args()
    if not DATA.is_dir():
        print(f"skipped: no labelled data at {DATA}")
        return
    rows: list[tuple[str, dict[str, float]]] = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in DATASETS:
            rows.append((f"cxhub  {name}", ours(name, args.threshold, Path(tmp))))
    rows.append(("Splink example  historical_50k", splink_example()))
    print(f"{'engine and data':34} {'records':>8} {'precision':>9} {'recall':>7} {'F1':>6} {'seconds':>8}")
    for label, r in rows:
        print(
            f"{label:34} {int(r['records']):>8,} {r['precision']:>9.4f} {r['recall']:>7.4f} {r['f1']:>6.4f} "
            f"{r['seconds']:>8.1f}"
        )
    ours_50k, example = rows[1][1], rows[-1][1]
    print(f"F1 on historical_50k: cxhub {ours_50k['f1']:.4f} vs Splink's example {example['f1']:.4f}")


if __name__ == "__main__":
    main()
