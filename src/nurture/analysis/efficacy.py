"""Preliminary efficacy: pre–post change per instrument × scale (DESIGN §5.4).

The measure catalogue (direction, reliability, clinical cut-off per instrument and
scale) is passed in by the caller — normally built from the instrument library — so
this module stays independent of the instrument definitions.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from . import stats
from .mixed import random_intercept_lmm

ACCEPTABILITY_INSTRUMENTS = {"feedback"}


@dataclass(frozen=True)
class MeasureInfo:
    label: str
    lower_is_better: bool | None
    reliability: float | None = None
    reliability_source: str = ""
    cutoff: float | None = None  # where the clinical range starts (a published cut-off)
    cutoff_source: str = ""
    n_items: int | None = None  # items of the scale (a score from fewer was prorated)
    functional: tuple[float, float] | None = None  # (mean, SD) of a normative sample: criterion c
    dysfunctional: tuple[float, float] | None = None  # (mean, SD) of a clinical sample: criterion c
    norms_source: str = ""
    rc_points: float | None = None  # a published reliable-change threshold, for comparison
    rc_points_source: str = ""


Catalogue = dict[tuple[str, str], MeasureInfo]


def paired_frame(scores: pd.DataFrame) -> pd.DataFrame:
    """One row per participant × instrument × scale with ``pre`` and ``post`` columns."""
    valid = scores[scores["score"].notna()]
    wide = valid.pivot_table(index=["instrument", "scale", "participant_id"], columns="timepoint", values="score",
                             aggfunc="first")
    for tp in ("pre", "post"):
        if tp not in wide.columns:
            wide[tp] = np.nan
    return wide[["pre", "post"]].reset_index()


def _summary(values: np.ndarray) -> dict:
    return {"mean": float(values.mean()) if len(values) else None,
            "sd": float(values.std(ddof=1)) if len(values) > 1 else None}


def _better(diff: np.ndarray, lower_is_better: bool) -> np.ndarray:
    return -diff if lower_is_better else diff


def clinical_boundary(info: MeasureInfo) -> tuple[float, str, str] | None:
    """Where the clinical range starts, how it was set, and its source.

    Criterion c (Jacobson & Truax 1991) when a normative and a clinical sample are
    documented: c = (SD₀·M₁ + SD₁·M₀) / (SD₀ + SD₁); else the published cut-off. Never
    criterion a from the pilot's own baseline: in a sample selected for elevated risk it
    puts almost everyone "in the clinical range".
    """
    if info.functional and info.dysfunctional:
        (m0, s0), (m1, s1) = info.functional, info.dysfunctional
        return (s0 * m1 + s1 * m0) / (s0 + s1), "criterion c (normative and clinical samples)", info.norms_source
    if info.cutoff is not None:
        return info.cutoff, "published cut-off", info.cutoff_source
    return None


def reliable_change(pre: np.ndarray, post: np.ndarray, info: MeasureInfo) -> dict | None:
    """Jacobson & Truax (1991) reliable change, and clinically significant change.

    s_diff = √2 · SD_pre · √(1 − r); RCI = (post − pre) / s_diff; reliable when
    |RCI| > 1.96. Clinically significant ("recovered"): reliable improvement from the
    clinical range to the healthy side of the boundary of :func:`clinical_boundary`;
    without a documented boundary only reliable change is reported.
    """
    if info.reliability is None or info.lower_is_better is None or len(pre) < 2:
        return None
    sd_pre = float(pre.std(ddof=1))
    s_diff = math.sqrt(2) * sd_pre * math.sqrt(1 - info.reliability)
    if s_diff == 0:
        return None
    rci = (post - pre) / s_diff
    towards_health = _better(rci, info.lower_is_better)
    improved = towards_health > 1.96
    deteriorated = towards_health < -1.96
    out = {
        "reliability": info.reliability, "reliability_source": info.reliability_source,
        "sd_pre": sd_pre, "s_diff": s_diff, "threshold_points": 1.96 * s_diff,
        "published_threshold_points": info.rc_points, "published_threshold_source": info.rc_points_source,
        "improved": int(improved.sum()), "no_change": int((~improved & ~deteriorated).sum()),
        "deteriorated": int(deteriorated.sum()), "clinical": None,
    }
    boundary = clinical_boundary(info)
    if boundary is not None:
        cutoff, kind, source = boundary
        healthy_after = post < cutoff if info.lower_is_better else post >= cutoff
        clinical_before = pre >= cutoff if info.lower_is_better else pre < cutoff
        recovered = improved & healthy_after & clinical_before
        out["clinical"] = {"cutoff": cutoff, "cutoff_kind": kind, "cutoff_source": source,
                           "in_clinical_range_pre": int(clinical_before.sum()),
                           "in_clinical_range_post": int((~healthy_after).sum()),
                           "recovered": int(recovered.sum())}
    return out


def conclusion(ci95: list[float] | None, lower_is_better: bool | None) -> str | None:
    """What the 95% interval of the mean change allows us to say.

    ``improved`` or ``worsened`` only when the interval excludes no change; measures
    without a direction (e.g. infant temperament) only ``increased`` or ``decreased``;
    otherwise ``no_clear_change``.
    """
    if not ci95:
        return None
    lo, hi = ci95
    if lo <= 0 <= hi:
        return "no_clear_change"
    up = lo > 0
    if lower_is_better is None:
        return "increased" if up else "decreased"
    return "worsened" if up == lower_is_better else "improved"


def _measure(instrument: str, scale: str, pairs: pd.DataFrame, info: MeasureInfo | None, n_boot: int,
             seed: int | None) -> tuple[dict, list[str]]:
    warnings = []
    complete = pairs.dropna(subset=["pre", "post"])
    pre = complete["pre"].to_numpy(dtype=float)
    post = complete["post"].to_numpy(dtype=float)
    n = len(complete)
    entry = {
        "instrument": instrument, "scale": scale, "label": info.label if info else f"{instrument} {scale}",
        "lower_is_better": info.lower_is_better if info else None, "n": n,
        "n_pre_only": int((pairs["pre"].notna() & pairs["post"].isna()).sum()),
        "n_post_only": int((pairs["pre"].isna() & pairs["post"].notna()).sum()),
        "pre": _summary(pre), "post": _summary(post),
        "diff": None, "t_test": None, "wilcoxon": None, "effect": None, "bootstrap": None,
        "p_holm": None, "p_fdr": None, "primary": False, "reliable_change": None, "direction_of_change": None,
    }
    if info is None:
        warnings.append(f"{instrument} {scale}: not in the instrument library; analysed without direction or "
                        "reliable change")
    if n < 3:
        warnings.append(f"{instrument} {scale}: only {n} complete pre–post pairs; statistics need at least 3")
        return entry, warnings
    t = stats.paired_t(pre, post)
    entry["diff"] = {"mean": t["mean"], "sd": t["sd"], "ci95": t["ci95"]}
    entry["t_test"] = {"t": t["t"], "df": t["df"], "p": t["p"]}
    entry["wilcoxon"] = stats.wilcoxon_signed_rank(pre, post)
    entry["effect"] = stats.effect_sizes(pre, post)
    entry["pre_post_r"] = stats.correlation(pre, post)
    if n_boot:
        entry["bootstrap"] = stats.bootstrap_paired(pre, post, n_boot=n_boot, seed=seed)
    if info is not None:
        entry["reliable_change"] = reliable_change(pre, post, info)
    entry["direction_of_change"] = conclusion(t["ci95"], entry["lower_is_better"])
    return entry, warnings


def _lmm_for(long: pd.DataFrame, moderator: str | None, nested: bool = False) -> dict | None:
    data = long.dropna(subset=["score"] + ([moderator] if moderator else []) + (["cohort"] if nested else []))
    if data["participant_id"].nunique() < 3 or data["time"].nunique() < 2:
        return None
    if nested and data["cohort"].nunique() < 2:
        return None
    columns = [np.ones(len(data)), data["time"].to_numpy(float)]
    names = ["intercept", "time"]
    if moderator:
        levels = sorted(data[moderator].astype(str).unique())
        if len(levels) < 2:
            return None
        reference = levels[0]
        for level in levels[1:]:
            dummy = (data[moderator].astype(str) == level).to_numpy(float)
            columns += [dummy, dummy * data["time"].to_numpy(float)]
            names += [f"{moderator}={level}", f"time × {moderator}={level}"]
    try:
        fit = random_intercept_lmm(data["score"].to_numpy(float), np.column_stack(columns),
                                   data["participant_id"].to_numpy(), names,
                                   cohorts=data["cohort"].to_numpy() if nested else None)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"error": str(exc)}
    random = "(1 | cohort / participant)" if nested else "(1 | participant)"
    fit["model"] = "score ~ time" + (f" * {moderator} (reference {reference})" if moderator else "") + \
        f" + {random}"
    if moderator:
        fit["reference"] = reference
        fit["interactions"] = [{"level": name.split("=", 1)[1], **c} for name, c in fit["coefficients"].items()
                               if name.startswith("time × ")]
    return fit


MODERATORS = {"delivery": "Delivery mode", "curriculum_weeks": "Curriculum version"}
LEVELS = {"in_person": "in person", "hybrid": "partly online", "online": "online"}


def _moderators(people: pd.DataFrame | None) -> dict[str, pd.Series]:
    """Dyad-level moderators, indexed by participant id (levels as text)."""
    out: dict[str, pd.Series] = {}
    if people is None:
        return out
    indexed = people.set_index("participant_id")
    if "delivery" in indexed.columns and indexed["delivery"].notna().any():
        out["delivery"] = indexed["delivery"]
    if "curriculum_weeks" in indexed.columns and indexed["curriculum_weeks"].notna().any():
        out["curriculum_weeks"] = indexed["curriculum_weeks"].map(
            lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g} weeks")
    return out


def confounds(people: pd.DataFrame | None, ids: set[str]) -> dict:
    """Moderators that coincide (aliased) or vary only between cohorts, among the analysed dyads.

    Two moderators are aliased when each level of one goes with exactly one level of the
    other: the data cannot separate their effects, so they are modelled once.
    """
    moderators = _moderators(people)
    names = list(moderators)
    groups: list[list[str]] = []
    placed: set[str] = set()
    for i, a in enumerate(names):
        if a in placed:
            continue
        group = [a]
        for b in names[i + 1:]:
            pair = pd.DataFrame({"a": moderators[a], "b": moderators[b]}).loc[lambda f: f.index.isin(ids)].dropna()
            if len(pair) and pair.groupby("a")["b"].nunique().max() == 1 and \
                    pair.groupby("b")["a"].nunique().max() == 1:
                group.append(b)
        placed.update(group)
        groups.append(group)
    notes, aliased = [], []
    cohort = people.set_index("participant_id")["cohort"] if people is not None else None
    for group in groups:
        first = moderators[group[0]]
        if len(group) > 1:
            pair = pd.DataFrame({k: moderators[k] for k in group}).loc[lambda f: f.index.isin(ids)].dropna()
            mapping = "; ".join(" = ".join(LEVELS.get(str(v), str(v)) for v in row) for row in
                                pair.drop_duplicates().sort_values(group[0]).itertuples(index=False))
            labels = " and ".join(MODERATORS.get(k, k).lower() for k in group)
            aliased.append({"moderators": group, "levels": mapping})
            notes.append(f"{labels[0].upper()}{labels[1:]} coincide in these data ({mapping}): their effects "
                         "cannot be separated, so they are modelled once.")
        if cohort is not None:
            frame = pd.DataFrame({"m": first, "cohort": cohort}).loc[lambda f: f.index.isin(ids)].dropna()
            if len(frame) and frame.groupby("cohort")["m"].nunique().max() == 1:
                n_cohorts = frame["cohort"].nunique()
                label = " and ".join(MODERATORS.get(k, k).lower() for k in group)
                verb, its = ("vary", "their") if len(group) > 1 else ("varies", "its")
                notes.append(f"{label[0].upper()}{label[1:]} {verb} only between cohorts ({n_cohorts} cohorts): {its} "
                             "comparison is confounded with everything else that differs between cohorts, "
                             "including when they ran.")
    return {"groups": groups, "aliased": aliased, "notes": notes}


def _level_labels(group: list[str], moderators: dict[str, pd.Series]) -> dict[str, str]:
    """Each level of the first moderator in words, with the levels of the moderators aliased with it."""
    pairs = pd.DataFrame({k: moderators[k] for k in group}).dropna().drop_duplicates(subset=[group[0]])
    return {str(row[0]): ", ".join(LEVELS.get(str(v), str(v)) for v in row)
            for row in pairs.itertuples(index=False)}


def sensitivity(scores: pd.DataFrame, people: pd.DataFrame | None, measures: list[tuple[str, str]],
                catalogue: Catalogue, groups: list[list[str]]) -> list[dict]:
    """Mixed models using every participant with at least one timepoint.

    Per measure: change over time with a dyad intercept (nlme df); the same with dyads
    nested in cohorts (and the cohort ICC); change by each moderator — aliased
    moderators once.
    """
    out = []
    moderators = _moderators(people)
    cohort = people.set_index("participant_id")["cohort"] if people is not None else None
    valid = scores[scores["score"].notna()]
    by_measure = dict(list(valid.groupby(["instrument", "scale"], sort=False)))
    for instrument, scale in measures:
        long = by_measure[(instrument, scale)][["participant_id", "timepoint", "score"]].copy()
        long["time"] = (long["timepoint"] == "post").astype(float)
        info = catalogue.get((instrument, scale))
        entry = {"instrument": instrument, "scale": scale, "label": info.label if info else f"{instrument} {scale}",
                 "time": _lmm_for(long, None), "time_nested": None, "moderators": []}
        if cohort is not None:
            long["cohort"] = long["participant_id"].map(cohort)
            entry["time_nested"] = _lmm_for(long, None, nested=True)
        for group in groups:
            key = group[0]
            long[key] = long["participant_id"].map(moderators[key])
            entry["moderators"].append({"key": key, "aliased_with": group[1:],
                                        "label": " and ".join(MODERATORS.get(k, k) for k in group),
                                        "level_labels": _level_labels(group, moderators),
                                        "fit": _lmm_for(long, key)})
        out.append(entry)
    return out


def missing_data(scores: pd.DataFrame, people: pd.DataFrame | None, catalogue: Catalogue) -> dict:
    valid = scores[scores["score"].notna()]
    pre = set(valid.loc[valid["timepoint"] == "pre", "participant_id"])
    post = set(valid.loc[valid["timepoint"] == "post", "participant_id"])
    pre_only = sorted(pre - post)
    info = people.set_index("participant_id") if people is not None else None
    reason_column = None
    if info is not None:
        for column in ("reason_code", "withdrawal_reason"):
            if column in info.columns and info[column].notna().any():
                reason_column = column
                break
    rows = []
    for pid in pre_only:
        status = reason = None
        if info is not None and pid in info.index:
            status = info.at[pid, "status"]
            reason = info.at[pid, reason_column] if reason_column else None
        rows.append({"participant_id": pid, "status": status, "reason": reason})
    reasons = pd.Series([r["status"] or "unknown" for r in rows]).value_counts()
    out = {"n_pre": len(pre), "n_post": len(post), "n_both": len(pre & post), "pre_only": rows,
           "pre_only_by_status": {str(k): int(v) for k, v in reasons.items()},
           "scores": int(len(scores)), "scores_missing": int(scores["score"].isna().sum()), "scores_prorated": None}
    if "n_items" in scores.columns and scores["n_items"].notna().any():
        expected = pd.Series([(catalogue.get((i, s)) or MeasureInfo("", None)).n_items
                              for i, s in zip(scores["instrument"], scores["scale"], strict=True)],
                             index=scores.index, dtype=float)
        prorated = scores["score"].notna() & expected.notna() & (scores["n_items"] < expected)
        out["scores_prorated"] = int(prorated.sum())
    return out


def efficacy(scores: pd.DataFrame | None, people: pd.DataFrame | None, catalogue: Catalogue, *,
             n_boot: int = 5000, seed: int | None = 2024, primary: list[tuple[str, str]] | None = None,
             progress: Callable[[str], None] | None = None) -> dict | None:
    """Every field of DESIGN §5.4 for every instrument × scale measured at pre and post.

    With ``primary`` measures declared, Holm and FDR adjust across those alone and the
    other measures are descriptive (``p_holm``/``p_fdr`` null); otherwise across all.
    """
    if scores is None:
        return None
    scores = scores[~scores["instrument"].isin(ACCEPTABILITY_INSTRUMENTS)]
    pairs = paired_frame(scores)
    warnings: list[str] = []
    measures = []
    keys = []
    for (instrument, scale), group in pairs.groupby(["instrument", "scale"], sort=False):
        if group["pre"].notna().sum() == 0 or group["post"].notna().sum() == 0:
            continue
        if progress:
            progress(f"{instrument} {scale}")
        entry, notes = _measure(instrument, scale, group, catalogue.get((instrument, scale)), n_boot, seed)
        measures.append(entry)
        keys.append((instrument, scale))
        warnings.extend(notes)
    order = sorted(range(len(measures)), key=lambda i: _sort_key(keys[i], catalogue))
    measures = [measures[i] for i in order]
    keys = [keys[i] for i in order]
    declared = [tuple(k) for k in primary or []]
    for key in declared:
        if key not in keys:
            warnings.append(f"Primary measure {key[0]} {key[1]} has no pre–post data; it is left out.")
    chosen = [i for i, k in enumerate(keys) if k in declared] if declared else list(range(len(keys)))
    p_values = [measures[i]["t_test"]["p"] if measures[i]["t_test"] else None for i in chosen]
    for i, holm, fdr in zip(chosen, stats.adjust_p(p_values, "holm"), stats.adjust_p(p_values, "BH"), strict=True):
        measures[i]["p_holm"], measures[i]["p_fdr"] = holm, fdr
    for i, m in enumerate(measures):
        m["primary"] = bool(declared) and keys[i] in declared
    ids = set(scores["participant_id"])
    found = confounds(people, ids)
    return {
        "measures": measures,
        "primary_measures": [f"{i}:{s}" for i, s in declared if (i, s) in keys],
        "adjustment": {"across": "primary measures" if declared else "all measures", "measures": len(chosen)},
        "bootstrap": {"n_boot": n_boot, "seed": seed, "method": "BCa"} if n_boot else None,
        "missing_data": missing_data(scores, people, catalogue),
        "sensitivity": sensitivity(scores, people, keys, catalogue, found["groups"]),
        "confounds": found,
        "notes": ["A single-arm pilot is not powered for hypothesis tests: read the estimates and intervals "
                  "first; p values are descriptive."],
        "_warnings": warnings,
    }


def _sort_key(key: tuple[str, str], catalogue: Catalogue):
    order = ["epds", "phq9", "gad7", "pss", "psi4sf", "kpcs", "psoc", "rses", "pbq", "ibqr_vsf"]
    instrument, scale = key
    return (order.index(instrument) if instrument in order else len(order), instrument,
            0 if scale == "total" else 1, scale)
