"""manage.py achievement_rules: set from a file, print back, refuse bad files with the reason."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lti_tool.models import PendingEvaluation

from ..services.criteriakit import course_badge


def test_rules_from_yaml_are_set_and_printed(course, tmp_path):
    badge = course_badge(course)
    path = tmp_path / "rules.yaml"
    path.write_text("type: any\nrequirements:\n  - {type: course_completed, id: done}\n"
                    "  - {type: score, id: quiz, item: quiz-7, threshold: 80, unit: percent}\n")
    call_command("achievement_rules", str(badge.uuid), str(path), "--revoke-on-regression", stdout=StringIO())
    badge.refresh_from_db()
    assert badge.revoke_on_regression and badge.retroactive and badge.rules_active_since is not None
    assert PendingEvaluation.objects.filter(context=course, learner=None).exists()
    out = StringIO()
    call_command("achievement_rules", str(badge.uuid), stdout=out)
    assert '"threshold": 80' in out.getvalue() and '"type": "any"' in out.getvalue()


@pytest.mark.parametrize(("text", "message"), [
    ("type: all\nrequirements: []\n", "non-empty list"),
    ("type: all\nrequirements: [ {type: score\n", "cannot read"),
])
def test_bad_files_are_refused(course, tmp_path, text, message):
    badge = course_badge(course)
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        call_command("achievement_rules", str(badge.uuid), str(path))
