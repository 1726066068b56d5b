import datetime as dt

import pytest

from nurture.accounts.models import AuditEvent
from nurture.common.errors import DomainError, NotPermitted
from nurture.program import domain as program
from nurture.program.enums import Component, DeliveryMode

from .. import factories as f

MONDAY = dt.date(2026, 1, 5)


def test_plan_weeks_dates_every_week_from_the_first_meeting_day():
    planned = program.plan_weeks(12, dt.date(2026, 1, 1), weekday=0)  # a Thursday; meetings on Mondays
    assert planned[0].date == MONDAY
    assert [p.week for p in planned] == list(range(1, 13))
    assert planned[-1].date == MONDAY + dt.timedelta(weeks=11)


def test_a_closed_date_moves_that_week_and_later_ones_to_the_next_meeting_day():
    closed = MONDAY + dt.timedelta(weeks=2)
    planned = program.plan_weeks(8, MONDAY, weekday=0, closed_dates=[closed])
    assert len(planned) == 8
    assert closed not in [p.date for p in planned]
    assert planned[2].date == MONDAY + dt.timedelta(weeks=3)
    assert planned[-1].date == MONDAY + dt.timedelta(weeks=8)


def test_plan_weeks_accepts_iso_strings_for_closed_dates():
    planned = program.plan_weeks(2, MONDAY, 0, closed_dates=["2026-01-05"])
    assert planned[0].date == dt.date(2026, 1, 12)


def test_creating_a_12_week_cohort_makes_36_sessions_three_per_week(db):
    site = f.make_site()
    study = f.make_study(site)
    cohort = f.make_cohort(study, site, weeks=12, start=MONDAY)
    sessions = list(cohort.sessions.all())
    assert len(sessions) == 36
    assert {s.component for s in sessions if s.week == 1} == set(Component)
    assert {s.date for s in sessions if s.week == 12} == {MONDAY + dt.timedelta(weeks=11)}
    assert all(s.mode == DeliveryMode.IN_PERSON for s in sessions)


def test_creating_an_8_week_cohort_with_a_closed_date_still_has_8_weeks(db):
    site = f.make_site()
    study = f.make_study(site)
    cohort = f.make_cohort(study, site, weeks=8, start=MONDAY, closed_dates=[MONDAY + dt.timedelta(weeks=1)])
    weeks = sorted({(s.week, s.date) for s in cohort.sessions.all()})
    assert len(weeks) == 8
    assert weeks[1] == (2, MONDAY + dt.timedelta(weeks=2))
    assert cohort.closed_dates == ["2026-01-12"]


def test_cohort_creation_is_audited(db):
    site = f.make_site()
    study = f.make_study(site)
    cohort = f.make_cohort(study, site)
    event = AuditEvent.objects.get(object_type="program.Cohort", object_id=str(cohort.pk))
    assert event.action == "create"
    assert event.after["name"] == cohort.name


def test_a_duplicate_cohort_name_is_refused(db):
    site = f.make_site()
    study = f.make_study(site)
    f.make_cohort(study, site, name="Spring")
    with pytest.raises(DomainError, match="already has a cohort named 'Spring'"):
        f.make_cohort(study, site, name="Spring")


def test_a_facilitator_from_another_site_cannot_be_assigned(world):
    from nurture.accounts.enums import Role

    stranger = f.make_user(Role.FACILITATOR, world.site_b)
    with pytest.raises(DomainError, match="is not staff at"):
        f.make_cohort(world.study, world.site_a, facilitators=[stranger])


def test_one_session_can_move_online_and_the_change_is_audited(world):
    session = world.cohort1.sessions.get(week=3, component=Component.DYAD)
    program.set_session_mode(world.facilitator, session, DeliveryMode.ONLINE)
    session.refresh_from_db()
    assert session.mode == DeliveryMode.ONLINE
    other = world.cohort1.sessions.get(week=3, component=Component.MOTHER)
    assert other.mode == DeliveryMode.IN_PERSON
    event = AuditEvent.objects.filter(object_type="program.Session", object_id=str(session.pk)).get()
    assert (event.before, event.after) == ({"mode": "in_person"}, {"mode": "online"})


def test_a_facilitator_of_another_cohort_cannot_change_a_session(world):
    session = world.cohort1.sessions.get(week=1, component=Component.MOTHER)
    with pytest.raises(NotPermitted):
        program.set_session_mode(world.other_facilitator, session, DeliveryMode.ONLINE)


def test_a_coordinator_cannot_create_a_cohort_at_another_site(world):
    with pytest.raises(NotPermitted):
        f.make_cohort(world.study, world.site_b, by=world.coordinator)
