"""What got in the way of staff's daily work: finding a participant, correcting details,
a week's attendance in a few taps, forms that say each error once and offer only
allowed moves, friendly error pages, and read-only pages for researchers."""

import datetime as dt
import re
from html import unescape

import time_machine
from django.test import RequestFactory

from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.participants.models import Dyad
from nurture.program.models import Attendance
from nurture.staff import participant_views

from .. import factories as f

# --------------------------------------------------------------------------- search


def _codes(html):
    return set(re.findall(r'href="/participants/\d+/">([A-Z]+-[\w-]+)</a>', html))


def test_everyone_finds_a_participant_by_study_id(world, client_for):
    html = client_for(world.researcher).get("/participants/", {"q": world.dyad2.code.lower()}).content.decode()
    assert _codes(html) == {world.dyad2.code}


def test_a_coordinator_finds_her_by_name_and_the_search_is_audited(world, client_for):
    html = client_for(world.coordinator).get("/participants/", {"q": "leakw"}).content.decode()
    assert _codes(html) == {world.dyad1.code}
    assert "Aurelia Leakwell" in html  # names shown beside the result searched by name
    event = AuditEvent.objects.get(action="view_identifiers", summary="Searched participants by name")
    assert event.user == world.coordinator and "leakw" not in str(event.after) + event.summary


def _table(html):
    return html.split("<table")[1].split("</table>")[0]


def test_a_researcher_cannot_search_by_name(world, client_for):
    html = client_for(world.researcher).get("/participants/", {"q": "Leakwell"}).content.decode()
    assert _codes(html) == set() and "Leakwell" not in _table(html)
    assert not AuditEvent.objects.filter(summary="Searched participants by name").exists()


def test_a_search_never_reaches_another_site(world, client_for):
    html = client_for(world.coordinator).get("/participants/", {"q": "Othersite"}).content.decode()
    assert _codes(html) == set() and "Othersite" not in _table(html)


def test_filters_by_cohort_and_status_with_pages_that_keep_them(world, client_for, monkeypatch):
    monkeypatch.setattr(participant_views, "PAGE_SIZE", 2)
    extra = [f.make_enrolled(world.study, world.site_a, world.cohort1) for _ in range(2)]
    f.make_referral(world.study, world.site_a)  # referred: not in the cohort
    client = client_for(world.coordinator)
    first = client.get("/participants/", {"cohort": world.cohort1.pk, "status": "enrolled"}).content.decode()
    assert "3 participants" in first and "page 1 of 2" in first
    assert f"cohort={world.cohort1.pk}&amp;status=enrolled&amp;page=2" in first
    second = client.get("/participants/", {"cohort": world.cohort1.pk, "status": "enrolled", "page": 2})
    shown = _codes(first) | _codes(second.content.decode())
    assert shown == {world.dyad1.code} | {d.code for d in extra}
    referred = client.get("/participants/", {"status": "referred"}).content.decode()
    assert "1 participant" in referred and world.dyad1.code not in _codes(referred)


# --------------------------------------------------------------------------- editing


def test_a_mothers_and_infants_details_are_corrected_and_audited_without_the_values(world, client_for):
    client = client_for(world.coordinator)
    page = client.get(f"/participants/{world.dyad1.pk}/edit/").content.decode()
    assert 'value="Leakwell"' in page
    infant = world.dyad1.index_infant
    data = {"mother-first_name": "Aurelia", "mother-last_name": "Newname", "mother-language": "es",
            "mother-primiparous": "true", "mother-phone": "555-0100", "mother-email": "", "mother-address": "",
            "mother-date_of_birth": "",
            f"infant-{infant.birth_order}-first_name": "Baby", f"infant-{infant.birth_order}-date_of_birth":
                "2025-11-20", f"infant-{infant.birth_order}-sex": "", f"infant-{infant.birth_order}-gestational_age_weeks": ""}
    response = client.post(f"/participants/{world.dyad1.pk}/edit/", data)
    assert response.status_code == 302
    dyad = Dyad.objects.select_related("mother__identifiers").get(pk=world.dyad1.pk)
    assert (dyad.mother.identifiers.last_name, dyad.mother.language) == ("Newname", "es")
    event = AuditEvent.objects.filter(action="update", summary__contains="mother corrected").get()
    assert "last_name" in str(event.after) and "Newname" not in str(event.after) + str(event.before)


def test_a_bad_detail_is_refused_with_one_message_and_what_was_typed_kept(world, client_for):
    client = client_for(world.coordinator)
    response = client.post(f"/participants/{world.dyad1.pk}/edit/", {
        "mother-first_name": "Aurelia", "mother-last_name": "", "mother-language": "en",
        "mother-primiparous": "unknown", "mother-email": "not-an-email"})
    html = response.content.decode()
    assert response.status_code == 400
    assert html.count("This field is required.") == 1 and html.count("Enter a valid email address.") == 1
    assert 'value="not-an-email"' in html
    assert Dyad.objects.get(pk=world.dyad1.pk).mother.identifiers.last_name == "Leakwell"


@time_machine.travel(dt.datetime(2026, 1, 20, 15, 0, tzinfo=dt.UTC), tick=False)
def test_a_cohorts_schedule_and_facilitators_change_and_weeks_held_keep_their_dates(world, client_for):
    cohort = world.cohort1  # starts Mon 5 Jan 2026
    held = {s.week: s.date for s in cohort.sessions.filter(week__lte=3)}
    response = client_for(world.coordinator).post(f"/cohorts/{cohort.pk}/edit/", {
        "name": "Cohort 1 (Wednesdays)", "meeting_weekday": "2", "meeting_time": "18:00",
        "closed_dates": "2026-02-04", "facilitators": [world.other_facilitator.pk]})
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.name == "Cohort 1 (Wednesdays)" and list(cohort.facilitators.all()) == [world.other_facilitator]
    dates = {s.week: s.date for s in cohort.sessions.filter(component="mother")}
    assert {w: dates[w] for w in held} == held  # weeks 1-3 were held before the 20th
    assert dates[4] == dt.date(2026, 1, 21) and dates[5] == dt.date(2026, 1, 28)
    assert dates[6] == dt.date(2026, 2, 11)  # the closed Wednesday is skipped
    event = AuditEvent.objects.get(summary__startswith="Cohort Cohort 1 (Wednesdays) changed")
    assert event.after["facilitators"] == [world.other_facilitator.pk] and event.after["sessions_moved"] > 0


# --------------------------------------------------------------------------- the week page


def test_all_present_without_javascript_marks_the_unmarked_and_keeps_the_exceptions(world, client_for):
    third = f.make_enrolled(world.study, world.site_a, world.cohort1)
    client = client_for(world.facilitator)
    mother = world.cohort1.sessions.get(week=1, component="mother")
    response = client.post(f"/cohorts/{world.cohort1.pk}/week/1/", {
        f"att-{world.dyad1.pk}-{mother.pk}": "excused", "all_present": str(mother.pk)})
    assert response.status_code == 302
    marks = dict(Attendance.objects.filter(session=mother).values_list("dyad", "status"))
    assert marks == {world.dyad1.pk: "excused", third.pk: "present"}
    assert not Attendance.objects.exclude(session=mother).exists()  # other groups untouched


def test_the_week_page_fits_a_phone_and_offers_a_bulk_button_per_group(world, client_for):
    html = client_for(world.facilitator).get(f"/cohorts/{world.cohort1.pk}/week/1/").content.decode()
    assert html.count('name="all_present"') == 3
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    assert "<table" not in html.split('class="groups"')[1]  # the marks are a list, not a wide table


def test_a_researcher_reads_the_week_with_no_controls_and_a_save_is_refused_politely(world, client_for):
    client = client_for(world.researcher)
    html = client.get(f"/cohorts/{world.cohort1.pk}/week/1/").content.decode()
    assert "Read only" in html and 'type="radio"' not in html and 'name="all_present"' not in html
    mother = world.cohort1.sessions.get(week=1, component="mother")
    response = client.post(f"/cohorts/{world.cohort1.pk}/week/1/", {f"att-{world.dyad1.pk}-{mother.pk}": "present"})
    assert response.status_code == 403
    page = unescape(response.content.decode())
    assert "Only this cohort's facilitators and coordinators record its sessions." in page
    assert 'href="/"' in page and "<nav" in page
    assert not Attendance.objects.exists()


# --------------------------------------------------------------------------- forms


def test_the_status_form_offers_only_the_moves_the_status_allows(world, client_for):
    client = client_for(world.coordinator)
    enrolled = client.get(f"/participants/{world.dyad1.pk}/status/").content.decode()
    assert re.findall(r'name="status" value="(\w+)"', enrolled) == ["completed", "withdrawn", "lost"]
    referred = f.make_referral(world.study, world.site_a)
    offered = client.get(f"/participants/{referred.pk}/status/").content.decode()
    assert re.findall(r'name="status" value="(\w+)"', offered) == ["withdrawn"]


def test_a_refused_field_says_so_once_next_to_the_field(world, client_for):
    html = client_for(world.coordinator).post("/participants/new/", {"mother_last_name": "Typed"}).content.decode()
    assert html.count("This field is required.") == html.count("has-error") == 3  # once per field
    field = html.split('name="mother_first_name"')[0].rsplit('<div class="field', 1)[1]
    assert "has-error" in field and "This field is required." in field


# --------------------------------------------------------------------------- error pages


def test_a_missing_page_is_friendly_with_a_way_back(world, client_for):
    response = client_for(world.coordinator).get("/participants/999999/")
    html = response.content.decode()
    assert response.status_code == 404
    assert "Page not found" in html and 'href="/participants/"' in html and 'class="top"' in html
    assert "No Dyad matches" not in html


def test_a_missing_page_for_a_visitor_points_to_the_survey_link_and_help(client, db):
    html = client.get("/s/not-a-token/nowhere/").content.decode()
    assert "open the link you were sent again" in html and "988" in html and 'href="/login/"' in html


def test_a_refused_page_names_the_reason_and_keeps_the_navigation(world, client_for):
    response = client_for(world.facilitator).get("/cohorts/new/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You cannot open this page" in html and 'href="/cohorts/"' in html


def test_a_server_fault_shows_a_page_that_needs_no_database(db, django_assert_num_queries):
    from django.views.defaults import server_error

    with django_assert_num_queries(0):
        response = server_error(RequestFactory().get("/"))
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html and 'href="/"' in html and "988" in html


# --------------------------------------------------------------------------- researchers


def _same_site_links(html):
    return {h for h in re.findall(r'href="(/[^"#]*)"', html)
            if not h.startswith(("/static/", "/admin/", "/evaluation/bundle/", "/evaluation/report/"))}


def test_a_researchers_pages_have_no_dead_links_and_no_forms_but_search_and_session(world, client_for):
    """From each page a researcher opens, every link opens (no 403/404), and the only
    forms are the search, the language switch, logging out and the de-identified download."""
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=2))
    client = client_for(world.researcher)
    start = ["/", "/participants/", "/cohorts/", f"/cohorts/{world.cohort1.pk}/", f"/participants/{world.dyad1.pk}/",
             f"/cohorts/{world.cohort1.pk}/week/1/", f"/assessments/{assessment.pk}/", "/evaluation/"]
    seen = set()
    for path in start:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.content.decode()
        posts = [(re.findall(r'action="([^"]*)"', tag) or [""])[0]
                 for tag in re.findall(r"<form[^>]*>", html) if 'method="post"' in tag]
        assert set(posts) <= {"/logout/", "/i18n/setlang/", "/evaluation/bundle/"}, (path, posts)
        seen |= _same_site_links(html)
    for link in sorted(seen - set(start)):
        status = client.get(link).status_code
        assert status in (200, 302), (link, status)
