"""The evaluation page's key numbers, live from the database, as each role may see them."""

import datetime as dt

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import StudySettings
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus
from nurture.program.glance import Share, study_at_a_glance

from .. import factories as f

TODAY = dt.date(2026, 1, 20)  # both cohorts started Mon 5 Jan: weeks 1-3 are held


def _mark(world, dyad, week, component, status):
    session = dyad.cohort.sessions.get(week=week, component=component)
    program.record_attendance(world.coordinator, session, dyad, status)


def test_recruitment_attendance_and_alerts_at_a_glance(world):
    f.make_referral(world.study, world.site_a)
    _mark(world, world.dyad1, 1, "mother", AttendanceStatus.PRESENT)
    _mark(world, world.dyad1, 1, "infant", AttendanceStatus.PRESENT)
    _mark(world, world.dyad1, 1, "dyad", AttendanceStatus.ABSENT)
    _mark(world, world.dyad2, 2, "mother", AttendanceStatus.PRESENT)
    _mark(world, world.dyad1, 5, "mother", AttendanceStatus.PRESENT)  # recorded ahead: week 5 is not held yet
    pre = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1))
    glance = study_at_a_glance(world.coordinator, world.study, TODAY)
    assert (glance.referred, glance.enrolled) == (3, 2)  # the other site's dyad is not counted
    assert glance.enrolled_by_month[-2:] == [(dt.date(2025, 12, 1), 2), (dt.date(2026, 1, 1), 0)]
    assert len(glance.enrolled_by_month) == 12
    # 2 dyads x 3 groups x 3 weeks held; 3 present
    assert glance.attendance == Share(3, 18) and glance.attendance_percent == 17
    assert glance.attendance_by_week == [(1, Share(2, 6)), (2, Share(1, 6)), (3, Share(0, 6))]
    assert glance.open_alerts == {"urgent": 1} and glance.open_alert_total == 1
    other = study_at_a_glance(world.outsider, world.study, TODAY)
    assert (other.referred, other.enrolled, other.open_alert_total) == (1, 1, 0)


def test_retention_counts_only_dyads_whose_post_assessment_is_due(world):
    StudySettings.objects.create(study=world.study, battery={"pre": ["gad7"], "post": ["gad7"]})
    posts = {d: capture.schedule_assessment(world.coordinator, d, Timepoint.POST) for d in (world.dyad1, world.dyad2)}
    capture.save_answers(posts[world.dyad1], "gad7", f.all_items("gad7", 1))
    capture.submit_assessment(posts[world.dyad1])
    closes = posts[world.dyad2].window_closes
    during = study_at_a_glance(world.coordinator, world.study, closes)
    assert (during.retention, during.not_yet_due, during.retention_percent) == (Share(1, 1), 1, 100)
    after = study_at_a_glance(world.coordinator, world.study, closes + dt.timedelta(days=1))
    assert (after.retention, after.not_yet_due, after.retention_percent) == (Share(1, 2), 0, 50)


def test_nothing_to_count_gives_no_percentages(world):
    glance = study_at_a_glance(world.coordinator, f.make_study(f.make_site("c"), slug="empty", prefix="EM"), TODAY)
    assert (glance.referred, glance.retention_percent, glance.attendance_percent) == (0, None, None)


def test_the_evaluation_page_shows_the_numbers_above_the_report_links(world, client_for):
    pre = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1))
    html = client_for(world.coordinator).get("/evaluation/").content.decode()
    assert html.index("At a glance") < html.index("Open the report")
    assert html.count('role="img"') == 2 and "Enrollments per month over the last twelve months" in html
    assert "1 urgent · 0 follow-up" in html and 'href="/alerts/"' in html.split("At a glance")[1]
    researcher = client_for(world.researcher).get("/evaluation/").content.decode()
    assert "1 urgent · 0 follow-up" in researcher and 'href="/alerts/"' not in researcher
