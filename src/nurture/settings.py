"""The one settings module.

Every value that may come from the environment goes through a strict helper that
refuses a malformed value with a message naming the variable. ``*_FILE`` variants
read secrets from files (for container and systemd secrets).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent


def env_str(name: str, default: str | None = None) -> str | None:
    """Return ``$NAME``, or the contents of the file named by ``$NAME_FILE``."""
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        try:
            return Path(file_name).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={file_name!r} cannot be read: {exc}") from exc
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean (use true or false)")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


ENV = (env_str("NURTURE_ENV", "development") or "development").lower()
if ENV not in {"development", "production", "test"}:
    raise ImproperlyConfigured(f"NURTURE_ENV={ENV!r} must be development, production or test")
PRODUCTION = ENV == "production"

VAR_DIR = Path(env_str("NURTURE_VAR_DIR", str(PROJECT_DIR / "var")) or "var")


def _development_secret_key() -> str:
    """A random key kept under var/ so sessions survive restarts in development."""
    path = VAR_DIR / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


DEBUG = env_bool("NURTURE_DEBUG", default=not PRODUCTION)
SECRET_KEY = env_str("NURTURE_SECRET_KEY")
ALLOWED_HOSTS = env_list("NURTURE_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"])

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("NURTURE_DEBUG must be off")
    if not SECRET_KEY:
        problems.append("NURTURE_SECRET_KEY (or NURTURE_SECRET_KEY_FILE) must be set")
    elif len(SECRET_KEY) < 40:
        problems.append("NURTURE_SECRET_KEY must be at least 40 characters")
    if not ALLOWED_HOSTS:
        problems.append("NURTURE_ALLOWED_HOSTS must list the host names served")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key()

SITE_URL = (env_str("NURTURE_SITE_URL", "" if PRODUCTION else "http://127.0.0.1:8000") or "").rstrip("/")
if PRODUCTION and not SITE_URL.startswith(("https://", "http://")):
    # Every link in an alert message is built from it: without it staff get dead links.
    raise ImproperlyConfigured("Refusing to start in production: NURTURE_SITE_URL must be the address staff and "
                               "mothers use, e.g. https://nurture.example.org (alert messages link to it).")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "nurture.accounts",
    "nurture.program",
    "nurture.participants",
    "nurture.capture",
    "nurture.safety",
    "nurture.notifications",
    "nurture.coding",
    "nurture.staff",
    "nurture.survey",
]

MIDDLEWARE = [
    "nurture.common.unavailable.DatabaseUnavailableMiddleware",  # outermost: a 503 page when the database is down
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "nurture.coding.middleware.CoderConfinementMiddleware",
]

ROOT_URLCONF = "nurture.urls"
WSGI_APPLICATION = "nurture.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "nurture.staff.context.staff_context",
                "nurture.staff.context.alert_context",
            ],
        },
    }
]


def _database_from_env() -> dict:
    url = env_str("NURTURE_DATABASE_URL")
    if url:
        import dj_database_url

        try:
            config = dj_database_url.parse(url, conn_max_age=60)
        except Exception as exc:  # dj-database-url raises several types for a bad URL
            raise ImproperlyConfigured(f"NURTURE_DATABASE_URL is not a usable database URL: {exc}") from exc
        if config["ENGINE"] == "django.db.backends.postgresql":
            config.setdefault("TEST", {})["NAME"] = env_str("NURTURE_TEST_DATABASE_NAME", "test_nurture")
        return config
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "nurture.sqlite3",
        "OPTIONS": {
            # WAL lets readers continue while one writer commits; IMMEDIATE makes a
            # writing transaction take the lock at BEGIN, so two writers queue
            # instead of failing half-way with "database is locked".
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }


DATABASES = {"default": _database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "staff:login"
LOGIN_REDIRECT_URL = "staff:dashboard"
LOGOUT_REDIRECT_URL = "staff:login"

# Login throttling (django-axes): lock a username + address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("NURTURE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = env_int("NURTURE_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "same-origin"
CSRF_TRUSTED_ORIGINS = env_list("NURTURE_CSRF_TRUSTED_ORIGINS", [])

# Interface languages: English, and every language with a translation catalog — ours in
# src/nurture/locale, or a site's own in NURTURE_LOCALE_DIR (searched first, so a site may
# also adjust our wording). NURTURE_LANGUAGES=en,es limits and orders them.
LOCALE_DIR = Path(env_str("NURTURE_LOCALE_DIR", str(VAR_DIR / "locale")) or VAR_DIR / "locale")
LOCALE_PATHS = [LOCALE_DIR, BASE_DIR / "locale"]
LANGUAGE_CODE = "en"
try:
    from nurture.common.catalogs import available_languages as _available_languages

    LANGUAGES = _available_languages(LOCALE_PATHS, env_list("NURTURE_LANGUAGES", []))
except ValueError as _exc:
    raise ImproperlyConfigured(f"NURTURE_LANGUAGES: {_exc}") from None
LANGUAGE_COOKIE_NAME = "nurture_language"
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env_str("NURTURE_TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
WHITENOISE_USE_FINDERS = True
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

def _email_from_env() -> dict:
    """``NURTURE_EMAIL_URL`` (e.g. ``smtp://user:pass@host:587?tls=1``), parsed by dj-email-url.

    Development defaults to printing messages (``console://``); production refuses any
    backend that does not deliver, because safety alerts travel by email.
    """
    from urllib.parse import urlsplit

    import dj_email_url

    url = env_str("NURTURE_EMAIL_URL") or ("" if PRODUCTION else "console://")
    if not url:
        raise ImproperlyConfigured("Refusing to start in production: NURTURE_EMAIL_URL must name the mail server "
                                   "(e.g. smtp://user:pass@mail.example.org:587?tls=1); safety alerts are emailed.")
    try:
        config = dj_email_url.parse(url)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"NURTURE_EMAIL_URL is not a usable email URL: {exc}") from None
    if "EMAIL_BACKEND" not in config:
        scheme = url.split(":", 1)[0]
        raise ImproperlyConfigured(f"NURTURE_EMAIL_URL scheme {scheme!r} is unknown "
                                   "(use smtp, submission, console, file or memory)")
    if PRODUCTION and config["EMAIL_BACKEND"].endswith("smtp.EmailBackend") and not urlsplit(url).hostname:
        raise ImproperlyConfigured("Refusing to start in production: NURTURE_EMAIL_URL names no mail server host "
                                   "(e.g. smtp://user:pass@mail.example.org:587?tls=1).")
    if PRODUCTION and not config["EMAIL_BACKEND"].endswith("smtp.EmailBackend"):
        raise ImproperlyConfigured("Refusing to start in production: NURTURE_EMAIL_URL must deliver mail "
                                   "(smtp:// or submission://), not print or drop it; safety alerts are emailed.")
    config["EMAIL_TIMEOUT"] = config.get("EMAIL_TIMEOUT") or env_int("NURTURE_EMAIL_TIMEOUT", 20)
    return config


_email = _email_from_env()
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = _email.get("EMAIL_PORT") or 25
EMAIL_HOST_USER = _email.get("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = _email.get("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = _email["EMAIL_TIMEOUT"]
if _email.get("EMAIL_FILE_PATH"):
    EMAIL_FILE_PATH = "/" + _email["EMAIL_FILE_PATH"].lstrip("/")
DEFAULT_FROM_EMAIL = _email.get("DEFAULT_FROM_EMAIL") or env_str("NURTURE_FROM_EMAIL", "nurture@localhost")
SERVER_EMAIL = _email.get("SERVER_EMAIL") or DEFAULT_FROM_EMAIL

# Text messages for urgent alerts (see nurture.notifications.sms): console in
# development; in production unset means none, which ``nurture check`` reports.
SMS_URL = env_str("NURTURE_SMS_URL") or ("" if PRODUCTION else "console://")
try:
    from nurture.notifications.sms import parse_url as _parse_sms_url

    _parse_sms_url(SMS_URL)
except ValueError as _exc:
    raise ImproperlyConfigured(f"NURTURE_SMS_URL: {_exc}") from None

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
