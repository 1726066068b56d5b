"""One `nurture serve` (loopback, its own var dir, the demo study) and one Debian chromium
for every end-to-end module: starting them costs most of an e2e test's time."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    var = tmp_path_factory.mktemp("e2e-var")
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env |= {"NURTURE_VAR_DIR": str(var), "NURTURE_WORDING_DIR": str(var / "wording")}
    nurture = [sys.executable, "-m", "nurture.cli"]
    subprocess.run(nurture + ["init"], env=env, check=True, capture_output=True, timeout=300)
    port = free_port()
    env["NURTURE_SITE_URL"] = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(nurture + ["serve", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(base + "/login/", timeout=1)
            break
        except OSError:
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("nurture serve did not start: " + proc.stdout.read().decode()[-2000:])
    yield {"base": base, "env": env, "nurture": nurture}
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield browser
        browser.close()
