"""manage.py award_reissue: sign an award again under the same credential id (a correction)."""

from django.core.management.base import BaseCommand, CommandError

from ...key_encryption import KeyEncryptionError
from ...services.awards import award_reissue
from ...services.errors import ServiceError
from ..lookup import find_award


class Command(BaseCommand):
    help = ("Reissue an award: same credential id, newer validFrom, with the learner's identifiers and evidence as "
            "they are now. Wallets and the registrar feed keep the newer one.")

    def add_arguments(self, parser):
        parser.add_argument("award", help="Award UUID or credential URL")
        parser.add_argument("--reason", required=True)
        parser.add_argument("--by", default="cli")

    def handle(self, *args, **options):
        award = find_award(options["award"])
        try:
            award = award_reissue(award=award, reissued_by=options["by"], reason=options["reason"])
        except (ServiceError, KeyEncryptionError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"reissued {award.public_id} (valid from {award.valid_from:%Y-%m-%d %H:%M} UTC)")
