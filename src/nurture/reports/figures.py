"""Figures as inline SVG (matplotlib, Agg backend, imported lazily)."""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

COLORS = {"mother": "#2f6f63", "infant": "#c2772b", "dyad": "#5b5fc7", "pre": "#7a8794", "post": "#2f6f63"}
COMPONENT_LABELS = {"mother": "Mothers' group", "infant": "Infant group", "dyad": "Dyadic group"}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "DejaVu Sans", "font.size": 9, "axes.spines.top": False,
                         "axes.spines.right": False, "svg.fonttype": "none", "svg.hashsalt": "nurture"})
    return plt


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    _plt().close(fig)
    text = buf.getvalue()
    text = text[text.index("<svg"):]
    # Drop the RDF metadata block: the report embeds many figures and needs none of it.
    return re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)


def flow_diagram(flow: dict) -> str:
    plt = _plt()
    stages = [("referred", "Referred"), ("screened", "Screened"), ("eligible", "Eligible"),
              ("consented", "Consented"), ("enrolled", "Enrolled"), ("started", "Started (≥ 1 session)"),
              ("completed_pre", "Pre-assessment"), ("completed_post", "Post-assessment"),
              ("analysed", "Analysed (pre and post)")]
    overall = flow["overall"]
    shown = [(label, overall[key]) for key, label in stages if overall.get(key) is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.55 * len(shown) + 0.4), layout="constrained")
    ax.set_xlim(0, 10)
    ax.set_ylim(-len(shown), 0.6)
    ax.axis("off")
    for i, (label, n) in enumerate(shown):
        y = -i
        ax.add_patch(plt.Rectangle((1.5, y - 0.32), 5, 0.64, facecolor="#eef5f3", edgecolor="#2f6f63"))
        ax.text(4, y, f"{label}: n = {n}", ha="center", va="center")
        if i:
            ax.annotate("", xy=(4, y + 0.33), xytext=(4, y + 0.67), arrowprops={"arrowstyle": "->", "color": "#444"})
    reasons = flow.get("reasons", {})
    notes = []
    for status, label in (("ineligible", "Not eligible"), ("withdrawn", "Withdrew"), ("lost", "Lost")):
        if reasons.get(status):
            notes.append(f"{label}: {sum(reasons[status].values())}")
    if notes:
        ax.text(6.8, -1.5, "\n".join(notes), va="center", fontsize=8, color="#444")
    return _svg(fig)


def attendance_by_week(attendance: dict) -> str:
    plt = _plt()
    frame = pd.DataFrame(attendance["by_week"])
    fig, ax = plt.subplots(figsize=(6.4, 2.8), layout="constrained")
    for component, group in frame.groupby("component"):
        ax.plot(group["week"], 100 * group["share_present"], marker="o", ms=3, color=COLORS.get(component),
                label=COMPONENT_LABELS.get(component, component))
    ax.set_xlabel("Program week")
    ax.set_ylabel("Dyads present (%)")
    ax.set_ylim(0, 100)
    ax.legend(frameon=False, ncol=3, loc="lower center", bbox_to_anchor=(0.5, 1.0))
    return _svg(fig)


def _grid(plt, n: int, width: float = 6.6, height: float = 2.3):
    cols = min(4, n)
    rows = -(-n // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width, height * rows), squeeze=False, layout="constrained")
    for ax in axes.flat[n:]:
        ax.axis("off")
    return fig, list(axes.flat[:n])


def _lines_path(pre: np.ndarray, post: np.ndarray, jitter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pre–post segments as one polyline broken by NaN (one SVG path, not hundreds)."""
    xs = np.column_stack([jitter, 1 + jitter, np.full(len(pre), np.nan)]).ravel()
    ys = np.column_stack([pre, post, np.full(len(pre), np.nan)]).ravel()
    return xs, ys


def paired_lines(pairs: pd.DataFrame, measures: list[dict]) -> str:
    """Small multiples: one panel per measure, a line per dyad and the means."""
    plt = _plt()
    fig, axes = _grid(plt, len(measures))
    rng = np.random.default_rng(0)
    for ax, m in zip(axes, measures, strict=True):
        sub = pairs[(pairs["instrument"] == m["instrument"]) & (pairs["scale"] == m["scale"])]
        complete = sub.dropna(subset=["pre", "post"])
        shown = complete if len(complete) <= 300 else complete.sample(300, random_state=0)
        xs, ys = _lines_path(shown["pre"].to_numpy(), shown["post"].to_numpy(),
                             rng.uniform(-0.04, 0.04, size=len(shown)))
        ax.plot(xs, ys, color="#9aa5b1", lw=0.6, alpha=0.7)
        ax.plot([0, 1], [complete["pre"].mean(), complete["post"].mean()], color=COLORS["post"], lw=2.2, marker="o")
        ax.set_xticks([0, 1], ["Pre", "Post"])
        ax.set_xlim(-0.3, 1.3)
        ax.set_title(m["label"], fontsize=8)
    return _svg(fig)


def forest_plot(measures: list[dict]) -> str:
    plt = _plt()
    rows = [m for m in measures if m.get("effect") and m["effect"].get("dz") is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.35 * len(rows) + 0.9), layout="constrained")
    for i, m in enumerate(rows):
        dz = m["effect"]["dz"]
        lo, hi = m["effect"]["dz_ci95"]
        sign = -1 if m.get("lower_is_better") else 1  # plot so that right = improvement
        if m.get("lower_is_better") is None:
            sign = 1
        y = len(rows) - i
        ax.plot([sign * lo, sign * hi], [y, y], color="#2f6f63", lw=1.5)
        ax.plot([sign * dz], [y], "s", color="#2f6f63", ms=5)
    ax.axvline(0, color="#444", lw=0.8)
    ax.set_yticks(range(len(rows), 0, -1), [m["label"] for m in rows])
    ax.set_xlabel("Standardised change dz with 95% CI (right = improvement)")
    return _svg(fig)


def rc_scatter(pairs: pd.DataFrame, measures: list[dict]) -> str:
    """Pre against post per measure, with the band of no reliable change and the cut-off."""
    plt = _plt()
    fig, axes = _grid(plt, len(measures), height=2.4)
    for ax, m in zip(axes, measures, strict=True):
        rc = m["reliable_change"]
        sub = pairs[(pairs["instrument"] == m["instrument"]) & (pairs["scale"] == m["scale"])]
        complete = sub.dropna(subset=["pre", "post"])
        lo = float(min(complete["pre"].min(), complete["post"].min()))
        hi = float(max(complete["pre"].max(), complete["post"].max()))
        band = 1.96 * rc["s_diff"]
        xs = np.array([lo, hi])
        ax.fill_between(xs, xs - band, xs + band, color="#e5e7eb", lw=0)
        ax.plot(xs, xs, color="#7a8794", lw=0.8)
        shown = complete if len(complete) <= 2000 else complete.sample(2000, random_state=0)
        ax.plot(shown["pre"], shown["post"], "o", ms=2.5, color="#2f6f63", alpha=0.8)
        ax.axhline(rc["clinical"]["cutoff"], color="#b44d12", lw=0.8, ls="--")
        ax.set_xlabel("Pre", fontsize=8)
        ax.set_ylabel("Post", fontsize=8)
        ax.set_title(m["label"], fontsize=8)
    return _svg(fig)
