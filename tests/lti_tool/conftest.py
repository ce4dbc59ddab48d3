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


@pytest.fixture
def moodle(course):
    """The Moodle 5.1 AGS/NRPS emulation over HTTP, wired to ``course`` as a launch would have."""
    from django.core.cache import cache

    from lti_tool.lti import advantage as adv
    from lti_tool.services.lti_keys import lti_tool_jwks, lti_tool_key_create
    from tests.lti_tool.lti.moodle_services import MoodleServices

    cache.clear()  # access tokens are cached per registration; another test's platform had the same ids
    lti_tool_key_create()
    services = MoodleServices(client_id="c1", tool_jwks=lti_tool_jwks())
    registration = course.deployment.registration
    registration.auth_token_url = services.token_url
    registration.save()
    course.ags_lineitems_url, course.nrps_url = services.lineitems_url, services.memberships_url
    course.ags_scopes = [adv.AGS_LINEITEM, adv.AGS_RESULT_READONLY, adv.AGS_SCORE, adv.NRPS_READONLY]
    course.save()
    yield services
    services.close()
