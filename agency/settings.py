"""Settings for Rounds, read from the environment.

With nothing set, the quick start runs on SQLite and an embedded Redis, with
secrets generated once into var/ (never committed). With DJANGO_ENV=production
it refuses to start with anything that would hurt a live, HIPAA-bound site:
each refusal is gathered while the settings are read and all are said at the
end in one message, which manage.py and gunicorn print once (agency/startup.py).
"""

from __future__ import annotations

import json
import secrets
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import dj_database_url
from cryptography.fernet import Fernet
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from agency import env

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env.string("VAR_DIR", str(BASE_DIR / "var")))

DJANGO_ENV = env.choice("DJANGO_ENV", "development", {"development", "production", "test"})
PRODUCTION = DJANGO_ENV == "production"
DEBUG = env.boolean("DEBUG", not PRODUCTION)
# What production refuses; a deployer fixes them all in one go.
_refusals: list[str] = []
if PRODUCTION and DEBUG:
    # Django's technical error pages show request data: patients' names in a HIPAA app.
    _refusals.append("DEBUG must be off in production (unset DEBUG)")


def _development_secrets() -> dict[str, str]:
    """Secrets for a laptop: made once, kept in var/, never in the repository."""
    path = VAR_DIR / "dev-secrets.json"
    if path.exists():
        stored: dict[str, str] = json.loads(path.read_text())
        return stored
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    values = {
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
    }
    path.write_text(json.dumps(values))
    path.chmod(0o600)
    return values


# Empty when unset: production refuses to start then, elsewhere they are generated.
SECRET_KEY = env.string("SECRET_KEY", "")
FIELD_ENCRYPTION_KEY = env.string("FIELD_ENCRYPTION_KEY", "")
if PRODUCTION:
    _missing = [
        name
        for name in (
            "SECRET_KEY",
            "FIELD_ENCRYPTION_KEY",
            "ALLOWED_HOSTS",
            "SITE_URL",
            "DATABASE_URL",
            "REDIS_URL",
        )
        if not env.raw(name)
    ]
    if _missing:
        _refusals.append(f"set {', '.join(_missing)} in the environment")
    if SECRET_KEY and (
        len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH
        or len(set(SECRET_KEY)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS
        or SECRET_KEY.startswith(SECRET_KEY_INSECURE_PREFIX)
    ):
        # Django's own check (security.W009) only warns, and only under --deploy.
        _refusals.append(
            f"SECRET_KEY must have at least {SECRET_KEY_MIN_LENGTH} characters, "
            f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, and not start with "
            f"{SECRET_KEY_INSECURE_PREFIX!r} (make one with: python -c 'import secrets; "
            "print(secrets.token_urlsafe(50))')"
        )
    # A stand-in until the refusal is said, so the checks below still run.
    FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or Fernet.generate_key().decode()
elif not SECRET_KEY or not FIELD_ENCRYPTION_KEY:
    _dev = _development_secrets()
    SECRET_KEY = SECRET_KEY or _dev["SECRET_KEY"]
    FIELD_ENCRYPTION_KEY = FIELD_ENCRYPTION_KEY or _dev["FIELD_ENCRYPTION_KEY"]
# Keys being rotated out: still read, never written (core/fields.py; `manage.py
# reencrypt` writes everything under FIELD_ENCRYPTION_KEY, then remove them).
FIELD_ENCRYPTION_OLD_KEYS = env.csv("FIELD_ENCRYPTION_OLD_KEYS", [])
for _name, _key in [("FIELD_ENCRYPTION_KEY", FIELD_ENCRYPTION_KEY)] + [
    ("FIELD_ENCRYPTION_OLD_KEYS", key) for key in FIELD_ENCRYPTION_OLD_KEYS
]:
    try:
        Fernet(_key.encode())
    except ValueError:
        raise ImproperlyConfigured(
            f"{_name} must hold Fernet keys: 32 url-safe base64-encoded bytes each "
            "(make one with: python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())')"
        ) from None

ALLOWED_HOSTS = env.csv("ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.csv("CSRF_TRUSTED_ORIGINS", [])
# The public address of this site: links in e-mails and the media URLs that
# Instagram and Google fetch.
SITE_URL = env.url("SITE_URL", "http://127.0.0.1:8000")
if PRODUCTION and env.raw("SITE_URL") and not SITE_URL.startswith("https://"):
    # Approval links are keys to a practice's page: never sent for plain HTTP.
    _refusals.append(f"SITE_URL must be the site's https:// address; got {SITE_URL!r}")
if PRODUCTION and "*" in ALLOWED_HOSTS:
    _refusals.append("ALLOWED_HOSTS must name the site's hosts, not '*'")

INSTALLED_APPS = [
    # Django's admin with a site for superusers only (agency/admin_site.py).
    "agency.apps.AdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    # PostgreSQL's own indexes and search (the post list's search: posts.models.posts).
    "django.contrib.postgres",
    # Numbers as people read them (12,400) in the reports.
    "django.contrib.humanize",
    "django_rq",
    # Two-factor sign-in: authenticator apps and recovery codes (core/two_factor.py).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "practices",
    "posts",
    "engagement",
    "analytics",
]

MIDDLEWARE = [
    # /healthz answered first, before the Host header is read (agency/health.py says why).
    "agency.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Sign-in and sessions (agency/middleware.py): after the user and the
    # messages are known; no-store first, so it also sees their redirects.
    "agency.middleware.NoStoreMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "agency.middleware.SessionLimitsMiddleware",
    "agency.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "agency.urls"
WSGI_APPLICATION = "agency.wsgi.application"

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
                "django.template.context_processors.csp",
            ],
        },
    },
]

# Databases: DATABASE_URL, or SQLite in var/ for the quick start.
DATABASES = {
    "default": dj_database_url.parse(
        env.string("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env.integer("DATABASE_CONN_MAX_AGE", 60, minimum=0),
        conn_health_checks=True,
    )
}
# QuerySet.iterator() without a server-side cursor: its only users are forms'
# choices (a practice's accounts, its authorizations), a few rows each, which
# a cursor fetched in three round trips instead of one. (Also what a pooler in
# transaction mode needs.)
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
if PRODUCTION and DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    # Unset, it would be the SQLite file inside the container, gone with it
    # (said above with the other missing variables).
    if env.raw("DATABASE_URL"):
        _refusals.append("DATABASE_URL must point at PostgreSQL (postgres://...)")
elif DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The quick start runs web, worker and cron on one file: wait for locks,
    # and take the write lock at BEGIN so two writers never deadlock.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    DATABASES["default"]["CONN_MAX_AGE"] = 0

REDIS_URL = env.string("REDIS_URL", f"unix://{VAR_DIR / 'redis.sock'}?db=0")
RQ_QUEUES: dict[str, dict[str, Any]] = {
    name: {"URL": REDIS_URL, "DEFAULT_TIMEOUT": 300}
    for name in ("default", "publish", "metrics", "media", "email")
}
RQ_SHOW_ADMIN_LINK = True

AUTH_USER_MODEL = "agency.User"
AUTHENTICATION_BACKENDS = ["core.backends.EmailOrUsernameBackend"]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.string("STATIC_ROOT", str(BASE_DIR / "staticfiles")))

# -- media storage: photos, their renditions, video, signed consent documents --------
# The folder MEDIA_ROOT by default (make run, the tests, one host with a volume);
# S3-compatible object storage with MEDIA_STORAGE=s3, when web and workers run on
# several machines (docs/deploy.md, "Media storage"). Either way every file goes
# through Django's storage API, never a local path; objects are private
# (core.storage), and consent documents are encrypted before they leave
# (practices.storage). A half-made S3 configuration is refused, in any
# environment: media would silently land on this machine's disk, or nowhere.
MEDIA_ROOT = Path(env.string("MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
# Compose passes an unset optional variable as empty: empty counts as unset here.
MEDIA_STORAGE = (
    env.choice("MEDIA_STORAGE", "filesystem", {"filesystem", "s3"})
    if env.raw("MEDIA_STORAGE")
    else "filesystem"
)
_MEDIA_S3_VARIABLES = [
    "MEDIA_S3_BUCKET",
    "MEDIA_S3_ENDPOINT_URL",
    "MEDIA_S3_REGION",
    "MEDIA_S3_ACCESS_KEY_ID",
    "MEDIA_S3_SECRET_ACCESS_KEY",
    "MEDIA_S3_ADDRESSING_STYLE",
]
_media_options: dict[str, Any] = {}
_storage_problems: list[str] = []
if MEDIA_STORAGE == "s3":
    _unset_s3 = [
        name
        for name in ("MEDIA_S3_BUCKET", "MEDIA_S3_ACCESS_KEY_ID", "MEDIA_S3_SECRET_ACCESS_KEY")
        if not env.raw(name)
    ]
    if _unset_s3:
        _storage_problems.append(f"MEDIA_STORAGE=s3 needs {', '.join(_unset_s3)}")
    # Unset: AWS itself, found by its region; set: any other provider's S3 address.
    _s3_endpoint = env.url("MEDIA_S3_ENDPOINT_URL") if env.raw("MEDIA_S3_ENDPOINT_URL") else None
    _s3_region = env.string("MEDIA_S3_REGION", "")
    if not _s3_endpoint and not _s3_region:
        _storage_problems.append(
            "MEDIA_STORAGE=s3 needs MEDIA_S3_ENDPOINT_URL (the provider's S3 address) "
            "or, on AWS, MEDIA_S3_REGION"
        )
    if PRODUCTION and _s3_endpoint and _s3_endpoint.startswith("http://"):
        # Patients' photos would cross the network in the clear. A bucket
        # server beside the app (a compose service, a private address) is allowed.
        _s3_host = urlsplit(_s3_endpoint).hostname or ""
        try:
            _s3_near = ip_address(_s3_host).is_private
        except ValueError:
            _s3_near = "." not in _s3_host
        if not _s3_near:
            _storage_problems.append(
                "MEDIA_S3_ENDPOINT_URL must be https:// (plain http only to a private "
                f"address or a compose service); got {_s3_endpoint!r}"
            )
    _media_options = {
        "bucket_name": env.string("MEDIA_S3_BUCKET", ""),
        "endpoint_url": _s3_endpoint,
        "region_name": _s3_region or None,
        "access_key": env.string("MEDIA_S3_ACCESS_KEY_ID", ""),
        "secret_key": env.string("MEDIA_S3_SECRET_ACCESS_KEY", ""),
        # Other providers' servers (MinIO, Ceph, Garage) name the bucket in the
        # path; AWS prefers it in the host name.
        "addressing_style": env.choice("MEDIA_S3_ADDRESSING_STYLE", "", {"path", "virtual", "auto"})
        if env.raw("MEDIA_S3_ADDRESSING_STYLE")
        else ("path" if _s3_endpoint else "virtual"),
    }
elif _set_s3 := [name for name in _MEDIA_S3_VARIABLES if env.raw(name)]:
    _storage_problems.append(
        f"{', '.join(_set_s3)} set, but MEDIA_STORAGE is not s3: media would be written "
        "to MEDIA_ROOT on this machine; set MEDIA_STORAGE=s3 as well (or unset them)"
    )
if _storage_problems and not PRODUCTION:
    raise ImproperlyConfigured("Media storage: " + "; ".join(_storage_problems))
_refusals.extend(_storage_problems)
_MEDIA_BACKENDS = {
    "filesystem": (
        "django.core.files.storage.FileSystemStorage",
        "practices.storage.EncryptedFileSystemStorage",
    ),
    "s3": ("core.storage.PrivateS3Storage", "practices.storage.EncryptedS3Storage"),
}
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": _MEDIA_BACKENDS[MEDIA_STORAGE][0], "OPTIONS": _media_options},
    # Signed consent documents, Fernet-encrypted on their way into the same place
    # (practices.storage.consent_document_storage asks for this alias).
    "consent_documents": {
        "BACKEND": _MEDIA_BACKENDS[MEDIA_STORAGE][1],
        "OPTIONS": _media_options,
    },
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Uploads: Django must not buffer a whole phone photo set in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Larger uploads wait for cleaning (metadata and all) in a private folder of
# ours, never the shared system temp folder: made 0700 at start-up, emptied by
# Django as each request ends (core.files.prepare_upload_dir).
FILE_UPLOAD_TEMP_DIR = str(VAR_DIR / "uploads")
MAX_PHOTO_BYTES = env.integer("MAX_PHOTO_BYTES", 25 * 1024 * 1024, minimum=1)
MAX_TIP_BYTES = env.integer("MAX_TIP_BYTES", 120 * 1024 * 1024, minimum=1)
MAX_PHOTO_PIXELS = env.integer("MAX_PHOTO_PIXELS", 64_000_000, minimum=1)
# A phone video: checked from its header before anything is decoded (posts.media.videos).
MAX_VIDEO_BYTES = env.integer("MAX_VIDEO_BYTES", 500 * 1000 * 1000, minimum=1)
MAX_VIDEO_SECONDS = env.integer("MAX_VIDEO_SECONDS", 180, minimum=1)

# E-mail: the demo mailbox on a laptop (core/mailbox.py: the agency lead reads
# it at /mailbox/), SMTP from the environment in production.
MAILERS: dict[str, dict[str, Any]] = {
    "default": {
        "BACKEND": env.string(
            "EMAIL_BACKEND",
            "django.core.mail.backends.smtp.EmailBackend"
            if PRODUCTION
            else "core.mailbox.MailboxBackend",
        ),
        "OPTIONS": {},
    }
}
if MAILERS["default"]["BACKEND"].endswith("smtp.EmailBackend"):
    # Approval links, reminders and failure alerts go by e-mail: in production
    # an SMTP server must be named, or e-mail would silently go nowhere.
    if PRODUCTION and not env.raw("EMAIL_HOST"):
        _refusals.append(
            "production sends e-mail over SMTP: set EMAIL_HOST (and EMAIL_PORT, "
            "EMAIL_HOST_USER, EMAIL_HOST_PASSWORD as your provider needs)"
        )
    MAILERS["default"]["OPTIONS"] = {
        "host": env.string("EMAIL_HOST", "localhost"),
        "port": env.integer("EMAIL_PORT", 25, minimum=1),
        "username": env.string("EMAIL_HOST_USER", ""),
        "password": env.string("EMAIL_HOST_PASSWORD", ""),
        "use_tls": env.boolean("EMAIL_USE_TLS", False),
        "timeout": 20,
    }
# Backends that keep, print or drop e-mail instead of sending it. An approval
# link opens a practice's approval page: it must not land in a log or a file.
_NOT_SENDING = {
    "core.mailbox.MailboxBackend": "the demo mailbox keeps e-mail",
    "django.core.mail.backends.console.EmailBackend": "the console backend prints e-mail",
    "django.core.mail.backends.filebased.EmailBackend": "the file backend writes e-mail to disk",
    "django.core.mail.backends.locmem.EmailBackend": "the memory backend keeps e-mail",
    "django.core.mail.backends.dummy.EmailBackend": "the dummy backend drops e-mail",
}
if PRODUCTION and MAILERS["default"]["BACKEND"] in _NOT_SENDING:
    _refusals.append(
        f"EMAIL_BACKEND: {_NOT_SENDING[MAILERS['default']['BACKEND']]} instead of sending "
        "it, approval links and all; production sends over SMTP (unset EMAIL_BACKEND)"
    )
DEFAULT_FROM_EMAIL = env.string("DEFAULT_FROM_EMAIL", "Rounds <rounds@localhost>")
# The agency's name, in every e-mail and on printed pages.
AGENCY_NAME = env.string("AGENCY_NAME", "Rounds Agency")
# Notifications chosen as a daily digest leave at this hour, in each person's time zone.
DIGEST_HOUR = env.integer("DIGEST_HOUR", 7, minimum=0)
# The doctor's e-mailed approval link: valid this many days, unless revoked.
APPROVAL_LINK_DAYS = env.integer("APPROVAL_LINK_DAYS", 7, minimum=1)
# An invitation to join a practice works once, for this many days (practices.invitations).
INVITATION_DAYS = env.integer("INVITATION_DAYS", 7, minimum=1)
# Reminders to the doctors before an unapproved post is due, in hours ahead.
APPROVAL_REMINDER_HOURS = [
    int(hours)
    for hours in env.string("APPROVAL_REMINDER_HOURS", "24,2").split(",")
    if hours.strip()
]

# Security headers. The CSP allows only our own origin: htmx and the chart
# library are vendored under static/.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "style-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = PRODUCTION
CSRF_COOKIE_SECURE = PRODUCTION
SECURE_SSL_REDIRECT = env.boolean("SECURE_SSL_REDIRECT", PRODUCTION)
SECURE_HSTS_SECONDS = env.integer("SECURE_HSTS_SECONDS", 31536000 if PRODUCTION else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = PRODUCTION
SECURE_HSTS_PRELOAD = PRODUCTION
# TLS ends at a proxy. Only the proxies listed here are believed about the
# client's address (X-Forwarded-For, core.http.client_ip) and, through
# gunicorn's forwarded_allow_ips (agency/gunicorn.py reads the same variable),
# about the scheme: gunicorn sets wsgi.url_scheme from X-Forwarded-Proto for
# these peers only, so Django has no SECURE_PROXY_SSL_HEADER, which would
# believe the header from anyone who reaches gunicorn.
TRUSTED_PROXIES = env.networks("TRUSTED_PROXIES", [])
if SECURE_SSL_REDIRECT and PRODUCTION and not TRUSTED_PROXIES:
    # With no proxy believed, no request looks like HTTPS and every one would
    # be redirected to HTTPS again, for ever.
    _refusals.append(
        "production redirects to HTTPS behind a TLS proxy: set TRUSTED_PROXIES "
        "to the proxy's address (or SECURE_SSL_REDIRECT=false if TLS ends here)"
    )
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Platforms. Each API host is a setting so that the same clients reach the
# real platforms in production and the sandbox on a laptop and in tests.
# SANDBOX_URL, when set, points every host at the sandbox platform server,
# which routes on the first path segment (the role names below).
SANDBOX_URL = env.url("SANDBOX_URL")
_REAL_HOSTS = {
    "graph": "https://graph.facebook.com",
    # Facebook takes video uploads on its own host.
    "graph_video": "https://graph-video.facebook.com",
    "facebook_www": "https://www.facebook.com",
    "instagram_graph": "https://graph.instagram.com",
    "instagram_api": "https://api.instagram.com",
    "instagram_www": "https://www.instagram.com",
    "linkedin_api": "https://api.linkedin.com",
    "linkedin_www": "https://www.linkedin.com",
    "x_api": "https://api.x.com",
    "x_www": "https://x.com",
    "google_business": "https://mybusiness.googleapis.com",
    "google_accounts": "https://mybusinessaccountmanagement.googleapis.com",
    "google_info": "https://mybusinessbusinessinformation.googleapis.com",
    "google_oauth": "https://oauth2.googleapis.com",
    "google_www": "https://accounts.google.com",
}
PLATFORM_HOSTS = {
    role: (f"{SANDBOX_URL}/{role}" if SANDBOX_URL else env.url(f"HOST_{role.upper()}", real))
    for role, real in _REAL_HOSTS.items()
}
GRAPH_API_VERSION = env.string("GRAPH_API_VERSION", "v25.0")
LINKEDIN_API_VERSION = env.string("LINKEDIN_API_VERSION", "202601")
PLATFORM_CONNECT_TIMEOUT = env.decimal("PLATFORM_CONNECT_TIMEOUT", 3.05)
PLATFORM_READ_TIMEOUT = env.decimal("PLATFORM_READ_TIMEOUT", 20.0)
# OAuth app credentials per platform. The defaults are placeholders the
# sandbox accepts; production refuses them (and a missing one), since every
# connection and token refresh would fail later, far from the cause.
PLACEHOLDER_CLIENT_SECRET = "sandbox-secret"  # noqa: S105 (a placeholder, refused in production)
# Meta's webhooks (engagement.webhooks): the token we give Meta when subscribing.
# Unset: the subscription check is refused, and the inbox is fetched on schedule.
META_WEBHOOK_VERIFY_TOKEN = env.string("META_WEBHOOK_VERIFY_TOKEN", "")
PLATFORM_APPS = {
    platform: {
        "client_id": env.string(f"{platform.upper()}_CLIENT_ID", f"rounds-{platform}"),
        "client_secret": env.string(f"{platform.upper()}_CLIENT_SECRET", PLACEHOLDER_CLIENT_SECRET),
    }
    for platform in ("facebook", "instagram", "linkedin", "x", "google_business")
}
if PRODUCTION:
    _unset = [
        f"{platform.upper()}_{part}"
        for platform in PLATFORM_APPS
        for part in ("CLIENT_ID", "CLIENT_SECRET")
        if not env.raw(f"{platform.upper()}_{part}")
        or env.raw(f"{platform.upper()}_{part}") == PLACEHOLDER_CLIENT_SECRET
    ]
    if _unset:
        _refusals.append(
            "production needs each platform's OAuth app: set "
            + ", ".join(_unset)
            + " (the placeholders work with the sandbox only)"
        )
if PRODUCTION and SANDBOX_URL:
    _refusals.append("SANDBOX_URL must not be set in production")

# Publishing. A platform that is only busy (errors, no clear answer) is tried
# again with backoff for this long from a publication's first attempt, then a
# person is told; a throttled answer waits as the platform asks and never
# counts as a failed try.
PUBLISH_GIVE_UP_AFTER_SECONDS = env.integer("PUBLISH_GIVE_UP_AFTER_SECONDS", 6 * 3600, minimum=60)
PUBLISH_LEASE_SECONDS = env.integer("PUBLISH_LEASE_SECONDS", 120, minimum=10)
DISPATCH_INTERVAL_SECONDS = env.integer("DISPATCH_INTERVAL_SECONDS", 3, minimum=1)
DISPATCH_BATCH = env.integer("DISPATCH_BATCH", 500, minimum=1)
# Publications per publish job, attempted one after the other: RQ's own
# bookkeeping per job costs about as much CPU as a publication's database work
# (docs/publishing.md).
PUBLISH_JOB_SIZE = env.integer("PUBLISH_JOB_SIZE", 3, minimum=1)
# Pause between metric fetches in one job, so a practice's accounts are never hit in a burst.
METRICS_SPACING_SECONDS = env.decimal("METRICS_SPACING_SECONDS", 0.2, minimum=0)
# Retries: exponential backoff with full jitter from the base, never above the cap.
PUBLISH_RETRY_BASE_SECONDS = env.decimal("PUBLISH_RETRY_BASE_SECONDS", 30, minimum=0.1)
PUBLISH_RETRY_CAP_SECONDS = env.decimal("PUBLISH_RETRY_CAP_SECONDS", 30 * 60, minimum=1)
# Extra ClientConfig fields (Instagram container polling), for tests and tuning.
PLATFORM_CLIENT_OPTIONS: dict[str, Any] = {}
MEDIA_URL_MAX_AGE = env.integer("MEDIA_URL_MAX_AGE", 60 * 60 * 24, minimum=60)

# The practice's secret tip link: submissions per e-mail address, per client
# address and per link in one window, against abuse of a leaked link.
TIP_LINK_LIMIT_PER_EMAIL = env.integer("TIP_LINK_LIMIT_PER_EMAIL", 10, minimum=1)
# A practice's staff may share one office address (NAT): well above what a
# practice sends in an hour, and a third of the link's, so that one address
# cannot use up the link for everyone else.
TIP_LINK_LIMIT_PER_ADDRESS = env.integer("TIP_LINK_LIMIT_PER_ADDRESS", 20, minimum=1)
TIP_LINK_LIMIT_PER_LINK = env.integer("TIP_LINK_LIMIT_PER_LINK", 60, minimum=1)
TIP_LINK_WINDOW = env.integer("TIP_LINK_WINDOW", 60 * 60, minimum=60)

# -- sign-in and sessions (HIPAA 164.312(a), (d)) ----------------------------------
# Failed logins per account (however typed) and per client address, in one
# window; while over either, even the right password is refused.
LOGIN_LIMIT_PER_ACCOUNT = env.integer("LOGIN_LIMIT_PER_ACCOUNT", 5, minimum=1)
LOGIN_LIMIT_PER_ADDRESS = env.integer("LOGIN_LIMIT_PER_ADDRESS", 20, minimum=1)
LOGIN_LIMIT_WINDOW = env.integer("LOGIN_LIMIT_WINDOW", 15 * 60, minimum=60)
# Password-reset requests per e-mail address entered and per client address.
PASSWORD_RESET_LIMIT_PER_EMAIL = env.integer("PASSWORD_RESET_LIMIT_PER_EMAIL", 5, minimum=1)
PASSWORD_RESET_LIMIT_PER_ADDRESS = env.integer("PASSWORD_RESET_LIMIT_PER_ADDRESS", 20, minimum=1)
PASSWORD_RESET_LIMIT_WINDOW = env.integer("PASSWORD_RESET_LIMIT_WINDOW", 60 * 60, minimum=60)
# Where attempts are counted (core/ratelimit.py); unset: the queues' Redis.
RATELIMIT_REDIS_URL = env.url("RATELIMIT_REDIS_URL")
# Automatic logoff, in seconds: idle for the agency and doctors; staff, who
# write tips on their phones between patients and see only their own tips,
# get longer (agency/middleware.py says why); and an absolute lifetime.
SESSION_IDLE_TIMEOUT = env.integer("SESSION_IDLE_TIMEOUT", 30 * 60, minimum=60)
SESSION_IDLE_TIMEOUT_STAFF = env.integer("SESSION_IDLE_TIMEOUT_STAFF", 8 * 60 * 60, minimum=60)
SESSION_MAX_AGE = env.integer("SESSION_MAX_AGE", 12 * 60 * 60, minimum=60)
# The cookie and the stored session never outlive the absolute lifetime.
SESSION_COOKIE_AGE = SESSION_MAX_AGE
# Two-factor sign-in: the name authenticator apps show, and the admin never
# shows an app's secret or QR code once made.
OTP_TOTP_ISSUER = env.string("OTP_TOTP_ISSUER", "Rounds")
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Secret path parts (tip links, signed photo URLs, reset links) and query
# strings never reach a log line (core/logging.py; gunicorn's access log uses
# the same rule): the filter is on every handler, and on the loggers Django
# writes request paths to, so Django's own default handlers get clean records too.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact_secrets": {"()": "core.logging.RedactSecrets"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "django.server": {
            "()": "django.utils.log.ServerFormatter",
            "format": "[{server_time}] {message}",
            "style": "{",
        },
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        # runserver's request lines (make run), as Django's default handler but filtered.
        "django.server": {
            "class": "logging.StreamHandler",
            "formatter": "django.server",
            "filters": ["redact_secrets"],
        },
    },
    "root": {
        "handlers": ["console"],
        "level": env.choice("LOG_LEVEL", "INFO", {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.request": {"filters": ["redact_secrets"]},
        "django.security.csrf": {"filters": ["redact_secrets"]},
        "django.server": {"handlers": ["django.server"], "level": "INFO", "propagate": False},
    },
}

if _refusals:
    raise ImproperlyConfigured(
        "DJANGO_ENV=production refuses to start:\n" + "\n".join(f"- {r}" for r in _refusals)
    )
