"""manage.py achievement_define: define an achievement from a JSON or YAML file."""

import json
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from ...services.achievements import achievement_define
from ...services.errors import InvalidSpecError, ServiceError
from ...services.images import image_store
from ..lookup import find_issuer


class Command(BaseCommand):
    help = "Define an achievement (badge) from a JSON/YAML definition file; prints its UUID and id."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--issuer", help="Issuer UUID or name (or 'issuer' in the file)")
        parser.add_argument("--image", type=Path, help="Badge image (PNG or SVG); or 'image' in the file")

    def handle(self, *args, **options):
        path: Path = options["file"]
        try:
            text = path.read_text(encoding="utf-8")
            spec = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as error:
            raise CommandError(f"cannot read {path}: {error}") from error
        if not isinstance(spec, dict):
            raise CommandError(f"{path} must hold a mapping of fields")
        issuer_ref = options["issuer"] or spec.pop("issuer", None)
        if not issuer_ref:
            raise CommandError("say which issuer: --issuer or an 'issuer' field")
        spec.pop("issuer", None)
        issuer = find_issuer(str(issuer_ref))
        image_path = options["image"] or (path.parent / spec["image"] if spec.get("image") else None)
        spec.pop("image", None)
        try:
            image = image_store(data=Path(image_path).read_bytes()) if image_path else None
            achievement = achievement_define(issuer=issuer, spec=spec, image=image)
        except InvalidSpecError as error:
            raise CommandError("the definition has problems:\n  - " + "\n  - ".join(error.problems)) from error
        except (ServiceError, OSError) as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"{achievement.uuid}\t{achievement.public_id}")
