"""System checks: refuse to run in production without the secrets the service needs."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from .conf import tool_settings
from .key_encryption import KeyEncryptionError, current_kek


@register(Tags.security, deploy=False)
def check_secrets(app_configs=None, **kwargs):
    """Require SECRET_KEY, ACCOLADE_KEK, an HTTPS public URL and no demo LMS in production."""
    production = getattr(settings, "PRODUCTION", False)
    problems = []
    insecure_key = getattr(settings, "INSECURE_DEV_SECRET_KEY", None)
    if production and (not settings.SECRET_KEY or settings.SECRET_KEY == insecure_key):
        problems.append(Error("SECRET_KEY is not set", hint="Set SECRET_KEY in the environment.", id="lti_tool.E001"))
    try:
        current_kek()
    except KeyEncryptionError as error:
        level = Error if production else Warning
        problems.append(level(str(error), hint="Private signing keys are encrypted with ACCOLADE_KEK.",
                              id="lti_tool.E002" if production else "lti_tool.W002"))
    if production and not tool_settings.public_url.startswith("https://"):
        problems.append(Error("ACCOLADE_PUBLIC_URL must be an https:// URL in production",
                              hint="Issuer and credential ids are built on it; verifiers need HTTPS.",
                              id="lti_tool.E003"))
    if production and tool_settings.DEMO_LMS:
        problems.append(Error("The demonstration LMS is on in production",
                              hint="Unset ACCOLADE_DEMO_LMS: the demo LMS launches as anyone it likes.",
                              id="lti_tool.E004"))
    return problems
