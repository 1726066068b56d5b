"""Benchmark: the whole analysis for 26, 1,000 and 100,000 participants × 8 measures.

    .venv/bin/python bench/analysis.py [--sizes 26,1000,100000] [--runs 3] [--boot 5000]
    .venv/bin/pip install pingouin   # only for the bootstrap comparison (not a dependency)

For each size it writes a synthetic bundle (nurture.analysis.synthetic), then times:
- the pilot size end to end as a user runs it: `nurture analyze` (all four outputs), and
  `nurture analyze --format json`;
- the analysis (results.json only) for every size, in-process;
- the BCa bootstrap of 8 measures (mean change and dz) against a loop of pingouin's
  ``compute_bootci`` with the same resamples count, and reports the ratio.
Medians of --runs runs. Targets: pilot end to end ≤ 3 s for all four outputs and ≤ 1 s
for results.json alone; 100,000 participants < 30 s; bootstrap at least 10× faster than
the pingouin loop.
"""

from __future__ import annotations

import argparse
import atexit
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def median_time(fn, runs: int) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="26,1000,100000")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--boot", type=int, default=5000)
    args = parser.parse_args()
    from nurture.analysis.bundle import load_bundle
    from nurture.analysis.efficacy import paired_frame
    from nurture.analysis.results import analyse
    from nurture.analysis.stats import bootstrap_paired
    from nurture.analysis.synthetic import make_bundle
    from nurture.instruments import library
    from nurture.reports.catalogue import build_catalogue

    catalogue = build_catalogue(library())
    work = Path(tempfile.mkdtemp(prefix="nurture-bench-"))
    atexit.register(shutil.rmtree, work, ignore_errors=True)  # nothing left in the temporary folder
    for n in [int(s) for s in args.sizes.split(",")]:
        folder = make_bundle(work / f"b{n}", n=n, seed=1)
        if n <= 100:
            cli = [sys.executable, "-m", "nurture.cli", "analyze", str(folder), "-o", str(work / f"o{n}"),
                   "--bootstrap", str(args.boot)]
            med, times = median_time(lambda cli=cli: subprocess.run(cli, check=True, capture_output=True), args.runs)
            print(f"n={n:>7,}  nurture analyze, all four outputs: median {med:.2f}s  "
                  f"({', '.join(f'{t:.2f}' for t in times)})")
            json_only = [*cli, "--format", "json"]
            med, times = median_time(lambda c=json_only: subprocess.run(c, check=True, capture_output=True), args.runs)
            print(f"n={n:>7,}  nurture analyze --format json: median {med:.2f}s  "
                  f"({', '.join(f'{t:.2f}' for t in times)})")
        bundle = load_bundle(folder)
        med, times = median_time(lambda b=bundle: analyse(b, catalogue, n_boot=args.boot, seed=1), args.runs)
        load_med, _ = median_time(lambda f=folder: load_bundle(f), 1)
        print(f"n={n:>7,}  load + validate {load_med:.2f}s; analysis (results.json): median {med:.2f}s  "
              f"({', '.join(f'{t:.2f}' for t in times)})")
        pairs = paired_frame(bundle.get("scores.csv")).dropna(subset=["pre", "post"])
        groups = [g for _, g in pairs.groupby(["instrument", "scale"])]

        def ours(groups=groups):
            for g in groups:
                bootstrap_paired(g["pre"], g["post"], n_boot=args.boot, seed=1)

        ours_med, _ = median_time(ours, args.runs)
        try:
            import pingouin
        except ImportError:
            print("           pingouin not installed: bootstrap comparison skipped")
            continue
        if n > 1000:
            continue

        def theirs(groups=groups):
            for g in groups:
                diff = (g["post"] - g["pre"]).to_numpy()
                pingouin.compute_bootci(diff, func="mean", method="bca", n_boot=args.boot, seed=1)
                pingouin.compute_bootci(diff, func=lambda d: d.mean() / d.std(ddof=1), method="bca",
                                        n_boot=args.boot, seed=1)

        theirs_med, _ = median_time(theirs, args.runs)
        print(f"           bootstrap, 8 measures × (mean, dz) × {args.boot}: ours {ours_med:.3f}s, pingouin loop "
              f"{theirs_med:.3f}s, ratio {theirs_med / ours_med:.0f}×")


if __name__ == "__main__":
    main()
