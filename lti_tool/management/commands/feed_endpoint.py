"""manage.py feed_endpoint: the registrar feed's destinations (create, list, rotate, switch, replay)."""

from django.core.management.base import BaseCommand, CommandError

from ...models import FeedDelivery, FeedEndpoint, Issuer
from ...public_ids import parse_uuid
from ...services import feed_endpoints as endpoints
from ...services.api_clients import api_token_url
from ...services.errors import ServiceError
from ...services.feed_delivery import feed_replay
from ...services.feed_pull import registrar_client_create
from ...services.feed_sftp import sftp_endpoint_create


class Command(BaseCommand):
    help = ("Manage where an issuer's registrar feed goes: signed webhooks, OneRoster gradebooks, and SIS clients "
            "that pull the feed.")

    def add_arguments(self, parser):
        steps = parser.add_subparsers(dest="step", required=True)
        create = steps.add_parser("create", help="a webhook (prints its secret once) or a OneRoster gradebook")
        create.add_argument("issuer", help="Issuer UUID")
        create.add_argument("--name", required=True)
        create.add_argument("--url", required=True, help="Webhook URL, OneRoster base URL, or sftp://host/folder")
        create.add_argument("--kind", default="webhook", choices=["webhook", "oneroster", "sftp"])
        create.add_argument("--identifier-types", nargs="+", default=list(endpoints.DEFAULT_IDENTIFIER_TYPES))
        create.add_argument("--payload", default="thin", choices=["thin", "full"])
        create.add_argument("--events", nargs="*", default=[], help="Event types (default: all)")
        create.add_argument("--token-url", help="OneRoster: OAuth 2.0 token URL")
        create.add_argument("--client-id", help="OneRoster: client id")
        create.add_argument("--client-secret", help="OneRoster: client secret")
        create.add_argument("--class-sourced-id", default="", help="OneRoster: the class line items belong to")
        create.add_argument("--ack-client", help="Client id of the registrar client that acknowledges this "
                                                 "destination's events (default: any of the issuer's clients)")
        create.add_argument("--username", help="SFTP: the account")
        create.add_argument("--password", help="SFTP: its password")
        create.add_argument("--host-key", help="SFTP: the server's host key fingerprint, SHA256:…")
        pull = steps.add_parser("pull-client", help="an API client for a SIS that pulls the feed")
        pull.add_argument("issuer", help="Issuer UUID")
        pull.add_argument("--name", required=True)
        pull.add_argument("--identifier-types", nargs="+", default=list(endpoints.DEFAULT_IDENTIFIER_TYPES))
        pull.add_argument("--payload", default="thin", choices=["thin", "full"])
        steps.add_parser("list", help="every endpoint with its delivery counts")
        for name, text in (("rotate-secret", "new webhook secret; the old one signs for a day more"),
                           ("enable", "switch on; what waited goes out"), ("disable", "switch off; nothing is lost")):
            step = steps.add_parser(name, help=text)
            step.add_argument("endpoint", help="Endpoint UUID")
            if name == "disable":
                step.add_argument("--reason", required=True)
        replay = steps.add_parser("replay", help="send events again by position")
        replay.add_argument("endpoint", help="Endpoint UUID")
        replay.add_argument("--first", type=int, required=True)
        replay.add_argument("--last", type=int)

    def handle(self, *args, **options):
        try:
            getattr(self, "_" + options["step"].replace("-", "_"))(options)
        except ServiceError as error:
            raise CommandError(str(error)) from error

    def _create(self, options):
        if options["kind"] == "sftp":
            if options["ack_client"]:
                raise CommandError("--ack-client is for webhook and OneRoster destinations (SFTP files are not "
                                   "acknowledged)")
            endpoint = sftp_endpoint_create(issuer=_issuer(options["issuer"]), name=options["name"],
                                            url=options["url"], username=options["username"] or "",
                                            password=options["password"] or "",
                                            host_key_sha256=options["host_key"] or "")
            self.stdout.write(f"endpoint {endpoint.uuid}: a reconciliation CSV for each day goes to {endpoint.url}")
            return
        settings = {}
        if options["kind"] == "oneroster":
            settings = {"token_url": options["token_url"] or "", "client_id": options["client_id"] or "",
                        "class_sourced_id": options["class_sourced_id"]}
        if options["ack_client"]:
            settings["ack_client_id"] = options["ack_client"]
        endpoint, secret = endpoints.feed_endpoint_create(
            issuer=_issuer(options["issuer"]), name=options["name"], url=options["url"], kind=options["kind"],
            identifier_types=options["identifier_types"], payload=options["payload"], event_types=options["events"],
            settings=settings, oneroster_secret=options["client_secret"] or "")
        self.stdout.write(f"endpoint {endpoint.uuid} ({endpoint.get_kind_display()}) → {endpoint.url}")
        if secret:
            self.stdout.write(f"signing secret (shown once; give it to the receiver): {secret}")

    def _pull_client(self, options):
        new, endpoint = registrar_client_create(issuer=_issuer(options["issuer"]), name=options["name"],
                                                identifier_types=options["identifier_types"],
                                                payload=options["payload"])
        from ...conf import tool_settings
        self.stdout.write(f"client id: {new.client.client_id}\nclient secret (shown once): {new.secret}\n"
                          f"token URL: {api_token_url()} (scope registrar:feed)\n"
                          f"events: {tool_settings.public_url}/api/registrar/v1/events?after=0\n"
                          f"endpoint {endpoint.uuid}")

    def _list(self, options):
        for endpoint in FeedEndpoint.objects.select_related("issuer").order_by("issuer__name", "name"):
            counts = {status: FeedDelivery.objects.filter(endpoint=endpoint, status=status).count()
                      for status in FeedDelivery.Status.values}
            state = "on" if endpoint.enabled else f"OFF ({endpoint.disabled_reason})"
            self.stdout.write(f"{endpoint.uuid}  {endpoint.issuer.name} / {endpoint.name} [{endpoint.kind}, {state}] "
                              + ", ".join(f"{k}: {v}" for k, v in counts.items()))

    def _rotate_secret(self, options):
        secret = endpoints.feed_endpoint_rotate_secret(endpoint=_endpoint(options["endpoint"]))
        self.stdout.write(f"new signing secret (shown once): {secret}")

    def _enable(self, options):
        endpoints.feed_endpoint_enable(endpoint=_endpoint(options["endpoint"]))
        self.stdout.write("switched on")

    def _disable(self, options):
        endpoints.feed_endpoint_disable(endpoint=_endpoint(options["endpoint"]), reason=options["reason"])
        self.stdout.write("switched off; deliveries wait")

    def _replay(self, options):
        count = feed_replay(endpoint=_endpoint(options["endpoint"]), first=options["first"], last=options["last"])
        self.stdout.write(f"{count} deliveries queued again")


def _issuer(value: str) -> Issuer:
    issuer = Issuer.objects.filter(uuid=parse_uuid(value)).first() if parse_uuid(value) else None
    if issuer is None:
        raise CommandError(f"no issuer {value!r}")
    return issuer


def _endpoint(value: str) -> FeedEndpoint:
    endpoint = FeedEndpoint.objects.filter(uuid=parse_uuid(value)).first() if parse_uuid(value) else None
    if endpoint is None:
        raise CommandError(f"no endpoint {value!r}")
    return endpoint
