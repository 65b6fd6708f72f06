"""Reads written out in SQL, for the few hot reads where Django building and compiling the
query costs more than the database running it: a unit's answers read again after each save
spent 0.6-0.8 ms in the ORM against 0.3 ms in PostgreSQL. Each use says why; every other
read goes through the ORM. The SQL is plain enough for PostgreSQL and SQLite alike."""

from decimal import Decimal

from django.db import connection


def fetch(sql: str, params: list) -> list[tuple]:
    """The rows of `sql` run with `params`, as the driver returns them."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def fetch_listed(sql: str, listed, params: list | tuple = ()) -> list[tuple]:
    """The rows of `sql`, whose `{listed}` is an IN list of the values `listed`, run with
    `params` then those values; none, without a query, when `listed` is empty (as the ORM's
    `__in=[]`)."""
    listed = list(listed)
    if not listed:
        return []
    return fetch(sql.format(listed=", ".join(["%s"] * len(listed))), [*params, *listed])


class Decimals(dict):
    """Decimals made from text (a numeric column read as CAST(... AS text)), each text once:
    the driver makes a Decimal of every numeric it reads, which cost more than the rest of
    reading thousands of answers, while their points are a few dozen values (5.00, 2.50).
    Call it with the text; None stays None."""

    def __missing__(self, text: str | None) -> Decimal | None:
        value = self[text] = None if text is None else Decimal(text)
        return value

    __call__ = dict.__getitem__


def joined_columns(alias: str, names, prefix: str) -> str:
    """`alias.name AS prefix__name, ...`: another table's columns read beside a model's rows by
    raw(), each taken back off its row with take_joined(). `names` are both the columns and the
    model's attribute names (plain fields)."""
    return ", ".join(f"{alias}.{name} AS {prefix}__{name}" for name in names)


def take_joined(instance, prefix: str, model, names):
    """The `model` row that joined_columns() read beside `instance` under `prefix`, its columns
    taken off `instance`; None when the join found no row. The row holds `names` only: its
    other fields are deferred (read if asked for)."""
    values = [instance.__dict__.pop(f"{prefix}__{name}") for name in names]
    return None if values[0] is None else model.from_db(instance._state.db, list(names), values)
