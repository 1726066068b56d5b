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
safety answer. Every page of a valid link adds the link's assessment to a *pass* in the
browser: one cookie for the survey pages (``/s/``), signed with the site's secret, listing
the latest ``PASS_ENTRIES`` assessments by a keyed hash (no token, no id) until their links
end. A blocked address is still served the links of the assessments its browser holds in
its pass (a re-issued link included); the per-link limit still holds. The pages' forms carry
the same pass in a hidden field, so a browser that keeps no cookie is not stopped mid-page
either. A request without a pass is refused before any look-up, and a guesser cannot make
a pass.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from contextlib import contextmanager

from django.conf import settings
from django.core import signing
from django.core.cache import cache, caches
from django.utils.crypto import salted_hmac

from nurture.common.proxy import client_key

GUESS_LIMIT = 20
LINK_LIMIT = 600
WINDOW_SECONDS = 600
SHARED = "throttle"  # the cache alias every server process shares
PASS_SALT = "nurture.survey.link-pass"
PASS_ENTRIES = 8  # assessments a browser's pass remembers (a shared tablet holds a bounded cookie)
PASS_PATH = "/s/"  # the survey pages, and nothing else
PASS_FIELD = "link_pass"  # the same pass, carried by the pages' forms

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


def address_blocked(request) -> bool:
    """This address asked for ``GUESS_LIMIT`` unknown links within the window."""
    return _guesses(_address_key(request), time.time())[0] >= GUESS_LIMIT


def link_flooded(token: str) -> bool:
    """This link was asked for more than ``LINK_LIMIT`` times within the window (counted here)."""
    return _count(_link_key(token)) > LINK_LIMIT


def _pass_cookie() -> str:
    # Over HTTPS the __Secure- prefix: a browser takes it only over HTTPS, with Secure set.
    return "__Secure-nurture_links" if settings.SITE_HTTPS else "nurture_links"


def _pass_key(assessment_id: int, secret: str | None = None) -> str:
    """An assessment's entry in the pass: keyed with the site's secret, so it names nothing
    and cannot be made for another assessment."""
    return salted_hmac(PASS_SALT, str(assessment_id), secret=secret).hexdigest()[:16]


def _entries(value: str | None) -> dict[str, int]:
    entries = {}
    for entry in (value or "").split(","):
        key, _, ends = entry.partition(":")
        if len(key) == 16 and ends.isdigit() and int(ends) > time.time():
            entries[key] = int(ends)
    return entries


def passes_by_cookie(request) -> dict[str, int]:
    """The pass in the browser's cookie, checked (see :func:`passes`)."""
    if _pass_cookie() not in request.COOKIES:
        return {}
    return _entries(request.get_signed_cookie(_pass_cookie(), default=None, salt=PASS_SALT))


def _form_signer() -> signing.Signer:
    return signing.Signer(salt=PASS_SALT + ".form")


def carried_pass(request) -> str | None:
    """The pass a browser without the cookie carries: the form's hidden field on a save, or
    the address it was sent on to after one (the crisis page, the next page, done)."""
    return (request.POST if request.method == "POST" else request.GET).get(PASS_FIELD) or None


def passes(request) -> dict[str, int]:
    """The pass the request carries, checked: {assessment key: end of the link (epoch
    seconds)}, ended entries left out. From the browser's cookie and from
    :func:`carried_pass` (a browser that keeps no cookie still carries the page's own)."""
    entries = passes_by_cookie(request)
    carried = carried_pass(request)
    if carried:
        try:
            entries |= _entries(_form_signer().unsign(carried))
        except signing.BadSignature:
            pass
    return entries


def has_pass(request, assessment_id: int) -> bool:
    """This browser was served a page of one of this assessment's links before (its entry
    made with the current secret key or one being retired)."""
    held = passes(request)
    return any(_pass_key(assessment_id, key) in held for key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS])


def form_pass(link) -> str:
    """The pass for the link's assessment, for the page's form: signed, opaque."""
    return _form_signer().sign(f"{_pass_key(link.assessment_id)}:{int(link.expires_at.timestamp())}")


def give_pass(response, request, link) -> None:
    """Put the link's assessment last in the browser's pass, until the link ends; the
    ``PASS_ENTRIES`` latest are kept. Nothing is sent when it is last already."""
    held = passes_by_cookie(request)
    key, ends = _pass_key(link.assessment_id), int(link.expires_at.timestamp())
    if list(held.items())[-1:] == [(key, ends)]:
        return
    mine = {_pass_key(link.assessment_id, old) for old in settings.SECRET_KEY_FALLBACKS} | {key}
    held = {k: e for k, e in held.items() if k not in mine}  # hers, made with a retired key, replaced
    held = dict(list(held.items())[-(PASS_ENTRIES - 1):]) | {key: ends}
    response.set_signed_cookie(_pass_cookie(), ",".join(f"{k}:{e}" for k, e in held.items()), salt=PASS_SALT,
                               max_age=max(1, int(max(held.values()) - time.time())), path=PASS_PATH,
                               secure=settings.SITE_HTTPS, httponly=True, samesite="Lax")


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
