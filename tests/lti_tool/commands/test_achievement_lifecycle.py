"""manage.py achievement_lifecycle: each step recorded with who took it; refusals say why."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from lti_tool.models import AchievementChange

from ..conftest import BASIC_SPEC


def run(*args):
    out = StringIO()
    call_command("achievement_lifecycle", *args, stdout=out)
    return out.getvalue()


def test_a_draft_goes_through_to_active(issuer):
    from lti_tool.services.achievements import achievement_define

    draft = achievement_define(issuer=issuer, spec={**BASIC_SPEC, "status": "draft"})
    assert "submitted" in run(str(draft.uuid), "submit", "--by", "Dana Dean")
    assert "approved by Rita Registrar" in run(str(draft.uuid), "approve", "--by", "Rita Registrar")
    assert "is now active" in run(str(draft.uuid), "activate", "--by", "Dana Dean")
    assert AchievementChange.objects.filter(achievement=draft).count() == 4
    with pytest.raises(CommandError, match="cannot be"):
        run(str(draft.uuid), "submit", "--by", "Dana Dean")
    with pytest.raises(CommandError, match="no achievement"):
        run("not-a-uuid", "submit", "--by", "x")
