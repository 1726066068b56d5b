"""`nurture analyze`: bundle → results.json and the chosen reports."""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

FORMATS = ("json", "html", "pdf", "xlsx")


def _warm_up() -> None:
    """Import what the figures and the PDF need (about a second and a half) while the
    parent imports its own libraries and analyses."""
    import pandas  # noqa: F401  (the paired scores arrive as a frame)
    import weasyprint  # noqa: F401

    from . import figures

    figures._plt()


def _figures(results: dict, pairs) -> dict:
    from .html import build_figures

    return build_figures(results, pairs)


def _pdf(html: str, path: Path) -> None:
    from .html import write_pdf

    write_pdf(html, path)


class _Done:
    """A job already done (the in-process worker's answer)."""

    def __init__(self, value):
        self.value = value

    def result(self):
        return self.value


class _InProcess:
    """The worker's interface, run in this process: for one output without figures, or
    platforms without fork."""

    def submit(self, fn, *args):
        return _Done(fn(*args))

    def close(self, *, completed: bool) -> None:
        pass


def _end_with(parent: int) -> None:
    """In the worker: end when the command ends, however it ends (stopped by a signal or
    killed), instead of drawing a report nobody will read. Linux tells a child when its
    parent is gone (PR_SET_PDEATHSIG); elsewhere a killed command can leave the worker behind."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the command ended before the line above took effect
        os._exit(0)


class _Forked:
    """A second process that draws the figures and the PDF. On two cores this takes the
    import and drawing time of matplotlib and WeasyPrint off the critical path.

    It is forked before the parent imports pandas and scipy, so that both import at once.
    After a failure it is stopped rather than waited for, so the error is told at once.
    """

    def __init__(self):
        self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                         initializer=_end_with, initargs=(os.getpid(),))
        self._pool.submit(_warm_up)

    def submit(self, fn, *args):
        return self._pool.submit(fn, *args)

    def close(self, *, completed: bool) -> None:
        if not completed:
            stop = getattr(self._pool, "terminate_workers", None)  # Python 3.14
            if stop is not None:
                stop()
                return
            for process in list((getattr(self._pool, "_processes", None) or {}).values()):
                process.terminate()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _report_worker(needed: bool):
    if needed and "fork" in multiprocessing.get_all_start_methods():
        return _Forked()
    return _InProcess()


def analyze_path(source: Path, out_dir: Path, *, formats=FORMATS, n_boot: int = 5000, seed: int = 2024,
                 criteria: Path | None = None, primary: list[tuple[str, str]] | None = None,
                 targets: tuple[float, ...] | None = None, group_size: float | None = None,
                 progress: Callable[[str], None] | None = None,
                 on_safety: Callable[[list[dict]], None] | None = None) -> dict[str, Path]:
    """Load, validate, (score if needed,) analyse and write. Raises BundleError / ResponseError on bad input.

    ``primary`` overrides the primary measures declared in the manifest; ``targets`` and
    ``group_size`` set the planning table (defaults: 0.3, 0.4, 0.5 and the pilot's cohort size).
    ``on_safety`` receives the safety rule hits of the item responses (also written to
    ``results.json`` as ``"safety"``) before any report is drawn.
    """
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"unknown format {unknown[0]!r} (choose from {', '.join(FORMATS)})")
    worker = _report_worker(bool({"html", "pdf"} & set(formats)))  # first: it imports while we do
    completed = False
    try:
        from nurture.analysis.bundle import load_bundle
        from nurture.instruments import library

        from .catalogue import score_ranges

        bundle = load_bundle(source, score_ranges=score_ranges(library()))
        options = {"primary": primary, "targets": targets, "group_size": group_size}
        written = _analyze(bundle, worker, out_dir, formats, n_boot, seed, criteria, options, progress, on_safety)
        completed = True
        return written
    finally:
        worker.close(completed=completed)


def _analyze(bundle, worker, out_dir, formats, n_boot, seed, criteria, options, progress,
             on_safety) -> dict[str, Path]:
    import json

    from nurture.analysis.efficacy import paired_frame
    from nurture.analysis.progression import load_criteria
    from nurture.analysis.results import analyse, analysed_scores, to_json
    from nurture.instruments import library
    from nurture.instruments.flags import flag_records

    from .catalogue import analysis_context, build_catalogue

    lib = library()
    safety, disagreement = [], None
    if bundle.has("item_responses.csv"):
        # Items are scored whenever they are there: for scores.csv when it is absent, and
        # always for the safety rules (a bundle's scores cannot tell an item-10 answer).
        if progress:
            progress("scoring item responses")
        scored = score_items(bundle)
        safety = flag_records(scored.flags)
        if not bundle.has("scores.csv"):
            bundle.tables["scores.csv"] = scored.scores[["participant_id", "timepoint", "instrument", "scale",
                                                         "score", "n_items", "band"]]
        else:
            disagreement = scores_disagreement(bundle.get("scores.csv"), scored.scores)
    rules = load_criteria(criteria) if criteria else None
    results = analyse(bundle, build_catalogue(lib), criteria=rules, n_boot=n_boot, seed=seed, progress=progress,
                      safety=safety, **options, **analysis_context(lib))
    if disagreement:
        results["warnings"].append(disagreement)
    if on_safety:
        on_safety(safety)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = {}
    text = to_json(results)
    (out_dir / "results.json").write_text(text, encoding="utf-8")
    written["json"] = out_dir / "results.json"
    clean = json.loads(text)
    pdf_job = None
    if {"html", "pdf"} & set(formats):
        from .html import as_images, render_html

        if progress:
            progress("figures")
        scores = analysed_scores(bundle)  # questionnaire and observation scores: a figure panel for every measure
        pairs = paired_frame(scores) if scores is not None and len(scores) else None
        figures_job = worker.submit(_figures, clean, pairs)
        if "xlsx" in formats:
            written["xlsx"] = _xlsx(clean, out_dir)
        labels = {inst.id: inst.short_name for inst in lib}
        figs = figures_job.result()
        if "html" in formats:
            (out_dir / "report.html").write_text(render_html(clean, figs, labels), encoding="utf-8")
            written["html"] = out_dir / "report.html"
        if "pdf" in formats:
            if progress:
                progress("PDF")
            pdf_job = worker.submit(_pdf, render_html(clean, as_images(figs), labels), out_dir / "report.pdf")
    if "xlsx" in formats and "xlsx" not in written:
        written["xlsx"] = _xlsx(clean, out_dir)
    if pdf_job is not None:
        pdf_job.result()
        written["pdf"] = out_dir / "report.pdf"
    return {k: written[k] for k in FORMATS if k in written}


def report_html(bundle, *, n_boot: int = 5000, seed: int = 2024) -> str:
    """The HTML report of an in-memory bundle (the evaluation page of the live study)."""
    import json

    from nurture.analysis.efficacy import paired_frame
    from nurture.analysis.results import analyse, analysed_scores, to_json
    from nurture.instruments import library

    from .catalogue import analysis_context, build_catalogue
    from .html import build_figures, render_html

    lib = library()
    results = json.loads(to_json(analyse(bundle, build_catalogue(lib), n_boot=n_boot, seed=seed,
                                         **analysis_context(lib))))
    scores = analysed_scores(bundle)
    pairs = paired_frame(scores) if scores is not None and len(scores) else None
    return render_html(results, build_figures(results, pairs), {i.id: i.short_name for i in lib})


def scores_disagreement(given, rescored) -> str | None:
    """A warning when scores.csv differs from scoring the bundle's own item responses."""
    key = ["participant_id", "timepoint", "instrument", "scale"]
    both = given[key + ["score"]].merge(rescored[key + ["score"]], on=key, suffixes=("_given", "_items"))
    a, b = both["score_given"].astype(float), both["score_items"].astype(float)
    differ = both[~((a - b).abs() < 1e-9) & ~(a.isna() & b.isna())]
    if differ.empty:
        return None
    first = differ.iloc[0]
    shown = lambda v: "missing" if v != v else f"{v:g}"  # noqa: E731
    return (f"scores.csv differs from scoring item_responses.csv for {len(differ)} scale score(s) (first: "
            f"{first.participant_id} {first.timepoint} {first.instrument} {first.scale}: {shown(first.score_given)} "
            f"given, {shown(first.score_items)} from the items); the analysis uses scores.csv")


def score_items(bundle):
    """Score the bundle's item responses; a scoring error names the file line."""
    from nurture.instruments import ResponseError, library, score_table

    items = bundle.get("item_responses.csv")
    try:
        return score_table(items, library(), source="item_responses.csv", row_offset=0)
    except ResponseError as exc:
        row = bundle.line("item_responses.csv", exc.row) if exc.row is not None else None
        raise ResponseError(exc.problem, row=row, column=exc.column, source="item_responses.csv") from None


def _xlsx(results: dict, out_dir: Path) -> Path:
    from .xlsx import write_xlsx

    write_xlsx(results, out_dir / "tables.xlsx")
    return out_dir / "tables.xlsx"
