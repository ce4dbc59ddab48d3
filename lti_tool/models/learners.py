"""Learners and the identifiers each source knows them by."""

import uuid

from django.db import models


class Learner(models.Model):
    """A person who can hold awards; ``urn:uuid:{uuid}`` is their credential subject id.

    .. pii: display name and, through identities, email, LMS and SIS identifiers.
    .. pii_types: name, email_address, other
    .. pii_retirement: retained (awards are permanent records)
    """

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    display_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.display_name or str(self.uuid)

    @property
    def subject_id(self) -> str:
        return f"urn:uuid:{self.uuid}"

    def identity(self, kind: str) -> "LearnerIdentity | None":
        return next((i for i in self.identities.all() if i.kind == kind), None)


class LearnerIdentity(models.Model):
    """One identifier of a learner, with where it came from.

    ``kind`` uses OB 3.0 identityType names (emailAddress, sisSourcedId, ltiUserId, …); ``scope`` is
    what makes the value unique (the LTI platform issuer for ltiUserId, the institution for SIS ids).

    .. pii: identifier values.
    .. pii_types: email_address, other
    .. pii_retirement: retained
    """

    learner = models.ForeignKey(Learner, on_delete=models.PROTECT, related_name="identities")
    kind = models.CharField(max_length=32)
    scope = models.CharField(max_length=300, blank=True)
    value = models.CharField(max_length=320)
    source = models.CharField(max_length=64, help_text="Where the value came from: cli, csv, lti-launch, …")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "scope", "value"], name="learner_identity_unique")]

    def __str__(self) -> str:
        return f"{self.kind}={self.value}"
