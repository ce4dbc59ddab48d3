"""manage.py issuer_rotate_keys: new signing keys; old public keys stay published."""

from django.core.management.base import BaseCommand, CommandError

from ...key_encryption import KeyEncryptionError
from ...models import SigningKey
from ...services.issuers import issuer_rotate_keys
from ..lookup import find_issuer


class Command(BaseCommand):
    help = "Rotate an issuer's signing keys. Earlier credentials keep verifying with the retired keys."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="Issuer UUID, id URL or exact name")
        parser.add_argument("--only", choices=[SigningKey.ED25519, SigningKey.RSA])

    def handle(self, *args, **options):
        issuer = find_issuer(options["issuer"])
        algorithms = (options["only"],) if options["only"] else (SigningKey.ED25519, SigningKey.RSA)
        try:
            keys = issuer_rotate_keys(issuer=issuer, algorithms=algorithms)
        except KeyEncryptionError as error:
            raise CommandError(str(error)) from error
        for key in keys:
            self.stdout.write(f"{key.algorithm}\t{key.public_id}")
