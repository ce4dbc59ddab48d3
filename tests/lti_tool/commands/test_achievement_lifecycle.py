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


def test_feed_endpoints_from_the_command_line(issuer, settings):
    from lti_tool.models import FeedEndpoint

    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    out = StringIO()
    call_command("feed_endpoint", "create", str(issuer.uuid), "--name", "Banner", "--url",
                 "http://127.0.0.1:9/hook", stdout=out)
    assert "signing secret (shown once" in out.getvalue() and "whsec_" in out.getvalue()
    endpoint = FeedEndpoint.objects.get(name="Banner")
    call_command("feed_endpoint", "disable", str(endpoint.uuid), "--reason", "SIS upgrade", stdout=StringIO())
    listing = StringIO()
    call_command("feed_endpoint", "list", stdout=listing)
    assert "OFF (SIS upgrade)" in listing.getvalue()
    pull = StringIO()
    call_command("feed_endpoint", "pull-client", str(issuer.uuid), "--name", "Ethos", stdout=pull)
    assert "/api/registrar/v1/events?after=0" in pull.getvalue()
    ethos = pull.getvalue().split("client id: ")[1].split()[0]
    call_command("feed_endpoint", "create", str(issuer.uuid), "--name", "Ethos hook", "--url",
                 "http://127.0.0.1:9/ethos", "--ack-client", ethos.upper(), stdout=StringIO())
    assert FeedEndpoint.objects.get(name="Ethos hook").settings == {"ack_client_id": ethos}
    with pytest.raises(CommandError, match="acknowledging client must be one of this issuer"):
        call_command("feed_endpoint", "create", str(issuer.uuid), "--name", "y", "--url", "http://127.0.0.1:9/y",
                     "--ack-client", "00000000-0000-4000-8000-000000000000", stdout=StringIO())
    with pytest.raises(CommandError, match="SFTP files are not acknowledged"):
        call_command("feed_endpoint", "create", str(issuer.uuid), "--name", "z", "--kind", "sftp", "--url",
                     "sftp://127.0.0.1/drop", "--ack-client", ethos, stdout=StringIO())
    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": False}
    with pytest.raises(CommandError, match="cannot send to"):
        call_command("feed_endpoint", "create", str(issuer.uuid), "--name", "x", "--url", "http://10.1.1.1/h",
                     stdout=StringIO())


def test_clr_export_writes_one_signed_record_per_learner(achievement, learner, tmp_path):
    import json

    from django.utils import timezone

    from lti_tool.services.awards import award_issue

    award_issue(achievement=achievement, learner=learner, issued_by="t")
    today = timezone.now().date().isoformat()
    out = StringIO()
    call_command("clr_export", str(achievement.issuer.uuid), "--from", today, "--to", today, "--term", "Fall",
                 "--out", str(tmp_path), stdout=out)
    assert "1 CLR written" in out.getvalue()
    clr = json.loads((tmp_path / f"clr-{learner.uuid}.json").read_text())
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"] and clr["proof"]


def test_revising_an_approved_credential_from_the_command_line_starts_a_new_version(achievement, tmp_path):
    changes = tmp_path / "changes.yaml"
    changes.write_text("name: Lab Safety II\nclock_hours: 4\n")
    out = run(str(achievement.uuid), "revise", "--by", "Dana Dean", "--changes", str(changes))
    assert "Lab Safety II" in out and "version 2) is now draft" in out
    changes.write_text("credit_type: maybe\n")
    with pytest.raises(CommandError, match="credit_type"):
        run(str(achievement.uuid), "revise", "--by", "Dana Dean", "--changes", str(changes))
