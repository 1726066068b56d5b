"""Benchmark: the server time of whole mothers' surveys, request by request, in one process.

    .venv/bin/python bench/survey_flow.py [--mothers 20] [--profile]

A throwaway SQLite database (WAL, as `nurture serve` uses it) with the demo battery's
eight questionnaires per mother. Each mother's browser (Django's test client, with CSRF
checks on) opens her link, loads and saves every page (the first option of every
question), opens the review and sends: what `bench/survey_load.py`'s clients do, without
the network and the crowd, so it shows what one request costs the server and where that
goes (``--profile``). Reported: the mean time per request, and the median per kind of
request. The yardstick, measured in the same run: the median of GET /login/ (no
database), so the ratio travels between machines. The first mother warms the caches and
is not counted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from urllib.parse import urlencode

PASS = re.compile(r'name="link_pass" value="([^"]+)"')  # a hidden field of every survey form
RADIO = re.compile(r'name="(item-[^"]+)" value="([^"]+)"')
FORM = "application/x-www-form-urlencoded"  # what a phone's browser sends
BATTERY = ["epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf", "feedback"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mothers", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="print where the server's time goes")
    args = parser.parse_args()
    from throwaway import survey_links

    tokens = [token for _, token in survey_links(args.mothers + 1, "nurture-flow-", BATTERY)]
    from django.test import Client

    times: dict[str, list[float]] = {}
    # One client, its cookies cleared for each mother: a fresh phone to the server, while the
    # test client's handler (which loads the middleware on its first request) is made once,
    # as a server process makes it once.
    client = Client(enforce_csrf_checks=True)

    def timed(kind, call, *a, **kw):
        start = time.perf_counter()
        response = call(*a, **kw)
        times.setdefault(kind, []).append(time.perf_counter() - start)
        return response

    def survey(token):
        client.cookies.clear()
        base = f"/s/{token}/"
        timed("open the link", client.get, base)
        path = base + "p/1/"
        while True:
            html = timed("load a page", client.get, path).content.decode()
            answers = {}
            for name, value in RADIO.findall(html):
                answers.setdefault(name, value)
            data = answers | {"link_pass": PASS.search(html).group(1), "next": "1"}
            response = timed("save a page", client.post, path, urlencode(data), content_type=FORM)
            assert response.status_code == 302, response.status_code
            location = response["Location"]
            if location.endswith("/review/"):
                break
            path = location.split("?")[0] if "/support/" not in location else \
                re.search(r"next=([^&]+)", location).group(1).replace("%2F", "/")
        html = timed("review", client.get, base + "review/").content.decode()
        response = timed("send", client.post, base + "review/",
                         urlencode({"link_pass": PASS.search(html).group(1)}), content_type=FORM)
        assert response["Location"].endswith("/done/")

    survey(tokens[0])  # warms the caches (middleware, library, templates, texts)
    times.clear()
    import cProfile

    profile = cProfile.Profile() if args.profile else None
    if profile:
        profile.enable()
    start = time.perf_counter()
    for token in tokens[1:]:
        survey(token)
    total = time.perf_counter() - start
    if profile:
        profile.disable()
    light = []
    for _ in range(50):
        start = time.perf_counter()
        client.get("/login/")
        light.append(time.perf_counter() - start)
    if profile:
        import pstats

        pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    n = sum(len(v) for v in times.values())
    per_request, light_ms = 1000 * total / n, 1000 * statistics.median(light)
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    print(f"{args.mothers} mothers, {n} requests: {per_request:.2f} ms per request (mean)")
    for kind, values in times.items():
        print(f"  {kind:<14} {len(values):4} requests, median {1000 * statistics.median(values):6.2f} ms")
    print(f"yardstick GET /login/: median {light_ms:.2f} ms   ratio per request / yardstick: "
          f"{per_request / light_ms:.1f}")


if __name__ == "__main__":
    main()
