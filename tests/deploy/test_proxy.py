"""Behind a reverse proxy: who the client is, and which forwarded headers are believed.

The proxy is 10.0.0.1 (``NURTURE_TRUSTED_PROXIES``); mothers and staff reach it from their
own addresses. Throttles, the login lockout and the audit log must count each of them,
never the proxy — and a client connecting directly must not be able to name her own
address or claim HTTPS.
"""

import ipaddress

import pytest
from django.core.cache import cache

from nurture.accounts.enums import AuditAction, Role
from nurture.accounts.models import AuditEvent
from nurture.capture import domain as capture
from nurture.capture.enums import Timepoint
from nurture.common.proxy import client_key, forwarded_client
from nurture.survey import throttle

from .. import factories as f

PROXY = "10.0.0.1"


@pytest.fixture(autouse=True)
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network(PROXY)]
    cache.clear()
    yield
    cache.clear()


def via_proxy(client_address: str, proto: str = "https") -> dict:
    return {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": client_address, "HTTP_X_FORWARDED_PROTO": proto}


def test_the_client_is_the_rightmost_address_the_trusted_proxies_did_not_write(settings):
    settings.TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/8")]
    # the client wrote "1.2.3.4" herself; the proxies appended what they saw
    assert forwarded_client("10.0.0.1", "1.2.3.4, 198.51.100.7, 10.0.0.9") == "198.51.100.7"
    assert forwarded_client("10.0.0.1", "198.51.100.7") == "198.51.100.7"
    assert forwarded_client("10.0.0.1", "not-an-address") == "10.0.0.1"


def test_an_ipv6_client_is_counted_by_her_64_network(rf):
    request = rf.get("/", REMOTE_ADDR="2001:db8:1:2:aaaa::1")
    assert client_key(request) == "2001:db8:1:2::"


def test_forwarded_headers_from_anyone_but_the_proxy_are_dropped(client, db):
    f.make_user(Role.COORDINATOR, f.make_site(), "maria")
    client.post("/login/", {"username": "maria", "password": "wrong-password"}, REMOTE_ADDR="198.51.100.50",
                HTTP_X_FORWARDED_FOR="203.0.113.1", HTTP_X_FORWARDED_PROTO="https")
    event = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert event.ip_address == "198.51.100.50"  # not the address she claimed


def test_the_audit_log_records_the_real_client_address_and_browser(client, db):
    f.make_user(Role.COORDINATOR, f.make_site(), "maria")
    client.post("/login/", {"username": "maria", "password": f.PASSWORD}, HTTP_USER_AGENT="Firefox/140",
                **via_proxy("203.0.113.9"))
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert (event.ip_address, event.user_agent, event.channel) == ("203.0.113.9", "Firefox/140", "web")


def test_one_mother_guessing_links_blocks_only_herself_not_everyone_behind_the_proxy(client, world):
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    _, token = capture.issue_link(world.coordinator, assessment)
    for n in range(throttle.GUESS_LIMIT):
        assert client.get(f"/s/not-a-token-{n}/", **via_proxy("203.0.113.66")).status_code == 404
    assert client.get(f"/s/{token}/", **via_proxy("203.0.113.66")).status_code == 429
    assert client.get(f"/s/{token}/", **via_proxy("198.51.100.2")).status_code == 200
    blocked = AuditEvent.objects.filter(action=AuditAction.REFUSED, object_type="capture.SurveyLink")
    assert [e.ip_address for e in blocked] == ["203.0.113.66"]


def test_a_link_asked_for_too_often_is_slowed_down_whoever_asks(client, world, monkeypatch):
    monkeypatch.setattr(throttle, "LINK_LIMIT", 5)
    assessment = capture.schedule_assessment(world.coordinator, world.dyad1, Timepoint.PRE)
    _, token = capture.issue_link(world.coordinator, assessment)
    codes = [client.get(f"/s/{token}/", **via_proxy(f"203.0.113.{n}")).status_code for n in range(7)]
    assert codes == [200] * 5 + [429] * 2


def test_bad_passwords_lock_only_that_username_from_that_address(client, db, settings):
    site = f.make_site()
    f.make_user(Role.COORDINATOR, site, "maria")
    f.make_user(Role.FACILITATOR, site, "lucia")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "maria", "password": "wrong-password"}, **via_proxy("203.0.113.66"))
    locked = client.post("/login/", {"username": "maria", "password": f.PASSWORD}, **via_proxy("203.0.113.66"))
    assert locked.status_code == 429
    assert AuditEvent.objects.filter(action=AuditAction.LOCKED_OUT, ip_address="203.0.113.66").exists()
    # the same proxy, other people: a colleague, and maria herself from her own phone
    for username, address in (("lucia", "203.0.113.66"), ("maria", "198.51.100.2")):
        client.logout()
        response = client.post("/login/", {"username": username, "password": f.PASSWORD}, **via_proxy(address))
        assert response.status_code == 302, username


def test_a_coordinator_unlocks_her_own_sites_staff_and_not_others(client, db, settings):
    from nurture.accounts import lockout
    from nurture.common.errors import NotPermitted

    site, other = f.make_site("a"), f.make_site("b")
    coordinator = f.make_user(Role.COORDINATOR, site, "coord")
    outsider = f.make_user(Role.COORDINATOR, other, "coord_b")
    f.make_user(Role.FACILITATOR, site, "lucia")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "lucia", "password": "wrong-password"}, **via_proxy("203.0.113.66"))
    assert [(lock.username, lock.address) for lock in lockout.current_locks(coordinator)] == [
        ("lucia", "203.0.113.66")]
    assert lockout.current_locks(outsider) == []
    with pytest.raises(NotPermitted):
        lockout.unlock(outsider, "lucia")
    assert lockout.unlock(coordinator, "lucia") >= 1
    assert AuditEvent.objects.filter(action=AuditAction.UNLOCK, username="coord").count() == 1
    response = client.post("/login/", {"username": "lucia", "password": f.PASSWORD}, **via_proxy("203.0.113.66"))
    assert response.status_code == 302


def test_the_account_page_lists_the_lock_and_unlocks_it(client, db, settings):
    site = f.make_site("a")
    coordinator = f.make_user(Role.COORDINATOR, site, "coord")
    f.make_user(Role.FACILITATOR, site, "lucia")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "lucia", "password": "wrong-password"}, **via_proxy("203.0.113.66"))
    client.force_login(coordinator)
    html = client.get("/account/").content.decode()
    assert "lucia" in html and "203.0.113.66" in html
    response = client.post("/account/unlock/", {"username": "lucia"}, follow=True)
    assert "Sign-in unlocked" in response.content.decode()
    assert "No one is locked out" in response.content.decode()
