"""Who reached which stage, and the right denominators (CONSORT 2010 extension to randomised
pilot and feasibility trials, Eldridge et al. 2016, adapted to a single arm).

Two denominators decide the headline feasibility results:

- **due**: a dyad's post-assessment is *due* when its window has closed by the data
  date or it was completed. Retention is the post-assessment among dyads due; dyads
  of a cohort still running are "not yet due", not lost.
- **held**: attendance counts the sessions *held* by the data date, from the first
  week offered to each dyad (a late joiner is not absent from weeks before she joined).

Both come from the bundle when it carries them (``post_due`` and ``first_week`` in
participants.csv, ``held`` in sessions.csv — bundle version 3) and are otherwise
derived, with a warning saying how.
"""

from __future__ import annotations

import pandas as pd

from .bundle import Bundle

IN_COHORT = ("enrolled", "completed", "withdrawn", "lost")
NOT_YET_ENROLLED = ("referred", "screened", "eligible", "consented")


def _column(frame: pd.DataFrame, name: str, default=None) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series(default, index=frame.index, dtype=object)


def _known(series: pd.Series) -> bool:
    return bool(series.notna().any())


def dyad_table(bundle: Bundle, warnings: list[str] | None = None) -> pd.DataFrame:
    """One row per participant with the stages reached (booleans) and the reason code."""
    people = bundle.get("participants.csv")
    warnings = warnings if warnings is not None else []
    s = people["status"]
    enrolled = s.isin(["enrolled", "completed", "lost"]) | _column(people, "enrolled_on").notna()
    consented = enrolled | s.eq("consented") | _column(people, "consented_on").notna()
    eligible_col = _column(people, "eligible")
    eligible = consented | s.eq("eligible") | eligible_col.eq(True)
    screened = eligible | s.isin(["screened", "ineligible"]) | _column(people, "screened_on").notna() | \
        eligible_col.notna()
    out = pd.DataFrame({
        "participant_id": people["participant_id"], "cohort": people["cohort"], "status": s,
        "referred": True, "screened": screened.astype(bool), "eligible": eligible.astype(bool),
        "consented": consented.astype(bool), "enrolled": enrolled.astype(bool),
    }, index=people.index)
    out["ineligible"] = ~out["enrolled"] & (s.eq("ineligible") | eligible_col.eq(False))
    out["declined"] = ~out["enrolled"] & s.eq("withdrawn")
    out["pending"] = ~out["enrolled"] & ~out["ineligible"] & ~out["declined"]
    out["discontinued"] = out["enrolled"] & s.isin(["withdrawn", "lost"])
    out["reason"] = _reason_codes(people)

    attendance = bundle.get("attendance.csv")
    if attendance is not None:
        present = set(attendance.loc[attendance["status"] == "present", "participant_id"])
        out["started"] = out["enrolled"] & people["participant_id"].isin(present)
    else:
        out["started"] = None
    scores = bundle.get("scores.csv")
    if scores is not None:
        valid = scores[scores["score"].notna()]
        pre = set(valid.loc[valid["timepoint"] == "pre", "participant_id"])
        post = set(valid.loc[valid["timepoint"] == "post", "participant_id"])
        by_pair = valid.groupby(["participant_id", "instrument", "scale"])["timepoint"].nunique()
        analysed = set(by_pair[by_pair == 2].index.get_level_values(0))
        ids = people["participant_id"]
        out["completed_pre"] = out["enrolled"] & ids.isin(pre)
        out["completed_post"] = out["enrolled"] & ids.isin(post)
        out["analysed"] = out["enrolled"] & ids.isin(analysed)
        out["due"] = out["enrolled"] & (_due(people, bundle, warnings) | out["completed_post"])
    else:
        for key in ("completed_pre", "completed_post", "analysed", "due"):
            out[key] = None
    return out


def _reason_codes(people: pd.DataFrame) -> pd.Series:
    """The categorical reason (bundle version 3), else the typed reason of an older bundle."""
    codes = _column(people, "reason_code")
    if _known(codes):
        return codes
    return _column(people, "withdrawal_reason")


def _due(people: pd.DataFrame, bundle: Bundle, warnings: list[str]) -> pd.Series:
    due = _column(people, "post_due")
    if _known(due):
        return due.eq(True)
    warnings.append("participants.csv has no post_due column (bundle version 1): dyads still enrolled without a "
                    "post-assessment are counted as not yet due; completed, withdrawn and lost dyads as due.")
    return people["status"].isin(["completed", "withdrawn", "lost"])


def held_sessions(bundle: Bundle, warnings: list[str] | None = None) -> pd.Series | None:
    """Whether each session of sessions.csv was held by the data date (index aligned with it)."""
    sessions = bundle.get("sessions.csv")
    if sessions is None:
        return None
    warnings = warnings if warnings is not None else []
    held = _column(sessions, "held")
    if _known(held):
        return held.eq(True)
    data_date = bundle.data_date
    if data_date is not None and not bundle.date_offsets and _known(sessions["date"]):
        return sessions["date"].notna() & (sessions["date"] <= pd.Timestamp(data_date))
    attendance = bundle.get("attendance.csv")
    recorded = set(attendance["session_id"]) if attendance is not None else set()
    warnings.append("sessions.csv does not say which sessions were held (bundle version 1): sessions with "
                    "attendance recorded are counted as held.")
    return sessions["session_id"].isin(recorded)


def offered_grid(bundle: Bundle, enrolled_ids: set[str], warnings: list[str] | None = None) -> pd.DataFrame | None:
    """Dyad × session rows for every held session offered to each enrolled dyad, with ``present`` 0/1."""
    sessions = bundle.get("sessions.csv")
    attendance = bundle.get("attendance.csv")
    people = bundle.get("participants.csv")
    if sessions is None or attendance is None:
        return None
    held = held_sessions(bundle, warnings)
    dyads = people[people["participant_id"].isin(enrolled_ids) & people["cohort"].notna()]
    columns = ["participant_id", "cohort"] + [c for c in ("first_week", "enrolled_on") if c in dyads.columns]
    offered = dyads[columns].merge(sessions[held.to_numpy()], on="cohort", how="inner")
    if "first_week" in offered.columns and _known(offered["first_week"]):
        offered = offered[offered["first_week"].isna() | (offered["week"] >= offered["first_week"])]
    elif "enrolled_on" in offered.columns and not bundle.date_offsets and _known(offered["enrolled_on"]):
        offered = offered[offered["enrolled_on"].isna() | offered["date"].isna() |
                          (offered["date"] >= offered["enrolled_on"])]
    if offered.empty:
        return None
    present = attendance[attendance["status"] == "present"][["participant_id", "session_id"]].assign(present=1)
    grid = offered.merge(present, on=["participant_id", "session_id"], how="left")
    grid["present"] = grid["present"].fillna(0)
    return grid


STAGES = ["referred", "screened", "eligible", "consented", "enrolled", "started", "completed_pre",
          "completed_post", "analysed", "due"]


def counts(table: pd.DataFrame) -> dict:
    out = {stage: (None if table[stage].isna().all() else int(table[stage].eq(True).sum()))
           for stage in STAGES}
    out["not_yet_due"] = None if out["due"] is None else out["enrolled"] - out["due"]
    return out


def _label(code: str, labels: dict[str, str]) -> str:
    return labels.get(code) or code.replace("_", " ").capitalize()


def _breakdown(values: pd.Series, labels: dict[str, str], split: bool = False) -> list[dict]:
    """Counts per reason code, most frequent first; ``split`` counts each of several ;-separated codes."""
    tally: dict[str, int] = {}
    for value in values:
        parts = [p.strip() for p in str(value).split(";") if p.strip()] if split and isinstance(value, str) else \
            [value if isinstance(value, str) and value.strip() else "not_recorded"]
        for part in parts or ["not_recorded"]:
            tally[part] = tally.get(part, 0) + 1
    labels = {"not_recorded": "Not recorded", **labels}
    return [{"code": code, "label": _label(code, labels), "n": n}
            for code, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))]


def consort(table: pd.DataFrame, reason_labels: dict[str, str], criteria_labels: dict[str, str]) -> dict:
    """The boxes of the CONSORT flow diagram, with categorical reasons."""
    t = table
    due_known = not t["due"].isna().all()
    started_known = not t["started"].isna().all()

    def flag(name):
        return t[name].eq(True)

    enrolled = flag("enrolled")
    out = {
        "referred": int(len(t)),
        "assessed": int(flag("screened").sum()),
        "not_assessed": int((~flag("screened") & ~enrolled).sum()),
        "excluded": {
            "n": int((~enrolled).sum()),
            "ineligible": {"n": int(flag("ineligible").sum()),
                           "criteria": _breakdown(t.loc[flag("ineligible"), "reason"], criteria_labels, split=True)},
            "declined": {"n": int(flag("declined").sum()),
                         "reasons": _breakdown(t.loc[flag("declined"), "reason"], reason_labels)},
            "pending": {"n": int(flag("pending").sum())},
        },
        "enrolled": int(enrolled.sum()),
        "received": int(flag("started").sum()) if started_known else None,
        "not_received": int((enrolled & ~flag("started")).sum()) if started_known else None,
    }
    withdrew = enrolled & t["status"].eq("withdrawn")
    lost = enrolled & t["status"].eq("lost")
    out["discontinued"] = {
        "n": int((withdrew | lost).sum()),
        "withdrew": {"n": int(withdrew.sum()), "reasons": _breakdown(t.loc[withdrew, "reason"], reason_labels)},
        "lost": {"n": int(lost.sum()), "reasons": _breakdown(t.loc[lost, "reason"], reason_labels)},
    }
    if due_known:
        due = enrolled & flag("due")
        missing = due & ~flag("completed_post")
        by_status = t.loc[missing, "status"].value_counts()
        out["follow_up"] = {
            "due": int(due.sum()), "not_yet_due": int((enrolled & ~flag("due")).sum()),
            "completed": int((due & flag("completed_post")).sum()),
            "missing": {"n": int(missing.sum()), "by_status": {str(k): int(v) for k, v in by_status.items()},
                        "reasons": _breakdown(t.loc[missing & t["status"].isin(["withdrawn", "lost"]), "reason"],
                                              reason_labels)},
        }
        out["analysed"] = int(flag("analysed").sum())
    else:
        out["follow_up"] = None
        out["analysed"] = None
    return out


def flow(bundle: Bundle, warnings: list[str] | None = None) -> tuple[dict, pd.DataFrame]:
    """Counts overall and per cohort, the CONSORT boxes (overall and per cohort), and the dyad table."""
    table = dyad_table(bundle, warnings)
    reason_labels = bundle.meta("reason_labels", {}) or {}
    criteria_labels = bundle.meta("criteria_labels", {}) or {}
    cohorts = table["cohort"].fillna("(no cohort)")
    by_cohort, consort_by_cohort = {}, {}
    for cohort in sorted(table.loc[table["enrolled"], "cohort"].dropna().unique()):
        mine = table[cohorts == cohort]
        by_cohort[cohort] = counts(mine)
        consort_by_cohort[cohort] = consort(mine, reason_labels, criteria_labels)
    result = {
        "overall": counts(table), "by_cohort": by_cohort,
        "consort": consort(table, reason_labels, criteria_labels), "consort_by_cohort": consort_by_cohort,
        "withdrawn_before_enrollment": int(table["declined"].sum()),
        "withdrawn_after_enrollment": int((table["enrolled"] & table["status"].eq("withdrawn")).sum()),
        "lost_to_follow_up": int((table["enrolled"] & table["status"].eq("lost")).sum()),
        "data_date": bundle.meta("data_date"),
    }
    return result, table
