"""Hostile input: verify() reports, never raises, never fetches what it should not.

Each case starts from a valid credential of a working issuer where it makes sense, so the failure is
the hostile part's, not a missing key's.
"""

from __future__ import annotations

import base64
import json
import random

import pytest

from lti_tool.core.api import verify
from lti_tool.core.data import VerificationResult
from lti_tool.core.openbadges.compose import compose_credential
from lti_tool.core.openbadges.status_list import status_list_credential
from tests.core.fixtures.corekit import CLOCK, ISSUER_ID, STATUS_LIST_URL, full_claims
from tests.core.openbadges.verify.verify_helpers import LATER

EVIL = "https://evil.example/context.jsonld"
MIB = 1024 * 1024


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode("utf-8")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _nested_dict(depth: int) -> dict:
    root: dict = {}
    node = root
    for _ in range(depth):
        node["a"] = {}
        node = node["a"]
    return root


def _valid(world):
    return world.issue(full_claims()).credential


def _mutated(mutation):
    def build(world):
        credential = _valid(world)
        mutation(credential)
        return credential
    return build


def _status(**changes):
    def mutation(credential):
        credential["credentialStatus"].update(changes)
    return mutation


def _garbage_list(world):
    world.documents[STATUS_LIST_URL] = world.sign(status_list_credential(
        list_url=STATUS_LIST_URL, issuer_id=ISSUER_ID, encoded_list="u!!!not-base64!!!", valid_from=CLOCK))
    return _valid(world)


def _jwt_with(header=None, payload=None, signature="c2ln"):
    def build(world):
        body = payload if payload is not None else {k: v for k, v in _valid(world).items() if k != "proof"}
        head = header if header is not None else {"alg": "RS256", "kid": f"{ISSUER_ID}/keys/rsa-1"}
        return f"{_b64(head)}.{_b64(body)}.{signature}"
    return build


def _issuer_document_is_a_string(world):
    world.documents[ISSUER_ID] = "<html>not json</html>"
    return _valid(world)


def _status_list_is_a_list(world):
    world.documents[STATUS_LIST_URL] = [1, 2, 3]
    return _valid(world)


def _scoped_remote_context(credential):
    credential["@context"] = [*credential["@context"], {"note": {"@id": "https://e.example/note", "@context": EVIL}}]
    credential["note"] = {"x": "y"}


# (id, builder(world) -> data, check that must fail or None)
CASES = [
    ("empty-bytes", lambda w: b"", "parse"),
    ("nul-bytes", lambda w: b"\x00" * 10, "parse"),
    ("random-bytes", lambda w: random.Random(1234).randbytes(4096), "parse"),
    ("bom-garbage", lambda w: b"\xef\xbb\xbf{garbage", "parse"),
    ("six-mib-of-braces", lambda w: "{" * (6 * MIB), "parse"),
    ("six-mib-of-braces-bytes", lambda w: b"{" * (6 * MIB), "parse"),
    ("deep-list", lambda w: "[" * 10_000 + "]" * 10_000, "parse"),
    ("deep-object-text", lambda w: '{"a":' * 10_000 + "1" + "}" * 10_000, "parse"),
    ("deep-object-bytes", lambda w: ('{"a":' * 10_000 + "1" + "}" * 10_000).encode(), "parse"),
    ("deep-object-parsed", lambda w: _nested_dict(10_000), "parse"),
    ("json-array", lambda w: "[1, 2, 3]", "parse"),
    ("json-string", lambda w: '"hello"', "parse"),
    ("json-number", lambda w: "42", "parse"),
    ("python-list", lambda w: [_valid(w)], "parse"),
    ("python-none", lambda w: None, "parse"),
    ("non-string-keys", lambda w: {1: 2, None: 3}, "structure"),
    ("lone-surrogate-text", lambda w: "\ud800", "parse"),
    ("jwt-two-parts", lambda w: "eyJhbGciOiJSUzI1NiJ9.e30", "parse"),
    ("jwt-four-parts", lambda w: "a.b.c.d", "parse"),
    ("jwt-non-json-header", lambda w: f"{_b64(b'not json')}.{_b64({})}.c2ln", "parse"),
    ("jwt-header-array", _jwt_with(header=[1, 2]), "parse"),
    ("jwt-alg-none", _jwt_with(header={"alg": "none"}, signature=""), "parse"),
    ("jwt-payload-array", _jwt_with(payload=[1, 2]), "structure"),
    ("jwt-deep-payload", _jwt_with(payload=_nested_dict(100)), "parse"),
    ("jwt-bad-signature-b64", _jwt_with(signature="***"), "parse"),
    ("jwt-wrong-signature", _jwt_with(), "signature"),
    ("huge-base64", lambda w: "A" * (2 * MIB) + ".e30.c2ln", "parse"),
    ("https-alone", lambda w: "https://", "parse"),
    ("url-with-spaces", lambda w: "https://example.org/a b", "parse"),
    ("url-unresolvable", lambda w: "https://nowhere.example/badge", "parse"),
    ("context-import-unpinned", _mutated(lambda c: c["@context"].append({"@import": EVIL})), "jsonld"),
    ("context-scoped-unpinned", _mutated(_scoped_remote_context), "jsonld"),
    ("context-unpinned-url", _mutated(lambda c: c["@context"].append(EVIL)), "jsonld"),
    ("context-null-vocab", _mutated(lambda c: c["@context"].append({"@vocab": None})), "jsonld"),
    ("context-number", _mutated(lambda c: c.__setitem__("@context", 42)), "structure"),
    ("context-null", _mutated(lambda c: c.__setitem__("@context", None)), "structure"),
    ("proof-string", _mutated(lambda c: c.__setitem__("proof", "z3PHx")), "proof"),
    ("proof-junk-list", _mutated(lambda c: c.__setitem__("proof", [1, "x", None, [], {}])), "proof"),
    ("verification-method-number", _mutated(lambda c: c["proof"][0].__setitem__("verificationMethod", 42)), "key"),
    ("verification-method-object", _mutated(lambda c: c["proof"][0].__setitem__("verificationMethod", {})), "key"),
    ("verification-method-scheme", _mutated(lambda c: c["proof"][0].__setitem__("verificationMethod",
                                                                                  "ftp://x/key")), "key"),
    ("proof-value-number", _mutated(lambda c: c["proof"][0].__setitem__("proofValue", 7)), "signature"),
    ("proof-created-garbage", _mutated(lambda c: c["proof"][0].__setitem__("created", "soon")), "proof"),
    ("status-index-abc", _mutated(_status(statusListIndex="abc")), "status"),
    ("status-index-negative", _mutated(_status(statusListIndex="-1")), "status"),
    ("status-index-huge", _mutated(_status(statusListIndex=str(10**12))), "status"),
    ("status-index-list", _mutated(_status(statusListIndex=[1])), "status"),
    ("status-list-url-number", _mutated(_status(statusListCredential=5)), "status"),
    ("status-junk-list", _mutated(lambda c: c.__setitem__("credentialStatus", [1, None, "x"])), "jsonld"),
    ("encoded-list-garbage", _garbage_list, "status"),
    ("status-list-is-a-list", _status_list_is_a_list, "status"),
    ("issuer-document-string", _issuer_document_is_a_string, "key"),
    ("valid-from-yesterday", _mutated(lambda c: c.__setitem__("validFrom", "yesterday")), "validity"),
    ("valid-from-number", _mutated(lambda c: c.__setitem__("validFrom", 20260115)), "validity"),
    ("valid-until-garbage", _mutated(lambda c: c.__setitem__("validUntil", "never")), "validity"),
    ("type-42", _mutated(lambda c: c.__setitem__("type", 42)), "structure"),
    ("issuer-empty", _mutated(lambda c: c.__setitem__("issuer", {})), "structure"),
    ("issuer-number", _mutated(lambda c: c.__setitem__("issuer", 7)), "structure"),
    ("subject-empty-list", _mutated(lambda c: c.__setitem__("credentialSubject", [])), "structure"),
    ("subject-string", _mutated(lambda c: c.__setitem__("credentialSubject", "did:example:x")), "structure"),
    ("achievement-list", _mutated(lambda c: c["credentialSubject"].__setitem__("achievement", [])), "structure"),
    ("id-list", _mutated(lambda c: c.__setitem__("id", ["urn:x"])), "structure"),
    ("type-assertion-junk", lambda w: {"type": "Assertion", "id": 5}, "structure"),
    ("png-junk", lambda w: b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, None),
    ("svg-junk", lambda w: b"<svg><openbadges:credential>{</openbadges:credential>", None),
]


@pytest.mark.parametrize(("build", "check"), [(b, c) for _, b, c in CASES], ids=[name for name, _, _ in CASES])
def test_hostile_input_is_reported_not_raised(world, build, check):
    data = build(world)
    result = verify(data, now=LATER, resolver=world.resolve, canonicalizer=world.canonicalizer)
    assert isinstance(result, VerificationResult)
    assert result.verified is False
    assert result.errors, result.as_dict()
    assert all(isinstance(c.message, str) and c.message.strip() for c in result.errors)
    if check is not None:
        assert check in {c.name for c in result.errors}, result.as_dict()
    assert not any(url.startswith("https://evil.example") for url in world.requested)
    json.dumps(result.as_dict())  # always serializable for the web page and the API


def test_verify_does_not_fetch_jsonld_contexts_through_the_resolver(world):
    credential = compose_credential(full_claims())
    credential["@context"] = [*credential["@context"], EVIL]
    verify(credential, now=LATER, resolver=world.resolve, canonicalizer=world.canonicalizer)
    assert EVIL not in world.requested


def test_resolver_that_raises_something_unexpected_is_reported(world):
    def broken(url):
        raise RuntimeError("boom")

    result = verify(_valid(world), now=LATER, resolver=broken, canonicalizer=world.canonicalizer)
    assert result.verified is False
    assert result.errors and all(c.message for c in result.errors)
