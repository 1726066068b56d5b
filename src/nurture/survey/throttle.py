"""Rate limit for survey-token guessing: failed look-ups per client address."""

from django.core.cache import cache

LIMIT = 20
WINDOW_SECONDS = 600


def _key(request) -> str:
    return f"survey-bad-token:{request.META.get('REMOTE_ADDR', 'unknown')}"


def is_blocked(request) -> bool:
    return cache.get(_key(request), 0) >= LIMIT


def record_failure(request) -> None:
    key = _key(request)
    if cache.add(key, 1, WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, WINDOW_SECONDS)
