"""Fixtures for LTI tests: an emulated platform (lti1p3platform) registered with our tool, with an issuer."""

import pytest

from lti_tool.models import LtiDeployment

from .platforms import JwksServer, Platform, new_rsa_key


@pytest.fixture(scope="session")
def platform_key_pair():
    """One RSA key pair for the default platform of every test (generating one per test is slow).

    Each test still gets its own kid, JWKS server and database; tests that need other keys rotate.
    """
    return new_rsa_key()


@pytest.fixture
def jwks_server():
    server = JwksServer()
    yield server
    server.close()


@pytest.fixture
def platform(db, jwks_server, platform_key_pair):
    private_pem, public_pem = platform_key_pair
    return Platform(issuer="https://moodle.example.edu", client_id="client-1", deployment_id="1",
                    jwks_server=jwks_server, private_pem=private_pem, public_pem=public_pem)


@pytest.fixture
def deployment(platform, issuer):
    registration = platform.register()
    return LtiDeployment.objects.create(registration=registration, deployment_id=platform.deployment_id,
                                        status="active", issuer=issuer, name="Example Moodle")
