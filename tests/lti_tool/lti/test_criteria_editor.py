"""The instructor sets a badge's criteria in the course: rows of requirements, or the tree as text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone

from lti_tool.models import Achievement, Award, CourseSync, LtiContext, LtiUser, PendingEvaluation
from lti_tool.services.achievements import achievement_create_in_course
from lti_tool.services.criteria import evaluations_run_due
from lti_tool.services.facts import fact_record
from lti_tool.services.lti_launches import BADGE_PARAMETER

from .platforms import INSTRUCTOR, LEARNER

CONTEXT = {"id": "course-1", "title": "Intro to Data", "label": "DATA101"}
QUIZ = "ags:https://moodle.example.edu/mod/lti/services.php/2/lineitems/7/lineitem?type_id=1"


@pytest.fixture
def badge(deployment):
    course = LtiContext.objects.create(deployment=deployment, context_id=CONTEXT["id"], title=CONTEXT["title"])
    CourseSync.objects.create(context=course, kind="ags", summary={"items": [{"key": QUIZ, "label": "Quiz 1"}]})
    return achievement_create_in_course(deployment=deployment, context=course, name="Data Wrangler",
                                        description="d", criteria="Pass the quiz and show your work.")


def token(client, platform, badge, *, sub="tina", roles=(INSTRUCTOR,), name="Tina Teacher"):
    result = platform.launch(client, sub=sub, roles=list(roles), resource_link="rl-1", context=CONTEXT,
                             custom={BADGE_PARAMETER: str(badge.uuid)}, name=name)
    assert result.response.status_code == 303, result.response.content[:600]
    client.cookies.clear()
    return parse_qs(urlsplit(result.response["Location"]).query)["lt"][0]


ROWS = {"mode": "rows", "combine": "all", "retroactive": "on",
        "kind_0": "score", "item_0": QUIZ, "threshold_0": "80", "unit_0": "percent",
        "kind_1": "evidence", "text_1": "Upload your cleaned data set",
        "kind_2": ""}


def test_the_instructor_sets_rows_and_a_learner_earns_the_badge(client, platform, badge):
    lt = token(client, platform, badge)
    page = client.get("/lti/badge", {"lt": lt}).content.decode()
    assert "Criteria: awarded automatically when met" in page and "Quiz 1" in page
    response = client.post("/lti/criteria", {"lt": lt, **ROWS, "kind_1": ""})
    assert response.status_code == 302 and "done=criteria" in response["Location"]
    saved = Achievement.objects.get(pk=badge.pk)
    assert saved.criteria_rules == {"type": "all", "id": "root", "requirements": [
        {"type": "score", "id": "score-1", "item": QUIZ, "threshold": 80, "unit": "percent"}]}
    assert saved.retroactive and not saved.revoke_on_regression
    assert PendingEvaluation.objects.filter(learner=None).exists()
    token(client, platform, badge, sub="sam", roles=(LEARNER,), name="Sam Student")
    sam = LtiUser.objects.get(sub="sam").learner
    fact_record(context=saved.lti_context, learner=sam, kind="score", key=QUIZ,
                value={"given": 85, "maximum": 100}, source="ags", observed_at=timezone.now())
    evaluations_run_due()
    assert Award.objects.get(achievement=badge, learner=sam).source == "rule"
    page = client.get("/lti/badge", {"lt": lt}).content.decode()
    assert 'value="score-1"' in page and "Criteria saved" not in page  # the rows come back as saved


def test_problems_are_listed_by_row_nothing_is_saved_and_nothing_typed_is_lost(client, platform, badge):
    lt = token(client, platform, badge)
    bad = {**ROWS, "item_0": "", "threshold_0": "eighty", "kind_2": "badge"}
    response = client.post("/lti/criteria", {"lt": lt, **bad})
    page = response.content.decode()
    assert response.status_code == 400 and "The criteria were not saved" in page
    assert "row 1: choose the gradebook item" in page and "row 1: the minimum must be a number" in page
    assert "row 3: choose the badge" in page
    assert 'value="eighty"' in page and 'value="Upload your cleaned data set"' in page
    assert Achievement.objects.get(pk=badge.pk).criteria_rules is None


def test_at_least_needs_a_sensible_count(client, platform, badge):
    lt = token(client, platform, badge)
    page = client.post("/lti/criteria", {"lt": lt, **ROWS, "combine": "at_least", "count": "5"}).content.decode()
    assert "“at least” needs a number from 1 to 2" in page


def test_the_tree_as_text_nests_groups(client, platform, badge):
    lt = token(client, platform, badge)
    text = ("type: any\nrequirements:\n  - {type: course_completed, id: done}\n"
            "  - type: all\n    requirements:\n      - {type: score, id: quiz, item: quiz-7, threshold: 80}\n"
            "      - {type: manual, id: observed, roles: [assessor]}\n")
    response = client.post("/lti/criteria", {"lt": lt, "mode": "text", "advanced": text, "retroactive": "on"})
    assert response.status_code == 302
    assert Achievement.objects.get(pk=badge.pk).criteria_rules["requirements"][1]["type"] == "all"
    page = client.get("/lti/badge", {"lt": lt}).content.decode()
    assert "edit them as text below" in page
    broken = client.post("/lti/criteria", {"lt": lt, "mode": "text", "advanced": "type: [unclosed"})
    assert broken.status_code == 400 and "not YAML or JSON" in broken.content.decode()
    cycle = client.post("/lti/criteria", {"lt": lt, "mode": "text",
                                          "advanced": f"type: badge\nachievement: '{badge.uuid}'\n"})
    assert cycle.status_code == 400 and "criteria" in cycle.content.decode().lower()


def test_learners_cannot_set_criteria_and_a_badge_with_the_registrar_is_locked(client, platform, badge):
    from lti_tool.services.governance import achievement_request_approval

    learner = token(client, platform, badge, sub="sam", roles=(LEARNER,), name="Sam Student")
    assert client.post("/lti/criteria", {"lt": learner, **ROWS}).status_code == 403
    assert "Criteria: awarded" not in client.get("/lti/badge", {"lt": learner}).content.decode()
    achievement_request_approval(achievement=badge, actor="Tina Teacher")
    lt = token(client, platform, badge)
    assert "change only in a new version" in client.get("/lti/badge", {"lt": lt}).content.decode()
    refused = client.post("/lti/criteria", {"lt": lt, **ROWS})
    assert refused.status_code == 400 and "waiting for the registrar" in refused.content.decode()
