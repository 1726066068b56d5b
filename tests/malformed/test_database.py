"""A missing, unreadable or unmigrated database: one line from every command, a friendly 503
page from the web (with DEBUG on, never the debug page). Whole commands, as an operator runs them."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from .harness import expect_refused

NURTURE = [sys.executable, "-m", "nurture.cli"]


def environment(var_dir, **extra):
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    return env | {"NURTURE_VAR_DIR": str(var_dir), **extra}


@pytest.mark.parametrize("state, hint", [
    ("empty", "the database has no Nurture tables (run `nurture init`)"),
    ("garbage", "the database file cannot be opened"),
    ("folder", "the database file cannot be opened"),
])
@pytest.mark.parametrize("args", [["alerts"], ["export", "--bundle", "b"]], ids=lambda a: a[0])
def test_a_database_command_gives_one_line(tmp_path, state, hint, args):
    db = tmp_path / "nurture.sqlite3"
    if state == "garbage":
        db.write_bytes(b"this is not a database" * 100)
    elif state == "folder":
        db.mkdir()
    args = [str(tmp_path / a) if a == "b" else a for a in args]
    expect_refused(args[0], f"a database that is {state}", args, watch=[tmp_path / "b"],
                   subprocess_env=environment(tmp_path), contains=f"nurture: error: database: {hint}")


@pytest.mark.parametrize("args", [["survey-link", "NC-0001", "pre"], ["send-reminders"], ["escalate-alerts"],
                                  ["demo"]], ids=lambda a: a[0])
def test_every_other_database_command_gives_one_line(tmp_path, args):
    (tmp_path / "nurture.sqlite3").write_bytes(b"this is not a database" * 100)
    expect_refused(args[0], "a damaged database", args, subprocess_env=environment(tmp_path),
                   contains="nurture: error: database: the database file cannot be opened")


def test_an_unreachable_postgresql_server_is_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket closes
    env = environment(tmp_path, NURTURE_DATABASE_URL=f"postgres://nobody@127.0.0.1:{port}/nurture")
    expect_refused("alerts", "an unreachable database server", ["alerts"], subprocess_env=env,
                   contains="nurture: error: database: cannot reach the database server")


def test_a_var_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    expect_refused("alerts", "a var folder inside a file", ["alerts"],
                   subprocess_env=environment(blocker / "var"), contains="nurture: error: configuration:")


def fetch(url, cookie=None):
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), exc.headers


def test_the_web_answers_503_with_a_friendly_page_never_a_debug_page(tmp_path):
    db = tmp_path / "nurture.sqlite3"
    db.write_bytes(b"")  # exists, no tables
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = environment(tmp_path, NURTURE_DEBUG="true")
    proc = subprocess.Popen(NURTURE + ["serve", "--port", str(port), "--escalate-every", "0"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        # pages that need the database: a mother's survey link, a signed-in staff page
        pages = [("/s/some-token/", None), ("/alerts/", "sessionid=a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6")]
        for state in ("empty", "garbage", "folder"):
            if state == "garbage":
                db.write_bytes(b"this is not a database" * 100)
            elif state == "folder":
                db.unlink()
                db.mkdir()
            for page, cookie in pages:
                status, body, headers = fetch(base + page, cookie)
                assert status == 503, (state, page, status, body[:300])
                assert "Nurture is briefly unavailable" in body and "988" in body
                assert "Traceback" not in body and "OperationalError" not in body
                assert headers["Retry-After"] == "120"
            assert fetch(base + "/login/")[0] == 200  # a page without the database still works
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0].decode()
    assert "warning: database: the database has no Nurture tables" in output
