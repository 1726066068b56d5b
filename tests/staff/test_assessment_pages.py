import pytest
from django.conf import settings

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.safety.models import Alert

from .. import factories as f


@pytest.fixture
def alerting(world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=1))
    return assessment


def test_the_alert_banner_shows_on_every_page_for_responsible_staff(world, client_for, alerting):
    client = client_for(world.facilitator)
    for path in ("/", "/cohorts/", f"/cohorts/{world.cohort1.pk}/week/1/"):
        assert "open safety alert" in client.get(path).content.decode()


@pytest.mark.parametrize("persona", ["other_facilitator", "outsider", "researcher"])
def test_staff_not_responsible_for_the_dyad_see_no_banner(world, client_for, alerting, persona):
    html = client_for(getattr(world, persona)).get("/").content.decode()
    assert "open safety alert" not in html
    assert f"/alerts/{Alert.objects.get(rule='self_harm').pk}/" not in html


def test_acknowledging_from_the_alert_page_keeps_what_was_typed_on_a_refusal(world, client_for, alerting):
    client = client_for(world.facilitator)
    alert = Alert.objects.get(rule="self_harm")
    response = client.post(f"/alerts/{alert.pk}/", {"action": "acknowledge", "ack-action_taken": "....."})
    html = response.content.decode()
    assert html.count("Describe the action taken") == 1 and ".....</textarea>" in html
    response = client.post(f"/alerts/{alert.pk}/", {"action": "acknowledge",
                                                     "ack-action_taken": "Phoned her, made a safety plan."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.acknowledged_by) == ("acknowledged", world.facilitator)


def test_a_facilitator_is_told_who_may_close_an_urgent_alert(world, client_for, alerting):
    alert = Alert.objects.get(rule="self_harm")
    html = client_for(world.facilitator).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Close with an outcome" not in html
    assert "Only the site's clinical responders (coordinators, administrators)" in html
    response = client_for(world.facilitator).post(f"/alerts/{alert.pk}/", {
        "action": "close", "close-outcome": "referred", "close-note": "Referred to her doctor today."})
    assert response.status_code == 403
    assert Alert.objects.get(pk=alert.pk).status == "open"


def test_closing_from_the_alert_page_records_the_outcome(world, client_for, alerting):
    alert = Alert.objects.get(rule="self_harm")
    client = client_for(world.coordinator)
    html = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Close with an outcome" in html and "Emergency services called" in html
    response = client.post(f"/alerts/{alert.pk}/", {"action": "close", "close-outcome": "referred",
                                                    "close-note": "Referred to the perinatal team today."})
    assert response.status_code == 302
    alert.refresh_from_db()
    assert (alert.status, alert.outcome, alert.closed_by) == ("closed", "referred", world.coordinator)
    html = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "Referred for clinical care" in html and "Referred to the perinatal team today." in html


def test_the_alert_page_shows_who_was_told_and_the_history(world, client_for, alerting):
    alert = Alert.objects.get(rule="self_harm")
    alert.notifications.all().delete()
    f.make_safety(world.site_a, emails="oncall@example.org")
    capture.save_answers(alerting, "epds", f.epds_answers(self_harm_keyed=3))  # a worse answer: told again
    html = client_for(world.coordinator).get(f"/alerts/{alert.pk}/").content.decode()
    assert "oncall@example.org" in html and "Waiting to be sent" in html
    assert "Worse answer" in html and "item 10: 1 → 3" in html


def test_the_alert_list_has_a_fixed_number_of_queries(world, client_for, django_assert_max_num_queries):
    client = client_for(world.coordinator)
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=1))
    with django_assert_max_num_queries(20) as one:
        client.get("/alerts/?view=all")
    for dyad in (world.dyad2,):
        other = capture.schedule_assessment(world.coordinator, dyad, Timepoint.PRE)
        capture.save_answers(other, "epds", f.epds_answers(self_harm_keyed=2, level=2))
        capture.save_answers(other, "gad7", f.all_items("gad7", 3))
    with django_assert_max_num_queries(len(one.captured_queries)) as many:
        response = client.get("/alerts/?view=all")
    assert response.content.decode().count('href="/alerts/') >= 4
    assert len(many.captured_queries) == len(one.captured_queries)


def test_issuing_a_link_shows_it_once_with_a_qr_code(world, client_for):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    response = client_for(world.coordinator).post(f"/assessments/{assessment.pk}/link/")
    html = response.content.decode()
    # the address is the site's own (NURTURE_SITE_URL), whatever host the request named
    assert f"{settings.SITE_URL}/s/" in html and "<svg" in html
    token = html.split(f"{settings.SITE_URL}/s/")[1].split("/")[0]
    assert capture.resolve_token(token).assessment == assessment
    assert token not in client_for(world.coordinator).get(f"/assessments/{assessment.pk}/").content.decode()


def test_email_a_link_sends_only_a_new_server_built_link_and_audits_recipient_and_link(world, client_for,
                                                                                     mailoutbox):
    from nurture.accounts.models import AuditEvent
    from nurture.capture.models import SurveyLink

    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    client = client_for(world.coordinator)
    # a forged form field naming another server is ignored: nothing the browser sends is used
    response = client.post(f"/assessments/{assessment.pk}/link/email/", {"url": "https://evil.example/s/phish/"})
    assert response.status_code == 302
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["leak@example.org"]
    body = mailoutbox[0].body
    assert "evil.example" not in body and f"{settings.SITE_URL}/s/" in body
    token = body.split(f"{settings.SITE_URL}/s/")[1].split("/")[0]
    link = capture.resolve_token(token)
    assert link.assessment == assessment and SurveyLink.objects.filter(assessment=assessment).count() == 1
    event = AuditEvent.objects.filter(object_type="capture.Assessment", object_id=str(assessment.pk),
                                      summary__startswith="Emailed").get()
    assert event.after == {"recipient": "leak@example.org", "link_id": link.pk}
    assert event.username == "coord_a"


def test_the_assessment_page_marks_placeholder_wording(world, client_for):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    html = client_for(world.coordinator).get(f"/assessments/{assessment.pk}/").content.decode()
    assert "placeholder wording" in html and "not valid for real administration" in html


def test_paper_entry_keeps_what_was_typed_on_a_concurrent_edit(world, client_for):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    client = client_for(world.coordinator)
    stale = assessment.version
    capture.save_answers(assessment, "gad7", {"1": "1"})
    data = {"version": stale} | {f"item-{i}": "2" for i in range(1, 8)}
    response = client.post(f"/assessments/{assessment.pk}/paper/gad7/1/", data)
    html = response.content.decode()
    assert "Someone else changed this assessment" in html
    assert '<option value="2" selected>' in html


def test_an_outsider_cannot_open_the_assessment(world, client_for):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    assert client_for(world.outsider).get(f"/assessments/{assessment.pk}/").status_code == 404


def test_the_alert_page_gives_the_time_in_the_sites_own_zone(world, client_for):
    import datetime as dt

    world.site_a.time_zone = "America/Los_Angeles"
    world.site_a.save()
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=1),
                         now=dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC))
    html = client_for(world.coordinator).get(f"/alerts/{Alert.objects.get().pk}/").content.decode()
    assert "raised Fri 02 Jan 2026 07:00 PST" in html


def test_an_acknowledgement_written_before_a_worse_answer_is_refused_and_kept(world, client_for, alerting):
    client = client_for(world.facilitator)
    alert = Alert.objects.get(rule="self_harm")
    html = client.get(f"/alerts/{alert.pk}/").content.decode()
    seen = html.split('name="seen" value="')[1].split('"')[0]
    capture.save_answers(alerting, "epds", f.epds_answers(self_harm_keyed=3))  # worse, while she was typing
    note = "Called her; she sounded calm, will call again tomorrow."
    response = client.post(f"/alerts/{alert.pk}/", {"action": "acknowledge", "seen": seen, "ack-action_taken": note})
    html = response.content.decode()
    assert "A worse answer arrived while you were writing" in html and note in html
    assert Alert.objects.get(pk=alert.pk).status == "open"
