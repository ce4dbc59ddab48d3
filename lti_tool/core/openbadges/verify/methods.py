"""Find the key behind a verification method and check that the issuer controls it.

Supported identifiers (VC Data Integrity 1.0 §4.5 "Retrieve Verification Method", Controlled
Identifiers 1.0 §3.3):

* ``did:key:z6Mk…#z6Mk…`` — decoded locally;
* ``did:web:…#frag`` — DID document at the did:web URL, method found by id;
* ``https://…/key`` — a key document (Multikey or Ed25519VerificationKey2020) with a ``controller``;
* ``https://issuer#frag`` — the fragment selected from the controller document.

The key is bound to the issuer when the method's controller is the issuer id and the controller
document lists the method under ``assertionMethod``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ...keys import KeyFormatError, ed25519_from_did_key, ed25519_from_multibase
from ...ports import ResolveError, Resolver
from ...timefmt import TimeFormatError, parse_datetime
from ..issuer_documents import did_web_url
from .report import as_list

ED25519_METHOD_TYPES = ("Multikey", "Ed25519VerificationKey2020")


class MethodError(Exception):
    """Raise when a verification method cannot be resolved or is not bound to the issuer."""

    def __init__(self, check: str, message: str) -> None:
        super().__init__(message)
        self.check = check


@dataclass(frozen=True)
class ResolvedMethod:
    """An Ed25519 public key, the method it came from and who controls it."""

    public_key: Ed25519PublicKey
    method_id: str
    controller: str


def resolve_ed25519_method(method_id: Any, *, issuer_id: str, resolver: Resolver,
                           proof_created: datetime | None = None) -> ResolvedMethod:
    """Return the issuer-controlled Ed25519 key behind ``method_id``.

    Raises:
        MethodError: with ``check`` "key" (cannot get a key) or "issuer_key" (not the issuer's).
    """
    if isinstance(method_id, Mapping):
        method_id = method_id.get("id")
    if not isinstance(method_id, str) or not method_id:
        raise MethodError("key", "proof has no verificationMethod")

    if method_id.startswith("did:key:"):
        try:
            key = ed25519_from_did_key(method_id)
        except KeyFormatError as error:
            raise MethodError("key", str(error)) from None
        controller = method_id.split("#", 1)[0]
        _require_controller(controller, issuer_id)
        return ResolvedMethod(key, method_id, controller)

    if method_id.startswith("did:web:"):
        did = method_id.split("#", 1)[0]
        document = _fetch(did_web_url(did), resolver)
        method = _method_in(document, method_id)
        if method is None:
            raise MethodError("key", f"DID document of {did} has no verification method {method_id}")
        controller = _controller_of(method) or did
        _require_controller(controller, issuer_id)
        if controller != did:
            # The document at did:web URL of `did` speaks for `did` only, whatever it says it is.
            raise MethodError("issuer_key", f"{method_id} names {controller} as its controller, but the DID "
                                            f"document it was found in belongs to {did}")
        _require_authorized(document, method_id, controller)
        return ResolvedMethod(_key_of(method, proof_created), method_id, controller)

    if method_id.startswith(("https://", "http://")):
        base = method_id.split("#", 1)[0]
        document = _fetch(base, resolver)
        method = document if document.get("id") == method_id else _method_in(document, method_id)
        if method is None:
            raise MethodError("key", f"{base} does not describe verification method {method_id}")
        controller = _controller_of(method)
        if not controller:
            raise MethodError("issuer_key", f"verification method {method_id} names no controller")
        _require_controller(controller, issuer_id)
        # Only the document at the controller's own URL may authorize the method: a document served
        # elsewhere (at the method's URL) can claim any "id" it likes.
        controller_document = document if base == controller else _fetch(controller, resolver)
        _require_authorized(controller_document, method_id, controller)
        return ResolvedMethod(_key_of(method, proof_created), method_id, controller)

    raise MethodError("key", f"verification method {method_id!r} uses an unsupported scheme")


def _fetch(url: str, resolver: Resolver) -> Mapping[str, Any]:
    try:
        document = resolver(url)
    except ResolveError as error:
        raise MethodError("key", f"could not retrieve {url}: {error}") from None
    if not isinstance(document, Mapping):
        raise MethodError("key", f"{url} did not return a JSON object")
    return document


def _method_in(document: Mapping[str, Any], method_id: str) -> Mapping[str, Any] | None:
    for relation in ("verificationMethod", "assertionMethod"):
        for entry in as_list(document.get(relation)):
            if isinstance(entry, Mapping) and entry.get("id") == method_id:
                return entry
    return None


def _controller_of(method: Mapping[str, Any]) -> str | None:
    controller = method.get("controller")
    if isinstance(controller, Mapping):
        controller = controller.get("id")
    return controller if isinstance(controller, str) else None


def _require_controller(controller: str, issuer_id: str) -> None:
    if controller != issuer_id:
        raise MethodError("issuer_key", f"key is controlled by {controller}, not by the issuer {issuer_id}")


def _require_authorized(document: Mapping[str, Any], method_id: str, controller: str) -> None:
    if document.get("id") != controller:
        raise MethodError("issuer_key", f"controller document id {document.get('id')!r} is not {controller}")
    for entry in as_list(document.get("assertionMethod")):
        if entry == method_id or (isinstance(entry, Mapping) and entry.get("id") == method_id):
            return
    raise MethodError("issuer_key", f"{controller} does not list {method_id} under assertionMethod")


def _key_of(method: Mapping[str, Any], proof_created: datetime | None) -> Ed25519PublicKey:
    if method.get("type") not in ED25519_METHOD_TYPES:
        raise MethodError("key", f"verification method type {method.get('type')!r} is not an Ed25519 key type")
    revoked = method.get("revoked")
    if revoked is not None:
        try:
            revoked_at = parse_datetime(revoked)
        except TimeFormatError:
            raise MethodError("key", "verification method has an unreadable 'revoked' date") from None
        if proof_created is None or proof_created >= revoked_at:
            raise MethodError("key", f"verification method was revoked at {revoked}")
    try:
        return ed25519_from_multibase(method.get("publicKeyMultibase"))
    except KeyFormatError as error:
        raise MethodError("key", str(error)) from None

