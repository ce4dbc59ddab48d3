"""Fixtures for the services tests: a course in a tenant."""

from __future__ import annotations

import pytest

from lti_tool.models import LtiContext, LtiDeployment, LtiPlatform, LtiRegistration


@pytest.fixture
def course(issuer):
    platform = LtiPlatform.objects.create(issuer="https://moodle.example.edu", name="Moodle", family="moodle")
    registration = LtiRegistration.objects.create(
        platform=platform, client_id="c1", status="active", auth_login_url="https://moodle.example.edu/auth",
        key_set_url="https://moodle.example.edu/jwks")
    deployment = LtiDeployment.objects.create(registration=registration, deployment_id="1", status="active",
                                              issuer=issuer, name="Moodle")
    return LtiContext.objects.create(deployment=deployment, context_id="42", title="Intro to Data")
