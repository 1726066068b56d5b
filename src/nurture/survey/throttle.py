"""Rate limits on survey links, counted by the real client (``common.proxy``) and by link.

* Guessing: an address (an IPv6 /64 counts as one) that tried ``GUESS_LIMIT`` unknown
  links within ``WINDOW_SECONDS`` gets 429 on every link page until the window ends.
  Behind a trusted proxy this is the mother's own address, never the proxy's, so one
  person's typos or guesses block nobody else.
* Per link: one link answers at most ``LINK_LIMIT`` requests within the window (saving
  each answer as it is chosen is one request; a long questionnaire needs about a hundred),
  so a leaked or scripted link cannot flood the answers and the alerts they raise.

Counters live in Django's cache, which is each server process's own memory. Under
``nurture serve``'s worker processes the guessing limit is therefore shared out: each of
``PROCESSES`` processes blocks an address after ``GUESS_LIMIT // PROCESSES`` unknown links,
so all of them together let it try at most ``GUESS_LIMIT`` (one each when there are more
processes than that). The per-link limit stays whole in each process: a mother's phone
keeps one connection, served by one process, and her long questionnaire must never be cut
short; across processes a flooded link is slowed by at most ``PROCESSES`` times the limit.
The first block of an address (in a process) is audited.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from nurture.common.proxy import client_key

GUESS_LIMIT = 20
LINK_LIMIT = 600
WINDOW_SECONDS = 600
PROCESSES = 1  # server processes that count apart; `nurture serve` sets it before its workers fork


def share_among(processes: int) -> None:
    """The server runs ``processes`` worker processes, each with its own counters."""
    global PROCESSES
    PROCESSES = max(1, int(processes))


def guess_limit() -> int:
    """Unknown links one process lets an address try within the window."""
    return max(1, GUESS_LIMIT // PROCESSES)


def _address_key(request) -> str:
    return f"survey-bad-token:{client_key(request) or 'unknown'}"


def _link_key(token: str) -> str:
    return "survey-link:" + hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


def _count(key: str) -> int:
    if cache.add(key, 1, WINDOW_SECONDS):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return 1


def is_blocked(request, token: str = "") -> bool:
    """The address guessed too often, or this link was asked for too often (counted here)."""
    if cache.get(_address_key(request), 0) >= guess_limit():
        return True
    return bool(token) and _count(_link_key(token)) > LINK_LIMIT


def record_failure(request) -> None:
    if _count(_address_key(request)) == guess_limit():
        from nurture.accounts import audit
        from nurture.accounts.enums import AuditAction

        audit.record(None, AuditAction.REFUSED, object_type="capture.SurveyLink",
                     summary=f"Survey links blocked for {client_key(request)} after {guess_limit()} unknown links "
                             f"in {WINDOW_SECONDS // 60} minutes" + (f" (in one of {PROCESSES} server processes)"
                                                                     if PROCESSES > 1 else ""))
