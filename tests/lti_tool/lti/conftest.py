"""Fixtures for LTI tests: an emulated platform (lti1p3platform) registered with our tool, with an issuer."""

import pytest

from lti_tool.models import LtiDeployment

from .platforms import JwksServer, Platform


@pytest.fixture
def jwks_server():
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture
def platform(db, jwks_server):
    return Platform(issuer="https://moodle.example.edu", client_id="client-1", deployment_id="1",
                    jwks_server=jwks_server)


@pytest.fixture
def deployment(platform, issuer):
    registration = platform.register()
    return LtiDeployment.objects.create(registration=registration, deployment_id=platform.deployment_id,
                                        status="active", issuer=issuer, name="Example Moodle")
