"""Fixed inputs for the benchmarks: keys, the OB 3.0 credential, issuer documents, a status list.

Everything is deterministic except the RSA key (generated once per run; RS256 timings do not depend
on which 2048-bit key is used). The Ed25519 key is the 1EdTech OB 3.0 test-vector key, so the same
bytes can be handed to the Node reference.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.core.data import (
    AchievementDefinition,
    Alignment,
    CredentialClaims,
    Image,
    Profile,
    StatusEntry,
)
from lti_tool.core.jsonld.canonicalize import Canonicalizer
from lti_tool.core.keys import (
    Ed25519Signer,
    RsaSigner,
    ed25519_public_multibase,
    ed25519_secret_multibase,
    rsa_public_jwk,
)
from lti_tool.core.openbadges import ob2
from lti_tool.core.openbadges.compose import compose_credential
from lti_tool.core.openbadges.data_integrity import add_proof
from lti_tool.core.openbadges.issuer_documents import PublishedEd25519Key, issuer_profile_document, key_document
from lti_tool.core.openbadges.status_list import Bitstring, status_list_credential
from lti_tool.core.ports import ResolveError

# 1EdTech OB 3.0 "Linked Data Proof Test Vector" key (tests/core/fixtures/ob3_test_vector.json).
ED25519_SEED_HEX = "6241a409e6707bb640a0140a8a32bc3d193c33a661747284d6adfa4ed4180be4"
ISSUER_ID = "https://example.edu/issuers/565049"
CREATED = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
VALID_FROM = datetime(2024, 5, 1, 0, 0, 0, tzinfo=UTC)
NOW = datetime(2025, 1, 1, tzinfo=UTC)
STATUS_LIST_URL = f"{ISSUER_ID}/status/1"


@dataclass(frozen=True)
class Fixture:
    """All inputs every route needs, built once."""

    signer: Ed25519Signer
    rsa_signer: RsaSigner
    reference: dict[str, Any]  # ~28-quad OB 3.0 credential (no credentialSchema, no extensions context)
    default: dict[str, Any]  # what compose_credential makes by default (+ credentialSchema, extensions)
    with_status: dict[str, Any]  # reference + a BitstringStatusListEntry
    ob2_assertion: dict[str, Any]
    documents: dict[str, Any]  # URL -> JSON, for the in-memory resolver

    def resolve(self, url: str) -> Any:
        try:
            return self.documents[url.split("#", 1)[0]]
        except KeyError:
            raise ResolveError(url, "not in the benchmark's in-memory documents") from None

    def node_input(self) -> dict[str, Any]:
        """Return what the Node reference needs: credential, key, date and the non-context documents."""
        return {
            "credential": self.reference,
            "created": CREATED.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "key": {
                "id": self.signer.verification_method,
                "controller": ISSUER_ID,
                "publicKeyMultibase": self.signer.public_key_multibase,
                "secretKeyMultibase": ed25519_secret_multibase(self.signer.private_key),
            },
            "documents": {url: doc for url, doc in self.documents.items() if url != STATUS_LIST_URL},
        }


def claims(*, include_schema: bool, status: StatusEntry | None = None) -> CredentialClaims:
    """Return the benchmark claims: issuer Profile, subject, Achievement with criteria, image, one alignment."""
    issuer = Profile(id=ISSUER_ID, name="Example University", url="https://example.edu")
    achievement = AchievementDefinition(
        id="https://example.edu/achievements/teamwork",
        name="Teamwork",
        description="This badge recognizes the development of the capacity to collaborate within a group.",
        criteria_narrative="Team members are nominated by their peers and recognized upon review by the faculty.",
        image=Image(id="https://example.edu/achievements/teamwork/image.png", caption="Teamwork badge"),
        achievement_type="Badge",
        alignments=(Alignment(target_name="Collaboration", target_url="https://example.org/frameworks/skills/collab",
                              target_code="COLLAB-1", target_framework="Example Skills Framework",
                              target_type="CFItem"),),
    )
    return CredentialClaims(
        id="https://example.edu/credentials/3732",
        issuer=issuer,
        achievement=achievement,
        valid_from=VALID_FROM,
        subject_id="did:example:ebfeb1f712ebc6f1c276e12ec21",
        status=status,
        include_schema=include_schema,
    )


def build(canonicalizer: Canonicalizer | None = None, *, sign_status_list: bool = True) -> Fixture:
    """Build keys, credentials and the documents a verifier resolves.

    ``sign_status_list=False`` leaves the (signed) status list credential out, so that nothing has
    been canonicalized yet when the cold-start probe times its first call.
    """
    private_key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(ED25519_SEED_HEX))
    multibase = ed25519_public_multibase(private_key.public_key())
    key_url = f"{ISSUER_ID}/keys/{multibase}"
    signer = Ed25519Signer(private_key=private_key, verification_method=key_url)
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_kid = f"{ISSUER_ID}/keys/rsa-1"
    rsa_signer = RsaSigner(private_key=rsa_key, kid=rsa_kid)

    base = claims(include_schema=False)
    status_entry = StatusEntry(status_list_credential=STATUS_LIST_URL, status_list_index=94567)
    published = PublishedEd25519Key(id=key_url, public_key_multibase=multibase)
    documents: dict[str, Any] = {
        ISSUER_ID: issuer_profile_document(base.issuer, [published]),
        key_url: key_document(published, ISSUER_ID),
        rsa_kid: rsa_public_jwk(rsa_key.public_key(), kid=rsa_kid, issuer=ISSUER_ID),
    }
    status_list = status_list_credential(list_url=STATUS_LIST_URL, issuer_id=ISSUER_ID,
                                         encoded_list=Bitstring().encode(), valid_from=VALID_FROM)
    if sign_status_list:
        documents[STATUS_LIST_URL] = add_proof(status_list, signer=signer, created=CREATED,
                                               canonicalizer=canonicalizer or Canonicalizer())
    assertion = ob2.assertion_json(assertion_id=f"{ISSUER_ID}/assertions/3732",
                                   badgeclass_url=f"{ISSUER_ID}/badges/teamwork", recipient_email="ada@example.edu",
                                   salt="c0ffee", issued_on=VALID_FROM, signed_by=rsa_kid)
    return Fixture(
        signer=signer,
        rsa_signer=rsa_signer,
        reference=compose_credential(base),
        default=compose_credential(replace(base, include_schema=True)),
        with_status=compose_credential(replace(base, status=status_entry)),
        ob2_assertion=assertion,
        documents=documents,
    )


def write_node_input(fixture: Fixture, path: Path) -> None:
    path.write_text(json.dumps(fixture.node_input(), indent=1), encoding="utf-8")
