"""Django settings for Geflecht, configured entirely by environment variables.

Every variable has a safe default for a local single-user run; a bad value raises
``ImproperlyConfigured`` at start-up instead of surfacing later as a strange bug.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from geflecht.lib.env import (
    env_bool,
    env_int,
    env_json,
    env_list,
    env_path,
    env_str,
    local_secret_key,
)

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
    "django_htmx",
    "geflecht.accounts",
    "geflecht.people",
    "geflecht.network",
    "geflecht.importers",
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
    "django.contrib.messages.middleware.MessageMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
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
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Serve straight from the app folders too, so a checkout works before collectstatic.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "media"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("GEFLECHT_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# Phone numbers without a country code are read as numbers of this region.
GEFLECHT_PHONE_REGION = env_str("GEFLECHT_PHONE_REGION", "DE")

# Tie-strength parameters that differ from the documented defaults of
# geflecht.network.strength.StrengthParams, e.g. '{"half_life_days": 120}'.
GEFLECHT_STRENGTH_PARAMS = env_json("GEFLECHT_STRENGTH_PARAMS", {})

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("GEFLECHT_LOG_LEVEL", "WARNING")},
}
