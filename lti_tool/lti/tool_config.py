"""pylti1p3 tool configuration backed by our models (many platforms, clients and deployments).

pylti1p3 asks the tool config for a Registration (issuer + client_id: endpoints, key set URL and the
tool's signing key) and a Deployment. Only active registrations are returned; deployments are looked
up by the launch itself (see :mod:`.launch`), which parks unknown ones as pending.
"""

from __future__ import annotations

from pylti1p3.deployment import Deployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from ..models import LtiDeployment, LtiRegistration
from ..services.lti_keys import lti_tool_key_active, lti_tool_key_private_pem


def pylti_registration(registration: LtiRegistration) -> Registration:
    """Return the pylti1p3 Registration for one of ours, signing with the active tool key."""
    key = lti_tool_key_active()
    return (Registration()
            .set_issuer(registration.platform.issuer)
            .set_client_id(registration.client_id)
            .set_auth_login_url(registration.auth_login_url)
            .set_auth_token_url(registration.auth_token_url)
            .set_auth_audience(registration.auth_audience or None)
            .set_key_set_url(registration.key_set_url)
            .set_tool_private_key(lti_tool_key_private_pem(key))
            .set_tool_public_key(key.public_key_pem))


class DbToolConf(ToolConfAbstract):
    """Find registrations and deployments in the database; every issuer may have many client ids."""

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def find_registration_by_issuer(self, iss: str, *args, **kwargs) -> Registration:
        raise NotImplementedError("registrations are always found by issuer and client id")

    def find_registration_by_params(self, iss: str, client_id: str, *args, **kwargs) -> Registration | None:
        registration = (LtiRegistration.objects.select_related("platform")
                        .filter(platform__issuer=iss, client_id=client_id, status=LtiRegistration.Status.ACTIVE)
                        .first())
        return pylti_registration(registration) if registration else None

    def find_deployment(self, iss: str, deployment_id: str) -> Deployment | None:
        raise NotImplementedError("deployments are always found by issuer, client id and deployment id")

    def find_deployment_by_params(self, iss: str, deployment_id: str, client_id: str, *args, **kwargs
                                  ) -> Deployment | None:
        found = LtiDeployment.objects.filter(
            registration__platform__issuer=iss, registration__client_id=client_id, deployment_id=deployment_id,
            status=LtiDeployment.Status.ACTIVE).exists()
        return Deployment().set_deployment_id(deployment_id) if found else None
