"""Imports of flat records from files (CSV or NDJSON), read by a channel adapter. Services flush, never commit.

A file is read in batches; the caller commits each batch in its own transaction, so an import that
stops part-way keeps what it committed and a re-run finds those rows as duplicates.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cxhub.channels.adapter import adapter
from cxhub.channels.adapters.records import RecordAdapter, RecordError
from cxhub.conversations import service as conversations
from cxhub.errors import CxhubError


@dataclass(frozen=True)
class Row:
    """One record of a file: its line number, the record or why it could not be read, and its text."""

    line: int
    record: dict[str, Any] | None
    error: str | None
    text: str


@dataclass
class ImportTally:
    created: int = 0
    duplicate: int = 0
    rejected: list[tuple[Row, str]] = field(default_factory=list)

    def add(self, other: ImportTally) -> None:
        self.created += other.created
        self.duplicate += other.duplicate
        self.rejected.extend(other.rejected)


def record_adapter(name: str) -> RecordAdapter:
    found = adapter(name)
    if not isinstance(found, RecordAdapter):
        raise CxhubError(f"the {name} adapter reads no flat records", status=422, field="adapter")
    return found


def file_format(path: Path) -> str:
    """ "csv" or "ndjson", from the file name, else from the first character."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".ndjson", ".jsonl", ".json"):
        return "ndjson"
    with path.open(encoding="utf-8-sig") as file:
        head = file.read(1024).lstrip()
    return "ndjson" if head.startswith("{") else "csv"


def rows_in(path: Path) -> Iterator[Row]:
    """Every record of a CSV file (header row first) or an NDJSON file, with its line number."""
    with path.open(encoding="utf-8-sig", newline="") as file:
        if file_format(path) == "ndjson":
            for number, text in enumerate(file, start=1):
                if not text.strip():
                    continue
                try:
                    value = json.loads(text)
                except json.JSONDecodeError as exc:
                    yield Row(number, None, f"not JSON: {exc.msg} at column {exc.colno}", text.rstrip("\n"))
                    continue
                if isinstance(value, dict):
                    yield Row(number, value, None, text.rstrip("\n"))
                else:
                    yield Row(number, None, "each line must be a JSON object", text.rstrip("\n"))
            return
        reader = csv.DictReader(file)
        start = 2
        for record in reader:
            text = json.dumps(record, ensure_ascii=False)
            if None in record:  # more cells than the header names
                yield Row(start, None, "more cells than the header has columns", text)
            else:
                yield Row(start, {k: v for k, v in record.items() if k}, None, text)
            start = reader.line_num + 1


def import_rows(session: Session, *, adapter_name: str, rows: list[Row], brand: str | None) -> ImportTally:
    """Record each row as an interaction; a row that cannot be read or stored is rejected with its reasons."""
    reader = record_adapter(adapter_name)
    tally = ImportTally()
    for row in rows:
        if row.record is None:
            tally.rejected.append((row, row.error or "unreadable"))
            continue
        try:
            interaction_create = reader.read(row.record)
        except RecordError as exc:
            tally.rejected.append((row, str(exc)))
            continue
        if brand is not None:
            interaction_create = interaction_create.model_copy(update={"brand": brand})
        try:
            with session.begin_nested():
                recorded = conversations.record_interaction(session, interaction_create=interaction_create)
        except CxhubError as exc:
            tally.rejected.append((row, f"{exc.field}: {exc.message}" if exc.field else exc.message))
            continue
        if recorded.duplicate:
            tally.duplicate += 1
        else:
            tally.created += 1
    return tally
