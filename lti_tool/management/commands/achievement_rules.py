"""manage.py achievement_rules: give a course badge its criteria (JSON or YAML) and award policy."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from django.core.management.base import BaseCommand, CommandError

from ...core.criteria.rules import criteria_json, parse_criteria
from ...services.criteria import achievement_rules_set
from ...services.errors import ServiceError
from ..lookup import find_achievement


class Command(BaseCommand):
    help = ("Set a badge's criteria from a JSON or YAML file (see README: Badge criteria); the course's learners "
            "are evaluated in the background. Without a file, print the current criteria.")

    def add_arguments(self, parser):
        parser.add_argument("achievement", help="Achievement UUID, id URL or exact name")
        parser.add_argument("file", nargs="?", type=Path, help="Criteria as JSON or YAML")
        parser.add_argument("--revoke-on-regression", action="store_true",
                            help="Revoke rule-made awards when a learner no longer meets the criteria")
        parser.add_argument("--no-retroactive", action="store_true",
                            help="Award only qualifications after the rules are switched on")

    def handle(self, *args, **options):
        achievement = find_achievement(options["achievement"])
        if options["file"] is None:
            rules = achievement.criteria_rules
            self.stdout.write(json.dumps(criteria_json(parse_criteria(rules)), indent=2) if rules else "no criteria")
            return
        try:
            rules = yaml.safe_load(options["file"].read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            raise CommandError(f"cannot read {options['file']}: {error}") from error
        try:
            achievement_rules_set(achievement=achievement, rules=rules,
                                  revoke_on_regression=options["revoke_on_regression"],
                                  retroactive=not options["no_retroactive"])
        except ServiceError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"criteria set for {achievement.name}; its course's learners will be evaluated")
