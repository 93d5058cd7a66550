"""Settings, read from environment variables only (documented in .env.example).

Nothing here is domain-specific. The site refuses to start without
SECRET_KEY unless DEBUG is on, and DEBUG is off unless asked for.
"""

import os
from importlib.util import find_spec
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    """The variable's value; an empty value counts as unset (as in a copied .env.example)."""
    return os.environ.get(name) or default


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} is not a boolean (use true or false)")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    try:
        return int(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a whole number") from None


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    try:
        return float(value) if value else default
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} is not a number") from None


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is not set (make run creates one in var/secret_key)")
    SECRET_KEY = "insecure-debug-only-key"  # noqa: S105 - only with DEBUG on

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.gis",
    "django.contrib.postgres",
    "django.contrib.humanize",
    "geoportal",
    "layers",
    "rollout",
    "schools",
    "ogc",
    "residents",
    "coordination",
    # The task queue's tables, admin and `manage.py procrastinate worker` (geoportal/queue.py).
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    # Cached OGC answers for certainly-anonymous requests, before everything else; on the way out it
    # keeps cacheable responses with all headers the middleware below set (ogc/response_cache.py).
    "ogc.middleware.OgcEarlyCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Who is planner or provider member, read once per request (rollout/roles.py).
    "rollout.roles.RolesPerRequestMiddleware",
    # CORS, ETag/Last-Modified and conditional GETs for /ogc (needs request.user).
    "ogc.middleware.OgcHttpMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "geoportal.urls"
WSGI_APPLICATION = "geoportal.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "geoportal.context_processors.site",
                "rollout.context_processors.navigation",
            ],
        },
    },
]

# The database: DATABASE_URL (postgis://user:pass@host:port/name). `make run`
# and `make test` point it at the project-local cluster when it is unset.
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. Use `make run` (it starts a local PostGIS) "
        "or set DATABASE_URL=postgis://user:password@host:5432/dbname"
    )
if urlsplit(DATABASE_URL).scheme not in {"postgis", "postgres", "postgresql", "pgsql"}:
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL with PostGIS (postgis:// or postgres://)")
# Connections. A new connection's first PostGIS statement costs ~35 ms on top of connecting (PostGIS
# loaded, PROJ setting up the 25832 -> 3857/4326 transformations). Serving (scripts/run.sh serve,
# bench) sets DATABASE_POOL_SIZE: each worker process then keeps a psycopg pool of that many
# connections, opened when it boots (geoportal/wsgi.py) and warmed by the pool's own threads
# (geoportal/postgis/base.py), so no request connects, warms up or waits for a health check round
# trip; after a database restart the data version watcher has the pool check its idle connections
# (geoportal/data_version.py). Uncached anonymous tiles, made before Django, use as many connections
# of their own (geoportal/connection_stack.py): a worker holds up to 2 x DATABASE_POOL_SIZE, plus its
# watcher's. Without a pool (tests, manage.py) a thread keeps its connection for
# DATABASE_CONN_MAX_AGE seconds and checks it before reuse.
DATABASE_POOL_SIZE = env_int("DATABASE_POOL_SIZE", 0)
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL,
        engine="geoportal.postgis",
        conn_max_age=0 if DATABASE_POOL_SIZE else env_int("DATABASE_CONN_MAX_AGE", 600),
        conn_health_checks=not DATABASE_POOL_SIZE,
    )
}
# Settings of every connection of the site, appended to any `options` of DATABASE_URL:
# - jit=off: PostgreSQL's JIT compiles any plan estimated above jit_above_cost; for this site's short
#   queries with correlated subqueries (district statistics) compiling took 2-4 s against 0.5 s of
#   execution.
# - max_parallel_workers_per_gather=0: serial plans. A vector tile's ST_AsMVTGeom is costed high, so the
#   planner spreads it over parallel workers and, as GiST scans cannot run in parallel, picks a parallel
#   sequential scan: ~27 ms for a z14 address tile against 1.2 ms with the index (35,000 addresses).
#   Nothing else here gains from parallel workers: writes (the recompute, imports) never get parallel
#   plans, reads are indexed, and on a server answering many requests at once the workers would only
#   take cores from the other requests. Set per connection, a tile is one statement, with bound
#   parameters and a binary result (ogc/tiles/fast.py), where SET LOCAL needed a second one.
DATABASES["default"].setdefault("OPTIONS", {})
DATABASES["default"]["OPTIONS"]["options"] = " ".join(
    filter(None, [DATABASES["default"]["OPTIONS"].get("options"), "-c jit=off -c max_parallel_workers_per_gather=0"])
)
if DATABASE_POOL_SIZE:
    # A request holds a connection from its first query to its end; more threads than connections
    # wait up to `timeout` seconds for one. Connections are replaced after `max_lifetime` seconds.
    # Named, so operators tell the site's pooled connections apart in pg_stat_activity.
    DATABASES["default"]["OPTIONS"].setdefault("application_name", "geoportal")
    DATABASES["default"]["OPTIONS"]["pool"] = {
        "min_size": DATABASE_POOL_SIZE,
        "max_size": DATABASE_POOL_SIZE,
        "timeout": env_int("DATABASE_POOL_TIMEOUT", 30),
        "max_lifetime": 3600,
        "name": "geoportal",
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

if os.environ.get("GDAL_LIBRARY_PATH"):
    GDAL_LIBRARY_PATH = os.environ["GDAL_LIBRARY_PATH"]
if os.environ.get("GEOS_LIBRARY_PATH"):
    GEOS_LIBRARY_PATH = os.environ["GEOS_LIBRARY_PATH"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Accounts (made by administrators): the login page and where it leads.
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "rollout:home"
LOGOUT_REDIRECT_URL = "home"

# German first, English second.
LANGUAGE_CODE = "de"
LANGUAGES = [("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Berlin"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT") or BASE_DIR / "var" / "static")
# pygeoapi's own CSS and images for its HTML pages; /ogc/static/<path> serves them (ogc.views.pygeoapi_static).
PYGEOAPI_STATIC = Path(find_spec("pygeoapi").origin).parent / "static"
STATICFILES_DIRS = [BASE_DIR / "static", ("pygeoapi", PYGEOAPI_STATIC)]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = Path(env("MEDIA_ROOT") or BASE_DIR / "var" / "media")
MEDIA_URL = "/media/"
# Built open-data downloads (/daten/...), rebuilt when the data change; not served by the web server directly.
DOWNLOAD_CACHE_DIR = Path(env("DOWNLOAD_CACHE_DIR") or BASE_DIR / "var" / "downloads")

# Security headers. HTTPS-only settings switch on behind a TLS proxy.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
HTTPS = env_bool("HTTPS")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)

# Basemap: an XYZ tile URL template, e.g. a city's own tile server. Empty
# (the default) means no basemap: pages then make no request to any host
# but this site. Whatever is set here is the only other host pages load from.
BASEMAP_URL = os.environ.get("BASEMAP_URL", "")
BASEMAP_ATTRIBUTION = os.environ.get("BASEMAP_ATTRIBUTION", "")
BASEMAP_MAX_ZOOM = env_int("BASEMAP_MAX_ZOOM", 19)
_basemap_origin = ""
if BASEMAP_URL:
    _parts = urlsplit(BASEMAP_URL.replace("{s}", "a"))
    if _parts.scheme not in {"http", "https"} or not _parts.netloc:
        raise ImproperlyConfigured(f"BASEMAP_URL={BASEMAP_URL!r} is not an http(s) URL template")
    _basemap_origin = f"{_parts.scheme}://" + urlsplit(BASEMAP_URL).netloc.replace("{s}", "*")

# Content-Security-Policy (Django's own): scripts only from this site or with
# the per-request nonce; images additionally from the configured basemap.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:"] + ([_basemap_origin] if _basemap_origin else []),
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "worker-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}

# Upload limits (provider plans); requests above are refused early.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
PLAN_UPLOAD_MAX_BYTES = env_int("PLAN_UPLOAD_MAX_BYTES", 200 * 1024 * 1024)
# Days a rejected or superseded plan file keeps its validated features in the database (its changes can be
# shown on a map meanwhile); `manage.py prune_staging` drops them after that. File, report and diff stay.
PLAN_STAGING_KEEP_DAYS = env_int("PLAN_STAGING_KEEP_DAYS", 90)
# Days a provider (or, for reports without one, the city) has to answer a resident's report before the planners
# are told it is overdue (residents/reports/services.py).
REPORT_RESPONSE_DAYS = env_int("REPORT_RESPONSE_DAYS", 30)

# Dig once (coordination/matching.py): roadworks within this many metres and months of planned fibre
# construction are chances to lay it together; the planners' page may ask for other values.
COORDINATION_CHANCE_DISTANCE_M = env_int("COORDINATION_CHANCE_DISTANCE_M", 50)
COORDINATION_CHANCE_MONTHS = env_int("COORDINATION_CHANCE_MONTHS", 6)

# The city this instance serves.
CITY_NAME = env("CITY_NAME", "Mülheim an der Ruhr")
CITY_AGS = env("CITY_AGS", "05117000")
# Other names residents type for the city in an address search (besides CITY_NAME and its first word).
CITY_ALIASES = env_list("CITY_ALIASES", "MH")
# Storage CRS: ETRS89 / UTM 32N, the official CRS in NRW (metres, exact areas).
STORAGE_SRID = 25832
# Public base URL of the OGC API (e.g. https://geo.example.org/ogc) behind a proxy; empty: from the request.
OGC_BASE_URL = env("OGC_BASE_URL").rstrip("/")
# Contact address on the OGC API's pages and in its OpenAPI document; empty: no e-mail link at all.
OGC_CONTACT_EMAIL = env("OGC_CONTACT_EMAIL")
# Per-process cache of anonymous OGC feature responses (ogc/response_cache.py), in bytes of bodies.
OGC_RESPONSE_CACHE_BYTES = env_int("OGC_RESPONSE_CACHE_BYTES", 64 * 1024 * 1024)

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache"
        if not os.environ.get("CACHE_URL")
        else "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL", "geoportal"),
    },
    # Vector tiles (keyed by the data versions of their tables): shared by all
    # server workers. Redis when CACHE_URL is set; otherwise files under
    # var/cache (no extra service; a tile read is one small file read, faster
    # than a query of the database cache table, which also counts all its rows on every set).
    "shared": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": env("CACHE_URL"),
        "TIMEOUT": env_int("TILE_CACHE_SECONDS", 86400),
        "KEY_PREFIX": "shared",
    }
    if os.environ.get("CACHE_URL")
    else {
        "BACKEND": "geoportal.cache.SharedFileCache",
        "LOCATION": str(Path(env("SHARED_CACHE_DIR") or BASE_DIR / "var" / "cache")),
        "TIMEOUT": env_int("TILE_CACHE_SECONDS", 86400),
        "OPTIONS": {"MAX_ENTRIES": env_int("SHARED_CACHE_MAX_ENTRIES", 100_000), "CULL_FREQUENCY": 4},
    },
}
# Browsers and proxies may keep a public (anonymous) tile this many seconds; then they revalidate (ETag).
TILE_MAX_AGE = env_int("TILE_MAX_AGE", 300)
# Anonymous tiles made in less than this many milliseconds stay in each worker's response cache
# only; slower ones are also written to the shared cache (ogc/tiles/fast.py).
TILE_SHARE_MIN_MS = env_int("TILE_SHARE_MIN_MS", 5)

# Mail (geoportal/mail.py: always through the task queue). With EMAIL_HOST, SMTP; without (make run on a laptop),
# each message is written as a file under EMAIL_FILE_PATH (default var/mail) instead of being sent.
EMAIL_HOST = env("EMAIL_HOST")
if EMAIL_HOST:
    _port = env_int("EMAIL_PORT", 587)
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": EMAIL_HOST,
                "port": _port,
                "username": env("EMAIL_HOST_USER"),
                "password": env("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", _port == 587),
                "use_ssl": env_bool("EMAIL_USE_SSL", _port == 465),
                "timeout": env_int("EMAIL_TIMEOUT", 30),
            },
        }
    }
else:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "OPTIONS": {"file_path": str(Path(env("EMAIL_FILE_PATH") or BASE_DIR / "var" / "mail"))},
        }
    }
del EMAIL_HOST
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Glasfaserportal <glasfaserportal@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The site's public address (scheme, host, port; no trailing slash) for links in mails and feeds, which are
# made outside any request (by the task queue's worker).
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")
if urlsplit(SITE_URL).scheme not in {"http", "https"} or not urlsplit(SITE_URL).netloc:
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} is not an http(s) address such as https://glasfaser.example.de")

# The task queue (geoportal/queue.py): jobs are found in each app's tasks.py.
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = "tasks"

# Rate limits (geoportal/ratelimits.py): per client IP in the shared cache. Behind a proxy, the request header
# that carries the client's address (e.g. HTTP_X_FORWARDED_FOR); django-ratelimit then takes its first entry.
RATELIMIT_USE_CACHE = "shared"
RATELIMIT_IP_META_KEY = env("RATELIMIT_IP_META_KEY") or None
RATELIMIT_SUGGEST = env("RATELIMIT_SUGGEST", "120/m")
RATELIMIT_FORMS = env("RATELIMIT_FORMS", "10/h")
RATELIMIT_MEASUREMENTS = env("RATELIMIT_MEASUREMENTS", "120/m")

# School connectivity (schools/README.md): the bandwidth benchmark per pupil, what counts as measured, and the
# limits of one delivery to the measurement API.
SCHOOL_BENCHMARK_MBITS_PER_PUPIL = env_float("SCHOOL_BENCHMARK_MBITS_PER_PUPIL", 1.0)
SCHOOL_BENCHMARK_DEFAULT_MBITS = env_float("SCHOOL_BENCHMARK_DEFAULT_MBITS", 1000.0)
SCHOOL_BENCHMARK_MODERATE_SHARE = env_float("SCHOOL_BENCHMARK_MODERATE_SHARE", 0.25)
SCHOOL_MEASUREMENT_WINDOW_DAYS = env_int("SCHOOL_MEASUREMENT_WINDOW_DAYS", 30)
SCHOOL_MEASUREMENTS_MAX_ROWS = env_int("SCHOOL_MEASUREMENTS_MAX_ROWS", 100_000)
SCHOOL_MEASUREMENTS_MAX_BYTES = env_int("SCHOOL_MEASUREMENTS_MAX_BYTES", 16 * 1024 * 1024)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # pygeoapi logs every client error (bad limit, ...) at ERROR with a traceback;
        # server errors still surface through django.request.
        "pygeoapi": {"level": "CRITICAL"},
        # One line per management command otherwise ("Adding tasks from blueprint").
        "procrastinate.blueprints": {"level": "WARNING"},
        "procrastinate.periodic": {"level": "WARNING"},
    },
}

# gis.W001 asks for GDAL >= 3.9 to block file and network access from
# spatial references. Debian 12 ships 3.6. Uploaded files are read with
# pyogrio, whose wheel bundles its own newer GDAL; the system GDAL only sees
# geometries and SRIDs this code produces itself.
SILENCED_SYSTEM_CHECKS = ["gis.W001"]
