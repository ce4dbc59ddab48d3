"""The registrar feed's outbox: every award, revocation and catalog change, in commit order."""

import uuid

from django.db import models


class FeedEvent(models.Model):
    """One change the registrar's feed carries, written in the same transaction as the change.

    ``position`` numbers the issuer's events in commit order: it is drawn from ``FeedCounter`` under a
    row lock held until the change commits, so a reader that has seen position N never later finds
    a committed event below N (a database sequence alone gives no such promise under concurrency).
    ``data`` is the full snapshot taken at the time of the change; each destination sends only the
    parts its settings allow (registrar research digest, 5.2).

    .. pii: learner identifiers inside ``data``.
    .. pii_types: email_address, other
    .. pii_retirement: retained (a disclosure record)
    """

    class Type(models.TextChoices):
        AWARDED = "credential.awarded", "Awarded"
        REVOKED = "credential.revoked", "Revoked"
        EXPIRED = "credential.expired", "Expired"
        REISSUED = "credential.reissued", "Reissued"
        APPROVED = "achievement.approved", "Achievement approved"
        RETIRED = "achievement.retired", "Achievement retired"
        IDENTITY_LINKED = "learner.identity_linked", "Learner identity linked"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey("lti_tool.Issuer", on_delete=models.PROTECT, related_name="feed_events")
    position = models.PositiveBigIntegerField()
    type = models.CharField(max_length=40, choices=Type.choices)
    subject = models.CharField(max_length=300, help_text="What the event is about: a credential or achievement id")
    achievement = models.ForeignKey("lti_tool.Achievement", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    award = models.ForeignKey("lti_tool.Award", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    learner = models.ForeignKey("lti_tool.Learner", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    occurred_at = models.DateTimeField()
    data = models.JSONField()

    class Meta:
        ordering = ["issuer", "position"]
        constraints = [models.UniqueConstraint(fields=["issuer", "position"], name="feed_event_position_unique")]
        indexes = [models.Index(fields=["learner", "position"]), models.Index(fields=["type", "occurred_at"])]

    def __str__(self) -> str:
        return f"{self.type} #{self.position}"


class FeedCounter(models.Model):
    """The last feed position given out for an issuer; its row lock orders the issuer's events."""

    issuer = models.OneToOneField("lti_tool.Issuer", on_delete=models.PROTECT, related_name="feed_counter")
    last_position = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.issuer_id}: {self.last_position}"
