"""Assemble ``results.json`` (schema ``nurture.results/2``) from a bundle.

Version 2 adds ``safety``: the safety rule hits of the bundle's item responses, found by
the caller (this module does not know the instruments).
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Callable

import numpy as np

from .acceptability import acceptability
from .bundle import Bundle
from .coded import coded_results, coded_theme_frequencies, observation_scores
from .efficacy import Catalogue, MeasureInfo, efficacy
from .feasibility import feasibility, participant_characteristics

SCHEMA = "nurture.results/2"


def analyse(bundle: Bundle, catalogue: Catalogue, *, criteria: list[dict] | None = None, n_boot: int = 5000,
            seed: int | None = 2024, item_labels: dict[str, str] | None = None,
            progress: Callable[[str], None] | None = None, now: dt.datetime | None = None,
            safety: list[dict] | None = None) -> dict:
    """Run every part whose input is present; a part without input is ``None``.

    ``safety``: rule hits found by scoring the bundle's item responses (listed as given).
    """
    warnings: list[str] = []
    if progress:
        progress("feasibility")
    feas = feasibility(bundle, criteria)
    if progress:
        progress("acceptability")
    accept = acceptability(bundle, item_labels)
    described = ((bundle.manifest or {}).get("coding") or {}).get("schemes") or {}
    coded_themes = coded_theme_frequencies(bundle.get("coded_segments.csv"), described)
    if coded_themes:
        accept = (accept or {}) | {"coded_themes": coded_themes}
    scores, catalogue = _with_observations(bundle, catalogue, described)
    eff = efficacy(scores, bundle.get("participants.csv"), catalogue, n_boot=n_boot, seed=seed,
                   progress=progress)
    if eff is not None:
        warnings.extend(eff.pop("_warnings"))
    if bundle.date_offsets:
        warnings.append("Dates are day offsets (de-identified bundle): recruitment per month is not reported.")
    if feas is None:
        warnings.append("No participants.csv: feasibility is not reported.")
    if eff is None:
        warnings.append("No scores: efficacy is not reported.")
    return {
        "schema": SCHEMA,
        "generated_at": (now or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "input": {"source": bundle.source, "files": {name: int(len(t)) for name, t in bundle.tables.items()},
                  "date_offsets": bundle.date_offsets,
                  "manifest": bundle.manifest.get("schema") if bundle.manifest else None},
        "warnings": warnings,
        "participants": participant_characteristics(bundle),
        "feasibility": feas,
        "acceptability": accept,
        "efficacy": eff,
        "coding": coded_results(bundle.get("observations.csv"), bundle.get("coded_segments.csv"), described),
        "safety": list(safety or []),
    }


def _with_observations(bundle: Bundle, catalogue: Catalogue, described: dict):
    """Observation scores (consensus where double-coded) join the questionnaire scores as measures."""
    import pandas as pd

    scores = bundle.get("scores.csv")
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
    combined = observed if scores is None else pd.concat([scores, observed], ignore_index=True)
    return combined, catalogue


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
