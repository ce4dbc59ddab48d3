"""Data Integrity proofs with the ``eddsa-rdfc-2022`` cryptosuite (VC DI EdDSA 1.0 §3.1).

Create: proof options → canonical N-Quads of the options (with the document's ``@context``) and of
the document without ``proof`` (RDFC-1.0, JSON-LD safe mode) → SHA-256 of each, options first →
Ed25519 signature → ``proofValue`` as multibase base58-btc.
"""

from __future__ import annotations

import hashlib
import re
import weakref
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..encoding import EncodingError, b58_encode, multibase_decode
from ..jsonld.canonicalize import Canonicalizer
from ..keys import Ed25519Signer, verify_ed25519
from ..timefmt import format_datetime

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"


# Canonical N-Quads of the proof configuration (DI §3.3.5) for the one shape we sign with. Used only
# after it was found equal to the full canonicalization for the same @context list with the same
# canonicalizer (see _proof_config_nquads); anything else takes the full path.
_PROOF_CONFIG_LINES = (
    '_:c14n0 <http://purl.org/dc/terms/created> "{created}"^^<http://www.w3.org/2001/XMLSchema#dateTime> .\n',
    "_:c14n0 <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <https://w3id.org/security#DataIntegrityProof> .\n",
    '_:c14n0 <https://w3id.org/security#cryptosuite> "eddsa-rdfc-2022"'
    "^^<https://w3id.org/security#cryptosuiteString> .\n",
    "_:c14n0 <https://w3id.org/security#proofPurpose> <https://w3id.org/security#assertionMethod> .\n",
    "_:c14n0 <https://w3id.org/security#verificationMethod> <{method}> .\n",
)
_PLAIN_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[!#-;=?-\[\]_a-z~]*$")  # printable ASCII, no N-Quads escapes
_XSD_DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
_STANDARD_KEYS = {"type", "created", "verificationMethod", "cryptosuite", "proofPurpose"}
_checked_shapes: weakref.WeakKeyDictionary[Canonicalizer, dict[tuple[str, ...], bool]] = weakref.WeakKeyDictionary()


class ProofError(ValueError):
    """Raise when a proof is malformed (not when its signature is merely wrong)."""


def proof_options(*, verification_method: str, created: datetime | None,
                  proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """Return the proof options (the proof without ``proofValue``), in the spec's member order."""
    options: dict[str, Any] = {"type": PROOF_TYPE}
    if created is not None:
        options["created"] = format_datetime(created)
    options["verificationMethod"] = verification_method
    options["cryptosuite"] = CRYPTOSUITE
    options["proofPurpose"] = proof_purpose
    return options


def hash_data(document: Mapping[str, Any], options: Mapping[str, Any], canonicalizer: Canonicalizer, *,
              portable: bool = False, canonical_document: str | None = None) -> bytes:
    """Return SHA-256(canonical proof config) ‖ SHA-256(canonical document) (§3.3.4-3.3.6).

    ``portable`` (set when signing) also refuses text JavaScript verifiers would canonicalize
    differently, so every credential we sign verifies there too. ``canonical_document``, when the
    caller already canonicalized the unsecured document (verification does, in safe mode), is used
    instead of canonicalizing it again.

    Raises:
        UnsafeDocumentError: document or proof options lose data in JSON-LD expansion.
    """
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    config = {**options, "@context": document.get("@context")}
    config.pop("proofValue", None)
    canonical_config = _proof_config_nquads(config, canonicalizer, portable=portable)
    if canonical_document is None:
        canonical_document = canonicalizer.canonicalize(unsecured, portable=portable)
    return (hashlib.sha256(canonical_config.encode("utf-8")).digest()
            + hashlib.sha256(canonical_document.encode("utf-8")).digest())


def _proof_config_nquads(config: Mapping[str, Any], canonicalizer: Canonicalizer, *, portable: bool) -> str:
    """Return the canonical proof configuration, from the checked template when it applies."""
    contexts = config.get("@context")
    method, created = config.get("verificationMethod"), config.get("created")
    fits = (isinstance(contexts, list) and contexts and all(isinstance(c, str) for c in contexts)
            and set(config) - {"@context"} == _STANDARD_KEYS and config.get("type") == PROOF_TYPE
            and config.get("cryptosuite") == CRYPTOSUITE and config.get("proofPurpose") == "assertionMethod"
            and isinstance(method, str) and _PLAIN_IRI.match(method)
            and isinstance(created, str) and _XSD_DATETIME.match(created))
    if not fits:
        return canonicalizer.canonicalize(config, portable=portable)
    template = "".join(_PROOF_CONFIG_LINES).format(created=created, method=method)
    shapes = _checked_shapes.setdefault(canonicalizer, {})
    key = tuple(contexts)
    if key not in shapes:
        full = canonicalizer.canonicalize(config, portable=portable)
        shapes[key] = full == template
        return full
    return template if shapes[key] else canonicalizer.canonicalize(config, portable=portable)


def add_proof(document: Mapping[str, Any], *, signer: Ed25519Signer, created: datetime,
              canonicalizer: Canonicalizer, proof_purpose: str = "assertionMethod") -> dict[str, Any]:
    """Return a copy of ``document`` with an ``eddsa-rdfc-2022`` proof appended (a proof set).

    The signature is checked against the signer's public key before it is returned (verify what
    you sign, at the cost of one Ed25519 verification).

    Raises:
        UnsafeDocumentError: the document would lose data in JSON-LD processing; nothing is signed.
        ProofError: the signature just made does not verify.
    """
    options = proof_options(verification_method=signer.verification_method, created=created,
                            proof_purpose=proof_purpose)
    unsecured = {key: value for key, value in document.items() if key != "proof"}
    data = hash_data(unsecured, options, canonicalizer, portable=True)
    signature = signer.sign(data)
    if not verify_ed25519(signer.private_key.public_key(), signature, data):
        raise ProofError("the signature just made does not verify with the signer's public key")
    proof = {**options, "proofValue": "z" + b58_encode(signature)}
    existing = document.get("proof")
    proofs = [] if existing is None else (list(existing) if isinstance(existing, list) else [existing])
    return {**document, "proof": [*proofs, proof]}


def verify_proof(document: Mapping[str, Any], proof: Mapping[str, Any], public_key: Ed25519PublicKey,
                 canonicalizer: Canonicalizer, *, canonical_document: str | None = None) -> bool:
    """Return True when ``proof`` is a valid ``eddsa-rdfc-2022`` signature over ``document``.

    Raises:
        ProofError: the proof is malformed.
        UnsafeDocumentError, JsonLdProcessingError: the document is not safely processable.
    """
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofError(f"proof is not a {PROOF_TYPE} with cryptosuite {CRYPTOSUITE}")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofError("proofValue must be multibase base58-btc ('z…')")
    try:
        signature = multibase_decode(value)
    except EncodingError as error:
        raise ProofError(f"proofValue: {error}") from None
    if len(signature) != 64:
        raise ProofError(f"proofValue decodes to {len(signature)} bytes, not 64")
    options = {key: item for key, item in proof.items() if key != "proofValue"}
    return verify_ed25519(public_key, signature,
                          hash_data(document, options, canonicalizer, canonical_document=canonical_document))
