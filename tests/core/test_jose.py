"""Compact JWS, RS256 only (lti_tool.core.jose)."""

from __future__ import annotations

import base64
import json

import pytest

from lti_tool.core.jose import MAX_COMPACT_JWS_BYTES, JwsFormatError, parse_compact, sign_compact, verify_signature
from tests.core.fixtures.corekit import RSA_KEY, rsa_signer


def _b64(value) -> str:
    raw = value if isinstance(value, bytes) else json.dumps(value).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def token(header=None, payload=None):
    return sign_compact(header or {"alg": "RS256"}, payload if payload is not None else {"a": 1}, rsa_signer().sign)


def test_sign_compact_encodes_compact_utf8_json():
    text = token({"alg": "RS256", "kid": "k"}, {"name": "Équipe", "n": [1, 2]})
    header, payload, _ = text.split(".")
    assert base64.urlsafe_b64decode(header + "==") == b'{"alg":"RS256","kid":"k"}'
    assert base64.urlsafe_b64decode(payload + "==") == '{"name":"Équipe","n":[1,2]}'.encode()


def test_round_trip_and_verify():
    parsed = parse_compact(token(payload={"x": "y"}))
    assert parsed.header == {"alg": "RS256"}
    assert parsed.payload == {"x": "y"}
    assert verify_signature(parsed, RSA_KEY.public_key())


def test_bytes_and_whitespace_are_accepted():
    text = token()
    assert parse_compact(f"  {text}\n".encode("ascii")).payload == {"a": 1}


def test_tampered_payload_does_not_verify():
    header, _, signature = token().split(".")
    parsed = parse_compact(f"{header}.{_b64({'a': 2})}.{signature}")
    assert not verify_signature(parsed, RSA_KEY.public_key())


def test_signature_over_header_matters():
    _, payload, signature = token().split(".")
    parsed = parse_compact(f"{_b64({'alg': 'RS256', 'kid': 'x'})}.{payload}.{signature}")
    assert not verify_signature(parsed, RSA_KEY.public_key())


@pytest.mark.parametrize(("text", "message"), [
    ("a.b", "2 parts"),
    ("a.b.c.d", "4 parts"),
    ("", "1 parts"),
    (f"{_b64(b'nope')}.{_b64({})}.", "base64url JSON"),
    (f"{_b64({'alg': 'RS256'})}.{_b64(b'nope')}.", "base64url JSON"),
    (f"{_b64({'alg': 'RS256'})}.{_b64({})}.***", "base64url JSON"),
    (f"{_b64([1])}.{_b64({})}.", "not a JSON object"),
    (f"{_b64({'alg': 'none'})}.{_b64({})}.", "RS256 only"),
    (f"{_b64({'alg': 'HS256'})}.{_b64({})}.c2ln", "RS256 only"),
    (f"{_b64({})}.{_b64({})}.c2ln", "RS256 only"),
    (f"{_b64({'alg': 'RS256', 'crit': ['b64']})}.{_b64({})}.c2ln", "crit"),
])
def test_malformed(text, message):
    with pytest.raises(JwsFormatError, match=message):
        parse_compact(text)


def test_deeply_nested_payload_is_refused_not_crashing():
    text = f"{_b64({'alg': 'RS256'})}.{_b64(b'[' * 100_000 + b']' * 100_000)}.c2ln"
    with pytest.raises(JwsFormatError):
        parse_compact(text)


@pytest.mark.parametrize("value", [None, 42, {"a": 1}, b"\xff\xfe"])
def test_non_text_is_refused(value):
    with pytest.raises(JwsFormatError):
        parse_compact(value)


def test_size_limit():
    with pytest.raises(JwsFormatError, match="larger"):
        parse_compact("a" * (MAX_COMPACT_JWS_BYTES + 1))
