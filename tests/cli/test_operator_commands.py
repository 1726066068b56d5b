"""survey-link, alerts, send-reminders and escalate-alerts, run in-process through Typer's runner."""

import datetime as dt
import json

import time_machine
from django.core import mail
from typer.testing import CliRunner

from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.capture.models import MessageLog
from nurture.cli.main import app

from .. import factories as f

runner = CliRunner()


def test_survey_link_creates_the_assessment_and_prints_a_working_url(world):
    result = runner.invoke(app, ["survey-link", world.dyad1.code, "pre"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://127.0.0.1:8000/s/")
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert capture.resolve_token(token).assessment.dyad == world.dyad1


def test_survey_link_bad_input_is_one_line_with_status_2(world):
    result = runner.invoke(app, ["survey-link", "NC-9999", "pre"])
    assert (result.exit_code, result.output.strip()) == (2, "nurture: error: no dyad with study id 'NC-9999'")
    result = runner.invoke(app, ["survey-link", world.dyad1.code, "during"])
    assert result.exit_code == 2 and "timepoint must be one of screening, pre, post" in result.output


def test_alerts_lists_open_alerts_as_json(world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=1))
    result = runner.invoke(app, ["alerts", "--open", "--format", "json"])
    assert result.exit_code == 0
    [row] = json.loads(result.output)
    assert (row["dyad"], row["severity"], row["rule"], row["status"], row["acknowledged"],
            row["escalation_level"]) == (world.dyad1.code, "urgent", "epds.self_harm", "open", None, 0)
    assert row["notifications"] == []  # nobody to tell: no on-call list, no coordinator email


def test_alerts_json_lists_each_message_and_send_notifications_delivers_them(world):
    f.make_safety(world.site_a, emails="oncall@example.org", phones="+1 555 010 0100")
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=2))
    [row] = json.loads(runner.invoke(app, ["alerts", "--format", "json"]).output)
    assert row["notifications"] == [
        {"channel": "sms", "to": "+15550100100", "status": "pending", "attempts": 0, "last_error": None,
         "kind": "alert"},
        {"channel": "email", "to": "oncall@example.org", "status": "pending", "attempts": 0, "last_error": None,
         "kind": "alert"}]
    result = runner.invoke(app, ["send-notifications"])
    assert result.exit_code == 0 and "2 message(s) sent, 0 failed" in result.output
    [row] = json.loads(runner.invoke(app, ["alerts", "--format", "json"]).output)
    assert [(n["status"], n["attempts"]) for n in row["notifications"]] == [("sent", 1), ("sent", 1)]
    assert [m.to for m in mail.outbox] == [["oncall@example.org"]]


@time_machine.travel(dt.datetime(2025, 12, 23, 14, tzinfo=dt.UTC), tick=False)
def test_send_reminders_sends_once_per_window_and_logs_it(world):
    capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)  # opens 2025-11-24, closes 2026-01-19
    opening = capture.schedule_assessment(world.coordinator, world.dyad2, Timepoint.PRE)
    opening.window_opens = dt.date(2025, 12, 22)  # opened yesterday: the mother of dyad 2 is reminded
    opening.save()
    result = runner.invoke(app, ["send-reminders"])
    assert result.exit_code == 0, result.output
    assert [m.to for m in mail.outbox] == [["leak@example.org"]]
    assert "/s/" in mail.outbox[0].body
    assert list(MessageLog.objects.values_list("kind", flat=True)) == ["reminder:opens"]
    runner.invoke(app, ["send-reminders"])
    assert len(mail.outbox) == 1


def test_escalate_alerts_command(world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    capture.save_answers(assessment, "epds", f.epds_answers(self_harm_keyed=1),
                         now=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=61))
    result = runner.invoke(app, ["escalate-alerts"])
    assert result.exit_code == 0
    assert "escalated to level 1" in result.output
