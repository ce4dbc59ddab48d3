"""manage.py lti_tool_urls: the values an LMS administrator enters to register Accolade by hand."""

import json

from django.core.management.base import BaseCommand

from ...conf import tool_settings
from ...lti.registration import MIN_CODE_LENGTH, TOOL_SCOPES, canvas_developer_key_config, tool_urls


class Command(BaseCommand):
    help = ("Print Accolade's LTI 1.3 URLs (login, launch/redirect, JWKS, domain, Dynamic Registration), or the "
            "Canvas developer key JSON with --canvas-json.")

    def add_arguments(self, parser):
        parser.add_argument("--canvas-json", action="store_true", help="print the JSON for a Canvas LTI key")
        parser.add_argument("--show-code", action="store_true",
                            help="put LTI_REGISTRATION_CODE into the Dynamic Registration URL")

    def handle(self, *args, **options):
        if options["canvas_json"]:
            self.stdout.write(json.dumps(canvas_developer_key_config(), indent=2))
            return
        urls = tool_urls()
        code = str(tool_settings.LTI_REGISTRATION_CODE or "")
        registration = urls["dynamic_registration"] + "?code=" + (code if options["show_code"] and code else "…")
        rows = [
            ("Dynamic Registration URL", registration),
            ("OpenID Connect login initiation URL", urls["login"]),
            ("Launch / redirect URL (also Tool URL, Target link URI)", urls["launch"]),
            ("Deep Linking URL", urls["deep_linking"]),
            ("Public keyset (JWKS) URL", urls["jwks"]),
            ("Domain", urls["domain"]),
            ("Icon", urls["logo"]),
            ("Scopes (AGS, NRPS)", " ".join(TOOL_SCOPES)),
        ]
        for label, value in rows:
            self.stdout.write(f"{label}: {value}")
        if len(code) < MIN_CODE_LENGTH:
            state = f"shorter than {MIN_CODE_LENGTH} characters" if code else "not set"
            self.stderr.write(f"LTI_REGISTRATION_CODE is {state}: only a logged-in staff user can use the Dynamic "
                              "Registration URL.")
