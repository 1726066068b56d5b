"""Synthetic study bundles shaped like the pilot, for tests, benchmarks and examples.

Only invented data. Scores are drawn so that parenting stress and anxiety improve
clearly and other measures change little, as in the pilot.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

# instrument, scale, pre mean, pre sd, mean change, sd of change, low, high, decimals
MEASURES = [
    ("epds", "total", 12.0, 4.5, -2.0, 4.0, 0, 30),
    ("gad7", "total", 10.0, 4.0, -3.0, 3.5, 0, 21),
    ("pss", "total", 45.0, 9.0, -5.0, 6.0, 18, 90),
    ("kpcs", "total", 36.0, 5.0, 2.0, 4.0, 0, 45),
    ("rses", "total", 17.0, 5.0, 1.0, 3.5, 0, 30),
    ("pbq", "total", 18.0, 10.0, -2.0, 6.0, 0, 125),
    ("pbq", "impaired_bonding", 8.0, 5.0, -1.0, 3.5, 0, 60),
    ("epds", "anxiety_3a", 5.0, 2.0, -0.8, 1.8, 0, 9),
]


def make_bundle(folder: Path, n: int = 34, seed: int = 1, *, n_cohorts: int = 5, with_items: bool = False,
                start: dt.date = dt.date(2019, 1, 7)) -> Path:
    """Write a complete bundle for ``n`` enrolled dyads (plus screened-out referrals)."""
    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    cohorts = [f"C{i + 1}" for i in range(n_cohorts)]
    weeks_of = {c: (12 if i < max(1, n_cohorts * 3 // 5) else 8) for i, c in enumerate(cohorts)}
    delivery_of = {c: ("in_person" if weeks_of[c] == 12 else "hybrid") for c in cohorts}
    cohort_start = {c: start + dt.timedelta(weeks=18 * i) for i, c in enumerate(cohorts)}
    people = []
    n_referred = int(round(n * 60 / 34))
    ids = [f"NC-{i + 1:05d}" for i in range(n_referred)]
    enrolled = ids[:n]
    enrolled_set = set(enrolled)
    for i, pid in enumerate(ids):
        cohort = cohorts[i % n_cohorts]
        referred = cohort_start[cohort] - dt.timedelta(days=int(rng.integers(14, 40)))
        row = {"participant_id": pid, "cohort": cohort, "site": "demo", "curriculum_weeks": weeks_of[cohort],
               "delivery": delivery_of[cohort], "referred_on": referred.isoformat(),
               "screened_on": (referred + dt.timedelta(days=3)).isoformat(), "eligible": "true",
               "consented_on": "", "enrolled_on": "", "withdrawn_on": "", "withdrawal_reason": "",
               "mother_age": int(rng.integers(19, 42)), "primiparous": "true" if rng.random() < 0.8 else "false",
               "infant_age_weeks": int(rng.integers(2, 48)), "language": "es" if rng.random() < 0.3 else "en"}
        if pid in enrolled_set:
            row["consented_on"] = (referred + dt.timedelta(days=6)).isoformat()
            row["enrolled_on"] = (referred + dt.timedelta(days=8)).isoformat()
            row["status"] = "completed"
        elif i < n + (n_referred - n) // 2:
            row.update(status="ineligible", eligible="false", cohort="", withdrawal_reason="Infant over 12 months")
        else:
            row.update(status="withdrawn", cohort="", withdrawal_reason="Could not attend weekly",
                       withdrawn_on=(referred + dt.timedelta(days=5)).isoformat())
        people.append(row)
    leavers = set(rng.choice(enrolled, size=max(1, n // 12), replace=False)) if n >= 12 else set()
    for row in people[:n]:
        if row["participant_id"] in leavers:
            row.update(status="withdrawn", withdrawal_reason="Returned to work",
                       withdrawn_on=(dt.date.fromisoformat(row["enrolled_on"]) + dt.timedelta(weeks=4)).isoformat())
    pd.DataFrame(people).to_csv(folder / "participants.csv", index=False)

    sessions, fidelity = [], []
    for c in cohorts:
        for week in range(1, weeks_of[c] + 1):
            for component in ("mother", "infant", "dyad"):
                sid = f"{c}-w{week:02d}-{component}"
                mode = "online" if delivery_of[c] == "hybrid" and week in (3, 4, 6) else "in_person"
                sessions.append({"session_id": sid, "cohort": c, "week": week, "component": component,
                                 "date": (cohort_start[c] + dt.timedelta(weeks=week - 1)).isoformat(), "mode": mode})
                fidelity.append({"session_id": sid, "items_planned": 3, "items_delivered": int(rng.integers(2, 4))})
    sessions_df = pd.DataFrame(sessions)
    sessions_df.to_csv(folder / "sessions.csv", index=False)
    pd.DataFrame(fidelity).to_csv(folder / "fidelity.csv", index=False)

    # Attendance for every enrolled dyad × its cohort's sessions, vectorized per cohort.
    cohort_of = {r["participant_id"]: r["cohort"] for r in people}
    att = []
    for c in cohorts:
        members = np.array([pid for pid in enrolled if cohort_of[pid] == c])
        mine = sessions_df[sessions_df["cohort"] == c]
        if not len(members) or mine.empty:
            continue
        propensity = rng.uniform(0.55, 0.97, size=len(members))[:, None]
        penalty = np.where(mine["mode"].to_numpy() == "online", 0.15, 0.0)[None, :]
        draws = rng.random((len(members), len(mine)))
        status = np.where(draws < propensity - penalty, "present",
                          np.where(draws < propensity + 0.1, "excused", "absent"))
        att.append(pd.DataFrame({"participant_id": np.repeat(members, len(mine)),
                                 "session_id": np.tile(mine["session_id"].to_numpy(), len(members)),
                                 "status": status.ravel()}))
    pd.concat(att).to_csv(folder / "attendance.csv", index=False)

    with_post = np.array([p not in leavers for p in enrolled])
    base = rng.normal(0, 1, size=(len(enrolled), len(MEASURES)))
    change = rng.normal(0, 1, size=(len(enrolled), len(MEASURES)))
    ids_arr = np.array(enrolled)
    parts = []
    for j, (inst, scale, mean, sd, delta, sd_delta, low, high) in enumerate(MEASURES):
        pre = np.clip(np.round(mean + sd * base[:, j]), low, high)
        post = np.clip(np.round(pre + delta + sd_delta * change[:, j]), low, high)
        parts.append(pd.DataFrame({"participant_id": ids_arr, "timepoint": "pre", "instrument": inst,
                                   "scale": scale, "score": pre}))
        parts.append(pd.DataFrame({"participant_id": ids_arr[with_post], "timepoint": "post", "instrument": inst,
                                   "scale": scale, "score": post[with_post]}))
    finishers = ids_arr[with_post]
    ratings = np.clip(np.round(rng.normal(4.4, 0.4, size=len(finishers)), 2), 1, 5)
    parts.append(pd.DataFrame({"participant_id": finishers, "timepoint": "post", "instrument": "feedback",
                               "scale": "satisfaction", "score": ratings}))
    frame = pd.concat(parts, ignore_index=True)
    fb = []
    for pid in finishers[: min(len(finishers), 200)]:
        if rng.random() < 0.5:
            fb.append({"participant_id": pid, "question": "open_helpful",
                       "text": str(rng.choice(["Meeting other mothers", "Learning my baby's cues", "The songs"])),
                       "themes": str(rng.choice(["peer support", "understanding baby", "peer support;routines"]))})
    if not with_items:
        frame.to_csv(folder / "scores.csv", index=False)
    # Safety alerts: about one dyad in eight answers the self-harm item above 0 at entry, a few at post.
    alerts = []
    for k, pid in enumerate(enrolled):
        if rng.random() < 0.125:
            minutes = float(rng.integers(5, 120))
            alerts.append({"participant_id": pid, "instrument": "epds", "rule": "self_harm", "severity": "urgent",
                           "timepoint": "pre", "raised_on": "", "status": "closed",
                           "minutes_to_acknowledgement": minutes, "minutes_to_close": minutes + float(rng.integers(60, 2000)),
                           "outcome": str(rng.choice(["contacted_mother", "safety_plan", "referred", "already_in_care"]))})
        if with_post[k] and rng.random() < 0.1:
            alerts.append({"participant_id": pid, "instrument": "gad7", "rule": "severe_anxiety",
                           "severity": "follow_up", "timepoint": "post", "raised_on": "", "status": "acknowledged",
                           "minutes_to_acknowledgement": float(rng.integers(30, 1440)), "minutes_to_close": "",
                           "outcome": ""})
    pd.DataFrame(alerts, columns=["participant_id", "instrument", "rule", "severity", "timepoint", "raised_on",
                                  "status", "minutes_to_acknowledgement", "minutes_to_close", "outcome"]
                 ).to_csv(folder / "alerts.csv", index=False)
    pd.DataFrame(fb, columns=["participant_id", "question", "text", "themes"]).to_csv(folder / "feedback.csv",
                                                                                      index=False)
    return folder
