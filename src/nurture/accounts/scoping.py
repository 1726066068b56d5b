"""Who may see and change what. Every query for participant data goes through here.

Rules: staff of one site never see another site's participants; facilitators see
only the cohorts they facilitate; researchers never see identifiers; coders see
nothing of the study but their own coding assignments (``coding.domain``). A profile
without a site (administrators, multi-site researchers) spans every site.
"""

from __future__ import annotations

from django.db.models import QuerySet

from nurture.common.errors import NotPermitted

from .enums import Role
from .models import StaffProfile


def profile_of(user) -> StaffProfile | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.profile
    except StaffProfile.DoesNotExist:
        return None


def role_of(user) -> Role | None:
    if user is not None and getattr(user, "is_superuser", False):
        return Role.ADMINISTRATOR
    profile = profile_of(user)
    return Role(profile.role) if profile else None


def site_id_of(user) -> int | None:
    profile = profile_of(user)
    return profile.site_id if profile else None


def require_role(user, *roles: Role) -> Role:
    role = role_of(user)
    if role is None or role not in roles:
        allowed = ", ".join(r.label.lower() for r in roles)
        raise NotPermitted(f"Only a {allowed} may do this.")
    return role


def can_view_identifiers(user) -> bool:
    role = role_of(user)
    return role is not None and role in Role.sees_identifiers()


def can_manage_participants(user) -> bool:
    role = role_of(user)
    return role is not None and role in Role.manages_participants()


def _site_filter(user, qs: QuerySet, field: str = "site") -> QuerySet:
    site_id = site_id_of(user)
    if site_id is None:
        return qs
    return qs.filter(**{f"{field}_id": site_id})


def visible_cohorts(user) -> QuerySet:
    from nurture.program.models import Cohort

    role = role_of(user)
    qs = Cohort.objects.all()
    if role not in Role.sees_study_data():
        return qs.none()
    if role == Role.FACILITATOR:
        return _site_filter(user, qs).filter(facilitators=user)
    return _site_filter(user, qs)


def visible_sessions(user) -> QuerySet:
    from nurture.program.models import Session

    return Session.objects.filter(cohort__in=visible_cohorts(user))


def visible_dyads(user) -> QuerySet:
    from nurture.participants.models import Dyad

    role = role_of(user)
    qs = Dyad.objects.all()
    if role not in Role.sees_study_data():
        return qs.none()
    if role == Role.FACILITATOR:
        return _site_filter(user, qs).filter(cohort__in=visible_cohorts(user))
    return _site_filter(user, qs)


def of_visible_dyads(user, qs: QuerySet, field: str = "dyad") -> QuerySet:
    """``qs`` (rows that belong to a dyad through ``field``) limited to the dyads of
    ``visible_dyads(user)``. A user who sees every dyad (an administrator) gets ``qs``
    itself: no ``IN (SELECT id FROM every dyad)`` for the database to work through."""
    role = role_of(user)
    if role in Role.sees_study_data() and role != Role.FACILITATOR and site_id_of(user) is None:
        return qs
    return qs.filter(**{f"{field}__in": visible_dyads(user)})


def visible_sites(user) -> QuerySet:
    from nurture.program.models import Site

    if role_of(user) not in Role.sees_study_data():
        return Site.objects.none()
    site_id = site_id_of(user)
    return Site.objects.filter(pk=site_id) if site_id else Site.objects.all()


def check_site(user, site_id: int) -> None:
    """Refuse when the user belongs to another site (system actions pass ``user=None``)."""
    if user is None:
        return
    own = site_id_of(user)
    if role_of(user) not in Role.sees_study_data() or (own is not None and own != site_id):
        raise NotPermitted("This belongs to another site.")


def check_manage(user, site_id: int) -> None:
    if user is None:
        return
    require_role(user, Role.ADMINISTRATOR, Role.COORDINATOR)
    check_site(user, site_id)


def check_session_staff(user, session) -> None:
    """Attendance, fidelity and session mode: the cohort's facilitators, or its site's coordinators."""
    if user is None:
        return
    role = require_role(user, Role.ADMINISTRATOR, Role.COORDINATOR, Role.FACILITATOR)
    check_site(user, session.cohort.site_id)
    if role == Role.FACILITATOR and not session.cohort.facilitators.filter(pk=user.pk).exists():
        raise NotPermitted("Only this cohort's facilitators may record its sessions.")
