"""The tool's own keys: JWKS, rotation with overlap, signing Deep Linking responses, cleanup."""

from datetime import timedelta
from io import StringIO

import jwt
import pytest
from django.core.management import call_command
from django.utils import timezone
from jwcrypto.jwk import JWK

from lti_tool.models import LtiLaunch, LtiOidcState, LtiToolKey, LtiUsedNonce
from lti_tool.services.lti_cleanup import lti_records_cleanup
from lti_tool.services.lti_keys import lti_tool_key_active, lti_tool_key_create, lti_tool_key_private_pem

pytestmark = pytest.mark.django_db


def test_jwks_publishes_the_active_key_with_its_thumbprint_kid(client):
    key = lti_tool_key_active()
    jwks = client.get("/lti/jwks").json()
    assert [k["kid"] for k in jwks["keys"]] == [key.kid]
    published = jwks["keys"][0]
    assert published["kid"] == JWK(**{k: published[k] for k in ("kty", "n", "e")}).thumbprint()
    assert published["alg"] == "RS256" and published["use"] == "sig" and "d" not in published


def test_rotation_keeps_the_old_key_published_until_it_expires(client, settings):
    old = lti_tool_key_active()
    token = jwt.encode({"hello": "platform"}, lti_tool_key_private_pem(old), algorithm="RS256",
                       headers={"kid": old.kid})
    out = StringIO()
    call_command("lti_rotate_tool_key", stdout=out)
    new = lti_tool_key_active()
    assert new.kid != old.kid and new.kid in out.getvalue()
    kids = [k["kid"] for k in client.get("/lti/jwks").json()["keys"]]
    assert kids == [new.kid, old.kid]
    # A platform can still check what the old key signed.
    published = {k["kid"]: k for k in client.get("/lti/jwks").json()["keys"]}
    assert jwt.decode(token, jwt.PyJWK(published[old.kid]).key, algorithms=["RS256"]) == {"hello": "platform"}
    LtiToolKey.objects.filter(kid=old.kid).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert [k["kid"] for k in client.get("/lti/jwks").json()["keys"]] == [new.kid]


def test_only_one_key_is_ever_active():
    lti_tool_key_create()
    lti_tool_key_create()
    assert LtiToolKey.objects.filter(active=True).count() == 1


def test_cleanup_removes_only_what_has_expired(deployment, platform, client):
    result = platform.launch(client)
    assert result.response.status_code == 303
    now = timezone.now()
    assert lti_records_cleanup(now=now).states == 0
    later = now + timedelta(days=2)
    counts = lti_records_cleanup(now=later)
    assert counts.states == 1 and counts.nonces == 1 and counts.launches == 1
    assert not LtiOidcState.objects.exists() and not LtiUsedNonce.objects.exists() and not LtiLaunch.objects.exists()
