"""Safety flags as plain records, for commands that score outside the database.

``nurture score``, ``nurture analyze`` and ``nurture import-redcap`` raise no alerts
(nothing is stored), so they report every rule hit instead: a short summary on
stderr and a ``"safety"`` list in their JSON output.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SEVERITY_ORDER = {"urgent": 0, "follow_up": 1}


_TEXT = ("instrument", "rule", "participant_id", "timepoint")


def _in_order(flags: pd.DataFrame) -> pd.DataFrame:
    """The hits most severe first, then by instrument, rule, participant, timepoint.

    Sorted as columns (a stable sort, so hits that tie keep the order they were found in),
    by position: whatever index the hits came with, each comes out once.
    """
    severity = flags["severity"].astype(str).map(SEVERITY_ORDER).fillna(9).to_numpy()
    keys = [_text_rank(flags[c]) for c in reversed(_TEXT)]
    return flags.iloc[np.lexsort([*keys, severity])]  # (the last key sorts first)


def _text_rank(column: pd.Series) -> np.ndarray:
    """Integers that sort as the column's text does (equal texts, equal integers). A
    categorical column is ranked by its distinct values, not a string per row."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        texts = np.asarray([*map(str, column.cat.categories), "nan"], dtype=object)  # code -1: a missing cell
        _, rank = np.unique(texts, return_inverse=True)
        return rank[column.cat.codes.to_numpy()]
    return pd.factorize(column.astype(str).to_numpy(dtype=object), sort=True)[0]


def flag_records(flags: pd.DataFrame) -> list[dict]:
    """One dict per rule hit, most severe first, then by instrument, rule, participant, timepoint.

    Turned into dicts in one pass: a large file can hold hundreds of thousands of hits.
    """
    if flags.empty:
        return []
    rows = _in_order(flags)
    text = {c: rows[c].astype(str).tolist() for c in ("participant_id", "timepoint", "instrument", "rule",
                                                      "severity", "subject")}
    observed = [None if o is None or (isinstance(o, float) and math.isnan(o)) else float(o)
                for o in rows["observed"].tolist()]
    return [{"participant_id": p, "timepoint": t, "instrument": i, "rule": r, "severity": s, "subject": sub,
             "observed": o}
            for p, t, i, r, s, sub, o in zip(text["participant_id"], text["timepoint"], text["instrument"],
                                             text["rule"], text["severity"], text["subject"], observed, strict=True)]


def summary_lines(hits: list[dict] | pd.DataFrame, *, limit: int = 20, stored: bool = False) -> list[str]:
    """A short human summary: one line per rule with the participants it fired for (the
    first ``limit`` in the order of :func:`flag_records`, and how many more).

    ``hits``: the records of :func:`flag_records`, or the flags frame itself — a large
    file's summary then needs no record per hit. ``stored``: the answers went into the
    study database, where the same rules raised alerts.
    """
    frame = hits if isinstance(hits, pd.DataFrame) else pd.DataFrame(hits, columns=[*_TEXT, "severity", "subject"])
    if frame.empty:
        return ["safety: no rule hits"]
    rows = _in_order(frame)
    consequence = ("the study's alerts for them are listed above" if stored else
                   "nothing is stored, so no alert is raised: follow them up")
    people = rows["participant_id"]
    count = (len(np.unique(people.cat.codes)) if isinstance(people.dtype, pd.CategoricalDtype)
             else people.astype(str).nunique())
    lines = [f"safety: {len(rows)} rule hit(s) for {count} participant(s); {consequence}"]
    # one line per (severity, instrument, rule, subject), in order of its first hit; only
    # the hits shown are turned into text
    keys = [rows[c].astype(str).to_numpy(dtype=object) for c in ("severity", "instrument", "rule", "subject")]
    codes = [pd.factorize(k)[0] for k in keys]
    group, _ = pd.factorize(np.ravel_multi_index(codes, [int(c.max()) + 1 for c in codes]))
    shown_ids, shown_times = rows["participant_id"].to_numpy(), rows["timepoint"].to_numpy()
    for g, size in enumerate(np.bincount(group)):
        at = np.flatnonzero(group == g)
        first = at[0]
        names = ", ".join(f"{shown_ids[k]} {shown_times[k]}" for k in at[:limit])
        more = f" and {size - limit} more" if size > limit else ""
        severity, instrument, rule, subject = (k[first] for k in keys)
        lines.append(f"  {severity.replace('_', '-'):<9} {instrument} {rule} ({subject}): {names}{more}")
    return lines
