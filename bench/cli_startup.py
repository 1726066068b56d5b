"""Benchmark: commands a user waits for at the prompt — `nurture --help` and `nurture analyze`
on the pilot-sized bundle — end to end in a fresh process, as a user runs them.

    .venv/bin/python bench/cli_startup.py [--runs 7] [--bootstrap 5000]

For each command: the median wall time and the median CPU time (user + system of the
child, which a busy machine inflates much less than wall time). The yardsticks, measured
in the same run: starting Python and importing nothing (`python -c pass`), and starting
Python and importing the scientific stack the analysis needs (numpy, pandas,
scipy.special) — what no change to Nurture can take away. Goals on an idle 2-core
machine: `--help` ≤ 150 ms; `analyze --format json` ≤ 1 s; all four formats ≤ 3 s.

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
    rows = [
        ("yardstick: python -c pass", [sys.executable, "-c", "pass"], None),
        ("yardstick: import numpy, pandas, scipy.special",
         [sys.executable, "-c", "import numpy, pandas, scipy.special"], None),
        ("nurture --help", nurture + ["--help"], 0.150),
        ("nurture analyze pilot --format json", analyze + ["--format", "json"], 1.0),
        ("nurture analyze pilot, all four formats", analyze + ["--format", "json,html,pdf,xlsx"], 3.0),
    ]
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}  runs: {args.runs}")
    results = {}
    for label, command, goal in rows:
        wall, cpu = measure(command, args.runs)
        results[label] = (wall, cpu)
        print(f"{label:<46} wall {wall:6.3f}s  cpu {cpu:6.3f}s" + (f"  (goal {goal:g}s)" if goal else ""),
              flush=True)
    base_wall, base_cpu = results["yardstick: import numpy, pandas, scipy.special"]
    for label in [r[0] for r in rows if r[2]]:
        wall, cpu = results[label]
        print(f"ratio {label} / scientific-stack import: wall ×{wall / base_wall:.2f}  cpu ×{cpu / base_cpu:.2f}")


if __name__ == "__main__":
    main()
