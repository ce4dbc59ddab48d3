"""What the criteria engine reads and what it still has to do: course facts and pending evaluations."""

from __future__ import annotations

import uuid

from django.db import models


class CourseFact(models.Model):
    """One fact about one learner in one course, from one source (the latest report of it).

    Facts come from AGS results and NRPS rosters, from the Open edX XBlock and the Moodle bridge
    through the REST API, and from people in the tool (evidence reviews, grants). ``key_digest`` is
    the SHA-256 of ``key`` (line item URLs can be long), so the unique index stays small.

    .. no_pii:
    """

    deployment = models.ForeignKey("lti_tool.LtiDeployment", on_delete=models.PROTECT, related_name="+")
    context = models.ForeignKey("lti_tool.LtiContext", on_delete=models.PROTECT, related_name="facts")
    learner = models.ForeignKey("lti_tool.Learner", on_delete=models.PROTECT, related_name="course_facts")
    kind = models.CharField(max_length=32)
    key = models.CharField(max_length=1000, blank=True)
    key_digest = models.CharField(max_length=64)
    source = models.CharField(max_length=64)
    value = models.JSONField()
    observed_at = models.DateTimeField(help_text="When the source says it happened or was read")
    recorded_at = models.DateTimeField(help_text="When the tool last changed this row")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "learner", "kind", "key_digest", "source"],
                                               name="course_fact_unique")]
        indexes = [models.Index(fields=["context", "kind", "key_digest"], name="course_fact_by_key")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} of {self.learner_id} in {self.context_id} ({self.source})"


class PendingEvaluation(models.Model):
    """A learner (or a whole course, ``learner`` null) whose badges must be evaluated again.

    The row is the record of the work: a worker claims it, evaluates, and marks it done in the same
    transaction as the awards it made; a worker that dies leaves the claim to expire and the row is
    taken again. At most one open row per (course, learner): a new fact while one is open bumps
    ``asks``, and a worker marks the row done only if nobody bumped it while it worked.

    .. no_pii:
    """

    context = models.ForeignKey("lti_tool.LtiContext", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("lti_tool.Learner", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    asks = models.PositiveIntegerField(default=1, help_text="Times work was asked of this open row")
    not_before = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["context", "learner"], condition=models.Q(done_at__isnull=True),
                                    name="pending_evaluation_one_open"),
            models.UniqueConstraint(fields=["context"], condition=models.Q(done_at__isnull=True, learner__isnull=True),
                                    name="pending_evaluation_one_open_course"),
        ]
        indexes = [models.Index(fields=["done_at", "not_before"], name="pending_evaluation_due")]

    def __str__(self) -> str:
        return f"evaluate {self.learner_id or 'all'} in {self.context_id} ({self.reason})"


class CourseSync(models.Model):
    """When a course's AGS results or NRPS roster are next read from the LMS, and how the last read went.

    One row per course and kind. ``next_at`` is the record of the pending work (a launch or the
    schedule brings it forward); a worker holds ``claimed_until`` while it reads.

    .. no_pii:
    """

    class Kind(models.TextChoices):
        AGS = "ags", "AGS results"
        NRPS = "nrps", "NRPS roster"

    context = models.ForeignKey("lti_tool.LtiContext", on_delete=models.PROTECT, related_name="syncs")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    next_at = models.DateTimeField(null=True, blank=True, help_text="Due at this time; null: nothing planned")
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    summary = models.JSONField(default=dict, blank=True)
    differences_url = models.URLField(max_length=1000, blank=True, help_text="NRPS rel=differences for next time")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "kind"], name="course_sync_unique")]
        indexes = [models.Index(fields=["next_at"], name="course_sync_due")]

    def __str__(self) -> str:
        return f"{self.kind} sync of {self.context_id}"


class GradebookScore(models.Model):
    """A score to post to the LMS gradebook column of a badge link: 1/1 when earned, 0/1 when revoked.

    Written in the same transaction as the award or revocation; the background runner posts it (AGS
    2.0 §3.4, ``FullyGraded``). Timestamps never repeat within a second for one column and user,
    because Moodle refuses a score whose timestamp is not later at second resolution (409).

    .. no_pii:
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        SUPERSEDED = "superseded", "Superseded by a later score in the LMS"
        FAILED = "failed", "Refused by the LMS"

    link = models.ForeignKey("lti_tool.LtiResourceLink", on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey("lti_tool.LtiUser", on_delete=models.PROTECT, related_name="+")
    award = models.ForeignKey("lti_tool.Award", on_delete=models.PROTECT, related_name="gradebook_scores")
    lineitem_url = models.URLField(max_length=1000)
    score_given = models.DecimalField(max_digits=4, decimal_places=2)
    timestamp = models.DateTimeField()
    comment = models.CharField(max_length=500, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    next_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "next_at"], name="gradebook_score_due")]

    def __str__(self) -> str:
        return f"{self.score_given} for {self.user_id} on {self.link_id} ({self.status})"


class EvidenceSubmission(models.Model):
    """A learner's evidence for one requirement of a badge, and the assessor's review of it.

    Files are kept in the database, checked by their bytes (PDF, PNG, JPEG, plain text), and only
    ever served back as downloads (``attachment``, ``nosniff``, a sandboxing CSP), never inline.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", "Waiting for review"
        APPROVED = "approved", "Approved"
        RETURNED = "returned", "Returned for changes"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    achievement = models.ForeignKey("lti_tool.Achievement", on_delete=models.PROTECT, related_name="+")
    requirement_id = models.CharField(max_length=100)
    context = models.ForeignKey("lti_tool.LtiContext", on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("lti_tool.Learner", on_delete=models.PROTECT, related_name="evidence")
    text = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True)
    file_name = models.CharField(max_length=200, blank=True)
    file_type = models.CharField(max_length=100, blank=True)
    file_data = models.BinaryField(null=True, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SUBMITTED)
    submitted_at = models.DateTimeField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.CharField(max_length=300, blank=True)
    review_comment = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["context", "status"], name="evidence_queue")]
        constraints = [  # one submission waiting or approved per requirement: two first sends cannot both land
            models.UniqueConstraint(fields=["achievement", "requirement_id", "context", "learner"],
                                    condition=models.Q(status__in=["submitted", "approved"]),
                                    name="evidence_one_open")]

    def __str__(self) -> str:
        return f"evidence {self.uuid} for {self.requirement_id} ({self.status})"
