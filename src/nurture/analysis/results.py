"""Assemble ``results.json`` (schema ``nurture.results/3``) from a bundle.

Version 2 added ``safety``: the safety rule hits of the bundle's item responses, found by
the caller (this module does not know the instruments), and ``coding``. Version 3 (see
docs/data-formats.md) adds the top-level ``baseline``, ``harms``, ``planning`` and
``limitations``, the data date, and the denominators of dyads due and sessions held;
older keys keep their meaning except where earlier versions counted wrongly (retention is
now among dyads due, attendance over sessions held).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable

import numpy as np

from .acceptability import acceptability
from .baseline import baseline_table
from .bundle import Bundle
from .coded import coded_results, coded_theme_frequencies, observation_scores
from .efficacy import Catalogue, MeasureInfo, efficacy
from .feasibility import feasibility, participant_characteristics
from .harms import harms as harms_summary
from .limitations import limitations
from .measures import parse_measures
from .planning import DEFAULT_TARGETS, planning_summary
from .progression import assess, load_criteria

SCHEMA = "nurture.results/3"


def _progression(criteria: list[dict], feas: dict, accept: dict | None, harms: dict | None) -> list[dict]:
    rates = feas["rates"]
    found: dict[str, tuple] = {name: (r["estimate"], r["ci95"], r["n"]) for name, r in rates.items()}
    if feas.get("recruitment"):
        r = feas["recruitment"]
        found["recruitment"] = (r["per_month"], r["per_month_ci95"], r["enrolled"])
    if feas.get("attendance"):
        a = feas["attendance"]["overall"]
        found["attendance"] = (a["mean"], a["ci95"], a["n_dyads"])
    if feas.get("fidelity"):
        f = feas["fidelity"]["overall"]["session_mean"]
        found["fidelity"] = (f["mean"], f["ci95"], f["n"])
    if feas.get("data_completeness"):
        c = feas["data_completeness"]
        found["data_completeness"] = (c["assessment_mean"], c["ci95"], c["assessments"])
    if accept and accept.get("satisfaction"):
        r = accept["satisfaction"]["respondents_agreeing"]
        found["acceptability"] = (r["estimate"], r["ci95"], r["n"])
    if harms and harms["acknowledgement"].get("urgent"):
        r = harms["acknowledgement"]["urgent"]["within_target"]
        found["safety"] = (r["estimate"], r["ci95"], r["n"])
    return [assess(c, *found.get(c["rate"], (None, None, None))) for c in criteria]


def analyse(bundle: Bundle, catalogue: Catalogue, *, criteria: list[dict] | None = None, n_boot: int = 5000,
            seed: int | None = 2024, item_labels: dict[str, str] | None = None,
            rule_labels: dict[str, str] | None = None, instrument_items: dict[str, int] | None = None,
            primary: list[tuple[str, str]] | None = None, targets=None, group_size: float | None = None,
            progress: Callable[[str], None] | None = None, now: dt.datetime | None = None,
            safety: list[dict] | None = None) -> dict:
    """Run every part whose input is present; a part without input is ``None``.

    ``primary`` (instrument, scale) overrides the primary measures of the manifest;
    ``targets`` are the standardized effects of the planning table; ``safety``: rule hits
    found by scoring the bundle's item responses (listed as given).
    """
    warnings: list[str] = []
    if progress:
        progress("feasibility")
    feas = feasibility(bundle, warnings, instrument_items)
    table = feas.pop("_table") if feas else None
    asked = None
    if table is not None and not table["due"].isna().all():
        asked = set(table.loc[table["due"].eq(True), "participant_id"])
    if progress:
        progress("acceptability")
    accept = acceptability(bundle, item_labels, asked)
    described = ((bundle.manifest or {}).get("coding") or {}).get("schemes") or {}
    coded_themes = coded_theme_frequencies(bundle.get("coded_segments.csv"), described)
    if coded_themes:
        accept = (accept or {}) | {"coded_themes": coded_themes}
    if primary is None:
        primary = parse_measures(bundle.meta("primary_measures"))
    scores, catalogue = _with_observations(bundle, catalogue, described)
    eff = efficacy(scores, bundle.get("participants.csv"), catalogue, n_boot=n_boot, seed=seed,
                   primary=primary, progress=progress)
    if eff is not None:
        warnings.extend(eff.pop("_warnings"))
    harms = harms_summary(bundle.get("alerts.csv"), table, rule_labels=rule_labels,
                          outcome_labels=bundle.meta("alert_outcome_labels"),
                          target_minutes=bundle.meta("escalation_minutes"))
    if feas is not None:
        feas["progression"] = _progression(criteria if criteria is not None else load_criteria(), feas, accept,
                                           harms)
    measure_list = [(m["instrument"], m["scale"], m["label"]) for m in eff["measures"]] if eff else []
    baseline = baseline_table(table, bundle.get("participants.csv"), scores, measure_list) \
        if table is not None else None
    planning = planning_summary(eff, scores, bundle.get("participants.csv"), table,
                                feas["rates"] if feas else {}, feas["attendance"] if feas else None,
                                targets=tuple(targets or DEFAULT_TARGETS), group_size=group_size) \
        if eff is not None and table is not None else None
    if bundle.date_offsets and feas is not None and feas["recruitment"] is None:
        warnings.append("Dates are day offsets (de-identified bundle) and there are no study months: recruitment "
                        "per month is not reported.")
    if feas is None:
        warnings.append("No participants.csv: feasibility is not reported.")
    if eff is None:
        warnings.append("No scores: efficacy is not reported.")
    if bundle.has("participants.csv") and not bundle.has("alerts.csv"):
        warnings.append("No alerts.csv: harms are not reported.")
    return {
        "schema": SCHEMA,
        "generated_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "input": {"source": bundle.source, "files": {name: int(len(t)) for name, t in bundle.tables.items()},
                  "date_offsets": bundle.date_offsets, "data_date": bundle.meta("data_date"),
                  "manifest": bundle.manifest.get("schema") if bundle.manifest else None,
                  "study": (bundle.meta("study") or {}).get("name")},
        "warnings": list(dict.fromkeys(warnings)),
        "participants": participant_characteristics(bundle, table),
        "baseline": baseline,
        "feasibility": feas,
        "acceptability": accept,
        "efficacy": eff,
        "harms": harms,
        "planning": planning,
        "limitations": limitations(feas, eff, harms),
        "coding": coded_results(bundle.get("observations.csv"), bundle.get("coded_segments.csv"), described),
        "safety": list(safety or []),
    }


def analysed_scores(bundle: Bundle):
    """The scores efficacy analyses: ``scores.csv`` and the final observation scores (``None`` without either)."""
    import pandas as pd

    scores = bundle.get("scores.csv")
    observed = observation_scores(bundle.get("observations.csv"))
    if not len(observed):
        return scores
    return observed if scores is None else pd.concat([scores, observed], ignore_index=True)


def _with_observations(bundle: Bundle, catalogue: Catalogue, described: dict):
    """Observation scores (consensus where double-coded) join the questionnaire scores as measures."""
    scores = analysed_scores(bundle)
    observed = observation_scores(bundle.get("observations.csv"))
    if not len(observed):
        return scores, catalogue
    catalogue = dict(catalogue)
    for scheme, scale in observed[["instrument", "scale"]].drop_duplicates().itertuples(index=False):
        info = described.get(scheme, {})
        sub = info.get("scales", {}).get(scale, {})
        if (scheme, scale) not in catalogue and info:
            catalogue[(scheme, scale)] = MeasureInfo(
                label=f"{info.get('short_name', scheme)} {sub.get('name', scale)} (observed)",
                lower_is_better=sub.get("lower_is_better"))
    return scores, catalogue


def _clean(value):
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        value = float(value)
        return None if math.isnan(value) or math.isinf(value) else value
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def to_json(results: dict) -> str:
    """JSON text with NaN and infinities written as null (valid JSON for every reader)."""
    return json.dumps(_clean(results), indent=2, ensure_ascii=False, allow_nan=False)
