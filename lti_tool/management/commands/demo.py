"""manage.py demo: set up demo data (issuer, badge, awards) and serve it; prints URLs to open."""

from __future__ import annotations

import base64
import os
import secrets
from pathlib import Path
from urllib.parse import quote, urlsplit

import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ...background import EmbeddedWorker
from ...conf import tool_settings
from ...demo import lms as demo_lms
from ...models import (
    Achievement,
    Award,
    Issuer,
    LtiContext,
    LtiDeployment,
    LtiPlatform,
    LtiRegistration,
    LtiResourceLink,
    LtiUser,
)
from ...services.achievements import achievement_define
from ...services.awards import award_issue, award_revoke
from ...services.images import image_store
from ...services.issuers import issuer_create
from ...services.learners import learner_find_or_create

DEMO_DIR = Path(__file__).resolve().parents[2] / "demo"
ISSUER_NAME = "Demo State University"


class Command(BaseCommand):
    help = "Create demo data (idempotent), print the URLs to open, and start the server."
    requires_system_checks = []  # checked by migrate, after a development KEK exists

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Set up and print URLs, do not serve")

    def handle(self, *args, **options):
        self._ensure_dev_kek()
        call_command("migrate", interactive=False, verbosity=0)
        with transaction.atomic():
            valid, revoked = self._demo_awards()
            self._demo_lms(valid)
        base = tool_settings.public_url
        out = self.stdout
        out.write(self.style.SUCCESS("\nAccolade demo is ready.\n"))
        if tool_settings.DEMO_LMS:
            out.write(f"  Learner launch from an LMS:   {base}/demo-lms/?as=ada   (LTI 1.3, in the demo LMS)")
        out.write(f"  Credential page (open this):  {valid.public_id}")
        out.write(f"  Verify it by URL:             {base}/verify?url={quote(valid.public_id, safe='')}")
        out.write(f"  Baked badge (SVG) download:   {valid.public_id}/badge.svg")
        out.write(f"  A revoked credential:         {revoked.public_id}")
        out.write(f"  Issuer profile:               {valid.achievement.issuer.public_id}")
        out.write(f"  Verify page (paste/upload):   {base}/verify")
        out.write(f"  Credential catalog:           {base}/catalog")
        password = self._demo_registrar(valid.achievement.issuer)
        out.write(f"  Registrar page:               {base}/registrar/   (user registrar, password {password})\n")
        if options["no_serve"]:
            return
        parts = urlsplit(base)
        address = f"{parts.hostname}:{parts.port or 8000}"
        if tool_settings.TASKS == "embedded":
            EmbeddedWorker().start()  # background work (criteria evaluation) in this process
            out.write("Background worker started in this process (ACCOLADE_TASKS=embedded).")
        out.write(f"Serving on {address} (Ctrl-C to stop)…")
        call_command("runserver", address, use_reloader=False)

    def _demo_registrar(self, issuer) -> str:
        """Give the demo a registrar account for its issuer, with a fresh password each run."""
        from django.contrib.auth import get_user_model

        from ...models import RegistrarRole

        user, _ = get_user_model().objects.get_or_create(username="registrar",
                                                         defaults={"first_name": "Demo", "last_name": "Registrar"})
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save(update_fields=["password"])
        RegistrarRole.objects.get_or_create(user=user, issuer=issuer)
        return password

    def _ensure_dev_kek(self) -> None:
        if tool_settings.KEK:
            return
        if getattr(settings, "PRODUCTION", False):
            raise CommandError("ACCOLADE_KEK is not set; the demo never makes one in production")
        path = Path(settings.VAR_DIR) / "dev-kek"
        path.parent.mkdir(parents=True, exist_ok=True)
        kek = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(kek + "\n")
        settings.ACCOLADE = {**settings.ACCOLADE, "KEK": kek}
        tool_settings.reload()
        self.stderr.write(f"wrote a development key-encryption key to {path} (never use it in production)")

    def _demo_lms(self, award: Award) -> None:
        """Register the demonstration LMS (an LTI 1.3 platform served under /demo-lms/) with the tool."""
        issuer = demo_lms.demo_issuer()
        platform, _ = LtiPlatform.objects.get_or_create(issuer=issuer, defaults={"name": "Accolade demo LMS"})
        registration, _ = LtiRegistration.objects.update_or_create(
            platform=platform, client_id=demo_lms.CLIENT_ID,
            defaults={"status": LtiRegistration.Status.ACTIVE, "auth_login_url": f"{issuer}/auth",
                      "key_set_url": f"{issuer}/jwks", "registered_via": "demo"})
        deployment, _ = LtiDeployment.objects.update_or_create(
            registration=registration, deployment_id=demo_lms.DEPLOYMENT_ID,
            defaults={"status": LtiDeployment.Status.ACTIVE, "issuer": award.achievement.issuer,
                      "name": "Demo LMS"})
        context, _ = LtiContext.objects.get_or_create(deployment=deployment, context_id=demo_lms.COURSE["id"],
                                                      defaults={"title": demo_lms.COURSE["title"],
                                                                "label": demo_lms.COURSE["label"]})
        achievement = award.achievement
        if achievement.deployment_id is None:
            Achievement.objects.filter(pk=achievement.pk).update(deployment=deployment, lti_context=context)
        LtiResourceLink.objects.update_or_create(
            deployment=deployment, resource_link_id=demo_lms.RESOURCE_LINK["id"],
            defaults={"context": context, "title": demo_lms.RESOURCE_LINK["title"], "achievement": achievement})
        # The LMS account "ada" is the Ada the registrar awarded: launching shows her earned badge.
        LtiUser.objects.get_or_create(platform=platform, sub="ada", defaults={"learner": award.learner,
                                                                             "name": "Ada Lovelace"})

    def _demo_awards(self) -> tuple[Award, Award]:
        issuer = Issuer.objects.filter(name=ISSUER_NAME, base_url=tool_settings.public_url).first()
        if issuer is None:
            issuer = issuer_create(name=ISSUER_NAME, url="https://demo.example.edu", email="registrar@demo.example.edu",
                                   description="A fictional university used to demonstrate Accolade.",
                                   official="Office of the University Registrar")
        spec = yaml.safe_load((DEMO_DIR / "data-literacy.yaml").read_text(encoding="utf-8"))
        achievement = Achievement.objects.filter(issuer=issuer, name=spec["name"]).first()
        if achievement is None:
            image = image_store(data=(DEMO_DIR / "data-literacy.svg").read_bytes())
            achievement = achievement_define(issuer=issuer, spec=spec, image=image)
        ada = learner_find_or_create(email="ada@demo.example.edu", sis_id="S1000001", name="Ada Lovelace",
                                     issuer=issuer, source="demo")
        grace = learner_find_or_create(email="grace@demo.example.edu", sis_id="S1000002", name="Grace Hopper",
                                       issuer=issuer, source="demo")
        valid = Award.objects.filter(achievement=achievement, learner=ada, is_current=True).first() or award_issue(
            achievement=achievement, learner=ada, issued_by="demo", source="demo",
            evidence=[{"id": "https://lms.demo.example.edu/mod/quiz/review.php?attempt=42",
                       "name": "Final assessment", "narrative": "Scored 92%."}])
        revoked = Award.objects.filter(achievement=achievement, learner=grace).first()
        if revoked is None:
            revoked = award_issue(achievement=achievement, learner=grace, issued_by="demo", source="demo")
        if not revoked.revoked:
            revoked = award_revoke(award=revoked, reason="Issued in error (demo of revocation).", revoked_by="demo")
        return valid, revoked
