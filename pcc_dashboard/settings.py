"""Settings for the PCC performance dashboard, configured by environment variables (see .env.example)."""

import os
import sys
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from pcc_dashboard.private_files import private_file

BASE_DIR = Path(__file__).resolve().parent.parent


def _load_env_file(path: Path) -> None:
    """Read KEY=VALUE lines from .env (if present) without overriding the real environment."""
    if not path.is_file():
        return
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            os.environ.setdefault(key.strip(), value.strip().strip('"').strip("'"))


_load_env_file(BASE_DIR / ".env")


def env_bool(name: str, default: bool = False) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


# "production" turns on every hardening setting; "development" is the laptop default.
PROFILE = os.environ.get("PCC_PROFILE", "development").strip().lower()
if PROFILE not in {"development", "production"}:
    raise ImproperlyConfigured("PCC_PROFILE must be 'development' or 'production'.")
PRODUCTION = PROFILE == "production"
# Under pytest a throwaway key and a temporary folder for uploaded files are fine.
TESTING = "pytest" in sys.modules

DEBUG = env_bool("DEBUG") and not PRODUCTION

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    # Never in production: a known key there would let anyone forge sessions.
    if not PRODUCTION and (DEBUG or TESTING or env_bool("PCC_ALLOW_INSECURE_KEY")):
        SECRET_KEY = "django-insecure-development-only-key-do-not-use-in-production"
    else:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment or in .env, for example: "
            "SECRET_KEY=\"$(python -c 'import secrets; print(secrets.token_urlsafe(64))')\". "
            "For local development you can set DEBUG=1 instead."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_forms_gds",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "priorities",
    "returns",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "pcc_dashboard.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Anonymous readers of published snapshot pages: from the cache, before any session or user.
    "reports.middleware.AnonymousSnapshotPageMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "pcc_dashboard.middleware.SessionTimeoutMiddleware",
    "pcc_dashboard.middleware.TwoFactorRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "pcc_dashboard.middleware.MethodNotAllowedPageMiddleware",
    "pcc_dashboard.middleware.WriteConflictMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "pcc_dashboard.urls"
WSGI_APPLICATION = "pcc_dashboard.wsgi.application"

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
                "pcc_dashboard.context_processors.service",
                "priorities.context_processors.office",
            ],
            "builtins": ["pcc_dashboard.template_words"],
        },
    },
]

DATABASES = {
    # An empty DATABASE_URL (as in a copied .env.example) means the default, not "no database".
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "").strip() or f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    (BASE_DIR / "var").mkdir(exist_ok=True)
    _sqlite_file = str(DATABASES["default"]["NAME"])
    if _sqlite_file and _sqlite_file != ":memory:" and not _sqlite_file.startswith("file:"):
        # Created owner-only before SQLite opens it (its -wal and -shm files take the same mode).
        private_file(Path(_sqlite_file))
    # Concurrent use: every transaction takes the write lock when it begins
    # (IMMEDIATE), so two writers queue instead of one failing when both read first; a writer waits
    # up to 30 s for another (busy timeout); WAL lets readers go on while one writes.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        timeout=30,
        transaction_mode="IMMEDIATE",
        init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHE_URL = os.environ.get("CACHE_URL", "")
# A cache every process shares (Redis) also holds sessions, written through to the database.
if CACHE_URL.startswith("redis"):
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    CACHES = {
        "default": {
            "BACKEND": "pcc_dashboard.cache.PooledRedisCache",
            "LOCATION": CACHE_URL,
            "TIMEOUT": 60 * 60 * 24,
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "pcc-dashboard",
            "TIMEOUT": 60 * 60,
        }
    }

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# ASVS v5.0.0 6.2: length and a common-password list, no composition rules.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
if TESTING:
    # Tests sign in hundreds of times; a slow hash there buys nothing. Real passwords keep PBKDF2.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"

# Throttle repeated failed sign-ins (django-axes): lock the username+address pair, not the
# username alone, so nobody can lock a colleague out from elsewhere.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Behind the reverse proxy the connection comes from the proxy: the client's address is the one the
# proxy appends to X-Forwarded-For, read only when proxies are trusted (pcc_dashboard/proxy.py).
TRUSTED_PROXY_COUNT = int(
    os.environ.get("TRUSTED_PROXY_COUNT", "").strip() or (1 if PRODUCTION and env_bool("BEHIND_TLS_PROXY", True) else 0)
)
AXES_CLIENT_IP_CALLABLE = "pcc_dashboard.proxy.client_address"
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False

# Sessions: inactivity timeout (cookie age renewed on each request) and an absolute timeout.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_SECONDS", str(30 * 60)))
SESSION_SAVE_EVERY_REQUEST = False  # SessionTimeoutMiddleware renews it at most once a minute
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(10 * 60 * 60)))
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_FAILURE_VIEW = "pcc_dashboard.auth_views.csrf_failure"

# Two-factor sign-in (TOTP) for roles that write data; production turns it on.
PCC_REQUIRE_2FA = env_bool("PCC_REQUIRE_2FA", PRODUCTION)

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if PRODUCTION:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "Europe/London"
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [
    BASE_DIR / "static",
    # Installed from npm at set-up (make install); never from a CDN.
    ("govuk", BASE_DIR / "node_modules" / "govuk-frontend" / "dist" / "govuk"),
    ("plotly", BASE_DIR / "node_modules" / "plotly.js-basic-dist-min"),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Compressed (gzip and brotli) but not renamed, so ES module imports keep working.
        "BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"
    },
}
WHITENOISE_MAX_AGE = 60 * 60
# Without collectstatic (make run, tests) whitenoise serves straight from the finders.
WHITENOISE_USE_FINDERS = env_bool("WHITENOISE_USE_FINDERS", not PRODUCTION)

# Uploaded return files are kept, under generated names, outside anything that is served.
RETURN_FILES_DIR = Path(
    os.environ.get(
        "RETURN_FILES_DIR",
        tempfile.mkdtemp(prefix="pcc-test-returns-") if TESTING else BASE_DIR / "var" / "return_files",
    )
)
RETURN_MAX_BYTES = int(os.environ.get("RETURN_MAX_BYTES", str(20 * 1024 * 1024)))
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FILES = 5

CRISPY_ALLOWED_TEMPLATE_PACKS = ["gds"]
CRISPY_TEMPLATE_PACK = "gds"

# --- Domain settings -------------------------------------------------------------------------
PCC_SERVICE_NAME = "Police and Crime Plan performance"
# A return is due this many working days after its period ends (Q1 2014/15 → early July).
RETURN_DUE_WORKING_DAYS = int(os.environ.get("RETURN_DUE_WORKING_DAYS", "10"))
# Statistical process control: numbers of points are settings.
SPC_MIN_POINTS = 12
# Limits come from the first SPC_BASELINE_POINTS points of a series (a fixed baseline) until the
# co-ordinator recalculates them at a dated, explained change (an annotation); None = every point.
SPC_BASELINE_POINTS = 20
SPC_RUN_LENGTH = 7
SPC_TREND_LENGTH = 7
# A point flagged by rules pointing both ways (a rising trend below the mean): "concern" or
# "improvement", as the NHS England SQL's MetricConflictRule; concern, so a warning is never hidden.
SPC_CONFLICT_RULE = "concern"
# Most Similar Group comparison: the band is this many standard deviations of members' rates.
MSG_BAND_SD = 1.0
MSG_AVERAGE = "mean"  # "mean" of members' rates (iQuanta/HMIC convention) or "pooled"
MSG_WINDOW_MONTHS = 12
# ONS mid-year estimates appear about a year after their mid-year: use the one published by then.
POPULATION_PUBLICATION_LAG_MONTHS = 12
# The thematic Panel report rotates through the themes in this order (theme numbers).
PANEL_THEME_ROTATION = [int(n) for n in env_list("PANEL_THEME_ROTATION", "1,2,3,4")]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "WARNING")},
}

if TESTING:
    # Password hashing at full strength makes every test that creates a user take a second.
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
