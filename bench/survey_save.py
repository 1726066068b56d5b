"""Benchmark: server time of one survey page save, the request a mother waits for.

    .venv/bin/python bench/survey_save.py [--mothers 20] [--saves 200]

A throwaway SQLite database (WAL, as `nurture serve` uses it) with mothers who each have
a link to the pre-program battery; every save is a real POST (form-encoded, as a phone sends it) through Django's whole request handling
(middleware, CSRF, the token look-up, validation, the write, scoring the page's
instrument, the safety rules) on one page of the battery, answers changing each time.
Reported: median and p95 per save, the queries per save, and — the yardstick measured in
the same run — the median of the lightest page the app serves (GET /login/, no
database), so the ratio travels between machines. Goal: median save ≤ 8 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from urllib.parse import urlencode

FORM = "application/x-www-form-urlencoded"  # what a phone's browser sends


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mothers", type=int, default=20)
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="print where the time of the saves goes")
    args = parser.parse_args()
    from throwaway import survey_links

    links = survey_links(args.mothers, "nurture-save-")
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from nurture.instruments import library

    client = Client()
    client.get("/login/")
    pages = [(n, inst) for n, inst in enumerate(links[0][0].instruments, 1) if not library().get(inst).structure_only]
    saves, queries, light = [], [], []
    import cProfile

    profile = cProfile.Profile() if args.profile else None
    for k in range(args.saves):
        assessment, token = links[k % len(links)]
        number, inst_id = pages[(k // len(links)) % len(pages)]
        inst = library().get(inst_id)
        level = k // (len(links) * len(pages)) % 2  # the second round changes every answer
        data = {f"item-{item.id}": str(item.values[level]) for item in inst.rated_items}
        with CaptureQueriesContext(connection) as captured:
            if profile:
                profile.enable()
            start = time.perf_counter()
            response = client.post(f"/s/{token}/p/{number}/", urlencode(data), content_type=FORM)
            saves.append(time.perf_counter() - start)
            if profile:
                profile.disable()
        assert response.status_code == 302, (response.status_code, inst_id)
        queries.append(len(captured.captured_queries))
        start = time.perf_counter()
        client.get("/login/")
        light.append(time.perf_counter() - start)
    if profile:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    saves.sort()
    save_ms, light_ms = 1000 * statistics.median(saves), 1000 * statistics.median(light)
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    print(f"page save: median {save_ms:.1f} ms  p95 {1000 * saves[int(0.95 * (len(saves) - 1))]:.1f} ms  "
          f"({len(saves)} saves over {len(pages)} pages; queries per save: {min(queries)}–{max(queries)}, "
          f"median {statistics.median(queries):g})")
    print(f"yardstick GET /login/: median {light_ms:.1f} ms   ratio save / yardstick: {save_ms / light_ms:.1f}")


if __name__ == "__main__":
    main()
