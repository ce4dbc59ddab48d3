"""Settings for the test suite: base settings plus fast hashing, a known test KEK, test host URLs."""

from .base import *  # noqa: F403
from .base import ACCOLADE

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ACCOLADE = {
    **ACCOLADE,
    "PUBLIC_URL": "http://testserver",
    "KEK": "dGVzdC1rZWstMzItYnl0ZXMtbG9uZy0wMTIzNDU2Nzg",
    "REMOTE_FETCH_ALLOW_PRIVATE": False,
}
