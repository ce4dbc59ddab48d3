"""manage.py achievement_lifecycle: move an achievement through draft → submitted → approved → active → retired."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ...models import Achievement
from ...public_ids import parse_uuid
from ...services import governance
from ...services.errors import InvalidSpecError, ServiceError

STEPS = {
    "submit": lambda a, by, note: governance.achievement_submit(achievement=a, actor=by, note=note),
    "request-approval": lambda a, by, note: governance.achievement_request_approval(achievement=a, actor=by,
                                                                                    note=note),
    "approve": lambda a, by, note: governance.achievement_approve(achievement=a, registrar=by, note=note),
    "return": lambda a, by, note: governance.achievement_return(achievement=a, registrar=by, note=note),
    "activate": lambda a, by, note: governance.achievement_activate(achievement=a, actor=by),
    "retire": lambda a, by, note: governance.achievement_retire(achievement=a, actor=by, note=note),
}


class Command(BaseCommand):
    help = ("Take one step in an achievement's life. Approve and return are the registrar's steps; each step "
            "is recorded with who took it, and approval and retirement reach the registrar feed.")

    def add_arguments(self, parser):
        parser.add_argument("achievement", help="Achievement UUID")
        parser.add_argument("step", choices=sorted([*STEPS, "revise"]),
                            help="revise edits a draft, or starts a new version of an approved credential")
        parser.add_argument("--by", required=True, help="Who takes the step (recorded)")
        parser.add_argument("--note", default="", help="Why (required to return)")
        parser.add_argument("--changes", help="revise: a YAML or JSON file of the fields to change")

    def handle(self, *args, **options):
        uuid = parse_uuid(options["achievement"])
        achievement = Achievement.objects.filter(uuid=uuid).first() if uuid else None
        if achievement is None:
            raise CommandError(f"no achievement {options['achievement']!r}")
        try:
            if options["step"] == "revise":
                done = governance.achievement_revise(achievement=achievement, changes=_changes(options["changes"]),
                                                     actor=options["by"], note=options["note"])
            else:
                done = STEPS[options["step"]](achievement, options["by"], options["note"])
        except InvalidSpecError as error:
            raise CommandError("; ".join(error.problems)) from error
        except ServiceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{done.name} ({done.uuid}, version {done.version_number}) is now "
                          f"{done.get_status_display().lower()}"
                          f"{'; approved by ' + done.approved_by if done.approved_at else ''}")


def _changes(path: str | None) -> dict:
    if not path:
        raise CommandError("revise needs --changes file.yaml")
    import yaml

    try:
        changes = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise CommandError(f"cannot read {path}: {error}") from None
    if not isinstance(changes, dict) or not changes:
        raise CommandError("the changes file must map field names to new values")
    return changes
