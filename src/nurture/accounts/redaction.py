"""The one redaction policy, for pages and exports alike.

Who sees what of the study's own records:

* **Free text typed by staff** — referral source, screening, withdrawal and status-change
  reasons, fidelity notes, alert notes — can hold names, phone numbers and addresses.
  Researchers never see it; a de-identified export leaves it out unless asked for (and a
  researcher may not ask).
* **Calendar dates** — with an infant's age at referral, an exact date gives the birth
  week. Researchers see a participant's dates as day offsets from her enrollment (her
  referral when never enrolled), and a cohort's as day offsets from its start; so does a
  de-identified export.

Everyone else who may see the record (coordinators, facilitators, administrators) sees
it whole. Pure functions; the caller decides who is looking (:func:`policy_for`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

WITHHELD = "(free text withheld)"


@dataclass(frozen=True)
class Policy:
    free_text: bool
    exact_dates: bool


FULL = Policy(free_text=True, exact_dates=True)
DEIDENTIFIED = Policy(free_text=False, exact_dates=False)


def policy_for(user) -> Policy:
    """What ``user`` may see on pages: researchers (and anyone who may not see identifiers)
    get the de-identified view."""
    from . import scoping

    return FULL if scoping.can_view_identifiers(user) else DEIDENTIFIED


def export_policy(*, deidentified: bool, free_text: bool) -> Policy:
    return FULL if not deidentified else Policy(free_text=free_text, exact_dates=False)


def text(policy: Policy, value: str | None) -> str:
    """Staff-typed free text, or a marker that some was withheld."""
    if not value:
        return ""
    return value if policy.free_text else WITHHELD


def day_offset(value, anchor) -> int | None:
    """Whole days from ``anchor`` to ``value`` (dates or aware datetimes, in the site's zone)."""
    if value is None or anchor is None:
        return None
    return (_as_date(value) - _as_date(anchor)).days


def _as_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        from django.utils import timezone

        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def dyad_anchor(dyad) -> dt.date | None:
    """A participant's day 0: her enrollment, or her referral when never enrolled."""
    return dyad.enrolled_on or dyad.referred_on


def cohort_anchor(cohort) -> dt.date | None:
    return cohort.start_date
