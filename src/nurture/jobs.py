"""Background work has one home: the scheduler loop.

``nurture serve`` runs :func:`run` in a thread of exactly one process, so the server
delivers alert messages within seconds and escalates on time. Its worker processes
each call :func:`start_elected`: the one holding the lock file ``var/jobs.lock`` runs
the loop, the others wait to take over should that worker die or be restarted (the
kernel releases the lock with the process), so the loop runs once — never once per
worker, never not at all. The elected process listens for other workers' wake-up calls
(:mod:`nurture.common.wakeup`), so a message queued anywhere goes out at once. Sites that prefer cron or systemd
timers run the same functions through ``nurture send-notifications`` and
``nurture escalate-alerts``; both can run beside the loop (messages are claimed with a
lease, escalation takes row locks), so nothing is sent twice.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger("nurture.jobs")


def run_once(*, escalate: bool = True) -> None:
    """One pass: escalation (when due), then delivery. A failure of one never skips the other."""
    from nurture.notifications.domain import deliver_due
    from nurture.safety.domain import escalate_alerts

    if escalate:
        try:
            escalate_alerts()
        except Exception:
            log.exception("Alert escalation failed; retrying at the next pass")
    try:
        deliver_due()
    except Exception:
        log.exception("Message delivery failed; retrying at the next pass")


def run(stop: threading.Event, *, deliver_every: float = 10, escalate_every: float = 60) -> None:
    """Deliver queued messages every ``deliver_every`` seconds — at once when a commit
    queued some — and check escalation every ``escalate_every`` seconds, until ``stop``."""
    from django.db import close_old_connections

    from nurture.notifications.domain import wakeup

    last_escalation = float("-inf")
    while not stop.is_set():
        wakeup.clear()
        due = time.monotonic() - last_escalation >= escalate_every > 0
        try:
            run_once(escalate=due)
        except Exception:  # keep the loop alive; the next pass retries
            log.exception("Background jobs failed; retrying at the next pass")
        finally:
            close_old_connections()
        if due:
            last_escalation = time.monotonic()
        wakeup.wait(timeout=deliver_every)


def start(*, deliver_every: float = 10, escalate_every: float = 60) -> threading.Event:
    """Run the loop in a daemon thread; set the returned event to stop it."""
    stop = threading.Event()
    threading.Thread(target=run, args=(stop,), kwargs={"deliver_every": deliver_every,
                                                       "escalate_every": escalate_every},
                     name="nurture-jobs", daemon=True).start()
    return stop


def start_elected(lock_path: Path, *, deliver_every: float = 10, escalate_every: float = 60,
                  retry_every: float = 1.0, on_elected: Callable[[], None] | None = None) -> threading.Event:
    """Run the loop in this process while it holds ``lock_path``; until then, try every ``retry_every`` s.

    Side effects: creates the lock file, a daemon thread; once elected, listens for other
    processes' wake-up calls and calls ``on_elected`` (to log which process runs the jobs).
    Set the returned event to stop trying (or stop the loop).
    """
    import fcntl

    from nurture.notifications.domain import wakeup

    stop = threading.Event()

    def elect() -> None:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            while not stop.is_set():
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:  # another process runs the loop
                    stop.wait(retry_every)
                    continue
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
                wakeup.listen()
                if on_elected is not None:
                    on_elected()
                run(stop, deliver_every=deliver_every, escalate_every=escalate_every)
        finally:
            os.close(fd)  # releases the lock

    threading.Thread(target=elect, name="nurture-jobs-election", daemon=True).start()
    return stop
