"""Referral, screening, consent, enrollment and status changes of dyads.

Every status change goes through :func:`change_status`, which accepts only the moves
listed in ``enums.TRANSITIONS``, appends a ``StatusEvent`` and an audit entry, all in
the caller's transaction.
"""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.db.models.functions import Length
from django.utils import timezone
from django.utils.translation import gettext as _

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction
from nurture.common.errors import DomainError, NotPermitted

from . import eligibility
from .enums import TRANSITIONS, EndReason, EnrollmentStatus, Language
from .models import (
    Consent,
    Dyad,
    Infant,
    InfantIdentifiers,
    Mother,
    MotherIdentifiers,
    Screening,
    StatusEvent,
)

S = EnrollmentStatus


def _age_in_years(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def next_study_id(study) -> str:
    """The next free study id of the form PREFIX-0001 (sequence per study)."""
    prefix = f"{study.id_prefix}-"
    # The highest number, not the highest text: "NC-9999" sorts after "NC-10000" as text,
    # and the 10,001st referral would have been given an id already in use.
    last = (Dyad.objects.filter(study=study, code__regex=rf"^{re.escape(prefix)}[0-9]+$")
            .order_by(Length("code").desc(), "-code").values_list("code", flat=True).first())
    number = int(last.removeprefix(prefix)) + 1 if last else 1
    return f"{prefix}{number:04d}"


@transaction.atomic
def refer_dyad(
    by,
    *,
    study,
    site,
    referred_on: dt.date,
    mother_first_name: str,
    mother_last_name: str,
    mother_date_of_birth: dt.date | None = None,
    phone: str = "",
    email: str = "",
    address: str = "",
    primiparous: bool | None = None,
    language: Language = Language.ENGLISH,
    infants: list[dict] | None = None,
    referral_source: str = "",
    mother: Mother | None = None,
) -> Dyad:
    """Register a referral: mother (unless ``mother`` is given), infant(s) and a new dyad.

    ``infants`` is a list of dicts with optional ``first_name``, ``date_of_birth``,
    ``age_weeks``, ``sex`` and ``gestational_age_weeks``; twins are two entries.
    Side effects: Mother + MotherIdentifiers (new mother only), Infant +
    InfantIdentifiers per infant, Dyad, StatusEvent(referred), audit entry.
    """
    scoping.check_manage(by, site.pk)
    if not study.sites.filter(pk=site.pk).exists():
        raise DomainError(f"{site} does not take part in {study}.")
    if referred_on > timezone.localdate():
        raise DomainError("The referral date cannot be in the future.")
    infants = infants or [{}]
    if mother is None:
        if not mother_first_name.strip() or not mother_last_name.strip():
            raise DomainError("The mother's first and last name are needed.")
        age = _age_in_years(mother_date_of_birth, referred_on) if mother_date_of_birth else None
        if age is not None and not 12 <= age <= 60:
            raise DomainError(f"A date of birth giving age {age} at referral looks wrong.")
        mother = Mother.objects.create(site=site, age_at_referral=age, primiparous=primiparous, language=language)
        MotherIdentifiers.objects.create(mother=mother, first_name=mother_first_name.strip(),
                                         last_name=mother_last_name.strip(), date_of_birth=mother_date_of_birth,
                                         phone=phone, email=email, address=address)
    elif mother.site_id != site.pk:
        raise DomainError("That mother belongs to another site.")
    dyad = Dyad.objects.create(code=next_study_id(study), study=study, site=site, mother=mother,
                               referred_on=referred_on, referral_source=referral_source)
    for order, spec in enumerate(infants, start=1):
        born = spec.get("date_of_birth")
        age_weeks = spec.get("age_weeks")
        if born is not None:
            if born > referred_on:
                raise DomainError("An infant's date of birth cannot be after the referral.")
            age_weeks = (referred_on - born).days // 7
        infant = Infant.objects.create(dyad=dyad, birth_order=order, sex=spec.get("sex", ""),
                                       age_weeks_at_referral=age_weeks,
                                       gestational_age_weeks=spec.get("gestational_age_weeks"))
        InfantIdentifiers.objects.create(infant=infant, first_name=spec.get("first_name", ""), date_of_birth=born)
    StatusEvent.objects.create(dyad=dyad, from_status="", to_status=S.REFERRED, effective_on=referred_on,
                               reason=referral_source, by=by)
    audit.record(by, AuditAction.CREATE, dyad, summary=f"Referral {dyad.code}",
                 after=audit.snapshot(dyad) | {"infants": len(infants)})
    return dyad


def _check_date(dyad: Dyad, on: dt.date, what: str) -> None:
    if on > timezone.localdate():
        raise DomainError(f"The {what} date cannot be in the future.")
    if on < dyad.referred_on:
        raise DomainError(f"The {what} date cannot be before the referral ({dyad.referred_on:%d %b %Y}).")


@transaction.atomic
def change_status(by, dyad: Dyad, to: EnrollmentStatus, *, effective_on: dt.date, reason: str = "",
                  reason_code: str | None = None) -> Dyad:
    """Move a dyad to another status, if the move is allowed.

    Refuses a move not in ``TRANSITIONS`` with a message naming the allowed moves, an
    ineligibility without a reason, and a withdrawal or loss without a reason category
    (``EndReason``; a typed reason alone counts as "other"; "other" needs the typed
    reason). Side effects: the dyad's status (and end date, reason and category), a
    ``StatusEvent``, an audit entry.
    """
    scoping.check_manage(by, dyad.site_id)
    to = EnrollmentStatus(to)
    dyad = Dyad.objects.select_for_update().get(pk=dyad.pk)
    current = EnrollmentStatus(dyad.status)
    if to not in TRANSITIONS[current]:
        allowed = TRANSITIONS[current]
        if allowed:
            options = ", ".join(s.label.lower() for s in sorted(allowed))
            raise DomainError(f"{dyad.code} is {current.label.lower()}: it can only become {options}.")
        raise DomainError(f"{dyad.code} is {current.label.lower()}, which is final; its status cannot change.")
    reason = reason.strip()
    code = ""
    if to in (S.WITHDRAWN, S.LOST):
        code = reason_code or (EndReason.OTHER if reason else "")
        if code and code not in EndReason.values:
            raise DomainError(f"{code!r} is not a reason category.")
        if not code:
            raise DomainError(f"Say why the dyad is {to.label.lower()}: choose a reason.")
        if code == EndReason.OTHER and not reason:
            raise DomainError("Describe the other reason.")
        reason = reason or EndReason(code).label
    if to in S.needs_reason() and not reason:
        raise DomainError(f"Say why the dyad is {to.label.lower()}.")
    _check_date(dyad, effective_on, "status change")
    before = audit.snapshot(dyad, ["status", "ended_on", "end_reason", "end_reason_code"])
    dyad.status = to
    if to in S.final() and to != S.INELIGIBLE:
        dyad.ended_on, dyad.end_reason, dyad.end_reason_code = effective_on, reason, code
    dyad.save()
    StatusEvent.objects.create(dyad=dyad, from_status=current, to_status=to, effective_on=effective_on,
                               reason=reason, reason_code=code, by=by)
    audit.record(by, AuditAction.UPDATE, dyad, before=before,
                 after=audit.snapshot(dyad, ["status", "ended_on", "end_reason", "end_reason_code"]),
                 summary=f"{dyad.code}: {current.label.lower()} → {to.label.lower()}")
    if to in S.ends_follow_up():
        # Nobody follows up answers given after she leaves: her links stop working, and
        # her unresolved alerts say she left (they stay open until someone closes them).
        from nurture.capture.domain import revoke_dyad_links
        from nurture.safety.domain import note_dyad_ended

        dyad.revoked_links = revoke_dyad_links(by, dyad, why=to.label.lower())
        note_dyad_ended(by, dyad)
    return dyad


@transaction.atomic
def screen(by, dyad: Dyad, *, criteria: dict[str, bool], screened_on: dt.date, note: str = "") -> Screening:
    """Record a screening; the dyad becomes eligible when every criterion is met."""
    scoping.check_manage(by, dyad.site_id)
    try:
        unmet = eligibility.unmet(criteria)
    except ValueError as exc:
        raise DomainError(str(exc)) from None
    eligible = not unmet
    reason = "; ".join(unmet + ([note.strip()] if note.strip() else []))
    target = S.ELIGIBLE if eligible else S.INELIGIBLE
    change_status(by, dyad, target, effective_on=screened_on, reason=reason)
    screening = Screening.objects.create(dyad=dyad, screened_on=screened_on, criteria=criteria,
                                         eligible=eligible, reason=reason, by=by)
    Dyad.objects.filter(pk=dyad.pk).update(screened_on=screened_on)
    audit.record(by, AuditAction.CREATE, screening, site_id=dyad.site_id,
                 after={"eligible": eligible, "criteria": criteria, "reason": reason},
                 summary=f"{dyad.code} screened: {'eligible' if eligible else 'not eligible'}")
    dyad.refresh_from_db()
    return screening


@transaction.atomic
def record_consent(by, dyad: Dyad, *, consented_on: dt.date, form_version: str, notes: str = "") -> Consent:
    """Record informed consent (date, form version, who took it)."""
    scoping.check_manage(by, dyad.site_id)
    form_version = form_version.strip()
    if not form_version:
        raise DomainError("Give the version of the consent form that was signed.")
    if dyad.screened_on and consented_on < dyad.screened_on:
        raise DomainError("Consent cannot be dated before the screening.")
    change_status(by, dyad, S.CONSENTED, effective_on=consented_on)
    consent = Consent.objects.create(dyad=dyad, consented_on=consented_on, form_version=form_version,
                                     taken_by=by, notes=notes)
    Dyad.objects.filter(pk=dyad.pk).update(consented_on=consented_on)
    audit.record(by, AuditAction.CREATE, consent, site_id=dyad.site_id,
                 after={"consented_on": consented_on, "form_version": form_version},
                 summary=f"{dyad.code} consented (form {form_version})")
    dyad.refresh_from_db()
    return consent


@transaction.atomic
def enroll_dyad(by, dyad: Dyad, cohort, *, enrolled_on: dt.date) -> Dyad:
    """Place a consented dyad in a cohort of its own site that is open for enrollment."""
    scoping.check_manage(by, dyad.site_id)
    if cohort.site_id != dyad.site_id:
        raise DomainError(f"{cohort.name} runs at another site.")
    if cohort.study_id != dyad.study_id:
        raise DomainError(f"{cohort.name} belongs to another study.")
    if not cohort.is_open_for_enrollment():
        raise DomainError(f"{cohort.name} is {cohort.get_status_display().lower()} and takes no new dyads.")
    if dyad.consented_on and enrolled_on < dyad.consented_on:
        raise DomainError("Enrollment cannot be dated before consent.")
    change_status(by, dyad, S.ENROLLED, effective_on=enrolled_on, reason=f"Cohort {cohort.name}")
    Dyad.objects.filter(pk=dyad.pk).update(cohort=cohort, enrolled_on=enrolled_on)
    audit.record(by, AuditAction.UPDATE, dyad, before={"cohort": None},
                 after={"cohort": cohort.pk, "enrolled_on": enrolled_on},
                 summary=f"{dyad.code} enrolled in {cohort.name}")
    dyad.refresh_from_db()
    return dyad


def identifiers_for(by, dyad: Dyad) -> dict:
    """The identifying details of a dyad, for roles that may see them. Audited.

    Raises NotPermitted for researchers and for staff of another site or cohort.
    """
    if not scoping.can_view_identifiers(by):
        raise NotPermitted("Your role does not see identifying details.")
    if not scoping.visible_dyads(by).filter(pk=dyad.pk).exists():
        raise NotPermitted("This participant is not in your scope.")
    ids = MotherIdentifiers.objects.get(mother_id=dyad.mother_id)
    infants = [
        {"birth_order": i.infant.birth_order, "first_name": i.first_name, "date_of_birth": i.date_of_birth}
        for i in InfantIdentifiers.objects.filter(infant__dyad=dyad).select_related("infant")
    ]
    audit.record(by, AuditAction.VIEW_IDENTIFIERS, dyad, summary=f"Viewed identifiers of {dyad.code}")
    return {
        "first_name": ids.first_name, "last_name": ids.last_name, "date_of_birth": ids.date_of_birth,
        "phone": ids.phone, "email": ids.email, "address": ids.address, "infants": infants,
    }


MOTHER_FIELDS = ("first_name", "last_name", "date_of_birth", "phone", "email", "address")
INFANT_FIELDS = ("first_name", "date_of_birth")


def _changed_fields(obj, values: dict, fields) -> list[str]:
    changed = []
    for name in fields:
        if name in values and getattr(obj, name) != values[name]:
            setattr(obj, name, values[name])
            changed.append(name)
    return changed


@transaction.atomic
def update_details(by, dyad: Dyad, *, mother: dict, infants: dict[int, dict] | None = None) -> Dyad:
    """Correct a mother's and her infants' details after the referral.

    ``mother`` may hold first_name, last_name, date_of_birth, phone, email, address
    (identifiers), primiparous and language; ``infants`` maps an infant's birth order to
    first_name, date_of_birth, sex and gestational_age_weeks. Ages at referral are
    recomputed from changed dates of birth. Side effects: MotherIdentifiers, Mother,
    Infant and InfantIdentifiers rows; one audit entry per changed record. Identifying
    values are not copied into the audit log (it names the fields that changed);
    the other fields are logged before and after.
    """
    scoping.check_manage(by, dyad.site_id)
    # lock only the dyad row: PostgreSQL refuses FOR UPDATE on the nullable side of the outer join
    dyad = Dyad.objects.select_for_update(of=("self",)).select_related("mother__identifiers").get(pk=dyad.pk)
    m, ids = dyad.mother, dyad.mother.identifiers
    first = mother.get("first_name", ids.first_name).strip()
    last = mother.get("last_name", ids.last_name).strip()
    if not first or not last:
        raise DomainError(_("The mother's first and last name are needed."))
    mother = mother | {"first_name": first, "last_name": last}
    born = mother.get("date_of_birth", ids.date_of_birth)
    age = _age_in_years(born, dyad.referred_on) if born else None
    if age is not None and not 12 <= age <= 60:
        raise DomainError(_("A date of birth giving age %(age)s at referral looks wrong.") % {"age": age})
    changed_ids = _changed_fields(ids, mother, MOTHER_FIELDS)
    if changed_ids:
        ids.save()
    before = audit.snapshot(m, ["age_at_referral", "primiparous", "language"])
    m.age_at_referral = age
    _changed_fields(m, mother, ("primiparous", "language"))
    after = audit.snapshot(m, ["age_at_referral", "primiparous", "language"])
    old, new = audit.changed(before, after)
    if new:
        m.save()
    if changed_ids or new:
        audit.record(by, AuditAction.UPDATE, m, site_id=dyad.site_id, before=old,
                     after=new | ({"identifiers_changed": changed_ids} if changed_ids else {}),
                     summary=f"Details of {dyad.code}'s mother corrected")
    for order, values in (infants or {}).items():
        infant = Infant.objects.select_related("identifiers").get(dyad=dyad, birth_order=order)
        _update_infant(by, dyad, infant, values)
    dyad.refresh_from_db()
    return dyad


def _update_infant(by, dyad: Dyad, infant: Infant, values: dict) -> None:
    ids = infant.identifiers
    born = values.get("date_of_birth", ids.date_of_birth)
    if born is not None and born > dyad.referred_on:
        raise DomainError(_("An infant's date of birth cannot be after the referral."))
    changed_ids = _changed_fields(ids, values, INFANT_FIELDS)
    if changed_ids:
        ids.save()
    fields = ["sex", "gestational_age_weeks", "age_weeks_at_referral"]
    before = audit.snapshot(infant, fields)
    _changed_fields(infant, values, ("sex", "gestational_age_weeks"))
    if "date_of_birth" in changed_ids and born is not None:
        infant.age_weeks_at_referral = (dyad.referred_on - born).days // 7
    old, new = audit.changed(before, audit.snapshot(infant, fields))
    if new:
        infant.save()
    if changed_ids or new:
        audit.record(by, AuditAction.UPDATE, infant, site_id=dyad.site_id, before=old,
                     after=new | ({"identifiers_changed": changed_ids} if changed_ids else {}),
                     summary=f"Details of {dyad.code} infant {infant.birth_order} corrected")


def search_dyads(by, dyads, query: str):
    """Narrow ``dyads`` (already scoped to ``by``) to those whose study id contains
    ``query`` — or, for roles that may see names, whose mother's first or last name does.
    A search by name is recorded in the audit log (not the words searched)."""
    from django.db.models import Q

    query = query.strip()
    if not query:
        return dyads
    match = Q(code__icontains=query)
    if scoping.can_view_identifiers(by):
        named = Q(mother__identifiers__first_name__icontains=query) | Q(mother__identifiers__last_name__icontains=query)
        if dyads.filter(named).exists():
            audit.record(by, AuditAction.VIEW_IDENTIFIERS, None, site_id=scoping.site_id_of(by),
                         object_type="participants.Dyad", summary="Searched participants by name")
        match |= named
    return dyads.filter(match)
