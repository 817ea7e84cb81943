"""Many new rows into one table, the fastest way the driver offers.

PostgreSQL (psycopg): COPY ... FROM STDIN (a few rows: a plain INSERT). SQLite and drivers with
`?` or `%s` parameters: one executemany of plain tuples, through SQLAlchemy's connection (its
events still see the statement) but without a parameter dictionary per row. Each value is
converted by its column type's bind processor, as an INSERT converts it; a column the rows leave
out gets its scalar default, or NULL. Every row gives the same columns, among them those whose
defaults are computed per row.
Bulk intake uses it: there, SQLAlchemy's per-row parameter handling cost more than the database.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import JSON, Column, ColumnElement, Table, any_, bindparam, insert
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import InstrumentedAttribute, Session

Converter = Callable[[Any], Any]
PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
COPY_FROM = 16  # rows; fewer go in by one INSERT (COPY waits for the server twice)


def insert_rows(session: Session, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert `rows` (column name → value) into `table` in the session's transaction."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    columns = list(table.columns)
    computed = [c.name for c in columns if c.default is not None and not c.default.is_scalar and c.name not in rows[0]]
    if computed:
        raise ValueError(f"give {table.name}.{', '.join(computed)}: their defaults are computed per row")
    names = ", ".join(dialect.identifier_preparer.quote(column.name) for column in columns)
    if dialect.name == "postgresql" and dialect.driver == "psycopg" and len(rows) >= COPY_FROM:
        driver = connection.connection.driver_connection
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:  # type: ignore[union-attr]
            for values in _tuples(columns, rows, dialect):
                copy.write_row(values)
        return
    mark = PLACEHOLDERS.get(dialect.paramstyle)
    if mark is None or dialect.name == "postgresql":  # SQLAlchemy's own (execute)many
        connection.execute(insert(table), [dict(row) for row in rows])
        return
    statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join([mark] * len(columns))})"  # noqa: S608
    connection.exec_driver_sql(statement, _tuples(columns, rows, dialect))


def one_of(
    session: Session, column: ColumnElement[Any] | InstrumentedAttribute[Any], values: Sequence[Any]
) -> ColumnElement[bool]:
    """`column IN (values)`; on PostgreSQL `column = ANY(array)`, one parameter however many values.

    A list of thousands of parameters is parsed anew at each call and, once the driver prepares
    it, planned generically: PostgreSQL then scanned whole tables where the index finds each value.
    """
    if len(values) == 1:  # a plain equality, which every plan serves from an index
        equal: ColumnElement[bool] = column == values[0]
        return equal
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


def _tuples(columns: list[Column[Any]], rows: Sequence[Mapping[str, Any]], dialect: Dialect) -> list[tuple[Any, ...]]:
    """The rows as tuples in the columns' order, converted; column by column, which costs less per value."""
    by_column = []
    for column in columns:
        default = _default(column)
        values = [row.get(column.name, default) for row in rows]
        convert = _converter(column, dialect)
        if convert is None:
            by_column.append(values)
        elif isinstance(column.type, JSON):  # None is JSON's null
            by_column.append(list(map(convert, values)))
        else:
            by_column.append([None if value is None else convert(value) for value in values])
    return list(zip(*by_column, strict=True))


def _converter(column: Column[Any], dialect: Dialect) -> Converter | None:
    if dialect.name == "postgresql" and isinstance(column.type, JSON):  # COPY takes the JSON text
        serialise: Converter = getattr(dialect, "_json_serializer", None) or json.dumps
        return serialise
    return column.type.dialect_impl(dialect).bind_processor(dialect)


def _default(column: Column[Any]) -> Any:
    default = column.default
    if default is None:
        return None
    return default.arg  # type: ignore[attr-defined]
