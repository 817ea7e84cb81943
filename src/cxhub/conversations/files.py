"""Interaction files: CSV (the flat form of InteractionCreate) or NDJSON (one InteractionCreate a line), gzipped or not.

Read as a stream, one record at a time, so memory stays flat whatever the file's size.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, cast

from cxhub.kit.recordfile import UnreadableFile, file_format

CUSTOMER_COLUMNS = {
    "customer_email": "email",
    "customer_phone": "phone",
    "customer_platform": "platform",
    "customer_handle": "handle",
    "customer_seller": "seller",
    "customer_ref": "customer_ref",
    "customer_visitor_id": "visitor_id",
    "customer_name": "name",
    "customer_country": "country",
    "customer_language": "language",
    "customer_address": "address",
}
VOICE_COLUMNS = ("queue_seconds", "talk_seconds", "hold_seconds", "wrap_seconds", "abandoned")
TOP_COLUMNS = (
    "channel",
    "external_id",
    "occurred_at",
    "direction",
    "brand",
    "thread_ref",
    "subject",
    "text",
    "html",
    "seller",
    "order_ref",
    "rating",
    "handled_by",
    "url",
    "public",
    "kind",
    "handle_seconds",
    "needs_answer",
)
REQUIRED_COLUMNS = ("channel", "external_id", "occurred_at", "direction")
COLUMNS = (*TOP_COLUMNS, *CUSTOMER_COLUMNS, *VOICE_COLUMNS)


@dataclass(frozen=True)
class Record:
    """One row or line: the InteractionCreate-shaped data, or why it could not be read."""

    line: int
    data: dict[str, Any] | None
    raw: Any  # the cells (CSV) or the text (NDJSON), as read, for the rejects file
    error: str | None = None


def rejects_path(path: Path) -> Path:
    kind, gzipped = file_format(path)
    stem = path.name[: -len("".join(path.suffixes[-2:] if gzipped else path.suffixes[-1:]))]
    return path.with_name(f"{stem}.rejects.{kind}")


class InteractionFile:
    """An open interaction file; `records()` streams it, `position` is the bytes read so far (for progress)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.kind, gzipped = file_format(path)
        try:
            self._raw = path.open("rb")
        except OSError as exc:
            raise UnreadableFile(f"cannot open {path}: {exc.strerror or exc}") from exc
        self.size = path.stat().st_size
        self._stream: io.BufferedIOBase = gzip.GzipFile(fileobj=self._raw, mode="rb") if gzipped else self._raw
        self.header: list[str] = []

    @property
    def position(self) -> int:
        return self._raw.tell()

    def close(self) -> None:
        self._stream.close()
        self._raw.close()

    def records(self) -> Iterator[Record]:
        try:
            yield from self._csv() if self.kind == "csv" else self._ndjson()
        except (OSError, EOFError, UnicodeDecodeError, csv.Error) as exc:  # gzip, encoding and quoting errors
            raise UnreadableFile(f"stopped reading: {exc}") from exc

    def _ndjson(self) -> Iterator[Record]:
        for line, raw in enumerate(self._stream, start=1):
            if not raw.strip():
                continue
            try:
                text = raw.decode()
            except UnicodeDecodeError:
                yield Record(line, None, raw.decode(errors="replace").rstrip("\n"), "not UTF-8")
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield Record(line, None, text.rstrip("\n"), f"not JSON: {exc}")
                continue
            if not isinstance(data, dict):
                yield Record(line, None, text.rstrip("\n"), "not a JSON object")
                continue
            yield Record(line, data, text.rstrip("\n"))

    def _csv(self) -> Iterator[Record]:
        text = io.TextIOWrapper(cast(BinaryIO, self._stream), encoding="utf-8-sig", newline="")
        try:
            yield from self._csv_rows(csv.reader(text))
        finally:
            text.detach()  # the file stays open for `position` and is closed once, by `close`

    def _csv_rows(self, reader: Any) -> Iterator[Record]:
        self.header = [name.strip() for name in next(reader, [])]
        unknown = [name for name in self.header if name not in COLUMNS]
        missing = [name for name in REQUIRED_COLUMNS if name not in self.header]
        if unknown or missing or len(set(self.header)) != len(self.header):
            problems = [f"unknown column {name!r}" for name in unknown] + [f"no {name!r} column" for name in missing]
            raise UnreadableFile("; ".join(problems or ["a column is named twice"]) + " (see docs/cli.md)")
        line = reader.line_num + 1
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(self.header):
                yield Record(start, None, cells, f"{len(cells)} fields, the header has {len(self.header)}")
                continue
            yield Record(start, nested(dict(zip(self.header, cells, strict=True))), cells)


def nested(flat: dict[str, str]) -> dict[str, Any]:
    """The InteractionCreate shape of a CSV row; empty cells are left out."""
    data: dict[str, Any] = {}
    customer: dict[str, Any] = {}
    voice: dict[str, Any] = {}
    for name, value in flat.items():
        if value == "":
            continue
        if name in CUSTOMER_COLUMNS:
            customer[CUSTOMER_COLUMNS[name]] = value
        elif name in VOICE_COLUMNS:
            voice[name] = value
        else:
            data[name] = value
    data["customer"] = customer
    if voice:
        data["voice"] = voice
    return data
