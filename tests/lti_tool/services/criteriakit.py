"""A course in a tenant for the criteria services: platform, registration, deployment, context."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lti_tool.services.achievements import achievement_define

T0 = datetime(2026, 9, 1, 9, 0, tzinfo=UTC)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def course_badge(course, name="Data Cleaning", **spec):
    return achievement_define(issuer=course.deployment.issuer, deployment=course.deployment, lti_context=course,
                              spec={"name": name, "description": "d", "criteria": {"narrative": "c"},
                                    "status": "active", **spec})
