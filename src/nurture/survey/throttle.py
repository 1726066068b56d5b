"""Rate limits on survey links, counted by the real client (``common.proxy``) and by link.

* Guessing: an address (an IPv6 /64 counts as one) that tried ``GUESS_LIMIT`` unknown
  links within ``WINDOW_SECONDS`` gets 429 on every link page until the window ends.
  Behind a trusted proxy this is the mother's own address, never the proxy's, so one
  person's typos or guesses block nobody else.
* Per link: one link answers at most ``LINK_LIMIT`` requests within the window (saving
  each answer as it is chosen is one request; a long questionnaire needs about a hundred),
  so a leaked or scripted link cannot flood the answers and the alerts they raise.

Counters live in Django's cache. The first block of an address is audited.
"""

from __future__ import annotations

import hashlib

from django.core.cache import cache

from nurture.common.proxy import client_key

GUESS_LIMIT = 20
LINK_LIMIT = 600
WINDOW_SECONDS = 600


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
    if cache.get(_address_key(request), 0) >= GUESS_LIMIT:
        return True
    return bool(token) and _count(_link_key(token)) > LINK_LIMIT


def record_failure(request) -> None:
    if _count(_address_key(request)) == GUESS_LIMIT:
        from nurture.accounts import audit
        from nurture.accounts.enums import AuditAction

        audit.record(None, AuditAction.REFUSED, object_type="capture.SurveyLink",
                     summary=f"Survey links blocked for {client_key(request)} after {GUESS_LIMIT} unknown links "
                             f"in {WINDOW_SECONDS // 60} minutes")
