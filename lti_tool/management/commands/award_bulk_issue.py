"""manage.py award_bulk_issue: award an achievement to every learner in a CSV file (all or nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...core.api import IssuingError
from ...key_encryption import KeyEncryptionError
from ...services.bulk import award_bulk_issue, bulk_rows_parse
from ...services.errors import ServiceError
from ..lookup import find_achievement
from ..progress import ProgressBar


class Command(BaseCommand):
    help = ("Issue an achievement from a CSV with columns email and/or student_id, and optional name, "
            "evidence_url, evidence_narrative, narrative. Every row is checked first; nothing is issued "
            "unless all rows are good.")

    def add_arguments(self, parser):
        parser.add_argument("achievement", help="Achievement UUID, id URL or exact name")
        parser.add_argument("csv", type=Path)
        parser.add_argument("--issued-by", default="cli-bulk")
        parser.add_argument("--check-only", action="store_true", help="Check the file, issue nothing")

    def handle(self, *args, **options):
        achievement = find_achievement(options["achievement"])
        try:
            text = options["csv"].read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise CommandError(f"cannot read {options['csv']}: {error}") from error
        report = bulk_rows_parse(text=text, achievement=achievement)
        if report.problems:
            raise CommandError("nothing was issued; fix these rows and run again:\n  - "
                               + "\n  - ".join(report.problems[:200]))
        if options["check_only"]:
            self.stdout.write(f"{len(report.rows)} row(s) ready; nothing issued (--check-only)")
            return
        bar = ProgressBar(len(report.rows), label=f"Issuing {achievement.name}", stream=self.stderr)
        try:
            award_bulk_issue(achievement=achievement, report=report, issued_by=options["issued_by"],
                             on_progress=bar.advance)
        except (ServiceError, IssuingError, KeyEncryptionError) as error:
            bar.close()
            raise CommandError(str(error)) from error
        bar.close()
        for award in report.issued:
            self.stdout.write(f"{award.uuid}\t{award.public_id}")
        self.stderr.write(f"issued {len(report.issued)} award(s)")
