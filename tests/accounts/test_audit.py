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
