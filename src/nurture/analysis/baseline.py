"""Baseline table: all enrolled dyads, and completers against non-completers among dyads due.

Non-completers are the dyads whose post-assessment was due but not returned; dyads not
yet due are in the first column only. The standardized difference (completers minus
non-completers; Austin 2009) shows whether those lost differ at baseline — a check on
the complete-case efficacy analysis, not a test (|d| above about 0.2 deserves a note).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .stats import standardized_difference

LANGUAGES = {"en": "English", "es": "Spanish"}
DELIVERY = {"in_person": "In person", "online": "Online", "hybrid": "Partly online"}
GROUPS = ("enrolled", "completers", "non_completers")


def _continuous(values: pd.Series) -> dict:
    v = values.dropna().astype(float)
    return {"n": int(len(v)), "mean": float(v.mean()) if len(v) else None,
            "sd": float(v.std(ddof=1)) if len(v) > 1 else None}


def _binary(values: pd.Series) -> dict:
    v = values.dropna().astype(float)
    return {"n": int(len(v)), "count": int(v.sum()), "share": float(v.mean()) if len(v) else None}


def baseline_table(table: pd.DataFrame, people: pd.DataFrame, scores: pd.DataFrame | None,
                   measures: list[tuple[str, str, str]]) -> dict | None:
    """``measures`` lists (instrument, scale, label) in report order."""
    enrolled = table["enrolled"].to_numpy(bool)
    if not enrolled.any():
        return None
    due_known = not table["due"].isna().all()
    completed = table["completed_post"].eq(True).to_numpy(bool) if due_known else np.zeros(len(table), bool)
    due = table["due"].eq(True).to_numpy(bool) if due_known else np.zeros(len(table), bool)
    masks = {"enrolled": enrolled, "completers": enrolled & due & completed,
             "non_completers": enrolled & due & ~completed}
    frame = people.copy()
    rows: list[dict] = []

    def add(label: str, series: pd.Series, kind: str, section: str) -> None:
        summarise = _continuous if kind == "continuous" else _binary
        row = {"label": label, "kind": kind, "section": section}
        for name, mask in masks.items():
            row[name] = summarise(series[mask])
        if due_known:
            row["smd"] = standardized_difference(series[masks["completers"]].dropna().astype(float),
                                                 series[masks["non_completers"]].dropna().astype(float),
                                                 binary=kind == "binary")
        else:
            row["smd"] = None
        rows.append(row)

    if "mother_age" in frame.columns and frame["mother_age"].notna().any():
        add("Mother's age (years)", frame["mother_age"], "continuous", "Mother and infant")
    if "infant_age_weeks" in frame.columns and frame["infant_age_weeks"].notna().any():
        add("Infant's age at referral (weeks)", frame["infant_age_weeks"], "continuous", "Mother and infant")
    if "primiparous" in frame.columns and frame["primiparous"].notna().any():
        add("First-time mother", frame["primiparous"].map({True: 1.0, False: 0.0}), "binary", "Mother and infant")
    if "language" in frame.columns and frame["language"].notna().any():
        for code in sorted(frame.loc[enrolled, "language"].dropna().unique()):
            add(f"Language: {LANGUAGES.get(code, code)}", (frame["language"] == code).astype(float)
                .where(frame["language"].notna()), "binary", "Mother and infant")
    if "delivery" in frame.columns and frame["delivery"].notna().any():
        for code in sorted(frame.loc[enrolled, "delivery"].dropna().unique()):
            add(f"Program delivery: {DELIVERY.get(code, code)}", (frame["delivery"] == code).astype(float)
                .where(frame["delivery"].notna()), "binary", "Program")
    if scores is not None:
        pre = scores[(scores["timepoint"] == "pre") & scores["score"].notna()]
        for instrument, scale, label in measures:
            mine = pre[(pre["instrument"] == instrument) & (pre["scale"] == scale)]
            if mine.empty:
                continue
            values = frame["participant_id"].map(mine.set_index("participant_id")["score"])
            add(label, values, "continuous", "Baseline scores")
    return {"groups": {name: int(mask.sum()) for name, mask in masks.items()},
            "not_yet_due": int((enrolled & ~due).sum()) if due_known else None,
            "rows": rows, "smd_note": "completers minus non-completers, among dyads due"}
