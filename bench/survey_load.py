"""Benchmark: N participants complete the whole battery at once against `nurture serve`.

    .venv/bin/python bench/survey_load.py [--participants 50] [--threads 8]

Sets up a throwaway SQLite database with the demo study, issues a survey link per
participant, starts `nurture serve` on loopback, then runs one client thread per
participant: open the link, answer every page (GET + POST each), review, submit. It
reports p50 / p95 / max latency per request and throughput, then checks the database:
every submission the server acknowledged must be completed with all its answers
(lost = 0). Target on 2 cores with SQLite: p95 under 100 ms, nothing lost.
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
RADIO = re.compile(r'name="(item-[^"]+)" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Participant:
    def __init__(self, port: int, path: str, latencies: list, lock: threading.Lock, think: float = 0.0,
                 seed: int = 0):
        import random

        self.think, self.rng = think, random.Random(seed)
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        self.path, self.latencies, self.lock = path, latencies, lock
        self.cookies: dict[str, str] = {}
        self.acknowledged = False

    def request(self, method: str, path: str, body: dict | None = None) -> tuple[int, str, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body, doseq=True)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": f"http://{self.conn.host}:{self.conn.port}"}
        start = time.perf_counter()
        self.conn.request(method, path, body=data, headers=headers)
        response = self.conn.getresponse()
        text = response.read().decode("utf-8", "replace")
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
            token = CSRF.search(html).group(1)
            if self.think:
                time.sleep(self.rng.uniform(0.5, 1.5) * self.think)
            status, location, _ = self.request("POST", path, answers | {"csrfmiddlewaretoken": token, "next": "1"})
            if status != 302:
                raise RuntimeError(f"page {path} answered {status}")
            if location.endswith("/review/"):
                break
            path = location.split("?")[0] if "/support/" not in location else \
                urllib.parse.parse_qs(urllib.parse.urlparse(location).query)["next"][0]
        status, _, html = self.request("GET", self.path + "review/")
        token = CSRF.search(html).group(1)
        status, location, _ = self.request("POST", self.path + "review/", {"csrfmiddlewaretoken": token})
        self.acknowledged = status == 302 and location.endswith("/done/")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--participants", type=int, default=50)
    parser.add_argument("--threads", type=int, default=8, help="waitress worker threads")
    parser.add_argument("--think", type=float, default=2.0,
                        help="mean seconds a mother spends on a page before sending it (0 = hammer the server)")
    args = parser.parse_args()
    var = Path(tempfile.mkdtemp(prefix="nurture-load-"))
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env["NURTURE_VAR_DIR"] = str(var)
    nurture = [sys.executable, "-m", "nurture.cli"]
    subprocess.run(nurture + ["init"], env=env, check=True, capture_output=True)
    setup = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nurture.settings'; django.setup()\n"
        "from nurture.capture import domain as c; from nurture.capture.enums import Timepoint\n"
        "from nurture.participants.models import Dyad\n"
        "from nurture.participants import domain as p\n"
        "d = Dyad.objects.exclude(cohort=None).first()\n"
        f"for i in range({args.participants}):\n"
        "    x = p.refer_dyad(None, study=d.study, site=d.site, referred_on=d.referred_on, mother_first_name='Load',"
        " mother_last_name=str(i), mother=d.mother)\n"
        "    a = c.schedule_assessment(None, x, Timepoint.SCREENING)\n"
        "    from nurture.capture.models import Assessment\n"
        "    Assessment.objects.filter(pk=a.pk).update(instruments=['epds','gad7','pss','kpcs','rses','pbq','ibqr_vsf','feedback'])\n"
        "    print(a.pk, c.issue_link(None, a)[1])\n"
    )
    out = subprocess.run([sys.executable, "-c", setup], env=env, check=True, capture_output=True, text=True).stdout
    links = [line.split() for line in out.strip().splitlines()]
    port = free_port()
    server = subprocess.Popen(nurture + ["serve", "--port", str(port), "--threads", str(args.threads)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        latencies: list[float] = []
        lock = threading.Lock()
        people = [Participant(port, f"/s/{token}/", latencies, lock, args.think, seed=i)
                  for i, (_, token) in enumerate(links)]
        errors = []

        def run(p):
            try:
                p.run()
            except Exception as exc:  # report, do not hide
                errors.append(repr(exc))

        threads = [threading.Thread(target=run, args=(p,)) for p in people]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - start
    finally:
        server.terminate()
        server.wait(timeout=10)
    check = (
        "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nurture.settings'; django.setup()\n"
        "from nurture.capture.models import Assessment\n"
        f"ids = {[int(pk) for pk, _ in links]}\n"
        "done = Assessment.objects.filter(pk__in=ids, status='completed')\n"
        "print(done.count(), sum(a.responses.count() > 100 for a in done))\n"
    )
    completed, with_answers = map(int, subprocess.run([sys.executable, "-c", check], env=env, check=True,
                                                      capture_output=True, text=True).stdout.split())
    acknowledged = sum(p.acknowledged for p in people)
    ordered = sorted(latencies)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    print(f"participants: {len(people)}  think time per page: {args.think:g}s ± 50%  requests: {len(latencies)}  "
          f"wall: {wall:.1f}s  "
          f"throughput: {len(latencies) / wall:.0f} req/s")
    print(f"latency p50 {1000 * statistics.median(ordered):.0f} ms  p95 {1000 * p95:.0f} ms  "
          f"max {1000 * ordered[-1]:.0f} ms")
    print(f"acknowledged submissions: {acknowledged}  completed in database: {completed}  "
          f"with every answer: {with_answers}  lost: {acknowledged - with_answers}  client errors: {len(errors)}")
    for e in errors[:5]:
        print("  ", e)


if __name__ == "__main__":
    main()
