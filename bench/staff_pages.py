"""Benchmark: the staff pages at scale — a study of 100 sites × 10 cohorts × 12 dyads.

    .venv/bin/python bench/staff_pages.py [--sites 100] [--cohorts 10] [--dyads 12] [--requests 30]
    NURTURE_PG_PORT=5491 bash .ci/with-postgres .venv/bin/python bench/staff_pages.py

Builds the study in a throwaway database with ``tests/scale.py`` (bulk inserts: 12,000
dyads with their sessions, attendance, fidelity checklists, assessments, alerts and
messages, plus two referrals waiting per site) — SQLite (WAL, as `nurture serve` uses it)
in a temporary folder by default; on PostgreSQL when ``NURTURE_DATABASE_URL`` points to a
server, in a new database ``nurture_bench_staff`` on it, dropped afterwards. Then every
page is requested ``--requests`` times through Django's whole request handling (the test
client: middleware, sessions, templates, the alert bar) by an administrator (every site),
a coordinator and a facilitator of one site: the dashboard, the participant list (page 1
and a middle page), a cohort's week page (week 1 of a cohort in progress) and the alert
list (unresolved, and all), and the cohort list. Reported per page: median and p95 ms, the queries of one
request and their time; the yardstick, measured in the same run between the pages, is the median of the
lightest page the app serves (GET /login/, no database), so ratios travel between
machines. Goal (issue 13): p95 ≤ 100 ms on every page.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DB = "nurture_bench_staff"


def _postgres(url: str) -> str:
    """A fresh database on the server of ``url``; returns its URL."""
    import psycopg

    parts = urlsplit(url)
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")
        conn.execute(f"CREATE DATABASE {BENCH_DB}")
    return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _drop_postgres(url: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    with psycopg.connect(urlunsplit(urlsplit(url)._replace(path="/postgres")), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {BENCH_DB}")


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[round(0.95 * (len(ordered) - 1))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--cohorts", type=int, default=10, help="per site")
    parser.add_argument("--dyads", type=int, default=12, help="per cohort")
    parser.add_argument("--requests", type=int, default=30, help="per page and role")
    parser.add_argument("--explain", action="store_true", help="print the plan of each page's slowest query")
    args = parser.parse_args()
    server_url = os.environ.get("NURTURE_DATABASE_URL", "")
    if server_url.startswith("postgres"):
        os.environ["NURTURE_DATABASE_URL"] = _postgres(server_url)
        engine = "PostgreSQL"
    else:
        os.environ.pop("NURTURE_DATABASE_URL", None)
        engine = "SQLite"
    var = tempfile.mkdtemp(prefix="nurture-staff-")
    os.environ["NURTURE_VAR_DIR"] = var
    os.environ["DJANGO_SETTINGS_MODULE"] = "nurture.settings"
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    import django

    django.setup()
    try:
        run(args, engine)
    finally:
        if engine == "PostgreSQL":
            _drop_postgres(server_url)
        from django.db import connections

        connections.close_all()
        shutil.rmtree(var, ignore_errors=True)


def run(args, engine: str) -> None:
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone
    from tests import factories as f
    from tests import scale

    from nurture.accounts.enums import Role
    from nurture.accounts.models import StaffProfile
    from nurture.capture.models import Assessment
    from nurture.participants.models import Dyad
    from nurture.program.enums import CohortStatus
    from nurture.program.models import Attendance, Session
    from nurture.safety.models import Alert

    print(f"load before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  cores: {os.cpu_count()}  "
          f"database: {engine} {connection.Database.sqlite_version if engine == 'SQLite' else ''}".rstrip())
    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    today = timezone.localdate()
    study = f.make_study()

    def progress(site):
        n = int(site.code[1:])
        if n % 10 == 0 or n == args.sites:
            print(f"  built {n} of {args.sites} sites ({time.perf_counter() - start:.0f} s)", flush=True)

    built = scale.build(study, sites=args.sites, cohorts=args.cohorts, dyads=args.dyads, today=today,
                        progress=progress)
    if engine == "PostgreSQL":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    build_s = time.perf_counter() - start
    print(f"built in {build_s:.0f} s: {len(built.sites)} sites, {len(built.cohorts)} cohorts, "
          f"{Dyad.objects.count()} dyads, {Session.objects.count()} sessions, {Attendance.objects.count()} "
          f"attendance marks, {Assessment.objects.count()} assessments, {Alert.objects.count()} alerts "
          f"({Alert.objects.unresolved().count()} unresolved)")

    admin = f.make_user(Role.ADMINISTRATOR, None, "bench-admin")
    site = built.sites[0]
    coordinator = StaffProfile.objects.get(site=site, role=Role.COORDINATOR).user
    facilitator = StaffProfile.objects.get(site=site, role=Role.FACILITATOR).user
    cohort = next(c for c in built.cohorts if c.site_id == site.pk and c.status == CohortStatus.IN_PROGRESS)
    yardstick = Client()
    yardstick.get("/login/")
    light: list[float] = []
    rows = []
    for label, user in (("administrator", admin), ("coordinator", coordinator), ("facilitator", facilitator)):
        client = Client()
        client.force_login(user)
        from nurture.accounts import scoping

        n_pages = max(1, (scoping.visible_dyads(user).count() + 24) // 25)
        pages = [("dashboard", "/"), ("participants p1", "/participants/"),
                 (f"participants p{(n_pages + 1) // 2}", f"/participants/?page={(n_pages + 1) // 2}"),
                 ("week page", f"/cohorts/{cohort.pk}/week/1/"),
                 ("alerts", "/alerts/"), ("alerts, all", "/alerts/?view=all"), ("cohorts", "/cohorts/")]
        for name, path in pages:
            response = client.get(path)  # warm: the first request of a page compiles its templates
            assert response.status_code == 200, (path, response.status_code)
            with _Queries(connection) as captured:
                client.get(path)
            times = []
            for _ in range(args.requests):
                t0 = time.perf_counter()
                response = client.get(path)
                times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                yardstick.get("/login/")
                light.append(time.perf_counter() - t0)
            rows.append((label, name, statistics.median(times), _p95(times), len(captured), captured.seconds,
                         len(response.content)))
            if args.explain:
                _explain(connection, captured)
    light_ms = 1000 * statistics.median(light)
    print(f"\n{'role':<14} {'page':<18} {'median ms':>9} {'p95 ms':>7} {'queries':>7} {'SQL ms':>6} {'KB':>4} "
          f"{'× yardstick':>11}")
    for label, name, median, p95, queries, sql_s, size in rows:
        print(f"{label:<14} {name:<18} {1000 * median:9.1f} {1000 * p95:7.1f} {queries:7d} {1000 * sql_s:6.1f} "
              f"{size / 1024:4.0f} {1000 * median / light_ms:11.1f}")
    worst = max(rows, key=lambda r: r[3])
    print(f"\nyardstick GET /login/: median {light_ms:.1f} ms   slowest p95: {1000 * worst[3]:.1f} ms "
          f"({worst[0]}, {worst[1]}; goal ≤ 100 ms)")
    print(f"load after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


class _Queries:
    """The queries of one request, with their times. (Django's ``CaptureQueriesContext``
    loses them: outside tests a request closes its connection when it ends.)"""

    def __init__(self, connection):
        self.connection, self.queries = connection, []

    def __call__(self, execute, sql, params, many, context):
        t0 = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries.append((time.perf_counter() - t0, sql, params))

    def __enter__(self):
        self._wrapping = self.connection.execute_wrapper(self)
        self._wrapping.__enter__()
        return self

    def __exit__(self, *exc):
        self._wrapping.__exit__(*exc)

    def __len__(self) -> int:
        return len(self.queries)

    @property
    def seconds(self) -> float:
        return sum(q[0] for q in self.queries)


def _explain(connection, captured: _Queries) -> None:
    """The query plan of the slowest query of one request."""
    seconds, sql, params = max(captured.queries, key=lambda q: q[0])
    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN ANALYZE "
    with connection.cursor() as cursor:
        cursor.execute(prefix + sql, params)
        plan = "\n    ".join(" ".join(str(c) for c in row) for row in cursor.fetchall())
    print(f"  slowest query ({1000 * seconds:.1f} ms): {sql[:400]}\n    {plan}")


if __name__ == "__main__":
    main()
