"""manage.py credential_verify: verify a credential file (JSON, JWT, baked PNG/SVG) or URL."""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...services.verification import credential_verify


class Command(BaseCommand):
    help = "Verify a credential file or URL and print each check; exit status 1 if it does not verify."

    def add_arguments(self, parser):
        parser.add_argument("source", help="Path to a .json/.jwt/.png/.svg file, or a URL")
        parser.add_argument("--json", action="store_true", help="Print the result as JSON")
        parser.add_argument("--offline", action="store_true", help="Do not fetch documents from other hosts")

    def handle(self, *args, **options):
        source = options["source"]
        if source.startswith(("https://", "http://")):
            data = source
        else:
            try:
                data = Path(source).read_bytes()
            except OSError as error:
                raise CommandError(f"cannot read {source}: {error}") from error
        result = credential_verify(data=data, allow_remote=False if options["offline"] else None)
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self.stdout.write(("VERIFIED" if result.verified else "NOT VERIFIED") + f" ({result.format})")
            for check in result.checks:
                self.stdout.write(f"  {check.status:5} {check.name:12} {check.message}")
        if not result.verified:
            raise SystemExit(1)
