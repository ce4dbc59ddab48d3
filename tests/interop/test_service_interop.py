"""Credentials issued by the running service verify in Digital Bazaar's vc and DCC verifier-core.

The service runs on loopback (Django's live server); both Node verifiers resolve our issuer profile,
key documents and status list over HTTP from it, with their own copies of the JSON-LD contexts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from lti_tool.services.achievements import achievement_define
from lti_tool.services.awards import award_issue, award_revoke
from lti_tool.services.images import image_store
from lti_tool.services.issuers import issuer_create, issuer_rotate_keys
from lti_tool.services.learners import learner_find_or_create

from .node import verify_with_dcc, verify_with_digitalbazaar

pytestmark = [pytest.mark.interop, pytest.mark.django_db(transaction=True)]
DEMO = Path(__file__).resolve().parents[2] / "lti_tool" / "demo"


@pytest.fixture
def site(live_server, settings, node_verifiers):
    settings.ACCOLADE = {**settings.ACCOLADE, "PUBLIC_URL": live_server.url}
    return live_server.url


@pytest.fixture
def achievement(site):
    issuer = issuer_create(name="Lakeside University", url="https://lakeside.example.edu",
                           email="registrar@lakeside.example.edu")
    spec = yaml.safe_load((DEMO / "data-literacy.yaml").read_text())
    return achievement_define(issuer=issuer, spec=spec,
                              image=image_store(data=(DEMO / "data-literacy.svg").read_bytes()))


def learner(n: int):
    return learner_find_or_create(email=f"learner{n}@lakeside.example.edu", sis_id=f"L{n:05d}",
                                  name=f"Learner {n}", source="test")


def show(result: dict) -> str:
    return json.dumps({k: v for k, v in result.items() if k != "stderr"}, indent=1)[:4000]


def test_service_credentials_verify_and_revocation_is_seen(site, achievement):
    kept = award_issue(achievement=achievement, learner=learner(1), issued_by="test", narrative="Top of the cohort",
                       evidence=[{"id": "https://lms.example.edu/mod/assign/view.php?id=7&action=grading",
                                  "name": "Capstone", "narrative": "Form feed \f and café ✓"}])
    revoked = award_issue(achievement=achievement, learner=learner(2), issued_by="test")
    award_revoke(award=revoked, reason="Issued in error", revoked_by="registrar")
    credentials = [kept.credential, revoked.credential]

    db_kept, db_revoked = verify_with_digitalbazaar(credentials, site)
    assert db_kept["verified"] is True and db_kept["revoked"] is False, show(db_kept)
    assert db_revoked["verified"] is False and db_revoked["revoked"] is True, show(db_revoked)

    dcc_kept, dcc_revoked = verify_with_dcc(credentials, site)
    assert dcc_kept["verified"] is True and dcc_kept["revoked"] is False, show(dcc_kept)
    assert dcc_revoked["verified"] is False and dcc_revoked["revoked"] is True, show(dcc_revoked)
    fetched = [entry["url"] for entry in db_kept["loaded"] if entry["source"] == "http"]
    assert any(url.startswith(f"{site}/issuers/") for url in fetched), fetched
    assert any(url.startswith(f"{site}/status/") for url in fetched), fetched


def test_credentials_signed_before_key_rotation_still_verify(site, achievement):
    before = award_issue(achievement=achievement, learner=learner(3), issued_by="test")
    issuer_rotate_keys(issuer=achievement.issuer)
    after = award_issue(achievement=achievement, learner=learner(4), issued_by="test")
    for result in verify_with_digitalbazaar([before.credential, after.credential], site):
        assert result["verified"] is True, show(result)
    for result in verify_with_dcc([before.credential, after.credential], site):
        assert result["verified"] is True, show(result)


def test_a_clr_of_the_term_verifies_with_its_credentials_inside(site, achievement):
    from datetime import timedelta

    from django.utils import timezone

    from lti_tool.core.jsonld.loader import pinned_contexts
    from lti_tool.core.openbadges.clr import CLR_V2_CONTEXT
    from lti_tool.services.clr import clr_issue

    person = learner(9)
    award = award_issue(achievement=achievement, learner=person, issued_by="test")
    today = timezone.now().date()
    clr = clr_issue(issuer=achievement.issuer, learner=person, first=today - timedelta(days=120), last=today,
                    term="2026 Fall")
    assert clr["credentialSubject"]["verifiableCredential"] == [award.credential]
    # No npm package publishes the CLR 2.0 context: the verifier is given the pinned copy.
    [result] = verify_with_digitalbazaar([clr], site, documents={CLR_V2_CONTEXT: pinned_contexts()[CLR_V2_CONTEXT]})
    assert result["verified"] is True, show(result)
    [inside] = verify_with_digitalbazaar(clr["credentialSubject"]["verifiableCredential"], site)
    assert inside["verified"] is True, show(inside)
    clr["name"] = "Comprehensive Learner Record: someone else"
    [tampered] = verify_with_digitalbazaar([clr], site, documents={CLR_V2_CONTEXT: pinned_contexts()[CLR_V2_CONTEXT]})
    assert tampered["verified"] is False
