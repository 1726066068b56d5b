"""Database → study bundle (DESIGN §5.3): the only bridge from the database to analysis.

De-identified mode drops every identifier, replaces study ids with pseudonyms (one key
per export call, shared by every file of the call — see ``pseudonyms``; the key stays
on the server, never in the bundle), turns calendar dates
into day offsets — from each dyad's enrollment (its referral when never enrolled) for
dyad dates, from the cohort's start for session dates — and leaves out free text
unless asked, with a warning.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import secrets
import threading
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from django.db.models import Prefetch
from django.utils import timezone, translation

from nurture.accounts import audit, redaction, scoping
from nurture.accounts.enums import AuditAction, Role
from nurture.capture.enums import AssessmentStatus, Entry
from nurture.capture.models import ItemResponse, Score
from nurture.coding.domain import identifier_pattern
from nurture.coding.text import redact
from nurture.common.errors import DomainError, NotPermitted
from nurture.instruments import library
from nurture.participants.enums import EndReason, EnrollmentStatus
from nurture.participants.models import Dyad, Screening
from nurture.program.enums import AttendanceStatus
from nurture.program.models import Attendance, FidelityChecklist, Session
from nurture.safety.enums import AlertOutcome

from .cells import neutralise_columns
from .coded import OBSERVATION_COLUMNS, SEGMENT_COLUMNS, coded_tables
from .pseudonyms import PseudonymKey

BUNDLE_SCHEMA = "nurture.bundle/3"
FILES = ["participants.csv", "sessions.csv", "attendance.csv", "item_responses.csv", "scores.csv", "feedback.csv",
         "fidelity.csv", "observations.csv", "coded_segments.csv", "alerts.csv"]
ALERT_COLUMNS = ["participant_id", "instrument", "rule", "severity", "timepoint", "raised_on", "status",
                 "minutes_to_acknowledgement", "minutes_to_close", "outcome", "raised_again", "target_minutes"]


@dataclass
class BundleData:
    tables: dict[str, pd.DataFrame]
    manifest: dict
    key: dict[str, str] = field(default_factory=dict)  # pseudonym -> study id (de-identified only)
    warnings: list[str] = field(default_factory=list)
    open_answers: pd.DataFrame | None = None  # open-question answers with their timepoint (for REDCap)


def _iso(d) -> str:
    return d.isoformat() if d else ""


def _delivery(modes: set[str]) -> str:
    if modes == {"online"}:
        return "online"
    return "hybrid" if "online" in modes else "in_person"


def _month_index(day, first) -> int | str:
    return (day.year - first.year) * 12 + day.month - first.month + 1 if day and first else ""


def collect(by, study, *, deidentified: bool, free_text: bool = False,
            pseudonyms: PseudonymKey | None = None, today: dt.date | None = None) -> BundleData:
    """Build every bundle table for the dyads of ``study`` that ``by`` may see, as of ``today`` (the data date).

    ``pseudonyms`` is the export call's key (a fresh one when not given).
    """
    today = today or timezone.localdate()
    if by is not None:
        role = scoping.role_of(by)
        if role is None or role in (Role.FACILITATOR, Role.CODER):
            raise NotPermitted("Only coordinators, researchers and administrators export data.")
        if role == Role.RESEARCHER and not deidentified:
            raise NotPermitted("Researchers can only export de-identified bundles.")
        if role == Role.RESEARCHER and free_text:
            # the redaction policy: staff-typed and open free text reaches researchers only
            # after a coordinator has checked it and exported it herself
            raise NotPermitted("Researchers cannot download free text; ask a coordinator for it.")
    dyads_qs = (scoping.visible_dyads(by) if by is not None else Dyad.objects.all()).filter(study=study)
    dyads = list(dyads_qs.select_related("mother", "cohort__curriculum", "site")
                 .prefetch_related("infants", Prefetch("screenings", Screening.objects.order_by("-screened_on", "-id")))
                 .order_by("code"))
    warnings: list[str] = []
    pseudonym: dict[int, str] = {}
    key: dict[str, str] = {}
    if deidentified:
        pseudonyms = pseudonyms if pseudonyms is not None else PseudonymKey()
        for d in dyads:
            pseudonym[d.pk] = pseudonyms.pseudonym_for(d.code)
            key[pseudonym[d.pk]] = d.code
    pid = {d.pk: pseudonym.get(d.pk, d.code) for d in dyads}
    anchor = {d.pk: redaction.dyad_anchor(d) for d in dyads}

    policy = redaction.export_policy(deidentified=deidentified, free_text=free_text)

    def dyad_date(d, value):
        if value is None:
            return ""
        return value.isoformat() if policy.exact_dates else str(redaction.day_offset(value, anchor[d.pk]))

    cohort_ids = {d.cohort_id for d in dyads if d.cohort_id}
    sessions = list(Session.objects.filter(cohort_id__in=cohort_ids).select_related("cohort").order_by("cohort", "week",
                                                                                                       "component"))
    modes: dict[int, set[str]] = {}
    for s in sessions:
        modes.setdefault(s.cohort_id, set()).add(s.mode)

    from nurture.participants.eligibility import CRITERIA

    withheld = deidentified and not free_text
    from nurture.capture.domain import post_due as post_due_of

    post_due = post_due_of(dyads, today)
    first_referral = min((d.referred_on for d in dyads), default=None)
    session_dates: dict[int, list] = {}
    for s in sessions:
        session_dates.setdefault(s.cohort_id, []).append((s.date, s.week))
    people = []
    for d in dyads:
        screening = d.screenings.all()[0] if d.screenings.all() else None
        infant = d.index_infant
        ended = d.status in (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.LOST)
        if ended:
            # Typed by staff, so it is free text: withheld from a de-identified bundle unless asked for.
            reason = "reason withheld (free text)" if withheld and d.end_reason else d.end_reason
        elif d.status == EnrollmentStatus.INELIGIBLE and screening:
            # The unmet criteria are our own wording; the screener's note is free text.
            reason = "; ".join(label for k, label in CRITERIA.items() if screening.criteria.get(k) is False) \
                if withheld else screening.reason
        else:
            reason = ""
        people.append({
            "participant_id": pid[d.pk], "cohort": d.cohort.name if d.cohort else "", "status": d.status,
            "site": d.site.code, "curriculum_weeks": d.cohort.curriculum.weeks if d.cohort else "",
            "delivery": _delivery(modes.get(d.cohort_id, set())) if d.cohort else "",
            "referred_on": dyad_date(d, d.referred_on), "screened_on": dyad_date(d, d.screened_on),
            "eligible": "" if screening is None else str(screening.eligible).lower(),
            "consented_on": dyad_date(d, d.consented_on), "enrolled_on": dyad_date(d, d.enrolled_on),
            "withdrawn_on": dyad_date(d, d.ended_on) if ended else "", "withdrawal_reason": reason,
            "mother_age": d.mother.age_at_referral if d.mother.age_at_referral is not None else "",
            "primiparous": "" if d.mother.primiparous is None else str(d.mother.primiparous).lower(),
            "infant_age_weeks": infant.age_weeks_at_referral if infant and infant.age_weeks_at_referral is not None
            else "",
            "language": d.mother.language,
            # Version 3: categories that travel with every bundle, and the denominators at the data date.
            "reason_code": _reason_code(d, screening, ended),
            "post_due": "" if d.pk not in post_due else str(post_due[d.pk]).lower(),
            "first_week": _first_week(d, session_dates.get(d.cohort_id, [])),
            "referral_month": _month_index(d.referred_on, first_referral),
            "enrollment_month": _month_index(d.enrolled_on, first_referral),
        })
    cohort_start = {s.cohort_id: s.cohort.start_date for s in sessions}
    session_rows = [{"session_id": s.code, "cohort": s.cohort.name, "week": s.week, "component": s.component,
                     "date": str((s.date - cohort_start[s.cohort_id]).days) if deidentified else s.date.isoformat(),
                     "mode": s.mode, "held": str(s.date <= today).lower()} for s in sessions]
    code_of_session = {s.pk: s.code for s in sessions}
    # The large tables are read as plain rows (values_list): building a model instance per
    # row was most of the time of a bundle (the evaluation page builds one on every view).
    attendance = [{"participant_id": pid[dyad_id], "session_id": code_of_session[session_id], "status": status}
                  for dyad_id, session_id, status in
                  Attendance.objects.filter(dyad__in=[d.pk for d in dyads]).order_by("dyad__code", "session")
                  .values_list("dyad_id", "session_id", "status")
                  if session_id in code_of_session]
    fidelity = [{"session_id": code_of_session[f.session_id], "items_planned": len(f.planned),
                 "items_delivered": len(f.delivered)}
                for f in FidelityChecklist.objects.filter(session_id__in=list(code_of_session)).order_by("session")]

    coded = coded_tables(study, dyads, pid, deidentified=deidentified, text_allowed=not withheld,
                         dyad_date=dyad_date)
    names = identifier_pattern(study) if deidentified and free_text else None
    lib = library()
    text_items = {(inst.id, item.id) for inst in lib for item in inst.items if item.kind == "text"}
    responses = (ItemResponse.objects.filter(assessment__dyad__in=[d.pk for d in dyads], entry=Entry.FIRST,
                                             assessment__timepoint__in=["pre", "post"])
                 .exclude(value="").order_by("assessment__dyad__code", "assessment", "instrument", "id")
                 .values_list("pk", "assessment__dyad_id", "assessment__timepoint", "instrument", "item", "value"))
    items, feedback, open_answers = [], [], []
    for response_pk, dyad_id, timepoint, instrument, item, value in responses:
        row = {"participant_id": pid[dyad_id], "timepoint": timepoint, "instrument": instrument, "item": item,
               "value": value}
        if (instrument, item) in text_items:
            if deidentified and not free_text:
                continue
            # The one redaction policy: names, contacts and addresses replaced, as coders see them.
            answer = redact(value, names) if deidentified else value
            feedback.append({"participant_id": row["participant_id"], "question": item, "text": answer,
                             "themes": ";".join(coded["themes_of_response"].get(response_pk, []))})
            open_answers.append(row | {"value": answer})
            continue
        items.append(row)
    if withheld:
        warnings.append("Free text (open answers, withdrawal reasons, screening notes) was left out of this "
                        "de-identified export; ask for it explicitly once it has been checked for identifying "
                        "details.")
    if deidentified and free_text:
        warnings.append("Free-text answers are included with the study's names, e-mail addresses, phone numbers and "
                        "street addresses replaced; other identifying details may remain.")
    dyad_of = {d.pk: d for d in dyads}
    scores = []
    for dyad_id, timepoint, instrument, scale, score, n_items, band, completed_at in (
            Score.objects.current().filter(assessment__dyad__in=[d.pk for d in dyads],
                                           assessment__status=AssessmentStatus.COMPLETED,
                                           assessment__timepoint__in=["pre", "post"])
            .order_by("assessment__dyad__code", "assessment", "instrument", "id")
            .values_list("assessment__dyad_id", "assessment__timepoint", "instrument", "scale", "score", "n_items",
                         "band", "assessment__completed_at")):
        d = dyad_of[dyad_id]
        done = timezone.localdate(completed_at) if completed_at else None
        scores.append({"participant_id": pid[d.pk], "timepoint": timepoint, "instrument": instrument,
                       "scale": scale, "score": "" if score is None else f"{score:g}", "n_items": n_items,
                       "band": band, "administered_on": dyad_date(d, done)})
    columns = {
        "participants.csv": list(people[0]) if people else ["participant_id", "cohort", "status"],
        "sessions.csv": ["session_id", "cohort", "week", "component", "date", "mode", "held"],
        "attendance.csv": ["participant_id", "session_id", "status"],
        "item_responses.csv": ["participant_id", "timepoint", "instrument", "item", "value"],
        "scores.csv": ["participant_id", "timepoint", "instrument", "scale", "score", "n_items", "band",
                       "administered_on"],
        "feedback.csv": ["participant_id", "question", "text", "themes"],
        "fidelity.csv": ["session_id", "items_planned", "items_delivered"],
        "observations.csv": OBSERVATION_COLUMNS,
        "coded_segments.csv": SEGMENT_COLUMNS,
        "alerts.csv": ALERT_COLUMNS,
    }
    rows = {"participants.csv": people, "sessions.csv": session_rows, "attendance.csv": attendance,
            "item_responses.csv": items, "scores.csv": scores, "feedback.csv": feedback, "fidelity.csv": fidelity,
            "observations.csv": coded["observations.csv"], "coded_segments.csv": coded["coded_segments.csv"],
            "alerts.csv": _alerts(dyads, pid, dyad_date)}
    tables = {name: pd.DataFrame(rows[name], columns=columns[name]) for name in FILES}
    used_instruments = sorted({r["instrument"] for r in items} | {r["instrument"] for r in scores})
    manifest = {
        "schema": BUNDLE_SCHEMA, "study": {"slug": study.slug, "name": study.name},
        "exported_at": timezone.now().isoformat(timespec="seconds"), "deidentified": deidentified,
        "dates": "day offsets (dyad dates from enrollment, or referral if never enrolled; session dates from the "
                 "cohort start)" if deidentified else "calendar dates",
        "free_text": (not deidentified) or free_text,
        "instruments": {i: {"version": lib.get(i).version, "scoring_version": lib.get(i).scoring_version}
                        for i in used_instruments if i in lib},
        "attendance_statuses": [s.value for s in AttendanceStatus],
        "data_date": today.isoformat(),
        "primary_measures": study.primary_measure_list(),
        "escalation_minutes": _escalation_minutes(dyads),
        "reason_labels": dict(EndReason.choices),
        "criteria_labels": dict(CRITERIA),
        "alert_outcome_labels": dict(AlertOutcome.choices),
        "coding": coded["manifest"],
        "warnings": warnings,
    }
    return BundleData(tables=tables, manifest=manifest, key=key, warnings=warnings,
                      open_answers=pd.DataFrame(open_answers, columns=columns["item_responses.csv"]))


def _reason_code(d, screening, ended: bool) -> str:
    """The category of why a dyad left: unmet eligibility criteria (;-separated keys) or an ``EndReason``."""
    if d.status == EnrollmentStatus.INELIGIBLE and screening:
        from nurture.participants.eligibility import CRITERIA

        # In the order the criteria are asked (PostgreSQL's jsonb keeps its own key order).
        unmet = [k for k, met in screening.criteria.items() if not met]
        return ";".join(sorted(unmet, key=lambda k: (list(CRITERIA).index(k) if k in CRITERIA else len(CRITERIA), k)))
    return d.end_reason_code if ended else ""


def _first_week(d, dates_weeks: list) -> int | str:
    """The first program week held on or after the dyad's enrollment (1 when she joined before the start)."""
    if d.cohort_id is None or d.enrolled_on is None or not dates_weeks:
        return ""
    later = [week for day, week in dates_weeks if day >= d.enrolled_on]
    return min(later) if later else ""


def _escalation_minutes(dyads) -> int | None:
    """The sites' acknowledgement target for urgent alerts, when they share one (else per alert in alerts.csv)."""
    from nurture.safety.domain import site_safety

    targets = {site_safety(site_id).escalation_minutes for site_id in {d.site_id for d in dyads}}
    return targets.pop() if len(targets) == 1 else None


def _minutes(start, end) -> str:
    return f"{(end - start).total_seconds() / 60:.0f}" if start and end else ""


def _alerts(dyads, pid: dict[int, str], dyad_date) -> list[dict]:
    """One row per safety alert: categories and times only — never its message, answers or notes."""
    from nurture.safety.domain import site_safety
    from nurture.safety.models import Alert

    by_pk = {d.pk: d for d in dyads}
    targets = {site_id: site_safety(site_id).escalation_minutes for site_id in {d.site_id for d in dyads}}
    rows = []
    for a in (Alert.objects.filter(dyad__in=list(by_pk)).select_related("assessment")
              .order_by("dyad__code", "created_at", "pk")):
        d = by_pk[a.dyad_id]
        rows.append({"participant_id": pid[d.pk], "instrument": a.instrument, "rule": a.rule,
                     "severity": a.severity, "timepoint": a.assessment.timepoint,
                     "raised_on": dyad_date(d, timezone.localdate(a.created_at)), "status": a.status,
                     "minutes_to_acknowledgement": _minutes(a.created_at, a.acknowledged_at),
                     "minutes_to_close": _minutes(a.created_at, a.closed_at), "outcome": a.outcome,
                     "raised_again": str(a.previous_id is not None).lower(),
                     "target_minutes": targets.get(d.site_id, "")})
    return rows


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


# Text typed by people (names, reasons, notes, open answers): neutralised against
# spreadsheet formula injection (``cells``) wherever the bundle is opened.
TEXT_COLUMNS = {"participants.csv": ["cohort", "site", "withdrawal_reason"], "sessions.csv": ["cohort"],
                "feedback.csv": ["text"], "observations.csv": ["recording", "task"],
                "coded_segments.csv": ["source", "question", "text"]}


def render(data: BundleData) -> dict[str, bytes]:
    """File name → bytes, with the manifest listing row counts and SHA-256 of every file."""
    files = {name: _csv_bytes(neutralise_columns(frame, TEXT_COLUMNS.get(name, [])))
             for name, frame in data.tables.items()}
    manifest = dict(data.manifest)
    manifest["files"] = {name: {"rows": int(len(data.tables[name])), "sha256": hashlib.sha256(content).hexdigest()}
                         for name, content in files.items()}
    files["manifest.json"] = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    return files


def export_bundle(by, study, target: Path, *, deidentified: bool, as_zip: bool = False, free_text: bool = False,
                  ip_address: str | None = None, pseudonyms: PseudonymKey | None = None,
                  today: dt.date | None = None) -> tuple[Path, BundleData]:
    """Write a bundle folder (or zip) and its audit entry; keep the pseudonym key on the server.

    With ``pseudonyms`` (the export call's shared key) the caller keeps the key;
    without, the bundle gets its own key, saved under the export keys folder.
    """
    own_key = pseudonyms is None and deidentified
    pseudonyms = PseudonymKey() if own_key else pseudonyms
    data = collect(by, study, deidentified=deidentified, free_text=free_text, pseudonyms=pseudonyms, today=today)
    files = render(data)
    export_id = f"{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    if as_zip:
        target = target if target.suffix == ".zip" else target.with_suffix(".zip")
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, content in files.items():
                zf.writestr(name, content)
    else:
        if target.exists() and any(target.iterdir()):
            existing = {p.name for p in target.iterdir()}
            if not existing <= set(files):
                raise DomainError(f"{target} holds other files; export into an empty or new folder.")
        target.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            (target / name).write_bytes(content)
    if own_key and data.key:
        pseudonyms.save_server_copy(export_id)
    audit.record(by, AuditAction.EXPORT, object_type="program.Study", object_id=str(study.pk),
                 summary=f"Bundle export {export_id} ({'de-identified' if deidentified else 'identified'})",
                 after={"export_id": export_id, "deidentified": deidentified, "free_text": data.manifest["free_text"],
                        "rows": {n: int(len(t)) for n, t in data.tables.items()}, "target": target.name},
                 ip_address=ip_address)
    return target, data


def live_bundle(by, study, *, deidentified: bool = True, today: dt.date | None = None):
    """The current database as a validated in-memory bundle (what the evaluation page analyses)."""
    from nurture.analysis.bundle import load_bundle_files

    return load_bundle_files(render(collect(by, study, deidentified=deidentified, today=today)),
                             f"{study.slug} (live)")


class _SharedKey(PseudonymKey):
    """A pseudonym key that the request threads of one server process share."""

    def __init__(self):
        super().__init__()
        self._lock = threading.Lock()

    def pseudonym_for(self, code: str) -> str:
        with self._lock:
            return super().pseudonym_for(code)


#: The evaluation report's pseudonyms, for the life of this process. The report shows
#: none, and the key is never saved or sent; kept, it makes the same data give the same
#: bundle byte for byte, so a report already made from that bundle can be shown again.
_LIVE_PSEUDONYMS = _SharedKey()


def live_report_html(by, study, *, today: dt.date | None = None) -> str:
    """The evaluation report (HTML) of the data ``by`` may see now, de-identified.

    Making it takes seconds (the whole analysis, 5,000 bootstrap resamples, the figures),
    so a report is kept (the ``reports`` cache, in each server process) under the digest
    of the bundle it was made from — every file, the manifest but its export time — and
    shown again while that bundle is the same, in the same language: any change to the data
    this user sees, or another user's narrower or wider view of it, or a new data date, is
    another bundle and makes a new report. The report is a function of the bundle's bytes
    alone (the bootstrap is seeded), so a kept report is the one that would be made.
    """
    from django.core.cache import caches

    from nurture.analysis.bundle import load_bundle_files
    from nurture.reports.run import report_html

    files = render(collect(by, study, deidentified=True, pseudonyms=_LIVE_PSEUDONYMS, today=today))
    manifest = json.loads(files["manifest.json"])  # it holds the SHA-256 of every other file
    manifest.pop("exported_at", None)
    # and the page's language, which formats its numbers (0.05 / 0,05)
    manifest["language"] = translation.get_language()
    key = "live-report:" + hashlib.sha256(json.dumps(manifest, sort_keys=True).encode("utf-8")).hexdigest()
    html = caches["reports"].get(key)
    if html is None:
        html = report_html(load_bundle_files(files, f"{study.slug} (live)"))
        caches["reports"].set(key, html)
    return html
