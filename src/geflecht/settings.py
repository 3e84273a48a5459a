"""Django settings for Geflecht, configured entirely by environment variables.

Every variable has a safe default for a local single-user run; a bad value raises
``ImproperlyConfigured`` at start-up instead of surfacing later as a strange bug.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from geflecht.lib.caches import cache_settings
from geflecht.lib.env import (
    env_bool,
    env_int,
    env_json,
    env_list,
    env_path,
    env_str,
    local_secret_key,
)
from geflecht.lib.headers import add_static_headers

BASE_DIR = Path(__file__).resolve().parent
DATA_DIR = env_path("GEFLECHT_DATA_DIR", Path.cwd() / "data")
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("GEFLECHT_DEBUG", False)
SECRET_KEY = env_str("GEFLECHT_SECRET_KEY", "") or local_secret_key(DATA_DIR / "secret_key")
ALLOWED_HOSTS = env_list("GEFLECHT_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("GEFLECHT_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "ninja",
    "axes",
    "csp",
    "django_htmx",
    "geflecht.accounts",
    "geflecht.jobs",
    "geflecht.people",
    "geflecht.network",
    "geflecht.importers",
    "geflecht.privacy",
    "geflecht.projects",
    "geflecht.events",
    "geflecht.intros",
    "geflecht.capture",
    "geflecht.skills",
    "geflecht.partners",
    "geflecht.demo",
    "geflecht.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Writes the request's read-audit entries (one INSERT) before its response leaves.
    "geflecht.privacy.middleware.AuditReadsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Turns a service's NotFound / NotAllowed / Conflict / Invalid into the styled page.
    "geflecht.web.middleware.DomainErrorMiddleware",
    # Last, as django-axes asks: it turns a lockout into the lockout response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "geflecht.urls"
WSGI_APPLICATION = "geflecht.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# SQLite in the data directory unless GEFLECHT_DATABASE_URL names another database.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("GEFLECHT_DATABASE_URL", f"sqlite:///{DATA_DIR / 'geflecht.sqlite3'}"),
        conn_max_age=env_int("GEFLECHT_DB_CONN_MAX_AGE", 60),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while an import or the demo generator writes.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Argon2 for new and changed passwords; older hashes are upgraded at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTHENTICATION_BACKENDS = [
    # django-axes first: it refuses logins of a locked-out username/address pair.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Login throttling: after this many failures for one username from one address, that pair
# is locked out for the cool-off time; a successful login resets the count.
AXES_FAILURE_LIMIT = env_int("GEFLECHT_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("GEFLECHT_LOGIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "web/pages/locked_out.html"
AXES_VERBOSE = False
# Behind a reverse proxy, set GEFLECHT_PROXY_COUNT so the client address is read correctly.
AXES_IPWARE_PROXY_COUNT = env_int("GEFLECHT_PROXY_COUNT", 0) or None
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"] if AXES_IPWARE_PROXY_COUNT else ["REMOTE_ADDR"]
)

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Pages follow the browser's Accept-Language (or the switch in the top bar); this is the
# language of the command line and of requests that state no preference.
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LANGUAGE_CODE = env_str("GEFLECHT_LANGUAGE", "en")
if LANGUAGE_CODE not in dict(LANGUAGES):
    raise ImproperlyConfigured(f"GEFLECHT_LANGUAGE must be 'de' or 'en', not {LANGUAGE_CODE!r}")
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env_str("GEFLECHT_TIME_ZONE", "Europe/Berlin")
# English dates the European way (30 Nov 2026, 14:30); see geflecht/formats/en.
FORMAT_MODULE_PATH = ["geflecht.formats"]
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Project documents: in the data directory, never served as static or media files
    # (only through views that check who may see the project).
    "documents": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(env_path("GEFLECHT_DOCUMENTS_DIR", DATA_DIR / "documents"))},
    },
}
# Serve straight from the app folders too, so a checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
# WhiteNoise answers before the CSP and frame middleware: static files get the same
# security headers this way.
WHITENOISE_ADD_HEADERS_FUNCTION = add_static_headers
MEDIA_ROOT = DATA_DIR / "media"

# Cookies and headers. Behind HTTPS set GEFLECHT_SECURE_COOKIES=1: cookies are then sent
# only over HTTPS and browsers are told to use HTTPS for a year (HSTS).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("GEFLECHT_SECURE_COOKIES", False)
SESSION_COOKIE_AGE = env_int("GEFLECHT_SESSION_HOURS", 12) * 3600
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = 31_536_000 if SESSION_COOKIE_SECURE else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("GEFLECHT_SSL_REDIRECT", False)
if env_bool("GEFLECHT_BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy: everything from this server, no inline script or style, no
# plugins, no framing. Every script is a static file served by the app (no CDN).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Phone numbers without a country code are read as numbers of this region.
GEFLECHT_PHONE_REGION = env_str("GEFLECHT_PHONE_REGION", "DE")

# Tie-strength parameters that differ from the documented defaults of
# geflecht.network.strength.StrengthParams, e.g. '{"half_life_days": 120}'.
GEFLECHT_STRENGTH_PARAMS = env_json("GEFLECHT_STRENGTH_PARAMS", {})

# Project documents: the largest file accepted, and the file types (extensions) allowed.
GEFLECHT_DOCUMENT_MAX_BYTES = env_int("GEFLECHT_DOCUMENT_MAX_MB", 20) * 1024 * 1024
GEFLECHT_DOCUMENT_TYPES = env_list(
    "GEFLECHT_DOCUMENT_TYPES",
    [
        "pdf",
        "txt",
        "csv",
        "docx",
        "xlsx",
        "pptx",
        "odt",
        "ods",
        "png",
        "jpg",
        "jpeg",
        "step",
        "stp",
        "dxf",
        "zip",
    ],
)

# Interactions older than this many days are deleted by `geflecht retention`; 0 keeps them.
GEFLECHT_RETENTION_DAYS = env_int("GEFLECHT_RETENTION_DAYS", 0)
# Whole-network answers (counts, communities, key-person risk, duplicates) move on to a
# new graph version in a background thread, serving the previous answer meanwhile.
GEFLECHT_REFRESH_IN_BACKGROUND = env_bool("GEFLECHT_REFRESH_IN_BACKGROUND", True)
# Memory-mapped graph snapshot files, one folder per tenant and graph version, shared by
# every process of this machine (see geflecht/network/snapshot.py).
GEFLECHT_SNAPSHOT_DIR = env_path("GEFLECHT_SNAPSHOT_DIR", DATA_DIR / "snapshots")
# Remembered whole-network answers, shared by every process (see geflecht/lib/caches.py):
# empty keeps them as files in the data directory; redis://host:6379/0 across machines.
GEFLECHT_CACHE_URL = env_str("GEFLECHT_CACHE_URL", "")
CACHES = cache_settings(
    GEFLECHT_CACHE_URL, DATA_DIR, prefix=env_str("GEFLECHT_QUEUE_NAME", "geflecht")
)
# The task queue of background jobs (see geflecht/jobs/queue.py): sqlite:///path,
# postgres://… or redis://…; empty takes the app's own PostgreSQL, else queue.sqlite3 in
# the data directory. Workers and web processes of one installation share one queue name.
GEFLECHT_QUEUE_URL = env_str("GEFLECHT_QUEUE_URL", "")
GEFLECHT_QUEUE_NAME = env_str("GEFLECHT_QUEUE_NAME", "geflecht")
# Whoever queues a job also runs it before going on (tests; a one-off script without a
# worker). Off in a served installation: a worker runs the jobs.
GEFLECHT_TASKS_AT_ONCE = env_bool("GEFLECHT_TASKS_AT_ONCE", False)
# Excel workbooks are zip files: refused before they are opened when their members unpack
# to more than this, or their sheet spans more cells (a 500 KB upload can unpack to GBs).
GEFLECHT_XLSX_MAX_UNPACKED_BYTES = env_int("GEFLECHT_XLSX_MAX_UNPACKED_MB", 100) * 1024 * 1024
GEFLECHT_XLSX_MAX_CELLS = env_int("GEFLECHT_XLSX_MAX_CELLS", 2_000_000)

# Connected mailboxes, calendars and address books (geflecht/capture). Their passwords are
# encrypted with GEFLECHT_CREDENTIALS_KEY (Fernet keys, comma-separated: the first
# encrypts, all decrypt), else with a key generated into a file outside the database.
GEFLECHT_CREDENTIALS_KEY = env_str("GEFLECHT_CREDENTIALS_KEY", "")
GEFLECHT_CREDENTIALS_KEY_FILE = env_path(
    "GEFLECHT_CREDENTIALS_KEY_FILE", DATA_DIR / "credentials.key"
)
# Minutes between two automatic syncs of an account (users may choose more, not fewer).
GEFLECHT_SYNC_INTERVAL_MINUTES = env_int("GEFLECHT_SYNC_INTERVAL_MINUTES", 15)
# A CA bundle that signs the self-hosted mail and calendar servers (empty: the system's).
GEFLECHT_CAPTURE_CA_FILE = env_str("GEFLECHT_CAPTURE_CA_FILE", "")
# A calendar event with more attendees than this is one event, not a meeting with each.
GEFLECHT_LARGE_EVENT_ATTENDEES = env_int("GEFLECHT_LARGE_EVENT_ATTENDEES", 25)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GEFLECHT_LOG_LEVEL", "WARNING")},
}
