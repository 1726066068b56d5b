"""The bridge between the instrument library and the analysis: direction, reliability
and clinical cut-off of every instrument × scale."""

from __future__ import annotations

from nurture.analysis.efficacy import MeasureInfo
from nurture.instruments import Library


def clinical_cutoff(scale) -> float | None:
    """Where the clinical range starts: the first flagged band (lower is better), or the
    first band after the flagged ones (higher is better)."""
    if not scale.bands or scale.lower_is_better is None:
        return None
    if scale.lower_is_better:
        flagged = [b.start for b in scale.bands if b.flag]
        return flagged[0] if flagged else None
    for previous, band in zip(scale.bands, scale.bands[1:], strict=False):
        if previous.flag and not band.flag:
            return band.start
    return None


def build_catalogue(library: Library) -> dict[tuple[str, str], MeasureInfo]:
    out = {}
    for inst in library:
        for scale in inst.scales:
            label = inst.short_name if scale.id == "total" else f"{inst.short_name} {scale.name['en']}"
            out[(inst.id, scale.id)] = MeasureInfo(
                label=label, lower_is_better=scale.lower_is_better, reliability=scale.reliability,
                reliability_source=scale.reliability_source, cutoff=clinical_cutoff(scale),
                cutoff_source=scale.bands_source)
    return out


def score_ranges(library: Library) -> dict[tuple[str, str], tuple[float, float]]:
    """(instrument, scale) → (lowest, highest) possible score, to refuse impossible scores in a bundle."""
    return {(inst.id, scale.id): (scale.score_min, scale.score_max) for inst in library for scale in inst.scales}


def feedback_labels(library: Library) -> dict[str, str]:
    if "feedback" not in library:
        return {}
    return {item.id: item.label["en"] for item in library.get("feedback").items}
