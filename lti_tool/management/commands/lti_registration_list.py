"""manage.py lti_registration_list: LTI registrations and their deployments, with status and issuer."""

from django.core.management.base import BaseCommand

from ...models import LtiRegistration


class Command(BaseCommand):
    help = "List LTI registrations (UUID, status, issuer, client id, how registered) and their deployments."

    def add_arguments(self, parser):
        parser.add_argument("--status", choices=[s.value for s in LtiRegistration.Status],
                            help="Only registrations with this status.")

    def handle(self, *args, **options):
        registrations = (LtiRegistration.objects.select_related("platform").prefetch_related("deployments__issuer")
                         .order_by("platform__issuer", "created_at"))
        if options["status"]:
            registrations = registrations.filter(status=options["status"])
        found = False
        for registration in registrations:
            found = True
            self.stdout.write(f"{registration.uuid}\t{registration.status}\t{registration.platform.issuer}\t"
                              f"client {registration.client_id}\t{registration.platform.get_family_display()}\t"
                              f"{registration.registered_via}")
            for deployment in registration.deployments.all():
                issuer = deployment.issuer.name if deployment.issuer else "(no issuer chosen)"
                self.stdout.write(f"  deployment {deployment.deployment_id}\t{deployment.status}\t{issuer}\t"
                                  f"{deployment.uuid}")
        if not found:
            self.stdout.write("No LTI registrations.")
