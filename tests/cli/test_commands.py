"""The commands `make run` relies on, run as a user would: in a subprocess."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

NURTURE = [sys.executable, "-m", "nurture.cli"]


def run(args, var_dir: Path, **env):
    environ = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    environ |= {"NURTURE_VAR_DIR": str(var_dir), **env}
    return subprocess.run(NURTURE + args, capture_output=True, text=True, env=environ, timeout=300)


def test_help_lists_the_commands_without_starting_django(tmp_path):
    code = "import sys; from nurture.cli.main import app; print('django' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
    result = run(["--help"], tmp_path)
    assert result.returncode == 0
    assert "demo" in result.stdout and "serve" in result.stdout


@pytest.mark.slow
def test_init_loads_the_demo_once_and_rerunning_keeps_the_data(tmp_path):
    first = run(["init"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert "coordinator" in first.stdout and "nurture-demo" in first.stdout
    db = sqlite3.connect(tmp_path / "nurture.sqlite3")
    before = db.execute("select count(*) from participants_dyad").fetchone()[0]
    attendance = db.execute("select count(*) from program_attendance").fetchone()[0]
    assert before == 60
    second = run(["init"], tmp_path)
    assert second.returncode == 0, second.stderr
    assert db.execute("select count(*) from participants_dyad").fetchone()[0] == before
    assert db.execute("select count(*) from program_attendance").fetchone()[0] == attendance
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_production_mode_refuses_insecure_defaults_with_a_clear_message(tmp_path):
    result = run(["init"], tmp_path, NURTURE_ENV="production", NURTURE_DEBUG="true")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "nurture: error: configuration: Refusing to start in production: NURTURE_DEBUG must be off; "
        "NURTURE_SECRET_KEY (or NURTURE_SECRET_KEY_FILE) must be set; NURTURE_SITE_URL must be the address "
        "staff and mothers use, e.g. https://nurture.example.org (links, allowed hosts and trusted origins come "
        "from it).")
    assert "Traceback" not in result.stderr


def test_a_malformed_boolean_setting_is_named(tmp_path):
    result = run(["init"], tmp_path, NURTURE_DEBUG="perhaps")
    assert result.returncode == 2
    assert "NURTURE_DEBUG='perhaps' is not a boolean" in result.stderr


def test_the_development_secret_key_is_generated_once_and_kept(tmp_path):
    run(["--help"], tmp_path)
    code = "import nurture.settings as s; print(s.SECRET_KEY)"
    env = {k: v for k, v in os.environ.items() if k != "NURTURE_SECRET_KEY"} | {"NURTURE_VAR_DIR": str(tmp_path)}
    keys = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env).stdout
            for _ in range(2)}
    assert len(keys) == 1 and len(keys.pop().strip()) > 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_old_secret_keys_keep_what_they_signed_valid(tmp_path):
    """Rotating the key: sessions and mothers' survey passes signed with the old key still hold."""
    old, new = "kR7-pQ2_" * 7, "zX4-mN8_" * 7
    (tmp_path / "old_keys").write_text(f"{old}\nanother-retired-key-{'q' * 40}\n")
    code = ("import django; django.setup(); from django.core import signing; "
            f"signed = signing.TimestampSigner(key=b'django.http.cookies' + {old!r}.encode(), salt='s').sign('pass'); "
            "print(signing.get_cookie_signer(salt='s').unsign(signed))")  # a cookie signed with the old key
    env = {k: v for k, v in os.environ.items() if k != "NURTURE_DATABASE_URL"}
    env |= {"NURTURE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "nurture.settings",
            "NURTURE_SECRET_KEY": new, "NURTURE_OLD_SECRET_KEYS_FILE": str(tmp_path / "old_keys")}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert (result.returncode, result.stdout.strip()) == (0, "pass"), result.stderr
    del env["NURTURE_OLD_SECRET_KEYS_FILE"]
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert "BadSignature" in result.stderr  # without the old key, its signatures are refused


@pytest.mark.parametrize("email_url, site_url, problem", [
    (None, "https://nurture.example.org", "NURTURE_EMAIL_URL must name the mail server"),
    ("console://", "https://nurture.example.org", "NURTURE_EMAIL_URL must deliver mail"),
    ("smtp://", "https://nurture.example.org", "NURTURE_EMAIL_URL names no mail server host"),
    ("pigeon://loft", "https://nurture.example.org", "NURTURE_EMAIL_URL scheme 'pigeon' is unknown"),
    ("smtp://mail.example.org", None, "NURTURE_SITE_URL must be the address staff and mothers use"),
])
def test_production_refuses_to_start_without_a_mail_server_and_site_address_for_alerts(
        tmp_path, email_url, site_url, problem):
    env = {"NURTURE_ENV": "production", "NURTURE_SECRET_KEY": "kR7-pQ2_" * 7}
    if email_url:
        env["NURTURE_EMAIL_URL"] = email_url
    if site_url:
        env["NURTURE_SITE_URL"] = site_url
    result = run(["alerts"], tmp_path, **env)
    assert result.returncode == 2 and problem in result.stderr
    assert "Traceback" not in result.stderr


def test_the_email_url_configures_the_mail_server(tmp_path):
    code = ("from django.conf import settings as s; import django; django.setup(); "
            "print(s.EMAIL_BACKEND, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_HOST_USER, s.EMAIL_USE_TLS, s.EMAIL_TIMEOUT)")
    env = {k: v for k, v in os.environ.items() if k != "NURTURE_DATABASE_URL"}
    env |= {"NURTURE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "nurture.settings",
            "NURTURE_EMAIL_URL": "smtp://alerts%40example.org:s3cret@mail.example.org:587?tls=1"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["django.core.mail.backends.smtp.EmailBackend", "mail.example.org", "587",
                                  "alerts@example.org", "True", "20"]


def test_a_bad_sms_url_is_named(tmp_path):
    result = run(["alerts"], tmp_path, NURTURE_SMS_URL="pager://x")
    assert result.returncode == 2 and "NURTURE_SMS_URL: unknown SMS scheme 'pager'" in result.stderr


PRODUCTION = {"NURTURE_ENV": "production", "NURTURE_SECRET_KEY": "kR7-pQ2_vL5!" * 5,
              "NURTURE_SITE_URL": "https://nurture.example.org", "NURTURE_TRUSTED_PROXIES": "127.0.0.1",
              "NURTURE_EMAIL_URL": "smtp://alerts:secret@mail.example.org:587?tls=1"}


def test_the_documented_production_configuration_passes_djangos_deployment_checks(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DATABASE_URL", "NURTURE_DEBUG"}}
    env |= PRODUCTION | {"NURTURE_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "nurture.settings"}
    out = subprocess.run([sys.executable, "-m", "django", "check", "--deploy", "--fail-level", "WARNING"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("System check identified no issues"), out.stdout + out.stderr


def test_the_debug_page_is_off_unless_asked_for_by_name(tmp_path):
    code = "import nurture.settings as s; print(s.DEBUG, s.ALLOWED_HOSTS[0], s.CSRF_TRUSTED_ORIGINS[0])"
    env = {k: v for k, v in os.environ.items() if k not in {"NURTURE_DEBUG", "NURTURE_SITE_URL"}}
    env["NURTURE_VAR_DIR"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert out.stdout.split() == ["False", "127.0.0.1", "http://127.0.0.1:8000"]
    prod = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env=env | PRODUCTION | {"NURTURE_DATABASE_URL": ""})
    assert prod.stdout.split() == ["False", "nurture.example.org", "https://nurture.example.org"]


def test_a_malformed_site_address_or_proxy_is_named_in_one_line(tmp_path):
    bad_url = run(["alerts"], tmp_path, NURTURE_SITE_URL="nurture.example.org/app")
    assert bad_url.returncode == 2 and "NURTURE_SITE_URL='nurture.example.org/app' must be an address" in bad_url.stderr
    bad_proxy = run(["alerts"], tmp_path, NURTURE_TRUSTED_PROXIES="10.0.0.1, proxy.local")
    assert bad_proxy.returncode == 2 and "NURTURE_TRUSTED_PROXIES: 'proxy.local' is not an IP address" in \
        bad_proxy.stderr
    assert len(bad_proxy.stderr.strip().splitlines()) == 1
