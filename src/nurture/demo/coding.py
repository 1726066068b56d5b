"""Demo coded data: recorded interactions rated by two coders, feedback answers and a
focus-group transcript coded into themes, all through the coding domain.

Twelve dyads with both assessments have a free-play recording at pre and at post.
A quarter of the recordings and a fifth of the segments are double-coded; one
recording waits for consensus, and the second coder rates a little harsher in later
weeks, so the reliability page shows drift. Each demo coder still has recordings and
open answers waiting, so a visitor can try the coder's pages. All text is invented.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from nurture.capture.models import Assessment
from nurture.coding import domain as coding
from nurture.coding import schemes
from nurture.coding.enums import UnitKind
from nurture.coding.models import Assignment, Recording, Segment

# Codes a careful coder gives the demo's open answers (English and Spanish).
ANSWER_CODES = {
    "Meeting other mothers who felt the same": ["not_alone"],
    "Learning to read my baby's signals": ["reading_cues"],
    "The songs and the massage in the dyad group": ["development", "shared_time"],
    "Having time for myself while my baby played": ["time_for_self"],
    "Longer sessions": ["more_time"],
    "More sessions in person": ["more_in_person"],
    "Help with transport": ["schedule_travel"],
    "Thank you to the facilitators": ["gratitude", "facilitator_warmth"],
    "I would come again": ["gratitude"],
    "Conocer a otras madres que sentían lo mismo": ["not_alone"],
    "Aprender a entender a mi bebé": ["reading_cues"],
    "Las canciones y los masajes del grupo con los bebés": ["development", "shared_time"],
    "Sesiones más largas": ["more_time"],
    "Más sesiones en persona": ["more_in_person"],
    "Gracias a las facilitadoras": ["gratitude", "facilitator_warmth"],
    "Volvería a venir": ["gratitude"],
}
TRANSCRIPT = """Group leader: Thinking back over the weeks, what stands out for you?

Mother A: Honestly, hearing the others talk about the nights. I thought it was only me who felt like that.

Mother B: For me it was the dyad group. I learned that when he turns his head away he needs a break, not more toys.

Mother C: The songs. We still sing the goodbye song at home and she laughs every time.

Group leader: And what was hard, or what would you change?

Mother A: The bus. Two buses with a stroller in the rain, some weeks I almost did not come.

Mother B: The online weeks were fine but it is not the same, you cannot see the babies together.

Mother C: I wish it was longer. Eight weeks went so fast, maybe a group to meet again after.

Mother A: And the facilitators never made me feel judged, even the day I cried the whole time.
"""
TRANSCRIPT_CODES = [["no_content"], ["not_alone", "mood"], ["reading_cues"], ["development", "shared_time"],
                    ["no_content"], ["schedule_travel"], ["online_format", "more_in_person"],
                    ["more_time", "follow_up"], ["facilitator_warmth"]]


def _ratings(rng, scheme, quality: float, bias: float) -> dict[str, int]:
    values = {}
    for item in scheme.items:
        level = 3 + 0.8 * quality + bias + rng.gauss(0, 0.45)
        level = (scheme.min_value + scheme.max_value) - level if item.reverse else level
        values[item.id] = int(min(scheme.max_value, max(scheme.min_value, round(level))))
    return values


def _codes(rng, codes: list[str], book, careless: bool) -> list[str]:
    chosen = list(codes)
    if careless and codes != ["no_content"] and rng.random() < 0.25:
        leaves = [c.id for c in book.leaves if c.id not in chosen and c.id != "no_content"]
        chosen = chosen[:-1] + [rng.choice(leaves)] if len(chosen) > 1 else chosen + [rng.choice(leaves)]
    return chosen


def build(seed: int, coordinator, coders, study, today: dt.date) -> dict:
    """Recordings, segments, assignments and codings of the demo study; returns counts."""
    rng = random.Random(seed + 15)
    tz = timezone.get_current_timezone()
    scheme = schemes.rating_scheme(coding.coding_settings(study).observation_scheme)
    book = schemes.codebook(coding.coding_settings(study).feedback_codebook)
    posts = list(Assessment.objects.filter(dyad__study=study, timepoint="post", status="completed")
                 .select_related("dyad").order_by("dyad__code"))[:12]
    quality = {}
    for post in posts:
        dyad = post.dyad
        pre = Assessment.objects.get(dyad=dyad, timepoint="pre")
        quality[dyad.pk] = rng.gauss(0, 1)
        for assessment in (pre, post):
            day = timezone.localtime(assessment.completed_at).date() + dt.timedelta(days=rng.randint(0, 4))
            coding.register_recording(
                coordinator, dyad=dyad, timepoint=assessment.timepoint, recorded_on=min(day, today),
                task="free_play", duration_seconds=rng.randint(300, 600),
                location=f"Riverside secure drive/observations/{dyad.code}/{assessment.timepoint}-free-play.mp4",
                coder_location=f"Coding share/clip-{rng.randint(100, 999)}.mp4")
    coding.segment_feedback(coordinator, study)
    coding.add_transcript(coordinator, study, title="Cohort 4 closing focus group",
                          held_on=today - dt.timedelta(weeks=20), body=TRANSCRIPT,
                          cohort=study.cohorts.get(name="Cohort 4"))
    start = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(weeks=10), dt.time(9)), tz)
    coding.assign(coordinator, study, UnitKind.RECORDING, coders, share=0.25, rng=rng, now=start)
    coding.assign(coordinator, study, UnitKind.SEGMENT, coders, share=0.2, rng=rng, now=start)

    # Code in random order over ten weeks, keeping a few open for each coder.
    open_left = {coders[0].pk: {"recording": 3, "segment": 2}, coders[1].pk: {"recording": 2, "segment": 2}}
    assignments = list(Assignment.objects.filter(coder__in=coders).select_related("recording", "segment"))
    rng.shuffle(assignments)
    assignments.sort(key=lambda a: a.segment_id is None)  # segments first, then recordings
    kept_open, disagreed = [], False
    for assignment in assignments:
        kind = "recording" if assignment.recording_id else "segment"
        double = assignment.unit.assignments.exclude(pk=assignment.pk).exists()
        if open_left[assignment.coder_id][kind] and not double:
            open_left[assignment.coder_id][kind] -= 1
            kept_open.append(assignment)
            continue
        when = start + dt.timedelta(days=rng.randint(1, 69), hours=rng.randint(0, 6))
        if kind == "recording":
            rec = assignment.recording
            harsh = assignment.coder_id == coders[1].pk and when > start + dt.timedelta(weeks=6)
            q = quality[rec.dyad_id] + (0.6 if rec.timepoint == "post" else 0.0)
            values = _ratings(rng, scheme, q, -0.7 if harsh else 0.0)
            if double and assignment.coder_id == coders[1].pk and not disagreed:
                # One clear disagreement (a missed sequence of sensitive responding) goes to consensus.
                values["sensitivity"] = 1 if values["sensitivity"] >= 3 else 5
                disagreed = True
            coding.submit_ratings(assignment.coder, assignment, values, now=when)
        else:
            seg = assignment.segment
            if seg.transcript_id:
                truth = TRANSCRIPT_CODES[seg.position - 1]
            else:
                truth = ANSWER_CODES.get(seg.response.value.strip(), ["no_content"])
            coding.submit_codes(assignment.coder, assignment,
                                _codes(rng, truth, book, careless=assignment.coder_id == coders[1].pk), now=when)
    # Disagreements are settled at consensus, except one recording left for the coordinator.
    waiting = [*Recording.objects.filter(study=study, resolution="needs_consensus").order_by("blind_code"),
               *Segment.objects.filter(study=study, resolution="needs_consensus").order_by("blind_code")]
    for unit in waiting[1:] if waiting and isinstance(waiting[0], Recording) else waiting:
        first = unit.assignments.order_by("assigned_at", "pk").first()
        coding.record_consensus(coordinator, unit, first.values, note="Talked it through with both coders.",
                                now=start + dt.timedelta(weeks=10))
    return {"recordings": len(posts) * 2, "open": len(kept_open)}
