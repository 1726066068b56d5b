"""Rate limits on survey links, counted by the real client (``common.proxy``) and by link.

* Guessing: an address (an IPv6 /64 counts as one) that tried ``GUESS_LIMIT`` unknown
  links within ``WINDOW_SECONDS`` gets 429 on every link page until the window ends.
  Behind a trusted proxy this is the mother's own address, never the proxy's, so one
  person's typos or guesses block nobody else. These counts are shared by every server
  process (``nurture serve`` runs one per core): they live in the ``throttle`` cache, files
  under ``var/throttle``, and each is updated under a lock. They are written only when an
  unknown link is asked for; a mother's own requests only read them.
* Per link: one link answers at most ``LINK_LIMIT`` requests within the window (saving
  each answer as it is chosen is one request; a long questionnaire needs about a hundred),
  so a leaked or scripted link cannot flood the answers and the alerts they raise. This
  count is written on every request, so it stays in each process's memory (Django's
  default cache): across ``n`` processes a flooded link is held to ``n`` times the limit.

The first block of an address is audited.

A blocked address must not stop a mother who is already answering: a clinic's Wi-Fi or a
mobile carrier puts many phones behind one address, and the page she saves could hold a
safety answer. Every link page a browser is served leaves a *pass* for that link: a cookie
scoped to the link's path, signed with the site's secret and bound to the token's hash. A
request with the pass of its own link is not held by the address's block (the per-link limit
still holds). A guesser has no pass for a link it does not know, and cannot make one.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core.cache import cache, caches

from nurture.common.proxy import client_key

GUESS_LIMIT = 20
LINK_LIMIT = 600
WINDOW_SECONDS = 600
SHARED = "throttle"  # the cache alias every server process shares
PASS_SALT = "nurture.survey.link-pass"

_in_process = threading.Lock()
logger = logging.getLogger(__name__)


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


@contextmanager
def _exclusive():
    """One update of the shared counts at a time, across threads and server processes."""
    with _in_process:
        try:
            import fcntl
        except ImportError:  # no fcntl, no gunicorn: the server is one process (waitress)
            yield
            return
        with open(settings.VAR_DIR / "throttle.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            yield


def _guesses(key: str, now: float) -> tuple[int, float]:
    """(unknown links tried, end of the window) for an address; (0, now + window) when none."""
    try:
        entry = caches[SHARED].get(key)
    except OSError:  # an unreadable var folder: record_failure logs it
        entry = None
    if isinstance(entry, tuple) and len(entry) == 2 and entry[1] > now:
        return entry
    return 0, now + WINDOW_SECONDS


def is_blocked(request, token: str = "") -> bool:
    """The address guessed too often (unless the browser holds this link's pass), or this
    link was asked for too often (counted here)."""
    if _guesses(_address_key(request), time.time())[0] >= GUESS_LIMIT and not has_pass(request, token):
        return True
    return bool(token) and _count(_link_key(token)) > LINK_LIMIT


def _pass_cookie() -> str:
    # Over HTTPS the __Secure- prefix: a browser takes it only over HTTPS, with Secure set.
    return "__Secure-nurture_link" if settings.SITE_HTTPS else "nurture_link"


def _pass_value(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()[:32]


def has_pass(request, token: str) -> bool:
    """The browser was served a page of this link before (a valid pass for this very token)."""
    if not token or _pass_cookie() not in request.COOKIES:
        return False
    return request.get_signed_cookie(_pass_cookie(), default=None, salt=PASS_SALT) == _pass_value(token)


def give_pass(response, request, token: str, expires_at) -> None:
    """Leave this link's pass in the browser (once; it lasts as long as the link)."""
    if has_pass(request, token):
        return
    from django.urls import reverse
    from django.utils import timezone

    response.set_signed_cookie(_pass_cookie(), _pass_value(token), salt=PASS_SALT,
                               max_age=max(1, int((expires_at - timezone.now()).total_seconds())),
                               path=reverse("survey:start", args=[token]), secure=settings.SITE_HTTPS,
                               httponly=True, samesite="Lax")


def record_failure(request) -> None:
    """Count an unknown link asked for by this address (in every server process's view)."""
    key = _address_key(request)
    try:
        with _exclusive():
            now = time.time()
            count, ends = _guesses(key, now)
            count += 1
            caches[SHARED].set(key, (count, ends), timeout=max(1, math.ceil(ends - now)))
    except OSError as exc:  # the var folder is not writable: the page still answers, the log says why
        logger.warning("Survey-link guesses cannot be counted (%s); fix the permissions of %s", exc,
                       settings.VAR_DIR)
        return
    if count == GUESS_LIMIT:
        from nurture.accounts import audit
        from nurture.accounts.enums import AuditAction

        audit.record(None, AuditAction.REFUSED, object_type="capture.SurveyLink",
                     summary=f"Survey links blocked for {client_key(request)} after {GUESS_LIMIT} unknown links "
                             f"in {WINDOW_SECONDS // 60} minutes")
