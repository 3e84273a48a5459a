"""Fast streaming inserts for large generated or imported data sets.

Rows are plain tuples in the order of ``columns``; nothing is built per row but the
tuple. SQLite gets ``executemany`` in batches, PostgreSQL gets ``COPY``. Callers assign
primary keys themselves (``next_ids``) so that rows of other tables can refer to them,
and call ``reset_sequences`` afterwards so that ordinary ORM inserts continue after them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager

from django.db import connection, models


def table_columns(model: type[models.Model], fields: Sequence[str]) -> list[str]:
    """The database column names of ``fields`` (``person`` -> ``person_id``)."""
    return [model._meta.get_field(name).column for name in fields]  # type: ignore[union-attr,misc]


def insert_rows(model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """Insert ``rows`` into ``model``'s table in one streaming pass; return the count."""
    table = connection.ops.quote_name(model._meta.db_table)
    columns = table_columns(model, fields)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            # Errors of the raw cursor become django.db errors, as with any other query,
            # so callers can catch DatabaseError for COPY too.
            with (
                connection.wrap_database_errors,
                raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
            return count
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"
        batch: list[tuple] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= 20_000:
                cursor.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``, safe against concurrent writers.

    PostgreSQL hands them out from the table's sequence. SQLite needs no reservation as
    long as the caller writes inside a transaction: the settings open every transaction
    with ``BEGIN IMMEDIATE``, which holds the database's only write lock, so nobody else
    can take the next ids before the caller has inserted its rows.
    """
    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return [row[0] for row in cursor.fetchall()]
        # AUTOINCREMENT tables remember their highest id ever in sqlite_sequence.
        cursor.execute(
            f"SELECT MAX(COALESCE((SELECT MAX(id) FROM {connection.ops.quote_name(table)}), 0),"
            " COALESCE((SELECT seq FROM sqlite_sequence WHERE name = %s), 0))",
            [table],
        )
        first = int(cursor.fetchone()[0]) + 1
    return list(range(first, first + n))


def next_id(model: type[models.Model]) -> int:
    """The first free primary key of ``model``'s table."""
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(model._meta.db_table)
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
        return int(cursor.fetchone()[0]) + 1


def reset_sequences(*models_: type[models.Model]) -> None:
    """Move PostgreSQL id sequences past the ids assigned by hand (SQLite needs nothing)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models_:
            table = model._meta.db_table
            quoted = connection.ops.quote_name(table)
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {quoted}), 0) + 1, false)",
                [table],
            )


@contextmanager
def deferred_indexes(*models_: type[models.Model]):
    """Drop the secondary indexes of ``models_`` for a bulk load, recreate them after.

    Inserting ten million rows into B-trees larger than the page cache turns every
    insert into random reads; building each index once from sorted data afterwards is
    many times faster. Indexes that back a table constraint stay (they cannot be
    dropped on their own), and so does every primary key.
    """
    # Both databases roll DDL back with the transaction, so a failed load leaves the
    # indexes as they were; outside a transaction that guarantee would be lost.
    if not connection.in_atomic_block:
        raise RuntimeError("deferred_indexes() must run inside transaction.atomic()")
    saved: list[tuple[str, str]] = []
    tables = [m._meta.db_table for m in models_]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            placeholders = ", ".join(["%s"] * len(tables))
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
                f"AND tbl_name IN ({placeholders})",
                tables,
            )
        else:
            cursor.execute(
                "SELECT i.indexname, i.indexdef FROM pg_indexes i "
                "WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s) "
                "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                [tables],
            )
        saved = cursor.fetchall()
        for name, _sql in saved:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    yield
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Django's foreign keys are DEFERRABLE INITIALLY DEFERRED; PostgreSQL will not
            # build an index on a table with pending checks, so run the checks now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for _name, sql in saved:
            cursor.execute(sql)
