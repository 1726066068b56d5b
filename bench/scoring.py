"""Benchmark: score N participants × the default Nurturing Connections battery.

    .venv/bin/python bench/scoring.py [--participants 100000] [--runs 3]

Builds the long item-response table in memory (categorical id columns, as
``pd.read_csv(..., dtype="category")`` gives) and times ``score_table`` only.
Prints the median time and items per second. Target: under 2 s for 100,000.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd

from nurture.instruments import library, score_table

BATTERY = ["epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf"]


def build(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    lib = library()
    pids = np.array([f"P{i:06d}" for i in range(n)])
    parts = []
    for instrument_id in BATTERY:
        inst = lib.get(instrument_id)
        for item in inst.rated_items:
            values = rng.integers(item.min_value, item.max_value + 1, size=n)
            parts.append(pd.DataFrame({"participant_id": pids, "timepoint": "pre", "instrument": instrument_id,
                                       "item": item.id, "value": values}))
    frame = pd.concat(parts, ignore_index=True)
    for column in ("participant_id", "timepoint", "instrument", "item"):
        frame[column] = frame[column].astype("category")
    return frame


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    frame = build(args.participants)
    lib = library()
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        result = score_table(frame, lib)
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    print(f"participants: {args.participants:,}  item responses: {len(frame):,}  scale scores: {len(result.scores):,}")
    print(f"runs: {', '.join(f'{t:.2f}s' for t in times)}  median: {median:.2f}s  "
          f"items/second: {len(frame) / median:,.0f}")


if __name__ == "__main__":
    main()
