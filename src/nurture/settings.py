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


# The debug page shows settings, queries and the data on the page: never unless asked
# for by name, and never in production.
DEBUG = env_bool("NURTURE_DEBUG", default=False)
SECRET_KEY = env_str("NURTURE_SECRET_KEY")
# Keys being retired, one per line: what they signed (sessions, password reset links,
# mothers' survey passes) stays valid while new signatures use SECRET_KEY.
SECRET_KEY_FALLBACKS = [key.strip() for key in (env_str("NURTURE_OLD_SECRET_KEYS") or "").splitlines() if key.strip()]


def _site_url(raw: str) -> tuple[str, str, str]:
    """``NURTURE_SITE_URL`` as (url, scheme, host); the one address every link, host and origin comes from."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        return "", "", ""
    return f"{parts.scheme}://{parts.netloc}", parts.scheme, parts.hostname


def _networks(name: str) -> list:
    """``NAME`` as a list of IP networks (``127.0.0.1``, ``10.0.0.0/8``, ``::1``)."""
    import ipaddress

    networks = []
    for part in env_list(name, []):
        try:
            networks.append(ipaddress.ip_network(part, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name}: {part!r} is not an IP address or network (e.g. 127.0.0.1, "
                                       "10.0.0.0/8, ::1)") from None
    return networks


_raw_site_url = (env_str("NURTURE_SITE_URL") or ("" if PRODUCTION else "http://127.0.0.1:8000")).strip()
SITE_URL, SITE_SCHEME, SITE_HOST = _site_url(_raw_site_url)
SITE_HTTPS = SITE_SCHEME == "https"
if _raw_site_url and not SITE_URL:
    raise ImproperlyConfigured(f"NURTURE_SITE_URL={_raw_site_url!r} must be an address such as "
                               "https://nurture.example.org (http or https, a host, no path).")
# The proxies (reverse proxy, load balancer) whose X-Forwarded-For and X-Forwarded-Proto are
# believed; from anyone else those headers are dropped (nurture.common.proxy).
TRUSTED_PROXIES = _networks("NURTURE_TRUSTED_PROXIES")

if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("NURTURE_DEBUG must be off")
    if not SECRET_KEY:
        problems.append("NURTURE_SECRET_KEY (or NURTURE_SECRET_KEY_FILE) must be set")
    elif len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure-"):
        # what Django's own deployment check asks of a key (security.W009)
        problems.append("NURTURE_SECRET_KEY must be at least 50 random characters (e.g. the output of "
                        "`python3 -c 'import secrets; print(secrets.token_urlsafe(50))'`)")
    if not SITE_URL:
        # Every link (alert messages, survey links, QR codes), the allowed host and the
        # trusted origin come from it: without it staff get dead links and every form fails.
        problems.append("NURTURE_SITE_URL must be the address staff and mothers use, e.g. "
                        "https://nurture.example.org (links, allowed hosts and trusted origins come from it)")
    elif not SITE_HTTPS and not env_bool("NURTURE_ALLOW_HTTP", False):
        problems.append("NURTURE_SITE_URL must start with https:// (serve Nurture behind an HTTPS proxy, "
                        "docs/deploy.md)")
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems) + ".")
elif not SECRET_KEY:
    SECRET_KEY = _development_secret_key()

# Hosts and origins follow the site address; NURTURE_ALLOWED_HOSTS and
# NURTURE_CSRF_TRUSTED_ORIGINS only add to it (another name for the same server).
ALLOWED_HOSTS = list(dict.fromkeys(
    [SITE_HOST] + env_list("NURTURE_ALLOWED_HOSTS", [])
    + ([] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])))
CSRF_TRUSTED_ORIGINS = list(dict.fromkeys([SITE_URL] + env_list("NURTURE_CSRF_TRUSTED_ORIGINS", [])))

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
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
    "nurture.common.health.HealthCheckMiddleware",  # /healthz for the proxy and monitoring, before host checks
    "nurture.common.proxy.TrustedProxyMiddleware",  # the real client address and scheme, from trusted proxies only
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "nurture.common.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "nurture.accounts.middleware.AuditContextMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "nurture.accounts.middleware.TwoFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "nurture.coding.middleware.CoderConfinementMiddleware",
    "nurture.accounts.middleware.RefusalAuditMiddleware",
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
        # Django's SQLite backend, with writers queued on a file lock (nurture.common.sqlite.base)
        "ENGINE": "nurture.common.sqlite",
        "NAME": VAR_DIR / "nurture.sqlite3",
        # each server thread keeps its connection for a minute (as with PostgreSQL) rather
        # than opening the file, running the pragmas and registering Django's functions per request
        "CONN_MAX_AGE": 60,
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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
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

# Login lockout (django-axes): failures counted per username and real client address
# together (an IPv6 /64 counts as one address; behind a trusted proxy, the client's own);
# reaching the limit locks that pair until the cool-off ends or a coordinator or
# administrator unlocks it (nurture.accounts.lockout).
AXES_FAILURE_LIMIT = env_int("NURTURE_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("NURTURE_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_CLIENT_IP_CALLABLE = "nurture.common.proxy.client_key"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "staff/locked_out.html"
AXES_VERBOSE = False

# Two-factor sign-in (django-otp: an authenticator app plus recovery codes) for these roles.
TWO_FACTOR_ROLES = env_list("NURTURE_TWO_FACTOR_ROLES",
                            ["coordinator", "administrator", "researcher"] if PRODUCTION else [])
_roles = {"administrator", "coordinator", "facilitator", "researcher", "coder"}
if set(TWO_FACTOR_ROLES) - _roles:
    raise ImproperlyConfigured(f"NURTURE_TWO_FACTOR_ROLES: {sorted(set(TWO_FACTOR_ROLES) - _roles)[0]!r} is not a "
                               f"role (use {', '.join(sorted(_roles))})")
OTP_TOTP_ISSUER = env_str("NURTURE_TWO_FACTOR_ISSUER", "Nurture")
OTP_TOTP_THROTTLE_FACTOR = 1  # seconds, doubled after each wrong code

# ``nurture check`` reports a backup older than this (``nurture backup`` runs daily, docs/deploy.md).
BACKUP_MAX_AGE_HOURS = env_int("NURTURE_BACKUP_MAX_AGE_HOURS", 26)

# Each server process's own memory, and (``throttle``) files every process shares: the
# survey-link guessing counts, which must hold across ``nurture serve``'s worker processes.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "throttle": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
                 # at most this many addresses' counts (a third culled beyond it): each unknown
                 # link lists the folder, so it stays small
                 "LOCATION": VAR_DIR / "throttle", "OPTIONS": {"MAX_ENTRIES": 10_000}},
    # The evaluation reports last made (nurture.exports.bundle.live_report_html), about
    # 250 kB each, under the digest of the data they were made from.
    "reports": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "reports",
                "TIMEOUT": 12 * 3600, "OPTIONS": {"MAX_ENTRIES": 8}},
}

SESSION_COOKIE_AGE = env_int("NURTURE_SESSION_HOURS", 8) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
# Over HTTPS the cookies are Secure and carry the __Host- prefix: bound to this exact
# host, never set by a sibling domain or over plain HTTP.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SITE_HTTPS
if SITE_HTTPS:
    SESSION_COOKIE_NAME = "__Host-nurture_session"
    CSRF_COOKIE_NAME = "__Host-nurture_csrf"
SECURE_SSL_REDIRECT = PRODUCTION and SITE_HTTPS
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env_int("NURTURE_HSTS_SECONDS", 31536000 if PRODUCTION and SITE_HTTPS else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("NURTURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("NURTURE_HSTS_PRELOAD", False)
SILENCED_SYSTEM_CHECKS = []
if not SECURE_HSTS_PRELOAD:
    # Preloading commits the whole registered domain (example.org, not nurture.example.org)
    # to HTTPS in every browser; that is the domain owner's decision, not this server's.
    SILENCED_SYSTEM_CHECKS.append("security.W021")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
REFERRER_POLICY = "same-origin"
PERMISSIONS_POLICY = ("accelerometer=(), autoplay=(), camera=(), display-capture=(), geolocation=(), gyroscope=(), "
                      "magnetometer=(), microphone=(), midi=(), payment=(), usb=(), interest-cohort=()")

# Content-Security-Policy (django-csp): scripts only from this server (no inline script,
# no eval); inline style attributes are allowed (layout only, no script can run from them).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
        **({"upgrade-insecure-requests": True} if SITE_HTTPS else {}),
    },
}

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
