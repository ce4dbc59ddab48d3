"""manage.py lti_rotate_tool_key: new tool signing key; the old one stays in the JWKS until it expires."""

from django.core.management.base import BaseCommand, CommandError

from ...key_encryption import KeyEncryptionError
from ...services.lti_keys import lti_tool_key_create


class Command(BaseCommand):
    help = ("Rotate the key the tool signs Deep Linking responses and service assertions with. The retired "
            "key stays published in /lti/jwks for ACCOLADE['TOOL_KEY_OVERLAP'] seconds (default 7 days).")

    def handle(self, *args, **options):
        try:
            key = lti_tool_key_create()
        except KeyEncryptionError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"active tool key: {key.kid}")
