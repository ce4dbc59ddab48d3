"""Settings for the test suite: base settings plus fast hashing, a known test KEK, test host URLs."""

import os

from .base import *  # noqa: F403
from .base import ACCOLADE, DATABASES, VAR_DIR

# SQLite tests use a file, like the embedded default, not Django's shared-cache memory database:
# its table locks ignore the busy timeout, so concurrent requests would fail where the real
# deployment waits (the concurrency tests run two requests at once).
# Each test process gets its own test database, so two test runs at once do not clobber each other.
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-{os.getpid()}.sqlite3")}
else:
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOLADE = {
    **ACCOLADE,
    "PUBLIC_URL": "http://testserver",
    "KEK": "dGVzdC1rZWstMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg",
    "REMOTE_FETCH_ALLOW_PRIVATE": False,
}
