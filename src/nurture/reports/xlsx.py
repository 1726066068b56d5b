"""results → tables.xlsx: Table 1, feasibility, efficacy, reliability between coders (openpyxl)."""

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


def write_xlsx(results: dict, path: Path) -> None:
    wb = Workbook()
    wb.remove(wb.active)
    p = results.get("participants")
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
    _sheet(wb, "Table 1", ["characteristic", "n", "mean or share", "sd"], rows)
    f = results.get("feasibility")
    rows = []
    if f:
        for stage, n in f["flow"]["overall"].items():
            rows.append(["flow", stage, n, None, None, None])
        for name, r in f["rates"].items():
            ci = r["ci95"] or [None, None]
            rows.append(["rate", name, r["successes"], r["n"], r["estimate"], f"{ci[0]}–{ci[1]}" if r["ci95"] else None])
        for c in f["progression"]:
            rows.append(["progression", c["label"], None, None, c["estimate"], c["zone"]])
        if f.get("attendance"):
            rows.append(["attendance", "mean share attended", None, f["attendance"]["overall"]["n_dyads"],
                         f["attendance"]["overall"]["mean"], None])
    _sheet(wb, "Feasibility", ["part", "item", "count", "n", "estimate", "95% CI or zone"], rows)
    e = results.get("efficacy")
    rows = []
    if e:
        for m in e["measures"]:
            diff, eff, t, w = m["diff"] or {}, m["effect"] or {}, m["t_test"] or {}, m["wilcoxon"] or {}
            ci = diff.get("ci95") or [None, None]
            dci = eff.get("dz_ci95") or [None, None]
            rc = m.get("reliable_change") or {}
            rows.append([m["instrument"], m["scale"], m["lower_is_better"], m["n"], m["pre"]["mean"], m["pre"]["sd"],
                         m["post"]["mean"], m["post"]["sd"], diff.get("mean"), ci[0], ci[1], eff.get("dz"), dci[0],
                         dci[1], eff.get("d_av"), eff.get("g_av"), t.get("t"), t.get("df"), t.get("p"), w.get("V"),
                         w.get("p"), m["p_holm"], m["p_fdr"], rc.get("improved"), rc.get("no_change"),
                         rc.get("deteriorated")])
    _sheet(wb, "Efficacy", ["instrument", "scale", "lower_is_better", "n", "pre_mean", "pre_sd", "post_mean",
                            "post_sd", "diff_mean", "diff_ci_lo", "diff_ci_hi", "dz", "dz_ci_lo", "dz_ci_hi", "d_av",
                            "g_av", "t", "df", "p", "wilcoxon_V", "wilcoxon_p", "p_holm", "p_fdr", "rc_improved",
                            "rc_no_change", "rc_deteriorated"], rows)
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
