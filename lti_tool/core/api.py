"""Front door of the core: the functions the Django side, the XBlock and the bridges call.

Issuing raises (:class:`IssuingError` and the composition/safe-mode errors it wraps); verifying
returns a :class:`~lti_tool.core.data.VerificationResult` and never raises on bad input.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .criteria.evaluate import Explainer, Outcome, Status, compile_criteria, explain
from .criteria.facts import FactError, FactRecord, LearnerFacts, learner_facts
from .criteria.graph import check_acyclic
from .criteria.policy import Action, AwardPolicy, Decision, Standing, decide
from .criteria.rules import CriteriaError, criteria_json, dependencies, parse_criteria, prerequisites
from .data import CredentialClaims, VerificationResult
from .jsonld.canonicalize import Canonicalizer, JsonLdProcessingError
from .jsonld.safe_mode import UnsafeDocumentError
from .keys import Ed25519Signer, RsaSigner
from .openbadges.compose import CompositionError, compose_credential
from .openbadges.data_integrity import ProofError, add_proof
from .openbadges.vc_jwt import VcJwtError, sign_vc_jwt
from .openbadges.verify import verify_credential
from .ports import Resolver, no_network

__all__ = [
    "Action",
    "AwardPolicy",
    "CriteriaError",
    "Decision",
    "Explainer",
    "FactError",
    "FactRecord",
    "IssuedCredential",
    "IssuingError",
    "LearnerFacts",
    "Outcome",
    "Standing",
    "Status",
    "check_acyclic",
    "compile_criteria",
    "compose_credential",
    "criteria_json",
    "decide",
    "dependencies",
    "explain",
    "issue_credential",
    "learner_facts",
    "parse_criteria",
    "prerequisites",
    "sign_document",
    "verify",
]


class IssuingError(Exception):
    """Raise when a credential cannot be issued; the message says why, nothing was signed."""


@dataclass(frozen=True)
class IssuedCredential:
    """A credential secured both ways: embedded Data Integrity proof and VC-JWT."""

    credential: dict[str, Any]
    jwt: str | None


def sign_document(document: dict[str, Any], *, signer: Ed25519Signer, created: datetime,
                  canonicalizer: Canonicalizer) -> dict[str, Any]:
    """Return ``document`` with an ``eddsa-rdfc-2022`` proof, checked against the signer's key.

    Raises:
        IssuingError: the document loses data in JSON-LD processing, holds text JavaScript verifiers
            canonicalize differently, or the proof does not verify.
    """
    try:
        return add_proof(document, signer=signer, created=created, canonicalizer=canonicalizer)
    except (UnsafeDocumentError, JsonLdProcessingError) as error:
        raise IssuingError(f"refusing to sign: {error}") from error
    except ProofError as error:
        raise IssuingError(f"{error}; nothing was issued") from error


def issue_credential(claims: CredentialClaims, *, signer: Ed25519Signer, created: datetime,
                     canonicalizer: Canonicalizer, jwt_signer: RsaSigner | None = None) -> IssuedCredential:
    """Compose, sign (Data Integrity, and VC-JWT when ``jwt_signer`` is given) and self-check a credential.

    Raises:
        IssuingError: the claims do not make a valid, safely signable OB 3.0 credential.
    """
    try:
        unsigned = compose_credential(claims)
    except CompositionError as error:
        raise IssuingError(str(error)) from error
    signed = sign_document(unsigned, signer=signer, created=created, canonicalizer=canonicalizer)
    token = None
    if jwt_signer is not None:
        try:
            token = sign_vc_jwt(unsigned, jwt_signer)
        except VcJwtError as error:
            raise IssuingError(str(error)) from error
    return IssuedCredential(credential=signed, jwt=token)


def verify(data: Any, *, now: datetime, resolver: Resolver = no_network,
           canonicalizer: Canonicalizer | None = None) -> VerificationResult:
    """Verify a credential in any supported form; see :func:`openbadges.verify.verify_credential`."""
    return verify_credential(data, now=now, resolver=resolver, canonicalizer=canonicalizer)
