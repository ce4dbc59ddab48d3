"""The LMS side of the launch benchmark: one platform key, its key set URL, Moodle-shaped id_tokens.

The id_token body starts from a real Moodle 5.1 student launch (``lti_moodle_id_token.json``, copied
from the recorded fixture ``lti/id_token.student_resource_link.json``: AGS, NRPS, LIS, basic outcome,
launch presentation, tool platform claims, about 2.5 KB signed). Per launch only what the exchange fixes
changes: ``nonce`` (from the login redirect), ``aud`` (the tool's client id), ``target_link_uri``,
``iat``/``exp``, the learner (``sub``, names, e-mail) and the ``accolade_badge`` custom parameter that
binds the resource link to the benchmark badge. Both tools get the same claims, key and key set URL.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = Path(__file__).with_name("lti_moodle_id_token.json")
ISSUER = "http://127.0.0.1:8500"  # the recorded Moodle's issuer; only looked up, never contacted
AUTH_LOGIN_URL = ISSUER + "/mod/lti/auth.php"
AUTH_TOKEN_URL = ISSUER + "/mod/lti/token.php"
DEPLOYMENT_ID = "1"
OURS_CLIENT_ID = "accolade-bench"
REFERENCE_CLIENT_ID = "pylti1p3-bench"
TARGET_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/target_link_uri"
CUSTOM_CLAIM = "https://purl.imsglobal.org/spec/lti/claim/custom"
MESSAGE_HINT = '{"cmid":2,"launchid":"ltilaunch1_1423857371"}'  # Moodle's, as recorded


class Platform:
    """An LMS that signs id_tokens with one RSA 2048 key (RS256, ``kid`` in the header)."""

    def __init__(self) -> None:
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = JWK.from_pyca(self._key.public_key())
        self.kid = public.thumbprint()[:20]
        self.jwk = {**json.loads(public.export_public()), "kid": self.kid, "alg": "RS256", "use": "sig"}
        self._template = json.loads(TEMPLATE.read_text(encoding="utf-8"))
        self._template["iss"] = ISSUER

    @property
    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.jwk]}

    def id_token(self, *, nonce: str, sub: str, client_id: str, target: str, badge: str) -> str:
        """Return the signed id_token the platform posts to the tool after authorizing ``sub``."""
        now = int(time.time())
        body = dict(self._template)
        body.update({"nonce": nonce, "iat": now, "exp": now + 60, "aud": client_id, "sub": sub, TARGET_CLAIM: target,
                     "given_name": "Learner", "family_name": sub, "name": f"Learner {sub}",
                     "email": f"learner{sub}@example.edu",
                     CUSTOM_CLAIM: {**self._template[CUSTOM_CLAIM], "accolade_badge": badge}})
        return jwt.encode(body, self._key, algorithm="RS256", headers={"kid": self.kid})


class JwksProcess:
    """The platform's key set URL, served by ``benchmarks.lti_jwks`` in a process of its own."""

    def __init__(self, jwks: dict[str, Any], *, cpus: str | None) -> None:
        command = [sys.executable, "-m", "benchmarks.lti_jwks"]
        if cpus is not None:
            command = ["taskset", "-c", cpus, *command]
        self._process = subprocess.Popen(command, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:
            raise RuntimeError("the key set server has no pipes")
        stdin.write(json.dumps(jwks))
        stdin.close()
        port = int(stdout.readline())
        self.url = f"http://127.0.0.1:{port}/jwks"

    def fetches(self) -> int:
        with urllib.request.urlopen(self.url.replace("/jwks", "/fetches"), timeout=5) as response:
            return int(response.read())

    def close(self) -> None:
        self._process.terminate()
        self._process.wait(timeout=10)
