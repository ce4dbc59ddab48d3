"""Achievement definition files: the AACRAO proposal-form fields, validated field by field."""

from pathlib import Path

import pytest
import yaml

from lti_tool.core.openbadges.compose import achievement_json
from lti_tool.services.achievements import achievement_define, parse_achievement_spec
from lti_tool.services.documents import achievement_definition
from lti_tool.services.errors import InvalidSpecError

DEMO = Path(__file__).resolve().parents[3] / "lti_tool" / "demo" / "data-literacy.yaml"


def test_demo_definition_maps_every_registrar_field(issuer):
    achievement = achievement_define(issuer=issuer, spec=yaml.safe_load(DEMO.read_text()))
    definition = achievement_definition(achievement)
    document = achievement_json(definition)
    assert document["achievementType"] == "MicroCredential"
    assert document["humanCode"] == "DLF-100"
    assert document["inLanguage"] == "en"
    assert document["creator"]["name"] == "Center for Teaching and Learning"
    assert document["creator"]["parentOrg"]["id"] == issuer.public_id
    assert [a["targetFramework"] for a in document["alignment"]] == ["AAC&U VALUE"]
    outcomes = document["resultDescription"]
    assert outcomes[1]["alignment"][0]["targetType"] == "ceasn:Competency"  # OSMT skills are CTDL-ASN
    assert {"identifier": "NC-DLF100", "identifierType": "sisSourcedId", "type": ["IdentifierEntry"]} in \
        document["otherIdentifier"]
    narrative = document["criteria"]["narrative"]
    for fact in ("**Credit type:** Non-credit", "**Level:** Introductory", "**Clock hours:** 12",
                 "**Assessment:** Proctored online assessment"):
        assert fact in narrative


def test_camel_case_keys_are_accepted():
    fields = parse_achievement_spec({"name": "X", "description": "Y", "criteria": "Z", "achievementType": "Course",
                                     "humanCode": "C-1", "creditsAvailable": 3})
    assert fields["achievement_type"] == "Course" and fields["human_code"] == "C-1"
    assert str(fields["credits_available"]) == "3.00"


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidSpecError) as caught:
        parse_achievement_spec({
            "description": 5 * ["x"], "achievement_type": "Trophy", "language": "english please",
            "credit_type": "some", "clock_hours": "many", "effective_date": "2026-13-01",
            "alignments": [{"target_name": "x"}, {"target_name": "y", "target_url": "ftp://x", "target_type": "Foo"}],
            "learning_outcomes": [{"result_type": "Grade"}], "valid_for_days": -2, "re_earnable": "yes",
            "status": "published", "colour": "red"})
    problems = "\n".join(caught.value.problems)
    for expected in ("name: required", "description: must be text", "criteria:", "Trophy", "language:",
                     "credit_type", "clock_hours: must be a number", "effective_date:", "alignments[0]",
                     "ftp://x", "Foo", "learning_outcomes[0]: needs a name", "valid_for_days", "re_earnable",
                     "status:", "unknown field(s): colour"):
        assert expected in problems, expected


def test_expiration_before_effective_is_refused():
    with pytest.raises(InvalidSpecError, match="before effective_date"):
        parse_achievement_spec({"name": "X", "description": "Y", "criteria": "Z",
                                "effective_date": "2026-05-01", "expiration_date": "2026-04-01"})


def test_definition_must_be_a_mapping():
    with pytest.raises(InvalidSpecError):
        parse_achievement_spec(["name", "x"])
