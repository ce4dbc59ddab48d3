"""Private keys at rest: sealed under the KEK, bound to their row, rotatable."""

import base64

import pytest
from django.core.management import call_command

from lti_tool.key_encryption import KeyEncryptionError, current_kek, open_sealed, parse_kek, seal
from lti_tool.models import SigningKey
from lti_tool.services.awards import award_issue
from lti_tool.services.issuers import _unsealed, issuer_signers
from lti_tool.services.verification import credential_verify

OTHER_KEK = base64.urlsafe_b64encode(bytes(range(32))).decode().rstrip("=")


def test_seal_round_trip_and_binding():
    kek_id, sealed = seal(b"secret key", associated="issuer/key-1")
    assert b"secret key" not in sealed
    assert open_sealed(kek_id, sealed, associated="issuer/key-1") == b"secret key"
    with pytest.raises(KeyEncryptionError, match="does not open"):
        open_sealed(kek_id, sealed, associated="issuer/key-2")
    with pytest.raises(KeyEncryptionError, match="does not open"):
        open_sealed(kek_id, sealed[:-1] + bytes([sealed[-1] ^ 1]), associated="issuer/key-1")


def test_missing_or_malformed_kek_is_a_clear_error(settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "KEK": ""}
    with pytest.raises(KeyEncryptionError, match="ACCOLADE_KEK is not set"):
        current_kek()
    with pytest.raises(KeyEncryptionError, match="32 bytes"):
        parse_kek("c2hvcnQ")


def test_private_keys_are_not_stored_in_clear(issuer):
    for key in SigningKey.objects.filter(issuer=issuer):
        assert b"PRIVATE KEY" not in bytes(key.sealed_private_key)


def test_kek_rotation_with_old_key_then_reseal(issuer, achievement, learner, settings):
    old = settings.ACCOLADE["KEK"]
    settings.ACCOLADE = {**settings.ACCOLADE, "KEK": OTHER_KEK, "KEK_OLD": old}
    _unsealed.clear()
    issuer_signers(issuer=issuer)  # old keys still open through KEK_OLD
    call_command("rotate_kek")
    settings.ACCOLADE = {**settings.ACCOLADE, "KEK": OTHER_KEK, "KEK_OLD": ""}
    _unsealed.clear()
    award = award_issue(achievement=achievement, learner=learner, issued_by="t")
    assert credential_verify(data=award.credential).verified
    assert set(SigningKey.objects.values_list("kek_id", flat=True)) == {parse_kek(OTHER_KEK).id}


def test_unknown_kek_is_reported(issuer, settings):
    settings.ACCOLADE = {**settings.ACCOLADE, "KEK": OTHER_KEK, "KEK_OLD": ""}
    _unsealed.clear()
    with pytest.raises(KeyEncryptionError, match="not configured"):
        issuer_signers(issuer=issuer)
