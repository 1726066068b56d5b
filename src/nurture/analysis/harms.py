"""Harms and safety alerts (CONSORT Harms 2022 items, adapted to a single-arm pilot).

The alerts are screening signals raised by the mothers' own answers (for example EPDS
item 10 above 0), not a record of adverse events: an alert at the pre-assessment
describes the risk a mother brought to the program; one at the post-assessment may
be a harm or a persisting need. Both are reported, apart, with the response of the
service (minutes to acknowledgement and to closing, and the recorded outcome).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .feasibility import rate

SEVERITIES = ("urgent", "follow_up")
TIMEPOINTS = ("screening", "pre", "post")
DEFAULT_TARGET_MINUTES = 60


def _label(code: str, labels: dict) -> str:
    return labels.get(code) or code.replace("_", " ").capitalize()


def _minutes(values: pd.Series) -> dict:
    v = values.dropna().to_numpy(float)
    if len(v) == 0:
        return {"n": 0, "median": None, "q1": None, "q3": None, "max": None}
    q1, median, q3 = np.quantile(v, [0.25, 0.5, 0.75])  # R quantile(type = 7)
    return {"n": int(len(v)), "median": float(median), "q1": float(q1), "q3": float(q3), "max": float(v.max())}


def harms(alerts: pd.DataFrame | None, table: pd.DataFrame | None, *, rule_labels: dict | None = None,
          outcome_labels: dict | None = None, target_minutes: float | None = None) -> dict | None:
    """Alerts by rule, severity and timepoint; dyads with an alert; time to acknowledgement and closing.

    The denominator of the dyad rates is the enrolled dyads who completed at least one
    assessment (who could have raised an alert).
    """
    if alerts is None:
        return None
    rule_labels = rule_labels or {}
    outcome_labels = outcome_labels or {}
    target = float(target_minutes) if target_minutes else DEFAULT_TARGET_MINUTES
    if table is not None and not table["completed_pre"].isna().all():
        assessed = table["enrolled"] & (table["completed_pre"].eq(True) |
                                        table["completed_post"].eq(True))
        denominator = int(assessed.sum())
    else:
        denominator = int(alerts["participant_id"].nunique())
    frame = alerts.copy()
    frame["timepoint"] = frame["timepoint"].fillna("unknown") if "timepoint" in frame.columns else "unknown"
    for column in ("status", "minutes_to_acknowledgement", "minutes_to_close", "outcome", "raised_again",
                   "target_minutes"):
        if column not in frame.columns:
            frame[column] = None
    # An alert closed as an entry error was never a signal from the mother: counted apart, not as a harm.
    errors = frame["outcome"].eq("entry_error")
    entry_errors = int(errors.sum())
    frame = frame[~errors]
    # Each alert is judged against its own site's target where the bundle gives one.
    frame["target"] = pd.to_numeric(frame["target_minutes"], errors="coerce").fillna(target)

    def dyads(mask) -> int:
        return int(frame.loc[mask, "participant_id"].nunique())

    by_rule = []
    for (instrument, rule, severity), group in frame.groupby(["instrument", "rule", "severity"], sort=False):
        key = f"{instrument}:{rule}"
        by_rule.append({"instrument": instrument, "rule": rule, "severity": severity,
                        "label": rule_labels.get(key) or f"{instrument} {rule.replace('_', ' ')}",
                        "alerts": int(len(group)), "dyads": int(group["participant_id"].nunique()),
                        "by_timepoint": {str(k): int(v) for k, v in group["timepoint"].value_counts().items()}})
    by_rule.sort(key=lambda r: (SEVERITIES.index(r["severity"]), -r["alerts"], r["label"]))

    acknowledgement, closing = {}, {}
    for severity in SEVERITIES:
        mine = frame[frame["severity"] == severity]
        if mine.empty:
            continue
        ack = mine["minutes_to_acknowledgement"]
        summary = _minutes(ack)
        summary["open"] = int(ack.isna().sum())
        # The target (the site's escalation time) applies to urgent alerts; one still open, or
        # acknowledged late, did not meet it.
        summary["within_target"] = rate(int((ack <= mine["target"]).sum()), len(mine)) \
            if severity == "urgent" else None
        acknowledgement[severity] = summary
        closing[severity] = _minutes(mine["minutes_to_close"]) | {"not_closed": int(mine["minutes_to_close"]
                                                                                    .isna().sum())}
    outcomes = frame["outcome"].dropna().value_counts()
    return {
        "n_alerts": int(len(frame)), "dyads_assessed": denominator, "entry_errors": entry_errors,
        "raised_again": int(frame["raised_again"].eq(True).sum()),
        "dyads_with_alert": rate(int(frame["participant_id"].nunique()), denominator) if denominator else None,
        "dyads_with_urgent": rate(dyads(frame["severity"] == "urgent"), denominator) if denominator else None,
        "by_severity": {s: {"alerts": int((frame["severity"] == s).sum()), "dyads": dyads(frame["severity"] == s)}
                        for s in SEVERITIES},
        "by_timepoint": {tp: {"alerts": int((frame["timepoint"] == tp).sum()), "dyads": dyads(frame["timepoint"] == tp),
                              "urgent_dyads": dyads((frame["timepoint"] == tp) & (frame["severity"] == "urgent"))}
                         for tp in (*TIMEPOINTS, "unknown") if (frame["timepoint"] == tp).any()},
        "by_rule": by_rule,
        "acknowledgement": acknowledgement, "closing": closing,
        "target_minutes": sorted({float(t) for t in frame["target"]}) if len(frame) else [target],
        "outcomes": [{"code": code, "label": _label(code, outcome_labels), "n": int(n)}
                     for code, n in outcomes.items()],
        "note": "Alerts are screening signals from the mothers' answers, not adverse events: an alert at the "
                "pre-assessment reflects risk at entry; one at the post-assessment may be a harm or a persisting "
                "need. No separate adverse-event record is kept.",
    }
