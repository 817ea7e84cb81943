"""Record files: CSV (a header row, then one record a row) or NDJSON (one JSON object a line), gzipped or not.

Read as a stream. A record that cannot be read comes back with its line number and the reason; a
file that cannot be read at all (its name, its header, its encoding) raises UnreadableFile.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

FORMATS = {".csv": "csv", ".ndjson": "ndjson", ".jsonl": "ndjson"}


class UnreadableFile(Exception):
    """The file as a whole cannot be read: missing, not gzip, not UTF-8, an unknown format or header."""


@dataclass(frozen=True)
class FileRecord:
    """One row or line: its fields (empty cells and nulls left out), or why it cannot be read."""

    line: int
    fields: dict[str, Any] | None
    error: str | None = None


def file_format(path: Path) -> tuple[str, bool]:
    """("csv" | "ndjson", gzipped) from the file name."""
    suffixes = [s.lower() for s in path.suffixes]
    gzipped = bool(suffixes) and suffixes[-1] == ".gz"
    if gzipped:
        suffixes = suffixes[:-1]
    kind = FORMATS.get(suffixes[-1]) if suffixes else None
    if kind is None:
        raise UnreadableFile("name the file .csv, .ndjson or .jsonl (optionally .gz)")
    return kind, gzipped


def read_records(path: Path, *, columns: Collection[str], required: Collection[str] = ()) -> Iterator[FileRecord]:
    """The file's records in file order; a CSV header may name only `columns` and must name `required`."""
    kind, gzipped = file_format(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise UnreadableFile(f"cannot open {path}: {exc.strerror or exc}") from exc
    with raw:
        binary = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            yield from _csv(text, columns, required) if kind == "csv" else _ndjson(text)
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:  # gzip, encoding and quoting errors
            raise UnreadableFile(f"stopped reading: {exc}") from exc


def _csv(text: IO[str], columns: Collection[str], required: Collection[str]) -> Iterator[FileRecord]:
    reader = csv.reader(text)
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in columns]
    missing = [name for name in required if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = [f"unknown column {name!r}" for name in unknown] + [f"no {name!r} column" for name in missing]
        raise UnreadableFile("; ".join(problems or ["a column is named twice"]) + " (see docs/cli.md)")
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield FileRecord(start, None, f"{len(cells)} fields, the header has {len(header)}")
            continue
        yield FileRecord(start, {name: value for name, value in zip(header, cells, strict=True) if value.strip()})


def _ndjson(text: IO[str]) -> Iterator[FileRecord]:
    for line, raw in enumerate(text, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield FileRecord(line, None, f"not JSON: {exc}")
            continue
        if not isinstance(data, dict):
            yield FileRecord(line, None, "not a JSON object")
            continue
        yield FileRecord(line, {name: value for name, value in data.items() if value is not None})


def reason(exc: ValidationError) -> str:
    """A validation error as one line: each field and what is wrong with it (a whole-record rule: just the rule)."""
    reasons = []
    for error in exc.errors():
        message = error["msg"].removeprefix("Value error, ")
        where = ".".join(str(part) for part in error["loc"])
        reasons.append(f"{where}: {message}" if where else message)
    return "; ".join(reasons)
