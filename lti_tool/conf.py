"""The tool's own options: ``settings.ACCOLADE`` merged over these defaults.

Read them as ``tool_settings.PUBLIC_URL``; tests that override ``ACCOLADE`` see the change at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

DEFAULTS: dict[str, Any] = {
    # Public base URL: issuer, credential and status list ids are built on it.
    "PUBLIC_URL": "http://127.0.0.1:8000",
    # Key-encryption key (32 bytes, base64url) for private keys at rest, and older ones ("id:key,…").
    "KEK": "",
    "KEK_OLD": "",
    # Verification may fetch issuer documents from other hosts; private addresses only if allowed.
    "REMOTE_FETCH": True,
    "REMOTE_FETCH_ALLOW_PRIVATE": False,
    "REMOTE_FETCH_TIMEOUT": 5.0,
    "REMOTE_FETCH_MAX_BYTES": 1_000_000,
    # Bitstring status lists: entries per list and how full a list may get before a new one starts.
    "STATUS_LIST_SIZE": 131_072,
    "STATUS_LIST_FILL_LIMIT": 0.5,
    "STATUS_LIST_MAX_AGE": 300,
    # Recipient identifiers written into credentials (OB 3.0 identityType names; opt-in), and those
    # among them written in plain text; every other one is hashed with a per-award salt.
    "CREDENTIAL_IDENTITY_TYPES": ("emailAddress", "sisSourcedId", "ltiUserId", "ltiPlatformId"),
    "PLAINTEXT_IDENTITY_TYPES": ("ltiPlatformId",),
    # Issue a VC-JWT (RS256) alongside the Data Integrity credential.
    "ISSUE_VC_JWT": True,
    # Badge images an admin uploads.
    "IMAGE_MAX_BYTES": 2 * 1024 * 1024,
    # LTI launches: clock leeway and maximum id_token age (seconds); how long a launch token lets the
    # pages opened from it work; how long a retired tool key stays in the JWKS; platform JWKS cache.
    "LTI_LEEWAY": 60,
    "LTI_MAX_TOKEN_AGE": 600,
    "LTI_STATE_TTL": 600,
    "LTI_LAUNCH_TTL": 4 * 3600,
    "TOOL_KEY_OVERLAP": 7 * 24 * 3600,
    "LTI_JWKS_MIN_CACHE": 60,
    "LTI_JWKS_MAX_CACHE": 24 * 3600,
    "LTI_JWKS_DEFAULT_CACHE": 3600,
    "LTI_JWKS_REFETCH_INTERVAL": 60,
    # While a platform's key set URL fails, keep using its expired keys for this long (RFC 5861).
    "LTI_JWKS_STALE_IF_ERROR": 3600,
    # Platform endpoints are entered by admins; campus LMSs often live on private addresses.
    "LTI_PLATFORM_ALLOW_PRIVATE": True,
    # Background work runner: "embedded" (thread / manage.py worker) or "celery"; sweep interval (s).
    "TASKS": "embedded",
    "WORKER_INTERVAL": 30.0,
    # Reading AGS results and NRPS rosters (seconds): planned interval, how stale a course may be
    # before a launch brings its read forward, and how often the roster is read in full rather than
    # through NRPS differences.
    "LMS_SYNC_INTERVAL": 6 * 3600,
    "LMS_SYNC_ON_LAUNCH_AFTER": 600,
    "LMS_SYNC_FULL_ROSTER_EVERY": 24 * 3600,
    # Serve the demonstration LMS under /demo-lms/ (never on in production).
    "DEMO_LMS": False,
    # Secret that opens the Dynamic Registration page (an admin pastes the URL with ?code=…); at least
    # 16 characters, else only a logged-in staff user can register.
    "LTI_REGISTRATION_CODE": "",
    # Dynamic Registration with a plain-HTTP platform on loopback (a developer's LMS): None = allowed
    # unless ACCOLADE_ENV is production; True/False force it. Other platforms always need HTTPS.
    "LTI_REGISTRATION_HTTP_LOOPBACK": None,
    # Dynamic Registration fetching from / posting to private addresses: the URLs come from whoever
    # holds the registration code, so None = allowed unless ACCOLADE_ENV is production.
    "LTI_REGISTRATION_ALLOW_PRIVATE": None,
    # Take a learner's student id from a custom parameter (sis_id, student_id) when the LIS claim has
    # none. Only if the institution sets those up at the tool level: in some LMSs teachers can type
    # custom parameters on an activity.
    "LTI_SIS_ID_FROM_CUSTOM": False,
    # Registrar feed delivery: private addresses (a campus SIS on the internal network) only if
    # allowed; seconds per request; the retry schedule (None: Standard Webhooks, about three days);
    # how long an endpoint may fail before it is switched off (seconds); how long an old webhook
    # secret keeps signing after a rotation (seconds).
    "FEED_ALLOW_PRIVATE": False,
    "FEED_TIMEOUT": 15.0,
    "FEED_RETRY_SCHEDULE": None,
    "FEED_DISABLE_AFTER": 5 * 24 * 3600,
    "FEED_SECRET_OVERLAP": 24 * 3600,
    # How long a runner holds a delivery it is sending (seconds); a runner killed mid-delivery frees
    # it when this runs out. Longer than FEED_TIMEOUT.
    "FEED_LEASE": 120,
}


class ToolSettings:
    """Attribute access to the merged options; cache cleared when settings change."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] | None = None

    def _merged(self) -> dict[str, Any]:
        if self._cache is None:
            user = getattr(settings, "ACCOLADE", {})
            unknown = set(user) - set(DEFAULTS)
            if unknown:
                raise AttributeError(f"unknown ACCOLADE setting(s): {', '.join(sorted(unknown))}")
            self._cache = {**DEFAULTS, **user}
        return self._cache

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._merged()[name]
        except KeyError:
            raise AttributeError(f"no ACCOLADE setting {name!r}") from None

    def reload(self, **kwargs: Any) -> None:
        if kwargs.get("setting") in (None, "ACCOLADE"):
            self._cache = None

    @property
    def public_url(self) -> str:
        return str(self.PUBLIC_URL).rstrip("/")


tool_settings = ToolSettings()
setting_changed.connect(tool_settings.reload)
