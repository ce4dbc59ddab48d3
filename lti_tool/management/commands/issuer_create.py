"""manage.py issuer_create: create an issuer with fresh Ed25519 and RSA keys."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...key_encryption import KeyEncryptionError
from ...services.errors import ServiceError
from ...services.images import image_store
from ...services.issuers import issuer_create


class Command(BaseCommand):
    help = "Create an issuer (organization) with its signing keys; prints the issuer id."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--url", required=True, help="The organization's web site")
        parser.add_argument("--email", default="")
        parser.add_argument("--description", default="")
        parser.add_argument("--official", default="", help="Official who authorizes awards")
        parser.add_argument("--image", type=Path, help="Logo (PNG or SVG)")

    def handle(self, *args, **options):
        try:
            image = image_store(data=options["image"].read_bytes()) if options["image"] else None
            issuer = issuer_create(name=options["name"], url=options["url"], email=options["email"],
                                   description=options["description"], official=options["official"], image=image)
        except (ServiceError, KeyEncryptionError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{issuer.uuid}\t{issuer.public_id}")
