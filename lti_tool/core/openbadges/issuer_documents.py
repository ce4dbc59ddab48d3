"""Documents an issuer publishes so verifiers can bind keys to it.

* The issuer ``Profile`` at the issuer's HTTPS id is also a controller document (Controlled
  Identifiers 1.0 §2): its first context is DID v1 (so jsonld-signatures reads it without framing),
  it lists every Ed25519 key under ``verificationMethod`` and the current ones, by id, under
  ``assertionMethod``. Retired keys stay in ``verificationMethod`` with ``revoked``/``expires`` left
  out: old credentials must keep verifying.
* Each key has its own URL (``{issuer}/keys/{publicKeyMultibase}``) answering with the Multikey
  itself, because an HTTP fetch of ``issuer#fragment`` cannot select a fragment (DCC verifier-core,
  1EdTech validator "location of a key document" path).
* The did:web DID document (did:web method §3.2) lists the same keys under the DID.
* RSA keys for VC-JWT and OB 2.0 are published as bare JWKs at their ``kid`` URL and as a JWKS.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from ..data import Profile
from .compose import OB_V3_CONTEXT, profile_json

DID_V1_CONTEXT = "https://www.w3.org/ns/did/v1"
MULTIKEY_V1_CONTEXT = "https://w3id.org/security/multikey/v1"


@dataclass(frozen=True)
class PublishedEd25519Key:
    """An Ed25519 public key of an issuer; ``revoked`` (XSD dateTime) only if it was compromised."""

    id: str
    public_key_multibase: str
    revoked: str | None = None


def key_document(key: PublishedEd25519Key, controller: str) -> dict[str, Any]:
    """Return the Multikey document served at the key's own URL."""
    return {"@context": MULTIKEY_V1_CONTEXT, **_embedded(key, controller)}


def issuer_profile_document(profile: Profile, keys: Sequence[PublishedEd25519Key], *,
                            also_known_as: Iterable[str] = ()) -> dict[str, Any]:
    """Return the issuer Profile that is also its controller document."""
    body = profile_json(profile)
    document: dict[str, Any] = {
        "@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT, OB_V3_CONTEXT],
        **body,
    }
    aliases = list(also_known_as)
    if aliases:
        document["alsoKnownAs"] = aliases
    document["verificationMethod"] = [_embedded(key, profile.id) for key in keys]
    document["assertionMethod"] = [key.id for key in keys if key.revoked is None]
    return document


def did_web_for(issuer_url: str) -> str:
    """Return the did:web DID whose document lives at ``{issuer_url}/did.json`` (did:web §3.2)."""
    parts = urlsplit(issuer_url)
    host = quote(parts.netloc, safe="")
    path = [quote(segment, safe="") for segment in parts.path.strip("/").split("/") if segment]
    return ":".join(["did:web", host, *path])


def did_web_url(did: str) -> str:
    """Return the HTTPS URL of a did:web DID document (did:web §3.2 "Read (Resolve)")."""
    if not did.startswith("did:web:"):
        raise ValueError("not a did:web DID")
    segments = did.split("#", 1)[0][len("did:web:"):].split(":")
    host = segments[0].replace("%3A", ":").replace("%3a", ":")
    path = "/".join(segments[1:])
    return f"https://{host}/{path}/did.json" if path else f"https://{host}/.well-known/did.json"


def did_web_document(did: str, keys: Sequence[PublishedEd25519Key], *,
                     also_known_as: Iterable[str] = ()) -> dict[str, Any]:
    """Return the DID document of an issuer's did:web identity, keys as ``{did}#{multibase}``."""
    methods = [
        PublishedEd25519Key(id=f"{did}#{key.public_key_multibase}", public_key_multibase=key.public_key_multibase,
                            revoked=key.revoked)
        for key in keys
    ]
    document: dict[str, Any] = {"@context": [DID_V1_CONTEXT, MULTIKEY_V1_CONTEXT], "id": did}
    aliases = list(also_known_as)
    if aliases:
        document["alsoKnownAs"] = aliases
    document["verificationMethod"] = [_embedded(key, did) for key in methods]
    document["assertionMethod"] = [key.id for key in methods if key.revoked is None]
    return document


def jwks(jwk_list: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Return a JWK Set (RFC 7517 §5)."""
    return {"keys": list(jwk_list)}


def _embedded(key: PublishedEd25519Key, controller: str) -> dict[str, Any]:
    method = {"id": key.id, "type": "Multikey", "controller": controller,
              "publicKeyMultibase": key.public_key_multibase}
    if key.revoked is not None:
        method["revoked"] = key.revoked
    return method
