"""The bridge between the instrument library and the analysis: direction, reliability, clinical
boundaries and item counts of every instrument × scale, and labels of items and safety rules."""

from __future__ import annotations

from nurture.analysis.efficacy import MeasureInfo
from nurture.instruments import Library


def build_catalogue(library: Library) -> dict[tuple[str, str], MeasureInfo]:
    out = {}
    for inst in library:
        for scale in inst.scales:
            label = inst.short_name if scale.id == "total" else f"{inst.short_name} {scale.name['en']}"
            cc = scale.clinical_change
            out[(inst.id, scale.id)] = MeasureInfo(
                label=label, lower_is_better=scale.lower_is_better, reliability=scale.reliability,
                reliability_source=scale.reliability_source, n_items=len(scale.items),
                cutoff=cc.cutoff if cc else None, cutoff_source=cc.cutoff_source if cc else "",
                functional=cc.functional if cc else None, dysfunctional=cc.dysfunctional if cc else None,
                norms_source=cc.norms_source if cc else "", rc_points=cc.rc_points if cc else None,
                rc_points_source=cc.rc_points_source if cc else "")
    return out


def score_ranges(library: Library) -> dict[tuple[str, str], tuple[float, float]]:
    """(instrument, scale) → (lowest, highest) possible score, to refuse impossible scores in a bundle."""
    return {(inst.id, scale.id): (scale.score_min, scale.score_max) for inst in library for scale in inst.scales}


def feedback_labels(library: Library) -> dict[str, str]:
    if "feedback" not in library:
        return {}
    return {item.id: item.label["en"] for item in library.get("feedback").items}


def rule_labels(library: Library) -> dict[str, str]:
    """``"instrument:rule"`` → the rule's English message (what raised the alert)."""
    labels = {f"{inst.id}:{rule.id}": rule.message["en"].rstrip(".") for inst in library for rule in inst.safety}
    # A safety item left unanswered raises its own alert (nurture.safety.domain.UNANSWERED).
    labels |= {f"{inst.id}:safety_item_unanswered": f"{inst.short_name}: a safety question was left unanswered"
               for inst in library if inst.safety}
    return labels


def instrument_items(library: Library) -> dict[str, int]:
    """Rated items per instrument (the denominator of data completeness)."""
    return {inst.id: sum(1 for item in inst.items if item.kind == "rated") for inst in library
            if not inst.structure_only}


def analysis_context(library: Library) -> dict:
    """Everything ``analyse`` takes from the library, as keyword arguments."""
    return {"item_labels": feedback_labels(library), "rule_labels": rule_labels(library),
            "instrument_items": instrument_items(library)}
