"""Queue and deliver notifications (the outbox).

:func:`enqueue` is called inside the transaction of the event it reports, so a
message exists exactly when its alert or escalation was committed. :func:`deliver_due`
sends what is due, outside any request — from the scheduler loop of ``nurture serve``
and from ``nurture send-notifications`` — claiming each row with a short lease so two
senders never send the same message, and retrying failures with exponential back-off.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Case, Q, When
from django.utils import timezone

from nurture.common.wakeup import Wakeup

from . import sms
from .enums import Channel, NotificationStatus
from .models import Notification

log = logging.getLogger(__name__)

#: After this many failed attempts (about 4 hours of retrying) a message is given up;
#: the alert it belongs to keeps escalating to other people regardless.
MAX_ATTEMPTS = 12
LEASE = dt.timedelta(minutes=2)
FIRST_RETRY_SECONDS = 30
LONGEST_WAIT_SECONDS = 30 * 60

#: Set after a commit that queued messages, so the running scheduler loop sends them at
#: once — in this process or in the one server process that runs the background jobs.
wakeup = Wakeup()


def retry_delay(attempts: int) -> dt.timedelta:
    """30 s, 1 min, 2 min, … doubling up to 30 minutes between attempts."""
    return dt.timedelta(seconds=min(FIRST_RETRY_SECONDS * 2 ** max(attempts - 1, 0), LONGEST_WAIT_SECONDS))


def enqueue(*, kind: str, channel: Channel, to: str, body: str, subject: str = "", alert=None,
            now: dt.datetime | None = None) -> Notification:
    """Queue one message. Side effects: a Notification row; after commit, wakes the sender."""
    now = now or timezone.now()
    note = Notification.objects.create(alert=alert, kind=kind, channel=channel, to=to, subject=subject[:200],
                                       body=body, created_at=now, next_attempt_at=now)
    transaction.on_commit(wakeup.set)
    return note


@dataclass
class DeliveryReport:
    sent: list[Notification] = field(default_factory=list)
    failed: list[Notification] = field(default_factory=list)  # failed this time (retrying or given up)

    @property
    def attempted(self) -> int:
        return len(self.sent) + len(self.failed)


def _send(note: Notification) -> None:
    if note.channel == Channel.EMAIL:
        from django.core.mail import EmailMessage, get_connection

        connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
        EmailMessage(note.subject, note.body, settings.DEFAULT_FROM_EMAIL, [note.to], connection=connection).send()
    elif note.channel == Channel.SMS:
        sms.backend().send(note.to, note.body)
    else:
        raise ValueError(f"unknown channel {note.channel!r}")


def _claimable(now):
    return Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)


#: One delivery pass stops taking new messages after this long, so a mail server that
#: hangs cannot hold up escalation checks or the next pass.
PASS_SECONDS = 45


def deliver_due(now: dt.datetime | None = None, limit: int = 200, budget: float = PASS_SECONDS) -> DeliveryReport:
    """Send every waiting message whose time has come. Side effects: email / SMS sent,
    Notification rows updated (status, attempts, last error, next attempt).

    Order: messages never tried before first (a new alert is not queued behind retries
    of an old one), text messages before email. After a channel fails once in a pass,
    the rest of that channel waits for the next pass instead of each hanging in turn.
    ``now`` fixes the clock (tests); otherwise each claim reads the real time, so a slow
    pass never hands out leases that have already run out.
    """
    report = DeliveryReport()
    clock = (lambda: now) if now is not None else timezone.now
    started = time.monotonic()
    broken: set[str] = set()
    start = clock()
    due = (Notification.objects.waiting().filter(next_attempt_at__lte=start).filter(_claimable(start))
           .annotate(fresh=Case(When(attempts=0, then=0), default=1),
                     text_first=Case(When(channel=Channel.SMS, then=0), default=1))
           .order_by("fresh", "text_first", "next_attempt_at", "pk").values_list("pk", "channel")[:limit])
    for pk, channel in list(due):
        if channel in broken or time.monotonic() - started > budget:
            continue
        moment = clock()
        claimed = (Notification.objects.waiting().filter(pk=pk).filter(_claimable(moment))
                   .update(claimed_until=moment + LEASE))
        if not claimed:
            continue  # another sender took it
        note = Notification.objects.get(pk=pk)
        attempts = note.attempts + 1
        try:
            _send(note)
        except Exception as exc:  # any failure of a provider is recorded and retried, never raised
            moment = clock()
            error = f"{type(exc).__name__}: {exc}"[:500]
            gave_up = attempts >= MAX_ATTEMPTS or getattr(exc, "permanent", False)
            Notification.objects.filter(pk=pk).update(
                attempts=attempts, last_error=error, claimed_until=None,
                status=NotificationStatus.FAILED if gave_up else NotificationStatus.RETRYING,
                next_attempt_at=moment + retry_delay(attempts))
            log.warning("Notification %s to %s failed (attempt %s): %s", pk, note.to, attempts, error)
            note.refresh_from_db()
            report.failed.append(note)
            broken.add(channel)
        else:
            Notification.objects.filter(pk=pk).update(attempts=attempts, status=NotificationStatus.SENT,
                                                      sent_at=clock(), claimed_until=None)
            report.sent.append(note)
    return report


def retry_now(notes, now: dt.datetime | None = None) -> int:
    """Put failed or waiting messages back at the front of the queue (admin action)."""
    now = now or timezone.now()
    count = notes.exclude(status=NotificationStatus.SENT).update(status=NotificationStatus.RETRYING,
                                                                  next_attempt_at=now, claimed_until=None)
    transaction.on_commit(wakeup.set)
    return count
