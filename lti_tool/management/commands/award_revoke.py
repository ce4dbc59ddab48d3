"""manage.py award_revoke: revoke an award with a reason (status list republished at once)."""

from django.core.management.base import BaseCommand, CommandError

from ...key_encryption import KeyEncryptionError
from ...services.awards import award_revoke
from ...services.errors import ServiceError
from ..lookup import find_award


class Command(BaseCommand):
    help = "Revoke an award. The credential stays on record, marked revoked; verifiers see it at once."

    def add_arguments(self, parser):
        parser.add_argument("award", help="Award UUID or credential URL")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--revoked-by", default="cli")

    def handle(self, *args, **options):
        award = find_award(options["award"])
        try:
            award_revoke(award=award, reason=options["reason"], revoked_by=options["revoked_by"])
        except (ServiceError, KeyEncryptionError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"revoked {award.public_id}")
