"""The limitations paragraph, written from what the data show (never a fixed boilerplate alone)."""

from __future__ import annotations


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def limitations(feasibility: dict | None, efficacy: dict | None, harms: dict | None) -> list[dict]:
    """Each limitation as ``{"code", "text"}``, in the order a reader needs them."""
    out: list[dict] = []
    if efficacy and efficacy["measures"]:
        out.append({"code": "uncontrolled", "text": (
            "The design has no control group: pre–post change includes natural recovery over the postpartum "
            "months, other help the mothers received and repeated measurement, and cannot be attributed to the "
            "program.")})
        out.append({"code": "regression_to_the_mean", "text": (
            "Mothers entered because of elevated perinatal risk, so many were screened in on high symptom "
            "scores; scores selected for being high tend to fall at re-measurement even without any effect "
            "(regression to the mean), which exaggerates improvement on symptom measures.")})
    if efficacy:
        for note in efficacy.get("confounds", {}).get("notes", []):
            out.append({"code": "confounding", "text": note})
    flow = (feasibility or {}).get("flow", {}).get("consort") or {}
    follow = flow.get("follow_up")
    if follow and follow["not_yet_due"]:
        running = [c for c, v in (feasibility["flow"].get("consort_by_cohort") or {}).items()
                   if v.get("follow_up") and v["follow_up"]["not_yet_due"]]
        out.append({"code": "cohorts_running", "text": (
            f"{_plural(follow['not_yet_due'], 'dyad')} ({', '.join(running)}) had not reached the "
            "post-assessment by the data date: retention and the efficacy analysis use the "
            f"{follow['due']} dyads due, and the estimates will change when they do.")})
    if efficacy:
        missing = efficacy["missing_data"]
        if follow and follow["missing"]["n"]:
            out.append({"code": "missing_data", "text": (
                f"{follow['missing']['n']} of {follow['due']} dyads due have no post-assessment. The main analysis "
                "uses complete pairs, which assumes those lost resemble those analysed; the mixed models use every "
                "assessment (missing at random). The baseline table compares completers with non-completers.")})
        if missing.get("scores_prorated"):
            out.append({"code": "prorated", "text": (
                f"{missing['scores_prorated']} of {missing['scores'] - missing['scores_missing']} scale scores were "
                "computed with unanswered items (prorated as each instrument's rules allow); "
                f"{missing['scores_missing']} could not be scored.")})
        n_measures = len(efficacy["measures"])
        if efficacy["adjustment"]["across"] == "all measures" and n_measures > 1:
            out.append({"code": "multiplicity", "text": (
                f"{n_measures} measures are analysed and no primary measure was declared: p values are adjusted "
                "across all of them and every result is exploratory.")})
        sizes = [m["n"] for m in efficacy["measures"] if m["n"]]
        if sizes and max(sizes) < 60:
            out.append({"code": "small_sample", "text": (
                f"With at most {max(sizes)} complete pairs the intervals are wide; a pilot of this size estimates "
                "feasibility, not effectiveness.")})
    if harms is not None:
        out.append({"code": "harms", "text": (
            "Harms are known only through the questionnaire safety alerts; no separate adverse-event record was "
            "kept, so harms that do not show in the answers are not counted.")})
    return out
