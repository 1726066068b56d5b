"""The statements a survey save runs while it holds the database's write lock, written out.

On SQLite every save in the server queues for one write lock, so the time a save holds it
bounds how many mothers can save at once. Through the ORM each of these small statements
costs more in building the query than in running it, and a save that holds the lock
longer is more likely to be preempted by the server's other threads while it does. Here
they are plain parameterised SQL (quoted by the connection, so the same for SQLite and
PostgreSQL) over :class:`~nurture.capture.models.ItemResponse` and
:class:`~nurture.capture.models.Assessment`. Nothing else should write these columns
by hand.
"""

from __future__ import annotations

from django.db import connection

from .models import Assessment, ItemResponse

_ANSWERS = ItemResponse._meta
_ASSESSMENTS = Assessment._meta
_INSERTED = ("assessment_id", "instrument", "item", "value", "entry", "entered_by_id", "updated_at")


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _moment(model_meta, field: str, when):
    return model_meta.get_field(field).get_db_prep_value(when, connection)


def stored_answers(assessment_id: int, instrument_id: str, entry: int) -> dict[str, tuple[int, str]]:
    """The instrument's stored answers (of one entry): item id → (row id, value)."""
    sql = (f"SELECT {_q('id')}, {_q('item')}, {_q('value')} FROM {_q(_ANSWERS.db_table)} "
           f"WHERE {_q('assessment_id')} = %s AND {_q('instrument')} = %s AND {_q('entry')} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [assessment_id, instrument_id, int(entry)])
        return {item: (pk, value) for pk, item, value in cursor.fetchall()}


def all_answers(assessment_id: int, entry: int) -> dict[str, dict[str, str]]:
    """Every stored answer of the assessment (of one entry): instrument → item id → value."""
    sql = (f"SELECT {_q('instrument')}, {_q('item')}, {_q('value')} FROM {_q(_ANSWERS.db_table)} "
           f"WHERE {_q('assessment_id')} = %s AND {_q('entry')} = %s")
    answers: dict[str, dict[str, str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [assessment_id, int(entry)])
        for instrument, item, value in cursor.fetchall():
            answers.setdefault(instrument, {})[item] = value
    return answers


def locked_status(assessment_id: int) -> str | None:
    """The assessment's status, with its row and its dyad's row locked for the transaction
    (PostgreSQL, as a save always has: a withdrawal, which locks the dyad first, then waits
    for the save or the save for it, never each for the other; SQLite's transaction already
    holds the write lock); None when it no longer exists."""
    dyads = _ASSESSMENTS.get_field("dyad").related_model._meta.db_table
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT a.{_q('status')} FROM {_q(_ASSESSMENTS.db_table)} a "
                       f"INNER JOIN {_q(dyads)} d ON d.{_q('id')} = a.{_q('dyad_id')} WHERE a.{_q('id')} = %s{lock}",
                       [assessment_id])
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
