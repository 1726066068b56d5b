"""Coding workflows: recordings and transcripts in, blind assignment, coding, consensus,
and reliability. Views, commands and the demo call these; nothing else writes coded data.

Blinding: a coder reaches a unit only through an ``Assignment`` (random token, random
place in her list) and sees only the unit's random blind code, the task and duration
(recordings) or the redacted text and question (segments). Whether a unit is
double-coded is not shown, and a coder sees the other coding only after both are in.

Every function runs in one transaction and writes its audit entry in it.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction, Role
from nurture.common.errors import DomainError, NotPermitted

from . import schemes, text
from .enums import AssignmentStatus, ObservedTimepoint, Resolution, SegmentSource, UnitKind
from .models import Assignment, CodingSettings, Recording, Segment, Transcript

BLIND_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"  # no 0/O, 1/I/L, 2/Z, 5/S, 8/B look-alikes
MANAGERS = (Role.ADMINISTRATOR, Role.COORDINATOR)
READERS = (Role.ADMINISTRATOR, Role.COORDINATOR, Role.RESEARCHER)


# ---------------------------------------------------------------- settings and visibility


def coding_settings(study) -> CodingSettings:
    row, _ = CodingSettings.objects.get_or_create(study=study)
    return row


def visible_assignments(user) -> QuerySet:
    """A coder's own assignments; coordinators and administrators see those of their site's units."""
    role = scoping.role_of(user)
    qs = Assignment.objects.select_related("recording", "segment")
    if role == Role.CODER:
        return qs.filter(coder=user)
    if role in MANAGERS:
        dyads = scoping.visible_dyads(user)
        studies = _visible_studies(user)
        return qs.filter(Q(recording__dyad__in=dyads) | Q(segment__dyad__in=dyads)
                         | Q(segment__transcript__study__in=studies))
    return qs.none()


def _visible_studies(user):
    from nurture.program.models import Study

    return Study.objects.filter(sites__in=scoping.visible_sites(user)).distinct()


def visible_recordings(user) -> QuerySet:
    """Recordings with their dyads: for coordinators, administrators and researchers (never coders)."""
    if scoping.role_of(user) not in READERS:
        return Recording.objects.none()
    return Recording.objects.filter(dyad__in=scoping.visible_dyads(user))


def visible_segments(user) -> QuerySet:
    if scoping.role_of(user) not in READERS:
        return Segment.objects.none()
    return Segment.objects.filter(Q(dyad__in=scoping.visible_dyads(user))
                                  | Q(transcript__study__in=_visible_studies(user), dyad__isnull=True))


def eligible_coders(study) -> QuerySet:
    """Active coder accounts of the study's sites (or of no site)."""
    return (User.objects.filter(is_active=True, profile__role=Role.CODER)
            .filter(Q(profile__site__isnull=True) | Q(profile__site__in=study.sites.all()))
            .order_by("username"))


def _site_of(unit) -> int | None:
    if unit.dyad_id:
        return unit.dyad.site_id
    if isinstance(unit, Segment) and unit.transcript_id and unit.transcript.cohort_id:
        return unit.transcript.cohort.site_id
    site = unit.study.sites.order_by("pk").first()
    return site.pk if site else None


def _blind_code(prefix: str) -> str:
    while True:
        code = prefix + "-" + "".join(secrets.choice(BLIND_ALPHABET) for _ in range(5))
        if not (Recording.objects.filter(blind_code=code).exists() or Segment.objects.filter(blind_code=code).exists()):
            return code


# ---------------------------------------------------------------- recordings


def check_coder_location(location: str, *, dyad, timepoint: str, recorded_on: dt.date) -> None:
    """Refuse a coder-facing location that would tell a coder who or when.

    The blinded copy must be named by the blind code: no study id, no pre/post or
    baseline/follow-up, no recording date, no mother's or infant's name.
    """
    lowered = location.lower()
    problems = []
    if dyad.code.lower() in lowered or dyad.code.lower().replace("-", "") in lowered.replace("-", ""):
        problems.append("the study id")
    if re.search(r"(?<![a-z])(pre|post|baseline|follow[-_ ]?up|t1|t2|before|after)(?![a-z])", lowered):
        problems.append("the timepoint")
    day = recorded_on
    for form in {day.isoformat(), day.strftime("%Y%m%d"), day.strftime("%m/%d/%Y"), day.strftime("%d.%m.%Y"),
                 day.strftime("%m-%d-%Y"), day.strftime("%Y_%m_%d")}:
        if form.lower() in lowered:
            problems.append("the recording date")
            break
    names = [n for n in (getattr(getattr(dyad.mother, "identifiers", None), "first_name", ""),
                         getattr(getattr(dyad.mother, "identifiers", None), "last_name", "")) if n]
    names += [i.identifiers.first_name for i in dyad.infants.all()
              if hasattr(i, "identifiers") and i.identifiers.first_name]
    pattern = text.name_pattern(names)
    if pattern is not None and pattern.search(location):
        problems.append("a name")
    if problems:
        raise DomainError("The coders' copy must be named by the blind code only; this location shows "
                          + " and ".join(dict.fromkeys(problems)) + ".")


@transaction.atomic
def register_recording(by, *, dyad, timepoint: str, recorded_on: dt.date, task: str, duration_seconds: int,
                       location: str, coder_location: str = "", scheme: str | None = None) -> Recording:
    """Record a recorded interaction's metadata (the video stays where it is kept).

    Side effects: one Recording with a fresh random blind code; one audit entry.
    """
    scoping.check_manage(by, dyad.site_id)
    if timepoint not in ObservedTimepoint.values:
        raise DomainError("A recording is made at the pre or the post assessment.")
    if not duration_seconds or duration_seconds <= 0:
        raise DomainError("Give the recording's length.")
    if recorded_on > timezone.localdate():
        raise DomainError("The recording date is in the future.")
    location = (location or "").strip()
    if not location:
        raise DomainError("Say where the recording is kept.")
    coder_location = (coder_location or "").strip()
    if coder_location:
        check_coder_location(coder_location, dyad=dyad, timepoint=timepoint, recorded_on=recorded_on)
    scheme_id = scheme or coding_settings(dyad.study).observation_scheme
    try:
        definition = schemes.rating_scheme(scheme_id)
    except schemes.SchemeError as exc:
        raise DomainError(str(exc)) from None
    if Recording.objects.filter(dyad=dyad, timepoint=timepoint, task=task).exists():
        raise DomainError(f"{dyad.code} already has a {task.replace('_', ' ')} recording at {timepoint}.")
    recording = Recording.objects.create(
        study=dyad.study, dyad=dyad, timepoint=timepoint, recorded_on=recorded_on, task=task,
        duration_seconds=duration_seconds, location=location, coder_location=coder_location,
        scheme=definition.id, scheme_version=definition.version, blind_code=_blind_code("R"), created_by=by)
    audit.record(by, AuditAction.CREATE, recording, site_id=dyad.site_id,
                 after={"dyad": dyad.code, "timepoint": timepoint, "task": task, "blind_code": recording.blind_code},
                 summary=f"Recording {recording.blind_code} of {dyad.code} ({timepoint}) registered")
    return recording


# ---------------------------------------------------------------- segments


def identifier_pattern(study):
    """Every name known to the study (mothers, infants, staff at its sites) as one pattern for ``text.redact``."""
    from nurture.participants.models import InfantIdentifiers, MotherIdentifiers

    names: list[str] = []
    for first, last in MotherIdentifiers.objects.filter(mother__dyads__study=study).values_list("first_name",
                                                                                                 "last_name"):
        names += [first, last]
    names += list(InfantIdentifiers.objects.filter(infant__dyad__study=study).values_list("first_name", flat=True))
    for first, last in User.objects.filter(profile__site__in=study.sites.all()).values_list("first_name",
                                                                                           "last_name"):
        names += [first, last]
    return text.name_pattern(names)


def feedback_questions() -> dict[str, str]:
    """The open questions of the feedback questionnaire: item id -> English label."""
    from nurture.instruments import library

    return {i.id: i.label.get("en", i.id) for i in library().get("feedback").items if i.kind == "text"}


@transaction.atomic
def segment_feedback(by, study) -> int:
    """Split every submitted open feedback answer not yet segmented into segments.

    Side effects: Segment rows (names, contacts and addresses redacted); one audit entry.
    Returns the number of segments created.
    """
    from nurture.capture.enums import AssessmentStatus, Entry
    from nurture.capture.models import ItemResponse

    site = study.sites.order_by("pk").first()
    scoping.check_manage(by, site.pk if site else None)
    codebook = schemes.codebook(coding_settings(study).feedback_codebook)
    answers = (ItemResponse.objects.filter(
        assessment__dyad__study=study, assessment__status=AssessmentStatus.COMPLETED, instrument="feedback",
        item__in=list(feedback_questions()), entry=Entry.FIRST)
        .exclude(value="").filter(segments__isnull=True).select_related("assessment__dyad").order_by("pk"))
    if by is not None:
        answers = answers.filter(assessment__dyad__in=scoping.visible_dyads(by))
    pattern = identifier_pattern(study)
    created = 0
    for answer in answers:
        for position, part in enumerate(text.split_segments(answer.value), start=1):
            Segment.objects.create(
                study=study, scheme=codebook.id, scheme_version=codebook.version, blind_code=_blind_code("T"),
                source=SegmentSource.FEEDBACK, response=answer, dyad=answer.assessment.dyad, question=answer.item,
                position=position, text=text.redact(part, pattern), created_by=by)
            created += 1
    if created:
        audit.record(by, AuditAction.CREATE, object_type="coding.Segment", site_id=site.pk if site else None,
                     summary=f"{created} feedback segments created for theme coding")
    return created


@transaction.atomic
def add_transcript(by, study, *, title: str, held_on: dt.date, body: str, cohort=None) -> Transcript:
    """Keep an uploaded transcript and split it into segments (one per paragraph or speaker turn).

    Side effects: one Transcript, its Segments (redacted), one audit entry.
    """
    site = study.sites.order_by("pk").first()
    site_id = cohort.site_id if cohort is not None else (site.pk if site else None)
    scoping.check_manage(by, site_id)
    title = (title or "").strip()
    if not title:
        raise DomainError("Give the transcript a title.")
    parts = text.split_segments(body or "")
    if not parts:
        raise DomainError("The transcript is empty.")
    codebook = schemes.codebook(coding_settings(study).feedback_codebook)
    transcript = Transcript.objects.create(study=study, title=title, held_on=held_on, cohort=cohort, text=body,
                                           uploaded_by=by)
    pattern = identifier_pattern(study)
    for position, part in enumerate(parts, start=1):
        Segment.objects.create(study=study, scheme=codebook.id, scheme_version=codebook.version,
                               blind_code=_blind_code("T"), source=SegmentSource.TRANSCRIPT, transcript=transcript,
                               position=position, text=text.redact(part, pattern), created_by=by)
    audit.record(by, AuditAction.CREATE, transcript, site_id=site_id,
                 summary=f"Transcript {title!r} uploaded: {len(parts)} segments")
    return transcript


# ---------------------------------------------------------------- assignment


@dataclass
class AssignResult:
    units: int = 0
    double: int = 0
    assignments: int = 0
    warnings: list[str] = field(default_factory=list)


def _unassigned(study, kind: UnitKind, by) -> list:
    if kind == UnitKind.RECORDING:
        qs = Recording.objects.filter(study=study, resolution=Resolution.UNASSIGNED)
        if by is not None:
            qs = qs.filter(dyad__in=scoping.visible_dyads(by))
    else:
        qs = Segment.objects.filter(study=study, resolution=Resolution.UNASSIGNED)
        if by is not None:
            qs = qs.filter(Q(dyad__in=scoping.visible_dyads(by)) | Q(dyad__isnull=True))
    return list(qs.order_by("pk"))


@transaction.atomic
def assign(by, study, kind: UnitKind, coders, *, share: float | None = None, rng: random.Random | None = None,
           now: dt.datetime | None = None) -> AssignResult:
    """Assign every unassigned unit of one kind to coders, blind and balanced.

    Each unit goes to the coder with the fewest open assignments; a random ``share``
    (default: the study's setting, 20%) also goes to a second, different coder. Units
    enter each coder's list at random places.

    Side effects: Assignment rows; units move to "being coded"; one audit entry.
    """
    site = study.sites.order_by("pk").first()
    scoping.check_manage(by, site.pk if site else None)
    rng = rng or random.SystemRandom()
    now = now or timezone.now()
    share = coding_settings(study).double_share if share is None else share
    if not 0 <= share <= 1:
        raise DomainError("The double-coded share is between 0 and 100%.")
    coders = list(coders)
    allowed = set(eligible_coders(study).values_list("pk", flat=True))
    for coder in coders:
        if coder.pk not in allowed:
            raise DomainError(f"{coder.get_username()} is not a coder of this study.")
    if not coders:
        raise DomainError("Choose at least one coder.")
    units = _unassigned(study, kind, by)
    if not units:
        raise DomainError(f"Every {UnitKind(kind).label.lower()} already has its coders.")
    n_double = math.ceil(share * len(units) - 1e-9) if share > 0 else 0
    if n_double and len(coders) < 2:
        raise DomainError("Double coding needs at least two coders.")
    rng.shuffle(units)
    double = set(rng.sample(range(len(units)), n_double))
    load = Counter(dict(Assignment.objects.open().filter(coder__in=coders).values_list("coder")
                        .annotate(n=Count("pk"))))
    result = AssignResult(units=len(units), double=n_double)
    field_name = "recording" if kind == UnitKind.RECORDING else "segment"
    for index, unit in enumerate(units):
        chosen = []
        for _ in range(2 if index in double else 1):
            candidates = [c for c in coders if c not in chosen]
            coder = min(candidates, key=lambda c: (load[c.pk], rng.random()))
            chosen.append(coder)
            load[coder.pk] += 1
            Assignment.objects.create(token=secrets.token_urlsafe(16), coder=coder, order_key=rng.randrange(2**31),
                                      assigned_by=by, assigned_at=now, **{field_name: unit})
            result.assignments += 1
        unit.resolution = Resolution.CODING
        unit.save(update_fields=["resolution"])
    if kind == UnitKind.RECORDING:
        timepoints = {u.timepoint for u in units}
        if len(timepoints) == 1:
            result.warnings.append(
                f"Every recording in this batch is from the {timepoints.pop()} assessment: coders may guess the "
                "timepoint from when recordings reach them. Where you can, assign pre and post recordings together.")
    audit.record(by, AuditAction.CREATE, object_type="coding.Assignment", site_id=site.pk if site else None,
                 after={"kind": kind, "units": result.units, "double": n_double,
                        "coders": [c.get_username() for c in coders]},
                 summary=f"Assigned {result.units} {UnitKind(kind).label.lower()}s to {len(coders)} coders "
                         f"({n_double} double-coded)")
    return result


# ---------------------------------------------------------------- coding


def _lock_assignment(coder, assignment: Assignment) -> Assignment:
    locked = Assignment.objects.select_for_update(of=("self",)).select_related("recording", "segment").get(
        pk=assignment.pk)
    if locked.coder_id != getattr(coder, "pk", None):
        raise NotPermitted("This assignment belongs to another coder.")
    if not locked.is_open:
        raise DomainError("You have already submitted this one; a disagreement is settled at consensus.")
    return locked


def _settle(unit, now: dt.datetime) -> None:
    """Set a unit's final values once every coder has submitted."""
    codings = list(unit.assignments.order_by("assigned_at", "pk"))
    if not codings:
        unit.resolution = Resolution.UNASSIGNED
    elif any(a.is_open for a in codings):
        unit.resolution = Resolution.CODING
    elif len(codings) == 1:
        unit.final, unit.resolution = codings[0].values, Resolution.SINGLE
    else:
        first, second = codings[0].values, codings[1].values
        if isinstance(unit, Recording):
            scheme = schemes.rating_scheme(unit.scheme)
            if scheme.disagreements(first, second):
                unit.resolution = Resolution.NEEDS_CONSENSUS
            else:
                # Within the scheme's tolerance the final rating is the mean of the two.
                unit.final = {k: (float(first[k]) + float(second[k])) / 2 for k in first}
                unit.resolution = Resolution.AGREED
        elif sorted(first) == sorted(second):
            unit.final, unit.resolution = sorted(first), Resolution.AGREED
        else:
            unit.resolution = Resolution.NEEDS_CONSENSUS
    if unit.resolution in Resolution.final():
        unit.resolved_at = now
        if isinstance(unit, Recording):
            unit.final_scores = schemes.rating_scheme(unit.scheme).score(unit.final)
    unit.save()


@transaction.atomic
def submit_ratings(coder, assignment: Assignment, values: dict, *, note: str = "",
                   now: dt.datetime | None = None) -> Assignment:
    """A coder's ratings of a recording, every item once.

    Side effects: the Assignment is submitted with its subscale scores; the recording's
    final values are set when every coder is in (or it waits for consensus); one audit entry.
    """
    now = now or timezone.now()
    assignment = _lock_assignment(coder, assignment)
    if assignment.recording_id is None:
        raise DomainError("This is a text segment; tag it with codes.")
    scheme = schemes.rating_scheme(assignment.recording.scheme)
    try:
        clean = scheme.clean_values(values)
    except schemes.SchemeError as exc:
        raise DomainError(str(exc)) from None
    assignment.values, assignment.scores = clean, scheme.score(clean)
    return _submit(coder, assignment, note, now)


@transaction.atomic
def submit_codes(coder, assignment: Assignment, codes, *, note: str = "", now: dt.datetime | None = None) -> Assignment:
    """A coder's codes for a text segment (one or more codes of the codebook).

    Side effects: the Assignment is submitted; the segment's final codes are set when
    every coder is in (or it waits for consensus); one audit entry.
    """
    now = now or timezone.now()
    assignment = _lock_assignment(coder, assignment)
    if assignment.segment_id is None:
        raise DomainError("This is a recording; rate it on the scale.")
    try:
        assignment.values = schemes.codebook(assignment.segment.scheme).clean_codes(codes)
    except schemes.SchemeError as exc:
        raise DomainError(str(exc)) from None
    return _submit(coder, assignment, note, now)


def _submit(coder, assignment: Assignment, note: str, now: dt.datetime) -> Assignment:
    assignment.note = (note or "").strip()[:500]
    assignment.status = AssignmentStatus.SUBMITTED
    assignment.submitted_at = now
    assignment.save()
    unit = assignment.unit
    _settle(type(unit).objects.select_for_update().get(pk=unit.pk), now)
    audit.record(coder, AuditAction.CREATE, assignment, site_id=_site_of(unit),
                 after={"unit": unit.blind_code, "values": assignment.values},
                 summary=f"Coded {unit.blind_code}")
    return assignment


def can_see_comparison(user, unit) -> bool:
    """Both codings side by side: for the unit's coders once both are in, and for managers."""
    role = scoping.role_of(user)
    if role in MANAGERS:
        try:
            scoping.check_site(user, _site_of(unit))
        except NotPermitted:
            return False
        return True
    if role != Role.CODER:
        return False
    codings = list(unit.assignments.all())
    return (len(codings) >= 2 and not any(a.is_open for a in codings)
            and any(a.coder_id == user.pk for a in codings))


@transaction.atomic
def record_consensus(by, unit, values, *, note: str = "", now: dt.datetime | None = None):
    """Settle a double-coded unit whose two codings disagree.

    The unit's two coders (together) or a coordinator enter the agreed ratings or codes.
    Side effects: the unit's final values and resolution "consensus"; one audit entry
    with the values before and after.
    """
    now = now or timezone.now()
    unit = type(unit).objects.select_for_update().get(pk=unit.pk)
    if not can_see_comparison(by, unit):
        raise NotPermitted("Only this unit's coders or a coordinator may record a consensus.")
    if unit.resolution not in (Resolution.NEEDS_CONSENSUS, Resolution.CONSENSUS):
        raise DomainError("Only double-coded units whose codings disagree go to consensus.")
    try:
        if isinstance(unit, Recording):
            scheme = schemes.rating_scheme(unit.scheme)
            final = scheme.clean_values(values)
        else:
            final = schemes.codebook(unit.scheme).clean_codes(values)
    except schemes.SchemeError as exc:
        raise DomainError(str(exc)) from None
    before = {"final": unit.final, "resolution": unit.resolution}
    unit.final, unit.resolution = final, Resolution.CONSENSUS
    unit.resolved_by, unit.resolved_at = by, now
    unit.consensus_note = (note or "").strip()[:500]
    if isinstance(unit, Recording):
        unit.final_scores = scheme.score(final)
    unit.save()
    audit.record(by, AuditAction.UPDATE, unit, site_id=_site_of(unit), before=before,
                 after={"final": final, "resolution": unit.resolution},
                 summary=f"Consensus recorded for {unit.blind_code}")
    return unit


# ---------------------------------------------------------------- reliability


def _coder_codes(study) -> dict[int, str]:
    """Stable pseudonyms for coders in reports and bundles: C1, C2, … by account order."""
    ids = sorted(set(Assignment.objects.filter(Q(recording__study=study) | Q(segment__study=study))
                     .values_list("coder_id", flat=True)))
    return {pk: f"C{n}" for n, pk in enumerate(ids, start=1)}


def observation_pairs(study, recordings=None) -> list[dict]:
    """Each double-coded recording × subscale: both coders' scores before consensus."""
    coder_code = _coder_codes(study)
    qs = recordings if recordings is not None else Recording.objects.filter(study=study)
    rows = []
    for rec in qs.filter(resolution__in=list(Resolution.double_coded())).prefetch_related("assignments"):
        codings = sorted(rec.assignments.all(), key=lambda a: (a.assigned_at, a.pk))[:2]
        coded_on = max(a.submitted_at for a in codings)
        for scale in codings[0].scores or {}:
            rows.append({"unit": rec.blind_code, "scale": scale,
                         "coder_1": coder_code[codings[0].coder_id], "score_1": codings[0].scores[scale],
                         "coder_2": coder_code[codings[1].coder_id], "score_2": codings[1].scores[scale],
                         "coded_on": timezone.localtime(coded_on).date().isoformat()})
    return rows


def segment_pairs(study, segments=None) -> list[dict]:
    qs = segments if segments is not None else Segment.objects.filter(study=study)
    out = []
    for seg in qs.filter(resolution__in=list(Resolution.double_coded())).prefetch_related("assignments"):
        codings = sorted(seg.assignments.all(), key=lambda a: (a.assigned_at, a.pk))[:2]
        out.append({"unit": seg.blind_code, "codes_1": set(codings[0].values), "codes_2": set(codings[1].values)})
    return out


def reliability(user, study) -> dict:
    """Reliability of the study's double-coded observations and theme codes, as the coding page shows it."""
    from nurture.analysis.coded import code_agreement, coder_drift, scale_reliability

    scoping.require_role(user, *READERS)
    recordings = visible_recordings(user).filter(study=study)
    segments = visible_segments(user).filter(study=study)
    cfg = coding_settings(study)
    scheme = schemes.rating_scheme(cfg.observation_scheme)
    names = {s.id: s.name for s in scheme.subscales}
    pairs = observation_pairs(study, recordings)
    book = schemes.codebook(cfg.feedback_codebook)
    return {
        "scheme": scheme, "codebook": book,
        "recordings": Counter(recordings.values_list("resolution", flat=True)),
        "segments": Counter(segments.values_list("resolution", flat=True)),
        "scales": scale_reliability(pairs, names),
        "drift": coder_drift(pairs, scale_names=names),
        "codes": code_agreement(segment_pairs(study, segments), [c.id for c in book.leaves],
                                {c.id: c.label for c in book.codes}),
    }
