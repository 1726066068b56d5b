"""Background work has one home: the scheduler loop.

``nurture serve`` runs :func:`run` in a thread, so a lone server delivers alert
messages within seconds and escalates on time. Sites that prefer cron or systemd
timers run the same functions through ``nurture send-notifications`` and
``nurture escalate-alerts``; both can run beside the loop (messages are claimed with a
lease, escalation takes row locks), so nothing is sent twice.
"""

from __future__ import annotations

import logging
import threading
import time

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
