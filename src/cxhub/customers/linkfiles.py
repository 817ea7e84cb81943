"""Record files for batch linkage: CSV or Parquet in, one table of text columns in DuckDB out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from cxhub.customers.linkage import FIELDS

RECORD_FIELDS = ("record_id", "source", *FIELDS)


class RecordFileError(ValueError):
    """A file that can't be linked as given; the message says which file and why."""


@dataclass(frozen=True)
class RecordTable:
    """The union of the input files as DuckDB table `raw_records`."""

    present: set[str]  # recognised fields with a value in at least one file
    compared: list[str]  # extra columns compared as given by --compare
    records: int


def source_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".csv", ".parquet", ".pq"):
        name = name.removesuffix(suffix)
    return name


def _relation(con: duckdb.DuckDBPyConnection, path: Path) -> duckdb.DuckDBPyRelation:
    text = str(path).replace("'", "''")
    suffixes = path.suffixes
    try:
        if ".parquet" in suffixes or ".pq" in suffixes:
            return con.sql(f"select * from read_parquet('{text}')")
        if ".csv" in suffixes or ".tsv" in suffixes:
            return con.sql(f"select * from read_csv('{text}', all_varchar = true, header = true)")
    except duckdb.Error as exc:
        raise RecordFileError(f"{path}: can't be read: {str(exc).splitlines()[0]}") from exc
    raise RecordFileError(f"{path}: not a .csv, .csv.gz or .parquet file")


def load_records(
    con: duckdb.DuckDBPyConnection,
    paths: Sequence[Path],
    *,
    renames: Mapping[str, str],
    compared: Sequence[str],
) -> RecordTable:
    """Read every file, rename its columns, check record ids, and union them into `raw_records`.

    `renames` maps a file's column to a recognised field (`unique_id` -> `record_id`); `compared`
    names further columns to compare as they are. A missing `record_id` column, a record without an
    id, or an id that occurs twice within one source is an error naming the file and the id.
    """
    unknown = sorted(set(renames.values()) - set(RECORD_FIELDS))
    if unknown:
        raise RecordFileError(f"--map names unknown fields: {', '.join(unknown)} (known: {', '.join(RECORD_FIELDS)})")
    selects: list[str] = []
    present: set[str] = set()
    columns_by_file: list[dict[str, str]] = []
    for path in paths:
        if not path.is_file():
            raise RecordFileError(f"{path}: no such file")
        relation = _relation(con, path)
        view = f"__input_{len(columns_by_file)}"
        con.register(view, relation)
        mapping: dict[str, str] = {}
        for column in relation.columns:
            target = renames.get(column, column)
            if target in RECORD_FIELDS or column in compared:
                mapping[target if column not in compared else column] = column
        if "record_id" not in mapping:
            raise RecordFileError(f"{path}: no record_id column (use --map COLUMN=record_id)")
        missing = [c for c in compared if c not in relation.columns]
        if missing:
            raise RecordFileError(f"{path}: no column {', '.join(missing)} to compare")
        columns_by_file.append(mapping)
        present |= {f for f in mapping if f in FIELDS}
        source = "'" + source_name(path).replace("'", "''") + "'"
        if "source" in mapping:
            source = f"coalesce(nullif(cast({_q(mapping['source'])} as varchar), ''), {source})"
        parts = [f"{source} as source", f"cast({_q(mapping['record_id'])} as varchar) as record_id"]
        for name in (*sorted(present_fields(mapping)), *compared):
            parts.append(f"cast({_q(mapping[name])} as varchar) as {_q(name)}")
        selects.append(f"select {', '.join(parts)} from {view}")
    all_fields = [*sorted(present), *compared]
    union = " union all by name ".join(f"({s})" for s in selects)
    con.sql(
        "create or replace table raw_records as select row_number() over () as unique_id, source, record_id"
        + "".join(f", {_q(name)}" for name in all_fields)
        + f" from ({union})"
    )
    _check_ids(con)
    count = con.execute("select count(*) from raw_records").fetchall()[0][0]
    return RecordTable(present=present, compared=list(compared), records=int(count))


def present_fields(mapping: Mapping[str, str]) -> set[str]:
    return {name for name in mapping if name in FIELDS}


def _check_ids(con: duckdb.DuckDBPyConnection) -> None:
    blank = con.execute(
        "select source, count(*) from raw_records where record_id is null or trim(record_id) = '' "
        "group by source limit 1"
    ).fetchall()
    if blank:
        raise RecordFileError(f"{blank[0][0]}: {blank[0][1]} records without a record_id")
    twice = con.execute(
        "select source, record_id, count(*) from raw_records group by source, record_id having count(*) > 1 limit 1"
    ).fetchall()
    if twice:
        source, record_id, count = twice[0]
        raise RecordFileError(f"{source}: record_id {record_id!r} occurs {count} times (ids are unique per source)")


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
