"""Achievement definitions (what a badge stands for) with the registrar's metadata."""

import uuid
from uuid import uuid4

from django.core.validators import MinValueValidator
from django.db import models


class Achievement(models.Model):
    """A badge definition: OB 3.0 Achievement fields plus AACRAO proposal-form metadata.

    .. no_pii:
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for approval"
        APPROVED = "approved", "Approved"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"

    ISSUABLE = (Status.APPROVED, Status.ACTIVE)

    class CreditType(models.TextChoices):
        CREDIT = "credit", "Credit-bearing"
        NON_CREDIT = "non-credit", "Non-credit"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey("lti_tool.Issuer", on_delete=models.PROTECT, related_name="achievements")
    # Badges created inside a course belong to that deployment (tenant) and course.
    deployment = models.ForeignKey("lti_tool.LtiDeployment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="achievements")
    lti_context = models.ForeignKey("lti_tool.LtiContext", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="achievements")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)

    name = models.CharField(max_length=200)
    description = models.TextField()
    criteria_narrative = models.TextField(blank=True)
    criteria_url = models.URLField(max_length=500, blank=True)
    image = models.ForeignKey("lti_tool.StoredImage", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    achievement_type = models.CharField(max_length=64, default="Badge")
    human_code = models.CharField(max_length=64, blank=True)
    field_of_study = models.CharField(max_length=200, blank=True)
    specialization = models.CharField(max_length=200, blank=True)
    tags = models.JSONField(default=list, blank=True)
    language = models.CharField(max_length=35, blank=True, help_text="BCP 47 language tag")
    version = models.CharField(max_length=32, blank=True)
    credits_available = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True,
                                            validators=[MinValueValidator(0)])
    alignments = models.JSONField(default=list, blank=True)
    learning_outcomes = models.JSONField(default=list, blank=True)
    other_identifiers = models.JSONField(default=list, blank=True)
    issuing_unit = models.JSONField(default=dict, blank=True, help_text="Profile of the unit that offers it")

    # AACRAO proposal form: facts OB 3.0 has no term for (rendered into the signed criteria text).
    credit_type = models.CharField(max_length=16, choices=CreditType.choices, default=CreditType.NON_CREDIT)
    level = models.CharField(max_length=100, blank=True)
    requirements = models.TextField(blank=True)
    assessment = models.TextField(blank=True, help_text="Assessment protocol")
    clock_hours = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True,
                                      validators=[MinValueValidator(0)])
    effective_date = models.DateField(null=True, blank=True)
    expiration_date = models.DateField(null=True, blank=True, help_text="Last day the badge can be earned")
    sis_code = models.CharField(max_length=64, blank=True, help_text="Registrar's SIS mapping code")

    # Award policy.
    valid_for_days = models.PositiveIntegerField(null=True, blank=True, help_text="Awards expire after this many days")
    re_earnable = models.BooleanField(default=False)

    # Criteria evaluated in the course (lti_tool.core.criteria JSON form); null: awarded by people only.
    criteria_rules = models.JSONField(null=True, blank=True)
    revoke_on_regression = models.BooleanField(
        default=False, help_text="Revoke a rule-made award when the learner no longer meets the criteria")
    retroactive = models.BooleanField(
        default=True, help_text="Award learners who already qualified when the rules were switched on")
    rules_active_since = models.DateTimeField(null=True, blank=True)

    # Governance: versions of one credential share a lineage; the registrar approves one version.
    lineage = models.UUIDField(default=uuid4, editable=False, db_index=True,
                               help_text="Shared by every version of the same credential")
    version_number = models.PositiveIntegerField(default=1)
    supersedes = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="newer_versions", help_text="The version this one revises")
    approval_requested_at = models.DateTimeField(null=True, blank=True,
                                                 help_text="A course badge's request to join the catalog")
    approved_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.CharField(max_length=200, blank=True)
    ce_ctid = models.CharField(max_length=64, blank=True, help_text="Credential Engine CTID (ce-…)")

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["issuer", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def public_id(self) -> str:
        return f"{self.issuer.base_url.rstrip('/')}/achievements/{self.uuid}"

    @property
    def issuable(self) -> bool:
        return self.status in self.ISSUABLE

    @property
    def registrar_approved(self) -> bool:
        """Whether the registrar stands behind this version: only these reach the catalog and the feed."""
        return self.approved_at is not None and self.status != self.Status.DRAFT


class AchievementChange(models.Model):
    """One step in an achievement's life: who did what, when, from which status to which, and why.

    .. pii: the actor's name.
    .. pii_types: name
    .. pii_retirement: retained (governance record)
    """

    class Action(models.TextChoices):
        CREATED = "created", "Created"
        EDITED = "edited", "Edited"
        SUBMITTED = "submitted", "Submitted for approval"
        APPROVAL_REQUESTED = "approval_requested", "Course badge put forward for the catalog"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned with comments"
        ACTIVATED = "activated", "Activated"
        RETIRED = "retired", "Retired"
        REVISED = "revised", "New version started"

    achievement = models.ForeignKey(Achievement, on_delete=models.PROTECT, related_name="changes")
    action = models.CharField(max_length=24, choices=Action.choices)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16, blank=True)
    actor = models.CharField(max_length=200)
    note = models.TextField(blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.achievement_id} {self.action} by {self.actor}"
