"""LTI roles (LTI Core 1.3 §5.3.7, vocabularies §A.2) to tool roles, with the platform quirks."""

from __future__ import annotations

import pytest

from lti_tool.lti.roles import tool_roles

LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
M = LIS + "membership#"
INSTITUTION = LIS + "institution/person#"
SYSTEM = LIS + "system/person#"

LEARNER = {"learner"}
ASSESSOR = {"assessor"}
MENTOR = {"mentor"}
INSTRUCTOR = {"instructor", "assessor"}
ADMIN = {"admin", "instructor", "assessor"}
NOTHING: set[str] = set()


@pytest.mark.parametrize(("lti_roles", "expected"), [
    # Context roles, full URIs (Moodle, Canvas, Brightspace id_tokens).
    pytest.param([M + "Learner"], LEARNER, id="learner"),
    pytest.param([M + "Instructor"], INSTRUCTOR, id="instructor"),
    pytest.param([M + "ContentDeveloper"], INSTRUCTOR, id="content developer"),
    pytest.param([M + "Administrator"], INSTRUCTOR, id="course administrator"),
    pytest.param([M + "Manager"], INSTRUCTOR, id="manager"),
    pytest.param([M + "Mentor"], MENTOR, id="mentor (Canvas observer) is not staff"),
    pytest.param([M + "Member"], LEARNER, id="member"),
    pytest.param([M + "Learner", M + "Mentor"], LEARNER | MENTOR, id="several context roles"),
    # Short context role names (LTI Core §A.2.3.1; Moodle NRPS, the certification "short role" launch).
    pytest.param(["Instructor"], INSTRUCTOR, id="short instructor"),
    pytest.param(["Learner"], LEARNER, id="short learner"),
    pytest.param(["Mentor"], MENTOR, id="short mentor"),
    pytest.param(["Administrator"], INSTRUCTOR, id="short administrator is the course role"),
    # Sub-roles (§A.2.3.2): membership/<principal>#<sub-role>.
    pytest.param([LIS + "membership/Instructor#TeachingAssistant"], ASSESSOR, id="teaching assistant"),
    pytest.param([LIS + "membership/Instructor#Grader"], ASSESSOR, id="grader"),
    pytest.param([LIS + "membership/Instructor#TeachingAssistantSection"], ASSESSOR, id="section TA"),
    pytest.param([LIS + "membership/Instructor#PrimaryInstructor"], INSTRUCTOR, id="primary instructor"),
    pytest.param([LIS + "membership/Instructor#ExternalInstructor"], INSTRUCTOR, id="external instructor"),
    pytest.param([LIS + "membership/Learner#Learner"], LEARNER, id="unknown sub-role falls back to principal"),
    pytest.param([LIS + "membership/Mentor#Advisor"], MENTOR, id="mentor sub-role falls back to principal"),
    pytest.param([M + "Instructor", LIS + "membership/Instructor#TeachingAssistant"], INSTRUCTOR,
                 id="TA sent with its principal role"),
    # Institution and system roles (§A.2.2, §A.2.1).
    pytest.param([INSTITUTION + "Administrator"], ADMIN, id="institution administrator"),
    pytest.param([SYSTEM + "Administrator"], ADMIN, id="system administrator"),
    pytest.param([SYSTEM + "SysAdmin"], ADMIN, id="sysadmin"),
    pytest.param([SYSTEM + "SysSupport"], ADMIN, id="system support"),
    pytest.param([INSTITUTION + "Instructor"], NOTHING, id="institution instructor gives no course rights"),
    pytest.param([INSTITUTION + "Student", M + "Learner"], LEARNER, id="canvas institution student"),
    pytest.param([INSTITUTION + "Faculty", INSTITUTION + "Staff"], NOTHING, id="faculty and staff"),
    # Open edX sends person#None fillers; they add nothing.
    pytest.param([SYSTEM + "None", INSTITUTION + "None", M + "Learner"], LEARNER, id="None fillers"),
    pytest.param([SYSTEM + "None", INSTITUTION + "None"], NOTHING, id="only None"),
    # Unknown, empty, wrong types.
    pytest.param(["http://example.edu/roles#Dean"], NOTHING, id="unknown URI"),
    pytest.param(["Dean"], NOTHING, id="unknown short name"),
    pytest.param(["urn:lti:role:ims/lis/Instructor"], NOTHING, id="LTI 1.1 URN is not an LTI 1.3 role"),
    pytest.param([M], NOTHING, id="empty fragment"),
    pytest.param([""], NOTHING, id="empty string"),
    pytest.param([], NOTHING, id="no roles"),
    pytest.param([None, 7, {"role": "Instructor"}, M + "Learner"], LEARNER, id="non-strings ignored"),
    pytest.param([M + "learner"], NOTHING, id="role names are case-sensitive"),
])
def test_tool_roles(lti_roles, expected):
    assert tool_roles(lti_roles) == frozenset(expected)


@pytest.mark.parametrize(("family", "expected"), [
    pytest.param("open-edx", INSTRUCTOR, id="open edx staff is an instructor"),
    pytest.param("moodle", ADMIN, id="elsewhere an administrator"),
    pytest.param("other", ADMIN, id="unknown platform"),
])
def test_institution_administrator_depends_on_the_platform(family, expected):
    roles = [SYSTEM + "None", INSTITUTION + "Administrator"]
    assert tool_roles(roles, platform_family=family) == frozenset(expected)


def test_open_edx_quirk_does_not_demote_system_administrators():
    roles = [SYSTEM + "Administrator", INSTITUTION + "Administrator", M + "Administrator"]
    assert tool_roles(roles, platform_family="open-edx") == frozenset(ADMIN)


def test_roles_accept_any_iterable():
    assert tool_roles(iter([M + "Learner"])) == frozenset(LEARNER)
    assert tool_roles((M + "Instructor",)) == frozenset(INSTRUCTOR)
