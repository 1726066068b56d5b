"""Safety flags as plain records, for commands that score outside the database.

``nurture score``, ``nurture analyze`` and ``nurture import-redcap`` raise no alerts
(nothing is stored), so they report every rule hit instead: a short summary on
stderr and a ``"safety"`` list in their JSON output.
"""

from __future__ import annotations

import math

import pandas as pd

SEVERITY_ORDER = {"urgent": 0, "follow_up": 1}


def flag_records(flags: pd.DataFrame) -> list[dict]:
    """One dict per rule hit, most severe first, then by instrument, rule, participant, timepoint.

    Sorted as columns (a stable sort, so hits that tie keep the order they were found in),
    then turned into dicts in one pass: a large file can hold hundreds of thousands of hits.
    """
    if flags.empty:
        return []
    keys = pd.DataFrame({
        "severity": [SEVERITY_ORDER.get(str(s), 9) for s in flags["severity"].tolist()],
        **{c: flags[c].astype(str).to_numpy() for c in ("instrument", "rule", "participant_id", "timepoint")},
    })  # a fresh 0..n-1 index: positions, whatever index the hits came with
    order = keys.sort_values(list(keys.columns), kind="stable").index.to_numpy()
    rows = flags.iloc[order]
    text = {c: rows[c].astype(str).tolist() for c in ("participant_id", "timepoint", "instrument", "rule",
                                                      "severity", "subject")}
    observed = [None if o is None or (isinstance(o, float) and math.isnan(o)) else float(o)
                for o in rows["observed"].tolist()]
    return [{"participant_id": p, "timepoint": t, "instrument": i, "rule": r, "severity": s, "subject": sub,
             "observed": o}
            for p, t, i, r, s, sub, o in zip(text["participant_id"], text["timepoint"], text["instrument"],
                                             text["rule"], text["severity"], text["subject"], observed, strict=True)]


def summary_lines(records: list[dict], *, limit: int = 20, stored: bool = False) -> list[str]:
    """A short human summary: one line per rule with the participants it fired for.

    ``stored``: the answers went into the study database, where the same rules raised alerts.
    """
    if not records:
        return ["safety: no rule hits"]
    people = {r["participant_id"] for r in records}
    consequence = ("the study's alerts for them are listed above" if stored else
                   "nothing is stored, so no alert is raised: follow them up")
    lines = [f"safety: {len(records)} rule hit(s) for {len(people)} participant(s); {consequence}"]
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        groups.setdefault((r["severity"], r["instrument"], r["rule"], r["subject"]), []).append(r)
    for (severity, instrument, rule, subject), hits in groups.items():
        shown = ", ".join(f"{h['participant_id']} {h['timepoint']}" for h in hits[:limit])
        more = f" and {len(hits) - limit} more" if len(hits) > limit else ""
        lines.append(f"  {severity.replace('_', '-'):<9} {instrument} {rule} ({subject}): {shown}{more}")
    return lines
