"""Public data shapes of the core: what goes into a credential and what verification returns.

Frozen dataclasses, standard library only. Field names follow the Open Badges 3.0 data model
(https://www.imsglobal.org/spec/ob/v3p0/#data-model) in snake case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

# OB 3.0 §B.2.2 AchievementType enumeration (extensions use the "ext:" prefix).
ACHIEVEMENT_TYPES = frozenset({
    "Achievement", "ApprenticeshipCertificate", "Assessment", "Assignment", "AssociateDegree", "Award",
    "Badge", "BachelorDegree", "Certificate", "CertificateOfCompletion", "Certification",
    "CommunityService", "Competency", "Course", "CoCurricular", "Degree", "Diploma", "DoctoralDegree",
    "Fieldwork", "GeneralEducationDevelopment", "JourneymanCertificate", "LearningProgram", "License",
    "Membership", "ProfessionalDoctorate", "QualityAssuranceCredential", "MasterCertificate",
    "MasterDegree", "MicroCredential", "ResearchDoctorate", "SecondarySchoolDiploma",
})

# OB 3.0 §B.2.8 IdentifierTypeEnum (IdentityObject.identityType).
IDENTITY_TYPES = frozenset({
    "name", "sourcedId", "systemId", "productId", "userName", "accountId", "emailAddress",
    "nationalIdentityNumber", "isbn", "issn", "lisSourcedId", "oneRosterSourcedId", "sisSourcedId",
    "ltiContextId", "ltiDeploymentId", "ltiToolId", "ltiPlatformId", "ltiUserId", "identifier",
})

# OB 3.0 §B.2.1 AlignmentTargetType enumeration.
ALIGNMENT_TARGET_TYPES = frozenset({
    "ceasn:Competency", "ceterms:Credential", "CFItem", "CFRubric", "CFRubricCriterion",
    "CFRubricCriterionLevel", "CTDL",
})

# OB 3.0 §B.2.10 ResultType enumeration.
RESULT_TYPES = frozenset({
    "GradePointAverage", "LetterGrade", "Percent", "PerformanceLevel", "PredictedScore", "RawScore",
    "Result", "RubricCriterion", "RubricCriterionLevel", "RubricScore", "ScaledScore", "Status",
})


@dataclass(frozen=True)
class Image:
    """An image by URL or ``data:`` URI (OB 3.0 §B.1.12 Image)."""

    id: str
    caption: str | None = None


@dataclass(frozen=True)
class Profile:
    """An issuer or issuing unit (OB 3.0 §B.1.16 Profile)."""

    id: str
    name: str
    url: str | None = None
    email: str | None = None
    phone: str | None = None
    description: str | None = None
    image: Image | None = None
    official: str | None = None
    parent_org: Profile | None = None


@dataclass(frozen=True)
class Alignment:
    """An alignment to an external framework item: CASE, CTDL, OSMT… (OB 3.0 §B.1.3 Alignment)."""

    target_name: str
    target_url: str
    target_code: str | None = None
    target_description: str | None = None
    target_framework: str | None = None
    target_type: str | None = None


@dataclass(frozen=True)
class ResultDescription:
    """A result or learning outcome the achievement reports (OB 3.0 §B.1.19 ResultDescription)."""

    id: str
    name: str
    result_type: str = "Status"
    allowed_values: tuple[str, ...] = ()
    required_value: str | None = None
    value_min: str | None = None
    value_max: str | None = None
    alignments: tuple[Alignment, ...] = ()


@dataclass(frozen=True)
class IdentifierEntry:
    """An extra identifier of an achievement or profile (OB 3.0 §B.1.11 IdentifierEntry)."""

    identifier: str
    identifier_type: str


@dataclass(frozen=True)
class Related:
    """Another version of the same achievement, e.g. its OB 2.0 BadgeClass (OB 3.0 §B.1.18)."""

    id: str
    type: tuple[str, ...] = ("Related",)
    language: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class RegistrarMetadata:
    """AACRAO proposal-form facts that OB 3.0 has no term for.

    They are written into the signed criteria narrative (so they travel with the credential and
    stay covered by the proof) and served in structured form with the hosted achievement.
    """

    credit_type: Literal["credit", "non-credit"] = "non-credit"
    level: str | None = None
    requirements: str | None = None
    assessment: str | None = None
    clock_hours: float | None = None
    effective_date: date | None = None
    expiration_date: date | None = None


@dataclass(frozen=True)
class AchievementDefinition:
    """What a badge stands for (OB 3.0 §B.1.1 Achievement) plus registrar metadata."""

    id: str
    name: str
    description: str
    criteria_narrative: str | None = None
    criteria_id: str | None = None
    image: Image | None = None
    achievement_type: str = "Badge"
    creator: Profile | None = None
    human_code: str | None = None
    field_of_study: str | None = None
    specialization: str | None = None
    tags: tuple[str, ...] = ()
    language: str | None = None
    version: str | None = None
    credits_available: float | None = None
    alignments: tuple[Alignment, ...] = ()
    result_descriptions: tuple[ResultDescription, ...] = ()
    other_identifiers: tuple[IdentifierEntry, ...] = ()
    related: tuple[Related, ...] = ()
    registrar: RegistrarMetadata | None = None


@dataclass(frozen=True)
class IdentityObject:
    """One recipient identifier (OB 3.0 §B.1.13 IdentityObject); hashed as ``sha256$hex``."""

    identity_type: str
    identity_hash: str
    hashed: bool
    salt: str | None = None


@dataclass(frozen=True)
class Evidence:
    """Evidence of the achievement (OB 3.0 §B.1.10 Evidence)."""

    id: str | None = None
    name: str | None = None
    narrative: str | None = None
    description: str | None = None
    genre: str | None = None
    audience: str | None = None


@dataclass(frozen=True)
class Result:
    """A result the learner obtained, pointing at a ResultDescription (OB 3.0 §B.1.17)."""

    result_description: str | None = None
    value: str | None = None
    status: str | None = None
    achieved_level: str | None = None


@dataclass(frozen=True)
class StatusEntry:
    """A position in a Bitstring Status List (W3C Bitstring Status List §2.1)."""

    status_list_credential: str
    status_list_index: int
    status_purpose: str = "revocation"


@dataclass(frozen=True)
class CredentialClaims:
    """Everything that goes into one OpenBadgeCredential, apart from its proof."""

    id: str
    issuer: Profile
    achievement: AchievementDefinition
    valid_from: datetime
    subject_id: str | None = None
    identifiers: tuple[IdentityObject, ...] = ()
    valid_until: datetime | None = None
    awarded_date: datetime | None = None
    name: str | None = None
    description: str | None = None
    image: Image | None = None
    evidence: tuple[Evidence, ...] = ()
    results: tuple[Result, ...] = ()
    credits_earned: float | None = None
    activity_start_date: date | None = None
    activity_end_date: date | None = None
    term: str | None = None
    narrative: str | None = None
    status: StatusEntry | None = None
    include_schema: bool = True


CheckStatus = Literal["pass", "fail", "warn", "skip"]


@dataclass(frozen=True)
class Check:
    """One step of verification and its outcome; ``fail`` makes the credential unverified."""

    name: str
    status: CheckStatus
    message: str


@dataclass(frozen=True)
class VerificationResult:
    """What verifying a credential found, step by step. Never raised; always returned."""

    verified: bool
    format: str
    checks: tuple[Check, ...]
    credential: dict[str, Any] | None = None
    issuer_id: str | None = None
    revoked: bool = False
    expired: bool = False
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.status == "fail")

    @property
    def warnings(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.status == "warn")

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready summary (without the credential body)."""
        return {
            "verified": self.verified,
            "format": self.format,
            "issuer": self.issuer_id,
            "revoked": self.revoked,
            "expired": self.expired,
            "checks": [{"check": c.name, "status": c.status, "message": c.message} for c in self.checks],
        }
