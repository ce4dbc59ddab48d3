"""manage.py clr_export: a signed CLR 2.0 per learner for a term, written as JSON files."""

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...models import Issuer, Learner
from ...public_ids import parse_uuid
from ...services.clr import clr_issue, clr_learners
from ...services.errors import ServiceError


class Command(BaseCommand):
    help = ("Export Comprehensive Learner Records (CLR 2.0): for each learner with credentials from the issuer "
            "awarded in the term, one ClrCredential holding them, signed by the issuer.")

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="Issuer UUID")
        parser.add_argument("--from", dest="first", required=True, help="First day of the term (YYYY-MM-DD)")
        parser.add_argument("--to", dest="last", required=True, help="Last day of the term (YYYY-MM-DD)")
        parser.add_argument("--term", default="", help='Name of the term, e.g. "2026 Fall"')
        parser.add_argument("--learner", help="Only this learner (UUID)")
        parser.add_argument("--out", required=True, help="Folder to write clr-<learner>.json files into")

    def handle(self, *args, **options):
        issuer = Issuer.objects.filter(uuid=parse_uuid(options["issuer"])).first() \
            if parse_uuid(options["issuer"]) else None
        if issuer is None:
            raise CommandError(f"no issuer {options['issuer']!r}")
        try:
            first, last = date.fromisoformat(options["first"]), date.fromisoformat(options["last"])
        except ValueError as error:
            raise CommandError(f"dates are YYYY-MM-DD: {error}") from None
        if options["learner"]:
            learners = list(Learner.objects.filter(uuid=parse_uuid(options["learner"]))) \
                if parse_uuid(options["learner"]) else []
        else:
            learners = clr_learners(issuer=issuer, first=first, last=last)
        folder = Path(options["out"])
        folder.mkdir(parents=True, exist_ok=True)
        written = 0
        for learner in learners:
            try:
                clr = clr_issue(issuer=issuer, learner=learner, first=first, last=last, term=options["term"])
            except ServiceError as error:
                self.stderr.write(f"{learner.uuid}: {error}")
                continue
            (folder / f"clr-{learner.uuid}.json").write_text(json.dumps(clr, indent=2, ensure_ascii=False))
            written += 1
        self.stdout.write(f"{written} CLR{'s' if written != 1 else ''} written to {folder}")
