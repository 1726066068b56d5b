import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import AssessmentStatus, Entry, Timepoint
from nurture.capture.models import ItemResponse, ResponseRevision, Score, StudySettings
from nurture.common.errors import DomainError, NotPermitted

from .. import factories as f

NOW = dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def pre(world):
    return capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)


def test_the_pre_window_runs_two_weeks_either_side_of_the_cohort_start(world, pre):
    start = world.cohort1.start_date
    assert (pre.window_opens, pre.window_closes) == (dt.date(2025, 12, 8) - dt.timedelta(days=14),
                                                     start + dt.timedelta(days=14))
    assert pre.instruments == ["epds", "gad7", "pss", "kpcs", "rses", "pbq", "ibqr_vsf"]


def test_scheduling_twice_returns_the_same_assessment(world, pre):
    assert capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE) == pre


def test_the_post_window_opens_8_and_closes_12_weeks_after_pre_for_a_short_curriculum(world):
    cfg = StudySettings.objects.create(study=world.study)
    opens, closes = capture.post_window(dt.date(2026, 1, 1), None, cfg)
    assert (opens, closes) == (dt.date(2026, 2, 26), dt.date(2026, 3, 26))


def test_the_post_window_waits_for_the_last_session_of_a_12_week_cohort(world):
    cfg = StudySettings.objects.create(study=world.study)
    last = world.cohort1.sessions.order_by("-date").first().date  # week 12
    opens, closes = capture.post_window(world.cohort1.start_date - dt.timedelta(days=3), world.cohort1, cfg)
    assert opens == last
    assert closes - opens == dt.timedelta(weeks=4)


def test_the_post_window_is_configurable_per_study(world):
    cfg = StudySettings.objects.create(study=world.study, post_opens_weeks=6, post_closes_weeks=10)
    opens, closes = capture.post_window(dt.date(2026, 1, 1), None, cfg)
    assert (opens, closes) == (dt.date(2026, 2, 12), dt.date(2026, 3, 12))


def test_only_enrolled_dyads_get_pre_and_post_assessments(world):
    referral = f.make_referral(world.study, world.site_a)
    with pytest.raises(DomainError, match="not enrolled"):
        capture.schedule_assessment(world.coordinator, referral, Timepoint.PRE)
    assert capture.schedule_assessment(world.coordinator, referral, Timepoint.SCREENING).instruments == ["epds"]


def test_lifecycle_scheduled_invited_in_progress_completed(world, pre):
    assert pre.status == AssessmentStatus.SCHEDULED
    capture.issue_link(world.coordinator, pre, NOW)
    pre.refresh_from_db()
    assert pre.status == AssessmentStatus.INVITED
    capture.save_answers(pre, "epds", f.epds_answers(), now=NOW)
    pre.refresh_from_db()
    assert (pre.status, pre.started_at) == (AssessmentStatus.IN_PROGRESS, NOW)
    capture.submit_assessment(pre, now=NOW)
    pre.refresh_from_db()
    assert (pre.status, pre.completed_at, pre.out_of_window) == (AssessmentStatus.COMPLETED, NOW, False)


def test_completion_scores_every_instrument_with_versions(world, pre):
    capture.save_answers(pre, "epds", f.epds_answers(level=1), now=NOW)
    capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
    capture.submit_assessment(pre, now=NOW)
    scores = {(s.instrument, s.scale): s for s in Score.objects.current().filter(assessment=pre)}
    assert scores[("epds", "total")].score == 9  # nine items keyed 1, item 10 keyed 0
    assert scores[("gad7", "total")].score == 14
    assert (scores[("epds", "total")].instrument_version, scores[("epds", "total")].scoring_version) == \
        ("1987", "epds-1")
    # instruments not answered are stored as missing, never zero
    assert scores[("pss", "total")].score is None
    assert scores[("pss", "total")].missing_reason == "no items answered"


def test_completion_outside_the_window_is_allowed_and_flagged(world, pre):
    late = dt.datetime.combine(pre.window_closes + dt.timedelta(days=5), dt.time(12), tzinfo=dt.UTC)
    capture.submit_assessment(pre, now=late)
    pre.refresh_from_db()
    assert pre.status == AssessmentStatus.COMPLETED and pre.out_of_window is True


def test_submitting_twice_stores_once_and_returns_the_same_result(world, pre):
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=2), now=NOW)
    first = capture.submit_assessment(pre, now=NOW)
    second = capture.submit_assessment(pre, now=NOW + dt.timedelta(seconds=3))
    assert [a.pk for a in first.alerts] == [a.pk for a in second.alerts]
    assert Score.objects.filter(assessment=pre).count() == Score.objects.current().filter(assessment=pre).count()
    pre.refresh_from_db()
    assert pre.completed_at == NOW


def test_saving_the_same_page_twice_keeps_one_answer_per_item(world, pre):
    capture.save_answers(pre, "gad7", f.all_items("gad7", 1), now=NOW)
    capture.save_answers(pre, "gad7", f.all_items("gad7", 1), now=NOW)
    assert ItemResponse.objects.filter(assessment=pre).count() == 7


def test_an_invalid_answer_is_refused_and_nothing_of_the_page_is_saved(world, pre):
    answers = f.all_items("gad7", 1) | {"3": "7"}
    with pytest.raises(DomainError, match="'7' is outside the GAD-7 item 3 coding 0–3"):
        capture.save_answers(pre, "gad7", answers, now=NOW)
    assert ItemResponse.objects.filter(assessment=pre).count() == 0


def test_a_correction_rescores_keeps_history_and_is_audited(world, pre):
    capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
    capture.submit_assessment(pre, now=NOW)
    pre.refresh_from_db()
    capture.correct_response(world.coordinator, pre, "gad7", "1", "0", reason="Transcription error",
                             expected_version=pre.version, now=NOW + dt.timedelta(hours=1))
    current = Score.objects.current().get(assessment=pre, instrument="gad7", scale="total")
    old = Score.objects.get(assessment=pre, instrument="gad7", scale="total", superseded_at__isnull=False)
    assert (old.score, current.score) == (14, 12)
    revision = ResponseRevision.objects.get()
    assert (revision.old_value, revision.new_value, revision.by) == ("2", "0", world.coordinator)
    event = AuditEvent.objects.filter(object_type="capture.ItemResponse").get()
    assert event.before == {"value": "2", "scores": {"total": 14.0}}
    assert event.after["scores"] == {"total": 12.0}


def test_a_concurrent_correction_is_detected_not_lost(world, pre):
    capture.save_answers(pre, "gad7", f.all_items("gad7", 2), now=NOW)
    pre.refresh_from_db()
    opened_with = pre.version
    capture.correct_response(world.coordinator, pre, "gad7", "1", "1", reason="first user",
                             expected_version=opened_with)
    with pytest.raises(capture.ConcurrentEdit, match="Someone else changed this assessment"):
        capture.correct_response(world.admin, pre, "gad7", "2", "0", reason="second user",
                                 expected_version=opened_with)
    assert dict(ItemResponse.objects.filter(assessment=pre, item__in=["1", "2"]).values_list("item", "value")) == \
        {"1": "1", "2": "2"}


def test_double_entry_by_two_users_shows_discrepancies(world, pre):
    first = f.all_items("gad7", 1)
    capture.enter_paper_form(world.coordinator, pre, "gad7", first)
    second_user = world.admin
    capture.enter_paper_form(second_user, pre, "gad7", first | {"4": "3"}, entry=Entry.SECOND)
    assert capture.compare_entries(pre, "gad7") == [
        {"item": "4", "label": "Trouble relaxing", "first": "1", "second": "3"}]
    pre.refresh_from_db()
    assert pre.source == "paper"


def test_the_second_entry_must_come_from_another_user(world, pre):
    capture.enter_paper_form(world.coordinator, pre, "gad7", f.all_items("gad7", 1))
    with pytest.raises(DomainError, match="someone other than the first"):
        capture.enter_paper_form(world.coordinator, pre, "gad7", f.all_items("gad7", 1), entry=Entry.SECOND)


def test_a_facilitator_cannot_enter_paper_forms(world, pre):
    with pytest.raises(NotPermitted):
        capture.enter_paper_form(world.facilitator, pre, "gad7", f.all_items("gad7", 1))


@time_machine.travel(dt.datetime(2026, 6, 1, 12, tzinfo=dt.UTC), tick=False)
def test_stale_assessments_close_as_missed_or_expired(world, pre):
    started = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    capture.save_answers(started, "gad7", f.all_items("gad7", 1))
    assert capture.close_expired() == 2
    pre.refresh_from_db()
    started.refresh_from_db()
    assert (pre.status, started.status) == (AssessmentStatus.MISSED, AssessmentStatus.EXPIRED)


@time_machine.travel(dt.datetime(2025, 12, 20, 12, tzinfo=dt.UTC), tick=False)
def test_due_and_overdue_use_the_window(world, pre):
    from nurture.capture.models import Assessment

    today = timezone.localdate()
    assert list(Assessment.objects.due(today)) == [pre]
    assert list(Assessment.objects.overdue(today + dt.timedelta(days=60))) == [pre]
