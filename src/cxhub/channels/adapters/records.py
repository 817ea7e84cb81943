"""Flat records: what the voice, social, review and commerce adapters read, from webhooks and from files.

Each adapter names its own flat fields (`call_id`, `caller`, `started_at` ...) and may also recognise
a platform's own payload shape, which it flattens first. A record that cannot be read is refused with
one reason per field, so a dead letter or a rejects file says what to fix.
"""

from __future__ import annotations

import datetime as dt
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from cxhub.channels.adapter import Delivered, Outbound, ParseError
from cxhub.channels.adapters.generic import decode
from cxhub.config import Settings
from cxhub.conversations.schemas import InteractionCreate
from cxhub.customers import identifiers
from cxhub.kit.time import parse_aware

TRUE = {"true", "1", "yes", "y"}
FALSE = {"false", "0", "no", "n", ""}


class RecordError(Exception):
    """A record that cannot become an interaction; one reason per field."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = reasons


class RecordReader:
    """Typed reads of a flat record's fields, collecting every field's problem before refusing it.

    Values may be JSON-typed or strings (a CSV cell); an empty string is a missing value.
    """

    def __init__(self, record: Mapping[str, Any], *, fields: frozenset[str]) -> None:
        self.record = record
        self.errors: list[str] = [f"{name}: not a field of this record" for name in record if name not in fields]

    def fail(self, name: str, reason: str) -> None:
        self.errors.append(f"{name}: {reason}")

    def _raw(self, name: str, required: bool) -> Any:
        value = self.record.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value is None or value == "":
            if required:
                self.fail(name, "required")
            return None
        return value

    def text(self, name: str, *, required: bool = False, max_length: int = 500) -> str | None:
        value = self._raw(name, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            self.fail(name, "must be text")
            return None
        value = str(value)
        if len(value) > max_length:
            self.fail(name, f"at most {max_length} characters")
            return None
        return value

    def need_text(self, name: str, *, max_length: int = 500) -> str:
        """A required text; "" when missing, which done() refuses."""
        return self.text(name, required=True, max_length=max_length) or ""

    def need_timestamp(self, name: str) -> dt.datetime:
        """A required time; a placeholder when missing, which done() refuses."""
        return self.timestamp(name, required=True) or dt.datetime.min.replace(tzinfo=dt.UTC)

    def seconds(self, name: str, *, default: float = 0.0) -> float:
        value = self._raw(name, False)
        if value is None:
            return default
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(name, "must be a number of seconds")
            return default
        if isinstance(value, bool) or not 0 <= number <= 86_400:
            self.fail(name, "must be a number of seconds between 0 and 86400")
            return default
        return number

    def integer(self, name: str, *, low: int, high: int, required: bool = False) -> int | None:
        value = self._raw(name, required)
        if value is None:
            return None
        try:
            number = int(str(value))
        except ValueError:
            number = None
        if isinstance(value, bool) or number is None or not low <= number <= high:
            self.fail(name, f"must be a whole number from {low} to {high}")
            return None
        return number

    def amount(self, name: str) -> str | None:
        """A money amount kept exactly, as a decimal string."""
        value = self._raw(name, False)
        if value is None:
            return None
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            number = None
        if isinstance(value, bool) or number is None or not number.is_finite() or number < 0:
            self.fail(name, "must be an amount such as 59.90")
            return None
        return str(number)

    def boolean(self, name: str) -> bool | None:
        value = self._raw(name, False)
        if value is None or isinstance(value, bool):
            return value
        if str(value).lower() in TRUE:
            return True
        if str(value).lower() in FALSE:
            return False
        self.fail(name, "must be true or false")
        return None

    def timestamp(self, name: str, *, required: bool = False) -> dt.datetime | None:
        value = self._raw(name, required)
        if value is None:
            return None
        try:
            return parse_aware(value)
        except ValueError as exc:
            self.fail(name, str(exc))
            return None

    def choice(self, name: str, options: tuple[str, ...], *, required: bool = False) -> str | None:
        value = self.text(name, required=required)
        if value is None:
            return None
        value = value.lower().replace(" ", "_").replace("-", "_")
        if value not in options:
            self.fail(name, f"must be one of {', '.join(options)}")
            return None
        return value

    def phone(self, name: str, *, country_field: str, required: bool = False) -> str | None:
        """An E.164 number; a national number is read with the country in `country_field`."""
        value = self.text(name, required=required, max_length=40)
        country = self.country(country_field)
        if value is None:
            return None
        normal = identifiers.normal_phone(value, country)
        if normal is None:
            if country is None and not value.startswith(("+", "00")):
                self.fail(name, f"{value} is a national number: give {country_field} or an E.164 number (+353...)")
            else:
                self.fail(name, f"{value} is not a possible phone number")
        return normal

    def email(self, name: str) -> str | None:
        value = self.text(name, max_length=320)
        if value is not None and identifiers.normal_email(value) is None:
            self.fail(name, f"{value} is not an e-mail address")
            return None
        return value

    def country(self, name: str) -> str | None:
        value = self.text(name, max_length=2)
        if value is None:
            return None
        if not (len(value) == 2 and value.isalpha()):
            self.fail(name, "must be an ISO country code such as IE")
            return None
        return value.upper()

    def done(self) -> None:
        if self.errors:
            raise RecordError(self.errors)


def describe(exc: ValidationError) -> list[str]:
    return [f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}" for e in exc.errors()[:5]]


def json_cell(value: Any) -> Any:
    """A list or object given as JSON text (a CSV cell), or as it is."""
    if isinstance(value, str) and value.strip().startswith(("[", "{")):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


class RecordAdapter(ABC):
    """parse_inbound for adapters that read flat records; subclasses say how one record reads."""

    name = ""
    replies_to: tuple[str, ...] = ()
    fields: frozenset[str] = frozenset()

    def flatten(self, item: dict[str, Any]) -> list[dict[str, Any]]:
        """The flat records in one payload object (a platform's own shape is flattened here)."""
        return [item]

    @abstractmethod
    def interaction(self, fields: RecordReader) -> InteractionCreate:
        """One flat record, its fields read through the reader, as an interaction."""

    def read(self, record: Mapping[str, Any]) -> InteractionCreate:
        """One flat record as an interaction; RecordError with every field's reason otherwise."""
        reader = RecordReader(record, fields=self.fields)
        try:
            return self.interaction(reader)
        except ValidationError as exc:
            raise RecordError([*reader.errors, *describe(exc)]) from exc

    def records(self, raw: bytes, *, content_type: str | None) -> list[dict[str, Any]]:
        _, items = decode(raw, content_type)
        flat: list[dict[str, Any]] = []
        for position, item in enumerate(items):
            if not isinstance(item, dict):
                raise ParseError(f"item {position}: must be an object")
            try:
                flat.extend(self.flatten(item))
            except RecordError as exc:
                raise ParseError(f"item {position}: {exc}") from exc
        return flat

    def parse_inbound(self, raw: bytes, *, content_type: str | None) -> list[InteractionCreate]:
        parsed = []
        for position, record in enumerate(self.records(raw, content_type=content_type)):
            try:
                parsed.append(self.read(record))
            except RecordError as exc:
                raise ParseError(f"record {position}: {exc}") from exc
        return parsed

    def send(self, outbound: Outbound, *, settings: Settings) -> Delivered:
        if not self.replies_to:
            raise LookupError(f"the {self.name} source takes no replies")  # replies_to is empty: never asked
        return Delivered("recorded")  # the agent answered in public on the platform and gave its URL


def dig(item: Mapping[str, Any], *path: str) -> Any:
    """The value at a path of keys in a platform payload, or None."""
    value: Any = item
    for key in path:
        if not isinstance(value, Mapping):
            return None
        value = value.get(key)
    return value


def unix_to_iso(value: Any) -> Any:
    """Unix seconds (as platforms often send them) as ISO-8601 UTC; anything else as it is."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value, dt.UTC).isoformat()
    return value
