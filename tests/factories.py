"""Plain factories for tests: small functions that build real objects through the domain."""

from __future__ import annotations

import datetime as dt
import itertools

from django.contrib.auth.models import User

from nurture.accounts.enums import Role
from nurture.accounts.models import StaffProfile
from nurture.participants import domain as participants
from nurture.participants.eligibility import CRITERIA
from nurture.program import domain as program
from nurture.program.models import CurriculumVersion, Site, Study

_seq = itertools.count(1)
PASSWORD = "correct-horse-battery"


def make_site(code: str = "a", name: str | None = None) -> Site:
    return Site.objects.create(code=code, name=name or f"Site {code.upper()}")


def make_study(*sites: Site, slug: str = "nc", prefix: str = "NC") -> Study:
    study = Study.objects.create(slug=slug, name="Nurturing Connections", id_prefix=prefix)
    study.sites.add(*sites)
    return study


def make_user(role: Role, site: Site | None, username: str | None = None) -> User:
    user = User.objects.create_user(username or f"{role.value}{next(_seq)}", password=PASSWORD)
    if role == Role.ADMINISTRATOR:
        user.is_staff = user.is_superuser = True
        user.save()
    StaffProfile.objects.create(user=user, role=role, site=site)
    return user


def curriculum(slug: str = "standard-12") -> CurriculumVersion:
    program.sync_curricula()
    return CurriculumVersion.objects.get(slug=slug)


def make_cohort(study, site, *, name: str | None = None, weeks: int = 12, start: dt.date = dt.date(2026, 1, 5),
                facilitators=(), by=None, closed_dates=()):
    return program.create_cohort(
        by, study=study, site=site, name=name or f"Cohort {next(_seq)}",
        curriculum=curriculum("standard-12" if weeks == 12 else "shortened-8"), start_date=start,
        meeting_weekday=start.weekday(), meeting_time=dt.time(10, 0), facilitators=facilitators,
        closed_dates=closed_dates)


def make_referral(study, site, *, first_name: str = "Leakable", last_name: str = "Surname",
                  referred_on: dt.date = dt.date(2025, 12, 1), infants=None, by=None, **kwargs):
    return participants.refer_dyad(
        by, study=study, site=site, referred_on=referred_on, mother_first_name=first_name,
        mother_last_name=last_name, mother_date_of_birth=dt.date(1995, 6, 1), phone="555-0199",
        email="leak@example.org", infants=infants or [{"first_name": "Babyname", "age_weeks": 10}], **kwargs)


def make_enrolled(study, site, cohort, *, by=None, **kwargs):
    dyad = make_referral(study, site, by=by, **kwargs)
    participants.screen(by, dyad, criteria=dict.fromkeys(CRITERIA, True), screened_on=dt.date(2025, 12, 3))
    participants.record_consent(by, dyad, consented_on=dt.date(2025, 12, 5), form_version="v1")
    return participants.enroll_dyad(by, dyad, cohort, enrolled_on=dt.date(2025, 12, 8))


def epds_answers(self_harm_keyed: int = 0, level: int = 1) -> dict[str, str]:
    """EPDS answers whose keyed scores are all ``level``, with item 10 keyed as given."""
    from nurture.instruments import library

    epds = library().get("epds")
    out = {}
    for item in epds.rated_items:
        keyed = self_harm_keyed if item.id == "10" else level
        out[item.id] = str(item.min_value + item.max_value - keyed if item.reverse else keyed)
    return out


def all_items(instrument_id: str, value) -> dict[str, str]:
    from nurture.instruments import library

    return {item.id: str(value) for item in library().get(instrument_id).rated_items}


def keyed_answers(instrument_id: str, keyed: dict[str, int] | None = None, default: int = 0) -> dict[str, str]:
    """Coded answers to every rated item whose *keyed* scores are ``default`` except those
    given in ``keyed`` (reverse-keying is undone, so tests speak in scores)."""
    from nurture.instruments import library

    keyed = keyed or {}
    out = {}
    for item in library().get(instrument_id).rated_items:
        want = keyed.get(item.id, default)
        out[item.id] = str(next(v for v in item.values if item.keyed(v) == want))
    return out


def make_safety(site, *, emails: str = "", phones: str = "", **kwargs):
    from nurture.safety.models import SiteSafety

    row, _ = SiteSafety.objects.update_or_create(site=site, defaults={"on_call_emails": emails,
                                                                       "on_call_phones": phones, **kwargs})
    return row
