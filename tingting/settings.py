"""Settings from the environment (12-factor).

With nothing configured the project runs on embedded defaults: a SQLite file and
kombu's filesystem transport, so a fresh clone needs no server. DATABASE_URL and
CELERY_BROKER_URL switch to PostgreSQL and Redis/RabbitMQ.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from celery.schedules import crontab  # noqa: F401  (kept for beat entries that need it)
from django.core.exceptions import ImproperlyConfigured

from tingting.beat import BEAT_SCHEDULE
from tingting.env import env, env_bool, env_int, env_list

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env("TINGTING_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
_INSECURE_DEV_KEY = "dev-insecure-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
SECRET_KEY = env("SECRET_KEY", _INSECURE_DEV_KEY if DEBUG or env_bool("TINGTING_DEV", False) else "")
if not SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY must be set when DEBUG is off (docs/configuration.md); "
        "on the scripts/run setup use scripts/manage for operator commands."
    )
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
CSRF_FAILURE_VIEW = "tingting.api.exceptions.csrf_failure"

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "tingting",
    # After tingting: its admin templates (branding, console pages) override the admin's.
    "tingting.apps.TingtingAdminConfig",
    "accounts",
    "phonenumbers_app",
    "campaigns",
    "otp",
    "tling",
    "bench",
    "voices",
    "v1",
    "surveys",
]

MIDDLEWARE = [
    # First: /healthz answers the container's own probe (127.0.0.1, plain http)
    # before SecurityMiddleware redirects it to https or ALLOWED_HOSTS refuses it.
    "tingting.api.middleware.HealthzMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tingting.api.middleware.RequestIdMiddleware",
    "tingting.metrics.MetricsMiddleware",
    "tingting.api.middleware.BodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "tingting.urls"
WSGI_APPLICATION = "tingting.wsgi.application"
# Paths are served with and without the trailing slash by the URL conf itself:
# a redirect would drop a POST body.
APPEND_SLASH = False

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
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'tingting.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 60),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite serialises writers; wait for the lock instead of failing at once
    # when web, worker and beat write together in the embedded default.
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"}
    )
    # Tests on SQLite use a file as the embedded default does, not Django's shared-cache
    # in-memory database, whose table locks fail threads at once ("database table is locked").
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-tingting.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["accounts.backends.EmailBackend"]
# Email uniqueness is a case-insensitive UniqueConstraint on Lower(email),
# which this check does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

REDIS_URL = env("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # A database cache is shared by web, worker and beat processes, which the
    # throttles and rate limits need; locmem would give each process its own.
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "tingting_cache"}}

LANGUAGE_CODE = "en-us"
TIME_ZONE = env("TIME_ZONE", "Asia/Kathmandu")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(VAR_DIR / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# Request bodies: JSON/form up to DATA_UPLOAD_MAX_MEMORY_SIZE, multipart uploads
# up to MAX_UPLOAD_BYTES (413 beyond, before any parsing); uploaded files over
# FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to disk, not memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 5 * 1024 * 1024)
MAX_UPLOAD_BYTES = env_int("MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- API -------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PARSER_CLASSES": [
        "tingting.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tingting.api.negotiation.LenientContentNegotiation",
    "EXCEPTION_HANDLER": "tingting.api.exceptions.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # `format` is a query parameter of the contract (report downloads), not a renderer switch.
    "URL_FORMAT_OVERRIDE": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_ACCESS_SECONDS", 24 * 3600)),
    "REFRESH_TOKEN_LIFETIME": timedelta(seconds=env_int("JWT_REFRESH_SECONDS", 7 * 24 * 3600)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "CHECK_REVOKE_TOKEN": True,
    "REVOKE_TOKEN_CLAIM": "hash_password",
    "AUTH_HEADER_TYPES": ("Bearer",),
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Tingting API",
    "DESCRIPTION": "TingTing-compatible (JWT) and Tling-compatible (X-API-Key) faces of one core.",
    "VERSION": "0.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI and Redoc from our own static files (drf-spectacular-sidecar), not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "PREPROCESSING_HOOKS": ["tingting.api.schema_hooks.drop_slashless_duplicates"],
    # The seed face takes two services, the v1 face four.
    "ENUM_NAME_OVERRIDES": {
        "SeedServicesEnum": ["PHONE", "SMS"],
        "CampaignServicesEnum": "campaigns.models.Campaign.Services",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "tingting.api.schema_hooks.document_body_errors",
    ],
}

# Reverse proxies in front of the web process (for the client IP of throttles).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

# Throttles (docs/api/API_CONTRACT.md §9); "N/period" with period in s, m, h, d.
THROTTLE_RATES = {
    "login_email": env("THROTTLE_LOGIN_EMAIL", "10/m"),
    "login_ip": env("THROTTLE_LOGIN_IP", "30/m"),
    "otp_number": env("THROTTLE_OTP_NUMBER", "5/10m"),
    "otp_account": env("THROTTLE_OTP_ACCOUNT", "100/h"),
    "tts_test": env("THROTTLE_TTS_TEST", "60/m"),
}

# --- Domain ----------------------------------------------------------------
DEFAULT_PHONE_REGION = env("DEFAULT_PHONE_REGION", "NP")
# Which numbers are refused (docs/nepali-input.md): "possible" refuses only wrong
# lengths and country codes (unlisted ranges are accepted with a warning); "valid"
# also refuses ranges phonenumbers' metadata does not list.
PHONE_VALIDATION = env("PHONE_VALIDATION", "possible").strip().lower()
if PHONE_VALIDATION not in ("possible", "valid"):
    raise ImproperlyConfigured("PHONE_VALIDATION must be possible or valid.")
SMS_CREDITS_PER_SEGMENT = env_int("SMS_CREDITS_PER_SEGMENT", 1)
VOICE_CREDITS_PER_PULSE = env_int("VOICE_CREDITS_PER_PULSE", 1)
VOICE_PULSE_SECONDS = env_int("VOICE_PULSE_SECONDS", 30)
IDEMPOTENCY_TTL_SECONDS = env_int("IDEMPOTENCY_TTL_SECONDS", 24 * 3600)
METRICS_TOKEN = env("METRICS_TOKEN", "")
# OTP (docs/api/API_CONTRACT.md §2 "OTP", §9).
OTP_TTL_SECONDS = env_int("OTP_TTL_SECONDS", 600)
OTP_MAX_ATTEMPTS = env_int("OTP_MAX_ATTEMPTS", 5)
OTP_VOICE = env("OTP_VOICE", "np_rija")
OTP_VOICE_LENGTH_FACTOR = float(env("OTP_VOICE_LENGTH_FACTOR", "1.2"))
OTP_VOICE_REPEAT = env_int("OTP_VOICE_REPEAT", 2)
OTP_STUCK_SECONDS = env_int("OTP_STUCK_SECONDS", 120)
# Campaign runs (docs/campaigns.md "Campaign execution"): recipients per dispatch task, and
# how long queued work may wait unclaimed / a claimed send may stay unresolved
# before the sweeper re-publishes / reconciles it. The sweep interval,
# RUN_SWEEP_SECONDS (default 15), is read by tingting/beat.py.
RUN_CHUNK_SIZE = env_int("RUN_CHUNK_SIZE", 1000)
# Tling messages (tling/services/recovery.py): how long a message may stay
# created / queued unclaimed, and claimed without being sent, before the sweep
# re-queues / reconciles it.
TLING_STALE_SECONDS = env_int("TLING_STALE_SECONDS", 120)
TLING_STUCK_SENDING_SECONDS = env_int("TLING_STUCK_SENDING_SECONDS", 600)
# A send or number purchase whose answer was lost and whose reconciling lookup keeps
# failing stays unknown (held, retried every sweep) this long, then is settled as
# failed and released (Tling messages) or undone and refunded (number purchases).
# Campaign attempts use RUN_GIVE_UP_IN_FLIGHT_SECONDS.
PROVIDER_UNKNOWN_DEADLINE_SECONDS = env_int("PROVIDER_UNKNOWN_DEADLINE_SECONDS", 6 * 3600)
RUN_STALE_QUEUED_SECONDS = env_int("RUN_STALE_QUEUED_SECONDS", 120)
RUN_STUCK_SENDING_SECONDS = env_int("RUN_STUCK_SENDING_SECONDS", 120)
RUN_RECHECK_IN_FLIGHT_SECONDS = env_int("RUN_RECHECK_IN_FLIGHT_SECONDS", 600)
RUN_GIVE_UP_IN_FLIGHT_SECONDS = env_int("RUN_GIVE_UP_IN_FLIGHT_SECONDS", 6 * 3600)
RUN_MAX_TRIES = env_int("RUN_MAX_TRIES", 3)
# Provider calls in flight per chunk task for backends without a batch API (threads).
RUN_PROVIDER_CONCURRENCY = env_int("RUN_PROVIDER_CONCURRENCY", 1)
# Attempts claimed and sent per round by a chunk task when the backend has a batch API.
RUN_SEND_BATCH = env_int("RUN_SEND_BATCH", 500)

# Campaign recipient imports (docs/campaigns.md "Campaigns and recipients").
IMPORT_MAX_UPLOAD_BYTES = env_int("IMPORT_MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_ROWS = env_int("IMPORT_MAX_ROWS", 1_000_000)
IMPORT_MAX_COLUMNS = env_int("IMPORT_MAX_COLUMNS", 50)
IMPORT_SYNC_ROWS = env_int("IMPORT_SYNC_ROWS", 20_000)
IMPORT_BATCH_ROWS = env_int("IMPORT_BATCH_ROWS", 50_000)
# A deferred import whose campaign row has not moved for this long (each batch of
# IMPORT_BATCH_ROWS commits in about a second) is published again by the runs sweep.
IMPORT_STALE_SECONDS = env_int("IMPORT_STALE_SECONDS", 600)
IMPORT_MAX_UNCOMPRESSED_BYTES = env_int("IMPORT_MAX_UNCOMPRESSED_BYTES", 600 * 1024 * 1024)
IMPORT_MAX_ZIP_RATIO = env_int("IMPORT_MAX_ZIP_RATIO", 150)
IMPORT_MAX_ZIP_MEMBERS = env_int("IMPORT_MAX_ZIP_MEMBERS", 500)
# Sheets whose XML inflates past this are read by the streaming reader instead of
# python-calamine, which holds ~1.7x the sheet XML in memory (tingting/spreadsheets/xlsx.py).
IMPORT_STREAM_SHEET_BYTES = env_int("IMPORT_STREAM_SHEET_BYTES", 32 * 1024 * 1024)
# Both readers hold the shared strings part in memory (as Python or Rust strings, about
# 1-2x its XML): a workbook whose shared strings inflate past this is refused (413).
# 32 MB is a million unique 10-character names.
IMPORT_MAX_SHARED_STRINGS_BYTES = env_int("IMPORT_MAX_SHARED_STRINGS_BYTES", 32 * 1024 * 1024)

# Providers: dotted paths to the backend classes (docs/api/API_CONTRACT.md §6, §8).
SMS_BACKEND = env("SMS_BACKEND", "tingting.providers.simulated.SimulatedSmsBackend")
VOICE_BACKEND = env("VOICE_BACKEND", "tingting.providers.simulated.SimulatedVoiceBackend")
NUMBER_BACKEND = env("NUMBER_BACKEND", "phonenumbers_app.backends.LocalInventoryBackend")
TTS_BACKEND = env("TTS_BACKEND", "tingting.providers.tts_espeak.EspeakTtsBackend")
# Rendered speech: mono 16-bit PCM WAV at 8000 (narrowband telephony) or 16000 Hz.
TTS_SAMPLE_RATE = env_int("TTS_SAMPLE_RATE", 8000)
AZURE_SPEECH_KEY = env("AZURE_SPEECH_KEY", "")
AZURE_SPEECH_REGION = env("AZURE_SPEECH_REGION", "centralindia")
# Default https://<region>.tts.speech.microsoft.com; tests point it at a local fake.
AZURE_SPEECH_BASE_URL = env("AZURE_SPEECH_BASE_URL", "")
PROVIDER_TIMEOUT_SECONDS = float(env("PROVIDER_TIMEOUT_SECONDS", "10"))
TWILIO_ACCOUNT_SID = env("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env("TWILIO_AUTH_TOKEN", "")
TWILIO_API_BASE = env("TWILIO_API_BASE", "https://api.twilio.com")
TWILIO_NUMBER_COUNTRY = env("TWILIO_NUMBER_COUNTRY", "US")
TWILIO_NUMBER_RATE = env_int("TWILIO_NUMBER_RATE", 100)
TWILIO_FROM_NUMBER = env("TWILIO_FROM_NUMBER", "")  # default sender / caller id (E.164)
TWILIO_MACHINE_DETECTION = env_bool("TWILIO_MACHINE_DETECTION", False)
# Detection in the background (AsyncAmd): the audio starts when the call is answered,
# so CallDuration is what the person heard, not detection time plus that.
TWILIO_ASYNC_AMD = env_bool("TWILIO_ASYNC_AMD", True)
SPARROW_TOKEN = env("SPARROW_TOKEN", "")
SPARROW_API_BASE = env("SPARROW_API_BASE", "https://api.sparrowsms.com")
SPARROW_FROM = env("SPARROW_FROM", "")  # the identity Sparrow gave the account
# Request field carrying the per-message delivery-report URL, for Sparrow
# accounts that push delivery reports; empty: none asked for.
SPARROW_DLR_FIELD = env("SPARROW_DLR_FIELD", "")
# Our address as vendors reach it (scheme://host[:port]): callback URLs and the
# audio URLs calls play are built from it, and Twilio signatures are checked
# against it. Empty: the request's host where there is one; no callbacks.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", "")
# A process with DEBUG off refuses to start (system check tingting.E010) while a
# simulated backend is configured, unless this says the fakes are wanted.
ALLOW_SIMULATED_PROVIDERS = env_bool("ALLOW_SIMULATED_PROVIDERS", False)
# Failover (tingting.providers.failover): a second backend per kind, used while
# the first one fails more than FAILOVER_ERROR_RATE of its requests over the window.
SMS_BACKEND_FALLBACK = env("SMS_BACKEND_FALLBACK", "")
VOICE_BACKEND_FALLBACK = env("VOICE_BACKEND_FALLBACK", "")
FAILOVER_WINDOW_SECONDS = env_int("FAILOVER_WINDOW_SECONDS", 60)
FAILOVER_ERROR_RATE = float(env("FAILOVER_ERROR_RATE", "0.5"))
FAILOVER_MIN_REQUESTS = env_int("FAILOVER_MIN_REQUESTS", 5)

# --- Guardrails (docs/campaigns.md "Guardrails") ---------------------------
# Operator ceilings of the per-account limits (§7 settings).
ACCOUNT_MAX_CALLS_PER_SECOND = env_int("ACCOUNT_MAX_CALLS_PER_SECOND", 10)
ACCOUNT_MAX_CONCURRENT_CALLS = env_int("ACCOUNT_MAX_CONCURRENT_CALLS", 50)
# Rate limits the dispatcher applies before each provider call (tokens per second,
# shared by every worker through Redis; 0 = no limit). The account's own
# max_calls_per_second and max_concurrent_calls apply as well.
RATE_SENDER_SMS_PER_SECOND = float(env("RATE_SENDER_SMS_PER_SECOND", "0"))
RATE_SENDER_CALLS_PER_SECOND = float(env("RATE_SENDER_CALLS_PER_SECOND", "0"))
RATE_PROVIDER_SMS_PER_SECOND = float(env("RATE_PROVIDER_SMS_PER_SECOND", "0"))
RATE_PROVIDER_CALLS_PER_SECOND = float(env("RATE_PROVIDER_CALLS_PER_SECOND", "0"))
# A call's concurrency slot is leased for its audio length plus this margin; a slot
# whose final report never comes frees itself then.
RUN_CALL_SLOT_MARGIN_SECONDS = env_int("RUN_CALL_SLOT_MARGIN_SECONDS", 300)
# Status webhooks to clients: private/loopback/link-local targets are refused
# unless this is on (SSRF); delivery is retried with backoff for WEBHOOK_RETRY_HOURS.
WEBHOOK_ALLOW_PRIVATE = env_bool("WEBHOOK_ALLOW_PRIVATE", False)
# Ports a webhook URL may name besides 80 and 443 (comma-separated), so the server
# cannot be pointed at arbitrary services of a public host. Not checked when
# WEBHOOK_ALLOW_PRIVATE is on (local receivers listen on any port).
WEBHOOK_ALLOWED_PORTS = [int(p) for p in env_list("WEBHOOK_ALLOWED_PORTS", "") if p.strip().isdigit()]
WEBHOOK_TIMEOUT_SECONDS = float(env("WEBHOOK_TIMEOUT_SECONDS", "10"))
WEBHOOK_RETRY_HOURS = env_int("WEBHOOK_RETRY_HOURS", 24)

# --- Celery ----------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
    # kombu's filesystem transport with atomic message writes (tingting/broker.py).
    CELERY_BROKER_TRANSPORT = "tingting.broker:Transport"
else:
    CELERY_BROKER_TRANSPORT = None  # chosen by the URL's scheme
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_BACKEND = None
# A task is acknowledged after it ran: a worker killed mid-task gets it
# redelivered, and the services' conditional claims make a repeat harmless.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# Periodic sweeps live in code; apps list theirs in tingting/beat.py.
CELERY_BEAT_SCHEDULE: dict = dict(BEAT_SCHEDULE)

# --- Logging -----------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "tingting.request_id.RequestIdFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

# --- Production hardening (active when DEBUG is off) ---------------------------
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"
