"""Fixtures for the Django side: an issuer with keys, an achievement, learners."""

from __future__ import annotations

import pytest

from lti_tool.models import LtiContext, LtiDeployment, LtiPlatform, LtiRegistration
from lti_tool.services.achievements import achievement_define
from lti_tool.services.issuers import issuer_create
from lti_tool.services.learners import learner_find_or_create

BASIC_SPEC = {
    "name": "Lab Safety",
    "description": "Works safely in the teaching laboratory.",
    "criteria": {"narrative": "Pass the lab safety quiz."},
    "status": "active",
}


@pytest.fixture
def issuer(db):
    return issuer_create(name="Example University", url="https://example.edu", email="registrar@example.edu")


@pytest.fixture
def achievement(issuer):
    return achievement_define(issuer=issuer, spec=BASIC_SPEC)


@pytest.fixture
def make_achievement(issuer):
    def make(**overrides):
        return achievement_define(issuer=issuer, spec={**BASIC_SPEC, **overrides})

    return make


@pytest.fixture
def learner(db):
    return learner_find_or_create(email="ana@example.edu", sis_id="S123", name="Ana Student", source="test")


@pytest.fixture
def other_learner(db):
    return learner_find_or_create(email="ben@example.edu", name="Ben Student", source="test")


@pytest.fixture
def course(issuer):
    platform = LtiPlatform.objects.create(issuer="https://moodle.example.edu", name="Moodle", family="moodle")
    registration = LtiRegistration.objects.create(
        platform=platform, client_id="c1", status="active", auth_login_url="https://moodle.example.edu/auth",
        key_set_url="https://moodle.example.edu/jwks")
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1", status="active",
                                              issuer=issuer, name="Moodle")
    return LtiContext.objects.create(deployment=deployment, context_id="42", title="Intro to Data")
