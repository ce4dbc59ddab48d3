"""Settings for the test suite: base settings plus fast hashing, a known test KEK, test host URLs."""

from .base import *  # noqa: F403
from .base import ACCOLADE, DATABASES, VAR_DIR

# SQLite tests use a file, like the embedded default, not Django's shared-cache memory database:
# its table locks ignore the busy timeout, so concurrent requests would fail where the real
# deployment waits (the concurrency tests run two requests at once).
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOLADE = {
    **ACCOLADE,
    "PUBLIC_URL": "http://testserver",
    "KEK": "dGVzdC1rZWstMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg",
    "REMOTE_FETCH_ALLOW_PRIVATE": False,
}
