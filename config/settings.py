"""Lucro settings: one module, driven by environment variables only (12-factor).

With no variables set the embedded default runs: SQLite in WAL mode under ``var/``, a
filesystem Celery broker and a file cache, so a bare machine needs no server at all.
``DATABASE_URL``, ``CELERY_BROKER_URL`` and ``CACHE_URL`` switch to real servers.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from config.env import (
    env_bool,
    env_float,
    env_int,
    env_int_list,
    env_list,
    env_range,
    env_str,
)
from lucro.core.crypto import development_key
from lucro.core.crypto import keys_problem as field_keys_problem
from lucro.core.currencies import minor_units

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("LUCRO_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

LUCRO_ENV = env_str("LUCRO_ENV", "development")
if LUCRO_ENV not in ("development", "test", "production"):
    raise ImproperlyConfigured("LUCRO_ENV must be development, test or production")
PRODUCTION = LUCRO_ENV == "production"

_INSECURE_KEY = "insecure-development-key-do-not-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", _INSECURE_KEY)
DEBUG = env_bool("DEBUG", not PRODUCTION)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["*"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    # Swagger UI and Redoc at pinned versions, served from our static files (no CDN).
    "drf_spectacular_sidecar",
    "django_prometheus",
    "lucro.core",
    "lucro.tenancy",
    "lucro.taxonomy",
    "lucro.audit",
    "lucro.enrichment",
    "lucro.ingestion",
    "lucro.fx",
    "lucro.reports",
    "lucro.webhooks",
    "lucro.budgets",
    "lucro.graphql_api",
    "lucro.ops",
    "lucro.dashboard",
]

MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "lucro.ops.middleware.RequestIdMiddleware",
    # The RateLimit fields on every answer of a rate-limited request (lucro.core.ratelimit).
    "lucro.core.ratelimit.RateLimitHeadersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # request.htmx for the dashboard's partial answers (lucro.dashboard).
    "django_htmx.middleware.HtmxMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
APPEND_SLASH = True

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

# --- Database -----------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600)}
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(VAR_DIR / "lucro.sqlite3"),
            "OPTIONS": {
                # WAL lets readers (the web) and the writer (a worker) run side by side;
                # IMMEDIATE takes the write lock at BEGIN so two writers queue on the
                # busy timeout instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 30,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;"
                ),
            },
            "TEST": {"NAME": str(VAR_DIR / "test-lucro.sqlite3")},
        }
    }
DATABASES["default"].setdefault("TEST", {})
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")
# The lifecycle owner's storage seam (lucro.ingestion.store), chosen once like SESSION_ENGINE:
# the PostgreSQL store (COPY, SKIP LOCKED, array write-backs) on PostgreSQL, the portable one
# (plain ORM) elsewhere.
LUCRO_STORE = env_str(
    "LUCRO_STORE",
    "lucro.ingestion.store.postgres.PostgresStore"
    if IS_POSTGRES
    else "lucro.ingestion.store.portable.PortableStore",
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache --------------------------------------------------------------------------------
CACHE_URL = env_str("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": CACHE_URL,
            "KEY_PREFIX": "lucro",
            "OPTIONS": {
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
else:
    # A file cache rather than local memory: the web process and the worker are different
    # processes, and a version bumped by one must be seen by the other.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
        }
    }

# --- Celery -------------------------------------------------------------------------------
BROKER_DIR = VAR_DIR / "broker"
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    for sub in ("out", "processed", "control"):
        (BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    # kombu's filesystem transport, with each message written whole before a consumer can
    # list it (kombu's own creates the file, then writes it: a worker could read it empty).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS: dict[str, object] = {
        "data_folder_in": str(BROKER_DIR / "out"),
        "data_folder_out": str(BROKER_DIR / "out"),
        "processed_folder": str(BROKER_DIR / "processed"),
        "store_processed": False,
        # Broadcast (remote control) exchanges; kombu's default is ./control in the cwd.
        "control_folder": str(BROKER_DIR / "control"),
        "polling_interval": 0.1,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # A message not acknowledged within this window is redelivered (Redis); it must
        # exceed the hard time limit of the longest task.
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 3600, minimum=60),
    }
CELERY_TASK_ALWAYS_EAGER = False
# The queue every task is sent to and workers consume: one broker can serve several
# deployments (or a benchmark beside a running dev worker) without them taking each
# other's messages.
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "celery")
# Housekeeping (the sweeper today; purges, alerts and webhooks as they come) has a queue of
# its own, consumed by capacity of its own (`make run`'s housekeeping process, compose's
# `housekeeping` service): a sweep queued behind minutes of enrichment work expired unrun,
# and rows of a killed worker waited for the backlog to drain instead of one sweep
# interval. Derived from CELERY_QUEUE so that deployments (and tests, benchmarks) with
# private work queues also keep their housekeeping apart.
CELERY_HOUSEKEEPING_QUEUE = env_str(
    "CELERY_HOUSEKEEPING_QUEUE", f"{CELERY_TASK_DEFAULT_QUEUE}.housekeeping"
)
# Routing lives here, not in per-call options: every publisher (beat, a task, the shell)
# sends these tasks to the same place. Everything else goes to CELERY_TASK_DEFAULT_QUEUE.
HOUSEKEEPING_TASKS = [
    "lucro.enrichment.sweep",
    "lucro.ops.purge_deleted",
    "lucro.ops.fetch_exchange_rates",
    # Light and latency-bound (an alert within seconds of a batch): never behind a backlog
    # of enrichment chunks.
    "lucro.budgets.evaluate",
]
CELERY_TASK_ROUTES = {name: {"queue": CELERY_HOUSEKEEPING_QUEUE} for name in HOUSEKEEPING_TASKS}
# Webhook deliveries have a queue and consumers of their own (`make run`'s webhooks process,
# compose's `webhooks` service): a receiver that takes its full timeout to answer holds a
# worker process for that long, and must delay neither enrichment nor the sweeper.
CELERY_WEBHOOKS_QUEUE = env_str("CELERY_WEBHOOKS_QUEUE", f"{CELERY_TASK_DEFAULT_QUEUE}.webhooks")
WEBHOOK_TASKS = ["lucro.webhooks.deliver", "lucro.webhooks.deliveries_due"]
CELERY_TASK_ROUTES.update({name: {"queue": CELERY_WEBHOOKS_QUEUE} for name in WEBHOOK_TASKS})
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", 240, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300, minimum=1)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Lucro behaviour ----------------------------------------------------------------------
INGEST_MAX_TRANSACTIONS = env_int("INGEST_MAX_TRANSACTIONS", 10_000, minimum=1)
INGEST_MAX_BODY_BYTES = env_int("INGEST_MAX_BODY_BYTES", 20 * 1024 * 1024, minimum=1024)
INGEST_MAX_STRING_LENGTH = env_int("INGEST_MAX_STRING_LENGTH", 1024, minimum=16)
# Django's own form limit must not cut the ingestion body before our own 413 check does.
DATA_UPLOAD_MAX_MEMORY_SIZE = INGEST_MAX_BODY_BYTES + 1024
# A batch transaction that loses a deadlock or serialization race is run again this many
# times (with a short jittered backoff) before the request is answered 503 + Retry-After.
INGEST_MAX_RETRIES = env_int("INGEST_MAX_RETRIES", 3, minimum=0)
IDEMPOTENCY_RETENTION_DAYS = env_int("IDEMPOTENCY_RETENTION_DAYS", 30, minimum=1)

# Limits on what a tenant's rules may hold (regexes run in RE2, linear in the text; see
# lucro/enrichment/patterns.py). The longest default rule is 270 characters; the column
# holds 500.
RULE_PATTERN_MAX_LENGTH = env_int("RULE_PATTERN_MAX_LENGTH", 300, minimum=1)
if RULE_PATTERN_MAX_LENGTH > 500:
    raise ImproperlyConfigured("RULE_PATTERN_MAX_LENGTH must be <= 500 (the column's size)")
RULE_MAX_REGEX_PER_ORGANIZATION = env_int("RULE_MAX_REGEX_PER_ORGANIZATION", 50, minimum=0)

# The organization's merchant memory first (what its own corrections taught), then the rules.
ENRICHERS = env_list(
    "ENRICHERS",
    [
        "lucro.enrichment.memory.MemoryEnricher",
        "lucro.enrichment.enrichers.RuleEnricher",
        "lucro.enrichment.neighbours.CorrectionsEnricher",
        "lucro.enrichment.model.ModelEnricher",
    ],
)
# The learned enricher's saved model (lucro/enrichment/model.py); empty: the one that ships in
# lucro/enrichment/data/. Below MODEL_MIN_CONFIDENCE (empty: the threshold chosen on the
# tuning set and saved with the model) the model passes and the row stays uncategorised.
CATEGORY_MODEL_PATH = env_str("CATEGORY_MODEL_PATH", "")
MODEL_MIN_CONFIDENCE = (
    env_float("MODEL_MIN_CONFIDENCE", 0.0) if env_str("MODEL_MIN_CONFIDENCE") else None
)
# Consistent manual corrections of one merchant an organization makes before its new lines
# of that merchant follow them (lucro/enrichment/memory.py). One would let a slip of the
# mouse recategorise every later line; two agreeing ones say the user means it.
MEMORY_MIN_CORRECTIONS = env_int("MEMORY_MIN_CORRECTIONS", 2, minimum=1)
# How alike (cosine of the model's TF-IDF features, 0-1) a line and the organization's
# corrected lines must be for those corrections to vote on it (lucro/enrichment/neighbours.py).
MEMORY_NEIGHBOUR_SIMILARITY = env_float("MEMORY_NEIGHBOUR_SIMILARITY", 0.5)
ENRICH_CHUNK_SIZE = env_int("ENRICH_CHUNK_SIZE", 2_000, minimum=1)
ENRICH_CHUNKS_PER_TASK = env_int("ENRICH_CHUNKS_PER_TASK", 4, minimum=1)
ENRICH_MAX_ATTEMPTS = env_int("ENRICH_MAX_ATTEMPTS", 3, minimum=1)
ENRICH_VISIBILITY_TIMEOUT = env_int("ENRICH_VISIBILITY_TIMEOUT", 300, minimum=1)
ENRICH_SWEEP_INTERVAL = env_float("ENRICH_SWEEP_INTERVAL", 30.0)
ENRICH_SIMULATED_LATENCY = env_range("ENRICH_SIMULATED_LATENCY")
ENRICH_RETRY_BACKOFF = env_float("ENRICH_RETRY_BACKOFF", 2.0)
# Rows one re-run selection chunk moves into its job, in one transaction (docs/enrichment.md).
RERUN_CHUNK_SIZE = env_int("RERUN_CHUNK_SIZE", 5_000, minimum=1)
# A deleted account or transaction can be restored this long, then it is purged for good
# (SPEC §10), by a housekeeping task run every SOFT_DELETE_PURGE_INTERVAL seconds.
SOFT_DELETE_RETENTION_DAYS = env_int("SOFT_DELETE_RETENTION_DAYS", 30, minimum=1)
SOFT_DELETE_PURGE_INTERVAL = env_float("SOFT_DELETE_PURGE_INTERVAL", 3600.0)
# The sweeper (lucro.enrichment.services.sweep), scheduled by `celery beat` and run on the
# housekeeping queue (CELERY_TASK_ROUTES): stuck rows back to pending, lost batch messages
# re-queued. A sweep not started within one interval is superseded by the next one, so it
# expires then: a stopped housekeeping consumer finds one fresh sweep, not a pile of them.
CELERY_BEAT_SCHEDULE = {
    "enrichment-sweep": {
        "task": "lucro.enrichment.sweep",
        "schedule": ENRICH_SWEEP_INTERVAL,
        "options": {"expires": max(1.0, ENRICH_SWEEP_INTERVAL)},
    },
    # Deleted accounts and transactions past their retention, removed for good (in chunks:
    # an interrupted purge goes on at the next run).
    "purge-deleted": {
        "task": "lucro.ops.purge_deleted",
        "schedule": SOFT_DELETE_PURGE_INTERVAL,
        "options": {"expires": max(1.0, SOFT_DELETE_PURGE_INTERVAL)},
    },
}

# Webhooks (SPEC §13; lucro.webhooks). Seconds to wait after each failed attempt before
# the next: 8 attempts over ≈ 27.6 hours by default. Waits of 30 s or less are a
# countdown on the queued message; longer ones are kept in the database (next_attempt_at)
# and sent by the periodic `deliveries_due` task below (a message held for hours would be
# redelivered by Redis once the broker's visibility timeout ran out).
WEBHOOK_RETRY_SCHEDULE = env_int_list(
    "WEBHOOK_RETRY_SCHEDULE",
    [5, 300, 1800, 7200, 18000, 36000, 36000],
    minimum=0,
    maximum=7 * 86_400,
    max_items=30,
)
# Seconds an attempt may take, connection and answer together (SPEC §13: 10).
WEBHOOK_TIMEOUT = env_float("WEBHOOK_TIMEOUT", 10.0)
if not 0 < WEBHOOK_TIMEOUT <= 60:
    raise ImproperlyConfigured("WEBHOOK_TIMEOUT must be a number of seconds in (0, 60]")
# How often beat looks for deliveries whose next attempt is due (or whose sender was lost).
WEBHOOK_SWEEP_INTERVAL = env_float("WEBHOOK_SWEEP_INTERVAL", 10.0)
if WEBHOOK_SWEEP_INTERVAL <= 0:
    raise ImproperlyConfigured("WEBHOOK_SWEEP_INTERVAL must be a positive number of seconds")
# Off: a webhook URL must be https and resolve only to public addresses (checked when it is
# saved and again at every send, lucro/webhooks/destinations.py). On only in the embedded
# development default (no DATABASE_URL, not production), where receivers run on this machine.
WEBHOOK_ALLOW_PRIVATE_NETWORKS = env_bool(
    "WEBHOOK_ALLOW_PRIVATE_NETWORKS", not PRODUCTION and not DATABASE_URL
)
CELERY_BEAT_SCHEDULE["webhooks-due"] = {
    "task": "lucro.webhooks.deliveries_due",
    "schedule": WEBHOOK_SWEEP_INTERVAL,
    "options": {"expires": max(1.0, WEBHOOK_SWEEP_INTERVAL)},
}

# Multi-currency (SPEC §11): a new organization's base currency, and how old the latest
# rate on or before a day may be for that day's conversion.
DEFAULT_BASE_CURRENCY = env_str("DEFAULT_BASE_CURRENCY", "USD")
if minor_units(DEFAULT_BASE_CURRENCY) is None:
    raise ImproperlyConfigured("DEFAULT_BASE_CURRENCY must be an ISO 4217 code, e.g. USD")
FX_MAX_STALENESS_DAYS = env_int("FX_MAX_STALENESS_DAYS", 7, minimum=0)
if FX_MAX_STALENESS_DAYS > 366:
    raise ImproperlyConfigured("FX_MAX_STALENESS_DAYS must be <= 366")
# The optional periodic fetch of the ECB's daily reference rates (the eurofxref-daily.xml
# format), stored as shared rates: off while FX_SOURCE_URL is empty. An http(s) URL only;
# each request has an explicit timeout, and a failure changes nothing (lucro.fx.services).
FX_SOURCE_URL = env_str("FX_SOURCE_URL", "").strip()
if FX_SOURCE_URL:
    _fx_url = urlsplit(FX_SOURCE_URL)
    if _fx_url.scheme not in ("http", "https") or not _fx_url.hostname:
        raise ImproperlyConfigured(
            f"FX_SOURCE_URL must be an http(s) URL with a host, not {FX_SOURCE_URL!r}"
        )
FX_FETCH_INTERVAL = env_int("FX_FETCH_INTERVAL", 86_400, minimum=60)
FX_FETCH_TIMEOUT = env_float("FX_FETCH_TIMEOUT", 10.0)
if not 0 < FX_FETCH_TIMEOUT <= 300:
    raise ImproperlyConfigured("FX_FETCH_TIMEOUT must be a number of seconds in (0, 300]")
if FX_SOURCE_URL:
    # On the housekeeping queue (HOUSEKEEPING_TASKS); a fetch not started within one
    # interval is superseded by the next one.
    CELERY_BEAT_SCHEDULE["fetch-exchange-rates"] = {
        "task": "lucro.ops.fetch_exchange_rates",
        "schedule": float(FX_FETCH_INTERVAL),
        "options": {"expires": float(FX_FETCH_INTERVAL)},
    }

# At most ten years: the day-vector arithmetic (lucro/reports/dayvectors.py) is exact in
# int64 for ranges up to 32 768 days.
REPORT_MAX_RANGE_DAYS = env_int("REPORT_MAX_RANGE_DAYS", 366, minimum=1, maximum=3660)
# Budgets (SPEC §12): an evaluation is queued this long after the first change that asks
# for one; the changes in between (a batch's chunks) are answered by that one evaluation.
BUDGET_EVALUATION_DELAY_SECONDS = env_float("BUDGET_EVALUATION_DELAY_SECONDS", 1.0)
if not 0 <= BUDGET_EVALUATION_DELAY_SECONDS <= 4:  # an alert is due within 5 s (SPEC §12)
    raise ImproperlyConfigured("BUDGET_EVALUATION_DELAY_SECONDS must be between 0 and 4.")
REPORT_CACHE_TIMEOUT = env_int("REPORT_CACHE_TIMEOUT", 3600, minimum=1)

# GraphQL (SPEC §14; lucro/graphql_api): GraphiQL on GET, the deepest query accepted, and
# introspection (the SDL is committed, so production clients need none of it).
GRAPHQL_IDE = env_bool("GRAPHQL_IDE", DEBUG)
GRAPHQL_MAX_DEPTH = env_int("GRAPHQL_MAX_DEPTH", 8, minimum=2, maximum=32)
GRAPHQL_INTROSPECTION = env_bool("GRAPHQL_INTROSPECTION", DEBUG or GRAPHQL_IDE)

METRICS_ALLOWED_IPS = env_list("METRICS_ALLOWED_IPS", ["127.0.0.1", "::1"])
METRICS_BEARER_TOKEN = env_str("METRICS_BEARER_TOKEN", "")
HEALTH_CHECK_TIMEOUT = env_float("HEALTH_CHECK_TIMEOUT", 2.0)
# /api/health/ reuses its verdict this long: a burst of probes (or a probe per load
# balancer node) costs one round of checks per process. 0 checks on every probe.
HEALTH_CACHE_SECONDS = env_float("HEALTH_CACHE_SECONDS", 2.0)

# --- DRF ----------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "lucro.tenancy.authentication.ApiKeyAuthentication",
        "lucro.tenancy.authentication.JwtAuthentication",
    ],
    # Closed by default: every view declares the capability it needs (lucro.tenancy.permissions).
    "DEFAULT_PERMISSION_CLASSES": ["lucro.tenancy.permissions.Undeclared"],
    # Every authenticated request counts against its credential's RATE_LIMIT_PER_MINUTE.
    "DEFAULT_THROTTLE_CLASSES": ["lucro.tenancy.throttling.CredentialThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["lucro.core.parsers.BoundedJSONParser"],
    # OPTIONS answers 405: the OpenAPI schema describes the API, and DRF's metadata reply
    # rendered through the docs page's HTML template was a 500.
    "DEFAULT_METADATA_CLASS": None,
    "EXCEPTION_HANDLER": "lucro.core.errors.problem_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "lucro.core.openapi.LucroAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Lucro API",
    "DESCRIPTION": "Transaction ingestion, enrichment and reporting.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs page's JavaScript, CSS and favicon come from drf-spectacular-sidecar (pinned
    # in requirements.lock, served by whitenoise): it works offline and cannot change under us.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No badge from the public validator service: the page makes no request off this host.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Two "status" choice sets: a batch's (and a row's) and a webhook delivery's.
    "ENUM_NAME_OVERRIDES": {
        "WebhookDeliveryStatusEnum": "lucro.webhooks.models.WebhookDelivery.Status",
        "BatchStatusEnum": ["pending", "processing", "completed", "failed"],
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "lucro.core.openapi.problem_media_type_hook",
    ],
}

# --- People and tokens (SPEC §9) ---------------------------------------------------------
_INSECURE_JWT_KEY = "insecure-development-jwt-key-do-not-use-in-production"
# Its own key, not SECRET_KEY: rotating one must not log everybody out of the other.
JWT_SIGNING_KEY = env_str("JWT_SIGNING_KEY", _INSECURE_JWT_KEY)
JWT_ACCESS_MINUTES = env_int("JWT_ACCESS_MINUTES", 5, minimum=1)
JWT_REFRESH_DAYS = env_int("JWT_REFRESH_DAYS", 7, minimum=1)
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": JWT_SIGNING_KEY,
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=JWT_ACCESS_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=JWT_REFRESH_DAYS),
    "AUTH_HEADER_TYPES": ("Bearer",),
    "USER_ID_FIELD": "id",
    "USER_ID_CLAIM": "user_id",
    "ISSUER": "lucro",
    "LEEWAY": 0,
    "UPDATE_LAST_LOGIN": False,
}
# --- Field encryption (SPEC §10; lucro.core.crypto) --------------------------------------
# Account numbers are stored only encrypted, under keys of their own (never derived from
# SECRET_KEY): Fernet keys, comma-separated (a FIELD_ENCRYPTION_KEYS_FILE may hold one per
# line); the first encrypts, all decrypt. Production refuses to start without them. The
# embedded default makes one development key and keeps it under VAR_DIR (deleting that file
# makes the numbers stored with it unreadable, loudly).
FIELD_ENCRYPTION_KEYS = [k for k in re.split(r"[\s,]+", env_str("FIELD_ENCRYPTION_KEYS")) if k]
if not FIELD_ENCRYPTION_KEYS and not PRODUCTION:
    FIELD_ENCRYPTION_KEYS = [development_key(VAR_DIR / "field-encryption.key")]
_field_keys_problem = field_keys_problem(FIELD_ENCRYPTION_KEYS)
if _field_keys_problem and not PRODUCTION:
    raise ImproperlyConfigured(_field_keys_problem)

# Rate limits (SPEC §9; lucro.core.ratelimit): fixed one-minute windows, per API key or user,
# and per client IP and per email for logins (refreshes: per client IP, at the credential
# limit). Counted in Redis when there is one (CACHE_URL), else in a database table.
RATE_LIMIT_PER_MINUTE = env_int("RATE_LIMIT_PER_MINUTE", 1200, minimum=1)
RATE_LIMIT_LOGIN_PER_MINUTE = env_int("RATE_LIMIT_LOGIN_PER_MINUTE", 10, minimum=1)
RATE_LIMIT_BACKEND = env_str(
    "RATE_LIMIT_BACKEND",
    "lucro.core.ratelimit.RedisCounters" if CACHE_URL else "lucro.core.ratelimit.DatabaseCounters",
)
# Reverse proxies in front of Lucro that append the client's address to X-Forwarded-For.
# 0: the client is REMOTE_ADDR (X-Forwarded-For, which a caller can write, is ignored).
# Behind one proxy every caller would otherwise share its address, and its login limit.
RATE_LIMIT_TRUSTED_PROXIES = env_int("RATE_LIMIT_TRUSTED_PROXIES", 0, minimum=0)
# The dashboard's session login (SPEC §15): its cookies go over HTTPS only outside
# development, are never readable by scripts (htmx sends the CSRF token from the page), and
# are not sent on cross-site requests other than top-level navigation.
LOGIN_URL = "/app/login/"
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600, minimum=300)
PASSWORD_HASHERS = [
    # Argon2id first: new and changed passwords use it; older PBKDF2 hashes (operators made
    # with createsuperuser before) still verify and are upgraded at their next login.
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("PASSWORD_MIN_LENGTH", 12, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Static, i18n -------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Logging ------------------------------------------------------------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOG_JSON = env_bool("LOG_JSON", PRODUCTION)
LOGGING_CONFIG = None  # lucro.ops.logging configures structlog and the stdlib root logger.

# --- Production safety --------------------------------------------------------------------
if PRODUCTION:
    problems = []
    if DEBUG:
        problems.append("DEBUG must be off")
    if SECRET_KEY == _INSECURE_KEY or len(SECRET_KEY) < 50:
        problems.append("SECRET_KEY must be set to a long random value")
    if not IS_POSTGRES:
        problems.append("DATABASE_URL must point at PostgreSQL (SQLite is for development)")
    if not ALLOWED_HOSTS:
        problems.append("ALLOWED_HOSTS must be set")
    if JWT_SIGNING_KEY == _INSECURE_JWT_KEY or len(JWT_SIGNING_KEY) < 50:
        problems.append("JWT_SIGNING_KEY must be set to a long random value")
    elif JWT_SIGNING_KEY == SECRET_KEY:
        problems.append("JWT_SIGNING_KEY must differ from SECRET_KEY")
    if _field_keys_problem:
        problems.append(_field_keys_problem)
    if problems:
        raise ImproperlyConfigured("Refusing to start in production: " + "; ".join(problems))
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    # /api/health/ and /metrics must answer plain HTTP probes from inside the cluster.
    SECURE_REDIRECT_EXEMPT = [r"^api/health/", r"^api/live/", r"^metrics$"]

from lucro.ops.logging import configure_logging  # noqa: E402

configure_logging(json_output=LOG_JSON, level=LOG_LEVEL)
