"""Benchmark: N mothers complete the whole battery at once against `nurture serve`.

    .venv/bin/python bench/survey_load.py [--participants 50,200] [--think 0] [--servers gunicorn,waitress]

Sets up a throwaway SQLite database with the demo study (`nurture init`, once), then for
each server and each crowd size: issues a survey link per mother, starts `nurture serve`
on loopback exactly as a user does, and runs one client per mother, each on its own
keep-alive connection: open the link, answer every page (GET + POST each), review,
submit. With `--think 0` nobody pauses (the worst case). With think time, the server
closes a connection left idle longer than its keep-alive time; a client then sends its
request again on a new connection, as browsers do, and the wait counts from the first
attempt. It reports throughput, p50 /
p95 / max latency per request, the mothers who never got through (any request refused,
failed or timed out, or the submission not acknowledged), then checks the database:
every acknowledged submission must be completed with every answer (lost = 0).

The yardstick, measured in the same run with the same crowd: the same command with
`--server waitress` (one process, threads — how `nurture serve` ran before). The last
lines print the ratios. Goals on 2 cores with SQLite: 50 mothers ≥ 250 req/s with p95 ≤
200 ms; 200 mothers all complete with p95 ≤ 500 ms, nothing lost. The clients run on the
same machine as the server and take part of its cores.

The floor, measured in the same run after each crowd with no think time: as many clients,
each making as many requests as a mother made, every one `GET /login/` — the lightest page
the app serves — on the first server. It is what the server can do before any survey work:
a goal the floor misses cannot be met by making the survey cheaper.
"""

from __future__ import annotations

import argparse
import atexit
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from nurture.cli.serve import KEEPALIVE_SECONDS

PASS = re.compile(r'name="link_pass" value="([^"]+)"')  # a hidden field of every survey form
RADIO = re.compile(r'name="(item-[^"]+)" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Participant:
    def __init__(self, port: int, path: str, latencies: list, lock: threading.Lock, think: float = 0.0,
                 seed: int = 0, timeout: float = 30.0):
        import random

        self.think, self.rng = think, random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.path, self.latencies, self.lock = path, latencies, lock
        self.cookies: dict[str, str] = {}
        self.acknowledged = False
        self.reused = False  # the connection has carried a request and is kept alive
        self.answered_at = 0.0  # when its last answer arrived
        self.reconnects = 0

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{self.conn.host}:{self.conn.port}"}
        start = time.perf_counter()
        try:
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
            # (KEEPALIVE_SECONDS: how long `nurture serve` keeps an idle connection open)
            if not self.reused or start - self.answered_at < 0.9 * KEEPALIVE_SECONDS:
                raise  # not a connection the server closed for being idle: a failure, reported
            # The server closed this keep-alive connection, idle for longer than `nurture
            # serve` keeps one, before it read the request: as a browser does, send it once
            # more on a new connection. The wait counts from the first attempt.
            self.conn.close()
            self.reconnects += 1
            self.conn.request(method, path, body=data, headers=headers)
            response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
        self.reused, self.answered_at = not response.will_close, time.perf_counter()
        elapsed = time.perf_counter() - start
        with self.lock:
            self.latencies.append(elapsed)
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        return response.status, response.getheader("Location") or "", text

    def run(self) -> None:
        if self.think:  # mothers open their links over the first seconds, not in the same millisecond
            time.sleep(self.rng.uniform(0, 2 * self.think))
        status, _, html = self.request("GET", self.path)
        path = self.path + "p/1/"
        while True:
            status, _, html = self.request("GET", path)
            answers = {}
            for name, value in RADIO.findall(html):
                answers.setdefault(name, value)  # first option of every question
            token = PASS.search(html).group(1)
            if self.think:
                time.sleep(self.rng.uniform(0.5, 1.5) * self.think)
            status, location, _ = self.request("POST", path, answers | {"link_pass": token, "next": "1"})
            if status != 302:
                raise RuntimeError(f"page {path} answered {status}")
            if location.endswith("/review/"):
                break
            path = location.split("?")[0] if "/support/" not in location else \
                urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["next"][0]
        status, _, html = self.request("GET", self.path + "review/")
        token = PASS.search(html).group(1)
        status, location, _ = self.request("POST", self.path + "review/", {"link_pass": token})
        self.acknowledged = status == 302 and location.endswith("/done/")


class LightPage(Participant):
    """The floor's client: as many requests as a mother's whole battery, each `GET /login/`
    — the lightest page the app serves (no database: gunicorn, the middleware, a small
    template). No page of the survey can cost less."""

    requests = 19

    def run(self) -> None:
        for _ in range(self.requests):
            status, _, _ = self.request("GET", "/login/")
            if status != 200:
                raise RuntimeError(f"/login/ answered {status}")
        self.acknowledged = True


def _idle_seconds() -> float:
    """Seconds all cores have been idle since boot (Linux /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    return (int(fields[3]) + int(fields[4])) / os.sysconf("SC_CLK_TCK")


def _tree_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a process and its children (gunicorn's workers)."""
    tick, total = os.sysconf("SC_CLK_TCK"), 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(stat.parent.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def django_script(env: dict, code: str) -> str:
    prelude = "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nurture.settings'; django.setup()\n"
    return subprocess.run([sys.executable, "-c", prelude + code], env=env, check=True, capture_output=True,
                          text=True).stdout


def issue_links(env: dict, count: int) -> list[tuple[int, str]]:
    out = django_script(env, (
        "from nurture.capture import domain as c; from nurture.capture.enums import Timepoint\n"
        "from nurture.capture.models import Assessment\n"
        "from nurture.participants.models import Dyad\n"
        "from nurture.participants import domain as p\n"
        "d = Dyad.objects.exclude(cohort=None).first()\n"
        f"for i in range({count}):\n"
        "    x = p.refer_dyad(None, study=d.study, site=d.site, referred_on=d.referred_on, mother_first_name='Load',"
        " mother_last_name=str(i), mother=d.mother)\n"
        "    a = c.schedule_assessment(None, x, Timepoint.SCREENING)\n"
        "    Assessment.objects.filter(pk=a.pk).update(instruments=['epds','gad7','pss','kpcs','rses','pbq','ibqr_vsf',"
        "'feedback'])\n"
        "    print(a.pk, c.issue_link(None, a)[1])\n"
    ))
    return [(int(pk), token) for pk, token in (line.split() for line in out.strip().splitlines())]


def crowd(env: dict, server: str, count: int, args, *, floor_requests: int | None = None) -> dict:
    """One crowd of ``count`` mothers against a fresh `nurture serve --server SERVER`; with
    ``floor_requests``, as many clients each making that many `GET /login/` (the floor)."""
    links = [(0, "")] * count if floor_requests is not None else issue_links(env, count)
    port = free_port()
    command = [sys.executable, "-m", "nurture.cli", "serve", "--port", str(port), "--server", server,
               "--escalate-every", "0"]
    if args.threads:
        command += ["--threads", str(args.threads)]
    if args.workers and server == "gunicorn":
        command += ["--workers", str(args.workers)]
    server_proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(1)  # every worker booted
        server_before = _tree_cpu_seconds(server_proc.pid)
        latencies: list[float] = []
        lock = threading.Lock()
        if floor_requests is None:
            people = [Participant(port, f"/s/{token}/", latencies, lock, args.think, seed=i, timeout=args.timeout)
                      for i, (_, token) in enumerate(links)]
        else:
            people = [LightPage(port, "/login/", latencies, lock, seed=i, timeout=args.timeout)
                      for i in range(count)]
            for p in people:
                p.requests = floor_requests
        errors = []

        def run(p):
            try:
                p.run()
            except Exception as exc:  # report, do not hide
                errors.append(repr(exc))

        threads = [threading.Thread(target=run, args=(p,)) for p in people]
        idle_before, client_before = _idle_seconds(), time.process_time()
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
        idle = _idle_seconds() - idle_before
        client_cpu = time.process_time() - client_before
        server_cpu = _tree_cpu_seconds(server_proc.pid) - server_before
    finally:
        server_proc.terminate()
        server_proc.wait(timeout=60)
    if floor_requests is not None:  # nothing stored: every client that got all its pages through counts
        completed = with_answers = sum(p.acknowledged for p in people)
    else:
        completed, with_answers = map(int, django_script(env, (
            "from nurture.capture.models import Assessment\n"
            f"ids = {[pk for pk, _ in links]}\n"
            "done = Assessment.objects.filter(pk__in=ids, status='completed')\n"
            "print(done.count(), sum(a.responses.count() > 100 for a in done))\n"
        )).split())
    acknowledged = sum(p.acknowledged for p in people)
    reconnects = sum(p.reconnects for p in people)
    ordered = sorted(latencies)
    return {
        "server": server, "mothers": count, "requests": len(latencies), "wall": wall,
        "rps": len(latencies) / wall, "p50": statistics.median(ordered),
        "p95": ordered[int(0.95 * (len(ordered) - 1))], "max": ordered[-1],
        "never_through": count - acknowledged, "acknowledged": acknowledged, "completed": completed,
        "with_answers": with_answers, "lost": acknowledged - with_answers, "errors": errors, "reconnects": reconnects,
        "server_cpu_ms": 1000 * server_cpu / max(len(latencies), 1),
        "client_cpu_ms": 1000 * client_cpu / max(len(latencies), 1),
        "idle": idle / (wall * (os.cpu_count() or 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", default="50,200", help="crowd sizes, comma-separated")
    parser.add_argument("--servers", default="gunicorn,waitress",
                        help="`nurture serve --server` values; the last is the yardstick")
    parser.add_argument("--threads", type=int, default=0, help="--threads for nurture serve (0 = its default)")
    parser.add_argument("--workers", type=int, default=0, help="--workers for nurture serve (0 = its default)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean seconds a mother spends on a page before sending it (0 = hammer the server)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds a client waits for one answer")
    parser.add_argument("--no-floor", dest="floor", action="store_false",
                        help="skip the floor (the same crowd, every request `GET /login/` on the first server)")
    args = parser.parse_args()
    sizes = [int(n) for n in args.participants.split(",")]
    servers = args.servers.split(",")
    var = Path(tempfile.mkdtemp(prefix="nurture-load-"))
    atexit.register(shutil.rmtree, var, ignore_errors=True)  # nothing left in the temporary folder
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["NURTURE_VAR_DIR"] = str(var)
    subprocess.run([sys.executable, "-m", "nurture.cli", "init"], env=env, check=True, capture_output=True)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} "
          f"cores: {os.cpu_count()}  think time per page: {args.think:g}s")
    results = {}
    for count in sizes:
        runs: list[tuple[str, int | None]] = [(server, None) for server in servers]
        for server, floor_requests in runs:
            floor = floor_requests is not None
            r = crowd(env, server, count, args, floor_requests=floor_requests)
            results[server, count, floor] = r
            if args.floor and not floor and server == servers[0] and not args.think:
                runs.append((server, max(1, round(r["requests"] / count))))  # the floor, after the mothers
            if floor:
                print(f"  /login/ {count:>4} clients: {r['requests']:>6} requests in {r['wall']:6.1f}s "
                      f"{r['rps']:6.0f} req/s  p50 {1000 * r['p50']:5.0f} ms  p95 {1000 * r['p95']:5.0f} ms  "
                      f"max {1000 * r['max']:6.0f} ms  clients that got every page: {r['acknowledged']}", flush=True)
                print(f"{'':>15} CPU per request: server {r['server_cpu_ms']:.1f} ms, clients {r['client_cpu_ms']:.1f} "
                      f"ms; cores idle {100 * r['idle']:.0f}% of the time", flush=True)
                for e in sorted(set(r["errors"]))[:3]:
                    print("     ", e)
                continue
            print(f"{server:>9} {count:>4} mothers: {r['requests']:>6} requests in {r['wall']:6.1f}s "
                  f"{r['rps']:6.0f} req/s  p50 {1000 * r['p50']:5.0f} ms  p95 {1000 * r['p95']:5.0f} ms  "
                  f"max {1000 * r['max']:6.0f} ms  never got through: {r['never_through']}  "
                  f"acknowledged: {r['acknowledged']}  complete in database: {r['with_answers']}  "
                  f"lost: {r['lost']}", flush=True)
            print(f"{'':>15} CPU per request: server {r['server_cpu_ms']:.1f} ms, clients {r['client_cpu_ms']:.1f} ms; "
                  f"cores idle {100 * r['idle']:.0f}% of the time; idle connections the server closed "
                  f"(the request sent again, as browsers do): {r['reconnects']}", flush=True)
            for e in sorted(set(r["errors"]))[:3]:
                print("     ", e)
    for count in sizes:
        floor = results.get((servers[0], count, True))
        if floor:
            print(f"floor at {count}: the same crowd, every request the lightest page (GET /login/) on {servers[0]}: "
                  f"{floor['rps']:.0f} req/s, p95 {1000 * floor['p95']:.0f} ms, server CPU "
                  f"{floor['server_cpu_ms']:.1f} ms per request — no survey page can be served faster")
    if len(servers) > 1:
        base = servers[-1]
        for count in sizes:
            for server in servers[:-1]:
                a, b = results[server, count, False], results[base, count, False]
                print(f"ratio {server}/{base} at {count} mothers: throughput ×{a['rps'] / b['rps']:.2f}  "
                      f"p95 ×{a['p95'] / b['p95']:.2f}")


if __name__ == "__main__":
    main()
