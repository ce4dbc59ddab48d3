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
