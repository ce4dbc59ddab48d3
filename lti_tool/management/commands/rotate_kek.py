"""manage.py rotate_kek: re-encrypt every private key under the current ACCOLADE_KEK."""

from django.core.management.base import BaseCommand, CommandError

from ...key_encryption import KeyEncryptionError
from ...services.issuers import issuer_reseal_keys


class Command(BaseCommand):
    help = ("After setting a new ACCOLADE_KEK (old one in ACCOLADE_KEK_OLD), re-encrypt the stored private "
            "keys under the new one. Then ACCOLADE_KEK_OLD can be removed.")

    def handle(self, *args, **options):
        try:
            count = issuer_reseal_keys()
        except KeyEncryptionError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"re-encrypted {count} key(s)")
