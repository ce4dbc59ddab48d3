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


class FeedEndpoint(models.Model):
    """Where an issuer's registrar feed goes: a signed webhook (Standard Webhooks) or a OneRoster gradebook.

    ``identifier_types`` lists the identifier kinds allowed to leave the institution for this
    destination; ``payload`` is thin (ids and links) or full (adds the name and the signed
    credential). Secrets are sealed with the key-encryption key; during a rotation the feed signs
    with every secret not yet expired.

    .. no_pii:
    """

    class Kind(models.TextChoices):
        WEBHOOK = "webhook", "Signed webhook"
        ONEROSTER = "oneroster", "OneRoster 1.2 gradebook"
        PULL = "pull", "Pulled by the SIS (cursor API)"
        SFTP = "sftp", "Reconciliation CSV dropped by SFTP"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.ForeignKey("lti_tool.Issuer", on_delete=models.PROTECT, related_name="feed_endpoints")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.WEBHOOK)
    url = models.URLField(max_length=1000, blank=True)
    event_types = models.JSONField(default=list, blank=True, help_text="Empty: every type")
    identifier_types = models.JSONField(default=list, blank=True)
    payload = models.CharField(max_length=8, default="thin")
    settings = models.JSONField(default=dict, blank=True, help_text="Kind-specific: OneRoster token URL, client id…")
    secrets = models.JSONField(default=list, blank=True, help_text="Sealed secrets: [{id, kek, sealed, expires_at}]")
    enabled = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.kind})"


class FeedDelivery(models.Model):
    """One event on its way to one endpoint: at least once, in order per learner, retried on a schedule.

    ``parked`` holds an event about a learner the registrar cannot match yet (no SIS id): it goes
    out when the identity is linked. ``disclosed`` records which identifier types were sent, the
    disclosure log (34 CFR §99.32). An acknowledgement from the SIS adds its own record id.

    .. no_pii:
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PARKED = "parked", "Waiting for the learner's SIS id"
        DELIVERED = "delivered", "Delivered"
        DEAD = "dead", "Dead (retries spent)"

    endpoint = models.ForeignKey(FeedEndpoint, on_delete=models.PROTECT, related_name="deliveries")
    event = models.ForeignKey(FeedEvent, on_delete=models.PROTECT, related_name="deliveries")
    position = models.PositiveBigIntegerField(help_text="The event's position, for ordering")
    learner = models.ForeignKey("lti_tool.Learner", null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    was_parked = models.BooleanField(default=False)
    next_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, help_text="Which runner's batch holds the lease")
    attempts = models.PositiveIntegerField(default=0)
    last_status = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    response_excerpt = models.TextField(blank=True)
    disclosed = models.JSONField(default=list, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    ack_status = models.CharField(max_length=32, blank=True)
    ack_message = models.TextField(blank=True)
    sis_record_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["endpoint", "event"], name="feed_delivery_unique")]
        indexes = [models.Index(fields=["status", "next_at", "position", "id"], name="feed_delivery_due"),
                   models.Index(fields=["endpoint", "learner", "position"])]

    def __str__(self) -> str:
        return f"event #{self.position} to {self.endpoint_id}: {self.status}"
