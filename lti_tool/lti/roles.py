"""Map LTI roles (LTI Core 1.3 §A.2) to what a user may do in the tool.

Tool roles:
    admin       manage the tenant's settings and any badge (system/institution administrators)
    instructor  create and place badges, award and revoke, see the roster (course instructors,
                content developers, course administrators)
    assessor    review evidence and award (teaching assistants, graders)
    learner     earn, claim and share badges (learners, students)
    mentor      see the badge but no one's progress (Canvas observers and parents, advisors)

Quirks handled (research lti.md §2.5, §1.2):
    * short context role names ("Instructor", "Learner") as some platforms send them;
    * Open edX sends course staff as the institution role Administrator, so on Open edX that role
      means instructor, not tool administrator;
    * "#None" roles (Open edX) and unknown roles are ignored; an empty list is a learner-less guest.
"""

from __future__ import annotations

from collections.abc import Iterable

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"

_CONTEXT = {
    "Administrator": "instructor",
    "ContentDeveloper": "instructor",
    "Instructor": "instructor",
    "Learner": "learner",
    "Mentor": "mentor",  # Canvas observers, parents: see the badge, not the roster
    "Manager": "instructor",
    "Member": "learner",
    "Officer": "instructor",
}
_SUB_ROLES = {
    "TeachingAssistant": "assessor",
    "Grader": "assessor",
    "TeachingAssistantSection": "assessor",
    "TeachingAssistantOffering": "assessor",
    "TeachingAssistantGroup": "assessor",
    "PrimaryInstructor": "instructor",
    "SecondaryInstructor": "instructor",
    "Lecturer": "instructor",
    "ExternalInstructor": "instructor",
    "GuestInstructor": "instructor",
}
_INSTITUTION_ADMIN = {LIS + "institution/person#Administrator", LIS + "system/person#Administrator",
                      LIS + "system/person#SysAdmin", LIS + "system/person#SysSupport"}


MEMBERSHIP = LIS + "membership#"
MEMBERSHIP_SUB = LIS + "membership/"


def tool_roles(lti_roles: Iterable[object], *, platform_family: str = "other") -> frozenset[str]:
    """Return the tool roles for the LTI roles of a launch (unknown and institution-wide roles add none)."""
    result: set[str] = set()
    for role in lti_roles:
        if not isinstance(role, str) or role.endswith("#None"):
            continue
        if role in _INSTITUTION_ADMIN:
            # Open edX sends course staff as the institution role Administrator.
            open_edx_staff = platform_family == "open-edx" and role == LIS + "institution/person#Administrator"
            result.add("instructor" if open_edx_staff else "admin")
        elif role.startswith(MEMBERSHIP):
            result.add(_CONTEXT.get(role[len(MEMBERSHIP):], ""))
        elif role.startswith(MEMBERSHIP_SUB):  # membership/Instructor#TeachingAssistant
            parent, _, sub = role[len(MEMBERSHIP_SUB):].partition("#")
            result.add(_SUB_ROLES.get(sub) or _CONTEXT.get(parent, ""))
        elif ":" not in role and "/" not in role:  # short context role name
            result.add(_CONTEXT.get(role, ""))
    result.discard("")
    if "admin" in result:
        result.add("instructor")
    if "instructor" in result:
        result.add("assessor")
    return frozenset(result)
