"""manage.py lti_registration_approve: activate an LTI registration and its pending deployments."""

import uuid

from django.core.management.base import BaseCommand, CommandError

from ...lti.registration import lti_registration_approve
from ...models import LtiRegistration
from ..lookup import find_issuer


def find_registration(value: str) -> LtiRegistration:
    """Return the registration with this UUID, or the single one with this client id."""
    try:
        registration = LtiRegistration.objects.filter(uuid=uuid.UUID(value)).first()
    except ValueError:
        registration = None
    if registration is None:
        matches = list(LtiRegistration.objects.select_related("platform").filter(client_id=value)[:2])
        if len(matches) != 1:
            raise CommandError(f"no single LTI registration matches {value!r}"
                               + (" (several platforms use this client id)" if matches else "")
                               + "; give its UUID (see `manage.py lti_registration_list`)")
        registration = matches[0]
    return registration


class Command(BaseCommand):
    help = ("Activate an LTI registration (by UUID or client id) and its pending deployments; --issuer assigns "
            "the Accolade issuer to pending deployments that have none (deployments stay pending without one).")

    def add_arguments(self, parser):
        parser.add_argument("registration", help="registration UUID or client id")
        parser.add_argument("--issuer", help="issuer UUID or exact name (see `manage.py issuer_list`)")

    def handle(self, *args, **options):
        registration = find_registration(options["registration"])
        issuer = find_issuer(options["issuer"]) if options["issuer"] else None
        approval = lti_registration_approve(registration=registration, issuer=issuer)
        self.stdout.write(self.style.SUCCESS(f"Registration {registration.uuid} ({registration}) is active."))
        for deployment in approval.activated:
            self.stdout.write(f"Deployment {deployment.deployment_id} is active, issuer {deployment.issuer.name}.")
        for deployment in approval.waiting:
            self.stderr.write(self.style.WARNING(
                f"Deployment {deployment.deployment_id} stays pending: no issuer. Run again with --issuer."))
