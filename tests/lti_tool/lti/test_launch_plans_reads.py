"""A launch that shows the course's AGS and NRPS endpoints plans reads of them, after it commits."""

from __future__ import annotations

from django.core.cache import cache

from lti_tool.models import CourseSync, LtiContext

AGS = {"scope": ["https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly"],
       "lineitems": "https://moodle.example.edu/mod/lti/services.php/2/lineitems?type_id=1"}
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"


def with_nrps(claims):
    claims[NRPS] = {"context_memberships_url":
                    "https://moodle.example.edu/mod/lti/services.php/CourseSection/2/bindings/1/memberships",
                    "service_versions": ["1.0", "2.0"]}


def test_a_launch_plans_the_reads_after_it_commits(client, deployment, platform,
                                                   django_capture_on_commit_callbacks):
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        result = platform.launch(client, sub="4", context={"id": "2", "title": "LTI101"}, ags=AGS, mutate=with_nrps)
    assert result.response.status_code == 303, result.response.content[:300]
    assert callbacks  # nothing planned inside the launch's own transaction
    course = LtiContext.objects.get(context_id="2")
    assert course.ags_lineitems_url == AGS["lineitems"] and course.ags_scopes == AGS["scope"]
    assert set(CourseSync.objects.filter(context=course).values_list("kind", flat=True)) == {"ags", "nrps"}


def test_a_learner_the_roster_had_leave_who_launches_again_is_a_member_again(client, deployment, platform):
    from lti_tool.models import CourseFact, LtiMembership

    course = {"id": "2", "title": "LTI101"}
    assert platform.launch(client, sub="6", context=course).response.status_code == 303
    membership = LtiMembership.objects.get(user__sub="6")
    LtiMembership.objects.filter(pk=membership.pk).update(status="deleted")  # as an NRPS read that lost them
    assert not CourseFact.objects.filter(kind="membership").exists()  # ordinary launches write no fact
    client.cookies.clear()
    assert platform.launch(client, sub="6", context=course).response.status_code == 303
    membership.refresh_from_db()
    fact = CourseFact.objects.get(kind="membership", learner=membership.user.learner)
    assert membership.status == "active" and (fact.source, fact.value["status"]) == ("lti-launch", "Active")


def test_a_student_id_from_a_launch_releases_the_learners_parked_feed_events(client, deployment, platform, settings):
    from lti_tool.models import FeedDelivery, LtiUser
    from lti_tool.services.achievements import achievement_define
    from lti_tool.services.awards import award_issue
    from lti_tool.services.feed_endpoints import feed_endpoint_create

    settings.ACCOLADE = {**settings.ACCOLADE, "FEED_ALLOW_PRIVATE": True}
    course = {"id": "2", "title": "LTI101"}
    assert platform.launch(client, sub="8", context=course, custom={"sis_id": "R-2291"}).response.status_code == 303
    assert LtiUser.objects.get(sub="8").lis_person_sourcedid == "", "custom parameters count only when set up"
    settings.ACCOLADE = {**settings.ACCOLADE, "LTI_SIS_ID_FROM_CUSTOM": True}
    client.cookies.clear()
    assert platform.launch(client, sub="8", context=course).response.status_code == 303
    learner = LtiUser.objects.get(sub="8").learner
    badge = achievement_define(issuer=deployment.issuer, spec={"name": "CPR", "description": "d",
                                                                "criteria": {"narrative": "c"}, "status": "active"})
    feed_endpoint_create(issuer=deployment.issuer, name="SIS", url="http://127.0.0.1:9/hook")
    award_issue(achievement=badge, learner=learner, issued_by="t")
    assert FeedDelivery.objects.get().status == "parked"
    client.cookies.clear()
    unsubstituted = platform.launch(client, sub="8", context=course, custom={"sis_id": "$Canvas.user.sisSourceId"})
    assert unsubstituted.response.status_code == 303 and FeedDelivery.objects.get().status == "parked"
    client.cookies.clear()
    assert platform.launch(client, sub="8", context=course, custom={"sis_id": "R-2291"}).response.status_code == 303
    assert LtiUser.objects.get(sub="8").lis_person_sourcedid == "R-2291"
    statuses = dict(FeedDelivery.objects.values_list("event__type", "status"))
    assert statuses == {"credential.awarded": "pending", "learner.identity_linked": "pending"}
    client.cookies.clear()  # a teacher-typed id that another learner already holds is not taken
    assert platform.launch(client, sub="9", context=course, custom={"sis_id": "R-2291"}).response.status_code == 303
    assert LtiUser.objects.get(sub="9").lis_person_sourcedid == ""
