"""Settings shared by every way of running Zhengqi.

The embedded default needs no server: SQLite for the web database, DuckDB + Parquet for the lake.
Set ``DATABASE_URL`` (e.g. ``postgres://user@127.0.0.1:5432/zhengqi``) for PostgreSQL and
``ZHENGQI_LAKE`` for a lake elsewhere than ``var/lake``.
"""

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import dj_database_url
import django_stubs_ext
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

# Generic admin and queryset classes (ModelAdmin[Customer]) at run time, as the type checker reads them.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("ZHENGQI_VAR", BASE_DIR / "var"))
VAR_DIR.mkdir(parents=True, exist_ok=True)

# Only for local development and the demo; production.py refuses to start with it.
DEV_SECRET_KEY = "zhengqi-dev-only-not-a-secret"  # noqa: S105 - a known, public dev key
SECRET_KEY = os.environ.get("ZHENGQI_SECRET_KEY", DEV_SECRET_KEY)
# Off unless asked for: debug pages show settings and code to whoever hits an error. `./dev start`
# turns it on for the demo on a developer's machine.
DEBUG = os.environ.get("ZHENGQI_DEBUG", "0") == "1"
ALLOWED_HOSTS = os.environ.get("ZHENGQI_ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "auditlog",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "zhengqi.accounts",
    "zhengqi.notifications",
    "zhengqi.customers",
    "zhengqi.demo",
    "zhengqi.scoring",
    "zhengqi.marketing",
    "zhengqi.imports",
    "zhengqi.insight",
    "zhengqi.partners",
    "zhengqi.support",
    "zhengqi.competition",
    "zhengqi.portal",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Field-level history and access log (django-auditlog) record who did it.
    "auditlog.middleware.AuditlogMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # The role matrix (zhengqi.accounts.matrix) checked before every page's view.
    "zhengqi.accounts.middleware.RoleMatrixMiddleware",
    # Content-Security-Policy: every asset is the app's own (no CDN), so only 'self'.
    "csp.middleware.CSPMiddleware",
    # Failed-login throttling (django-axes): last, as it asks.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "zhengqi.notifications.context.bell",
            ],
        },
    },
]

WSGI_APPLICATION = "config.wsgi.application"

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'zhengqi.sqlite3'}",
        conn_max_age=60,
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # WAL lets the demo server read while a background job writes.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = "PRAGMA journal_mode=WAL;"
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# django-axes first: it refuses a locked account before the password is even checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "zhengqi.accounts.backends.RegionModelBackend"]

# Login protection: ZHENGQI_LOGIN_FAILURES failed logins in a row lock that account from that address
# for ZHENGQI_LOCKOUT_MINUTES (account and address together: behind a reverse proxy, or from one
# office's NAT, other people keep logging in); a successful login resets the count. Every failure
# is also kept in an append-only log, which the audit page reads (the counts are reset on success).
AXES_FAILURE_LIMIT = int(os.environ.get("ZHENGQI_LOGIN_FAILURES", "10"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("ZHENGQI_LOCKOUT_MINUTES", "30")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
# The client's address behind ZHENGQI_PROXY_COUNT reverse proxies (nginx in front of gunicorn: 1),
# read from X-Forwarded-For; only the listed ZHENGQI_TRUSTED_PROXIES may set it. Without proxies the
# connection's own address counts. The audit trail records the same address.
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("ZHENGQI_PROXY_COUNT", "0")) or None
AXES_IPWARE_PROXY_TRUSTED_IPS = [ip for ip in os.environ.get("ZHENGQI_TRUSTED_PROXIES", "").split(",") if ip]
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if AXES_IPWARE_PROXY_COUNT else ("REMOTE_ADDR",)
)
AXES_LOCKOUT_TEMPLATE = "registration/locked.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
# A session ends after ZHENGQI_SESSION_HOURS (a working day) and when the browser closes. Sessions are
# read from the shared cache and written through to the database (no query per page: issue 25).
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_AGE = int(os.environ.get("ZHENGQI_SESSION_HOURS", "8")) * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
# API tokens (Authorization: Bearer zq_…) expire after at most this many days.
ZHENGQI_API_TOKEN_MAX_DAYS = int(os.environ.get("ZHENGQI_API_TOKEN_MAX_DAYS", "365"))
# How many approved months a partner settlement recomputes to find corrections (adjustments).
ZHENGQI_SETTLEMENT_LOOKBACK_MONTHS = int(os.environ.get("ZHENGQI_SETTLEMENT_LOOKBACK_MONTHS", "12"))
# How many customers an account manager can visit in a month: the churn model's "high" band each
# month is as many of the riskiest customers as the managers can visit (the churn-model page shows it).
ZHENGQI_VISITS_PER_MANAGER = int(os.environ.get("ZHENGQI_VISITS_PER_MANAGER", "10"))
# How many tasks a month run gives one person (an account manager, or a regional manager for the
# customers nobody looks after): the riskiest, most valuable alerts first (value × risk × severity);
# the rest wait in the backlog (待办池), where anyone may take one.
ZHENGQI_TASKS_PER_MANAGER = int(os.environ.get("ZHENGQI_TASKS_PER_MANAGER", "20"))
# The default limit on campaign contacts: at most this many campaigns launched in one month may target
# one customer (the provincial admin changes it on the campaigns page).
ZHENGQI_CONTACTS_PER_MONTH = int(os.environ.get("ZHENGQI_CONTACTS_PER_MONTH", "2"))
# Notifications by e-mail (Django's e-mail framework over SMTP): the server, its account and TLS; the
# address the messages come from; the address of Zhengqi as users reach it (for the links in e-mails).
EMAIL_HOST = os.environ.get("ZHENGQI_SMTP_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("ZHENGQI_SMTP_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("ZHENGQI_SMTP_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("ZHENGQI_SMTP_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("ZHENGQI_SMTP_TLS", "") == "starttls"
EMAIL_USE_SSL = os.environ.get("ZHENGQI_SMTP_TLS", "") == "ssl"
EMAIL_TIMEOUT = int(os.environ.get("ZHENGQI_SMTP_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = os.environ.get("ZHENGQI_MAIL_FROM", "政企 Zhengqi <zhengqi@localhost>")
# A trial without a mail server (``./dev start``): messages are written as files to this folder instead.
if os.environ.get("ZHENGQI_MAIL_DIR"):
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = os.environ["ZHENGQI_MAIL_DIR"]
ZHENGQI_SITE_URL = os.environ.get("ZHENGQI_SITE_URL", "http://127.0.0.1:8000")
# 企业微信 group robots, one per region that has one: a JSON object of region code → webhook URL, e.g.
# {"GZ": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"}. Briefs of a region's managers go
# to its robot; a region without one gets none.
ZHENGQI_WECOM_WEBHOOKS: dict[str, str] = json.loads(os.environ.get("ZHENGQI_WECOM_WEBHOOKS", "{}") or "{}")
# The most rows one list export (Excel or CSV) may hold; past it the user is asked to narrow the list.
ZHENGQI_EXPORT_MAX_ROWS = int(os.environ.get("ZHENGQI_EXPORT_MAX_ROWS", "100000"))
# Documents people upload (signed agreements): stored under ZHENGQI_VAR/documents, never served as
# static files — only through a page that checks who may see the customer. ZHENGQI_UPLOAD_MAX_MB
# bounds one file.
MEDIA_ROOT = VAR_DIR / "documents"
# 集团客户认定 (registering a new group customer): a registered group must have at least
# ZHENGQI_GROUP_MIN_MEMBERS members in the network ZHENGQI_GROUP_PROOF_MONTHS months after approval,
# with at most ZHENGQI_GROUP_MAX_IDLE_SHARE of them “三无” (no calls or messages within the group);
# the month run raises 集团认定未落实 where it does not.
ZHENGQI_GROUP_MIN_MEMBERS = int(os.environ.get("ZHENGQI_GROUP_MIN_MEMBERS", "5"))
ZHENGQI_GROUP_PROOF_MONTHS = int(os.environ.get("ZHENGQI_GROUP_PROOF_MONTHS", "3"))
ZHENGQI_GROUP_MAX_IDLE_SHARE = float(os.environ.get("ZHENGQI_GROUP_MAX_IDLE_SHARE", "0.5"))
ZHENGQI_UPLOAD_MAX_MB = float(os.environ.get("ZHENGQI_UPLOAD_MAX_MB", "10"))
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "zhengqi.accounts.passwords.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "zhengqi.accounts.passwords.CharacterClassValidator"},
]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        # Scripts from the app's own static files, and the few chart blocks carrying a per-request
        # nonce; no inline handler, no eval. Inline styles stay allowed (charts size their boxes).
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

# Chinese first, English available (F-24).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "src" / "zhengqi" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
# Front-end assets come from npm (package-lock.json) and are served by the app: no CDN.
_NODE = BASE_DIR / "node_modules"
STATICFILES_DIRS = [
    ("vendor/bootstrap", _NODE / "bootstrap" / "dist"),
    ("vendor/htmx", _NODE / "htmx.org" / "dist"),
    ("vendor/echarts", _NODE / "echarts" / "dist"),
    ("vendor/bootstrap-icons", _NODE / "bootstrap-icons" / "icons"),  # SVG icons, not emoji (boxes without a font)
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# Background jobs (month runs started from a page): django-tasks with its database backend, so
# there is no broker to install. `zhengqi db_worker` runs them (./dev start starts one).
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

ZHENGQI_LAKE = Path(os.environ.get("ZHENGQI_LAKE", VAR_DIR / "lake"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "INFO"},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every step of a PDF at INFO.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# django-auditlog: field-level history of customer data, log of unmasked personal-data views.
AUDITLOG_STORE_JSON_CHANGES = True

# One cache for every process (the web workers, the background worker, the scheduler: a month run
# or an import in the worker must make the pages stale): dashboard figures, peer shares, and the pages rendered once
# per version of their data (the customer's page, the workbench: issue 25). For a province, Redis
# (ZHENGQI_CACHE_URL=redis://127.0.0.1:6379/1): shared by every worker and every host, a get in
# well under a millisecond. Without it, files under VAR_DIR: shared by the workers of one host, no
# server to run; each write lists the folder to keep it under MAX_ENTRIES, so they suit a demo or a
# small region rather than a province's morning.
CACHE_URL = os.environ.get("ZHENGQI_CACHE_URL", "")
CACHES: dict[str, dict[str, Any]]
if CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL:
    raise ImproperlyConfigured(
        f"ZHENGQI_CACHE_URL 只支持 redis://…（当前：{CACHE_URL}）。 ZHENGQI_CACHE_URL takes a redis:// URL."
    )
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
