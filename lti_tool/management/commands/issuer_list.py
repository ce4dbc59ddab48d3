"""manage.py issuer_list: list issuers and their achievements."""

from django.core.management.base import BaseCommand

from ...models import Issuer


class Command(BaseCommand):
    help = "List issuers (UUID, id, name) and their achievements."

    def handle(self, *args, **options):
        for issuer in Issuer.objects.prefetch_related("achievements"):
            self.stdout.write(f"{issuer.uuid}\t{issuer.public_id}\t{issuer.name}")
            for achievement in issuer.achievements.all():
                self.stdout.write(f"  {achievement.uuid}\t{achievement.status}\t{achievement.name}")
