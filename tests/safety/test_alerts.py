"""The alert lifecycle: raised with its messages queued in the same transaction, a worse
answer never silently absorbed, acknowledged with a real note, closed with an outcome by
the right people, escalated without end and without skipping, and a withdrawal noted."""

import datetime as dt

import pytest

from nurture.accounts.enums import Role
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import ItemResponse
from nurture.common.errors import DomainError, NotPermitted
from nurture.notifications.models import Notification
from nurture.participants import domain as participants
from nurture.participants.enums import EnrollmentStatus
from nurture.safety import domain as safety
from nurture.safety.models import Alert

from .. import factories as f

NOW = dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC)
NOTE = "Called her at 15:20; she is safe at home with her sister."


def minutes(n):
    return NOW + dt.timedelta(minutes=n)


@pytest.fixture
def pre(world):
    f.make_safety(world.site_a, emails="oncall@example.org", phones="+1 555 010 0100")
    for user, email in ((world.coordinator, "coord@example.org"), (world.admin, "admin@example.org")):
        user.email = email
        user.save()
    return capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)


def item10(pre, keyed, when=NOW):
    return capture.save_answers(pre, "epds", f.keyed_answers("epds", {"10": keyed}), now=when)


def messages(alert, kind=None):
    notes = Notification.objects.filter(alert=alert).order_by("pk")
    if kind:
        notes = notes.filter(kind=kind)
    return [(n.channel, n.to) for n in notes]


# --------------------------------------------------------------------------- raising and messages


def test_an_urgent_answer_queues_email_and_text_to_the_on_call_list_in_the_same_transaction(world, pre):
    result = item10(pre, 1)
    alert = Alert.objects.get()
    assert result.alerts == [alert] and result.urgent_topics == {"self_harm"}
    assert (alert.severity, alert.topic, alert.status, alert.triggering) == (
        "urgent", "self_harm", "open", {"subject": "item 10", "observed": 1.0, "partial": False, "path": "survey"})
    assert messages(alert) == [("sms", "+15550100100"), ("email", "oncall@example.org")]
    note = Notification.objects.filter(channel="email").get()
    assert note.status == "pending" and note.next_attempt_at == NOW
    assert "NC-0001" in note.subject and f"/alerts/{alert.pk}/" in note.body
    for secret in ("Leakwell", "Aurelia", "self-harm", "item 10", "harm"):
        assert secret not in note.body and secret not in note.subject


def test_a_follow_up_alert_is_emailed_but_not_texted(world, pre):
    capture.save_answers(pre, "epds", f.keyed_answers("epds", {"10": 0}, default=2), now=NOW)
    alert = Alert.objects.get()
    assert alert.severity == "follow_up" and messages(alert) == [("email", "oncall@example.org")]


def test_answers_alert_and_messages_roll_back_together(pre, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("crash after the alert row")

    monkeypatch.setattr("nurture.safety.domain.audit.record", crash)
    with pytest.raises(RuntimeError):
        item10(pre, 1)
    assert not Alert.objects.exists() and not ItemResponse.objects.exists()
    assert not Notification.objects.exists()


def test_without_an_on_call_list_the_coordinators_are_told(world, pre):
    f.make_safety(world.site_a)
    item10(pre, 1)
    assert messages(Alert.objects.get()) == [("email", "coord@example.org")]


def test_with_nobody_to_tell_the_alert_says_so(world, pre, client_for):
    f.make_safety(world.site_a)
    world.coordinator.email = ""
    world.coordinator.save()
    item10(pre, 1)
    alert = Alert.objects.get()
    assert not alert.notifications.exists()
    assert list(alert.events.values_list("kind", flat=True)) == ["raised", "nobody"]
    page = client_for(world.facilitator).get(f"/alerts/{alert.pk}/").content.decode()
    assert "Nobody was notified" in page
    banner = client_for(world.facilitator).get("/").content.decode()
    assert "nobody notified" in banner


# --------------------------------------------------------------------------- worse answers


def test_a_worse_answer_after_acknowledgement_raises_a_new_alert_and_the_crisis_page(world, pre):
    item10(pre, 1)
    first = Alert.objects.get()
    safety.acknowledge_alert(world.facilitator, first, NOTE, now=minutes(10))

    result = item10(pre, 3, when=minutes(30))

    second = Alert.objects.exclude(pk=first.pk).get()
    assert result.alerts == [second] and result.urgent
    assert (second.previous, second.status, second.observed) == (first, "open", 3.0)
    assert messages(second) == [("sms", "+15550100100"), ("email", "oncall@example.org")]
    assert first.events.filter(kind="raised_again").exists()


def test_the_same_or_a_milder_answer_raises_nothing_more(world, pre):
    item10(pre, 2)
    safety.acknowledge_alert(world.facilitator, Alert.objects.get(), NOTE, now=minutes(5))
    for keyed in (2, 1, 0, 2):
        result = item10(pre, keyed, when=minutes(10))
        assert result.alerts == []
    assert Alert.objects.count() == 1 and Notification.objects.count() == 2


def test_a_worse_answer_on_an_open_alert_updates_it_and_tells_the_on_call_list_again(world, pre):
    item10(pre, 1)
    result = item10(pre, 3, when=minutes(2))
    alert = Alert.objects.get()
    assert result.alerts == [alert]
    assert (alert.observed, alert.triggering["earlier"]) == (3.0, [1.0])
    assert messages(alert, "alert_worse") == [("sms", "+15550100100"), ("email", "oncall@example.org")]


def test_saving_the_risk_page_again_still_shows_the_crisis_page(pre):
    first = item10(pre, 2)
    again = item10(pre, 2, when=minutes(1))
    assert first.urgent and again.urgent and again.alerts == []


# --------------------------------------------------------------------------- acknowledging and closing


@pytest.mark.parametrize("note", ["", ".....", "ok ok ok", "called"])
def test_acknowledging_needs_a_note_a_colleague_can_act_on(world, pre, note):
    item10(pre, 1)
    with pytest.raises(DomainError, match="Describe the action taken"):
        safety.acknowledge_alert(world.facilitator, Alert.objects.get(), note)
    assert Alert.objects.get().status == "open"


def test_acknowledging_happens_once_and_stops_escalation(world, pre):
    item10(pre, 1)
    alert = safety.acknowledge_alert(world.facilitator, Alert.objects.get(), NOTE, now=minutes(20))
    assert (alert.status, alert.acknowledged_by, alert.acknowledged_at) == ("acknowledged", world.facilitator,
                                                                            minutes(20))
    with pytest.raises(DomainError, match="Already acknowledged by fac_1"):
        safety.acknowledge_alert(world.coordinator, alert, NOTE)
    assert safety.escalate_alerts(minutes(600)) == []


def test_a_facilitator_cannot_close_an_urgent_alert_but_a_clinical_responder_can(world, pre):
    item10(pre, 1)
    alert = Alert.objects.get()
    with pytest.raises(NotPermitted, match="clinical responders"):
        safety.close_alert(world.facilitator, alert, "contacted_mother", NOTE)
    closed = safety.close_alert(world.coordinator, alert, "safety_plan", NOTE, now=minutes(40))
    assert (closed.status, closed.outcome, closed.closed_by, closed.acknowledged_at) == (
        "closed", "safety_plan", world.coordinator, minutes(40))
    with pytest.raises(DomainError, match="Already closed"):
        safety.close_alert(world.admin, closed, "referred", NOTE)


def test_the_site_chooses_its_clinical_responders(world, pre):
    f.make_safety(world.site_a, emails="oncall@example.org", clinical_responder_roles=["administrator"])
    item10(pre, 1)
    alert = Alert.objects.get()
    with pytest.raises(NotPermitted):
        safety.close_alert(world.coordinator, alert, "referred", NOTE)
    assert safety.close_alert(world.admin, alert, "referred", NOTE).status == "closed"


def test_anyone_responsible_may_close_a_follow_up_alert(world, pre):
    capture.save_answers(pre, "epds", f.keyed_answers("epds", {"10": 0}, default=2), now=NOW)
    alert = Alert.objects.get(rule="probable_depression")
    assert safety.close_alert(world.facilitator, alert, "contacted_mother", NOTE).status == "closed"


@pytest.mark.parametrize("outcome, note", [("", NOTE), ("resolved", NOTE), ("referred", "....")])
def test_closing_needs_a_structured_outcome_and_a_note(world, pre, outcome, note):
    item10(pre, 1)
    with pytest.raises(DomainError):
        safety.close_alert(world.coordinator, Alert.objects.get(), outcome, note)


def test_alerts_are_visible_to_staff_responsible_for_the_dyad_only(world, pre):
    item10(pre, 1)
    alert = Alert.objects.get()
    assert list(safety.visible_alerts(world.facilitator)) == [alert]
    assert list(safety.visible_alerts(world.coordinator)) == [alert]
    for outsider in (world.other_facilitator, world.outsider, world.researcher):
        assert not safety.visible_alerts(outsider).exists()
    with pytest.raises(NotPermitted):
        safety.acknowledge_alert(world.outsider, alert, NOTE)
    with pytest.raises(NotPermitted):
        safety.close_alert(world.outsider, alert, "referred", NOTE)


# --------------------------------------------------------------------------- escalation


def kinds(alert):
    return [k for k in Notification.objects.filter(alert=alert).order_by("pk").values_list("kind", flat=True)
            if k.startswith("escalation")]


def test_escalation_goes_to_coordinators_then_administrators_then_repeats_until_acknowledged(world, pre):
    item10(pre, 1)
    alert = Alert.objects.get()
    assert safety.escalate_alerts(minutes(59)) == []
    assert [a.escalation_level for a in safety.escalate_alerts(minutes(60))] == [1]
    assert messages(alert, "escalation_1") == [("email", "coord@example.org")]
    assert safety.escalate_alerts(minutes(90)) == []
    assert [a.escalation_level for a in safety.escalate_alerts(minutes(120))] == [2]
    assert messages(alert, "escalation_2") == [("email", "admin@example.org")]
    assert safety.escalate_alerts(minutes(179)) == []
    [repeat] = safety.escalate_alerts(minutes(180))
    assert (repeat.escalation_level, repeat.escalation_repeats) == (3, 1)
    assert messages(alert, "escalation_repeat") == [
        ("sms", "+15550100100"), ("email", "admin@example.org"), ("email", "coord@example.org"),
        ("email", "oncall@example.org")]
    # Ten hours on, nobody has acknowledged: it is still repeating.
    [later] = safety.escalate_alerts(minutes(600))
    assert later.escalation_repeats == 8
    safety.acknowledge_alert(world.coordinator, alert, NOTE, now=minutes(601))
    assert safety.escalate_alerts(minutes(900)) == []


def test_a_late_checker_still_notifies_each_level_in_order(world, pre):
    item10(pre, 1)
    alert = Alert.objects.get()
    [escalated] = safety.escalate_alerts(minutes(125))  # the checker did not run for two hours
    assert escalated.escalation_level == 2
    assert kinds(alert) == ["escalation_1", "escalation_2"]
    [escalated] = safety.escalate_alerts(minutes(60 * 9))  # and then not for seven more
    assert kinds(alert) == ["escalation_1", "escalation_2"] + ["escalation_repeat"] * 4
    assert escalated.escalation_repeats == 7  # missed repeats collapse into one round of messages


def test_escalation_times_are_set_per_site(world, pre):
    f.make_safety(world.site_a, emails="oncall@example.org", escalation_minutes=15, repeat_minutes=10)
    item10(pre, 1)
    assert [a.escalation_level for a in safety.escalate_alerts(minutes(16))] == [1]
    assert [a.escalation_level for a in safety.escalate_alerts(minutes(41))] == [3]


def test_follow_up_alerts_do_not_escalate(world, pre):
    capture.save_answers(pre, "epds", f.keyed_answers("epds", {"10": 0}, default=2), now=NOW)
    assert safety.escalate_alerts(minutes(60 * 24)) == []


def test_escalation_with_nobody_to_tell_is_recorded_not_claimed(world, pre):
    f.make_safety(world.site_a, emails="oncall@example.org")
    world.coordinator.email = ""
    world.coordinator.save()
    item10(pre, 1)
    alert = Alert.objects.get()
    safety.escalate_alerts(minutes(61))
    assert kinds(alert) == []
    assert alert.events.filter(kind="nobody").count() == 1


# --------------------------------------------------------------------------- leaving the study


def test_withdrawal_revokes_her_links_and_is_noted_on_her_open_alerts(world, pre, client):
    _, token = capture.issue_link(world.coordinator, pre)
    item10(pre, 2)
    alert = Alert.objects.get()
    dyad = participants.change_status(world.coordinator, world.dyad1, EnrollmentStatus.WITHDRAWN,
                                      effective_on=dt.date(2026, 1, 3), reason="Moved away")
    assert dyad.revoked_links == 1
    assert client.get(f"/s/{token}/").status_code == 410
    assert client.post(f"/s/{token}/p/1/", {"item-10": "0"}).status_code == 410
    alert.refresh_from_db()
    assert alert.status == "open"
    [event] = alert.events.filter(kind="dyad_ended")
    assert "withdrew on 03 Jan 2026" in event.note
    safety.escalate_alerts(dt.datetime(2026, 1, 3, 18, 0, tzinfo=dt.UTC))
    escalation = Notification.objects.filter(alert=alert, kind="escalation_1").first()
    assert escalation is not None and "withdrew on 03 Jan 2026" in escalation.body


@pytest.mark.parametrize("status", [EnrollmentStatus.LOST, EnrollmentStatus.COMPLETED])
def test_loss_and_completion_revoke_links_too(world, pre, status):
    _, token = capture.issue_link(world.coordinator, pre)
    participants.change_status(world.coordinator, world.dyad1, status, effective_on=dt.date(2026, 1, 3),
                               reason="No contact after three attempts")
    with pytest.raises(capture.InvalidLink):
        capture.resolve_token(token)


def test_recipients_use_the_role_enum(world):
    assert Role.COORDINATOR.value == "coordinator"


# --------------------------------------------------------------------------- found in review


def test_an_on_call_list_of_mobiles_with_texts_off_falls_back_to_the_coordinators(world, pre, settings):
    settings.SMS_URL = "none://"
    f.make_safety(world.site_a, phones="+1 555 010 0100")
    item10(pre, 1)
    alert = Alert.objects.get()
    assert messages(alert) == [("email", "coord@example.org")]
    assert not alert.events.filter(kind="nobody").exists()


def test_a_follow_up_alert_with_an_on_call_list_of_mobiles_emails_the_coordinators(world, pre):
    f.make_safety(world.site_a, phones="+1 555 010 0100")
    capture.save_answers(pre, "epds", f.keyed_answers("epds", {"10": 0}, default=2), now=NOW)
    assert messages(Alert.objects.get()) == [("email", "coord@example.org")]


def test_an_alert_closed_as_entered_in_error_does_not_hide_a_real_risk_answer(world, pre):
    capture.enter_paper_form(world.coordinator, pre, "epds", f.keyed_answers("epds", {"10": 3}), now=NOW)
    first = Alert.objects.get()
    safety.close_alert(world.coordinator, first, "entry_error", "Typed the wrong box; the paper form says 1.",
                       now=minutes(5))
    pre.refresh_from_db()
    result = capture.correct_response(world.coordinator, pre, "epds", "10", f.keyed_answers("epds", {"10": 1})["10"],
                                      reason="Matches the paper form", expected_version=pre.version, now=minutes(6))
    second = Alert.objects.exclude(pk=first.pk).get()
    assert result.alerts == [second] and result.urgent
    assert (second.status, second.previous, second.observed, second.path) == ("open", first, 1.0, "correction")
    assert messages(second) == [("sms", "+15550100100"), ("email", "oncall@example.org")]


def test_an_escalation_level_that_reaches_nobody_says_so(world, pre):
    world.coordinator.email = ""
    world.coordinator.save()
    item10(pre, 1)
    alert = Alert.objects.get()
    safety.escalate_alerts(minutes(61))
    assert list(alert.events.filter(kind="nobody").values_list("note", flat=True)) == [
        "Not yet acknowledged: nobody could be told — no on-call address or coordinator email at the site "
        "(phone numbers receive texts only for urgent alerts, and only when texts are configured)."]


def test_two_checkers_racing_escalate_once(world, pre):
    from nurture.accounts.models import AuditEvent

    item10(pre, 1)
    safety.escalate_alerts(minutes(61))
    before = AuditEvent.objects.count()
    assert safety.escalate_alerts(minutes(61)) == []
    assert AuditEvent.objects.count() == before
