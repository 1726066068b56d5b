"""The statements a survey save runs while it holds the database's write lock, and the
reads every survey request makes, written out.

On SQLite every save in the server queues for one write lock, so the time a save holds it
bounds how many mothers can save at once. Through the ORM each of these small statements
costs more in building the query than in running it, and a save that holds the lock
longer is more likely to be preempted by the server's other threads while it does. Here
they are plain parameterised SQL (quoted by the connection, so the same for SQLite and
PostgreSQL) over :class:`~nurture.capture.models.ItemResponse` and
:class:`~nurture.capture.models.Assessment`. Nothing else should write these columns
by hand. Every survey request also finds its link (and assessment) and most read her
answers: through the ORM that took about 0.8 ms and 0.4 ms of each request, written out
about 0.1 ms and 0.03 ms (SQLite, in one process). Rows read whole become model instances through the converters
the ORM itself applies (:class:`_Rows`), so their values are the ORM's to the type.
"""

from __future__ import annotations

import threading
from functools import cache

from django.db import connection

from .models import Assessment, ItemResponse, SurveyLink

_ANSWERS = ItemResponse._meta
_ASSESSMENTS = Assessment._meta
_INSERTED = ("assessment_id", "instrument", "item", "value", "entry", "entered_by_id", "updated_at")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _moment(model_meta, field: str, when):
    return model_meta.get_field(field).get_db_prep_value(when, connection)


class _Rows:
    """Instances of ``model`` from its columns in a plain SELECT (``columns(alias)``): each
    value goes through the converters the ORM's compiler applies for the connection (the
    backend's, then the field's), as ``QuerySet`` would, then ``Model.from_db``.

    The converters are found once per thread: the backend's are methods of the thread's
    own connection, which a thread keeps for its life (Django's connections are per thread)."""

    def __init__(self, model):
        self.model = model
        self.fields = model._meta.concrete_fields
        self.attnames = [f.attname for f in self.fields]
        self._local = threading.local()

    def columns(self, alias: str) -> str:
        return ", ".join(f"{alias}.{_q(f.column)}" for f in self.fields)

    def _converters(self) -> list:
        converters = getattr(self._local, "converters", None)
        if converters is None:
            converters = []
            for k, field in enumerate(self.fields):
                column = field.get_col(self.model._meta.db_table)
                found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
                if found:
                    converters.append((k, column, found))
            self._local.converters = converters
        return converters

    def load(self, values) -> object:
        converters = self._converters()
        values = list(values)
        for k, column, found in converters:
            for convert in found:
                values[k] = convert(values[k], column, connection)
        return self.model.from_db(connection.alias, self.attnames, values)


_LINK_ROWS, _ASSESSMENT_ROWS = _Rows(SurveyLink), _Rows(Assessment)


# The fixed statements are written once per kind of database (the quoting is the connection's).


@cache
def _link_sql(vendor: str) -> str:
    return (f"SELECT {_LINK_ROWS.columns('l')}, {_ASSESSMENT_ROWS.columns('a')} "
            f"FROM {_q(SurveyLink._meta.db_table)} l INNER JOIN {_q(_ASSESSMENTS.db_table)} a "
            f"ON a.{_q('id')} = l.{_q('assessment_id')} WHERE l.{_q('token_hash')} = %s")


@cache
def _answers_sql(vendor: str) -> str:
    return (f"SELECT {_q('id')}, {_q('item')}, {_q('value')} FROM {_q(_ANSWERS.db_table)} "
            f"WHERE {_q('assessment_id')} = %s AND {_q('instrument')} = %s AND {_q('entry')} = %s")


@cache
def _all_answers_sql(vendor: str) -> str:
    return (f"SELECT {_q('instrument')}, {_q('item')}, {_q('value')} FROM {_q(_ANSWERS.db_table)} "
            f"WHERE {_q('assessment_id')} = %s AND {_q('entry')} = %s")


@cache
def _status_sql(vendor: str) -> str:
    dyads = _ASSESSMENTS.get_field("dyad").related_model._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    return (f"SELECT a.{_q('status')} FROM {_q(_ASSESSMENTS.db_table)} a "
            f"INNER JOIN {_q(dyads)} d ON d.{_q('id')} = a.{_q('dyad_id')} WHERE a.{_q('id')} = %s{lock}")


def link_by_hash(token_hash: str) -> SurveyLink | None:
    """The survey link with this token hash, its assessment loaded with it; None when there is none."""
    width = len(_LINK_ROWS.fields)
    with connection.cursor() as cursor:
        cursor.execute(_link_sql(connection.vendor), [token_hash])
        row = cursor.fetchone()
    if row is None:
        return None
    link = _LINK_ROWS.load(row[:width])
    link.assessment = _ASSESSMENT_ROWS.load(row[width:])
    return link


def answers(assessment_id: int, instrument_id: str, entry: int) -> dict[str, str]:
    """The instrument's stored answers (of one entry): item id → value."""
    return {item: value for item, (_, value) in stored_answers(assessment_id, instrument_id, entry).items()}


def stored_answers(assessment_id: int, instrument_id: str, entry: int) -> dict[str, tuple[int, str]]:
    """The instrument's stored answers (of one entry): item id → (row id, value)."""
    with connection.cursor() as cursor:
        cursor.execute(_answers_sql(connection.vendor), [assessment_id, instrument_id, int(entry)])
        return {item: (pk, value) for pk, item, value in cursor.fetchall()}


def all_answers(assessment_id: int, entry: int) -> dict[str, dict[str, str]]:
    """Every stored answer of the assessment (of one entry): instrument → item id → value."""
    answers: dict[str, dict[str, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(_all_answers_sql(connection.vendor), [assessment_id, int(entry)])
        for instrument, item, value in cursor.fetchall():
            answers.setdefault(instrument, {})[item] = value
    return answers


def locked_status(assessment_id: int) -> str | None:
    """The assessment's status, with its row and its dyad's row locked for the transaction
    (PostgreSQL, as a save always has: a withdrawal, which locks the dyad first, then waits
    for the save or the save for it, never each for the other; SQLite's transaction already
    holds the write lock); None when it no longer exists."""
    with connection.cursor() as cursor:
        cursor.execute(_status_sql(connection.vendor), [assessment_id])
        row = cursor.fetchone()
    return row[0] if row else None


def insert_answers(assessment_id: int, instrument_id: str, answers: list[tuple[str, str]], entry: int, by_id,
                   now) -> None:
    """One INSERT for the new answers, given as (item id, value)."""
    one = "(" + ", ".join(["%s"] * len(_INSERTED)) + ")"
    updated_at = _moment(_ANSWERS, "updated_at", now)
    params = [x for item, value in answers
              for x in (assessment_id, instrument_id, item, value, int(entry), by_id, updated_at)]
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {_q(_ANSWERS.db_table)} ({', '.join(_q(c) for c in _INSERTED)}) "
                       f"VALUES {', '.join([one] * len(answers))}", params)


def update_answers(rows: list[tuple[int, str]], by_id, now) -> None:
    """One UPDATE for every changed answer, given as (row id, new value)."""
    cases = " ".join(["WHEN %s THEN %s"] * len(rows))
    marks = ", ".join(["%s"] * len(rows))
    params = [x for row in rows for x in row]
    params += [by_id, _moment(_ANSWERS, "updated_at", now), *(pk for pk, _ in rows)]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_q(_ANSWERS.db_table)} SET {_q('value')} = CASE {_q('id')} {cases} END, "
                       f"{_q('entered_by_id')} = %s, {_q('updated_at')} = %s WHERE {_q('id')} IN ({marks})", params)


def next_version(assessment_id: int, *, started: tuple[str, object] | None = None) -> None:
    """Raise the assessment's version; with ``started`` = (status, when), also mark it begun."""
    sets, params = [f"{_q('version')} = {_q('version')} + 1"], []
    if started is not None:
        sets += [f"{_q('status')} = %s", f"{_q('started_at')} = %s"]
        params += [started[0], _moment(_ASSESSMENTS, "started_at", started[1])]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {_q(_ASSESSMENTS.db_table)} SET {', '.join(sets)} WHERE {_q('id')} = %s",
                       [*params, assessment_id])
