"""Feasibility: flow, rates with Wilson intervals, attendance, fidelity and progression.

Follows the CONSORT extension for pilot and feasibility studies (Eldridge et al.
2016), adapted to a single arm.
"""

from __future__ import annotations

from importlib import resources

import pandas as pd
import yaml

from .bundle import Bundle, BundleError
from .stats import wilson_interval

_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _load_yaml(text):
    """Parse YAML with libyaml when PyYAML has it (several times faster: the library is read
    at every start); a document it refuses is parsed again by the pure-Python parser, so
    errors read exactly as they always have."""
    try:
        return yaml.load(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return yaml.safe_load(text)

STAGES = ["referred", "screened", "eligible", "consented", "enrolled", "started", "completed_pre",
          "completed_post", "analysed"]
ENROLLED_STATUSES = {"enrolled", "completed", "withdrawn", "lost"}


def rate(successes: int, n: int) -> dict:
    return {"successes": int(successes), "n": int(n), "estimate": successes / n if n else None,
            "ci95": wilson_interval(int(successes), int(n)) if n else None}


def _stage_flags(people: pd.DataFrame, attendance: pd.DataFrame | None, scores: pd.DataFrame | None) -> pd.DataFrame:
    """Which stages each dyad reached, from its furthest status and its dates."""
    s = people["status"]

    def has(col):
        return people[col].notna() if col in people.columns else pd.Series(False, index=people.index)

    enrolled = s.isin(["enrolled", "completed", "lost"]) | has("enrolled_on")
    consented = enrolled | s.eq("consented") | has("consented_on")
    eligible_col = people["eligible"] if "eligible" in people.columns else pd.Series(None, index=people.index)
    eligible = consented | s.eq("eligible") | eligible_col.eq(True)
    screened = eligible | s.isin(["screened", "ineligible"]) | has("screened_on") | eligible_col.notna()
    flags = pd.DataFrame({"referred": True, "screened": screened, "eligible": eligible, "consented": consented,
                          "enrolled": enrolled}, index=people.index)
    ids = people["participant_id"]
    if attendance is not None:
        present = set(attendance.loc[attendance["status"] == "present", "participant_id"])
        flags["started"] = enrolled & ids.isin(present)
    else:
        flags["started"] = None
    if scores is not None:
        valid = scores[scores["score"].notna()]
        pre = set(valid.loc[valid["timepoint"] == "pre", "participant_id"])
        post = set(valid.loc[valid["timepoint"] == "post", "participant_id"])
        by_pair = valid.groupby(["participant_id", "instrument", "scale"])["timepoint"].nunique()
        analysed = set(by_pair[by_pair == 2].index.get_level_values(0))
        flags["completed_pre"] = enrolled & ids.isin(pre)
        flags["completed_post"] = enrolled & ids.isin(post)
        flags["analysed"] = enrolled & ids.isin(analysed)
    else:
        flags["completed_pre"] = flags["completed_post"] = flags["analysed"] = None
    return flags


def _counts(flags: pd.DataFrame) -> dict:
    return {stage: (None if flags[stage].isna().all() else int(flags[stage].fillna(False).sum()))
            for stage in STAGES}


def _reasons(people: pd.DataFrame) -> dict:
    reason = people.get("withdrawal_reason", pd.Series(None, index=people.index)).fillna("not recorded")
    out = {}
    for status in ("ineligible", "withdrawn", "lost"):
        mask = people["status"] == status
        if mask.any():
            out[status] = {str(k): int(v) for k, v in reason[mask].value_counts().sort_index().items()}
    # Withdrawn before enrollment (declined) is reported apart from leaving the program.
    return out


def flow(bundle: Bundle) -> dict:
    people = bundle.get("participants.csv")
    flags = _stage_flags(people, bundle.get("attendance.csv"), bundle.get("scores.csv"))
    by_cohort = {}
    cohorts = people["cohort"].fillna("(no cohort)")
    for cohort in sorted(cohorts.unique()):
        by_cohort[cohort] = _counts(flags[cohorts == cohort])
    withdrew_before = int(((people["status"] == "withdrawn") & ~flags["enrolled"]).sum())
    return {"overall": _counts(flags), "by_cohort": by_cohort, "reasons": _reasons(people),
            "withdrawn_before_enrollment": withdrew_before,
            "withdrawn_after_enrollment": int(((people["status"] == "withdrawn") & flags["enrolled"]).sum()),
            "lost_to_follow_up": int((people["status"] == "lost").sum()), "_flags": flags}


def _recruitment(people: pd.DataFrame, offsets: bool) -> dict | None:
    if "enrolled_on" not in people.columns or offsets:
        return None
    dates = people["enrolled_on"].dropna()
    if dates.empty:
        return None
    months = dates.dt.to_period("M")
    span = pd.period_range(months.min(), months.max(), freq="M")
    per_month = months.value_counts().reindex(span, fill_value=0)
    return {"months": len(span), "enrolled": int(len(dates)), "per_month_mean": float(len(dates) / len(span)),
            "by_month": {str(k): int(v) for k, v in per_month.items()}}


def attendance_summary(bundle: Bundle, enrolled_ids: set[str]) -> dict | None:
    sessions = bundle.get("sessions.csv")
    attendance = bundle.get("attendance.csv")
    people = bundle.get("participants.csv")
    if sessions is None or attendance is None:
        return None
    dyads = people[people["participant_id"].isin(enrolled_ids) & people["cohort"].notna()]
    offered = dyads[["participant_id", "cohort"]].merge(sessions, on="cohort", how="inner")
    if offered.empty:
        return None
    present = attendance[attendance["status"] == "present"][["participant_id", "session_id"]].assign(present=1)
    grid = offered.merge(present, on=["participant_id", "session_id"], how="left")
    grid["present"] = grid["present"].fillna(0)
    weeks = dyads.set_index("participant_id").get("curriculum_weeks")

    def summarise(frame: pd.DataFrame) -> dict:
        share = frame.groupby("participant_id")["present"].mean()
        return {"n_dyads": int(len(share)), "mean": float(share.mean()), "median": float(share.median()),
                "sd": float(share.std(ddof=1)) if len(share) > 1 else None,
                "share_at_least_75": rate(int((share >= 0.75).sum()), len(share))}

    per_dyad = grid.groupby("participant_id")["present"].mean()
    result = {"overall": summarise(grid),
              "by_component": {c: summarise(g) for c, g in grid.groupby("component")},
              "by_mode": {m: summarise(g) for m, g in grid.groupby("mode")},
              "by_week": [{"week": int(w), "component": c, "share_present": float(g["present"].mean())}
                          for (w, c), g in grid.groupby(["week", "component"])],
              "per_dyad": {str(k): float(v) for k, v in per_dyad.items()}}
    if weeks is not None and weeks.notna().any():
        grid["curriculum_weeks"] = grid["participant_id"].map(weeks)
        result["by_curriculum"] = {f"{int(k)} weeks": summarise(g) for k, g in grid.groupby("curriculum_weeks")}
    return result


def fidelity_summary(bundle: Bundle) -> dict | None:
    fidelity = bundle.get("fidelity.csv")
    sessions = bundle.get("sessions.csv")
    if fidelity is None:
        return None
    frame = fidelity if sessions is None else fidelity.merge(sessions, on="session_id", how="left")

    def share(g):
        planned = g["items_planned"].sum()
        return {"sessions": int(len(g)), "planned": int(planned), "delivered": int(g["items_delivered"].sum()),
                "share": float(g["items_delivered"].sum() / planned) if planned else None}

    out = {"overall": share(frame)}
    if sessions is not None:
        out["by_cohort"] = {str(k): share(g) for k, g in frame.groupby("cohort")}
        out["by_component"] = {str(k): share(g) for k, g in frame.groupby("component")}
    return out


def load_criteria(path=None) -> list[dict]:
    if path is None:
        text = (resources.files("nurture.analysis") / "progression.yaml").read_text(encoding="utf-8")
        source = "progression.yaml"
    else:
        source = str(path)
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except IsADirectoryError:
            raise BundleError("is a folder, not a criteria file", file=source) from None
        except OSError as exc:
            raise BundleError(f"cannot be read ({exc.strerror})", file=source) from None
        except UnicodeDecodeError:
            raise BundleError("is not UTF-8 text", file=source) from None
    try:
        data = _load_yaml(text)
    except yaml.YAMLError as exc:
        raise BundleError(f"is not valid YAML ({exc})", file=source) from None
    criteria = data.get("criteria") if isinstance(data, dict) else None
    if not isinstance(criteria, list):
        raise BundleError("must have a list named criteria", file=source)
    for i, c in enumerate(criteria):
        if not isinstance(c, dict):
            raise BundleError(f"criteria[{i}] must be a mapping of id, label, rate, green, amber", file=source)
        for key in ("id", "label", "rate", "green", "amber"):
            if key not in c:
                raise BundleError(f"criteria[{i}] needs {key!r}", file=source)
        if not isinstance(c["rate"], str) or not isinstance(c["id"], str | int):
            raise BundleError(f"criteria[{i}]: id and rate must be names", file=source)
        for key in ("green", "amber"):
            if isinstance(c[key], bool) or not isinstance(c[key], int | float) or c[key] != c[key]:
                raise BundleError(f"criteria[{i}].{key} must be a number between 0 and 1", file=source)
        if not 0 <= c["amber"] <= c["green"] <= 1:
            raise BundleError(f"criteria[{i}]: amber must not exceed green, both between 0 and 1", file=source)
    return criteria


def zone(estimate: float | None, criterion: dict) -> str | None:
    if estimate is None:
        return None
    if estimate >= criterion["green"]:
        return "green"
    return "amber" if estimate >= criterion["amber"] else "red"


def feasibility(bundle: Bundle, criteria: list[dict] | None = None) -> dict | None:
    people = bundle.get("participants.csv")
    if people is None:
        return None
    counts = flow(bundle)
    flags = counts.pop("_flags")
    overall = counts["overall"]
    rates = {
        "eligibility": rate(overall["eligible"], overall["screened"]),
        "consent": rate(overall["consented"], overall["eligible"]),
        "enrollment": rate(overall["enrolled"], overall["consented"]),
    }
    if overall["completed_post"] is not None:
        rates["retention"] = rate(overall["completed_post"], overall["enrolled"])
        rates["pre_completion"] = rate(overall["completed_pre"], overall["enrolled"])
    enrolled_ids = set(people.loc[flags["enrolled"], "participant_id"])
    attendance = attendance_summary(bundle, enrolled_ids)
    fidelity = fidelity_summary(bundle)
    estimates = {name: r["estimate"] for name, r in rates.items()}
    intervals = {name: r["ci95"] for name, r in rates.items()}
    if attendance:
        estimates["attendance"] = attendance["overall"]["mean"]
        intervals["attendance"] = None
    if fidelity and fidelity["overall"]["share"] is not None:
        estimates["fidelity"] = fidelity["overall"]["share"]
        intervals["fidelity"] = None
    progression = []
    for criterion in criteria if criteria is not None else load_criteria():
        estimate = estimates.get(criterion["rate"])
        progression.append({"id": criterion["id"], "label": criterion["label"], "estimate": estimate,
                            "ci95": intervals.get(criterion["rate"]), "green": criterion["green"],
                            "amber": criterion["amber"], "zone": zone(estimate, criterion)})
    return {"flow": counts, "rates": rates, "recruitment": _recruitment(people, bundle.date_offsets),
            "attendance": attendance, "fidelity": fidelity, "progression": progression}


def participant_characteristics(bundle: Bundle) -> dict | None:
    """Table 1: characteristics of enrolled dyads."""
    people = bundle.get("participants.csv")
    if people is None:
        return None
    flags = _stage_flags(people, None, None)
    enrolled = people[flags["enrolled"]]
    out: dict = {"n": int(len(enrolled))}

    def continuous(col):
        values = enrolled[col].dropna().astype(float) if col in enrolled.columns else pd.Series(dtype=float)
        if values.empty:
            return None
        return {"n": int(len(values)), "mean": float(values.mean()),
                "sd": float(values.std(ddof=1)) if len(values) > 1 else None,
                "min": float(values.min()), "max": float(values.max()), "median": float(values.median())}

    def categorical(col):
        if col not in enrolled.columns or enrolled[col].isna().all():
            return None
        counts = enrolled[col].map(lambda v: {True: "yes", False: "no"}.get(v, v)).fillna("not recorded")
        return {str(k): int(v) for k, v in counts.value_counts().sort_index().items()}

    out["mother_age"] = continuous("mother_age")
    out["infant_age_weeks"] = continuous("infant_age_weeks")
    for col in ("primiparous", "language", "delivery", "curriculum_weeks", "cohort", "site"):
        out[col] = categorical(col)
    if out["curriculum_weeks"]:
        out["curriculum_weeks"] = {f"{float(k):g} weeks": v for k, v in out["curriculum_weeks"].items()}
    return out


__all__ = ["feasibility", "participant_characteristics", "rate", "load_criteria", "zone"]
