"""``nurture check``: is this server configured to run a study safely?

Each check answers ok or a problem with what to do. Production problems that make the
server unsafe to start are refused earlier, in the settings; these are the ones a
server can run with but should not (no alert recipients, no recent backup).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

BACKUP_MAX_AGE_HOURS_DEFAULT = 26


@dataclass
class Result:
    name: str
    ok: bool
    detail: str


def run_checks(now: dt.datetime | None = None) -> list[Result]:
    now = now or dt.datetime.now(dt.UTC)
    return [_site_url(), _proxies(), _email(), _recipients(), _secret(), _deploy(), _backup(now)]


def _site_url() -> Result:
    if not settings.SITE_URL:
        return Result("site address", False, "NURTURE_SITE_URL is not set; links in messages will not work")
    if settings.PRODUCTION and not settings.SITE_HTTPS:
        return Result("site address", False, f"{settings.SITE_URL} is not https://")
    return Result("site address", True, settings.SITE_URL)


def _proxies() -> Result:
    if settings.TRUSTED_PROXIES:
        return Result("trusted proxies", True, ", ".join(str(n) for n in settings.TRUSTED_PROXIES))
    if settings.PRODUCTION:
        return Result("trusted proxies", False, "NURTURE_TRUSTED_PROXIES is empty: behind a reverse proxy every "
                                                "client looks like the proxy and HTTPS is not detected")
    return Result("trusted proxies", True, "none (clients connect directly)")


def _email() -> Result:
    backend = settings.EMAIL_BACKEND.rsplit(".", 2)[-2]
    if backend != "smtp":
        return Result("mail", not settings.PRODUCTION, f"{backend}: messages are not delivered")
    return Result("mail", True, f"smtp {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")


def _recipients() -> Result:
    from nurture.program.models import Site
    from nurture.safety.models import SiteSafety

    safety = {s.site_id: s for s in SiteSafety.objects.all()}
    missing = [site.name for site in Site.objects.order_by("name")
               if not (safety.get(site.pk) and (safety[site.pk].on_call_emails.strip()
                                                or safety[site.pk].on_call_phones.strip()))]
    if missing:
        return Result("alert recipients", False, f"no on-call email or phone for: {', '.join(missing)}")
    return Result("alert recipients", True, f"every site ({len(safety)}) has on-call recipients")


def _secret() -> Result:
    if len(settings.SECRET_KEY) < 50:
        return Result("secret key", False, "shorter than 50 characters")
    return Result("secret key", True, "set" if settings.PRODUCTION else "development key under the data folder")


def _deploy() -> Result:
    from django.core import checks

    if not settings.PRODUCTION:
        return Result("security settings", True, "development (Django's deployment checks apply in production)")
    found = [m for m in checks.run_checks(include_deployment_checks=True) if m.level >= checks.WARNING]
    if found:
        return Result("security settings", False, "; ".join(f"{m.id}: {m.msg}" for m in found)[:500])
    return Result("security settings", True, "Django's deployment checks pass")


def _backup(now: dt.datetime) -> Result:
    from .backup import LAST_BACKUP

    limit = dt.timedelta(hours=int(getattr(settings, "BACKUP_MAX_AGE_HOURS", BACKUP_MAX_AGE_HOURS_DEFAULT)))
    path = Path(settings.VAR_DIR) / LAST_BACKUP
    try:
        last = json.loads(path.read_text(encoding="utf-8"))
        at = dt.datetime.fromisoformat(last["at"])
    except (OSError, ValueError, KeyError):
        return Result("last backup", False, "no backup recorded (run `nurture backup -o FILE`, daily)")
    age = now - at
    hours = age.total_seconds() / 3600
    if age > limit:
        return Result("last backup", False, f"{hours:.0f} hours ago ({last.get('file')}); older than "
                                            f"{limit.total_seconds() / 3600:.0f} hours")
    return Result("last backup", True, f"{hours:.1f} hours ago ({last.get('file')})")
