"""Awards: the permanent record that a learner earned an achievement."""

import uuid

from django.db import models


class PermanentRecordError(Exception):
    """Raise when code tries to delete an award; revoke it instead."""


class AwardQuerySet(models.QuerySet):
    def delete(self):
        raise PermanentRecordError("awards are permanent records and cannot be deleted; revoke them instead")

    def current(self):
        return self.filter(is_current=True)


class Award(models.Model):
    """One award of an achievement to a learner, with its signed credentials.

    Never deleted: revocation sets ``revoked_at`` and a reason and flips the status-list bit.
    ``is_current`` is False once the award is revoked or superseded by a newer award (for example
    after it expired); at most one current award exists per achievement and learner unless the
    achievement is re-earnable (``exclusive`` False).

    .. pii: learner, recipient identifiers inside the credential, evidence.
    .. pii_types: other
    .. pii_retirement: retained
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    achievement = models.ForeignKey("lti_tool.Achievement", on_delete=models.PROTECT, related_name="awards")
    learner = models.ForeignKey("lti_tool.Learner", on_delete=models.PROTECT, related_name="awards")
    deployment = models.ForeignKey("lti_tool.LtiDeployment", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="awards", help_text="Tenant the award was made in, if any")
    exclusive = models.BooleanField(default=True)
    is_current = models.BooleanField(default=True)

    issued_at = models.DateTimeField()
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    awarded_date = models.DateTimeField()
    source = models.CharField(max_length=32, default="manual", help_text="cli, bulk-csv, rule, review, instructor…")
    issued_by = models.CharField(max_length=200, blank=True)
    narrative = models.TextField(blank=True)
    evidence = models.JSONField(default=list, blank=True)

    status_list = models.ForeignKey("lti_tool.StatusList", on_delete=models.PROTECT, related_name="awards")
    status_index = models.PositiveIntegerField()
    identity_salt = models.CharField(max_length=64)

    credential = models.JSONField(help_text="OB 3.0 credential with its Data Integrity proof")
    credential_jwt = models.TextField(blank=True, help_text="The same credential as a VC-JWT (RS256)")
    ob2_assertion_jws = models.TextField(blank=True)

    revoked_at = models.DateTimeField(null=True, blank=True)
    revocation_reason = models.TextField(blank=True)
    revoked_by = models.CharField(max_length=200, blank=True)
    superseded_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    expiry_recorded_at = models.DateTimeField(null=True, blank=True,
                                              help_text="When the expiry sweep wrote credential.expired")

    objects = AwardQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_at"]
        constraints = [
            models.UniqueConstraint(fields=["achievement", "learner"],
                                    condition=models.Q(exclusive=True, is_current=True),
                                    name="award_one_current_per_learner"),
            models.UniqueConstraint(fields=["status_list", "status_index"], name="award_unique_status_index"),
        ]
        indexes = [models.Index(fields=["learner", "achievement"]),
                   models.Index(fields=["valid_until"], condition=models.Q(expiry_recorded_at__isnull=True,
                                                                           valid_until__isnull=False),
                                name="award_expiry_due")]

    def __str__(self) -> str:
        return f"{self.achievement} → {self.learner}"

    def delete(self, *args, **kwargs):
        raise PermanentRecordError("awards are permanent records and cannot be deleted; revoke them instead")

    @property
    def public_id(self) -> str:
        return self.credential.get("id", "")

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


class BulkAwardJob(models.Model):
    """A checked CSV of awards for one badge, issued by the background runner all or nothing.

    ``rows`` holds each line's learner (public id), evidence and narrative, resolved when the file was
    checked; the runner issues every row in one transaction, so a crash or a bad row leaves nothing
    half-issued and the job can simply run again.

    .. pii: evidence and narratives written by staff.
    .. pii_types: other
    .. pii_retirement: retained
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    achievement = models.ForeignKey("lti_tool.Achievement", on_delete=models.PROTECT, related_name="+")
    context = models.ForeignKey("lti_tool.LtiContext", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    requested_by = models.CharField(max_length=300)
    file_name = models.CharField(max_length=255, blank=True)
    rows = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    next_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    issued_count = models.PositiveIntegerField(default=0)
    problem = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "next_at"])]

    def __str__(self) -> str:
        return f"bulk award of {self.achievement_id}: {self.status}"
