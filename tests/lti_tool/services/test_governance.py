"""An achievement's life: submit, approve or return, activate, revise as a new version, retire."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from lti_tool.models import Achievement, AchievementChange, FeedEvent, LtiResourceLink
from lti_tool.services.achievements import achievement_create_in_course, achievement_define
from lti_tool.services.awards import award_issue
from lti_tool.services.errors import NotIssuableError
from lti_tool.services.governance import (
    GovernanceError,
    achievement_activate,
    achievement_approve,
    achievement_request_approval,
    achievement_retire,
    achievement_return,
    achievement_revise,
    achievement_submit,
)

DEMO = Path(__file__).resolve().parents[3] / "lti_tool" / "demo" / "data-literacy.yaml"


@pytest.fixture
def draft(issuer):
    spec = {**yaml.safe_load(DEMO.read_text()), "status": "draft", "ctid": "ce-1b0e8c5e-7bd6-4a39-a1e9-6f0d5b6c2a11"}
    spec.pop("image", None)
    spec.pop("issuer", None)
    return achievement_define(issuer=issuer, spec=spec, defined_by="Dana Dean")


def steps(achievement):
    return [(c.action, c.from_status, c.to_status, c.actor) for c in AchievementChange.objects.filter(
        achievement=achievement)]


def test_draft_to_active_with_a_return_on_the_way(draft, learner):
    assert draft.approved_at is None and not draft.registrar_approved
    with pytest.raises(NotIssuableError):
        award_issue(achievement=draft, learner=learner, issued_by="t")
    achievement_submit(achievement=draft, actor="Dana Dean")
    with pytest.raises(GovernanceError, match="say what needs to change"):
        achievement_return(achievement=draft, registrar="Rita Registrar", note=" ")
    achievement_return(achievement=draft, registrar="Rita Registrar", note="Add the clock hours")
    achievement_submit(achievement=draft, actor="Dana Dean")
    approved = achievement_approve(achievement=draft, registrar="Rita Registrar", note="Meets policy 4.2")
    assert approved.status == "approved" and approved.approved_by == "Rita Registrar" and approved.registrar_approved
    active = achievement_activate(achievement=approved, actor="Dana Dean")
    assert active.status == "active"
    award_issue(achievement=active, learner=learner, issued_by="t")
    assert steps(draft) == [("created", "", "draft", "Dana Dean"), ("submitted", "draft", "submitted", "Dana Dean"),
                            ("returned", "submitted", "draft", "Rita Registrar"),
                            ("submitted", "draft", "submitted", "Dana Dean"),
                            ("approved", "submitted", "approved", "Rita Registrar"),
                            ("activated", "approved", "active", "Dana Dean")]
    approval = FeedEvent.objects.get(type="achievement.approved")
    assert approval.data["achievement"]["name"] == draft.name and approval.learner is None
    assert approval.data["achievement"]["catalogStatus"] == "approved"


@pytest.mark.parametrize(("step", "status"), [
    (lambda a: achievement_approve(achievement=a, registrar="r"), "draft"),
    (lambda a: achievement_activate(achievement=a, actor="r"), "draft"),
    (lambda a: achievement_request_approval(achievement=a, actor="r"), "draft"),
])
def test_steps_out_of_order_are_refused(draft, step, status):
    with pytest.raises(GovernanceError):
        step(draft)
    draft.refresh_from_db()
    assert draft.status == status and FeedEvent.objects.count() == 0


def test_an_approved_credential_changes_only_through_a_new_version(draft, learner, course):
    for step in (achievement_submit, ):
        step(achievement=draft, actor="d")
    v1 = achievement_activate(achievement=achievement_approve(achievement=draft, registrar="r"), actor="d")
    link = LtiResourceLink.objects.create(deployment=course.deployment, context=course, resource_link_id="rl",
                                          achievement=v1)
    award = award_issue(achievement=v1, learner=learner, issued_by="t")
    v2 = achievement_revise(achievement=v1, changes={"name": "Data Literacy I", "clock_hours": "12"}, actor="d")
    v1.refresh_from_db()
    assert v1.name != "Data Literacy I" and v1.status == "active", "the approved version is untouched"
    assert (v2.status, v2.version_number, v2.lineage, v2.supersedes) == ("draft", 2, v1.lineage, v1)
    assert v2.approved_at is None and v2.uuid != v1.uuid
    for name in ("description", "learning_outcomes", "alignments", "issuing_unit", "credit_type", "level",
                 "sis_code", "ce_ctid", "criteria_narrative", "valid_for_days"):
        assert getattr(v2, name) == getattr(v1, name), name
    assert str(v2.clock_hours) == "12.00"
    with pytest.raises(GovernanceError, match="already being prepared"):
        achievement_revise(achievement=v1, changes={"name": "Other"}, actor="d")
    achievement_submit(achievement=v2, actor="d")
    achievement_activate(achievement=achievement_approve(achievement=v2, registrar="r"), actor="d")
    v1.refresh_from_db()
    link.refresh_from_db()
    assert v1.status == "retired" and link.achievement_id == v2.pk
    assert award.credential["credentialSubject"]["achievement"]["name"] == v1.name  # issued meaning kept
    assert [e.type for e in FeedEvent.objects.filter(learner=None).order_by("position")] == [
        "achievement.approved", "achievement.approved", "achievement.retired"]


def test_a_draft_is_edited_in_place(draft):
    edited = achievement_revise(achievement=draft, changes={"level": "Introductory"}, actor="d")
    assert edited.pk == draft.pk and edited.level == "Introductory" and edited.version_number == 1
    assert steps(draft)[-1][0] == "edited"


def test_a_course_badge_is_put_forward_and_approved_while_it_keeps_issuing(course, learner):
    badge = achievement_create_in_course(deployment=course.deployment, context=course, name="Lab Safety",
                                         description="d", criteria="c", created_by="Tina Teacher")
    assert badge.status == "active" and not badge.registrar_approved
    achievement_request_approval(achievement=badge, actor="Tina Teacher")
    with pytest.raises(GovernanceError, match="already waiting"):
        achievement_request_approval(achievement=badge, actor="Tina Teacher")
    award_issue(achievement=badge, learner=learner, issued_by="t")
    approved = achievement_approve(achievement=badge, registrar="Rita Registrar")
    assert approved.status == "active" and approved.registrar_approved
    assert [s[0] for s in steps(badge)] == ["created", "approval_requested", "approved"]


def test_declining_a_course_badge_leaves_it_in_the_course(course):
    badge = achievement_create_in_course(deployment=course.deployment, context=course, name="Lab Safety",
                                         description="d", criteria="c")
    achievement_request_approval(achievement=badge, actor="t")
    declined = achievement_return(achievement=badge, registrar="r", note="Too narrow for the catalog")
    assert declined.status == "active" and declined.approval_requested_at is None and declined.approved_at is None


def test_retiring_an_approved_credential_tells_the_feed_and_stops_issuing(achievement, learner):
    assert achievement.registrar_approved  # defined active from the registrar's own file
    retired = achievement_retire(achievement=achievement, actor="r", note="Programme closed")
    assert FeedEvent.objects.get().type == "achievement.retired"
    with pytest.raises(NotIssuableError):
        award_issue(achievement=retired, learner=learner, issued_by="t")
    with pytest.raises(GovernanceError):
        achievement_revise(achievement=retired, changes={"name": "x"}, actor="r")
    assert Achievement.objects.get(pk=achievement.pk).status == "retired"


def test_an_abandoned_new_version_does_not_block_the_next(draft):
    achievement_submit(achievement=draft, actor="d")
    v1 = achievement_activate(achievement=achievement_approve(achievement=draft, registrar="r"), actor="d")
    abandoned = achievement_revise(achievement=v1, changes={"name": "Try one"}, actor="d")
    achievement_retire(achievement=abandoned, actor="d", note="abandoned")
    again = achievement_revise(achievement=v1, changes={"name": "Try two"}, actor="d")
    assert again.version_number == 2 and again.supersedes == v1 and again.status == "draft"


def test_criteria_are_frozen_while_the_registrar_looks_at_them(course):
    from lti_tool.services.criteria import achievement_rules_set
    from lti_tool.services.errors import InvalidSpecError

    badge = achievement_create_in_course(deployment=course.deployment, context=course, name="Lab Safety",
                                         description="d", criteria="c")
    achievement_request_approval(achievement=badge, actor="t")
    with pytest.raises(InvalidSpecError, match="waiting for the registrar"):
        achievement_rules_set(achievement=badge, rules={"type": "course_completed", "id": "done"})
