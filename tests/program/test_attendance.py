import pytest

from nurture.accounts.models import AuditEvent
from nurture.common.errors import DomainError, NotPermitted
from nurture.participants import domain as participants
from nurture.participants.enums import EnrollmentStatus
from nurture.program import domain as program
from nurture.program.enums import AttendanceStatus, Component, DeliveryMode
from nurture.program.models import Attendance

from .. import factories as f


def _session(cohort, week=1, component=Component.MOTHER):
    return cohort.sessions.get(week=week, component=component)


def test_recording_attendance_creates_one_row_with_the_session_mode(world):
    session = _session(world.cohort1)
    row = program.record_attendance(world.facilitator, session, world.dyad1, AttendanceStatus.PRESENT)
    assert (row.status, row.mode, row.recorded_by) == ("present", "in_person", world.facilitator)
    assert Attendance.objects.count() == 1


def test_correcting_attendance_updates_the_row_and_audits_before_and_after(world):
    session = _session(world.cohort1)
    program.record_attendance(world.facilitator, session, world.dyad1, AttendanceStatus.ABSENT)
    program.record_attendance(world.facilitator, session, world.dyad1, AttendanceStatus.EXCUSED,
                              mode=DeliveryMode.ONLINE, note="joined by video")
    assert Attendance.objects.count() == 1
    update = AuditEvent.objects.filter(object_type="program.Attendance", action="update").get()
    assert update.before == {"status": "absent", "mode": "in_person", "note": ""}
    assert update.after == {"status": "excused", "mode": "online", "note": "joined by video"}


def test_attendance_for_a_dyad_of_another_cohort_is_refused(world):
    with pytest.raises(DomainError, match="is not in Cohort 1"):
        program.record_attendance(world.facilitator, _session(world.cohort1), world.dyad2, AttendanceStatus.PRESENT)


def test_attendance_for_a_dyad_not_yet_enrolled_is_refused(world):
    dyad = f.make_referral(world.study, world.site_a)
    dyad.cohort = world.cohort1  # as if a bad form posted it
    with pytest.raises(DomainError, match="not enrolled"):
        program.record_attendance(None, _session(world.cohort1), dyad, AttendanceStatus.PRESENT)


def test_a_withdrawn_dyad_keeps_its_attendance_recordable_for_earlier_weeks(world):
    participants.change_status(None, world.dyad1, EnrollmentStatus.WITHDRAWN,
                               effective_on=world.dyad1.enrolled_on, reason="Moved away")
    world.dyad1.refresh_from_db()
    row = program.record_attendance(None, _session(world.cohort1), world.dyad1, AttendanceStatus.PRESENT)
    assert row.status == "present"


def test_the_other_cohorts_facilitator_may_not_take_attendance(world):
    with pytest.raises(NotPermitted):
        program.record_attendance(world.other_facilitator, _session(world.cohort1), world.dyad1,
                                  AttendanceStatus.PRESENT)


def test_a_researcher_may_not_take_attendance(world):
    with pytest.raises(NotPermitted):
        program.record_attendance(world.researcher, _session(world.cohort1), world.dyad1, AttendanceStatus.PRESENT)


def test_fidelity_keeps_plan_order_and_refuses_elements_not_in_the_plan(world):
    session = _session(world.cohort1, week=2, component=Component.DYAD)
    plan = program.session_plan(session).activities
    checklist = program.record_fidelity(world.facilitator, session, [plan[2], plan[0]], "Short of time")
    assert checklist.delivered == [plan[0], plan[2]]
    assert checklist.planned == plan
    assert checklist.share_delivered == pytest.approx(2 / 3)
    with pytest.raises(DomainError, match="Not in this session's plan: Juggling"):
        program.record_fidelity(world.facilitator, session, ["Juggling"])
    checklist.refresh_from_db()
    assert checklist.delivered == [plan[0], plan[2]]


def test_both_curricula_plan_every_week_for_all_three_components(db):
    for slug, weeks in [("standard-12", 12), ("shortened-8", 8)]:
        version = f.curriculum(slug)
        assert version.weeks == weeks
        plans = list(version.plans.all())
        assert len(plans) == weeks * 3
        assert all(p.title and p.goals and len(p.activities) >= 2 for p in plans)
