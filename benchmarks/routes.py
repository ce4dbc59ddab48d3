"""The Python routes the benchmark times, each a zero-argument callable over a built fixture.

Every route is checked once before it is timed (the proof verifies, the verifier says verified),
so a route that silently broke cannot post a good figure.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pyld import jsonld

from benchmarks.credentials import CREATED, NOW, Fixture
from lti_tool.core.api import sign_document, verify
from lti_tool.core.encoding import b58_encode
from lti_tool.core.jsonld.canonicalize import Canonicalizer
from lti_tool.core.jsonld.loader import pinned_loader
from lti_tool.core.keys import Ed25519Signer, verify_ed25519
from lti_tool.core.openbadges import ob2
from lti_tool.core.openbadges.data_integrity import add_proof, proof_options
from lti_tool.core.openbadges.vc_jwt import sign_vc_jwt

Kind = Literal["issue", "verify"]


@dataclass(frozen=True)
class Route:
    key: str
    label: str
    kind: Kind  # compared with Digital Bazaar's issue or verify figure
    fn: Callable[[], Any]


def stock_pyld_sign(document: Mapping[str, Any], signer: Ed25519Signer, loader: Any) -> dict[str, Any]:
    """Return ``document`` with an eddsa-rdfc-2022 proof made with stock pyld (no memo, no safe mode)."""
    options = proof_options(verification_method=signer.verification_method, created=CREATED)
    config = {**options, "@context": document["@context"]}
    normalize = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
    canonical_config = jsonld.normalize(config, dict(normalize))
    canonical_document = jsonld.normalize(dict(document), dict(normalize))
    hashed = (hashlib.sha256(canonical_config.encode("utf-8")).digest()
              + hashlib.sha256(canonical_document.encode("utf-8")).digest())
    return {**document, "proof": [{**options, "proofValue": "z" + b58_encode(signer.sign(hashed))}]}


def proof_value(credential: Mapping[str, Any]) -> str:
    proof = credential["proof"]
    return (proof[-1] if isinstance(proof, list) else proof)["proofValue"]


def build_routes(fx: Fixture, canonicalizer: Canonicalizer) -> list[Route]:
    """Return the routes in table order, after checking that each one works."""
    signer, rsa_signer = fx.signer, fx.rsa_signer
    loader = pinned_loader()

    def issue(document: dict[str, Any]) -> Callable[[], dict[str, Any]]:
        return lambda: sign_document(document, signer=signer, created=CREATED, canonicalizer=canonicalizer)

    def verifier(credential: Any) -> Callable[[], Any]:
        return lambda: verify(credential, now=NOW, resolver=fx.resolve, canonicalizer=canonicalizer)

    signed = issue(fx.reference)()
    signed_status = issue(fx.with_status)()
    token = sign_vc_jwt(fx.reference, rsa_signer)
    for name, credential in (("DI", signed), ("DI + status list", signed_status), ("VC-JWT", token)):
        result = verifier(credential)()
        if not result.verified:
            raise SystemExit(f"benchmark fixture does not verify ({name}): {[c.message for c in result.errors]}")
    if proof_value(stock_pyld_sign(fx.reference, signer, loader)) != proof_value(signed):
        raise SystemExit("stock pyld and lti_tool.core disagree on the proof of the benchmark credential")

    message = hashlib.sha256(b"a").digest() * 2  # 64 bytes, the size of eddsa-rdfc-2022 hashData
    signature = signer.sign(message)
    public_key = signer.private_key.public_key()
    doc_only = {k: v for k, v in fx.reference.items() if k != "proof"}

    return [
        Route("issue", "OB3 eddsa-rdfc-2022 issue: api.sign_document (signs, checks the signature)", "issue",
              issue(fx.reference)),
        Route("add_proof", "OB3 eddsa-rdfc-2022 issue: data_integrity.add_proof (no self-check)", "issue",
              lambda: add_proof(fx.reference, signer=signer, created=CREATED, canonicalizer=canonicalizer)),
        Route("issue_default", "OB3 eddsa-rdfc-2022 issue: sign_document, default credential (+schema)", "issue",
              issue(fx.default)),
        Route("stock", "OB3 eddsa-rdfc-2022 issue: stock pyld normalize x2 + sha256 + Ed25519", "issue",
              lambda: stock_pyld_sign(fx.reference, signer, loader)),
        Route("canonicalize", "  part: Canonicalizer.canonicalize(document) once (safe mode)", "issue",
              lambda: canonicalizer.canonicalize(doc_only)),
        Route("vc_jwt", "OB3 VC-JWT RS256 issue: vc_jwt.sign_vc_jwt (RSA 2048)", "issue",
              lambda: sign_vc_jwt(fx.reference, rsa_signer)),
        Route("ob2", "OB2 signed assertion JWS RS256: ob2.sign_assertion", "issue",
              lambda: ob2.sign_assertion(fx.ob2_assertion, rsa_signer)),
        Route("ed_sign", "Ed25519 sign alone (64 B, the floor of one issue)", "issue",
              lambda: signer.sign(message)),
        Route("verify", "OB3 DI verify: api.verify (issuer doc + key doc, no status)", "verify",
              verifier(signed)),
        Route("verify_status", "OB3 DI verify: api.verify + signed Bitstring status list", "verify",
              verifier(signed_status)),
        Route("verify_jwt", "OB3 VC-JWT verify: api.verify (JWK at kid)", "verify",
              verifier(token)),
        Route("ed_verify", "Ed25519 verify alone (64 B, the floor of one verify)", "verify",
              lambda: verify_ed25519(public_key, signature, message)),
    ]
