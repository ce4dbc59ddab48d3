"""Public documents: content negotiation, caching, CORS, revocation signals."""

import json

import pytest

from lti_tool.services.awards import award_issue, award_revoke


@pytest.fixture
def award(achievement, learner):
    return award_issue(achievement=achievement, learner=learner, issued_by="test")


def test_credential_url_serves_json_to_machines_and_a_page_to_people(client, award):
    url = f"/credentials/{award.uuid}"
    machine = client.get(url, HTTP_ACCEPT="application/ld+json, application/json;q=0.9")
    assert machine["Content-Type"].startswith("application/ld+json")
    assert machine.json() == award.credential
    assert machine["Access-Control-Allow-Origin"] == "*"
    assert client.get(url, HTTP_ACCEPT="*/*")["Content-Type"].startswith("application/ld+json")
    person = client.get(url, HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert person["Content-Type"].startswith("text/html")
    assert b"Verified" in person.content and b"Lab Safety" in person.content


def test_issuer_profile_is_a_controller_document(client, issuer, award):
    document = client.get(f"/issuers/{issuer.uuid}", HTTP_ACCEPT="application/json").json()
    assert document["@context"][0] == "https://www.w3.org/ns/did/v1"
    method = award.credential["proof"][0]["verificationMethod"]
    assert method in document["assertionMethod"]
    key = client.get(method.removeprefix("http://testserver"), HTTP_ACCEPT="application/json").json()
    assert key["type"] == "Multikey" and key["controller"] == issuer.public_id


def test_rsa_key_url_is_a_bare_jwk_bound_to_the_issuer(client, issuer, award):
    from lti_tool.core.jose import parse_compact

    kid = parse_compact(award.credential_jwt).header["kid"]
    jwk = client.get(kid.removeprefix("http://testserver")).json()
    assert jwk["kty"] == "RSA" and jwk["iss"] == issuer.public_id and "d" not in jwk
    jwks = client.get(f"/issuers/{issuer.uuid}/jwks").json()
    assert jwk in jwks["keys"]
    assert jwk in client.get("/.well-known/jwks.json").json()["keys"]


def test_did_web_document(client, issuer):
    document = client.get(f"/issuers/{issuer.uuid}/did.json").json()
    assert document["id"] == f"did:web:testserver:issuers:{issuer.uuid}"
    assert document["assertionMethod"][0].startswith(document["id"] + "#z6Mk")


def test_status_list_has_caching_headers_and_revalidates(client, award):
    url = award.credential["credentialStatus"]["statusListCredential"].removeprefix("http://testserver")
    first = client.get(url)
    assert first.status_code == 200 and "max-age=" in first["Cache-Control"] and first["ETag"]
    assert client.get(url, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    award_revoke(award=award, reason="error", revoked_by="t")
    changed = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_ob2_hosted_assertion_is_gone_when_revoked(client, award):
    url = f"/ob2/assertions/{award.uuid}"
    assertion = client.get(url).json()
    assert assertion["verification"] == {"type": "HostedBadge"}
    assert client.get(assertion["image"].removeprefix("http://testserver")).status_code == 200
    assert assertion["recipient"]["hashed"] is True
    badge = client.get(assertion["badge"].removeprefix("http://testserver")).json()
    assert badge["type"] == "BadgeClass"
    issuer = client.get(badge["issuer"].removeprefix("http://testserver")).json()
    assert issuer["revocationList"].endswith("/revocations")
    award_revoke(award=award, reason="Plagiarism", revoked_by="t")
    gone = client.get(url)
    assert gone.status_code == 410 and gone.json()["revoked"] is True
    revocations = client.get(issuer["revocationList"].removeprefix("http://testserver")).json()
    assert f"urn:uuid:{award.uuid}" in {entry["id"] for entry in revocations["revokedAssertions"]}


@pytest.mark.parametrize("path", ["/credentials/00000000-0000-0000-0000-000000000000",
                                  "/issuers/00000000-0000-0000-0000-000000000000",
                                  "/status/00000000-0000-0000-0000-000000000000",
                                  "/credentials/not-a-uuid", "/images/00000000-0000-0000-0000-000000000000.png"])
def test_unknown_ids_are_404(client, db, path):
    assert client.get(path, HTTP_ACCEPT="application/json").status_code == 404


def test_baked_downloads_verify(client, award):
    from lti_tool.services.verification import credential_verify

    for url, fmt in [(f"/credentials/{award.uuid}/badge.svg", "ob3-data-integrity"),
                     (f"/credentials/{award.uuid}/badge.svg?proof=jwt", "ob3-vc-jwt"),
                     (f"/ob2/assertions/{award.uuid}/badge.svg", "ob2-signed")]:
        response = client.get(url)
        assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
        result = credential_verify(data=response.content)
        assert result.verified and result.format == fmt and result.details["baked"] == "svg"
    assert client.get(f"/credentials/{award.uuid}/badge.png").status_code == 404  # image is SVG


def test_achievement_json_and_page(client, achievement):
    document = client.get(f"/achievements/{achievement.uuid}", HTTP_ACCEPT="application/json").json()
    assert document["type"] == ["Achievement"] and document["issuer"] == achievement.issuer.public_id
    page = client.get(f"/achievements/{achievement.uuid}", HTTP_ACCEPT="text/html")
    assert b"Registrar information" in page.content
    json.dumps(document)
