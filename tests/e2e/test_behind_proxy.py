"""Deployed as the docs say: `nurture serve` in production mode behind an HTTPS reverse
proxy, over real HTTP.

The proxy is played by connections from 127.0.0.2 (``NURTURE_TRUSTED_PROXIES``) carrying
``X-Forwarded-For`` and ``X-Forwarded-Proto: https``, as Caddy and nginx send them; a
client connecting straight from 127.0.0.1 is not believed. A facilitator logs in (a
POST: the CSRF origin check must pass behind the proxy), a mother's survey link is built
with the site address and she saves an answer, and every response carries the security
headers. The server shares the e2e demo database with the development server.
"""

import http.client
import json
import re
import subprocess
import time
import urllib.parse
from http.cookies import SimpleCookie

import pytest

from .conftest import free_port

pytestmark = pytest.mark.e2e

SITE = "https://nurture.test"
PROXY = "127.0.0.2"


class Browser:
    """One client's cookies, reaching the server through the proxy (or around it)."""

    def __init__(self, port: int, client: str, *, source: str = PROXY):
        self.port, self.client, self.source, self.cookies = port, client, source, {}

    def request(self, method: str, path: str, form: dict | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30, source_address=(self.source, 0))
        headers = {"Host": "nurture.test", "X-Forwarded-For": self.client, "X-Forwarded-Proto": "https",
                   "User-Agent": "ProxyTest/1.0"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers |= {"Content-Type": "application/x-www-form-urlencoded", "Origin": SITE,
                        "Referer": SITE + path}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        text = response.read().decode()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        conn.close()
        return response, text

    def csrf(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]


@pytest.fixture(scope="module")
def production(server):
    env = dict(server["env"])
    env |= {"NURTURE_ENV": "production", "NURTURE_SECRET_KEY": "pX4_mZ9-" * 7, "NURTURE_SITE_URL": SITE,
            "NURTURE_TRUSTED_PROXIES": PROXY, "NURTURE_EMAIL_URL": "smtp://127.0.0.1:9"}
    env.pop("NURTURE_DEBUG", None)
    port = free_port()
    proc = subprocess.Popen(server["nurture"] + ["serve", "--port", str(port), "--no-jobs"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("nurture serve did not start: " + proc.stdout.read().decode()[-2000:])
    yield {"port": port, "env": env, "nurture": server["nurture"]}
    proc.terminate()
    proc.wait(timeout=10)


def test_a_facilitator_logs_in_through_the_https_proxy_with_every_security_header(production):
    me = Browser(production["port"], "203.0.113.7")
    response, html = me.request("GET", "/login/")
    assert response.status == 200
    headers = response.headers
    assert "max-age=31536000" in headers["Strict-Transport-Security"]
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-eval" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert "no-store" in headers["Cache-Control"]
    assert "__Host-nurture_csrf" in me.cookies
    cookie_header = " ".join(response.headers.get_all("Set-Cookie"))
    assert "Secure" in cookie_header
    response, _ = me.request("POST", "/login/", {"csrfmiddlewaretoken": me.csrf(html), "username": "facilitator",
                                                 "password": "nurture-demo"})
    assert response.status == 302, "a POST behind the proxy must pass the CSRF origin check"
    assert "__Host-nurture_session" in me.cookies
    response, html = me.request("GET", "/")
    assert response.status == 200 and "facilitator" in html
    assert "no-store" in response.headers["Cache-Control"]
    audit = subprocess.run(production["nurture"] + ["audit", "--since", "1h", "--action", "login", "--format",
                                                    "json", "--user", "facilitator"],
                           env=production["env"], capture_output=True, text=True, check=True)
    last = json.loads(audit.stdout)[-1]
    assert (last["ip_address"], last["user_agent"]) == ("203.0.113.7", "ProxyTest/1.0")


def test_a_mother_saves_an_answer_through_the_proxy_on_a_link_built_with_the_site_address(production):
    link = subprocess.run(production["nurture"] + ["survey-link", "NC-0058", "post"], env=production["env"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert link.startswith(f"{SITE}/s/")
    path = urllib.parse.urlsplit(link).path
    mother = Browser(production["port"], "198.51.100.23")
    response, html = mother.request("GET", path + "p/1/")
    assert response.status == 200 and "no-store" in response.headers["Cache-Control"]
    assert "Content-Security-Policy" in response.headers
    item = re.search(r'name="(item-[^"]+)" value="([^"]+)"', html)
    link_pass = re.search(r'name="link_pass" value="([^"]+)"', html)[1]  # what the page's script sends
    response, body = mother.request("POST", path + "p/1/answer/", {"link_pass": link_pass, "item": item[1],
                                                                   "value": item[2]})
    assert response.status == 200, body
    _, html = mother.request("GET", path + "p/1/")
    assert re.search(rf'name="{item[1]}" value="{item[2]}"[^>]* checked', html)


def test_a_client_around_the_proxy_is_not_believed(production):
    direct = Browser(production["port"], "203.0.113.99", source="127.0.0.1")
    response, _ = direct.request("GET", "/login/")
    # it claimed HTTPS, but only the proxy's word counts: sent to the HTTPS address
    assert response.status == 301 and response.headers["Location"] == f"{SITE}/login/"


def test_an_error_never_shows_the_debug_page(production):
    response, html = Browser(production["port"], "203.0.113.7").request("GET", "/s/no-such-link/p/999/")
    assert response.status == 404
    assert "Traceback" not in html and "DEBUG = True" not in html and "URLconf" not in html
