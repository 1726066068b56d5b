"""Two-factor sign-in: a role that needs it reaches nothing before a code; codes come from
an authenticator (TOTP) or a one-time recovery code; wrong codes are refused and audited."""

import re

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from nurture.accounts import twofactor
from nurture.accounts.enums import AuditAction, Role
from nurture.accounts.models import AuditEvent

from .. import factories as f


@pytest.fixture
def coordinator(db, settings):
    settings.TWO_FACTOR_ROLES = ["coordinator"]
    return f.make_user(Role.COORDINATOR, f.make_site(), "maria")


def log_in(client, username="maria"):
    response = client.post("/login/", {"username": username, "password": f.PASSWORD})
    assert response.status_code == 302
    return response


def code_for(user) -> str:
    device = TOTPDevice.objects.filter(user=user).order_by("-pk").first()
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def set_up(client, user) -> list[str]:
    assert client.get("/account/two-factor/setup/").status_code == 200
    response = client.post("/account/two-factor/setup/", {"code": code_for(user)})
    assert response.status_code == 200
    return re.findall(r"<li><code>([^<]+)</code></li>", response.content.decode())


def test_a_required_role_must_set_up_an_authenticator_before_any_page(client, coordinator):
    log_in(client)
    response = client.get("/participants/")
    assert response.status_code == 302 and response["Location"].startswith("/account/two-factor/setup/")
    assert client.get("/admin/").status_code == 302
    codes = set_up(client, coordinator)
    assert len(codes) == twofactor.RECOVERY_CODES
    assert client.get("/participants/").status_code == 200


def test_the_next_sign_in_needs_a_code_and_a_wrong_one_is_refused_and_audited(client, coordinator):
    log_in(client)
    set_up(client, coordinator)
    client.post("/logout/")
    log_in(client)
    response = client.get("/participants/")
    assert response["Location"].startswith("/account/two-factor/verify/")
    assert client.post("/account/two-factor/verify/", {"code": "000000"}).status_code in (400, 429)
    assert client.get("/participants/").status_code == 302
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR, summary="Wrong two-factor code").exists()


def test_a_recovery_code_works_once(client, coordinator):
    log_in(client)
    codes = set_up(client, coordinator)
    for attempt in range(2):
        client.post("/logout/")
        log_in(client)
        response = client.post("/account/two-factor/verify/", {"code": codes[0], "next": "/participants/"})
        if attempt == 0:
            assert response.status_code == 302 and response["Location"] == "/participants/"
            assert client.get("/participants/").status_code == 200
        else:
            assert response.status_code in (400, 429)


def test_an_authenticator_code_signs_in(client, coordinator):
    log_in(client)
    set_up(client, coordinator)
    client.post("/logout/")
    log_in(client)
    device = TOTPDevice.objects.get(user=coordinator)
    device.last_t = -1  # the set-up code was this time step's; a new step's code is what the app shows next
    device.save()
    assert client.post("/account/two-factor/verify/", {"code": code_for(coordinator)}).status_code == 302
    assert client.get("/participants/").status_code == 200


def test_a_role_that_does_not_need_it_signs_in_with_the_password(client, coordinator):
    f.make_user(Role.FACILITATOR, f.make_site("b"), "lucia")
    log_in(client, "lucia")
    assert client.get("/participants/").status_code == 200


def test_an_administrator_resets_a_lost_phone_and_a_coordinator_of_another_site_cannot(client, coordinator):
    from nurture.common.errors import NotPermitted

    log_in(client)
    set_up(client, coordinator)
    outsider = f.make_user(Role.COORDINATOR, f.make_site("b"), "coord_b")
    with pytest.raises(NotPermitted):
        twofactor.reset(outsider, coordinator)
    twofactor.reset(f.make_user(Role.ADMINISTRATOR, None, "admin"), coordinator)
    assert not twofactor.has_authenticator(coordinator)
    assert AuditEvent.objects.filter(action=AuditAction.TWO_FACTOR, username="admin").exists()
