"""Work-item files for `cxhub routing simulate`: CSV (a header row, then one item a row) or NDJSON, gzipped or not."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from cxhub.kit.recordfile import read_records, reason
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
    for record in read_records(path, columns=FIELDS, required=REQUIRED):
        if record.fields is None:
            yield Row(record.line, None, record.error)
            continue
        try:
            yield Row(record.line, SimulatedContact.model_validate(record.fields))
        except ValidationError as exc:
            yield Row(record.line, None, reason(exc))
