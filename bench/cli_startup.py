"""Benchmark: commands a user waits for at the prompt — `nurture --help` and `nurture analyze`
on the pilot-sized bundle — end to end in a fresh process, as a user runs them.

    .venv/bin/python bench/cli_startup.py [--runs 7] [--bootstrap 5000]

For each command: the median wall time and the median CPU time (user + system of the
child, which a busy machine inflates much less than wall time). The yardsticks, measured
in the same run, are floors under each command — less than it can take:

- starting Python and importing nothing (`python -c pass`);
- for `--help`: starting Python and importing Typer, the command-line library;
- for `analyze --format json`: starting Python and importing the scientific stack the
  analysis needs (numpy, pandas, scipy.optimize, scipy.special) — no change to Nurture's
  own code can take this away;
- for the PDF: WeasyPrint alone, in a fresh process, turning the pilot report's HTML (as
  `nurture analyze` hands it over, figures included) into the PDF — this depends on the
  report as it stands (its length, tables and figures), not on how Nurture runs.

The last lines print each command as its floor plus the rest. For all four formats the
floor is the longer of the two processes' lower bounds (the PDF is made in a second
process, after the analysis and the figures), so the rest is more than Nurture's own
work there. Goals on an idle 2-core machine: `--help` ≤ 150 ms; `analyze --format json`
≤ 1 s; all four formats ≤ 3 s.

Nurture's modules are compiled to bytecode first, as `make` does after installing: an
editable install is otherwise recompiled on every command wherever PYTHONDONTWRITEBYTECODE
is set, which is not how a user's installed copy runs.
"""

from __future__ import annotations

import argparse
import atexit
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def measure(args: list[str], runs: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(args, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--bootstrap", type=int, default=5000)
    args = parser.parse_args()
    import nurture
    from nurture.analysis.synthetic import make_bundle

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(nurture.__file__).parent)], check=True)

    work = Path(tempfile.mkdtemp(prefix="nurture-cli-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # nothing left in the temporary folder
    bundle = make_bundle(work / "pilot", n=26, seed=1)
    nurture = [sys.executable, "-m", "nurture.cli"]
    analyze = nurture + ["analyze", str(bundle), "-o", str(work / "out"), "--bootstrap", str(args.bootstrap)]
    pdf_html = _report_html_for_pdf(analyze, work)
    stack = "import numpy, pandas, scipy.optimize, scipy.special"
    rows = [
        ("yardstick: python -c pass", [sys.executable, "-c", "pass"], None),
        ("yardstick: import typer", [sys.executable, "-c", "import typer"], None),
        (f"yardstick: {stack}", [sys.executable, "-c", stack], None),
        ("yardstick: WeasyPrint alone, report HTML → PDF",
         [sys.executable, "-c", f"from weasyprint import HTML; HTML(filename={str(pdf_html)!r})"
                                f".write_pdf({str(work / 'alone.pdf')!r})"], None),
        ("nurture --help", nurture + ["--help"], 0.150),
        ("nurture analyze pilot --format json", analyze + ["--format", "json"], 1.0),
        ("nurture analyze pilot, all four formats", analyze + ["--format", "json,html,pdf,xlsx"], 3.0),
    ]
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}  runs: {args.runs}")
    results = {}
    for label, command, goal in rows:
        wall, cpu = measure(command, args.runs)
        results[label] = (wall, cpu)
        print(f"{label:<62} wall {wall:6.3f}s  cpu {cpu:6.3f}s" + (f"  (goal {goal:g}s)" if goal else ""),
              flush=True)
    floors = {"nurture --help": ["yardstick: import typer"],
              "nurture analyze pilot --format json": [f"yardstick: {stack}"],
              # the PDF is made in a second process while the first analyses: the longer of the two
              "nurture analyze pilot, all four formats": [f"yardstick: {stack}",
                                                          "yardstick: WeasyPrint alone, report HTML → PDF"]}
    for label, under in floors.items():
        wall = results[label][0]
        floor = max(results[u][0] for u in under)
        goal = next(g for name, _, g in rows if name == label)
        named = " or ".join(u.removeprefix("yardstick: ") for u in under) + (", the longer" if len(under) > 1 else "")
        print(f"{label}: wall {wall:.3f}s = floor {floor:.3f}s ({named}) + {wall - floor:.3f}s; goal {goal:g}s"
              + ("  — the floor alone is over the goal" if floor > goal else ""))


def _report_html_for_pdf(analyze: list[str], work: Path) -> Path:
    """The pilot report's HTML exactly as `nurture analyze` hands it to WeasyPrint (figures as
    images), written to a file for the WeasyPrint-alone yardstick."""
    import json

    from nurture.analysis.bundle import load_bundle
    from nurture.analysis.efficacy import paired_frame
    from nurture.analysis.results import analysed_scores
    from nurture.instruments import library
    from nurture.reports.catalogue import score_ranges
    from nurture.reports.html import as_images, build_figures, render_html

    subprocess.run(analyze + ["--format", "json"], check=True, capture_output=True)
    results = json.loads((work / "out" / "results.json").read_text(encoding="utf-8"))
    bundle = load_bundle(work / "pilot", score_ranges=score_ranges(library()))
    scores = analysed_scores(bundle)
    figures = build_figures(results, paired_frame(scores))
    html = render_html(results, as_images(figures), {inst.id: inst.short_name for inst in library()})
    path = work / "report-for-pdf.html"
    path.write_text(html, encoding="utf-8")
    return path

if __name__ == "__main__":
    main()
