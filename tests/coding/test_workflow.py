"""Registering, assigning, coding, settling and consensus of coded units."""

import datetime as dt

import pytest

from nurture.accounts.models import AuditEvent
from nurture.coding import domain as coding
from nurture.coding.enums import Resolution, SegmentSource
from nurture.coding.models import Assignment, Segment
from nurture.common.errors import DomainError, NotPermitted

from .conftest import ALL_FOURS, answer_feedback, assign_all, record


def test_registering_a_recording_is_for_coordinators_of_the_dyads_site(world):
    with pytest.raises(NotPermitted):
        coding.register_recording(world.facilitator, dyad=world.dyad1, timepoint="pre",
                                  recorded_on=dt.date(2026, 1, 2), task="free_play", duration_seconds=300,
                                  location="x")
    with pytest.raises(NotPermitted):
        coding.register_recording(world.outsider, dyad=world.dyad1, timepoint="pre", recorded_on=dt.date(2026, 1, 2),
                                  task="free_play", duration_seconds=300, location="x")
    recording = record(world, world.dyad1)
    assert recording.resolution == Resolution.UNASSIGNED and recording.scheme == "dyadic_interaction"
    event = AuditEvent.objects.get(object_type="coding.Recording")
    assert event.after["blind_code"] == recording.blind_code


def test_the_same_task_cannot_be_registered_twice_at_one_timepoint(world):
    record(world, world.dyad1)
    with pytest.raises(DomainError, match="already has a free play recording at pre"):
        record(world, world.dyad1)


def test_twenty_percent_are_double_coded_and_the_load_is_balanced(world, coders):
    tasks = ["free_play", "teaching", "feeding", "book_sharing", "face_to_face"]
    for n in range(10):
        record(world, world.dyad1 if n < 5 else world.dyad2, "pre", task=tasks[n % 5])
    result = assign_all(world, coders, share=0.2)
    assert (result.units, result.double, result.assignments) == (10, 2, 12)
    per_coder = [Assignment.objects.filter(coder=c).count() for c in coders]
    assert per_coder == [6, 6]
    double = [r for r in world.dyad1.recordings.all() | world.dyad2.recordings.all() if r.assignments.count() == 2]
    assert len(double) == 2
    assert all(len({a.coder_id for a in r.assignments.all()}) == 2 for r in double)
    # a batch of one timepoint warns that coders could guess it
    assert "pre assessment" in result.warnings[0]


def test_a_small_share_still_double_codes_at_least_one_and_needs_two_coders(world, coders, recordings):
    with pytest.raises(DomainError, match="at least two coders"):
        assign_all(world, coders[:1], share=0.2)
    result = assign_all(world, coders, share=0.2)
    assert result.double == 1 and result.warnings == []
    with pytest.raises(DomainError, match="already has its coders"):
        assign_all(world, coders)


def test_a_single_coding_is_final_at_once(world, coders, recordings):
    assign_all(world, coders, share=0)
    assignment = recordings[0].assignments.get()
    coding.submit_ratings(assignment.coder, assignment, ALL_FOURS)
    recordings[0].refresh_from_db()
    assert recordings[0].resolution == Resolution.SINGLE
    assert recordings[0].final_scores == {"maternal": 4.0, "infant": 4.0, "dyadic": 4.0, "total": 4.0}


def test_two_codings_within_tolerance_agree_and_the_final_rating_is_their_mean(world, coders, recordings):
    assign_all(world, coders, share=1.0)
    ana, ben = (recordings[0].assignments.get(coder=c) for c in coders)
    coding.submit_ratings(coders[0], ana, ALL_FOURS)
    recordings[0].refresh_from_db()
    assert recordings[0].resolution == Resolution.CODING and recordings[0].final is None
    coding.submit_ratings(coders[1], ben, {**ALL_FOURS, "warmth": 5})
    recordings[0].refresh_from_db()
    assert recordings[0].resolution == Resolution.AGREED
    assert recordings[0].final["warmth"] == 4.5
    assert recordings[0].final_scores["maternal"] == pytest.approx((4 + 4.5 + 4 + 4) / 4)


def test_a_disagreement_goes_to_consensus_which_the_coders_or_a_coordinator_record(world, coders, recordings):
    assign_all(world, coders, share=1.0)
    ana, ben = (recordings[0].assignments.get(coder=c) for c in coders)
    coding.submit_ratings(coders[0], ana, ALL_FOURS)
    coding.submit_ratings(coders[1], ben, {**ALL_FOURS, "sensitivity": 1})
    unit = recordings[0]
    unit.refresh_from_db()
    assert unit.resolution == Resolution.NEEDS_CONSENSUS and unit.final is None
    with pytest.raises(NotPermitted):
        coding.record_consensus(world.facilitator, unit, ALL_FOURS)
    with pytest.raises(NotPermitted):
        coding.record_consensus(world.outsider, unit, ALL_FOURS)
    with pytest.raises(DomainError, match="not rated"):
        coding.record_consensus(coders[0], unit, {"warmth": 3})
    coding.record_consensus(coders[0], unit, {**ALL_FOURS, "sensitivity": 3}, note="Watched together; minute 3.")
    unit.refresh_from_db()
    assert unit.resolution == Resolution.CONSENSUS and unit.final["sensitivity"] == 3
    assert unit.resolved_by == coders[0] and unit.consensus_note == "Watched together; minute 3."
    event = AuditEvent.objects.filter(summary__startswith="Consensus recorded").get()
    assert event.before == {"final": None, "resolution": "needs_consensus"}


def test_a_submitted_coding_is_locked_and_only_its_coder_may_submit(world, coders, recordings):
    assign_all(world, coders, share=0)
    assignment = recordings[0].assignments.get()
    other = next(c for c in coders if c != assignment.coder)
    with pytest.raises(NotPermitted):
        coding.submit_ratings(other, assignment, ALL_FOURS)
    coding.submit_ratings(assignment.coder, assignment, ALL_FOURS)
    with pytest.raises(DomainError, match="already submitted"):
        coding.submit_ratings(assignment.coder, assignment, ALL_FOURS)


def test_open_feedback_answers_become_redacted_segments_once(world, coders):
    answer_feedback(world, world.dyad1, {
        "open_helpful": "Meeting Bettina and the others.\n\nMy baby Babyname smiles more; call me on 555-0199.",
        "open_change": "", "open_other": "Write to aurelia@example.org"})
    assert coding.segment_feedback(world.coordinator, world.study) == 3
    texts = sorted(Segment.objects.values_list("text", flat=True))
    assert texts == ["Meeting [name] and the others.", "My baby [name] smiles more; call me on [phone].",
                     "Write to [email]"]
    assert set(Segment.objects.values_list("source", flat=True)) == {SegmentSource.FEEDBACK}
    assert coding.segment_feedback(world.coordinator, world.study) == 0


def test_a_transcript_is_split_by_paragraph_and_redacted(world):
    body = ("Facilitator: What helped?\n\nM1: Knowing I was not the only one, Aurelia said so too.\n\n\n"
            "M2: The songs. We live at 12 Maple Street.\n")
    transcript = coding.add_transcript(world.coordinator, world.study, title="Cohort 1 focus group",
                                       held_on=dt.date(2026, 4, 20), body=body, cohort=world.cohort1)
    assert list(transcript.segments.order_by("position").values_list("text", flat=True)) == [
        "Facilitator: What helped?", "M1: Knowing I was not the only one, [name] said so too.",
        "M2: The songs. We live at [address]"]
    with pytest.raises(DomainError, match="empty"):
        coding.add_transcript(world.coordinator, world.study, title="x", held_on=dt.date(2026, 4, 20), body=" \n ")


def test_theme_codes_settle_like_ratings(world, coders):
    answer_feedback(world, world.dyad1, {"open_helpful": "Other mums felt the same", "open_change": "Longer",
                                         "open_other": ""})
    coding.segment_feedback(world.coordinator, world.study)
    assign_all(world, coders, kind="segment", share=1.0)
    segments = list(Segment.objects.order_by("pk"))
    for seg, (codes_a, codes_b) in zip(segments, [(["not_alone"], ["not_alone"]),
                                                  (["more_time"], ["more_time", "follow_up"])], strict=True):
        coding.submit_codes(coders[0], seg.assignments.get(coder=coders[0]), codes_a)
        coding.submit_codes(coders[1], seg.assignments.get(coder=coders[1]), codes_b)
        seg.refresh_from_db()
    assert [s.resolution for s in segments] == [Resolution.AGREED, Resolution.NEEDS_CONSENSUS]
    assert segments[0].final == ["not_alone"]
    coding.record_consensus(world.coordinator, segments[1], ["more_time"])
    segments[1].refresh_from_db()
    assert segments[1].final == ["more_time"] and segments[1].resolution == Resolution.CONSENSUS
    with pytest.raises(DomainError, match="rate it on the scale"):
        record(world, world.dyad1)
        assign_all(world, coders, share=0)
        recording_assignment = Assignment.objects.filter(recording__isnull=False).first()
        coding.submit_codes(recording_assignment.coder, recording_assignment, ["not_alone"])
