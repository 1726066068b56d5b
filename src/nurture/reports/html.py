"""results → one self-contained HTML file (inline SVG, print-ready CSS) and PDF."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import figures

TEMPLATES = Path(__file__).parent / "templates"
STAGES = [("referred", "Referred"), ("screened", "Screened"), ("eligible", "Eligible"), ("consented", "Consented"),
          ("enrolled", "Enrolled"), ("started", "Started"), ("completed_pre", "Pre"), ("completed_post", "Post"),
          ("analysed", "Analysed")]
TABLE1 = [("First-time mother", "primiparous"), ("Language", "language"), ("Delivery", "delivery"),
          ("Curriculum", "curriculum_weeks"), ("Cohort", "cohort"), ("Site", "site")]


def _engine():
    from django.conf import settings
    from django.template import Engine

    if not settings.configured:
        settings.configure(USE_I18N=False)
    return Engine(dirs=[str(TEMPLATES)], autoescape=True,
                  libraries={"nurture_format": "nurture.common.templatetags"})


def build_figures(results: dict, pairs: pd.DataFrame | None, max_measures: int = 12) -> dict:
    out: dict = {}
    feas = results.get("feasibility")
    if feas:
        out["flow"] = figures.flow_diagram(feas["flow"])
        if feas.get("attendance"):
            out["attendance"] = figures.attendance_by_week(feas["attendance"])
    eff = results.get("efficacy")
    if eff and eff["measures"]:
        out["forest"] = figures.forest_plot(eff["measures"])
        if pairs is not None:
            shown = [m for m in eff["measures"] if m["n"] >= 3][:max_measures]
            if shown:
                out["paired"] = figures.paired_lines(pairs, shown)
            with_rc = [m for m in shown if m.get("reliable_change")]
            if with_rc:
                out["rc"] = figures.rc_scatter(pairs, with_rc)
    return out


def render_html(results: dict, figs: dict, measure_labels: dict[str, str] | None = None) -> str:
    from django.template import Context

    template = _engine().get_template("report.html")
    # observation rating schemes name themselves in results.json
    observed = {o["scheme"]: o["name"] for o in ((results.get("coding") or {}).get("observations") or [])}
    return template.render(Context({
        "results": results, "figures": figs, "stages": STAGES, "table1_rows": TABLE1,
        "component_labels": figures.COMPONENT_LABELS, "measure_labels": observed | (measure_labels or {}),
    }))


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    HTML(string=html).write_pdf(str(path))
