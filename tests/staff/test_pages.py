import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from nurture.accounts.models import AuditEvent
from nurture.participants.eligibility import CRITERIA
from nurture.participants.models import Dyad
from nurture.program.enums import Component
from nurture.program.models import Attendance, Cohort

from .. import factories as f


def test_pages_need_a_login(client, db):
    response = client.get("/participants/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_the_participant_list_shows_no_other_site(world, client_for):
    page = client_for(world.coordinator).get("/participants/").content.decode()
    assert world.dyad1.code in page and world.dyad2.code in page
    assert world.dyad_b.code not in page


def test_an_outsider_gets_not_found_for_a_dyad_of_another_site(world, client_for):
    assert client_for(world.outsider).get(f"/participants/{world.dyad1.pk}/").status_code == 404


def test_a_researcher_never_sees_names_even_when_asking(world, client_for):
    page = client_for(world.researcher).get(f"/participants/{world.dyad1.pk}/?identifiers=1").content.decode()
    assert "Leakwell" not in page and "Aurelia" not in page and "555-0199" not in page
    assert "de-identified data only" in page


def test_a_researcher_sees_no_first_names_on_the_attendance_grid(world, client_for):
    page = client_for(world.researcher).get(f"/cohorts/{world.cohort1.pk}/week/1/").content.decode()
    assert world.dyad1.code in page and "Aurelia" not in page


def test_a_coordinator_sees_identifiers_only_on_request_and_it_is_audited(world, client_for):
    client = client_for(world.coordinator)
    assert "Leakwell" not in client.get(f"/participants/{world.dyad1.pk}/").content.decode()
    assert "Leakwell" in client.get(f"/participants/{world.dyad1.pk}/?identifiers=1").content.decode()
    assert AuditEvent.objects.filter(action="view_identifiers", object_id=str(world.dyad1.pk)).count() == 1


def test_a_facilitator_cannot_open_another_cohorts_week(world, client_for):
    assert client_for(world.facilitator).get(f"/cohorts/{world.cohort2.pk}/week/1/").status_code == 404


def test_saving_the_week_records_attendance_mode_and_fidelity(world, client_for):
    client = client_for(world.facilitator)
    sessions = {s.component: s for s in world.cohort1.sessions.filter(week=2)}
    plan = client.get(f"/cohorts/{world.cohort1.pk}/week/2/").context["columns"][0]["plan"]
    data = {f"att-{world.dyad1.pk}-{s.pk}": "present" for s in sessions.values()}
    data[f"att-{world.dyad1.pk}-{sessions[Component.INFANT].pk}"] = "excused"
    data[f"mode-{sessions[Component.DYAD].pk}"] = "online"
    data[f"fid-present-{sessions[Component.MOTHER].pk}"] = "1"
    data[f"fid-{sessions[Component.MOTHER].pk}"] = plan.activities[:2]
    response = client.post(f"/cohorts/{world.cohort1.pk}/week/2/", data)
    assert response.status_code == 302
    marks = dict(Attendance.objects.filter(dyad=world.dyad1).values_list("session__component", "status"))
    assert marks == {"mother": "present", "infant": "excused", "dyad": "present"}
    sessions[Component.DYAD].refresh_from_db()
    assert sessions[Component.DYAD].mode == "online"
    assert sessions[Component.MOTHER].fidelity.delivered == plan.activities[:2]


def test_a_bad_attendance_value_is_refused_and_the_rest_of_the_grid_is_kept(world, client_for):
    client = client_for(world.facilitator)
    sessions = list(world.cohort1.sessions.filter(week=1).order_by("component"))
    data = {f"att-{world.dyad1.pk}-{sessions[0].pk}": "maybe", f"att-{world.dyad1.pk}-{sessions[1].pk}": "present"}
    response = client.post(f"/cohorts/{world.cohort1.pk}/week/1/", data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "&#x27;maybe&#x27; is not an attendance mark" in page
    assert f'name="att-{world.dyad1.pk}-{sessions[1].pk}" value="present" checked' in page


def test_the_cohort_form_previews_the_calendar_then_creates(world, client_for):
    client = client_for(world.coordinator)
    curriculum = f.curriculum("shortened-8")
    data = {"name": "Autumn", "curriculum": curriculum.pk, "start_date": "2026-09-01", "meeting_weekday": "1",
            "meeting_time": "10:30", "default_mode": "in_person", "closed_dates": "2026-09-15",
            "facilitators": [world.facilitator.pk]}
    preview = client.post("/cohorts/new/", data | {"preview": "1"})
    assert preview.status_code == 200
    assert [p.date for p in preview.context["preview"]][:3] == [dt.date(2026, 9, 1), dt.date(2026, 9, 8),
                                                                dt.date(2026, 9, 22)]
    assert not Cohort.objects.filter(name="Autumn").exists()
    created = client.post("/cohorts/new/", data | {"create": "1"})
    cohort = Cohort.objects.get(name="Autumn")
    assert created["Location"] == f"/cohorts/{cohort.pk}/"
    assert cohort.sessions.count() == 24 and list(cohort.facilitators.all()) == [world.facilitator]


def test_a_bad_closed_date_redisplays_the_form_with_what_was_typed(world, client_for):
    response = client_for(world.coordinator).post("/cohorts/new/", {
        "name": "Typed name", "curriculum": f.curriculum().pk, "start_date": "2026-09-01",
        "meeting_weekday": "1", "meeting_time": "10:30", "default_mode": "in_person", "closed_dates": "15/09/2026",
        "preview": "1"})
    page = response.content.decode()
    assert "is not a date; write dates as YYYY-MM-DD" in page
    assert 'value="Typed name"' in page


def test_a_facilitator_cannot_open_the_cohort_form(world, client_for):
    assert client_for(world.facilitator).get("/cohorts/new/").status_code == 403


@time_machine.travel(dt.datetime(2026, 2, 1, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_referral_goes_through_screening_and_consent_into_a_cohort(world, client_for):
    client = client_for(world.coordinator)
    response = client.post("/participants/new/", {
        "mother_first_name": "Dolores", "mother_last_name": "Newfamily", "language": "es",
        "primiparous": "true", "infant_date_of_birth": "2025-12-01", "referred_on": "2026-01-20",
        "referral_source": "Clinic"})
    dyad = Dyad.objects.get(referral_source="Clinic")
    assert response["Location"] == f"/participants/{dyad.pk}/"
    client.post(f"/participants/{dyad.pk}/screen/", {"screened_on": "2026-01-21"} |
                {f"criterion_{k}": "yes" for k in CRITERIA})
    client.post(f"/participants/{dyad.pk}/consent/", {"consented_on": "2026-01-22", "form_version": "v2.1"})
    client.post(f"/participants/{dyad.pk}/enroll/", {"cohort": world.cohort1.pk, "enrolled_on": "2026-01-23"})
    dyad.refresh_from_db()
    assert (dyad.status, dyad.cohort) == ("enrolled", world.cohort1)
    assert dyad.index_infant.age_weeks_at_referral == 7


def test_a_refused_step_shows_the_reason_and_keeps_the_form(world, client_for):
    client = client_for(world.coordinator)
    response = client.post(f"/participants/{world.dyad1.pk}/consent/",
                           {"consented_on": "2025-12-20", "form_version": "v9"})
    page = response.content.decode()
    assert "is enrolled: it can only become" in page
    assert 'value="v9"' in page


def test_a_withdrawal_needs_a_reason_category_and_keeps_what_was_typed(world, client_for):
    client = client_for(world.coordinator)
    url = f"/participants/{world.dyad1.pk}/status/"
    page = client.post(url, {"status": "withdrawn", "effective_on": "2026-01-10",
                             "reason": "Her partner's shifts changed"}).content.decode()
    assert "Choose why the family withdrew or was lost." in page
    assert "Her partner&#x27;s shifts changed" in page
    world.dyad1.refresh_from_db()
    assert world.dyad1.status == "enrolled"
    page = client.post(url, {"status": "withdrawn", "effective_on": "2026-01-10", "reason_code": "other"}).content
    assert "Describe the other reason." in page.decode()
    client.post(url, {"status": "withdrawn", "effective_on": "2026-01-10", "reason_code": "schedule",
                      "reason": "Her partner's shifts changed"})
    world.dyad1.refresh_from_db()
    assert (world.dyad1.status, world.dyad1.end_reason_code) == ("withdrawn", "schedule")
    history = client.get(f"/participants/{world.dyad1.pk}/").content.decode()
    assert "Schedule or time commitment: Her partner&#x27;s shifts changed" in history


@pytest.mark.parametrize("path", ["/participants/", "/cohorts/", "/"])
def test_list_pages_use_a_fixed_number_of_queries(world, client_for, path):
    client = client_for(world.coordinator)
    client.get(path)  # warm caches (content types, sessions)
    with CaptureQueriesContext(connection) as one:
        client.get(path)
    for i in range(6):
        cohort = f.make_cohort(world.study, world.site_a, name=f"Extra {i}")
        f.make_enrolled(world.study, world.site_a, cohort)
    with CaptureQueriesContext(connection) as many:
        client.get(path)
    assert len(many) == len(one)
