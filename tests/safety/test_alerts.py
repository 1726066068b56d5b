import datetime as dt

import pytest
from django.core import mail

from nurture.accounts.enums import Role
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import ItemResponse, StudySettings
from nurture.common.errors import DomainError, NotPermitted
from nurture.safety import domain as safety
from nurture.safety.models import Alert

from .. import factories as f

NOW = dt.datetime(2026, 1, 2, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def pre(world):
    world.site_a.on_call_emails = "oncall@example.org"
    world.site_a.save()
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    return assessment


@pytest.mark.parametrize("keyed, urgent", [(0, False), (1, True), (3, True)])
def test_epds_item_10_raises_an_urgent_alert_in_the_same_save(pre, keyed, urgent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=keyed), now=NOW)
    assert result.urgent is urgent
    alerts = Alert.objects.filter(rule="self_harm")
    assert alerts.count() == (1 if urgent else 0)
    if urgent:
        alert = alerts.get()
        assert (alert.severity, alert.triggering, alert.dyad) == ("urgent", {"subject": "item 10", "observed": keyed},
                                                                  pre.dyad)
        assert len(mail.outbox) == 1 and mail.outbox[0].to == ["oncall@example.org"]
        assert "Leakwell" not in mail.outbox[0].body and pre.dyad.code in mail.outbox[0].subject


@pytest.mark.parametrize("instrument, answers, rule, severity", [
    ("phq9", {"9": "1"}, "self_harm", "urgent"),
    ("gad7", {str(i): "3" for i in range(1, 6)} | {"6": "0", "7": "0"}, "severe_anxiety", "follow_up"),
    ("pbq", {"18": "0", "24": "5"}, "incipient_abuse", "urgent"),
])
def test_each_rule_fires(world, instrument, answers, rule, severity):
    settings = StudySettings.objects.create(study=world.study, battery={"pre": [instrument]})
    assert settings.pk
    assessment = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    base = f.all_items(instrument, 0 if instrument != "pbq" else 5)
    capture.save_answers(assessment, instrument, base | answers, now=NOW)
    assert list(Alert.objects.values_list("rule", "severity")) == [(rule, severity)]


def test_the_same_rule_does_not_alert_twice_for_one_assessment(pre):
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=2), now=NOW)
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=3), now=NOW)
    capture.submit_assessment(pre, now=NOW)
    assert Alert.objects.filter(rule="self_harm").count() == 1


def test_an_unanswered_safety_item_raises_a_follow_up_at_submission(pre):
    answers = f.epds_answers()
    del answers["10"]
    capture.save_answers(pre, "epds", answers, now=NOW)
    assert not Alert.objects.exists()  # she may still go back and answer
    capture.submit_assessment(pre, now=NOW)
    assert list(Alert.objects.values_list("rule", "severity")) == [("safety_item_unanswered", "follow_up")]


def test_an_alert_is_never_lost_when_sending_the_email_fails(pre, monkeypatch, django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("nurture.safety.domain.send_mail", broken)
    with django_capture_on_commit_callbacks(execute=True):
        capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    assert Alert.objects.filter(rule="self_harm").exists()
    assert ItemResponse.objects.filter(assessment=pre, item="10").exists()


def test_answers_and_alert_roll_back_together(pre, monkeypatch):
    def fail_after_alert(*args, **kwargs):
        raise RuntimeError("crash after the alert row")

    monkeypatch.setattr("nurture.safety.domain.audit.record", fail_after_alert)
    with pytest.raises(RuntimeError):
        capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    assert not Alert.objects.exists() and not ItemResponse.objects.exists()


def test_acknowledging_needs_the_action_taken_and_happens_once(world, pre):
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    alert = Alert.objects.get()
    with pytest.raises(DomainError, match="Describe the action taken"):
        safety.acknowledge_alert(world.facilitator, alert, "ok")
    safety.acknowledge_alert(world.facilitator, alert, "Called her; she is safe; midwife informed.",
                             now=NOW + dt.timedelta(minutes=20))
    alert.refresh_from_db()
    assert (alert.acknowledged_by, alert.acknowledged_at) == (world.facilitator, NOW + dt.timedelta(minutes=20))
    with pytest.raises(DomainError, match="Already acknowledged"):
        safety.acknowledge_alert(world.coordinator, alert, "Again, second person.")


def test_alerts_are_visible_to_staff_responsible_for_the_dyad_only(world, pre):
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    alert = Alert.objects.get()
    assert list(safety.visible_alerts(world.facilitator)) == [alert]
    assert list(safety.visible_alerts(world.coordinator)) == [alert]
    for outsider in (world.other_facilitator, world.outsider, world.researcher):
        assert not safety.visible_alerts(outsider).exists()
    with pytest.raises(NotPermitted):
        safety.acknowledge_alert(world.outsider, alert, "Not mine to acknowledge.")


def test_urgent_alerts_escalate_to_coordinators_then_administrators(world, pre):
    world.coordinator.email = "coord@example.org"
    world.coordinator.save()
    world.admin.email = "admin@example.org"
    world.admin.save()
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    mail.outbox.clear()
    assert safety.escalate_alerts(NOW + dt.timedelta(minutes=59)) == []
    [alert] = safety.escalate_alerts(NOW + dt.timedelta(minutes=60))
    assert alert.escalation_level == 1
    assert safety.escalate_alerts(NOW + dt.timedelta(minutes=90)) == []
    [alert] = safety.escalate_alerts(NOW + dt.timedelta(minutes=121))
    assert alert.escalation_level == 2
    assert safety.escalate_alerts(NOW + dt.timedelta(hours=10)) == []


def test_escalation_emails_go_out_after_commit(world, pre, django_capture_on_commit_callbacks):
    world.coordinator.email = "coord@example.org"
    world.coordinator.save()
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        safety.escalate_alerts(NOW + dt.timedelta(minutes=61))
    assert [m.to for m in mail.outbox] == [["coord@example.org"]]
    assert "ESCALATED" in mail.outbox[0].subject


def test_acknowledged_and_follow_up_alerts_do_not_escalate(world, pre):
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1, level=2), now=NOW)
    urgent = Alert.objects.get(rule="self_harm")
    safety.acknowledge_alert(world.coordinator, urgent, "Called and made a plan.", now=NOW)
    assert Alert.objects.filter(rule="probable_depression").exists()
    assert safety.escalate_alerts(NOW + dt.timedelta(days=3)) == []


def test_the_escalation_time_is_configurable_per_study(world, pre):
    StudySettings.objects.filter(study=world.study).update(escalation_minutes=15)
    capture.save_answers(pre, "epds", f.epds_answers(self_harm_keyed=1), now=NOW)
    assert len(safety.escalate_alerts(NOW + dt.timedelta(minutes=16))) == 1


def test_crisis_resources_default_and_per_site(world):
    from nurture.safety.models import SiteSafety

    assert safety.crisis_resources(world.site_a, "es")[0]["contact"].endswith("988")
    SiteSafety.objects.create(site=world.site_a, crisis_resources={"en": [{"name": "Local line", "contact": "555"}]})
    assert safety.crisis_resources(world.site_a, "en") == [{"name": "Local line", "contact": "555"}]
    assert safety.crisis_resources(world.site_a, "es") == [{"name": "Local line", "contact": "555"}]


def test_role_enum_is_used_for_recipients(world):
    assert Role.COORDINATOR.value == "coordinator"
