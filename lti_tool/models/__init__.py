"""Persistent records of the tool service."""

from .achievements import Achievement, AchievementChange
from .api_clients import ApiClient, ApiJwtUse, ApiToken
from .awards import Award, AwardQuerySet, BulkAwardJob, PermanentRecordError
from .criteria import CourseFact, CourseSync, EvidenceSubmission, GradebookScore, PendingEvaluation
from .feed import FeedCounter, FeedDelivery, FeedEndpoint, FeedEvent
from .images import StoredImage
from .issuers import Issuer, RegistrarRole, SigningKey
from .learners import Learner, LearnerIdentity
from .lti import (
    LtiContext,
    LtiDeployment,
    LtiLaunch,
    LtiMembership,
    LtiOidcState,
    LtiPlatform,
    LtiPlatformKeySet,
    LtiRegistration,
    LtiResourceLink,
    LtiToolKey,
    LtiUsedNonce,
    LtiUser,
)
from .status_lists import StatusList

__all__ = [
    "Achievement",
    "AchievementChange",
    "ApiClient",
    "ApiJwtUse",
    "ApiToken",
    "Award",
    "AwardQuerySet",
    "BulkAwardJob",
    "CourseFact",
    "CourseSync",
    "EvidenceSubmission",
    "FeedCounter",
    "FeedDelivery",
    "FeedEndpoint",
    "FeedEvent",
    "GradebookScore",
    "Issuer",
    "Learner",
    "LearnerIdentity",
    "LtiContext",
    "LtiDeployment",
    "LtiLaunch",
    "LtiMembership",
    "LtiOidcState",
    "LtiPlatform",
    "LtiPlatformKeySet",
    "LtiRegistration",
    "LtiResourceLink",
    "LtiToolKey",
    "LtiUsedNonce",
    "LtiUser",
    "PendingEvaluation",
    "PermanentRecordError",
    "RegistrarRole",
    "SigningKey",
    "StatusList",
    "StoredImage",
]
