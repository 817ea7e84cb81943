"""Work-item files for `cxhub routing simulate`: CSV (a header row, then one item a row) or NDJSON, gzipped or not."""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from cxhub.conversations.files import UnreadableFile, file_format
from cxhub.routing.schemas import SimulatedContact

FIELDS = tuple(SimulatedContact.model_fields)
REQUIRED = ("id", "channel", "at")


@dataclass(frozen=True)
class Row:
    """One row or line: the contact it describes, or why it cannot be read."""

    line: int
    contact: SimulatedContact | None
    error: str | None = None


def read_rows(path: Path) -> Iterator[Row]:
    """The file's rows in file order; a bad row comes back with its reason, a bad file raises UnreadableFile."""
    kind, gzipped = file_format(path)
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise UnreadableFile(f"cannot open {path}: {exc.strerror or exc}") from exc
    with raw:
        binary = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        text = io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")
        try:
            yield from _csv(text) if kind == "csv" else _ndjson(text)
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:  # gzip, encoding and quoting errors
            raise UnreadableFile(f"stopped reading: {exc}") from exc


def _csv(text: IO[str]) -> Iterator[Row]:
    reader = csv.reader(text)
    header = [name.strip() for name in next(reader, [])]
    unknown = [name for name in header if name not in FIELDS]
    missing = [name for name in REQUIRED if name not in header]
    if unknown or missing or len(set(header)) != len(header):
        problems = [f"unknown column {name!r}" for name in unknown] + [f"no {name!r} column" for name in missing]
        raise UnreadableFile("; ".join(problems or ["a column is named twice"]) + " (see docs/cli.md)")
    line = reader.line_num + 1
    for cells in reader:
        start, line = line, reader.line_num + 1
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(header):
            yield Row(start, None, f"{len(cells)} fields, the header has {len(header)}")
            continue
        yield _checked(start, {name: value for name, value in zip(header, cells, strict=True) if value.strip()})


def _ndjson(text: IO[str]) -> Iterator[Row]:
    for line, raw in enumerate(text, start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
        except json.JSONDecodeError as exc:
            yield Row(line, None, f"not JSON: {exc}")
            continue
        if not isinstance(data, dict):
            yield Row(line, None, "not a JSON object")
            continue
        yield _checked(line, {name: value for name, value in data.items() if value is not None})


def _checked(line: int, data: dict[str, Any]) -> Row:
    try:
        return Row(line, SimulatedContact.model_validate(data))
    except ValidationError as exc:
        return Row(line, None, reason(exc))


def reason(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'row'}: {error['msg']}" for error in exc.errors()
    )
