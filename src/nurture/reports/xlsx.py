"""results → tables.xlsx (openpyxl): one sheet per table of the report, numbers as numbers.

Every interval is two numeric columns (``…_ci_lo``, ``…_ci_hi``), never text, so the
sheets can be sorted, filtered and re-plotted; reliability between coders has its own sheet.
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Font

BOLD = Font(bold=True)


def _sheet(wb, title, header, rows):
    ws = wb.create_sheet(title)
    ws.append(header)
    for cell in ws[1]:
        cell.font = BOLD
    for row in rows:
        ws.append(row)
    for column in ws.columns:
        width = max(len(str(c.value)) if c.value is not None else 0 for c in column)
        ws.column_dimensions[column[0].column_letter].width = min(60, max(10, width + 2))
    ws.freeze_panes = "A2"
    return ws


def _ci(interval) -> list:
    return list(interval) if interval else [None, None]


def _get(mapping, *keys):
    for key in keys:
        if not isinstance(mapping, dict):
            return None
        mapping = mapping.get(key)
    return mapping


def _table1(p: dict | None) -> list:
    rows = []
    if p:
        rows.append(["Enrolled dyads", p["n"], None, None])
        for key, label in (("mother_age", "Mother's age (years)"), ("infant_age_weeks", "Infant's age (weeks)")):
            if p.get(key):
                v = p[key]
                rows.append([label, v["n"], v["mean"], v["sd"]])
        for key in ("primiparous", "language", "delivery", "curriculum_weeks", "cohort", "site"):
            for level, n in (p.get(key) or {}).items():
                rows.append([f"{key}: {level}", n, n / p["n"] if p["n"] else None, None])
    return rows


def _baseline(b: dict | None) -> list:
    rows = []
    for r in (b or {}).get("rows", []):
        cells = [r["section"], r["label"], r["kind"]]
        for group in ("enrolled", "completers", "non_completers"):
            v = r[group]
            cells += [v["n"], v.get("mean"), v.get("sd")] if r["kind"] == "continuous" else \
                [v["n"], v.get("share"), v.get("count")]
        rows.append(cells + [r["smd"]])
    return rows


def _feasibility(f: dict | None) -> list:
    rows = []
    if not f:
        return rows
    for stage, n in f["flow"]["overall"].items():
        rows.append(["flow", stage, n, None, None, None, None])
    for name, r in f["rates"].items():
        rows.append(["rate", name, r["successes"], r["n"], r["estimate"], *_ci(r["ci95"])])
    if f.get("recruitment"):
        r = f["recruitment"]
        rows.append(["recruitment", "enrolled per month", r["enrolled"], r["months"], r["per_month"],
                     *_ci(r["per_month_ci95"])])
    if f.get("attendance"):
        a = f["attendance"]
        groups = [("overall", a["overall"])] + [(f"group: {k}", v) for k, v in a["by_component"].items()] + \
            [(f"mode: {k}", v) for k, v in a["by_mode"].items()] + \
            [(f"curriculum: {k}", v) for k, v in (a.get("by_curriculum") or {}).items()]
        for name, v in groups:
            rows.append(["attendance (held sessions)", name, v["sessions"], v["n_dyads"], v["mean"], *_ci(v["ci95"])])
    if f.get("fidelity"):
        s = f["fidelity"]["overall"]
        rows.append(["fidelity", "mean share per session", s["delivered"], s["sessions"], s["session_mean"]["mean"],
                     *_ci(s["session_mean"]["ci95"])])
    if f.get("data_completeness"):
        d = f["data_completeness"]
        rows.append(["data completeness", "items answered per assessment", d["items_answered"], d["assessments"],
                     d["assessment_mean"], *_ci(d["ci95"])])
    return rows


def _progression(f: dict | None) -> list:
    return [[c["id"], c["label"], c["unit"], c["estimate"], *_ci(c["ci95"]), c["n"], c["green"], c["amber"], c["zone"],
             " to ".join(c["interval_zones"]), c["source"], c["rationale"]] for c in (f or {}).get("progression", [])]


def _consort(f: dict | None) -> list:
    rows = []
    if not f:
        return rows
    consorts = [("All", f["flow"]["consort"])] + list(f["flow"]["consort_by_cohort"].items())
    for cohort, c in consorts:
        ex, d, fu = c["excluded"], c["discontinued"], c.get("follow_up") or {}
        rows.append([cohort, "referred", None, c["referred"]])
        rows.append([cohort, "assessed for eligibility", None, c["assessed"]])
        rows.append([cohort, "not eligible", None, ex["ineligible"]["n"]])
        rows += [[cohort, "not eligible", r["label"], r["n"]] for r in ex["ineligible"]["criteria"]]
        rows.append([cohort, "declined", None, ex["declined"]["n"]])
        rows += [[cohort, "declined", r["label"], r["n"]] for r in ex["declined"]["reasons"]]
        rows.append([cohort, "enrolled", None, c["enrolled"]])
        rows.append([cohort, "received the program", None, c["received"]])
        for key, label in (("withdrew", "withdrew"), ("lost", "lost to contact")):
            rows.append([cohort, label, None, d[key]["n"]])
            rows += [[cohort, label, r["label"], r["n"]] for r in d[key]["reasons"]]
        for key in ("due", "not_yet_due", "completed"):
            rows.append([cohort, f"post-assessment {key.replace('_', ' ')}", None, fu.get(key)])
        rows.append([cohort, "analysed", None, c["analysed"]])
    return rows


def _acceptability(a: dict | None) -> list:
    rows = []
    if not a:
        return rows
    if a.get("response"):
        r = a["response"]
        rows.append(["response", r["denominator"], None, r["n"], r["successes"], r["estimate"], *_ci(r["ci95"])])
    if a.get("satisfaction"):
        s = a["satisfaction"]
        rows.append(["satisfaction", "mean of each mother's mean rating (1–5)", s["mean"], s["n"], None, None,
                     *_ci(s["ci95"])])
        r = s["respondents_agreeing"]
        rows.append(["satisfaction", "mothers whose mean rating is 4 or more", None, r["n"], r["successes"],
                     r["estimate"], *_ci(r["ci95"])])
    for i in a.get("items", []):
        r = i["agreeing"]
        rows.append(["statement", i["label"], i["mean"], i["n"], r["successes"], r["estimate"], *_ci(r["ci95"])])
    return rows


def _efficacy(e: dict | None) -> list:
    rows = []
    for m in (e or {}).get("measures", []):
        diff, eff, t, w = m["diff"] or {}, m["effect"] or {}, m["t_test"] or {}, m["wilcoxon"] or {}
        rc = m.get("reliable_change") or {}
        rows.append([m["instrument"], m["scale"], m["label"], m["primary"], m["lower_is_better"], m["n"],
                     m["pre"]["mean"], m["pre"]["sd"], m["post"]["mean"], m["post"]["sd"], diff.get("mean"),
                     *_ci(diff.get("ci95")), eff.get("d_av"), *_ci(eff.get("d_av_ci95")), eff.get("g_av"),
                     *_ci(eff.get("g_av_ci95")), eff.get("dz"), *_ci(eff.get("dz_ci95")),
                     *_ci(_get(m, "bootstrap", "mean_ci95")), t.get("t"), t.get("df"), t.get("p"), w.get("V"),
                     w.get("p"), m["p_holm"], m["p_fdr"], m["direction_of_change"], rc.get("improved"),
                     rc.get("no_change"), rc.get("deteriorated"), _get(rc, "clinical", "cutoff"),
                     _get(rc, "clinical", "recovered")])
    return rows


EFFICACY_HEADER = ["instrument", "scale", "label", "primary", "lower_is_better", "n", "pre_mean", "pre_sd", "post_mean",
                   "post_sd", "diff_mean", "diff_ci_lo", "diff_ci_hi", "d_av", "d_av_ci_lo", "d_av_ci_hi", "g_av",
                   "g_av_ci_lo", "g_av_ci_hi", "dz", "dz_ci_lo", "dz_ci_hi", "boot_diff_ci_lo", "boot_diff_ci_hi", "t",
                   "df", "p", "wilcoxon_V", "wilcoxon_p", "p_holm", "p_fdr", "conclusion", "rc_improved",
                   "rc_no_change", "rc_deteriorated", "clinical_cutoff", "recovered"]


def _sensitivity(e: dict | None) -> list:
    rows = []
    for s in (e or {}).get("sensitivity", []):
        fits = [("dyad intercept", s["time"]), ("dyads in cohorts", s["time_nested"])] + \
            [(f"by {m['label']}", m["fit"]) for m in s["moderators"]]
        for model, fit in fits:
            if not fit or "coefficients" not in fit:
                continue
            for name, c in fit["coefficients"].items():
                rows.append([s["label"], model, fit.get("model"), name, c["estimate"], c["se"], c["df"], c["t"],
                             c["p"], *_ci(c["ci95"]), fit["n_participants"], fit.get("n_cohorts"),
                             fit.get("icc_cohort")])
    return rows


def _harms(h: dict | None) -> tuple[list, list]:
    rows, response = [], []
    if not h:
        return rows, response
    for r in h["by_rule"]:
        rows.append(["alerts by rule", r["label"], r["severity"], r["alerts"], r["dyads"], r["by_timepoint"].get("pre"),
                     r["by_timepoint"].get("post"), None, None, None])
    for key in ("dyads_with_alert", "dyads_with_urgent"):
        r = h[key]
        if r:
            rows.append(["dyads", key.replace("_", " "), None, None, r["successes"], None, None, r["estimate"],
                         *_ci(r["ci95"])])
    for o in h["outcomes"]:
        rows.append(["outcome at closing", o["label"], None, o["n"], None, None, None, None, None, None])
    for severity, a in h["acknowledgement"].items():
        r, closing = a["within_target"] or {}, h["closing"].get(severity) or {}
        response.append([severity, a["n"] + a["open"], a["n"], a["open"], a["median"], a["q1"], a["q3"], a["max"],
                         r.get("successes"), r.get("estimate"), *_ci(r.get("ci95")),
                         ", ".join(f"{t:g}" for t in h["target_minutes"]) if r else None, closing.get("median")])
    return rows, response


def _planning(p: dict | None) -> tuple[list, list]:
    estimates, sizes = [], []
    for m in (p or {}).get("measures", []):
        r, icc = m["pre_post_r"] or {}, m["icc_cohort"] or {}
        estimates.append([m["instrument"], m["scale"], m["label"], m["primary"], m["n_pairs"], r.get("r"),
                          *_ci(r.get("ci95")), m["baseline_n"], m["baseline_sd"], m["baseline_sd_ucl80"],
                          icc.get("estimate"), *_ci(icc.get("ci95"))])
        for s in m["sample_sizes"]:
            sizes.append([m["label"], s["d"], s["power"], s["difference_points_at_sd_ucl80"], s["n_per_arm_t_test"],
                          s["n_per_arm_ancova"], s["design_effect"], s["analysed_per_arm"], s["enrolled_per_arm"],
                          s["intervention_groups"], s["intervention_enrolled"], s["control_enrolled"],
                          s["total_enrolled"]])
    return estimates, sizes


def write_xlsx(results: dict, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Table 1", ["characteristic", "n", "mean or share", "sd"], _table1(results.get("participants")))
    _sheet(wb, "Baseline", ["section", "characteristic", "kind", "enrolled_n", "enrolled_mean_or_share",
                            "enrolled_sd_or_count", "completers_n", "completers_mean_or_share",
                            "completers_sd_or_count", "non_completers_n", "non_completers_mean_or_share",
                            "non_completers_sd_or_count", "standardized_difference"],
           _baseline(results.get("baseline")))
    f = results.get("feasibility")
    _sheet(wb, "Flow", ["cohort", "box", "reason", "n"], _consort(f))
    _sheet(wb, "Feasibility", ["part", "item", "count", "n", "estimate", "ci_lo", "ci_hi"], _feasibility(f))
    _sheet(wb, "Progression", ["id", "criterion", "unit", "estimate", "ci_lo", "ci_hi", "n", "green_from",
                               "amber_from", "zone", "interval_reaches", "source", "rationale"], _progression(f))
    _sheet(wb, "Acceptability", ["part", "item", "mean", "n", "agreeing", "share", "ci_lo", "ci_hi"],
           _acceptability(results.get("acceptability")))
    _sheet(wb, "Efficacy", EFFICACY_HEADER, _efficacy(results.get("efficacy")))
    _sheet(wb, "Sensitivity", ["measure", "model", "formula", "coefficient", "estimate", "se", "df", "t", "p",
                               "ci_lo", "ci_hi", "dyads", "cohorts", "icc_cohort"],
           _sensitivity(results.get("efficacy")))
    harms, response = _harms(results.get("harms"))
    _sheet(wb, "Harms", ["part", "item", "severity", "alerts", "dyads", "at_pre", "at_post", "share", "ci_lo",
                         "ci_hi"], harms)
    _sheet(wb, "Alert response", ["severity", "alerts", "acknowledged", "open", "median_minutes_to_ack",
                                  "q1_minutes", "q3_minutes", "max_minutes", "within_target", "within_target_share",
                                  "ci_lo", "ci_hi", "target_minutes", "median_minutes_to_close"], response)
    estimates, sizes = _planning(results.get("planning"))
    _sheet(wb, "Planning", ["instrument", "scale", "measure", "primary", "pairs", "pre_post_r", "r_ci_lo", "r_ci_hi",
                            "baseline_n", "baseline_sd", "baseline_sd_ucl80", "icc_cohort", "icc_ci_lo", "icc_ci_hi"],
           estimates)
    _sheet(wb, "Sample size", ["measure", "d", "power", "d_in_points_at_sd_ucl80", "per_arm_t_test",
                               "per_arm_ancova", "design_effect", "analysed_per_arm", "enrolled_per_arm",
                               "intervention_groups", "intervention_enrolled", "control_enrolled", "total_enrolled"],
           sizes)
    c = results.get("coding")
    if c:
        _coding_sheet(wb, c)
    wb.save(path)


def _coding_sheet(wb, coding: dict) -> None:
    """Reliability between coders: ICC per observation scale (and per drift block), kappa per theme code."""
    rows = []
    for o in coding.get("observations") or []:
        for s in o["scales"]:
            icc = s["icc"] or {}
            ci = icc.get("ci95") or [None, None]
            rows.append([o["scheme"], s["scale"], "all", s["n"], s["icc_form"], icc.get("estimate"), ci[0], ci[1],
                         icc.get("F"), icc.get("p"), s["alpha"], s["mean_abs_diff"]])
        for d in o["drift"]:
            for b in d["blocks"]:
                icc = b["icc"] or {}
                ci = icc.get("ci95") or [None, None]
                rows.append([o["scheme"], d["scale"], f"block {b['block']}", b["n"], b["icc_form"],
                             icc.get("estimate"), ci[0], ci[1], icc.get("F"), icc.get("p"), None, b["mean_abs_diff"]])
    for t in coding.get("themes") or []:
        for k in t["agreement"]["codes"]:
            rows.append([t["codebook"], k["code"], "all", t["agreement"]["n"], "Cohen's kappa", k["kappa"], None, None,
                         None, None, None, None])
    _sheet(wb, "Coder reliability", ["scheme", "scale or code", "period", "n", "statistic", "estimate", "ci_lo",
                                     "ci_hi", "F", "p", "krippendorff_alpha", "mean_abs_diff"], rows)
