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
    cutoff: float | None = None  # where the clinical range starts (published screening cut-off)
    cutoff_source: str = ""


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


def reliable_change(pre: np.ndarray, post: np.ndarray, info: MeasureInfo) -> dict | None:
    """Jacobson & Truax (1991) reliable change, and clinically significant change.

    s_diff = √2 · SD_pre · √(1 − r); RCI = (post − pre) / s_diff; reliable when
    |RCI| > 1.96. Clinically significant: reliable improvement that ends on the healthy
    side of the cut-off — the instrument's published cut-off where one exists, else
    criterion *a* (two SDs from the pre-treatment mean, towards health).
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
    if info.cutoff is not None:
        cutoff, kind = info.cutoff, "published cut-off"
    else:
        mean_pre = float(pre.mean())
        cutoff = mean_pre - 2 * sd_pre if info.lower_is_better else mean_pre + 2 * sd_pre
        kind = "criterion a (pre mean ± 2 SD)"
    healthy_after = post < cutoff if info.lower_is_better else post >= cutoff
    clinical_before = pre >= cutoff if info.lower_is_better else pre < cutoff
    recovered = improved & healthy_after & clinical_before
    return {
        "reliability": info.reliability, "reliability_source": info.reliability_source,
        "sd_pre": sd_pre, "s_diff": s_diff, "threshold_points": 1.96 * s_diff,
        "improved": int(improved.sum()), "no_change": int((~improved & ~deteriorated).sum()),
        "deteriorated": int(deteriorated.sum()),
        "clinical": {"cutoff": cutoff, "cutoff_kind": kind, "cutoff_source": info.cutoff_source,
                     "in_clinical_range_pre": int(clinical_before.sum()), "recovered": int(recovered.sum())},
    }


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
        "p_holm": None, "p_fdr": None, "reliable_change": None,
    }
    if info is None:
        warnings.append(f"{instrument} {scale}: not in the instrument library; analysed without direction or "
                        "reliable change")
    if n < 3:
        warnings.append(f"{instrument} {scale}: only {n} complete pre–post pairs; statistics need at least 3")
        return entry, warnings
    diff = post - pre
    t = stats.paired_t(pre, post)
    entry["diff"] = {"mean": t["mean"], "sd": t["sd"], "ci95": t["ci95"]}
    entry["t_test"] = {"t": t["t"], "df": t["df"], "p": t["p"]}
    entry["wilcoxon"] = stats.wilcoxon_signed_rank(pre, post)
    entry["effect"] = stats.effect_sizes(pre, post)
    if n_boot:
        entry["bootstrap"] = stats.bootstrap_paired(pre, post, n_boot=n_boot, seed=seed)
    if info is not None:
        entry["reliable_change"] = reliable_change(pre, post, info)
        if info.lower_is_better is not None:
            better = _better(diff, info.lower_is_better)
            entry["direction_of_change"] = ("improved" if better.mean() > 0 else
                                            "worsened" if better.mean() < 0 else "unchanged")
    return entry, warnings


def _lmm_for(long: pd.DataFrame, moderator: str | None) -> dict | None:
    data = long.dropna(subset=["score"] + ([moderator] if moderator else []))
    if data["participant_id"].nunique() < 3 or data["time"].nunique() < 2:
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
                                   data["participant_id"].to_numpy(), names)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return {"error": str(exc)}
    fit["model"] = "score ~ time" + (f" * {moderator} (reference {reference})" if moderator else "") + \
        " + (1 | participant)"
    return fit


def sensitivity(scores: pd.DataFrame, people: pd.DataFrame | None, measures: list[tuple[str, str]]) -> list[dict]:
    """Mixed models using every participant with at least one timepoint."""
    out = []
    moderators = {}
    if people is not None:
        if "delivery" in people.columns:
            moderators["delivery"] = people.set_index("participant_id")["delivery"]
        if "curriculum_weeks" in people.columns:
            moderators["curriculum_weeks"] = people.set_index("participant_id")["curriculum_weeks"].map(
                lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:g} weeks")
    valid = scores[scores["score"].notna()]
    for instrument, scale in measures:
        long = valid[(valid["instrument"] == instrument) & (valid["scale"] == scale)][
            ["participant_id", "timepoint", "score"]].copy()
        long["time"] = (long["timepoint"] == "post").astype(float)
        entry = {"instrument": instrument, "scale": scale, "time": _lmm_for(long, None)}
        for name, mapping in moderators.items():
            long[name] = long["participant_id"].map(mapping)
            entry[f"time_by_{name}"] = _lmm_for(long, name)
        out.append(entry)
    return out


def missing_data(scores: pd.DataFrame, people: pd.DataFrame | None) -> dict:
    valid = scores[scores["score"].notna()]
    pre = set(valid.loc[valid["timepoint"] == "pre", "participant_id"])
    post = set(valid.loc[valid["timepoint"] == "post", "participant_id"])
    pre_only = sorted(pre - post)
    info = people.set_index("participant_id") if people is not None else None
    rows = []
    for pid in pre_only:
        status = reason = None
        if info is not None and pid in info.index:
            status = info.at[pid, "status"]
            reason = info.at[pid, "withdrawal_reason"] if "withdrawal_reason" in info.columns else None
        rows.append({"participant_id": pid, "status": status, "reason": reason})
    reasons = pd.Series([r["status"] or "unknown" for r in rows]).value_counts()
    return {"n_pre": len(pre), "n_post": len(post), "n_both": len(pre & post), "pre_only": rows,
            "pre_only_by_status": {str(k): int(v) for k, v in reasons.items()}}


def efficacy(scores: pd.DataFrame | None, people: pd.DataFrame | None, catalogue: Catalogue, *,
             n_boot: int = 5000, seed: int | None = 2024, progress: Callable[[str], None] | None = None) -> dict | None:
    """Every field of DESIGN §5.4 for every instrument × scale measured at pre and post."""
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
    p_values = [m["t_test"]["p"] if m["t_test"] else None for m in measures]
    for m, holm, fdr in zip(measures, stats.adjust_p(p_values, "holm"), stats.adjust_p(p_values, "BH"),
                            strict=True):
        m["p_holm"], m["p_fdr"] = holm, fdr
    return {
        "measures": measures,
        "bootstrap": {"n_boot": n_boot, "seed": seed, "method": "BCa"} if n_boot else None,
        "missing_data": missing_data(scores, people),
        "sensitivity": sensitivity(scores, people, keys),
        "notes": ["A single-arm pilot is not powered for hypothesis tests: read the estimates and intervals "
                  "first; p values are descriptive."],
        "_warnings": warnings,
    }


def _sort_key(key: tuple[str, str], catalogue: Catalogue):
    order = ["epds", "phq9", "gad7", "pss", "psi4sf", "kpcs", "psoc", "rses", "pbq", "ibqr_vsf"]
    instrument, scale = key
    return (order.index(instrument) if instrument in order else len(order), instrument,
            0 if scale == "total" else 1, scale)
