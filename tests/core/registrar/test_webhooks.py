"""Standard Webhooks signatures, checked by the reference library a receiver would use."""

from __future__ import annotations

import time

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from lti_tool.core.registrar.webhooks import SecretError, headers, new_secret, secret_bytes, signature

BODY = b'{"specversion":"1.0","id":"e1","type":"credential.awarded"}'


def test_the_reference_library_accepts_what_we_sign():
    secret = new_secret()
    sent = headers([secret], "msg_1", int(time.time()), BODY)
    assert Webhook(secret).verify(BODY, sent)["id"] == "e1"


def test_during_rotation_either_secret_verifies():
    old, new = new_secret(), new_secret()
    sent = headers([old, new], "msg_2", int(time.time()), BODY)
    assert len(sent["webhook-signature"].split(" ")) == 2
    for secret in (old, new):
        Webhook(secret).verify(BODY, sent)


def test_a_changed_body_or_a_stale_timestamp_is_refused_by_the_receiver():
    secret = new_secret()
    sent = headers([secret], "msg_3", int(time.time()), BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY.replace(b"awarded", b"revoked"), sent)
    stale = headers([secret], "msg_3", int(time.time()) - 3600, BODY)
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(BODY, stale)


def test_a_known_vector():
    # The example of the Standard Webhooks specification (signature scheme section).
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    body = b'{"test": 2432232314}'
    assert signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == \
        "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


@pytest.mark.parametrize("bad", ["MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "whsec_***", "whsec_c2hvcnQ="])
def test_malformed_secrets_are_refused(bad):
    with pytest.raises(SecretError):
        secret_bytes(bad)


def test_no_secret_no_signature():
    with pytest.raises(SecretError):
        headers([], "m", 1, BODY)
