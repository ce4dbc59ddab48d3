"""WSGI entry point; runs the system checks first so a misconfigured production fails at start."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings.base")
application = get_wsgi_application()

from django.core import checks  # noqa: E402
from django.core.management.base import SystemCheckError  # noqa: E402

_errors = [message for message in checks.run_checks(include_deployment_checks=False) if message.is_serious()]
if _errors:
    raise SystemCheckError("\n".join(str(message) for message in _errors))
