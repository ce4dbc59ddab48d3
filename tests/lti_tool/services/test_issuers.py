"""Issuers and their keys."""

import pytest

from lti_tool.key_encryption import KeyEncryptionError
from lti_tool.models import SigningKey
from lti_tool.services.errors import ServiceError
from lti_tool.services.issuers import _unsealed, issuer_create, issuer_rotate_keys, issuer_signers


def test_new_issuer_has_one_active_key_of_each_kind(issuer):
    keys = SigningKey.objects.filter(issuer=issuer)
    assert sorted(keys.values_list("algorithm", flat=True)) == ["ed25519", "rsa"]
    assert all(key.active for key in keys)
    ed, rsa = issuer_signers(issuer=issuer)
    assert ed.verification_method.endswith(ed.public_key_multibase)
    assert rsa.kid.startswith(issuer.public_id + "/keys/rsa-")


def test_rotation_retires_but_keeps_old_keys(issuer):
    old = set(SigningKey.objects.filter(issuer=issuer).values_list("key_name", flat=True))
    issuer_rotate_keys(issuer=issuer)
    keys = SigningKey.objects.filter(issuer=issuer)
    assert keys.count() == 4
    assert set(keys.filter(active=False).values_list("key_name", flat=True)) == old
    assert all(key.retired_at for key in keys.filter(active=False))


def test_a_renamed_ed25519_key_no_longer_unseals(issuer):
    # The key name (its public multibase) is the associated data of the sealed private key.
    key = SigningKey.objects.get(issuer=issuer, algorithm="ed25519")
    other = SigningKey.objects.get(issuer=issuer_create(name="Other", url="https://o.edu"), algorithm="ed25519")
    SigningKey.objects.filter(pk=key.pk).update(key_name=other.key_name)
    _unsealed.clear()
    with pytest.raises(KeyEncryptionError, match="does not open"):
        issuer_signers(issuer=issuer)


def test_an_rsa_key_whose_published_half_was_swapped_is_refused(issuer):
    key = SigningKey.objects.get(issuer=issuer, algorithm="rsa")
    other = SigningKey.objects.get(issuer=issuer_create(name="Other", url="https://o.edu"), algorithm="rsa")
    SigningKey.objects.filter(pk=key.pk).update(public_key_pem=other.public_key_pem)
    _unsealed.clear()
    with pytest.raises(ServiceError, match="does not match its published public key"):
        issuer_signers(issuer=issuer)


def test_issuer_needs_a_name(db):
    with pytest.raises(ServiceError, match="name"):
        issuer_create(name="  ", url="https://x.edu")
