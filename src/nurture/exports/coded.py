"""Coded data → bundle files: ``observations.csv`` and ``coded_segments.csv``.

Only dyads of the export appear, under the export's participant ids. Coders are
pseudonymous (C1, C2, … by account, the same in every export of the study). Coding
dates are calendar dates, or in a de-identified bundle days since the study's first
coding (so drift over time survives de-identification). Segment text is the redacted
text coders saw, and is included only where the export includes free text.
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Q
from django.utils import timezone

from nurture.coding import schemes
from nurture.coding.domain import coding_settings
from nurture.coding.enums import Resolution
from nurture.coding.models import Assignment, Recording, Segment

OBSERVATION_COLUMNS = ["participant_id", "timepoint", "scheme", "scale", "score", "recording", "task", "observed_on",
                       "duration_seconds", "resolution", "coder_1", "score_1", "coded_on_1", "coder_2", "score_2",
                       "coded_on_2"]
SEGMENT_COLUMNS = ["participant_id", "segment", "source", "codes", "codebook", "question", "themes", "resolution",
                   "coder_1", "codes_1", "coded_on_1", "coder_2", "codes_2", "coded_on_2", "text"]
EXPORTED = list(Resolution.final()) + [Resolution.NEEDS_CONSENSUS]


def _coders(study) -> dict[int, str]:
    ids = sorted(set(Assignment.objects.filter(Q(recording__study=study) | Q(segment__study=study))
                     .values_list("coder_id", flat=True)))
    return {pk: f"C{n}" for n, pk in enumerate(ids, start=1)}


def _first_coding(study) -> dt.date | None:
    first = (Assignment.objects.filter(Q(recording__study=study) | Q(segment__study=study),
                                       submitted_at__isnull=False).order_by("submitted_at").first())
    return timezone.localdate(first.submitted_at) if first else None


def coded_tables(study, dyads, pid: dict[int, str], *, deidentified: bool, text_allowed: bool,
                 dyad_date) -> dict:
    """Rows of the two coded-data files, the themes per feedback answer, and the manifest entry.

    ``dyad_date(dyad, date)`` turns a dyad's calendar date into the export's date style.
    Side effects: none (the export's audit entry covers these files).
    """
    coder = _coders(study)
    origin = _first_coding(study)

    def coded_on(a: Assignment) -> str:
        day = timezone.localdate(a.submitted_at)
        return str((day - origin).days) if deidentified else day.isoformat()

    def codings(unit) -> list[Assignment]:
        return sorted((a for a in unit.assignments.all() if a.submitted_at), key=lambda a: (a.assigned_at, a.pk))

    dyad_by_pk = {d.pk: d for d in dyads}
    observations = []
    recordings = (Recording.objects.filter(study=study, dyad__in=list(dyad_by_pk), resolution__in=EXPORTED)
                  .prefetch_related("assignments").order_by("dyad__code", "timepoint", "task"))
    used_schemes: set[str] = set()
    for rec in recordings:
        used_schemes.add(rec.scheme)
        done = codings(rec)
        double = len(done) >= 2
        dyad = dyad_by_pk[rec.dyad_id]
        for scale in schemes.rating_scheme(rec.scheme).subscales:
            final = (rec.final_scores or {}).get(scale.id)
            row = {"participant_id": pid[rec.dyad_id], "timepoint": rec.timepoint, "scheme": rec.scheme,
                   "scale": scale.id, "score": "" if final is None else f"{final:g}", "recording": rec.blind_code,
                   "task": rec.task, "observed_on": dyad_date(dyad, rec.recorded_on),
                   "duration_seconds": rec.duration_seconds, "resolution": rec.resolution}
            for n, a in enumerate(done[:2] if double else [], start=1):
                row |= {f"coder_{n}": coder[a.coder_id], f"score_{n}": f"{a.scores[scale.id]:g}",
                        f"coded_on_{n}": coded_on(a)}
            observations.append(row)

    segments, themes_of_response = [], {}
    book_id = coding_settings(study).feedback_codebook
    visible = Q(dyad__in=list(dyad_by_pk)) | Q(dyad__isnull=True, transcript__study=study)
    for seg in (Segment.objects.filter(visible, study=study, resolution__in=EXPORTED)
                .prefetch_related("assignments").order_by("source", "pk")):
        book = schemes.codebook(seg.scheme)
        used_schemes.add(seg.scheme)
        done = codings(seg)
        final = seg.final or []
        themes = list(dict.fromkeys(book.theme_of(c).id for c in final))
        row = {"participant_id": pid.get(seg.dyad_id, "") if seg.dyad_id else "", "segment": seg.blind_code,
               "source": seg.source, "codes": ";".join(final), "codebook": seg.scheme, "question": seg.question,
               "themes": ";".join(themes), "resolution": seg.resolution,
               "text": seg.text if text_allowed else ""}
        if len(done) >= 2:
            for n, a in enumerate(done[:2], start=1):
                row |= {f"coder_{n}": coder[a.coder_id], f"codes_{n}": ";".join(a.values),
                        f"coded_on_{n}": coded_on(a)}
        segments.append(row)
        if seg.response_id and final:
            labels = themes_of_response.setdefault(seg.response_id, [])
            labels += [book.code(t).label for t in themes if book.code(t).label not in labels]
    manifest = {"schemes": {sid: _describe(schemes.library()[sid]) for sid in sorted(used_schemes | {book_id})
                            if sid in schemes.library()},
                "coders": "pseudonymous (C1, C2, …)",
                "coding_dates": "days since the study's first coding" if deidentified else "calendar dates"}
    return {"observations.csv": observations, "coded_segments.csv": segments,
            "themes_of_response": themes_of_response, "manifest": manifest}


def _describe(scheme) -> dict:
    """What an analysis needs of a scheme without the coding library: names, direction, hierarchy."""
    if isinstance(scheme, schemes.RatingScheme):
        return {"kind": "rating", "version": scheme.version, "name": scheme.name, "short_name": scheme.short_name,
                "range": [scheme.min_value, scheme.max_value],
                "scales": {s.id: {"name": s.name, "lower_is_better": s.lower_is_better} for s in scheme.subscales}}
    return {"kind": "themes", "version": scheme.version, "name": scheme.name,
            "themes": [{"id": t.id, "label": t.label,
                        "codes": [{"id": c.id, "label": c.label, **({} if c.quotable else {"quotable": False})}
                                  for c in scheme.leaves
                                  if scheme.theme_of(c.id).id == t.id]} for t in scheme.themes]}
