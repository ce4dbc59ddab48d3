"""Our OB 3.0 credentials, checked by verifiers we did not write (no Django needed).

An issuer is built with the core API (fresh Ed25519 + RSA keys), its documents are served from a
loopback ``ThreadingHTTPServer``, and credentials it issues go to

* Digital Bazaar: ``@digitalbazaar/vc`` + ``DataIntegrityProof``/``eddsa-rdfc-2022`` +
  ``vc-bitstring-status-list`` (``verify_digitalbazaar.mjs``), offline but for the loopback server;
* DCC ``@digitalcredentials/verifier-core`` ``verifyCredential`` (``verify_dcc.mjs``), the Learner
  Credential Wallet's verifier, whose network access is limited to the loopback server too.

What "verified" means for each, precisely, is in the headers of those scripts. Both are Data Integrity
verifiers: the VC-JWT form (``IssuedCredential.jwt``) is out of their scope.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lti_tool.core.api import IssuingError, issue_credential, sign_document
from lti_tool.core.data import AchievementDefinition, CredentialClaims, Profile, StatusEntry
from lti_tool.core.encoding import b58_encode
from lti_tool.core.jsonld.canonicalize import Canonicalizer
from lti_tool.core.jsonld.loader import pinned_contexts
from lti_tool.core.keys import Ed25519Signer, RsaSigner, ed25519_public_multibase, rsa_public_jwk
from lti_tool.core.openbadges.clr import CLR_V2_CONTEXT
from lti_tool.core.openbadges.compose import (
    OB_CREDENTIAL_SCHEMA,
    OB_EXTENSIONS_CONTEXT,
    compose_credential,
    identity_object,
)
from lti_tool.core.openbadges.data_integrity import hash_data, proof_options
from lti_tool.core.openbadges.issuer_documents import (
    PublishedEd25519Key,
    issuer_profile_document,
    jwks,
    key_document,
)
from lti_tool.core.openbadges.status_list import Bitstring, status_list_credential

from .node import dump_contexts, verify_with_dcc, verify_with_digitalbazaar

pytestmark = [pytest.mark.interop, pytest.mark.usefixtures("node_verifiers")]

VECTOR = json.loads((Path(__file__).parents[1] / "core" / "fixtures" / "ob3_test_vector.json").read_text("utf-8"))


# --------------------------------------------------------------------------------------------------
# A loopback web server and an issuer that publishes to it
# --------------------------------------------------------------------------------------------------

class DocumentServer:
    """Serve JSON documents by URL path on 127.0.0.1 (random port) from a background thread."""

    def __init__(self) -> None:
        self._documents: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = urlsplit(self.path).path
                with server._lock:
                    server.requests.append(path)
                    document = server._documents.get(path)
                if document is None:
                    body, status, kind = b'{"error": "not found"}', 404, "application/json"
                else:
                    body, status = json.dumps(document).encode("utf-8"), 200
                    kind = "application/ld+json" if "@context" in document else "application/json"
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._httpd.server_address[1]}/"
        self._thread = threading.Thread(target=self._httpd.serve_forever, name="interop-docs", daemon=True)

    def __enter__(self) -> DocumentServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=10)

    def publish(self, url: str, document: Any) -> None:
        assert url.startswith(self.base_url), url
        assert "#" not in url, url
        with self._lock:
            self._documents[urlsplit(url).path] = copy.deepcopy(document)

    def requested(self, url: str) -> bool:
        with self._lock:
            return urlsplit(url).path in self.requests


class Issuer:
    """An issuer made and published with the core API, as the Django side would do it."""

    def __init__(self, server: DocumentServer, canonicalizer: Canonicalizer) -> None:
        self.server = server
        self.canonicalizer = canonicalizer
        # Five minutes ago: DB allows 300 s of clock skew, verifier-core none.
        self.now = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        self.id = f"{server.base_url}issuers/{uuid.uuid4()}"
        self.profile = Profile(id=self.id, name="Accolade Interop University", url="https://example.edu",
                               email="registrar@example.edu", description="Issuer made by test_core_interop")
        ed_key = Ed25519PrivateKey.generate()
        self.multibase = ed25519_public_multibase(ed_key.public_key())
        self.vm_id = f"{self.id}/keys/{self.multibase}"
        self.signer = Ed25519Signer(ed_key, verification_method=self.vm_id)
        rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = f"{self.id}/keys/rsa-1"
        self.jwt_signer = RsaSigner(rsa_key, self.kid)
        published = PublishedEd25519Key(self.vm_id, self.multibase)
        jwk = rsa_public_jwk(rsa_key.public_key(), kid=self.kid, issuer=self.id)
        server.publish(self.id, issuer_profile_document(self.profile, [published]))
        server.publish(self.vm_id, key_document(published, self.id))
        server.publish(self.kid, jwk)
        server.publish(f"{self.id}/jwks", jwks([jwk]))
        self.status_lists: dict[str, Bitstring] = {}

    def new_status_list(self) -> str:
        url = f"{self.id}/status/{uuid.uuid4()}"
        self.status_lists[url] = Bitstring()
        self.publish_status_list(url)
        return url

    def publish_status_list(self, url: str) -> dict[str, Any]:
        unsigned = status_list_credential(list_url=url, issuer_id=self.id,
                                          encoded_list=self.status_lists[url].encode(), valid_from=self.now)
        signed = sign_document(unsigned, signer=self.signer, created=self.now, canonicalizer=self.canonicalizer)
        self.server.publish(url, signed)
        return signed

    def revoke(self, url: str, index: int) -> None:
        self.status_lists[url].set(index)
        self.publish_status_list(url)

    def issue(self, *, name: str = "Teamwork", description: str = "Collaborates well within a group.",
              narrative: str = "Nominated by peers and confirmed by the instructor.", tags: tuple[str, ...] = (),
              status: StatusEntry | None = None, include_schema: bool = True,
              unportable: bool = False) -> dict[str, Any]:
        achievement = AchievementDefinition(
            id=f"{self.id}/achievements/{uuid.uuid4()}", name=name, description=description,
            criteria_narrative=narrative, tags=tags)
        claims = CredentialClaims(
            id=f"{self.id}/credentials/{uuid.uuid4()}", issuer=self.profile, achievement=achievement,
            valid_from=self.now, subject_id=f"urn:uuid:{uuid.uuid4()}",
            identifiers=(identity_object("emailAddress", "learner@example.edu", salt="pepper-1"),),
            status=status, include_schema=include_schema)
        if unportable:
            # What issue_credential refuses to make: sign without the JavaScript portability check.
            unsigned = compose_credential(claims)
            options = proof_options(verification_method=self.signer.verification_method, created=self.now)
            value = "z" + b58_encode(self.signer.sign(hash_data(unsigned, options, self.canonicalizer)))
            return {**unsigned, "proof": [{**options, "proofValue": value}]}
        issued = issue_credential(claims, signer=self.signer, created=self.now, canonicalizer=self.canonicalizer,
                                  jwt_signer=self.jwt_signer)
        assert issued.jwt, "issue_credential should also have made a VC-JWT"
        return issued.credential


@pytest.fixture(scope="module")
def canonicalizer() -> Canonicalizer:
    return Canonicalizer()


@pytest.fixture(scope="module")
def server() -> Iterator[DocumentServer]:
    with DocumentServer() as running:
        yield running


@pytest.fixture(scope="module")
def issuer(server: DocumentServer, canonicalizer: Canonicalizer) -> Issuer:
    return Issuer(server, canonicalizer)


# --------------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------------

def _show(result: dict[str, Any]) -> str:
    shown = {key: value for key, value in result.items() if key != "stderr"}
    return json.dumps(shown, indent=1, ensure_ascii=False)[:6000]


def _dcc_log(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["id"]: entry for entry in result["raw"].get("log", [])}


def _assert_db_ok(result: dict[str, Any], issuer: Issuer, *, revoked: bool | None) -> None:
    assert result["verified"] is True, _show(result)
    assert result["errors"] == [], _show(result)
    assert result["revoked"] is revoked, _show(result)
    raw = result["raw"]
    assert raw["verified"] is True, _show(result)
    (proof_result,) = raw["results"]
    assert proof_result["verificationMethod"]["id"] == issuer.vm_id
    assert proof_result["verificationMethod"]["controller"] == issuer.id
    assert proof_result["purposeResult"]["valid"] is True


def _assert_dcc_ok(result: dict[str, Any], *, revoked: bool | None) -> None:
    assert result["verified"] is True, _show(result)
    assert result["errors"] == [], _show(result)
    assert result["revoked"] is revoked, _show(result)
    log = _dcc_log(result)
    assert log["valid_signature"]["valid"] is True
    assert log["expiration"]["valid"] is True
    if revoked is not None:
        assert log["revocation_status"]["valid"] is (not revoked)
    # Trust-registry membership is not verification: no registries are configured, so it is false.
    assert log["registered_issuer"]["valid"] is False
    assert not result["raw"].get("errors")


# --------------------------------------------------------------------------------------------------
# Tests
# --------------------------------------------------------------------------------------------------

def test_verifiers_bundle_the_contexts_we_sign_with() -> None:
    """The npm copies of every context our credentials use are identical to the ones the core pins."""
    ours = pinned_contexts()
    used = ["https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
            OB_EXTENSIONS_CONTEXT]
    theirs = dump_contexts(list(ours))
    for url, context in ours.items():
        if url == "https://w3id.org/openbadges/v2":
            continue  # OB 2.0 assertions are not something these verifiers check
        if url == CLR_V2_CONTEXT:
            # No npm package publishes the CLR 2.0 context; ours is byte-identical to the 1EdTech
            # validator's copy (the manifest's SHA-256), and the CLR interop test hands it over.
            assert url not in theirs["digitalbazaar"] or theirs["digitalbazaar"][url] == context
            continue
        assert theirs["digitalbazaar"].get(url) == context, f"Digital Bazaar's copy of {url} differs from ours"
    for url in used:
        assert theirs["dcc"][url] == ours[url], f"DCC verifier-core's copy of {url} differs from ours"


def test_a_plain_credential_with_schema_and_extensions_verifies(issuer: Issuer, server: DocumentServer) -> None:
    """(a) + (g): no status; our default credentialSchema and extensions.json context are present."""
    credential = issuer.issue()
    assert credential["@context"][-1] == OB_EXTENSIONS_CONTEXT
    assert credential["credentialSchema"] == [OB_CREDENTIAL_SCHEMA]
    assert "credentialStatus" not in credential

    (db,) = verify_with_digitalbazaar([credential], server.base_url)
    _assert_db_ok(db, issuer, revoked=None)
    assert {(d["url"], d["source"]) for d in db["loaded"]} >= {(issuer.vm_id, "http"), (issuer.id, "http")}

    (dcc,) = verify_with_dcc([credential], server.base_url)
    _assert_dcc_ok(dcc, revoked=None)
    # verifier-core then fetches the 1EdTech JSON Schema; the network guard refuses it (offline test) and
    # verifier-core reports that as information, not as an error.
    assert OB_CREDENTIAL_SCHEMA["id"] in dcc["network"]["blocked"]
    assert issuer.vm_id in dcc["network"]["fetched"]
    assert issuer.id in dcc["network"]["fetched"]
    (schema_check,) = [e for e in dcc["raw"]["additionalInformation"] if e["id"] == "schema_check"]
    assert isinstance(schema_check["results"], str)
    assert schema_check["results"].startswith("INVALID_SCHEMA")


def test_b_credential_with_status_entry_is_not_revoked(issuer: Issuer, server: DocumentServer) -> None:
    list_url = issuer.new_status_list()
    credential = issuer.issue(status=StatusEntry(list_url, 4242))

    (db,) = verify_with_digitalbazaar([credential], server.base_url)
    _assert_db_ok(db, issuer, revoked=False)
    assert db["raw"]["statusResult"]["verified"] is True
    assert db["statusBits"] == [{"purpose": "revocation", "list": list_url, "index": "4242", "set": False}]

    (dcc,) = verify_with_dcc([credential], server.base_url)
    _assert_dcc_ok(dcc, revoked=False)
    assert list_url in dcc["network"]["fetched"]


def test_c_revocation_is_seen_after_republishing_the_list(issuer: Issuer, server: DocumentServer) -> None:
    """(c) Set one bit, re-sign and re-publish the list: that credential is revoked, its byte-neighbour not."""
    list_url = issuer.new_status_list()
    revoked = issuer.issue(name="Revoked", status=StatusEntry(list_url, 1000))  # 1000 % 8 == 0: a byte's MSB
    neighbour = issuer.issue(name="Kept", status=StatusEntry(list_url, 1001))
    before_db = verify_with_digitalbazaar([revoked, neighbour], server.base_url)
    before_dcc = verify_with_dcc([revoked, neighbour], server.base_url)
    for result in before_db:
        _assert_db_ok(result, issuer, revoked=False)
    for result in before_dcc:
        _assert_dcc_ok(result, revoked=False)

    issuer.revoke(list_url, 1000)

    db_revoked, db_neighbour = verify_with_digitalbazaar([revoked, neighbour], server.base_url)
    assert db_revoked["verified"] is False, _show(db_revoked)
    assert db_revoked["revoked"] is True, _show(db_revoked)
    # The signature and the status list are fine; only the bit is set (the library itself says verified).
    assert db_revoked["raw"]["verified"] is True
    assert db_revoked["raw"]["statusResult"]["verified"] is True
    assert db_revoked["statusBits"] == [{"purpose": "revocation", "list": list_url, "index": "1000", "set": True}]
    assert db_revoked["errors"] == [f"status: bit 1000 of {list_url} is set (statusPurpose revocation)"]
    _assert_db_ok(db_neighbour, issuer, revoked=False)

    dcc_revoked, dcc_neighbour = verify_with_dcc([revoked, neighbour], server.base_url)
    assert dcc_revoked["verified"] is False, _show(dcc_revoked)
    assert dcc_revoked["revoked"] is True, _show(dcc_revoked)
    log = _dcc_log(dcc_revoked)
    assert log["valid_signature"]["valid"] is True
    assert log["expiration"]["valid"] is True
    assert log["revocation_status"] == {"id": "revocation_status", "valid": False}
    assert not dcc_revoked["raw"].get("errors")
    assert dcc_revoked["errors"] == ["log revocation_status: valid is false"]
    _assert_dcc_ok(dcc_neighbour, revoked=False)


def test_d_tampered_credential_fails(issuer: Issuer, server: DocumentServer) -> None:
    credential = issuer.issue(name="Teamwork")
    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["name"] = "Leadership"

    db_ok, db_bad = verify_with_digitalbazaar([credential, tampered], server.base_url)
    _assert_db_ok(db_ok, issuer, revoked=None)
    assert db_bad["verified"] is False, _show(db_bad)
    assert db_bad["raw"]["verified"] is False, _show(db_bad)
    assert any("Invalid signature." in error for error in db_bad["errors"]), _show(db_bad)

    dcc_ok, dcc_bad = verify_with_dcc([credential, tampered], server.base_url)
    _assert_dcc_ok(dcc_ok, revoked=None)
    assert dcc_bad["verified"] is False, _show(dcc_bad)
    assert [e["name"] for e in dcc_bad["raw"]["errors"]] == ["invalid_signature"], _show(dcc_bad)
    # The key was fetched and used: this is a bad signature, not an unreachable key.
    assert issuer.vm_id in dcc_bad["network"]["fetched"]
    assert not dcc_bad["network"]["blocked"]


def test_e_1edtech_test_vector_verifies_in_digital_bazaar(canonicalizer: Canonicalizer,
                                                          server: DocumentServer) -> None:
    """(e) The 1EdTech OB 3.0 proof test vector, signed by our core, verifies in Digital Bazaar.

    Its issuer (https://example.edu/issuers/565049) is not ours to serve, and its verification method is
    ``issuer#z6Mk…``, so the key and controller documents (built with the core) are handed to the
    Digital Bazaar loader by URL instead. verifier-core cannot take documents that way; it is not run.
    """
    options = VECTOR["proof_options"]
    vm_id, issuer_id = options["verificationMethod"], VECTOR["unsigned"]["issuer"]["id"]
    signer = Ed25519Signer(Ed25519PrivateKey.from_private_bytes(bytes.fromhex(VECTOR["private_key_hex"])), vm_id)
    assert signer.public_key_multibase == VECTOR["public_key_multibase"]
    signed = sign_document(VECTOR["unsigned"], signer=signer, created=datetime(2010, 1, 1, 19, 23, 24, tzinfo=UTC),
                           canonicalizer=canonicalizer)
    assert signed["proof"] == [{**options, "proofValue": VECTOR["proof_value"]}]

    key = PublishedEd25519Key(vm_id, VECTOR["public_key_multibase"])
    profile = Profile(id=issuer_id, name="Example Corp", url="https://www.imsglobal.org")
    documents = {vm_id: key_document(key, issuer_id), issuer_id: issuer_profile_document(profile, [key])}

    (db,) = verify_with_digitalbazaar([signed], server.base_url, documents=documents)
    assert db["verified"] is True, _show(db)
    assert db["errors"] == [], _show(db)
    assert db["raw"]["results"][0]["verificationMethod"]["publicKeyMultibase"] == VECTOR["public_key_multibase"]
    assert {(d["url"], d["source"]) for d in db["loaded"]} == {(vm_id, "documents"), (issuer_id, "documents")}

    # Without the documents map the loader refuses example.edu (it never goes to the internet).
    (db_offline,) = verify_with_digitalbazaar([signed], server.base_url)
    assert db_offline["verified"] is False, _show(db_offline)
    assert {"url": vm_id, "source": "refused"} in db_offline["loaded"]

    # And the published vector, byte for byte, verifies too (it is the same document).
    published = {**VECTOR["unsigned"], "proof": {**options, "proofValue": VECTOR["proof_value"]}}
    (db_published,) = verify_with_digitalbazaar([published], server.base_url, documents=documents)
    assert db_published["verified"] is True, _show(db_published)


# Text that stresses RDFC-1.0 literal escaping: ECHARs (\b \f \t \n \r \" \\), UCHARs for other C0
# controls and DEL, and raw UTF-8 for everything else.
STRESS_NAME = "Café 数据 ✓ \u00e9\u0301 \u2028"
STRESS_DESCRIPTION = "form feed:\f backspace:\b soh:\u0001 del:\u007f vt:\u000b esc:\u001b nul-free."
STRESS_NARRATIVE = 'Emoji 🎓 and quotes "x" \\ backslash\ttab\r\nCRLF'


def test_f_canonicalization_stress_verifies(issuer: Issuer, server: DocumentServer) -> None:
    """(f) Our canonical N-Quads escaping matches rdf-canonize's (Digital Bazaar; DCC uses rdf-canonize too)."""
    credential = issuer.issue(name=STRESS_NAME, description=STRESS_DESCRIPTION, narrative=STRESS_NARRATIVE,
                              tags=("Café", "数据", "🎓"))
    assert credential["credentialSubject"]["achievement"]["description"] == STRESS_DESCRIPTION

    (db,) = verify_with_digitalbazaar([credential], server.base_url)
    _assert_db_ok(db, issuer, revoked=None)

    (dcc,) = verify_with_dcc([credential], server.base_url)
    _assert_dcc_ok(dcc, revoked=None)


def _utf16_sorted_differently(canonical: str) -> bool:
    lines = canonical.splitlines(keepends=True)
    return sorted(lines) != sorted(lines, key=lambda line: line.encode("utf-16-be"))


def test_f2_emoji_vs_high_bmp_sibling_values_are_refused_at_issue(issuer: Issuer, server: DocumentServer,
                                                                  canonicalizer: Canonicalizer) -> None:
    """Known divergence: rdf-canonize sorts N-Quads by UTF-16 code units, RDFC-1.0 by code points.

    Two sibling values equal up to a character where one has a supplementary-plane character (an emoji:
    UTF-16 surrogates) and the other a character in U+E000-U+FFFF (here U+FF21) sort one way by code
    point (the spec, our core) and the other by UTF-16 code unit (rdf-canonize). The canonical documents
    differ, so Digital Bazaar and DCC would report "Invalid signature." Our issuing therefore refuses
    such text. This test shows both halves: the refusal, and why (the JS verdict on a credential signed
    without the check).
    """
    with pytest.raises(IssuingError, match="sort differently"):
        issuer.issue(name="Divergence", tags=("x🎓", "x\uff21"))
    credential = issuer.issue(name="Divergence", tags=("x🎓", "x\uff21"), unportable=True)
    unsecured = {key: value for key, value in credential.items() if key != "proof"}
    assert _utf16_sorted_differently(canonicalizer.canonicalize(unsecured))

    (db,) = verify_with_digitalbazaar([credential], server.base_url)
    assert db["verified"] is False, _show(db)
    assert any("Invalid signature." in error for error in db["errors"]), _show(db)

    (dcc,) = verify_with_dcc([credential], server.base_url)
    assert dcc["verified"] is False, _show(dcc)
    assert [e["name"] for e in dcc["raw"]["errors"]] == ["invalid_signature"], _show(dcc)

    # Control: the same pair without the high-BMP character sorts identically both ways and verifies.
    control = issuer.issue(name="Divergence control", tags=("x🎓", "xA"))
    assert not _utf16_sorted_differently(
        canonicalizer.canonicalize({key: value for key, value in control.items() if key != "proof"}))
    (db_control,) = verify_with_digitalbazaar([control], server.base_url)
    _assert_db_ok(db_control, issuer, revoked=None)


def test_f3_noncharacters_are_refused_at_issue_and_canonicalize_like_rdf_canonize(issuer: Issuer,
                                                                                   server: DocumentServer) -> None:
    """Text with U+FFFE/U+FFFF (e.g. from a broken PDF extraction): issuing refuses it; a credential that
    holds it anyway canonicalizes as rdf-canonize does, so both verifiers accept it."""
    with pytest.raises(IssuingError, match="noncharacter"):
        issuer.issue(name="Noncharacters \ufffe and \uffff")
    credential = issuer.issue(name="Noncharacters \ufffe and \uffff", unportable=True)
    (db,) = verify_with_digitalbazaar([credential], server.base_url)
    (dcc,) = verify_with_dcc([credential], server.base_url)
    assert db["verified"] is True, _show(db)
    assert dcc["verified"] is True, _show(dcc)
