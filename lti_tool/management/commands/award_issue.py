"""manage.py award_issue: award an achievement to one learner."""

from django.core.management.base import BaseCommand, CommandError

from ...core.api import IssuingError
from ...key_encryption import KeyEncryptionError
from ...services.awards import award_issue
from ...services.errors import ServiceError
from ...services.learners import learner_find_or_create
from ..lookup import find_achievement


class Command(BaseCommand):
    help = "Issue an achievement to a learner; prints the credential URL."

    def add_arguments(self, parser):
        parser.add_argument("achievement", help="Achievement UUID, id URL or exact name")
        parser.add_argument("--email", default="")
        parser.add_argument("--student-id", default="", help="Student (SIS) id")
        parser.add_argument("--name", default="", help="Learner's name as it should appear")
        parser.add_argument("--evidence-url", default="")
        parser.add_argument("--evidence", default="", help="Evidence narrative")
        parser.add_argument("--narrative", default="", help="Why it was awarded")
        parser.add_argument("--issued-by", default="cli")

    def handle(self, *args, **options):
        achievement = find_achievement(options["achievement"])
        evidence = {k: v for k, v in (("id", options["evidence_url"]), ("narrative", options["evidence"])) if v}
        try:
            learner = learner_find_or_create(email=options["email"], sis_id=options["student_id"],
                                             issuer=achievement.issuer, name=options["name"],
                                             source="cli")
            award = award_issue(achievement=achievement, learner=learner, issued_by=options["issued_by"],
                                source="cli", evidence=[evidence] if evidence else [], narrative=options["narrative"])
        except (ServiceError, IssuingError, KeyEncryptionError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{award.uuid}\t{award.public_id}")
