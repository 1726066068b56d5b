"""results → one self-contained HTML file (inline SVG, print-ready CSS) and PDF."""

from __future__ import annotations

import base64
from pathlib import Path

import pandas as pd

from . import figures

TEMPLATES = Path(__file__).parent / "templates"
STAGES = [("referred", "Referred"), ("screened", "Screened"), ("eligible", "Eligible"), ("consented", "Consented"),
          ("enrolled", "Enrolled"), ("started", "Started"), ("completed_pre", "Pre"), ("completed_post", "Post"),
          ("analysed", "Analysed")]
CONCLUSIONS = {"improved": "Improved", "worsened": "Worsened", "no_clear_change": "No clear change",
               "increased": "Increased", "decreased": "Decreased"}
SEVERITIES = {"urgent": "Urgent", "follow_up": "Follow-up"}
TIMEPOINTS = {"screening": "Screening", "pre": "Pre-assessment", "post": "Post-assessment", "unknown": "Not recorded"}
MISSING_STATUS = {"withdrawn": "withdrew", "lost": "lost to contact", "completed": "completed the program",
                  "enrolled": "still enrolled"}
ZONES = {"green": "Green", "amber": "Amber", "red": "Red"}


def _engine():
    from django.conf import settings
    from django.template import Engine

    if not settings.configured:
        settings.configure(USE_I18N=False)
    return Engine(dirs=[str(TEMPLATES)], autoescape=True,
                  libraries={"nurture_format": "nurture.common.templatetags"})


def build_figures(results: dict, pairs: pd.DataFrame | None) -> dict:
    out: dict = {}
    feas = results.get("feasibility")
    if feas:
        if feas["flow"].get("consort"):
            out["flow"] = figures.flow_diagram(feas["flow"])
        if feas.get("attendance"):
            out["attendance"] = figures.attendance_by_week(feas["attendance"])
    eff = results.get("efficacy")
    if eff and eff["measures"]:
        out["forest"] = figures.forest_plot(eff["measures"])
        if pairs is not None:
            shown = [m for m in eff["measures"] if m["n"]]  # every measure with a complete pair
            if shown:
                out["paired"] = figures.paired_lines(pairs, shown)
            with_rc = [m for m in shown if m.get("reliable_change")]
            if with_rc:
                out["rc"] = figures.rc_scatter(pairs, with_rc)
    return out


def as_images(figs: dict) -> dict:
    """The same SVG figures as ``<img>`` elements with the SVG as data, for the PDF.

    WeasyPrint treats an inline ``<svg>`` as part of the HTML first: it computes a CSS
    style for every node of the figure and builds boxes for it before drawing it. As an
    image, the SVG is only parsed and drawn, and it stays vector. The HTML report keeps
    inline SVG: browsers draw it cheaply and readers can select its text.
    """
    return {name: f'<img alt="" src="data:image/svg+xml;base64,{base64.b64encode(svg.encode()).decode()}">'
            for name, svg in figs.items()}


def render_html(results: dict, figs: dict, measure_labels: dict[str, str] | None = None) -> str:
    from django.template import Context

    template = _engine().get_template("report.html")
    planning = results.get("planning") or {}
    powers = len((planning.get("assumptions") or {}).get("powers") or [1])
    planning_table = [{"label": m["label"], "primary": m["primary"],
                       "cells": [m["sample_sizes"][k:k + powers] for k in range(0, len(m["sample_sizes"]), powers)]}
                      for m in planning.get("measures") or []]
    # observation rating schemes name themselves in results.json
    observed = {o["scheme"]: o["name"] for o in ((results.get("coding") or {}).get("observations") or [])}
    measures = (results.get("efficacy") or {}).get("measures") or []
    order = ["flow", "baseline", "feasibility", "acceptability", "efficacy"] + \
        (["coding"] if results.get("coding") else []) + ["harms", "planning", "limitations"]
    return template.render(Context({
        "results": results, "figures": figs, "stages": STAGES, "conclusions": CONCLUSIONS,
        "section": {key: number for number, key in enumerate(order, start=1)},
        "severities": SEVERITIES, "timepoints": TIMEPOINTS, "missing_status": MISSING_STATUS, "zones": ZONES,
        "component_labels": figures.COMPONENT_LABELS, "measure_labels": observed | (measure_labels or {}),
        "baseline_groups": ["enrolled", "completers", "non_completers"], "planning_table": planning_table,
        "primary_labels": [m["label"] for m in measures if m.get("primary")],
        "undirected": [m["label"] for m in measures if m.get("lower_is_better") is None],
    }))


def write_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML

    HTML(string=html).write_pdf(str(path))
