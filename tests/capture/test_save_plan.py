"""A save is validated and scored before its transaction (on SQLite the one write lock every
save queues for). When another save or the submission lands between that work and the
lock, the save is worked out again under the lock: the answers written, the scores and the
safety rules still agree, and nothing is lost or doubled."""

from __future__ import annotations

import pytest

from nurture.capture import domain as capture
from nurture.capture.enums import AssessmentStatus, Timepoint
from nurture.capture.models import ItemResponse, Score
from nurture.common.errors import DomainError
from nurture.safety.models import Alert

from .. import factories as f

RISK = f.keyed_answers("epds", {"10": 3})["10"]  # self-harm item at its worst: an urgent alert


@pytest.fixture
def pre(world):
    return capture.schedule_assessment(world.coordinator, world.dyad1, capture.Timepoint.PRE)


@pytest.fixture
def started(pre):
    """An assessment in progress, read afresh, as the survey reads it for every request."""
    capture.save_answers(pre, "gad7", {"1": "1"})
    pre.refresh_from_db()
    assert pre.status == AssessmentStatus.IN_PROGRESS
    return pre


@pytest.fixture
def between(monkeypatch):
    """Run ``action`` once, after the next save's plan is made (``_plan_save``; for a
    submission, its scoring: ``_score_all``) and before its transaction."""

    def arrange(action, after="_plan_save"):
        planned = getattr(capture, after)

        def plan_then_interleave(*args, **kwargs):
            plan = planned(*args, **kwargs)
            if not calls:
                calls.append(True)
                action()
            return plan

        calls: list[bool] = []
        monkeypatch.setattr(capture, after, plan_then_interleave)
        return calls

    return arrange


def stored(assessment, instrument="epds"):
    return capture.current_answers(assessment, instrument)


def test_a_risk_answer_saved_in_between_counts_in_the_later_save(world, started, between):
    pre = started
    calls = between(lambda: capture.save_answers(pre, "epds", {"10": RISK}))
    result = capture.save_answers(pre, "epds", {"1": "2"})
    assert calls
    assert stored(pre) == {"1": "2", "10": RISK}
    # Scored on both answers, as stored: the crisis page is shown for this save too ...
    assert "self_harm" in result.urgent_topics
    # ... and the alert the first save raised is not raised twice.
    assert Alert.objects.filter(assessment=pre, rule="self_harm").count() == 1


def test_an_answer_written_in_between_is_updated_not_inserted_twice(world, started, between):
    pre = started
    between(lambda: capture.save_answers(pre, "epds", {"1": "0"}))
    capture.save_answers(pre, "epds", {"1": "3"})
    assert stored(pre) == {"1": "3"}
    assert ItemResponse.objects.filter(assessment=pre, instrument="epds", item="1").count() == 1


def test_a_risk_answer_changed_back_in_between_is_not_alerted_from_the_old_reading(world, started, between):
    pre = started
    capture.save_answers(pre, "epds", {"10": RISK})
    assert Alert.objects.filter(assessment=pre).count() == 1
    between(lambda: capture.save_answers(pre, "epds", {"10": "3"}))  # her corrected answer: no risk
    result = capture.save_answers(pre, "epds", {"1": "1"})
    assert stored(pre) == {"1": "1", "10": "3"}
    assert not result.urgent_topics


def test_a_submission_in_between_refuses_the_save_and_writes_nothing(world, started, between):
    pre = started
    capture.save_answers(pre, "epds", f.keyed_answers("epds"))
    before = stored(pre)
    between(lambda: capture.submit_assessment(pre))
    with pytest.raises(DomainError, match="submitted"):
        capture.save_answers(pre, "epds", {"1": "3"})
    pre.refresh_from_db()
    assert pre.status == AssessmentStatus.COMPLETED
    assert stored(pre) == before


def test_the_first_save_starts_the_assessment_once(world, pre, between):
    # Both saves were planned on the assessment as scheduled; the second finds it started.
    between(lambda: capture.save_answers(pre, "gad7", {"1": "1"}))
    capture.save_answers(pre, "epds", {"1": "1"})
    pre.refresh_from_db()
    assert pre.status == AssessmentStatus.IN_PROGRESS
    assert pre.version == 2  # each save that changed something, once
    assert Timepoint(pre.timepoint) == Timepoint.PRE


def test_an_answer_saved_while_she_submits_is_scored_and_checked_by_the_submission(world, started, between):
    pre = started
    answers = f.keyed_answers("epds")  # no risk
    del answers["10"]  # the safety item left for last
    capture.save_answers(pre, "epds", answers)
    # Her other tab saves item 10 while the submission is being scored.
    calls = between(lambda: capture.save_answers(pre, "epds", {"10": RISK}), after="_score_all")
    capture.submit_assessment(pre)
    assert calls
    epds = {s.scale: s for s in Score.objects.current().filter(assessment=pre, instrument="epds")}
    assert (epds["total"].score, epds["total"].n_items) == (3, 10)  # her item 10 counted
    # Her risk answer's alert, once (raised by the save), and no "item 10 unanswered" alert.
    assert sorted(Alert.objects.filter(assessment=pre).values_list("rule", flat=True)) == ["self_harm"]
