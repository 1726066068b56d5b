"""Benchmark: `nurture score ITEMS.csv -o SCORES.csv` end to end, as a user runs it.

    .venv/bin/python bench/score_command.py [--participants 10000] [--runs 3]

Writes an item-response file (participants × the default battery), then times the
command in a subprocess (start-up, reading with physical line numbers, trimming and
id checks, scoring, writing), with its peak memory. The yardstick, measured in the same
run on the same file: `python -c "pyarrow.csv.read_csv(...)"` — starting Python and only
parsing the file with pyarrow. Goals: at most 3× the yardstick, at most 1.5 GB peak.
Nurture's modules are compiled to bytecode first, as `make` does after installing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(args: list[str], peaks: list[float] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{args[:4]} failed: {proc.stderr.read().decode()[-500:]}")
    if peaks is not None:
        peaks.append(usage.ru_maxrss / 1024)  # MB (Linux reports kB)
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    import nurture

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(nurture.__file__).parent)], check=True)
    with tempfile.TemporaryDirectory() as folder:
        items = Path(folder) / "items.csv"
        # Written by another process: a child forked from a large parent starts with the
        # parent's pages, and its peak memory would count them.
        subprocess.run([sys.executable, "-c", f"from scoring import build; "
                        f"build({args.participants}).to_csv({str(items)!r}, index=False)"],
                       cwd=Path(__file__).resolve().parent, check=True)
        rows = sum(1 for _ in open(items)) - 1
        command = [sys.executable, "-m", "nurture.cli", "score", str(items), "-o", str(Path(folder) / "s.csv")]
        yardstick = [sys.executable, "-c", f"import pyarrow.csv; pyarrow.csv.read_csv({str(items)!r})"]
        peaks: list[float] = []
        ours = [timed(command, peaks) for _ in range(args.runs)]
        base = [timed(yardstick) for _ in range(args.runs)]
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    print(f"participants: {args.participants:,}  item responses: {rows:,}")
    print(f"nurture score: median {statistics.median(ours):.2f}s  ({', '.join(f'{t:.2f}' for t in ours)})")
    print(f"peak memory of nurture score: {max(peaks):,.0f} MB")
    print(f"yardstick (python + pyarrow.csv.read_csv only): median {statistics.median(base):.2f}s")
    print(f"ratio: {statistics.median(ours) / statistics.median(base):.1f}x the yardstick")


if __name__ == "__main__":
    main()
