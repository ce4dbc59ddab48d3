"""Production refuses to start without its secrets (system checks, also run by the WSGI entry point)."""

from lti_tool.checks import check_secrets


def ids(messages):
    return {m.id for m in messages}


def test_production_needs_secret_key_kek_and_https(settings):
    settings.PRODUCTION = True
    settings.SECRET_KEY = settings.INSECURE_DEV_SECRET_KEY
    settings.ACCOLADE = {**settings.ACCOLADE, "KEK": "", "PUBLIC_URL": "http://badges.example.edu",
                         "DEMO_LMS": True}
    assert ids(check_secrets()) == {"lti_tool.E001", "lti_tool.E002", "lti_tool.E003", "lti_tool.E004"}


def test_production_with_secrets_passes(settings):
    settings.PRODUCTION = True
    settings.SECRET_KEY = "a-real-secret-from-the-environment"
    settings.ACCOLADE = {**settings.ACCOLADE, "PUBLIC_URL": "https://badges.example.edu", "DEMO_LMS": False}
    assert check_secrets() == []


def test_development_without_kek_only_warns(settings):
    settings.PRODUCTION = False
    settings.ACCOLADE = {**settings.ACCOLADE, "KEK": ""}
    assert ids(check_secrets()) == {"lti_tool.W002"}
