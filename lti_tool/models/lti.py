"""LTI 1.3 records: platforms, registrations, deployments (tenants), courses, links, users, launches.

A deployment is a tenant: every badge, award and course seen through LTI belongs to exactly one, and
LTI views only ever query within the deployment of the launch.
"""

import uuid

from django.db import models


class LtiPlatform(models.Model):
    """An LMS instance, identified by its issuer (the ``iss`` of its id_tokens).

    .. no_pii:
    """

    class Family(models.TextChoices):
        MOODLE = "moodle", "Moodle"
        CANVAS = "canvas", "Canvas"
        OPEN_EDX = "open-edx", "Open edX"
        BRIGHTSPACE = "brightspace", "Brightspace"
        SAKAI = "sakai", "Sakai"
        OTHER = "other", "Other"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    issuer = models.URLField(max_length=500, unique=True)
    name = models.CharField(max_length=200, blank=True)
    family = models.CharField(max_length=16, choices=Family.choices, default=Family.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name or self.issuer


class LtiRegistration(models.Model):
    """The tool as registered on a platform: one ``client_id`` and the platform's endpoints.

    .. no_pii:
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    platform = models.ForeignKey(LtiPlatform, on_delete=models.PROTECT, related_name="registrations")
    client_id = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    auth_login_url = models.URLField(max_length=500, help_text="Platform OIDC authorization endpoint")
    auth_token_url = models.URLField(max_length=500, blank=True, help_text="Platform OAuth 2 token endpoint")
    auth_audience = models.CharField(max_length=500, blank=True, help_text="Audience for client assertions, "
                                                                          "when not the token URL (Brightspace)")
    key_set_url = models.URLField(max_length=500, help_text="Platform JWKS URL")
    registered_via = models.CharField(max_length=16, default="manual")
    scopes = models.JSONField(default=list, blank=True)
    openid_configuration = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "client_id"], name="lti_registration_unique")]

    def __str__(self) -> str:
        return f"{self.platform} / {self.client_id}"


class LtiPlatformKeySet(models.Model):
    """The platform's public keys as last fetched, with when to refresh them.

    .. no_pii:
    """

    registration = models.OneToOneField(LtiRegistration, on_delete=models.CASCADE, related_name="key_set")
    keys = models.JSONField(default=dict)
    fetched_at = models.DateTimeField()
    fresh_until = models.DateTimeField()
    last_refetch_at = models.DateTimeField(null=True, blank=True, help_text="Last refetch caused by an unknown kid")

    def __str__(self) -> str:
        return f"keys of {self.registration}"



class LtiDeployment(models.Model):
    """A deployment of the tool on a platform: a tenant with its own badges, learners and awards.

    Deployments first seen in a launch are parked as pending until an admin approves them and chooses
    the Accolade issuer whose name and keys sign their credentials.

    .. no_pii:
    """

    class Status(models.TextChoices):
        PENDING = "pending", "Pending approval"
        ACTIVE = "active", "Active"
        DISABLED = "disabled", "Disabled"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    registration = models.ForeignKey(LtiRegistration, on_delete=models.PROTECT, related_name="deployments")
    deployment_id = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    name = models.CharField(max_length=200, blank=True)
    issuer = models.ForeignKey("lti_tool.Issuer", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="deployments")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["registration", "deployment_id"],
                                               name="lti_deployment_unique")]

    def __str__(self) -> str:
        return self.name or f"{self.registration} / {self.deployment_id}"


class LtiContext(models.Model):
    """A course (LTI context) within a deployment.

    .. no_pii:
    """

    deployment = models.ForeignKey(LtiDeployment, on_delete=models.PROTECT, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=500, blank=True)
    label = models.CharField(max_length=255, blank=True)
    # LTI Advantage endpoints from the latest launch that carried them (AGS 2.0 §3.1, NRPS 2.0 §3.6).
    ags_lineitems_url = models.URLField(max_length=1000, blank=True)
    ags_scopes = models.JSONField(default=list, blank=True)
    nrps_url = models.URLField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deployment", "context_id"], name="lti_context_unique")]

    def __str__(self) -> str:
        return self.title or self.context_id


class LtiResourceLink(models.Model):
    """A placement of the tool in a course, and the badge it shows.

    .. no_pii:
    """

    deployment = models.ForeignKey(LtiDeployment, on_delete=models.PROTECT, related_name="resource_links")
    context = models.ForeignKey(LtiContext, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="resource_links")
    resource_link_id = models.CharField(max_length=255)
    title = models.CharField(max_length=500, blank=True)
    achievement = models.ForeignKey("lti_tool.Achievement", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="resource_links")
    lineitem_url = models.URLField(max_length=1000, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["deployment", "resource_link_id"],
                                               name="lti_resource_link_unique")]

    def __str__(self) -> str:
        return self.title or self.resource_link_id



class LtiUser(models.Model):
    """A platform account (``iss`` + ``sub``) and the identity data the platform sent, with provenance.

    ``claims`` holds, per field (name, given_name, family_name, email, lis_person_sourcedid), the value
    as sent and where it came from: ``{"email": {"value": …, "deployment": uuid, "context": id, "at": …}}``.

    .. pii: name, email and institutional ids as sent by the platform.
    .. pii_types: name, email_address, other
    .. pii_retirement: retained
    """

    platform = models.ForeignKey(LtiPlatform, on_delete=models.PROTECT, related_name="users")
    sub = models.CharField(max_length=255)
    learner = models.ForeignKey("lti_tool.Learner", on_delete=models.PROTECT, related_name="lti_accounts")
    name = models.CharField(max_length=300, blank=True)
    email = models.CharField(max_length=320, blank=True)
    lis_person_sourcedid = models.CharField(max_length=255, blank=True)
    claims = models.JSONField(default=dict, blank=True)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "sub"], name="lti_user_unique")]

    def __str__(self) -> str:
        return f"{self.platform}:{self.sub}"


class LtiOidcState(models.Model):
    """One OIDC login: the state and nonce we issued, single use, short-lived.

    .. no_pii:
    """

    state = models.CharField(max_length=64, unique=True)
    nonce = models.CharField(max_length=64)
    registration = models.ForeignKey(LtiRegistration, on_delete=models.CASCADE, related_name="+")
    target_link_uri = models.URLField(max_length=1000)
    storage_target = models.CharField(max_length=100, blank=True, help_text="lti_storage_target, when given")
    # The login parameters, to start the login again in a new window when cookies are blocked.
    login_hint = models.CharField(max_length=1000)
    lti_message_hint = models.CharField(max_length=2000, blank=True)
    lti_deployment_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"login {self.state[:8]}…"



class LtiUsedNonce(models.Model):
    """A nonce seen in a valid id_token; a second token with it is a replay.

    .. no_pii:
    """

    issuer = models.CharField(max_length=500)
    nonce = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issuer", "nonce"], name="lti_nonce_once")]

    def __str__(self) -> str:
        return f"nonce {self.nonce[:8]}…"



class LtiLaunch(models.Model):
    """A validated launch: what the pages opened from it may do, for how long.

    The browser gets an opaque random token (kept here only as its SHA-256) and carries it in links and
    forms; no page depends on a cookie inside the LMS iframe.

    .. no_pii:
    """

    token_hash = models.CharField(max_length=64, unique=True)
    deployment = models.ForeignKey(LtiDeployment, on_delete=models.PROTECT, related_name="+")
    context = models.ForeignKey(LtiContext, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    resource_link = models.ForeignKey(LtiResourceLink, null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="+")
    user = models.ForeignKey(LtiUser, on_delete=models.PROTECT, related_name="+")
    message_type = models.CharField(max_length=64)
    roles = models.JSONField(default=list, help_text="Tool roles: admin, instructor, assessor, learner")
    claims = models.JSONField(default=dict, help_text="Service endpoints, deep-linking settings, custom")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.message_type} by {self.user_id}"



class LtiToolKey(models.Model):
    """An RSA key of the tool (signs Deep Linking responses and service client assertions).

    The active key signs; after rotation a retired key stays in the tool JWKS until ``expires_at``,
    so platforms that cached it can still verify what it signed.

    .. no_pii:
    """

    kid = models.CharField(max_length=64, unique=True)
    public_key_pem = models.TextField()
    sealed_private_key = models.BinaryField()
    kek_id = models.CharField(max_length=16)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    retired_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, help_text="Unpublished after this time")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["active"], condition=models.Q(active=True),
                                               name="lti_tool_key_one_active")]

    def __str__(self) -> str:
        return f"tool key {self.kid} ({'active' if self.active else 'retired'})"



class LtiMembership(models.Model):
    """A user's membership of a course, from launches (and, later, the NRPS roster).

    .. no_pii:
    """

    context = models.ForeignKey(LtiContext, on_delete=models.PROTECT, related_name="memberships")
    user = models.ForeignKey(LtiUser, on_delete=models.PROTECT, related_name="memberships")
    roles = models.JSONField(default=list, help_text="Tool roles")
    lti_roles = models.JSONField(default=list, help_text="Roles as the platform sent them")
    status = models.CharField(max_length=16, default="active")
    source = models.CharField(max_length=16, default="launch")
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["context", "user"], name="lti_membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.context}"
