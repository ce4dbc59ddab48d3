"""Composing OB 3.0 credentials (lti_tool.core.openbadges.compose) and the golden credentials.

Golden files (``fixtures/golden``) were made by ``fixtures/make_golden.py`` from the fixed clock
and keys in ``fixtures/corekit.py``, reviewed, and checked once with jsonld.js (identical canonical
N-Quads) and Digital Bazaar's verifier (verified). Regenerate them only deliberately.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import replace
from datetime import timedelta

import pytest

from lti_tool.core.api import verify
from lti_tool.core.data import (
    AchievementDefinition,
    Alignment,
    IdentityObject,
    RegistrarMetadata,
    ResultDescription,
)
from lti_tool.core.openbadges.compose import (
    OB_CREDENTIAL_SCHEMA,
    CompositionError,
    compose_credential,
    criteria_narrative,
    hash_identity,
    identity_object,
)
from tests.core.fixtures.corekit import (
    CLOCK,
    GOLDEN_CLAIMS,
    GOLDEN_DIR,
    ISSUER_ID,
    STATUS_LIST_URL,
    full_claims,
    issue_golden,
    minimal_achievement,
    minimal_claims,
)

VC_V2 = "https://www.w3.org/ns/credentials/v2"
OB_303 = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
EXTENSIONS = "https://purl.imsglobal.org/spec/ob/v3p0/extensions.json"


def golden_json(name):
    return json.loads((GOLDEN_DIR / f"credential_{name}.json").read_text(encoding="utf-8"))


def golden_jwt(name):
    return (GOLDEN_DIR / f"credential_{name}.jwt").read_text(encoding="ascii").strip()


@pytest.mark.parametrize("name", sorted(GOLDEN_CLAIMS))
def test_signed_credential_matches_golden(canonicalizer, name):
    issued = issue_golden(name, canonicalizer)
    assert issued.credential == golden_json(name)
    assert json.dumps(issued.credential, indent=2, ensure_ascii=False) + "\n" == (
        GOLDEN_DIR / f"credential_{name}.json").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(GOLDEN_CLAIMS))
def test_vc_jwt_matches_golden(canonicalizer, name):
    assert issue_golden(name, canonicalizer).jwt == golden_jwt(name)


@pytest.mark.parametrize("name", sorted(GOLDEN_CLAIMS))
def test_golden_credentials_verify(world, name):
    now = CLOCK + timedelta(days=30)
    for data in (golden_json(name), golden_jwt(name)):
        result = verify(data, now=now, resolver=world.resolve, canonicalizer=world.canonicalizer)
        assert result.verified, result.as_dict()


def test_golden_jwt_payload_is_the_golden_credential_without_proof():
    for name in GOLDEN_CLAIMS:
        payload_part = golden_jwt(name).split(".")[1]
        payload = json.loads(base64.urlsafe_b64decode(payload_part + "=" * (-len(payload_part) % 4)))
        credential = {k: v for k, v in golden_json(name).items() if k != "proof"}
        assert {k: v for k, v in payload.items() if k not in ("iss", "jti", "nbf", "sub", "exp")} == credential


def test_minimal_shape():
    credential = compose_credential(minimal_claims())
    assert credential["@context"] == [VC_V2, OB_303, EXTENSIONS]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {"id": ISSUER_ID, "type": ["Profile"], "name": "Example University",
                                    "url": "https://example.edu"}
    assert credential["validFrom"] == "2026-01-15T10:00:00Z"
    assert credential["name"] == "Teamwork"  # defaults to the achievement's name
    assert credential["credentialSchema"] == [OB_CREDENTIAL_SCHEMA]
    subject = credential["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    assert subject["achievement"]["type"] == ["Achievement"]
    assert subject["achievement"]["criteria"] == {"narrative": "Nominated by peers and confirmed by the instructor."}
    for absent in ("validUntil", "awardedDate", "description", "image", "evidence", "credentialStatus", "proof"):
        assert absent not in credential
    assert "identifier" not in subject
    assert "null" not in json.dumps(compose_credential(full_claims()))


def test_no_schema_variant_drops_schema_and_extension_context():
    credential = compose_credential(replace(minimal_claims(), include_schema=False))
    assert credential["@context"] == [VC_V2, OB_303]
    assert "credentialSchema" not in credential


def test_full_shape():
    credential = compose_credential(full_claims())
    subject = credential["credentialSubject"]
    achievement = subject["achievement"]
    assert credential["validUntil"] > credential["validFrom"]
    assert credential["awardedDate"] == "2026-01-14T10:00:00Z"
    assert credential["image"] == achievement["image"]
    assert credential["credentialStatus"] == {
        "id": f"{STATUS_LIST_URL}#4242", "type": "BitstringStatusListEntry", "statusPurpose": "revocation",
        "statusListIndex": "4242", "statusListCredential": STATUS_LIST_URL}
    assert [e.get("id") for e in credential["evidence"]] == ["https://badges.example.edu/evidence/42/capstone", None]
    assert all(e["type"] == ["Evidence"] for e in credential["evidence"])
    assert [a["targetType"] for a in achievement["alignment"]] == ["CFItem", "ceasn:Competency",
                                                                   "ext:OSMTRichSkillDescriptor"]
    assert [r["resultType"] for r in achievement["resultDescription"]] == ["LetterGrade", "Status", "Percent"]
    assert [r["type"] for r in subject["result"]] == [["Result"]] * 3
    assert subject["creditsEarned"] == 3.0
    assert achievement["creditsAvailable"] == 3.0
    assert subject["activityStartDate"] == "2025-09-01"
    assert subject["activityEndDate"] == "2025-12-15"
    assert subject["term"] == "Fall 2025"
    hashed, plain = subject["identifier"]
    assert hashed["hashed"] is True and hashed["salt"] == "b4c7e1d2"
    assert hashed["identityHash"] == "sha256$" + hashlib.sha256(b"ana.lopez@example.edu" + b"b4c7e1d2").hexdigest()
    assert plain == {"type": "IdentityObject", "identityHash": "S-0042", "identityType": "sisSourcedId",
                     "hashed": False}
    assert credential["issuer"]["parentOrg"]["type"] == ["Profile"]
    assert achievement["related"][0]["type"] == ["Related"]
    assert achievement["otherIdentifier"][0]["identifierType"] == "sisSourcedId"
    narrative = achievement["criteria"]["narrative"]
    assert narrative.startswith("Complete all four modules")
    for fact in ("**Credit type:** Credit-bearing", "**Clock hours:** 45", "**Effective:** 2025-09-01",
                 "**Offered until:** 2027-08-31", "**Level:** Undergraduate, lower division"):
        assert fact in narrative


def test_registrar_facts_without_narrative():
    achievement = replace(minimal_achievement(), criteria_narrative=None,
                          registrar=RegistrarMetadata(credit_type="non-credit", clock_hours=1.5))
    assert criteria_narrative(achievement) == "- **Credit type:** Non-credit\n- **Clock hours:** 1.5"


def test_criteria_id_alone_is_enough():
    achievement = replace(minimal_achievement(), criteria_narrative=None,
                          criteria_id="https://badges.example.edu/criteria/1")
    credential = compose_credential(minimal_claims(achievement=achievement))
    assert credential["credentialSubject"]["achievement"]["criteria"] == {"id": "https://badges.example.edu/criteria/1"}


# --- refusals ----------------------------------------------------------------------------------

def _with_achievement(**changes):
    return minimal_claims(achievement=replace(minimal_achievement(), **changes))


@pytest.mark.parametrize(("claims", "message"), [
    (minimal_claims(subject_id=None), "credentialSubject needs an id"),
    (minimal_claims(valid_until=CLOCK), "validUntil must be after validFrom"),
    (minimal_claims(valid_until=CLOCK - timedelta(seconds=1)), "validUntil must be after validFrom"),
    (_with_achievement(achievement_type="Badges"), "achievementType"),
    (_with_achievement(achievement_type="badge"), "achievementType"),
    (_with_achievement(alignments=(Alignment("x", "https://e.org/x", target_type="CASE"),)), "targetType"),
    (_with_achievement(result_descriptions=(ResultDescription("https://e.org/r", "r", result_type="Grade"),)),
     "resultType"),
    (_with_achievement(criteria_narrative=None), "criteria"),
    (_with_achievement(criteria_narrative="   "), "criteria"),
])
def test_composition_errors(claims, message):
    with pytest.raises(CompositionError, match=message):
        compose_credential(claims)


def test_identifiers_without_subject_id_are_enough():
    claims = minimal_claims(subject_id=None, identifiers=(identity_object("emailAddress", "a@b.edu", salt="s"),))
    credential = compose_credential(claims)
    assert "id" not in credential["credentialSubject"]
    assert credential["credentialSubject"]["identifier"][0]["identityType"] == "emailAddress"


@pytest.mark.parametrize("identity_type", ["email", "Email", "studentNumber", ""])
def test_bad_identity_type(identity_type):
    with pytest.raises(CompositionError, match="identityType"):
        identity_object(identity_type, "x", salt=None)


def test_extension_enum_values_are_allowed():
    achievement = AchievementDefinition(id="https://e.org/a", name="n", description="d", criteria_narrative="c",
                                        achievement_type="ext:Micro")
    assert compose_credential(minimal_claims(achievement=achievement))["credentialSubject"]["achievement"][
        "achievementType"] == "ext:Micro"
    assert identity_object("ext:badgeNumber", "7", salt=None).identity_type == "ext:badgeNumber"


# --- identity hashing -------------------------------------------------------------------------------

def test_email_hash_normalizes_case_and_whitespace():
    expected = "sha256$" + hashlib.sha256(("ana@example.edu" + "pepper").encode("utf-8")).hexdigest()
    assert hash_identity("  Ana@Example.EDU ", "pepper", "emailAddress") == expected
    assert hash_identity("ana@example.edu", "pepper", "emailAddress") == expected


def test_other_identities_are_hashed_verbatim():
    expected = "sha256$" + hashlib.sha256(("  Ana " + "pepper").encode("utf-8")).hexdigest()
    assert hash_identity("  Ana ", "pepper", "name") == expected
    assert hash_identity("  Ana ", "pepper") == expected


def test_identity_object_hashed_and_plain():
    hashed = identity_object("emailAddress", "Ana@Example.edu", salt="s1")
    assert hashed == IdentityObject(identity_type="emailAddress", hashed=True, salt="s1",
                                    identity_hash="sha256$" + hashlib.sha256(b"ana@example.edus1").hexdigest())
    plain = identity_object("sisSourcedId", "S-1", salt=None)
    assert plain == IdentityObject(identity_type="sisSourcedId", identity_hash="S-1", hashed=False)
