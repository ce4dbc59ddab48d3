"""Persistent records of the tool service."""

from .achievements import Achievement
from .awards import Award, AwardQuerySet, PermanentRecordError
from .images import StoredImage
from .issuers import Issuer, SigningKey
from .learners import Learner, LearnerIdentity
from .status_lists import StatusList

__all__ = ["Achievement", "Award", "AwardQuerySet", "Issuer", "Learner", "LearnerIdentity",
           "PermanentRecordError", "SigningKey", "StatusList", "StoredImage"]
