"""Benchmark: `nurture score ITEMS.csv -o SCORES.csv` end to end, as a user runs it.

    .venv/bin/python bench/score_command.py [--participants 10000] [--runs 3]

Writes an item-response file (participants × the default battery), then times the
command in a subprocess (start-up, reading with physical line numbers, trimming and
id checks, scoring, writing). The yardstick, measured in the same run on the same
file: `python -c "pandas.read_csv(...)"` — starting Python and only parsing the file.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scoring import build


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        items = Path(folder) / "items.csv"
        build(args.participants).to_csv(items, index=False)
        rows = sum(1 for _ in open(items)) - 1
        command = [sys.executable, "-m", "nurture.cli", "score", str(items), "-o", str(Path(folder) / "s.csv")]
        yardstick = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(items)!r}, dtype=str)"]
        ours = [timed(command) for _ in range(args.runs)]
        base = [timed(yardstick) for _ in range(args.runs)]
    print(f"participants: {args.participants:,}  item responses: {rows:,}")
    print(f"nurture score: median {statistics.median(ours):.2f}s  ({', '.join(f'{t:.2f}' for t in ours)})")
    print(f"yardstick (python + pandas.read_csv only): median {statistics.median(base):.2f}s")
    print(f"ratio: {statistics.median(ours) / statistics.median(base):.1f}x the yardstick")


if __name__ == "__main__":
    main()
