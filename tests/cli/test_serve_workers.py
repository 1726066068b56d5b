"""`nurture serve` with several worker processes: the background jobs run in exactly one of
them, another takes over when that one dies, and a message queued by any process goes out
at once (not at the next timed pass). A real gunicorn on loopback, real processes."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.skipif(os.name != "posix", reason="worker processes come from gunicorn, which runs only on POSIX; elsewhere nurture serve uses waitress in one process, which the browser tests cover")]

NURTURE = [sys.executable, "-m", "nurture.cli"]
ELECTED = re.compile(r"Background jobs \(alert messages, escalation\) run in worker (\d+)")
BOOTED = re.compile(r"Booting worker with pid: (\d+)")


def environment(var_dir):
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return env | {"NURTURE_VAR_DIR": str(var_dir)}


class Output:
    """Collects a process's output lines in the background, so its pipe never fills."""

    def __init__(self, proc):
        self.lines: list[str] = []
        threading.Thread(target=self._read, args=(proc,), daemon=True).start()

    def _read(self, proc):
        for line in iter(proc.stdout.readline, b""):
            self.lines.append(line.decode(errors="replace"))

    def wait_for(self, pattern, count, timeout=30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = [m.group(1) for line in list(self.lines) for m in [pattern.search(line)] if m]
            if len(found) >= count:
                return found
            time.sleep(0.1)
        raise AssertionError(f"{pattern.pattern!r} seen fewer than {count} times:\n" + "".join(self.lines[-40:]))


def queue_and_wait(env, timeout):
    """Queue one message from another process and return seconds until the server sent it."""
    script = (
        "import django, os, time; os.environ['DJANGO_SETTINGS_MODULE']='nurture.settings'; django.setup()\n"
        "from django.db import transaction\n"
        "from nurture.notifications.domain import enqueue\n"
        "from nurture.notifications.enums import Channel\n"
        "from nurture.notifications.models import Notification\n"
        "with transaction.atomic():\n"
        "    note = enqueue(kind='test', channel=Channel.EMAIL, to='oncall@example.org', subject='s', body='b')\n"
        "start = time.monotonic()\n"
        f"while time.monotonic() - start < {timeout}:\n"
        "    note.refresh_from_db()\n"
        "    if note.status == 'sent':\n"
        "        break\n"
        "    time.sleep(0.05)\n"
        "print(note.status, time.monotonic() - start)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                         timeout=120).stdout.split()
    return out[0], float(out[1])


def test_the_jobs_run_in_one_worker_which_is_replaced_when_it_dies(tmp_path):
    env = environment(tmp_path)
    subprocess.run(NURTURE + ["init", "--no-demo"], env=env, check=True, capture_output=True, timeout=300)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # a timed pass every 5 minutes: only the wake-up call can explain a message sent within seconds
    proc = subprocess.Popen(NURTURE + ["serve", "--port", str(port), "--workers", "3", "--deliver-every", "300",
                                       "--escalate-every", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = Output(proc)
    try:
        workers = output.wait_for(BOOTED, 3)
        [first] = output.wait_for(ELECTED, 1)
        assert first in workers
        time.sleep(2)  # the other workers keep trying the lock; none of them may run the loop too
        assert len(output.wait_for(ELECTED, 1)) == 1
        assert (tmp_path / "jobs.lock").read_text().strip() == first

        status, seconds = queue_and_wait(env, timeout=20)
        assert status == "sent" and seconds < 5, (status, seconds)

        os.kill(int(first), signal.SIGKILL)  # the worker running the jobs dies
        elected = output.wait_for(ELECTED, 2, timeout=30)
        assert len(elected) == 2 and elected[1] != first
        time.sleep(2)
        assert len(output.wait_for(ELECTED, 2)) == 2  # one successor, not one per surviving worker

        status, seconds = queue_and_wait(env, timeout=20)
        assert status == "sent" and seconds < 5, (status, seconds)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def start_server(tmp_path, *options):
    """A fresh database and `nurture serve` on a free loopback port: (env, port, process, output)."""
    env = environment(tmp_path)
    subprocess.run(NURTURE + ["init", "--no-demo"], env=env, check=True, capture_output=True, timeout=300)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(NURTURE + ["serve", "--port", str(port), *options], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    return env, port, proc, Output(proc)


def test_the_guessing_limit_holds_across_worker_processes(tmp_path):
    """The workers share one count of an address's unknown links: together they let it try
    no more than the limit, however its connections spread over them."""
    import http.client

    from nurture.survey.throttle import GUESS_LIMIT

    env, port, proc, output = start_server(tmp_path, "--workers", "3", "--no-jobs")
    try:
        output.wait_for(BOOTED, 3)
        statuses = []
        for i in range(4 * GUESS_LIMIT):  # a new connection each time, so the workers share them
            deadline = time.monotonic() + 30
            while True:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                try:
                    conn.request("GET", f"/s/guess-{i}/")
                    statuses.append(conn.getresponse().status)
                    break
                except ConnectionRefusedError:
                    assert time.monotonic() < deadline, "the server did not answer"
                    time.sleep(0.2)
                finally:
                    conn.close()
        assert set(statuses) == {404, 429}
        assert statuses.count(404) == GUESS_LIMIT, statuses
        assert statuses[-GUESS_LIMIT:] == [429] * GUESS_LIMIT  # every worker has blocked the address
        audited = subprocess.run([sys.executable, "-c", (
            "import django, os; os.environ['DJANGO_SETTINGS_MODULE']='nurture.settings'; django.setup()\n"
            "from nurture.accounts.models import AuditEvent\n"
            "print(AuditEvent.objects.filter(summary__startswith='Survey links blocked').count())")],
            env=env, capture_output=True, text=True, check=True, timeout=120).stdout.strip()
        assert audited == "1"  # one block, seen by every worker, audited once
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def established(pid: int, port: int) -> int:
    """Connections to ``port`` a process holds open (Linux: its socket descriptors matched
    against /proc/net/tcp)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] == "01":  # 01: ESTABLISHED
                    inodes.add(fields[9])
    mine = 0
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        mine += target.startswith("socket:[") and target[8:-1] in inodes
    return mine


def wait_until_listening(port: int) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=5).close()
            return
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "the server did not answer"
            time.sleep(0.2)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="only Linux shares new connections out among "
                    "the workers' own sockets (SO_REUSEPORT), and only there does nurture serve use them; elsewhere "
                    "the workers share one socket, as gunicorn's do by default")
def test_a_crowds_phones_are_shared_among_the_workers(tmp_path):
    """A phone keeps its connection from page to page, so a crowd's connections must be
    shared out as they open: before, one worker could be left with nearly all of them while
    the other core sat idle."""
    import http.client

    env, port, proc, output = start_server(tmp_path, "--workers", "2", "--no-jobs")
    phones: list = []
    try:
        workers = [int(pid) for pid in output.wait_for(BOOTED, 2)]
        wait_until_listening(port)
        time.sleep(1)  # both workers listening
        arrive = threading.Barrier(40)

        def phone():  # the crowd arrives together, as a room of mothers opens their links
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            arrive.wait()
            conn.request("GET", "/login/")
            response = conn.getresponse()
            response.read()
            phones.append((conn, response.status))  # kept open, as a phone keeps it between pages

        crowd = [threading.Thread(target=phone) for _ in range(40)]
        for t in crowd:
            t.start()
        for t in crowd:
            t.join(timeout=60)
        assert [status for _, status in phones] == [200] * 40
        held = [established(pid, port) for pid in workers]
        assert sum(held) == 40, held
        assert min(held) >= 6, held  # shared out (fewer than 6 of 40 by chance: about once in 700,000)
    finally:
        for conn, _ in phones:
            conn.close()
        proc.terminate()
        proc.wait(timeout=30)


def test_a_second_server_on_the_same_port_is_refused_in_one_line(tmp_path):
    """Another server on the port (here a second `nurture serve`, whose workers could
    otherwise share it and take part of the mothers) is refused before anything starts."""
    import http.client

    env, port, proc, output = start_server(tmp_path, "--workers", "2", "--no-jobs")
    try:
        output.wait_for(BOOTED, 2)
        wait_until_listening(port)
        second = subprocess.run(NURTURE + ["serve", "--port", str(port), "--no-jobs"], env=env,
                                capture_output=True, text=True, timeout=120)
        assert second.returncode == 2
        assert second.stderr.strip() == (f"nurture: error: cannot listen on 127.0.0.1:{port}: Address already in use "
                                         "(is another server running there?)")
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/login/")
        assert conn.getresponse().status == 200  # the first server goes on
        conn.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
