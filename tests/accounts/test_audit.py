import pytest

from nurture.accounts import audit
from nurture.accounts.enums import AuditAction
from nurture.accounts.models import AppendOnlyError, AuditEvent

from .. import factories as f


def test_the_audit_log_cannot_be_changed_or_deleted(db):
    event = audit.record(None, AuditAction.EXPORT, summary="bundle")
    event.summary = "rewritten"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.all().delete()
    with pytest.raises(AppendOnlyError):
        AuditEvent.objects.update(summary="x")
    assert AuditEvent.objects.get().summary == "bundle"


def test_a_login_and_a_failed_login_are_audited(client, db):
    from nurture.accounts.enums import Role

    f.make_user(Role.COORDINATOR, f.make_site(), "maria")
    client.post("/login/", {"username": "maria", "password": "wrong-password"})
    client.post("/login/", {"username": "maria", "password": f.PASSWORD})
    actions = list(AuditEvent.objects.order_by("id").values_list("action", "username"))
    assert actions[-2:] == [("login_failed", ""), ("login", "maria")]
    assert "maria" in AuditEvent.objects.get(action="login_failed").summary


def test_repeated_failed_logins_lock_the_account_for_a_while(client, db, settings):
    from nurture.accounts.enums import Role

    f.make_user(Role.COORDINATOR, f.make_site(), "maria")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "maria", "password": "wrong-password"})
    response = client.post("/login/", {"username": "maria", "password": f.PASSWORD})
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content


def test_a_refused_request_on_a_participant_object_is_audited(world, client_for):
    client = client_for(world.outsider)
    assert client.get(f"/participants/{world.dyad1.pk}/").status_code == 404
    event = AuditEvent.objects.get(action=AuditAction.REFUSED)
    assert (event.username, event.object_type, event.object_id) == ("coord_b", "participants.Dyad",
                                                                    str(world.dyad1.pk))
    assert event.channel == "web" and event.ip_address == "127.0.0.1"
    client.get("/no-such-page/")
    assert AuditEvent.objects.filter(action=AuditAction.REFUSED).count() == 1  # a typo is no attempt


def test_a_command_line_action_names_the_system_account_and_the_command(world, monkeypatch):
    import getpass
    import json
    import sys

    from typer.testing import CliRunner

    from nurture.cli.main import app

    args = ["survey-link", world.dyad1.code, "pre"]
    monkeypatch.setattr(sys, "argv", ["/usr/local/bin/nurture", *args])
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    event = AuditEvent.objects.filter(object_type="capture.SurveyLink").latest("id")
    assert (event.channel, event.os_user) == ("cli", getpass.getuser())
    assert event.command == f"nurture survey-link {world.dyad1.code} pre"
    listed = json.loads(CliRunner().invoke(app, ["audit", "--since", "1h", "--format", "json"]).output)
    assert any(row["command"] == event.command and row["channel"] == "cli" for row in listed)
    refused = CliRunner().invoke(app, ["audit", "--since", "last tuesday"])
    assert refused.exit_code == 2 and "--since 'last tuesday' is not a date" in refused.output
