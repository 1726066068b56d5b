"""Feasibility: flow, rates with Wilson intervals, recruitment, attendance, fidelity, data completeness.

Follows the CONSORT extension for pilot and feasibility studies (Eldridge et al.
2016), adapted to a single arm. The denominators (dyads *due*, sessions *held*) are
explained in :mod:`nurture.analysis.flow`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .bundle import Bundle
from .flow import dyad_table, flow, offered_grid
from .stats import _t_ppf, poisson_interval, wilson_interval


def rate(successes: int, n: int) -> dict:
    return {"successes": int(successes), "n": int(n), "estimate": successes / n if n else None,
            "ci95": wilson_interval(int(successes), int(n)) if n else None}


def mean_with_ci(values, bounds: tuple[float, float] = (0.0, 1.0)) -> dict:
    """Mean with its t interval (R ``t.test(x)$conf.int``), clipped to ``bounds``; units are dyads or sessions."""
    values = np.asarray(values, dtype=float)
    values = values[~np.isnan(values)]
    n = len(values)
    if n == 0:
        return {"n": 0, "mean": None, "sd": None, "ci95": None}
    mean = float(values.mean())
    if n < 2:
        return {"n": n, "mean": mean, "sd": None, "ci95": None}
    sd = float(values.std(ddof=1))
    half = _t_ppf(0.975, n - 1) * sd / math.sqrt(n)
    return {"n": n, "mean": mean, "sd": sd, "ci95": [max(bounds[0], mean - half), min(bounds[1], mean + half)]}


def _recruitment(people: pd.DataFrame, table: pd.DataFrame, offsets: bool) -> dict | None:
    """Dyads enrolled per month, from the first referral's month to the last enrollment's (inclusive)."""
    enrolled = table["enrolled"].to_numpy()
    if not offsets and "enrolled_on" in people.columns and people["enrolled_on"].notna().any():
        enrolled_months = people.loc[enrolled, "enrolled_on"].dropna().dt.to_period("M")
        referred = people["referred_on"].dropna().dt.to_period("M") if "referred_on" in people.columns else \
            enrolled_months
        if enrolled_months.empty:
            return None
        first = min(referred.min(), enrolled_months.min())
        span = pd.period_range(first, enrolled_months.max(), freq="M")
        by_month = enrolled_months.value_counts().reindex(span, fill_value=0)
        labels = [str(k) for k in by_month.index]
    elif "enrollment_month" in people.columns and people["enrollment_month"].notna().any():
        months = people.loc[enrolled, "enrollment_month"].dropna().astype(int)
        first = int(people["referral_month"].min()) if "referral_month" in people.columns and \
            people["referral_month"].notna().any() else int(months.min())
        span = range(min(first, int(months.min())), int(months.max()) + 1)
        by_month = months.value_counts().reindex(list(span), fill_value=0)
        labels = [f"month {k}" for k in by_month.index]
    else:
        return None
    n_months = len(by_month)
    total = int(by_month.sum())
    sites = people.loc[enrolled, "site"].nunique() if "site" in people.columns else 1
    return {"months": n_months, "enrolled": total, "per_month": total / n_months,
            "per_month_ci95": poisson_interval(total, n_months), "sites": int(max(1, sites)),
            "per_site_month": total / n_months / max(1, sites),
            "by_month": dict(zip(labels, (int(v) for v in by_month.to_numpy()), strict=True))}


def attendance_summary(bundle: Bundle, enrolled_ids: set[str], warnings: list[str] | None = None) -> dict | None:
    """Each dyad's share of the sessions held after it joined, summarised overall and by group, mode, curriculum."""
    grid = offered_grid(bundle, enrolled_ids, warnings)
    if grid is None:
        return None
    people = bundle.get("participants.csv")
    weeks = people.set_index("participant_id").get("curriculum_weeks")

    def summarise(frame: pd.DataFrame) -> dict:
        share = frame.groupby("participant_id")["present"].mean()
        return {"n_dyads": int(len(share)), "sessions": int(frame["session_id"].nunique()),
                "mean": float(share.mean()), "median": float(share.median()),
                "sd": float(share.std(ddof=1)) if len(share) > 1 else None,
                "ci95": mean_with_ci(share.to_numpy())["ci95"],
                "share_at_least_75": rate(int((share >= 0.75).sum()), len(share))}

    per_dyad = grid.groupby("participant_id")["present"].mean()
    sessions = bundle.get("sessions.csv")
    result = {"overall": summarise(grid),
              "sessions_held": int(grid["session_id"].nunique()), "sessions_planned": int(len(sessions)),
              "dyads_without_held_sessions": int(len(enrolled_ids - set(grid["participant_id"]))),
              "by_component": {c: summarise(g) for c, g in grid.groupby("component")},
              "by_mode": {m: summarise(g) for m, g in grid.groupby("mode")},
              "by_week": [{"week": int(w), "component": c, "share_present": float(g["present"].mean()),
                           "dyads": int(len(g))} for (w, c), g in grid.groupby(["week", "component"])],
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
        per_session = (g["items_delivered"] / g["items_planned"].where(g["items_planned"] > 0)).to_numpy(float)
        return {"sessions": int(len(g)), "planned": int(planned), "delivered": int(g["items_delivered"].sum()),
                "share": float(g["items_delivered"].sum() / planned) if planned else None,
                "session_mean": mean_with_ci(per_session)}

    out = {"overall": share(frame)}
    if sessions is not None:
        out["by_cohort"] = {str(k): share(g) for k, g in frame.groupby("cohort")}
        out["by_component"] = {str(k): share(g) for k, g in frame.groupby("component")}
    return out


def data_completeness(bundle: Bundle, instrument_items: dict[str, int] | None) -> dict | None:
    """Items answered among the items of each instrument presented in a completed assessment.

    An instrument counts as presented when at least one of its items was answered; the
    unit of the interval is the assessment (dyad × timepoint).
    """
    items = bundle.get("item_responses.csv")
    if items is None or not instrument_items:
        return None
    answered = items[items["value"].notna() & items["instrument"].isin(set(instrument_items))]
    if answered.empty:
        return None
    per = answered.groupby(["participant_id", "timepoint", "instrument"]).size().rename("answered").reset_index()
    per["expected"] = per["instrument"].map(instrument_items)
    per["answered"] = per[["answered", "expected"]].min(axis=1)
    by_assessment = per.groupby(["participant_id", "timepoint"])[["answered", "expected"]].sum()
    shares = (by_assessment["answered"] / by_assessment["expected"]).to_numpy(float)
    summary = mean_with_ci(shares)
    return {"items_answered": int(per["answered"].sum()), "items_expected": int(per["expected"].sum()),
            "share": float(per["answered"].sum() / per["expected"].sum()), "assessments": int(len(shares)),
            "assessment_mean": summary["mean"], "ci95": summary["ci95"],
            "complete_assessments": int((shares >= 1).sum())}


def feasibility(bundle: Bundle, warnings: list[str] | None = None,
                instrument_items: dict[str, int] | None = None) -> dict | None:
    """Flow, rates, recruitment, attendance, fidelity and completeness; ``_table`` is the dyad table."""
    people = bundle.get("participants.csv")
    if people is None:
        return None
    warnings = warnings if warnings is not None else []
    counts, table = flow(bundle, warnings)
    overall = counts["overall"]
    rates = {
        "eligibility": rate(overall["eligible"], overall["screened"]),
        "consent": rate(overall["consented"], overall["eligible"]),
        "enrollment": rate(overall["enrolled"], overall["consented"]),
    }
    if overall["completed_post"] is not None:
        rates["retention"] = rate(overall["completed_post"], overall["due"])
        rates["retention_among_enrolled"] = rate(overall["completed_post"], overall["enrolled"])
        rates["pre_completion"] = rate(overall["completed_pre"], overall["enrolled"])
        for c in counts["by_cohort"].values():
            c["retention"] = rate(c["completed_post"], c["due"])
    enrolled_ids = set(people.loc[table["enrolled"].to_numpy(), "participant_id"])
    return {"flow": counts, "rates": rates, "recruitment": _recruitment(people, table, bundle.date_offsets),
            "attendance": attendance_summary(bundle, enrolled_ids, warnings), "fidelity": fidelity_summary(bundle),
            "data_completeness": data_completeness(bundle, instrument_items), "_table": table}


def participant_characteristics(bundle: Bundle, table: pd.DataFrame | None = None) -> dict | None:
    """Table 1: characteristics of enrolled dyads."""
    people = bundle.get("participants.csv")
    if people is None:
        return None
    enrolled = people[(dyad_table(bundle) if table is None else table)["enrolled"].to_numpy()]
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


__all__ = ["feasibility", "participant_characteristics", "rate"]
