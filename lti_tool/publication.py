"""The public JSON documents of the service, one function per URL pattern.

Views serve them; the verifier's local resolver calls them directly, so verifying our own
credentials never goes out over the network and never disagrees with what the web serves.
"""

from __future__ import annotations

from typing import Any

from .core.keys import rsa_from_pem, rsa_public_jwk
from .core.openbadges import ob2
from .core.openbadges.compose import achievement_json, registrar_facts
from .core.openbadges.issuer_documents import (
    PublishedEd25519Key,
    did_web_document,
    did_web_for,
    issuer_profile_document,
    jwks,
    key_document,
)
from .models import Achievement, Award, Issuer, SigningKey, StatusList
from .services.documents import achievement_definition, image_url, issuer_profile


class NotFound(LookupError):
    """Raise when no public document exists at the URL."""


class Gone(LookupError):
    """Raise when the document existed and was withdrawn (HTTP 410); ``body`` is served with it."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("gone")
        self.body = body


def _issuer(issuer_uuid) -> Issuer:
    try:
        return Issuer.objects.get(uuid=issuer_uuid)
    except (Issuer.DoesNotExist, ValueError):
        raise NotFound(f"no issuer {issuer_uuid}") from None


def _ed25519_keys(issuer: Issuer) -> list[PublishedEd25519Key]:
    keys = SigningKey.objects.filter(issuer=issuer, algorithm=SigningKey.ED25519).order_by("created_at")
    return [PublishedEd25519Key(id=key.public_id, public_key_multibase=key.key_name) for key in keys]


def _rsa_jwks(issuer: Issuer) -> list[dict[str, Any]]:
    keys = SigningKey.objects.filter(issuer=issuer, algorithm=SigningKey.RSA).order_by("created_at")
    return [rsa_public_jwk(rsa_from_pem(key.public_key_pem), kid=key.public_id, issuer=issuer.public_id)
            for key in keys]


def issuer_document(*, issuer_uuid) -> dict[str, Any]:
    """Return the issuer Profile that is also its controller document (keys under assertionMethod)."""
    issuer = _issuer(issuer_uuid)
    return issuer_profile_document(issuer_profile(issuer), _ed25519_keys(issuer),
                                   also_known_as=[did_web_for(issuer.public_id)])


def issuer_key_document(*, issuer_uuid, key_name: str) -> dict[str, Any]:
    """Return the Multikey (Ed25519) or bare JWK (RSA, with ``iss``) served at a key's own URL."""
    issuer = _issuer(issuer_uuid)
    key = SigningKey.objects.filter(issuer=issuer, key_name=key_name).first()
    if key is None:
        raise NotFound(f"no key {key_name}")
    if key.algorithm == SigningKey.ED25519:
        return key_document(PublishedEd25519Key(id=key.public_id, public_key_multibase=key.key_name), issuer.public_id)
    return rsa_public_jwk(rsa_from_pem(key.public_key_pem), kid=key.public_id, issuer=issuer.public_id)


def issuer_did_document(*, issuer_uuid) -> dict[str, Any]:
    """Return the did:web document of the issuer (the same Ed25519 keys under the DID)."""
    issuer = _issuer(issuer_uuid)
    return did_web_document(did_web_for(issuer.public_id), _ed25519_keys(issuer), also_known_as=[issuer.public_id])


def issuer_jwks(*, issuer_uuid) -> dict[str, Any]:
    """Return the JWK Set of the issuer's RSA keys, current and retired."""
    return jwks(_rsa_jwks(_issuer(issuer_uuid)))


def service_jwks() -> dict[str, Any]:
    """Return the JWK Set of every issuer's RSA keys (``/.well-known/jwks.json``)."""
    return jwks([jwk for issuer in Issuer.objects.all() for jwk in _rsa_jwks(issuer)])


def achievement_document(*, achievement_uuid) -> dict[str, Any]:
    """Return the OB 3.0 Achievement document of an achievement."""
    try:
        achievement = Achievement.objects.select_related("issuer", "image").get(uuid=achievement_uuid)
    except (Achievement.DoesNotExist, ValueError):
        raise NotFound(f"no achievement {achievement_uuid}") from None
    definition = achievement_definition(achievement)
    document = {"@context": ["https://www.w3.org/ns/credentials/v2",
                             "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"],
                **achievement_json(definition)}
    document["issuer"] = issuer_profile(achievement.issuer).id
    return document


def achievement_registrar_facts(achievement: Achievement) -> list[tuple[str, str]]:
    """Return the registrar facts of an achievement as (label, value) pairs, for pages and catalogs."""
    definition = achievement_definition(achievement)
    return registrar_facts(definition.registrar) if definition.registrar else []


def credential_document(*, award_uuid) -> dict[str, Any]:
    """Return the signed OB 3.0 credential (Data Integrity proof) of an award."""
    return _award(award_uuid).credential


def status_list_document(*, list_uuid) -> dict[str, Any]:
    """Return the signed BitstringStatusListCredential."""
    try:
        status_list = StatusList.objects.get(uuid=list_uuid)
    except (StatusList.DoesNotExist, ValueError):
        raise NotFound(f"no status list {list_uuid}") from None
    if status_list.credential is None:
        raise NotFound("status list not yet published")
    return status_list.credential


def ob2_issuer_document(*, issuer_uuid) -> dict[str, Any]:
    issuer = _issuer(issuer_uuid)
    base = f"{issuer.base_url.rstrip('/')}/ob2/issuers/{issuer.uuid}"
    keys = SigningKey.objects.filter(issuer=issuer, algorithm=SigningKey.RSA).order_by("created_at")
    return ob2.issuer_json(issuer_profile(issuer), issuer_url=base,
                           public_key_urls=[f"{base}/keys/{key.key_name}" for key in keys],
                           revocation_list_url=f"{base}/revocations")


def ob2_key_document(*, issuer_uuid, key_name: str) -> dict[str, Any]:
    issuer = _issuer(issuer_uuid)
    key = SigningKey.objects.filter(issuer=issuer, key_name=key_name, algorithm=SigningKey.RSA).first()
    if key is None:
        raise NotFound(f"no key {key_name}")
    base = f"{issuer.base_url.rstrip('/')}/ob2/issuers/{issuer.uuid}"
    return ob2.cryptographic_key_json(key_url=f"{base}/keys/{key.key_name}", owner=base,
                                      public_key_pem=key.public_key_pem)


def ob2_revocation_list_document(*, issuer_uuid) -> dict[str, Any]:
    issuer = _issuer(issuer_uuid)
    base = issuer.base_url.rstrip("/")
    revoked = Award.objects.filter(achievement__issuer=issuer, revoked_at__isnull=False).order_by("revoked_at")
    entries = []
    for award in revoked:
        entries.append((f"urn:uuid:{award.uuid}", award.revocation_reason))
        entries.append((f"{base}/ob2/assertions/{award.uuid}", award.revocation_reason))
    return ob2.revocation_list_json(list_url=f"{base}/ob2/issuers/{issuer.uuid}/revocations",
                                    issuer_url=f"{base}/ob2/issuers/{issuer.uuid}", revoked=entries)


def ob2_badgeclass_document(*, achievement_uuid) -> dict[str, Any]:
    try:
        achievement = Achievement.objects.select_related("issuer", "image").get(uuid=achievement_uuid)
    except (Achievement.DoesNotExist, ValueError):
        raise NotFound(f"no badge {achievement_uuid}") from None
    base = achievement.issuer.base_url.rstrip("/")
    return ob2.badgeclass_json(achievement_definition(achievement),
                               badgeclass_url=f"{base}/ob2/badges/{achievement.uuid}",
                               issuer_url=f"{base}/ob2/issuers/{achievement.issuer.uuid}",
                               image_url=image_url(achievement.image, base) or f"{base}/static/lti_tool/badge.svg")


def ob2_assertion_document(*, award_uuid) -> dict[str, Any]:
    """Return the hosted OB 2.0 Assertion; raise Gone (HTTP 410, ``revoked: true``) once revoked."""
    award = _award(award_uuid)
    base = award.achievement.issuer.base_url.rstrip("/")
    assertion_id = f"{base}/ob2/assertions/{award.uuid}"
    if award.revoked:
        raise Gone({"@context": ob2.OB2_CONTEXT, "id": assertion_id, "type": "Assertion", "revoked": True,
                    "revocationReason": award.revocation_reason})
    email = award.learner.identity("emailAddress")
    if email is None:
        raise NotFound("this award has no OB 2.0 form (the learner has no email address on record)")
    image = award.achievement.image
    return ob2.assertion_json(
        assertion_id=assertion_id, badgeclass_url=f"{base}/ob2/badges/{award.achievement.uuid}",
        recipient_email=email.value, salt=award.identity_salt, issued_on=award.issued_at, expires=award.valid_until,
        image_url=f"{base}/ob2/assertions/{award.uuid}/badge.{image.extension if image else 'svg'}",
        evidence=[{k: v for k, v in item.items() if k in ("id", "narrative", "name")} for item in award.evidence],
        narrative=award.narrative or None)


def _award(award_uuid) -> Award:
    try:
        return Award.objects.select_related("achievement__issuer", "learner").get(uuid=award_uuid)
    except (Award.DoesNotExist, ValueError):
        raise NotFound(f"no credential {award_uuid}") from None


# URL name → document function; used by the local resolver (services/resolution.py).
DOCUMENTS = {
    "issuer": issuer_document,
    "issuer-key": issuer_key_document,
    "issuer-did": issuer_did_document,
    "issuer-jwks": issuer_jwks,
    "service-jwks": service_jwks,
    "achievement": achievement_document,
    "credential": credential_document,
    "status-list": status_list_document,
    "ob2-issuer": ob2_issuer_document,
    "ob2-key": ob2_key_document,
    "ob2-revocations": ob2_revocation_list_document,
    "ob2-badge": ob2_badgeclass_document,
    "ob2-assertion": ob2_assertion_document,
}
