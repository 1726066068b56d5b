"""Assessment workflows: scheduling, survey links, saving answers, submission,
corrections, paper double entry, reminders and expiry.

Safety rules run inside the same transaction that saves answers (see
``nurture.safety.domain.raise_alerts``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from nurture.accounts import audit, scoping
from nurture.accounts.enums import AuditAction
from nurture.common.errors import DomainError
from nurture.instruments import ResponseError, library
from nurture.instruments import score as score_instrument
from nurture.instruments.scoring import UNANSWERED_SAFETY
from nurture.participants.enums import EnrollmentStatus
from nurture.safety.domain import raise_alerts
from nurture.safety.enums import AlertPath

from . import rows
from .enums import AssessmentStatus, Entry, Source, Timepoint
from .models import Assessment, ItemResponse, ResponseRevision, Score, StudySettings, SurveyLink

#: The longest open-text answer kept (the column's size): a longer one is refused with the
#: page kept as typed, never cut short or lost to a database error.
TEXT_ANSWER_LIMIT = ItemResponse._meta.get_field("value").max_length


class InvalidLink(Exception):
    def __init__(self, reason: str):
        self.reason = reason  # "unknown", "expired", "revoked", "closed"
        super().__init__(reason)


class ConcurrentEdit(DomainError):
    """Someone else changed the assessment since the form was opened."""


@dataclass
class SaveResult:
    """What a save did for safety: the alerts it raised or made worse, and the topics of
    the urgent rules its answers meet now (the mother sees the crisis page for these,
    every time she saves such an answer, even when the alert already exists)."""

    alerts: list = field(default_factory=list)
    urgent_topics: set[str] = field(default_factory=set)

    @property
    def urgent(self) -> bool:
        return bool(self.urgent_topics) or any(a.severity == "urgent" for a in self.alerts)

    def __add__(self, other: SaveResult) -> SaveResult:
        return SaveResult(self.alerts + other.alerts, self.urgent_topics | other.urgent_topics)


def study_settings(study) -> StudySettings:
    row, _ = StudySettings.objects.get_or_create(study=study)
    return row


def post_window(pre_date: dt.date, cohort, cfg: StudySettings) -> tuple[dt.date, dt.date]:
    """The post window: 8–12 weeks after the pre-assessment by default.

    A 12-week curriculum would otherwise be asked for its post-assessment before the
    last session, so the window never opens before the cohort's final week and stays
    open at least as long as the configured width after it.
    """
    opens = pre_date + dt.timedelta(weeks=cfg.post_opens_weeks)
    closes = pre_date + dt.timedelta(weeks=cfg.post_closes_weeks)
    if cohort is not None:
        last = cohort.sessions.order_by("-date").values_list("date", flat=True).first()
        if last and last > opens:
            width = closes - opens
            opens, closes = last, max(closes, last + width)
    return opens, closes


def _window(dyad, timepoint: Timepoint, cfg: StudySettings) -> tuple[dt.date, dt.date]:
    if timepoint == Timepoint.SCREENING:
        return dyad.referred_on, dyad.referred_on + dt.timedelta(weeks=4)
    if timepoint == Timepoint.PRE:
        start = dyad.cohort.start_date if dyad.cohort else (dyad.enrolled_on or dyad.referred_on)
        anchor = dyad.enrolled_on or start
        return min(anchor, start) - dt.timedelta(days=14), start + dt.timedelta(days=14)
    pre = Assessment.objects.filter(dyad=dyad, timepoint=Timepoint.PRE).first()
    pre_date = (timezone.localdate(pre.completed_at) if pre and pre.completed_at else
                (dyad.cohort.start_date if dyad.cohort else dyad.enrolled_on or dyad.referred_on))
    return post_window(pre_date, dyad.cohort, cfg)


@transaction.atomic
def schedule_assessment(by, dyad, timepoint: Timepoint) -> Assessment:
    """Create the dyad's assessment for a timepoint (or return the existing one)."""
    timepoint = Timepoint(timepoint)
    scoping.check_manage(by, dyad.site_id)
    existing = Assessment.objects.filter(dyad=dyad, timepoint=timepoint).first()
    if existing:
        return existing
    if timepoint != Timepoint.SCREENING and dyad.status not in EnrollmentStatus.in_cohort():
        raise DomainError(f"{dyad.code} is not enrolled: only a screening assessment can be scheduled.")
    cfg = study_settings(dyad.study)
    opens, closes = _window(dyad, timepoint, cfg)
    battery = [i for i in cfg.battery.get(timepoint.value, []) if i in library()]
    if not battery:
        raise DomainError(f"The study has no instruments for the {timepoint.label} assessment.")
    assessment = Assessment.objects.create(dyad=dyad, timepoint=timepoint, instruments=battery, window_opens=opens,
                                           window_closes=closes, language=dyad.mother.language)
    audit.record(by, AuditAction.CREATE, assessment, site_id=dyad.site_id,
                 after={"timepoint": timepoint, "window": [opens, closes], "instruments": battery},
                 summary=f"Scheduled {timepoint.label} assessment for {dyad.code}")
    return assessment


@transaction.atomic
def issue_link(by, assessment: Assessment, now: dt.datetime | None = None, *, revoke_others: bool = False
               ) -> tuple[SurveyLink, str]:
    """Create a private survey link; returns the link and the token (shown once, never stored)."""
    scoping.check_manage(by, assessment.dyad.site_id)
    if not assessment.is_open:
        raise DomainError("This assessment is closed; it takes no more answers.")
    now = now or timezone.now()
    if revoke_others:
        SurveyLink.objects.filter(assessment=assessment, revoked_at__isnull=True).update(revoked_at=now)
    token = secrets.token_urlsafe(32)
    cfg = study_settings(assessment.dyad.study)
    link = SurveyLink.objects.create(assessment=assessment, token_hash=SurveyLink.hash_token(token),
                                     created_by=by, expires_at=now + dt.timedelta(days=cfg.link_valid_days))
    if assessment.status == AssessmentStatus.SCHEDULED:
        Assessment.objects.filter(pk=assessment.pk).update(status=AssessmentStatus.INVITED, version=F("version") + 1)
        assessment.refresh_from_db()
    audit.record(by, AuditAction.CREATE, link, site_id=assessment.dyad.site_id,
                 after={"expires_at": link.expires_at, "revoked_others": revoke_others},
                 summary=f"Survey link issued for {assessment}")
    return link, token


def survey_url(token: str) -> str:
    """The address a mother opens: always the site's own (``NURTURE_SITE_URL``), never one
    taken from a request or a browser."""
    from django.conf import settings

    return f"{settings.SITE_URL}/s/{token}/"


@transaction.atomic
def revoke_links(by, assessment: Assessment, now: dt.datetime | None = None) -> int:
    scoping.check_manage(by, assessment.dyad.site_id)
    count = SurveyLink.objects.filter(assessment=assessment, revoked_at__isnull=True).update(
        revoked_at=now or timezone.now())
    audit.record(by, AuditAction.UPDATE, assessment, site_id=assessment.dyad.site_id,
                 summary=f"Revoked {count} survey link(s) for {assessment}")
    return count


def revoke_dyad_links(by, dyad, now: dt.datetime | None = None, *, why: str = "") -> int:
    """Revoke every usable survey link of the dyad (she withdrew, was lost or completed):
    her link then answers 410 and takes no more answers. A coordinator can still issue a
    new link on purpose. Side effects: SurveyLink rows, an audit entry. Call inside the
    status change's transaction."""
    now = now or timezone.now()
    count = SurveyLink.objects.usable(now).filter(assessment__dyad=dyad).update(revoked_at=now)
    if count:
        audit.record(by, AuditAction.UPDATE, dyad, site_id=dyad.site_id, after={"links_revoked": count},
                     summary=f"Revoked {count} survey link(s) of {dyad.code}" + (f": {why}" if why else ""))
    return count


def resolve_token(token: str, now: dt.datetime | None = None) -> SurveyLink:
    """The link for a token, or InvalidLink saying why it cannot be used."""
    now = now or timezone.now()
    if not token or len(token) > 100:
        raise InvalidLink("unknown")
    link = rows.link_by_hash(SurveyLink.hash_token(token))
    if link is None:
        raise InvalidLink("unknown")
    if link.revoked_at is not None:
        raise InvalidLink("revoked")
    if link.expires_at <= now:
        raise InvalidLink("expired")
    if link.assessment.status in (AssessmentStatus.EXPIRED, AssessmentStatus.MISSED):
        raise InvalidLink("closed")
    return link


def _validate(assessment: Assessment, instrument_id: str, answers: dict[str, str]):
    if instrument_id not in assessment.instruments:
        raise DomainError(f"{instrument_id} is not part of this assessment.")
    inst = library().get(instrument_id)
    cleaned = {}
    for item_id, value in answers.items():
        value = "" if value is None else str(value).strip()
        if not inst.has_item(item_id):
            raise DomainError(f"{inst.short_name} has no item {item_id}.")
        if inst.item(item_id).kind == "text":
            value = value.replace("\x00", "")  # a NUL byte is no text (and PostgreSQL refuses it)
            if len(value) > TEXT_ANSWER_LIMIT:
                raise DomainError(f"The answer to {inst.short_name} item {item_id} is {len(value):,} characters "
                                  f"long; please keep it under {TEXT_ANSWER_LIMIT:,}.")
        cleaned[item_id] = _canonical(inst.item(item_id), value)
    try:
        score_instrument(inst, {k: v for k, v in cleaned.items() if v != ""})
    except ResponseError as exc:
        raise DomainError(exc.problem) from None
    return inst, cleaned


def _canonical(item, value: str) -> str:
    """A rated answer stored as its plain code ("1", not "1.0", "+1" or "1e0"; "na" in lower case)."""
    if item.kind != "rated" or value == "":
        return value
    if value.lower() == "na":
        return "na"
    try:
        number = float(value)
    except ValueError:
        return value  # the scorer refuses it with a clear message
    return str(int(number)) if number.is_integer() else value


def current_answers(assessment: Assessment, instrument_id: str, entry: Entry = Entry.FIRST) -> dict[str, str]:
    """Saved answers of one instrument: item id → value (first entry unless asked)."""
    return rows.answers(assessment.pk, instrument_id, entry)


def every_current_answer(assessment: Assessment, entry: Entry = Entry.FIRST) -> dict[str, dict[str, str]]:
    """Saved answers of every instrument, in one read: instrument → item id → value."""
    return rows.all_answers(assessment.pk, entry)


def _upsert(assessment, instrument_id, answers, by, entry=Entry.FIRST) -> dict[str, tuple[str, str]]:
    """Write answers; returns {item: (old, new)} for values that changed."""
    return _write(assessment, instrument_id, answers, by, entry)[0]


def _changes(stored: dict[str, tuple[int, str]], answers: dict[str, str]
             ) -> tuple[dict[str, tuple[str, str]], dict[str, str]]:
    """What writing ``answers`` over ``stored`` changes {item: (old, new)}, and every saved
    answer afterwards {item: value}. A blank answer to an item never answered writes nothing."""
    changes = {}
    for item_id, value in answers.items():
        old = stored[item_id][1] if item_id in stored else ""
        if old != value and (item_id in stored or value != ""):
            changes[item_id] = (old, value)
    saved = {item: value for item, (_, value) in stored.items()} | {k: new for k, (_, new) in changes.items()}
    return changes, saved


def _apply(assessment_id: int, instrument_id: str, stored, changes, by, entry=Entry.FIRST) -> None:
    """Write ``changes`` (from :func:`_changes` over ``stored``) in at most two statements:
    the new rows, and one UPDATE for the changed ones."""
    now, by_id = timezone.now(), getattr(by, "pk", None)
    new = [(item_id, value) for item_id, (_, value) in changes.items() if item_id not in stored]
    changed = [(stored[item_id][0], value) for item_id, (_, value) in changes.items() if item_id in stored]
    if new:
        rows.insert_answers(assessment_id, instrument_id, new, entry, by_id, now)
    if changed:
        rows.update_answers(changed, by_id, now)


def _write(assessment, instrument_id, answers, by, entry=Entry.FIRST):
    """Write answers; returns the changes {item: (old, new)} and every saved answer of the
    instrument afterwards {item: value}."""
    stored = rows.stored_answers(assessment.pk, instrument_id, entry)
    changes, saved = _changes(stored, answers)
    _apply(assessment.pk, instrument_id, stored, changes, by, entry)
    return changes, saved


def _score_saved(assessment: Assessment, instrument_id: str, entry: Entry = Entry.FIRST):
    answers = {k: v for k, v in current_answers(assessment, instrument_id, entry).items() if v != ""}
    return score_instrument(library().get(instrument_id), answers)


def _evaluate(assessment: Assessment, instrument_id: str, now, *, final: bool, path: AlertPath, by=None,
              result=None, entry: Entry = Entry.FIRST) -> SaveResult:
    """Run the instrument's safety rules on its saved answers (of one paper entry);
    raise alerts for new or worse flags.

    An unanswered safety item only counts once the assessment is submitted (``final``):
    before that the mother may still go back to it.
    """
    result = result or _score_saved(assessment, instrument_id, entry)
    alerts = raise_alerts(assessment, instrument_id, _alerting(result.flags, final=final), now, path=path, by=by)
    return SaveResult(alerts, {f.topic for f in result.flags if f.severity == "urgent"})


def _alerting(flags, *, final: bool) -> list:
    """The flags that raise alerts: an unanswered safety item only once the assessment is
    submitted (``final``); before that the mother may still go back to it."""
    return [f for f in flags if final or f.rule != UNANSWERED_SAFETY]


def safety_topics(assessment: Assessment, instruments: list[str] | None = None) -> dict[str, set[str]]:
    """What the mother should be shown now: ``{"urgent": topics, "follow_up": topics}``
    from the rules her saved answers meet, and from the unresolved alerts — of the whole
    assessment, or of the given instruments only."""
    topics = {"urgent": set(), "follow_up": set()}
    instruments = assessment.instruments if instruments is None else instruments
    answered = set(ItemResponse.objects.filter(assessment=assessment, instrument__in=instruments)
                   .values_list("instrument", flat=True).distinct())
    for instrument_id in instruments:
        if instrument_id in answered:
            for flag in _alerting(_score_saved(assessment, instrument_id).flags, final=False):
                topics[flag.severity].add(flag.topic)
    alerts = assessment.alerts.unresolved().filter(instrument__in=instruments).exclude(topic="unanswered")
    for severity, topic in alerts.values_list("severity", "topic"):
        topics[severity].add(topic)
    return topics


def _lock(assessment: Assessment) -> Assessment:
    return Assessment.objects.select_for_update().select_related("dyad").get(pk=assessment.pk)


@dataclass
class _SavePlan:
    """A save worked out from one reading of the assessment and its stored answers: what
    it writes and the scores (and safety flags) of everything saved afterwards."""

    status: str
    stored: dict[str, tuple[int, str]]
    changes: dict[str, tuple[str, str]]
    result: object


def _plan_save(assessment: Assessment, instrument_id: str, answers: dict[str, str]) -> _SavePlan:
    """Check, validate and score a save against the assessment as given and the answers
    stored now. Reads only."""
    if assessment.status in AssessmentStatus.closed() and assessment.status != AssessmentStatus.COMPLETED:
        raise DomainError("This assessment is closed.")
    if assessment.status == AssessmentStatus.COMPLETED:
        raise DomainError("This assessment has been submitted; answers can only be corrected by staff.")
    inst, cleaned = _validate(assessment, instrument_id, answers)
    stored = rows.stored_answers(assessment.pk, instrument_id, Entry.FIRST)
    changes, saved = _changes(stored, cleaned)
    # Safety rules run on every save, on everything saved for the instrument afterwards
    result = score_instrument(inst, {k: v for k, v in saved.items() if v != ""})
    return _SavePlan(assessment.status, stored, changes, result)


def save_answers(assessment: Assessment, instrument_id: str, answers: dict[str, str], *, by=None,
                 now: dt.datetime | None = None, path: AlertPath = AlertPath.SURVEY) -> SaveResult:
    """Save answers of one instrument (a page, or one answer as it is chosen, or a staff
    entry) and run its safety rules on everything saved for it.

    Idempotent: saving the same answers twice changes nothing and raises no second
    alert (a worse answer does). Side effects: ItemResponse rows, assessment
    status/version, Alert rows and queued notifications (same transaction), audit entry
    for staff changes.

    The save is worked out (validated and scored) before its transaction, which on SQLite
    holds the one write lock every save in the server queues for. Inside, the assessment's
    status and the stored answers are read again: the plan is used only if they are still
    the ones it was made from, else it is made again there. So the answers written, the
    scores and the safety rules always agree, and alerts are raised in the transaction
    that saves the answers.
    """
    now = now or timezone.now()
    plan = _plan_save(assessment, instrument_id, answers)
    with transaction.atomic():
        # The lock (PostgreSQL: the assessment's and the dyad's rows; SQLite: the transaction's write
        # lock) and the state it guards, in plain statements: while a save holds SQLite's write
        # lock, every other save waits.
        status = rows.locked_status(assessment.pk)
        if status != plan.status or rows.stored_answers(assessment.pk, instrument_id, Entry.FIRST) != plan.stored:
            assessment = Assessment.objects.get(pk=assessment.pk)  # someone saved in between: plan again
            plan = _plan_save(assessment, instrument_id, answers)
        _apply(assessment.pk, instrument_id, plan.stored, plan.changes, by)
        starts = status in (AssessmentStatus.SCHEDULED, AssessmentStatus.INVITED)
        if plan.changes or starts:
            rows.next_version(assessment.pk, started=(AssessmentStatus.IN_PROGRESS.value, now) if starts else None)
        if (by is not None and plan.changes) or _alerting(plan.result.flags, final=False):
            # An audit entry or an alert names the dyad, and an alert notes whether she has left
            # the study: read as it is now, under the lock.
            assessment = Assessment.objects.select_related("dyad").get(pk=assessment.pk)
        if by is not None and plan.changes:
            changes = plan.changes
            audit.record(by, AuditAction.UPDATE, assessment, site_id=assessment.dyad.site_id,
                         before={k: v[0] for k, v in changes.items()}, after={k: v[1] for k, v in changes.items()},
                         summary=f"Entered {instrument_id} answers for {assessment}")
        return _evaluate(assessment, instrument_id, now, final=False, path=path, by=by, result=plan.result)


def _rescore(assessment: Assessment, instrument_id: str, now, result=None) -> list[Score]:
    """Store the instrument's scores; earlier scores are kept, marked superseded."""
    return _store_scores(assessment, {instrument_id: result or _score_saved(assessment, instrument_id)}, now)


def _score_all(instruments: list[str], answers: dict[str, dict[str, str]]) -> dict[str, object]:
    """Each instrument scored on its saved answers (``answers`` from :func:`rows.all_answers`)."""
    return {instrument_id: score_instrument(library().get(instrument_id),
                                            {k: v for k, v in answers.get(instrument_id, {}).items() if v != ""})
            for instrument_id in instruments}


def submit_assessment(assessment: Assessment, *, by=None, now: dt.datetime | None = None,
                      path: AlertPath = AlertPath.SUBMISSION) -> SaveResult:
    """Complete the assessment: score every instrument, run every safety rule, close it.

    Submitting again (double click, back button, retry) returns the same result and
    writes nothing.

    Every instrument is scored before the transaction; inside it, her answers are read
    again and scored again only if they changed in between, so the stored scores and the
    safety rules are those of the answers as submitted.
    """
    now = now or timezone.now()
    answers = results = None
    if assessment.status in AssessmentStatus.open():  # (a second send of a submitted one scores nothing)
        answers = rows.all_answers(assessment.pk, Entry.FIRST)
        results = _score_all(list(assessment.instruments), answers)
    with transaction.atomic():
        assessment = _lock(assessment)
        if assessment.status == AssessmentStatus.COMPLETED:
            return SaveResult(alerts=list(assessment.alerts.all()))
        if assessment.status not in AssessmentStatus.open():
            raise DomainError("This assessment is closed.")
        submitted = rows.all_answers(assessment.pk, Entry.FIRST)
        if results is None or submitted != answers or list(results) != list(assessment.instruments):
            results = _score_all(list(assessment.instruments), submitted)  # saved in between
        _store_scores(assessment, results, now)
        for instrument_id, result in results.items():
            _evaluate(assessment, instrument_id, now, final=True, path=path, by=by, result=result)
        today = timezone.localdate(now)
        Assessment.objects.filter(pk=assessment.pk).update(
            status=AssessmentStatus.COMPLETED, completed_at=now, out_of_window=not assessment.in_window(today),
            started_at=assessment.started_at or now, version=F("version") + 1,
            entered_by=by if by is not None else assessment.entered_by)
        audit.record(by, AuditAction.UPDATE, assessment, site_id=assessment.dyad.site_id,
                     after={"status": "completed", "out_of_window": not assessment.in_window(today)},
                     summary=f"{assessment} completed")
        if assessment.timepoint == Timepoint.PRE:
            _move_post_window(assessment, today)
        return SaveResult(alerts=list(assessment.alerts.all()))


def _store_scores(assessment: Assessment, results: dict[str, object], now) -> list[Score]:
    """Store the scores of several instruments (instrument → result) in two statements;
    their earlier scores are kept, marked superseded."""
    Score.objects.filter(assessment=assessment, instrument__in=list(results), superseded_at__isnull=True).update(
        superseded_at=now)
    return Score.objects.bulk_create(
        Score(assessment=assessment, instrument=instrument_id, scale=s.scale, score=s.score, n_items=s.n_items,
              band=s.band or "", prorated=s.prorated, missing_reason=s.missing_reason or "",
              instrument_version=s.instrument_version, scoring_version=s.scoring_version, computed_at=now)
        for instrument_id, result in results.items() for s in result.scales)


def _move_post_window(pre: Assessment, completed_on: dt.date) -> None:
    post = Assessment.objects.filter(dyad=pre.dyad, timepoint=Timepoint.POST,
                                     status__in=list(AssessmentStatus.open())).first()
    if post:
        opens, closes = post_window(completed_on, pre.dyad.cohort, study_settings(pre.dyad.study))
        Assessment.objects.filter(pk=post.pk).update(window_opens=opens, window_closes=closes)


@transaction.atomic
def correct_response(by, assessment: Assessment, instrument_id: str, item_id: str, new_value: str, *, reason: str,
                     expected_version: int, now: dt.datetime | None = None) -> SaveResult:
    """Correct one answer (staff only): keeps the old value, re-scores, re-runs safety. Audited.

    ``expected_version`` is the assessment version the form was opened with; if another
    user changed the assessment since, the correction is refused (nothing is lost).
    """
    scoping.check_manage(by, assessment.dyad.site_id)
    now = now or timezone.now()
    assessment = _lock(assessment)
    if assessment.version != expected_version:
        raise ConcurrentEdit("Someone else changed this assessment while you were editing. Reload to see their "
                             "change, then correct again.")
    if not reason.strip():
        raise DomainError("Give a reason for the correction.")
    _, cleaned = _validate(assessment, instrument_id, {item_id: new_value})
    row = ItemResponse.objects.filter(assessment=assessment, instrument=instrument_id, item=item_id,
                                      entry=Entry.FIRST).first()
    old = row.value if row else ""
    if old == cleaned[item_id]:
        raise DomainError("The new value is the same as the current one.")
    _upsert(assessment, instrument_id, cleaned, by)
    row = ItemResponse.objects.get(assessment=assessment, instrument=instrument_id, item=item_id, entry=Entry.FIRST)
    ResponseRevision.objects.create(response=row, old_value=old, new_value=cleaned[item_id], reason=reason.strip(),
                                    by=by)
    Assessment.objects.filter(pk=assessment.pk).update(version=F("version") + 1)
    before_scores = {s.scale: s.score for s in Score.objects.current().filter(assessment=assessment,
                                                                               instrument=instrument_id)}
    after_scores = {}
    if assessment.status == AssessmentStatus.COMPLETED:
        after_scores = {s.scale: s.score for s in _rescore(assessment, instrument_id, now)}
    audit.record(by, AuditAction.UPDATE, row, site_id=assessment.dyad.site_id,
                 before={"value": old, "scores": before_scores},
                 after={"value": cleaned[item_id], "scores": after_scores, "reason": reason.strip()},
                 summary=f"Corrected {instrument_id} item {item_id} of {assessment}")
    final = assessment.status == AssessmentStatus.COMPLETED
    return _evaluate(assessment, instrument_id, now, final=final, path=AlertPath.CORRECTION, by=by)


@transaction.atomic
def enter_paper_form(by, assessment: Assessment, instrument_id: str, answers: dict[str, str], *,
                     entry: Entry = Entry.FIRST, expected_version: int | None = None,
                     now: dt.datetime | None = None) -> SaveResult:
    """Staff entry of a paper form. The first entry is the record (and runs safety);
    a second entry by another user is kept apart for the comparison screen."""
    scoping.check_manage(by, assessment.dyad.site_id)
    now = now or timezone.now()
    locked = _lock(assessment)
    if expected_version is not None and locked.version != expected_version:
        raise ConcurrentEdit("Someone else changed this assessment while you were entering it. Reload and check "
                             "before entering again.")
    if entry == Entry.FIRST:
        if locked.source != Source.PAPER:
            Assessment.objects.filter(pk=locked.pk).update(source=Source.PAPER)
        return save_answers(locked, instrument_id, answers, by=by, now=now, path=AlertPath.PAPER_FIRST)
    first_by = (ItemResponse.objects.filter(assessment=locked, instrument=instrument_id, entry=Entry.FIRST)
                .values_list("entered_by", flat=True).first())
    if first_by is None:
        raise DomainError("Enter the form once before the second (checking) entry.")
    if first_by == by.pk:
        raise DomainError("The second entry must be made by someone other than the first.")
    _, cleaned = _validate(locked, instrument_id, answers)
    _upsert(locked, instrument_id, cleaned, by, entry=Entry.SECOND)
    Assessment.objects.filter(pk=locked.pk).update(version=F("version") + 1)
    audit.record(by, AuditAction.CREATE, locked, site_id=locked.dyad.site_id,
                 summary=f"Second entry of {instrument_id} for {locked}")
    # A risk answer in the checking entry alerts now, before anyone reconciles the two
    # entries: the paper form may say what the first typist missed.
    return _evaluate(locked, instrument_id, now, final=False, path=AlertPath.PAPER_SECOND, by=by,
                     entry=Entry.SECOND)


def compare_entries(assessment: Assessment, instrument_id: str) -> list[dict]:
    """Items whose first and second paper entries differ (empty when they agree)."""
    first = current_answers(assessment, instrument_id, Entry.FIRST)
    second = current_answers(assessment, instrument_id, Entry.SECOND)
    if not second:
        return []
    inst = library().get(instrument_id)
    return [{"item": item.id, "label": item.label["en"], "first": first.get(item.id, ""),
             "second": second.get(item.id, "")}
            for item in inst.items if first.get(item.id, "") != second.get(item.id, "")]


RECONCILE_REASON = "Double-entry reconciliation against the paper form"


@transaction.atomic
def reconcile_entries(by, assessment: Assessment, instrument_id: str, chosen: dict[str, str], *,
                      expected_version: int, now: dt.datetime | None = None) -> SaveResult:
    """Settle the differences between the first and second paper entries of one instrument.

    ``chosen`` gives, for every item where the entries differ, the value read again on
    the paper form (one of the two entered). That value becomes both entries: a change
    to the record (the first entry) keeps the old value as a revision, re-scores a
    submitted assessment and runs the safety rules again, like a correction. Refused
    when an item is left undecided, when a value is neither entry, or when someone
    changed the assessment since the page was opened (``expected_version``).
    Side effects: ItemResponse rows (both entries), ResponseRevision rows, Score rows
    (submitted assessments), Alert rows and queued notifications, one audit entry.
    """
    scoping.check_manage(by, assessment.dyad.site_id)
    now = now or timezone.now()
    assessment = _lock(assessment)
    if assessment.version != expected_version:
        raise ConcurrentEdit(gettext("Someone else changed this assessment while you were comparing. Reload to see "
                               "their change, then reconcile again."))
    differences = {d["item"]: d for d in compare_entries(assessment, instrument_id)}
    undecided = [item for item in differences if item not in chosen]
    if undecided:
        raise DomainError(gettext("Choose the value on the paper form for item %(items)s.")
                          % {"items": ", ".join(undecided)})
    for item_id, value in chosen.items():
        if item_id not in differences or value not in (differences[item_id]["first"], differences[item_id]["second"]):
            raise DomainError(gettext("Item %(item)s: choose one of the two entered values.") % {"item": item_id})
    _, cleaned = _validate(assessment, instrument_id, chosen)
    to_record = {k: v for k, v in cleaned.items() if v != differences[k]["first"]}
    _upsert(assessment, instrument_id, to_record, by)
    for item_id, value in to_record.items():
        row = ItemResponse.objects.get(assessment=assessment, instrument=instrument_id, item=item_id,
                                       entry=Entry.FIRST)
        ResponseRevision.objects.create(response=row, old_value=differences[item_id]["first"], new_value=value,
                                        reason=RECONCILE_REASON, by=by)
    _upsert(assessment, instrument_id, cleaned, by, entry=Entry.SECOND)
    Assessment.objects.filter(pk=assessment.pk).update(version=F("version") + 1)
    submitted = assessment.status == AssessmentStatus.COMPLETED
    if submitted and to_record:
        _rescore(assessment, instrument_id, now)
    audit.record(by, AuditAction.UPDATE, assessment, site_id=assessment.dyad.site_id,
                 before={k: differences[k]["first"] for k in to_record}, after=to_record,
                 summary=f"Reconciled {len(cleaned)} double-entry difference(s) of {instrument_id} for {assessment}")
    if not to_record:
        return SaveResult()
    return _evaluate(assessment, instrument_id, now, final=submitted, path=AlertPath.CORRECTION, by=by)


def close_expired(now: dt.datetime | None = None) -> int:
    """Open assessments whose window closed more than two weeks ago become missed
    (never started) or expired (started, not submitted)."""
    now = now or timezone.now()
    cutoff = timezone.localdate(now) - dt.timedelta(days=14)
    stale = Assessment.objects.open().filter(window_closes__lt=cutoff)
    missed = stale.filter(status__in=[AssessmentStatus.SCHEDULED, AssessmentStatus.INVITED]).update(
        status=AssessmentStatus.MISSED)
    expired = stale.filter(status=AssessmentStatus.IN_PROGRESS).update(status=AssessmentStatus.EXPIRED)
    return missed + expired


def post_due(dyads, today) -> dict[int, bool]:
    """Whether each enrolled dyad's post-assessment is due: completed, or its window closed before ``today``.

    The one definition behind retention "among dyads due" — in bundles (``post_due``) and
    on the evaluation page at a glance. Reads only.

    A dyad without a scheduled post-assessment gets the window the capture rules would
    give it (from its completed pre-assessment, else the cohort start).
    """

    due: dict[int, bool] = {}
    by_dyad: dict[int, dict[str, Assessment]] = {}
    for a in Assessment.objects.filter(dyad__in=[d.pk for d in dyads], timepoint__in=["pre", "post"]):
        by_dyad.setdefault(a.dyad_id, {})[a.timepoint] = a
    settings_of: dict[int, StudySettings] = {}
    for d in dyads:
        if d.status not in EnrollmentStatus.in_cohort() or d.cohort is None:
            continue
        mine = by_dyad.get(d.pk, {})
        post = mine.get("post")
        if post is not None and post.status == AssessmentStatus.COMPLETED:
            due[d.pk] = True
            continue
        if post is not None:
            closes = post.window_closes
        else:
            pre = mine.get("pre")
            pre_date = timezone.localdate(pre.completed_at) if pre and pre.completed_at else d.cohort.start_date
            cfg = settings_of.get(d.study_id)
            if cfg is None:
                cfg = settings_of[d.study_id] = (StudySettings.objects.filter(study_id=d.study_id).first()
                                                 or StudySettings(study_id=d.study_id))
            closes = post_window(pre_date, d.cohort, cfg)[1]
        due[d.pk] = closes < today
    return due
