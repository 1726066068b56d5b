"""Benchmark: the staff's evaluation report of the live study (GET /evaluation/report/).

    .venv/bin/python bench/evaluation_page.py [--requests 5]

Sets up the demo study in a throwaway folder (`nurture init`: SQLite, 60 dyads with their
sessions, attendance, questionnaires, observations and alerts), then requests the report
as its coordinator through Django's whole request handling (the test client: middleware,
sessions, templates). Each view builds the de-identified bundle from the database, runs
the whole analysis (5,000 bootstrap resamples), draws the figures and renders the page,
in the request — after any change to the data; viewed again with the data unchanged, the
report made is shown again (kept under the digest of its bundle), and only the bundle is
built. Reported: the median and every time of the page made and shown again, and of the
two halves of making it, measured in process (building the bundle; analysis, figures and
HTML). The yardstick, measured in the same run: the median of GET /login/ (no database),
so ratios travel between machines.
"""

from __future__ import annotations

import argparse
import atexit
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5)
    args = parser.parse_args()
    os.environ.pop("NURTURE_DATABASE_URL", None)
    os.environ["NURTURE_VAR_DIR"] = tempfile.mkdtemp(prefix="nurture-evaluation-")
    atexit.register(shutil.rmtree, os.environ["NURTURE_VAR_DIR"], ignore_errors=True)
    os.environ["DJANGO_SETTINGS_MODULE"] = "nurture.settings"
    subprocess.run([sys.executable, "-m", "nurture.cli", "init"], check=True, capture_output=True)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.test import Client

    from nurture.exports.bundle import live_bundle
    from nurture.program.models import Study
    from nurture.reports.run import report_html

    warnings.simplefilter("ignore")  # as the server's log would show them; not what is timed
    user = get_user_model().objects.get(username="coordinator")
    study = Study.objects.get()
    client = Client()
    client.force_login(user)
    response = client.get("/evaluation/report/")  # warm: templates, the instrument library
    assert response.status_code == 200 and b"evaluation report" in response.content, response.status_code
    page, again, bundle, report = [], [], [], []
    for _ in range(args.requests):
        caches["reports"].clear()  # as after any change to the data: the report is made in the request
        start = time.perf_counter()
        client.get("/evaluation/report/")
        page.append(time.perf_counter() - start)
        start = time.perf_counter()
        client.get("/evaluation/report/")  # the data unchanged: the report made above is shown
        again.append(time.perf_counter() - start)
    for _ in range(args.requests):
        start = time.perf_counter()
        data = live_bundle(user, study, deidentified=True)
        middle = time.perf_counter()
        report_html(data)
        bundle.append(middle - start)
        report.append(time.perf_counter() - middle)
    light, yardstick = [], Client()
    yardstick.get("/login/")
    for _ in range(50):
        start = time.perf_counter()
        yardstick.get("/login/")
        light.append(time.perf_counter() - start)

    def shown(values):
        return f"median {statistics.median(values):.2f}s  ({', '.join(f'{v:.2f}' for v in values)})"

    light_ms = 1000 * statistics.median(light)
    print(f"load: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}")
    print(f"GET /evaluation/report/ (demo study, {len(data.tables['participants.csv'])} dyads): {shown(page)}")
    print(f"  again, the data unchanged:    {shown(again)}")
    print(f"  the bundle from the database: {shown(bundle)}")
    print(f"  analysis, figures and HTML:   {shown(report)}")
    print(f"yardstick GET /login/: median {light_ms:.2f} ms   ratio page / yardstick: "
          f"{1000 * statistics.median(page) / light_ms:.0f} (made), {1000 * statistics.median(again) / light_ms:.0f} "
          "(shown again)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
