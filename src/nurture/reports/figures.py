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


def _wrapped(lines: list[tuple[int, str]], width: int = 62) -> list[tuple[int, str]]:
    """(indent level, text) lines wrapped to the side box; continuation lines indent one more level."""
    import textwrap

    out = []
    for level, text in lines:
        parts = textwrap.wrap(text, width - 4 * level) or [""]
        out += [(level if k == 0 else level + 1, part) for k, part in enumerate(parts)]
    return out


def _listing(level: int, title: str, n: int, reasons: list[dict]) -> list[tuple[int, str]]:
    return [(level, f"{title}: {n}")] + [(level + 1, f"{r['label']}: {r['n']}") for r in reasons]


def flow_diagram(flow: dict) -> str:
    """The CONSORT flow diagram of a single-arm pilot: main boxes down the middle, exclusions and
    losses in side boxes with their categorical reasons, the stage names in the margin."""
    c = flow["consort"]
    plt = _plt()
    main_x, main_w, side_x, side_w, line = 1.3, 3.3, 5.15, 4.8, 0.19
    ex = c["excluded"]
    excluded = [(0, f"Did not enrol: {ex['n']}")]
    excluded += _listing(1, "Not eligible (criteria not met)", ex["ineligible"]["n"], ex["ineligible"]["criteria"])
    excluded += _listing(1, "Declined", ex["declined"]["n"], ex["declined"]["reasons"])
    if ex["pending"]["n"]:
        excluded.append((1, f"Still in screening or awaiting a cohort: {ex['pending']['n']}"))
    d = c["discontinued"]
    discontinued = [(0, f"Stopped the program early: {d['n']}")]
    discontinued += _listing(1, "Withdrew", d["withdrew"]["n"], d["withdrew"]["reasons"])
    discontinued += _listing(1, "Lost to contact", d["lost"]["n"], d["lost"]["reasons"])
    rows = [("Enrollment", [f"Referred: {c['referred']}"], None),
            (None, [f"Assessed for eligibility: {c['assessed']}"], _wrapped(excluded)),
            (None, [f"Enrolled: {c['enrolled']}"], None)]
    received = [f"Received the program (≥ 1 session): {c['received']}"] if c["received"] is not None else \
        ["Received the program: not recorded"]
    if c.get("not_received"):
        received.append(f"Did not attend any session: {c['not_received']}")
    rows.append(("Program", received, _wrapped(discontinued) if d["n"] else None))
    f = c.get("follow_up")
    if f:
        rows.append(("Follow-up", [f"Post-assessment due: {f['due']}"],
                     [(0, f"Not yet due (cohort still running): {f['not_yet_due']}")] if f["not_yet_due"] else None))
        status_labels = {"withdrawn": "Withdrew", "lost": "Lost to contact", "completed": "Completed the program",
                         "enrolled": "Still enrolled"}
        missing = [(0, f"No post-assessment: {f['missing']['n']}")]
        missing += [(1, f"{status_labels.get(k, k)}: {v}") for k, v in f["missing"]["by_status"].items()]
        rows.append((None, [f"Post-assessment completed: {f['completed']}"], missing if f["missing"]["n"] else None))
        rows.append(("Analysis", [f"Analysed (pre and post): {c['analysed']}"], None))
    heights = [max(len(m), len(sd) if sd else 0) * line + 0.22 for _, m, sd in rows]
    gap = 0.22
    total = sum(heights) + gap * (len(rows) - 1)
    fig, ax = plt.subplots(figsize=(7.0, total * 0.7 + 0.1))
    fig.subplots_adjust(0, 0, 1, 1)
    ax.set_xlim(0, 10)
    ax.set_ylim(-total - 0.05, 0.05)
    ax.axis("off")
    y = 0.0
    previous_bottom = None
    for (stage, main, side), h in zip(rows, heights, strict=True):
        main_h = len(main) * line + 0.22
        top = y - (h - main_h) / 2
        ax.add_patch(plt.Rectangle((main_x, top - main_h), main_w, main_h, facecolor="#eef5f3", edgecolor="#2f6f63"))
        for k, text in enumerate(main):
            ax.text(main_x + main_w / 2, top - 0.11 - (k + 0.5) * line, text, ha="center", va="center", fontsize=8)
        if previous_bottom is not None:
            ax.annotate("", xy=(main_x + main_w / 2, top), xytext=(main_x + main_w / 2, previous_bottom),
                        arrowprops={"arrowstyle": "->", "color": "#444", "lw": 0.9})
        if side:
            side_h = len(side) * line + 0.22
            side_top = y - (h - side_h) / 2
            ax.add_patch(plt.Rectangle((side_x, side_top - side_h), side_w, side_h, facecolor="white",
                                       edgecolor="#7a8794"))
            for k, (level, text) in enumerate(side):
                ax.text(side_x + 0.1 + 0.22 * level, side_top - 0.11 - (k + 0.5) * line, text, ha="left",
                        va="center", fontsize=7, color="#1f2933", fontweight="bold" if level == 0 else "normal")
            mid = top - main_h / 2
            ax.annotate("", xy=(side_x, mid), xytext=(main_x + main_w, mid),
                        arrowprops={"arrowstyle": "->", "color": "#7a8794", "lw": 0.8})
        if stage:
            ax.text(0.02, top - main_h / 2, stage, ha="left", va="center", fontsize=7.5, fontweight="bold",
                    color="#2f6f63")
        previous_bottom = top - main_h
        y -= h + gap
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
    """Small multiples, at most four to a row; :func:`_fit_grid` places them once drawn on."""
    cols = min(4, n)
    rows = -(-n // cols)
    fig = plt.figure(figsize=(width, height * rows))
    grid = fig.add_gridspec(rows, cols)
    return fig, [fig.add_subplot(grid[k // cols, k % cols]) for k in range(n)]  # no panel for the empty cells


def _fit_grid(fig, axes: list, pad: float = 4.0) -> None:
    """Margins and gaps of a grid of panels from the sizes of its texts, so that nothing
    overlaps or is cut off: tick labels, axis labels and (wrapped) panel titles.

    Constrained layout finds the same, but by laying out every tick of every panel several
    times, which was most of the time of the report's figures; here only the texts are
    measured. Numbers are written out in full (no "1e8" or "+1" offset above an axis, which
    would meet the title), and an axis whose tick labels would run into each other gets
    fewer ticks. Titles too wide for their panels narrow the panels, to half their width at
    most (titles wider still may touch their neighbours', but none is cut off at an edge);
    titles too tall make the figure taller.
    Sizes are in pixels of the figure; ``pad`` is in points.
    """
    import functools

    import matplotlib
    from matplotlib.font_manager import FontProperties
    from matplotlib.ticker import MaxNLocator, ScalarFormatter

    rc, renderer = matplotlib.rcParams, fig.canvas.get_renderer()
    px = fig.dpi / 72  # pixels per point
    gap = pad * px
    rows, cols = axes[0].get_subplotspec().get_gridspec().get_geometry()

    @functools.cache
    def measured(text: str, fontsize) -> tuple[float, float]:
        w, h, _ = renderer.get_text_width_height_descent(text, FontProperties(size=fontsize), ismath=False)
        return w, h

    def size(text: str, fontsize) -> tuple[float, float]:
        # matplotlib gives every line the height of "lp" at least (the ascent of l, the descent of p)
        w, h = measured(text, fontsize)
        return w, max(h, measured("lp", fontsize)[1])

    def tick_labels(axis) -> list[str]:  # the labels the axis will draw, without drawing it
        lo, hi = sorted(axis.get_view_interval())
        slack = 1e-9 * (hi - lo)
        locs = [v for v in axis.get_major_locator()() if lo - slack <= v <= hi + slack]
        return [t for t in axis.get_major_formatter().format_ticks(locs) if t]

    def label_space(label) -> float:  # an axis label and its pad
        return size(label.get_text(), label.get_fontsize())[1] + rc["axes.labelpad"] * px if label.get_text() else 0.0

    for ax in axes:
        for axis in (ax.xaxis, ax.yaxis):
            formatter = axis.get_major_formatter()
            if isinstance(formatter, ScalarFormatter):
                formatter.set_useOffset(False)
                formatter.set_scientific(False)
    left = right = top = bottom = widest_title = tallest_title = 0.0
    for ax in axes:
        ticks = tick_labels(ax.yaxis)
        left = max(left, max((size(t, rc["ytick.labelsize"])[0] for t in ticks), default=0.0)
                   + (rc["ytick.major.size"] + rc["ytick.major.pad"]) * px + label_space(ax.yaxis.label))
        ticks = tick_labels(ax.xaxis)
        bottom = max(bottom, max((size(t, rc["xtick.labelsize"])[1] for t in ticks), default=0.0)
                     + (rc["xtick.major.size"] + rc["xtick.major.pad"]) * px + label_space(ax.xaxis.label))
        if ticks:  # the last x tick label is centred on its tick: half of it may stand out to the right
            right = max(right, size(ticks[-1], rc["xtick.labelsize"])[0] / 2)
        box = ax.title.get_window_extent(renderer)
        tallest_title = max(tallest_title, box.height)
        widest_title = max(widest_title, box.width)
    top = tallest_title + rc["axes.titlepad"] * px
    width, height = fig.get_size_inches() * fig.dpi

    def spacing(w: float, *, apart: bool) -> tuple[float, float, float]:
        """Gap between panels and the two edge margins when panels are w wide: a title wider
        than its panel stands out on both sides, into the margins and (when the titles are to
        stay ``apart``) into the gaps between panels, twice."""
        overhang = max(widest_title - w, 0.0) / 2
        return (max(left + gap, 2 * overhang + gap) if apart else left + gap), max(left, overhang), max(right, overhang)

    def room(w: float, apart: bool) -> float:  # the panel width left over when panels are w wide
        between, edge_left, edge_right = spacing(w, apart=apart)
        return (width - 2 * gap - edge_left - edge_right - (cols - 1) * between) / cols

    def widest_fitting(apart: bool) -> float:
        lo, hi = 0.0, room(width, apart)  # room(w) - w only falls as w grows: halve towards where they meet
        for _ in range(40):
            mid = (lo + hi) / 2
            lo, hi = (mid, hi) if room(mid, apart) >= mid else (lo, mid)
        return lo

    w, apart = widest_fitting(True), True
    if w < 0.5 * room(width, True):  # titles too long to stand apart beside panels of half their width:
        w, apart = widest_fitting(False), False  # neighbours' titles may touch, none is cut off at an edge
    between, edge_left, edge_right = spacing(w, apart=apart)
    h_between = bottom + top + 2 * gap
    # Panels keep at least half the height asked for: tall titles make the figure taller.
    h_min = 0.5 * height / rows
    h = (height - 2 * gap - top - bottom - (rows - 1) * h_between) / rows
    if h < h_min:
        h = h_min
        height = 2 * gap + top + bottom + (rows - 1) * h_between + rows * h
        fig.set_size_inches(width / fig.dpi, height / fig.dpi)
    fig.subplots_adjust(left=(gap + edge_left) / width, right=1 - (gap + edge_right) / width,
                        bottom=(gap + bottom) / height, top=1 - (gap + top) / height,
                        wspace=between / w, hspace=h_between / h)
    for ax in axes:  # x tick labels closer together than they are wide: fewer ticks
        locator = ax.xaxis.get_major_locator()
        if not (isinstance(locator, MaxNLocator) and isinstance(ax.xaxis.get_major_formatter(), ScalarFormatter)):
            continue
        lo_x, hi_x = sorted(ax.xaxis.get_view_interval())
        locs = sorted(v for v in locator() if lo_x <= v <= hi_x)
        if len(locs) < 2:
            continue
        panel = ax.get_position().width * width
        widest = max(size(t, rc["xtick.labelsize"])[0] for t in tick_labels(ax.xaxis)) + gap
        if float(np.min(np.diff(locs))) / (hi_x - lo_x) * panel < widest:
            locator.set_params(nbins=max(1, int(panel // widest)), min_n_ticks=1)


def _title(label: str, width: int = 28) -> str:
    """A panel title wrapped to the panel (long labels such as observed measures run into their neighbours)."""
    import textwrap

    return "\n".join(textwrap.wrap(label, width)) or label


def _lines_path(pre: np.ndarray, post: np.ndarray, jitter: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pre–post segments as one polyline broken by NaN (one SVG path, not hundreds)."""
    xs = np.column_stack([jitter, 1 + jitter, np.full(len(pre), np.nan)]).ravel()
    ys = np.column_stack([pre, post, np.full(len(pre), np.nan)]).ravel()
    return xs, ys


def paired_lines(pairs: pd.DataFrame, measures: list[dict]) -> str:
    """Small multiples: one panel per measure (every measure), a line per dyad and the means."""
    plt = _plt()
    fig, axes = _grid(plt, len(measures), height=2.1)
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
        direction = {True: "lower is better", False: "higher is better"}.get(m.get("lower_is_better"), "no direction")
        ax.set_title(f"{_title(m['label'])}\n({direction}, n = {m['n']})", fontsize=7.5, y=1.0)
    _fit_grid(fig, axes)
    return _svg(fig)


def forest_plot(measures: list[dict]) -> str:
    """d_av with its 95% interval per measure with a direction, oriented so that right is improvement."""
    plt = _plt()
    rows = [m for m in measures if m.get("effect") and m["effect"].get("d_av") is not None
            and m["effect"].get("d_av_ci95") and m.get("lower_is_better") is not None]
    fig, ax = plt.subplots(figsize=(6.4, 0.36 * len(rows) + 1.1), layout="constrained")
    for i, m in enumerate(rows):
        d = m["effect"]["d_av"]
        lo, hi = m["effect"]["d_av_ci95"]
        sign = -1 if m["lower_is_better"] else 1
        y = len(rows) - i
        color = "#2f6f63" if m.get("primary") else "#52606d"
        ax.plot([sign * lo, sign * hi], [y, y], color=color, lw=1.5)
        ax.plot([sign * d], [y], "s" if m.get("primary") else "o", color=color, ms=5)
    ax.axvline(0, color="#444", lw=0.8)
    import textwrap

    # Long labels (observed measures) wrap, so the axis keeps most of the width.
    labels = ["\n".join(textwrap.wrap(m["label"] + (" (primary)" if m.get("primary") else ""), 30)) for m in rows]
    ax.set_yticks(range(len(rows), 0, -1), labels, fontsize=8)
    ax.set_xlabel("Standardized mean change $d_{av}$ with 95% CI\n\u2190 worse | better \u2192")
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
        if rc.get("clinical"):
            ax.axhline(rc["clinical"]["cutoff"], color="#b44d12", lw=0.8, ls="--")
        ax.set_xlabel("Pre", fontsize=8)
        ax.set_ylabel("Post", fontsize=8)
        ax.set_title(_title(m["label"]), fontsize=8, y=1.0)
    _fit_grid(fig, axes)
    return _svg(fig)
