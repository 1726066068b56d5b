"""Importing answers collected elsewhere (a REDCap project) into the study's assessments.

Imported answers take the same road as answers typed on the survey or a paper form —
:func:`~nurture.capture.domain.schedule_assessment`, :func:`~nurture.capture.domain.save_answers`
and :func:`~nurture.capture.domain.submit_assessment` — so they are validated, scored
with the current scoring version, audited, and run through every safety rule: a risk
answer imported from REDCap raises its alert exactly as one given on the phone.

The whole import is one transaction: a problem anywhere (an unknown dyad, a timepoint
the study does not use, an answer that contradicts one already in Nurture) raises
:class:`~nurture.common.errors.DomainError` and nothing at all is kept — no assessment,
answer, score, alert or audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from nurture.accounts import audit
from nurture.accounts.enums import AuditAction
from nurture.common.errors import DomainError
from nurture.participants.models import Dyad
from nurture.safety.enums import AlertPath

from . import domain
from .enums import AssessmentStatus, Source, Timepoint
from .models import Assessment, ItemResponse


@dataclass
class ImportOutcome:
    assessments_created: int = 0
    assessments_completed: int = 0  # created or open before, completed by this import
    assessments_unchanged: int = 0  # already completed in Nurture with exactly these answers
    answers_saved: int = 0
    alerts: list = field(default_factory=list)  # Alert rows raised by the imported answers

    def as_dict(self) -> dict:
        return {"assessments_created": self.assessments_created, "assessments_completed": self.assessments_completed,
                "assessments_unchanged": self.assessments_unchanged, "answers_saved": self.answers_saved,
                "alerts": [{"id": a.pk, "dyad": a.dyad.code, "instrument": a.instrument, "rule": a.rule,
                            "severity": a.severity} for a in self.alerts]}


def study_timepoints(study) -> tuple[str, ...]:
    """The timepoints a study assesses (those whose battery has instruments)."""
    battery = domain.study_settings(study).battery
    return tuple(tp.value for tp in Timepoint if battery.get(tp.value))


def _grouped(answers: Iterable[dict]) -> dict[tuple[str, str], dict[str, dict[str, str]]]:
    out: dict[tuple[str, str], dict[str, dict[str, str]]] = {}
    for a in answers:
        key = (str(a["participant_id"]), str(a["timepoint"]))
        out.setdefault(key, {}).setdefault(str(a["instrument"]), {})[str(a["item"])] = str(a["value"])
    return out


@transaction.atomic
def import_answers(by, study, answers: Iterable[dict], *, source_name: str,
                   now: dt.datetime | None = None) -> ImportOutcome:
    """Load answers (``participant_id`` = the dyad's study id, ``timepoint``, ``instrument``,
    ``item``, ``value``) into the study, one completed assessment per dyad and timepoint.

    An assessment already completed in Nurture with the same answers is left as it is
    (importing a file twice changes nothing); with different answers the import is
    refused — an import never overwrites an answer (staff correct answers one by one,
    with a reason).

    Side effects, all in one transaction: Assessment rows (source "import" when the
    import gives them their answers), ItemResponse rows, Score rows, Alert rows (their
    notifications go out after commit), an audit entry per assessment and one for the
    import. Raises DomainError (and keeps nothing) on any problem.
    """
    now = now or timezone.now()
    outcome = ImportOutcome()
    timepoints = study_timepoints(study)
    alerts: dict[int, object] = {}
    grouped = _grouped(answers)
    dyads = {d.code: d for d in Dyad.objects.filter(study=study, code__in={pid for pid, _ in grouped})
             .select_related("site", "mother", "cohort", "study")}
    for (pid, timepoint), instruments in sorted(grouped.items()):
        dyad = dyads.get(pid)
        if dyad is None:
            raise DomainError(f"{pid!r} is not a dyad of study {study.slug!r} (imported ids must be Nurture study "
                              "ids: set participant_id: in the mapping to the field that holds them)")
        if timepoint not in timepoints:
            raise DomainError(f"{pid} {timepoint}: {timepoint!r} is not a timepoint of study {study.slug!r} "
                              f"({', '.join(timepoints)})")
        where = f"{pid} {timepoint}"
        assessment = Assessment.objects.filter(dyad=dyad, timepoint=timepoint).first()
        created = assessment is None
        if assessment is not None and assessment.status == AssessmentStatus.COMPLETED:
            _check_same(assessment, instruments, where)
            outcome.assessments_unchanged += 1
            continue
        if assessment is not None and assessment.status not in AssessmentStatus.open():
            raise DomainError(f"{where}: the assessment is {assessment.get_status_display().lower()} in Nurture; "
                              "an import does not reopen it")
        try:
            assessment = assessment or domain.schedule_assessment(by, dyad, Timepoint(timepoint))
        except DomainError as exc:
            raise DomainError(f"{where}: {exc}") from None
        if assessment is not None and not created:
            _check_no_conflict(assessment, instruments, where)
        had_answers = ItemResponse.objects.filter(assessment=assessment).exclude(value="").exists()
        battery = list(assessment.instruments) + [i for i in instruments if i not in assessment.instruments]
        fields = {"instruments": battery}
        if not had_answers:
            fields["source"] = Source.IMPORT
        Assessment.objects.filter(pk=assessment.pk).update(**fields)
        assessment.refresh_from_db()
        for instrument_id, values in instruments.items():
            try:
                result = domain.save_answers(assessment, instrument_id, values, by=by, now=now,
                                             path=AlertPath.IMPORT)
            except DomainError as exc:
                raise DomainError(f"{where} {instrument_id}: {exc}") from None
            alerts.update({a.pk: a for a in getattr(result, "alerts", [])})
            outcome.answers_saved += len(values)
        result = domain.submit_assessment(assessment, by=by, now=now, path=AlertPath.IMPORT)
        alerts.update({a.pk: a for a in getattr(result, "alerts", []) if a.created_at >= now})
        outcome.assessments_created += int(created)
        outcome.assessments_completed += 1
        audit.record(by, AuditAction.CREATE if created else AuditAction.UPDATE, assessment,
                     site_id=dyad.site_id, after={"source": source_name, "answers": instruments},
                     summary=f"Imported {sum(len(v) for v in instruments.values())} answers "
                             f"({', '.join(instruments)}) for {assessment} from {source_name}")
    outcome.alerts = sorted(alerts.values(), key=lambda a: a.pk)
    audit.record(by, AuditAction.CREATE, object_type="program.Study", object_id=str(study.pk),
                 summary=f"Import from {source_name}: {outcome.answers_saved} answers, "
                         f"{outcome.assessments_completed} assessments completed, {len(outcome.alerts)} alerts",
                 after=outcome.as_dict())
    return outcome


def _stored(assessment: Assessment, instrument_id: str) -> dict[str, str]:
    return {k: v for k, v in domain.current_answers(assessment, instrument_id).items() if v != ""}


def _check_same(assessment: Assessment, instruments: dict[str, dict[str, str]], where: str) -> None:
    for instrument_id, values in instruments.items():
        stored = _stored(assessment, instrument_id)
        if stored != values:
            item = next((k for k in sorted(set(stored) | set(values)) if stored.get(k) != values.get(k)), "?")
            raise DomainError(f"{where}: {instrument_id} is already completed in Nurture with other answers (item "
                              f"{item}: {values.get(item, 'blank')!r} here, {stored.get(item, 'blank')!r} there); an "
                              "import never overwrites answers — correct them in Nurture if they are wrong")


def _check_no_conflict(assessment: Assessment, instruments: dict[str, dict[str, str]], where: str) -> None:
    for instrument_id, values in instruments.items():
        stored = _stored(assessment, instrument_id)
        clash = next((k for k in sorted(stored) if k in values and stored[k] != values[k]), None)
        if clash is not None:
            raise DomainError(f"{where}: {instrument_id} item {clash} is already answered in Nurture "
                              f"({stored[clash]!r}, here {values[clash]!r}); an import never overwrites answers")
