"""manage.py registrar_grant: let a person act as registrar for an issuer (creating their account if asked)."""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ...models import Issuer, RegistrarRole
from ...public_ids import parse_uuid


class Command(BaseCommand):
    help = "Grant the registrar role for an issuer: approve credentials, watch the feed, match learners."

    def add_arguments(self, parser):
        parser.add_argument("issuer", help="Issuer UUID")
        parser.add_argument("username")
        parser.add_argument("--create", action="store_true", help="Create the account; prints a one-time password")
        parser.add_argument("--email", default="")
        parser.add_argument("--name", default="", help="Full name, as approvals will record it")

    def handle(self, *args, **options):
        issuer = Issuer.objects.filter(uuid=parse_uuid(options["issuer"])).first() \
            if parse_uuid(options["issuer"]) else None
        if issuer is None:
            raise CommandError(f"no issuer {options['issuer']!r}")
        users = get_user_model()
        user = users.objects.filter(username=options["username"]).first()
        password = ""
        if user is None:
            if not options["create"]:
                raise CommandError(f"no user {options['username']!r}; add --create to make the account")
            password = secrets.token_urlsafe(12)
            first, _, last = options["name"].partition(" ")
            user = users.objects.create_user(options["username"], email=options["email"], password=password,
                                             first_name=first, last_name=last)
        RegistrarRole.objects.get_or_create(user=user, issuer=issuer)
        self.stdout.write(f"{user.get_username()} is registrar for {issuer.name}: sign in at /registrar/")
        if password:
            self.stdout.write(f"one-time password (change it after signing in): {password}")
