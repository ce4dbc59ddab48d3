"""Management commands as a registrar would script them."""

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lti_tool.models import Award, SigningKey

ROOT = Path(__file__).resolve().parents[3]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_registrar_workflow_end_to_end(db, tmp_path):
    issuer_uuid = run("issuer_create", "--name", "Northfield College", "--url", "https://northfield.edu",
                      "--email", "registrar@northfield.edu").split("\t")[0]
    definition = tmp_path / "badge.yaml"
    definition.write_text("name: First Aid\ndescription: Gives first aid.\ncriteria: Pass the practical.\n"
                          "credit_type: non-credit\nclock_hours: 8\nvalid_for_days: 730\n")
    achievement_uuid = run("achievement_define", str(definition), "--issuer", issuer_uuid).split("\t")[0]
    credential_url = run("award_issue", achievement_uuid, "--email", "kim@northfield.edu", "--name", "Kim").split(
        "\t")[1].strip()
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text("email,name\nlee@northfield.edu,Lee\nmo@northfield.edu,Mo\n")
    bulk = run("award_bulk_issue", achievement_uuid, str(csv_file))
    assert bulk.count("/credentials/") == 2
    credential_file = tmp_path / "c.json"
    credential_file.write_text(__import__("json").dumps(Award.objects.get(learner__display_name="Kim").credential))
    assert run("credential_verify", str(credential_file)).startswith("VERIFIED")
    reissued = run("award_reissue", credential_url, "--reason", "Name corrected", "--by", "registrar")
    assert reissued.startswith(f"reissued {credential_url}")
    run("award_revoke", credential_url, "--reason", "Duplicate record")
    for command in ("award_revoke", "award_reissue"):
        with pytest.raises(CommandError, match="no award 'urn:uuid:00000000"):
            call_command(command, "urn:uuid:00000000-0000-4000-8000-000000000000", "--reason", "x",
                         stdout=io.StringIO())
    with pytest.raises(SystemExit) as exited:
        run("credential_verify", str(credential_file))
    assert exited.value.code == 1
    keys = run("issuer_rotate_keys", issuer_uuid)
    assert "ed25519" in keys and "rsa" in keys
    assert SigningKey.objects.filter(issuer__uuid=issuer_uuid).count() == 4


def test_bulk_check_only_and_bad_file(achievement, tmp_path):
    csv_file = tmp_path / "cohort.csv"
    csv_file.write_text("email\nok@example.edu\nbad-address\n")
    with pytest.raises(CommandError, match="line 3"):
        run("award_bulk_issue", str(achievement.uuid), str(csv_file))
    csv_file.write_text("email\nok@example.edu\n")
    assert "1 row(s) ready" in run("award_bulk_issue", str(achievement.uuid), str(csv_file), "--check-only")
    assert Award.objects.count() == 0


def test_definition_errors_are_listed(issuer, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"name": "", "achievementType": "Trophy"}')
    with pytest.raises(CommandError) as caught:
        run("achievement_define", str(bad), "--issuer", str(issuer.uuid))
    assert "name: required" in str(caught.value) and "Trophy" in str(caught.value)
    with pytest.raises(CommandError, match="cannot read"):
        run("achievement_define", str(tmp_path / "missing.yaml"), "--issuer", str(issuer.uuid))


def test_demo_sets_up_everything_it_prints(db):
    output = run("demo", "--no-serve")
    assert "Credential page" in output and "revoked" in output.lower()
    assert Award.objects.filter(revoked_at__isnull=False).count() == 1
    run("demo", "--no-serve")  # idempotent
    assert Award.objects.count() == 2


def test_production_refuses_to_start_without_kek(tmp_path):
    env = {**os.environ, "ACCOLADE_ENV": "production", "SECRET_KEY": "x" * 50, "ACCOLADE_KEK": "",
           "ACCOLADE_PUBLIC_URL": "https://badges.example.edu", "ACCOLADE_VAR_DIR": str(tmp_path),
           "DJANGO_SETTINGS_MODULE": "settings.base"}
    env.pop("ACCOLADE_KEK_FILE", None)
    completed = subprocess.run([sys.executable, "-c", "import lti_tool.wsgi"], cwd=ROOT, env=env,
                               capture_output=True, text=True, timeout=60)
    assert completed.returncode != 0
    assert "ACCOLADE_KEK is not set" in completed.stderr and "lti_tool.E002" in completed.stderr
