"""manage.py api_client_create: an adapter client (XBlock, Moodle bridge) for one LTI deployment."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...models import LtiDeployment
from ...public_ids import parse_uuid
from ...services.api_clients import SCOPES, api_client_create, describe_client
from ...services.errors import ServiceError


class Command(BaseCommand):
    help = ("Create an API client acting for one deployment (tenant); prints its client id, secret (shown once), "
            "token URL and API base URL as JSON.")

    def add_arguments(self, parser):
        parser.add_argument("deployment", help="Deployment UUID (see lti_registration_list)")
        parser.add_argument("--name", required=True, help='e.g. "Moodle bridge"; recorded as the facts\' source')
        parser.add_argument("--scope", action="append", choices=SCOPES, help="Repeat; default: all")
        parser.add_argument("--public-jwk", type=Path, help="File with the client's public JWK (RSA or Ed25519)")

    def handle(self, *args, **options):
        deployment = LtiDeployment.objects.filter(uuid=options["deployment"]).first() \
            if parse_uuid(options["deployment"]) else None
        if deployment is None:
            raise CommandError(f"no deployment {options['deployment']!r}")
        jwk = None
        if options["public_jwk"]:
            try:
                jwk = json.loads(options["public_jwk"].read_text())
            except (OSError, ValueError) as error:
                raise CommandError(f"cannot read {options['public_jwk']}: {error}") from error
        try:
            new = api_client_create(deployment=deployment, name=options["name"], scopes=options["scope"] or SCOPES,
                                    public_jwk=jwk)
        except ServiceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(describe_client(new))
