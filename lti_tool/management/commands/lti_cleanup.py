"""manage.py lti_cleanup: delete expired LTI states, nonces, launch sessions and tool keys."""

from django.core.management.base import BaseCommand

from ...services.api_clients import api_auth_cleanup
from ...services.lti_cleanup import lti_records_cleanup


class Command(BaseCommand):
    help = "Delete expired OIDC states, used nonces, ended launch sessions and expired retired tool keys."

    def handle(self, *args, **options):
        counts = lti_records_cleanup()
        api = api_auth_cleanup()
        self.stdout.write(f"states {counts.states}, nonces {counts.nonces}, launches {counts.launches}, "
                          f"tool keys {counts.tool_keys}, API tokens and JWT ids {api}")
