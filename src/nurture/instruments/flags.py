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
    """One dict per rule hit, most severe first, then by participant, timepoint, instrument."""
    records = []
    for row in flags.itertuples(index=False):
        observed = row.observed
        if observed is None or (isinstance(observed, float) and math.isnan(observed)):
            observed = None
        else:
            observed = float(observed)
        records.append({"participant_id": str(row.participant_id), "timepoint": str(row.timepoint),
                        "instrument": str(row.instrument), "rule": str(row.rule), "severity": str(row.severity),
                        "subject": str(row.subject), "observed": observed})
    records.sort(key=lambda r: (SEVERITY_ORDER.get(r["severity"], 9), r["instrument"], r["rule"],
                                r["participant_id"], r["timepoint"]))
    return records


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
