"""The small-multiples figures place their panels so that no text overlaps another or is cut off.

The panels are placed from the measured sizes of their texts (``figures._fit_grid``), not
by matplotlib's constrained layout; these tests draw the real figures and look at where
every text landed.
"""

import itertools

import numpy as np
import pandas as pd
import pytest

from nurture.reports import figures

LONG = "Observed mother-infant interaction quality rating (sensitivity, responsiveness and warmth)"


def _pairs_and_measures(n_measures: int, *, long_labels: bool, scale: float = 1.0):
    rng = np.random.default_rng(3)
    rows, measures = [], []
    for k in range(n_measures):
        instrument = f"m{k}"
        pre = rng.integers(0, 30, size=24) * (scale if k == 2 else 1.0)
        post = pre + rng.integers(-5, 6, size=24)
        rows += [{"participant_id": f"P{i:02d}", "instrument": instrument, "scale": "total", "pre": a, "post": b}
                 for i, (a, b) in enumerate(zip(pre, post, strict=True))]
        label = (LONG if long_labels and k % 2 == 0 else f"Measure {k}")
        measures.append({"instrument": instrument, "scale": "total", "label": label, "n": 24,
                         "lower_is_better": bool(k % 2),
                         "reliable_change": {"s_diff": 3.0, "clinical": {"cutoff": 12.5}}})
    return pd.DataFrame(rows), measures


def _drawn_ticks(axis, coordinate: int) -> list:
    """The tick labels the axis draws: those of ticks inside its limits."""
    lo, hi = sorted(axis.get_view_interval())
    slack = 1e-9 * (hi - lo)
    return [t for t in axis.get_ticklabels() if lo - slack <= t.get_position()[coordinate] <= hi + slack]


@pytest.fixture
def drawn(monkeypatch):
    """The matplotlib figure each figure function hands to ``_svg``, drawn as the SVG is."""
    kept = []
    original = figures._svg

    def keep(fig):
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        boxes = []
        for panel, ax in enumerate(a for a in fig.axes if a.axison):
            texts = [ax.title, ax.xaxis.label, ax.yaxis.label, ax.xaxis.offsetText, ax.yaxis.offsetText,
                     *_drawn_ticks(ax.xaxis, 0), *_drawn_ticks(ax.yaxis, 1)]
            boxes += [(panel, t.get_text(), t.get_window_extent(renderer))
                      for t in texts if t.get_visible() and t.get_text()]
            boxes.append((panel, "(plot area)", ax.get_window_extent(renderer)))
        kept.append((fig.bbox, boxes))
        return original(fig)

    monkeypatch.setattr(figures, "_svg", keep)
    return kept


def _problems(figure_box, boxes) -> list[str]:
    found = []
    for panel, text, box in boxes:
        if box.x0 < figure_box.x0 - 0.5 or box.y0 < figure_box.y0 - 0.5 or \
                box.x1 > figure_box.x1 + 0.5 or box.y1 > figure_box.y1 + 0.5:
            found.append(f"panel {panel} {text!r} is cut off at the edge")
    for (p1, t1, b1), (p2, t2, b2) in itertools.combinations(boxes, 2):
        texts = "(plot area)" not in (t1, t2)
        if b1.overlaps(b2) and (p1 != p2 or texts):  # within a panel, texts must not overlap each other either
            found.append(f"panel {p1} {t1!r} overlaps panel {p2} {t2!r}")
    return found


@pytest.mark.parametrize("n_measures", [1, 3, 8])
@pytest.mark.parametrize("long_labels", [False, True])
def test_paired_lines_and_reliable_change_panels_keep_their_texts_apart(drawn, n_measures, long_labels):
    pairs, measures = _pairs_and_measures(n_measures, long_labels=long_labels, scale=1000.0)
    figures.paired_lines(pairs, measures)
    figures.rc_scatter(pairs, measures)
    assert len(drawn) == 2
    for figure_box, boxes in drawn:
        assert len({panel for panel, _, _ in boxes}) == n_measures
        assert _problems(figure_box, boxes) == []


def test_the_check_finds_panels_placed_without_the_fit(drawn, monkeypatch):
    # Without the fit, matplotlib's default margins put the wrapped titles over the
    # panels above them and tick labels of one panel into the next.
    monkeypatch.setattr(figures, "_fit_grid", lambda fig, axes: None)
    pairs, measures = _pairs_and_measures(8, long_labels=True, scale=1000.0)
    figures.paired_lines(pairs, measures)
    (figure_box, boxes), = drawn
    assert _problems(figure_box, boxes)


def test_panels_use_the_width_they_are_given():
    # The fit leaves no more room than the texts need: a grid of four short-titled
    # panels spreads over most of the figure's width.
    plt = figures._plt()
    fig, axes = figures._grid(plt, 4)
    for ax in axes:
        ax.plot([0, 1], [0, 20])
        ax.set_title("EPDS", y=1.0)
    figures._fit_grid(fig, axes)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    plot_width = sum(ax.get_window_extent(renderer).width for ax in axes)
    plt.close(fig)
    assert plot_width > 0.7 * fig.bbox.width


def test_large_and_finely_spread_values_are_written_out_without_an_offset(drawn):
    # matplotlib would print "1e8" or "+1" above an axis, where the panel title is.
    pairs, measures = _pairs_and_measures(4, long_labels=False)
    for k, transform in enumerate([lambda v: v * 1e7, lambda v: 1 + v * 1e-5, lambda v: 1e6 + v, lambda v: -v]):
        rows = pairs["instrument"] == f"m{k}"
        pairs.loc[rows, ["pre", "post"]] = transform(pairs.loc[rows, ["pre", "post"]].to_numpy(dtype=float))
    figures.paired_lines(pairs, measures)
    figures.rc_scatter(pairs, measures)
    for figure_box, boxes in drawn:
        assert _problems(figure_box, boxes) == []
        assert not [text for _, text, _ in boxes if "e+" in text or "1e" in text or text.startswith("+")]


def test_a_title_too_tall_for_the_figure_makes_it_taller(drawn):
    pairs, measures = _pairs_and_measures(1, long_labels=False)
    measures[0]["label"] = "An observed measure whose label goes on " * 15  # 600 characters: 22 lines
    figures.paired_lines(pairs, measures)
    (figure_box, boxes), = drawn
    assert figure_box.height > 2.1 * 100  # the 2.1 inches asked for, at matplotlib's 100 dpi
    assert _problems(figure_box, boxes) == []
