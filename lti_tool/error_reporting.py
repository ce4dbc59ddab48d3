"""Error reports (Django's debug page, admin e-mails) that hide the key-encryption key too."""

import re

from django.views.debug import SafeExceptionReporterFilter


class AccoladeReporterFilter(SafeExceptionReporterFilter):
    """Hide settings and dict keys that look secret, including ``KEK`` (not in Django's default list)."""

    hidden_settings = re.compile("API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|KEK", flags=re.IGNORECASE)
